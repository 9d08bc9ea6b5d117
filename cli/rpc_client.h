// The CLI's client of a node's HTTP API (docs/api.md), over HttpConn: GET a JSON document,
// POST a JSON request, submit a signed transaction. Every failure is a Status whose message
// names the node, so commands print it as is.
//
// Error mapping (what cli_util's FailFor turns into exit codes):
// - the node cannot be reached, answers 5xx, or answers something that is not JSON:
//   kUnavailable ("cannot reach node at URL: ...") -> exit 2;
// - a 4xx answer {code, message}: kInvalidArgument "CODE: message" (404 included: the thing
//   asked for does not exist) -> exit 1.
// Not thread-safe (one connection, reused between requests).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "cli/http_client.h"
#include "common/status.h"
#include "types/tx.h"

namespace laurel::cli {

// JSON as the node sent it: fields keep their order, so --json prints the API's answer as is.
using Json = nlohmann::ordered_json;

// The --rpc default: $LAUREL_RPC when set and not empty, else http://127.0.0.1:8700.
std::string DefaultRpcUrl();

// Percent-encodes everything but RFC 3986 unreserved characters, for one path segment or
// query value ("city-fed/MW/1" -> "city-fed%2FMW%2F1").
std::string UrlEscape(std::string_view s);

// A uint64 JSON field that the API prints as a decimal string ("42") or a number (42).
// nullopt when absent, negative, fractional or not decimal.
std::optional<uint64_t> JsonU64(const Json& obj, std::string_view key);
// JsonU64 or 0.
uint64_t JsonU64Or0(const Json& obj, std::string_view key);
// A string field, or "" when absent or not a string.
std::string JsonStr(const Json& obj, std::string_view key);

// What became of a submitted transaction.
struct TxOutcome {
  std::string tx_id;       // hex
  bool committed = false;  // in a block (then height/position/result are set)
  bool refused = false;    // refused at admission (400 INVALID_TX); result = its ledger code
  uint64_t height = 0;
  uint64_t position = 0;
  std::string result;   // ledger code name: "OK", "UNAUTHORIZED", ...
  std::string message;  // detail of a refusal or of a still-pending tx
  Json json;            // the node's answer as received

  // Committed with result OK.
  bool ok() const { return committed && result == "OK"; }
};

class RpcClient {
 public:
  // Parses (and resolves) the URL; kInvalidArgument for a bad one.
  static Result<std::unique_ptr<RpcClient>> Open(const std::string& url);

  // GET `target` ("/v1/status"); the JSON object of a 2xx answer.
  Result<Json> Get(const std::string& target);
  // POST a JSON document; the JSON object of a 2xx answer.
  Result<Json> PostJson(const std::string& target, const Json& body);
  // POST /v1/txs (protobuf wire), with ?wait=commit when `wait`. A refusal at admission or a
  // commit timeout is an outcome, not an error; errors are transport and unexpected answers.
  Result<TxOutcome> SubmitTx(const types::Tx& tx, bool wait);

  const std::string& url() const { return url_text_; }

 private:
  explicit RpcClient(Url url) : url_text_(url.text), conn_(std::move(url)) {}
  struct Answer {
    int status = 0;
    Json json;  // discarded when the body is not JSON
    std::string body;
  };
  Result<Answer> Request(std::string_view method, const std::string& target,
                         std::string_view content_type, std::string_view body);
  // The error Status for a non-2xx answer.
  Status ErrorOf(std::string_view method, const std::string& target, const Answer& a) const;

  std::string url_text_;
  HttpConn conn_;
};

}  // namespace laurel::cli

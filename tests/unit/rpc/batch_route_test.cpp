// POST /v1/txs:batch end to end: a real server over the fake node.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "laurel/v1/api.pb.h"
#include "ledger/codes.h"
#include "rpc/server.h"
#include "tests/unit/rpc/route_test_json.h"
#include "tests/unit/rpc/rpc_test_util.h"

namespace laurel::rpc::test {
namespace {

using nlohmann::json;

struct Fixture {
  FakeNode node;
  std::unique_ptr<RpcServer> server;

  explicit Fixture(RpcConfig config = {}) {
    auto r = RpcServer::Start(config, node);
    REQUIRE(r.ok());
    server = std::move(r).value();
  }
  uint16_t port() const { return server->port(); }
};

json TxJsonValue(const types::Tx& tx) {
  json sigs = json::array();
  for (const auto& s : tx.signatures) {
    sigs.push_back(
        {{"publicKey", Base64Encode(s.public_key)}, {"signature", Base64Encode(s.signature)}});
  }
  return json{{"body", Base64Encode(tx.body)}, {"signatures", sigs}};
}

std::string BatchJson(const std::vector<types::Tx>& txs) {
  json arr = json::array();
  for (const auto& tx : txs) arr.push_back(TxJsonValue(tx));
  return json{{"txs", arr}}.dump();
}

std::string BatchProto(const std::vector<types::Tx>& txs) {
  ::laurel::v1::TxBatch b;
  for (const auto& tx : txs) {
    const Bytes wire = types::EncodeTx(tx);
    REQUIRE(b.add_txs()->ParseFromArray(wire.data(), static_cast<int>(wire.size())));
  }
  return b.SerializeAsString();
}

// A tx that fails types::DecodeTx: more signatures than a tx may carry.
types::Tx Undecodable(const types::Tx& base) {
  types::Tx tx = base;
  while (tx.signatures.size() <= types::kMaxSignatures) tx.signatures.push_back(tx.signatures[0]);
  return tx;
}

std::vector<types::Tx> Issuers(FakeNode& node, const std::string& prefix, int n) {
  std::vector<types::Tx> txs;
  for (int i = 0; i < n; ++i) {
    txs.push_back(MakeRegisterIssuerTx(node.chain_id(), prefix + std::to_string(i), node.admin()));
  }
  return txs;
}

TEST_CASE("a batch answers each transaction in request order, a bad one sinks no other",
          "[rpc][batch]") {
  Fixture f;
  std::vector<types::Tx> txs = Issuers(f.node, "b-union-", 5);
  txs[1] = Undecodable(txs[1]);  // refused by the server itself
  {
    // refused by the node's admission
    std::lock_guard lock(f.node.mu);
    node::AdmitResult bad;
    bad.code = node::AdmitCode::kInvalid;
    bad.tx_code = ledger::TxCode::kIssuerExists;
    bad.message = "transaction rejected: ISSUER_EXISTS";
    f.node.admit_by_tx[types::TxId(txs[3])] = bad;
    node::AdmitResult known;
    known.code = node::AdmitCode::kAlreadyKnown;
    f.node.admit_by_tx[types::TxId(txs[4])] = known;
  }
  auto r = Http(f.port(), "POST", "/v1/txs:batch", BatchJson(txs), kJsonType);
  REQUIRE(r.status == 200);
  CHECK(r.headers.count("retry-after") == 0);
  const json j = Json(r);
  REQUIRE(j["results"].size() == 5);
  CHECK(j["accepted"] == 3);
  CHECK(j["refused"] == 2);
  for (size_t i = 0; i < 5; ++i) CHECK(j["results"][i]["index"] == i);
  CHECK(j["results"][0]["status"] == "pending");
  CHECK(j["results"][0]["http_status"] == 202);
  CHECK(j["results"][0]["admission"] == "ACCEPTED");
  CHECK(j["results"][0]["tx_id"] == HexEncode(types::TxId(txs[0])));
  CHECK(j["results"][1]["status"] == "refused");
  CHECK(j["results"][1]["http_status"] == 400);
  CHECK(j["results"][1]["code"] == "MALFORMED_BODY");
  CHECK(j["results"][1]["tx_id"] == "");
  CHECK(j["results"][2]["admission"] == "ACCEPTED");
  CHECK(j["results"][3]["status"] == "refused");
  CHECK(j["results"][3]["code"] == "INVALID_TX");
  CHECK(j["results"][3]["tx_code"] == "ISSUER_EXISTS");
  CHECK(j["results"][3]["tx_id"] == HexEncode(types::TxId(txs[3])));
  CHECK(j["results"][4]["admission"] == "ALREADY_KNOWN");
  CHECK(j["results"][4]["http_status"] == 202);
  std::lock_guard lock(f.node.mu);
  CHECK(f.node.submitted.size() == 4);  // all but the undecodable one reached the node
}

TEST_CASE("a binary batch is answered as a binary TxBatchResult", "[rpc][batch]") {
  Fixture f;
  const std::vector<types::Tx> txs = Issuers(f.node, "p-union-", 3);
  auto r = Http(f.port(), "POST", "/v1/txs:batch", BatchProto(txs), kProtoType);
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == "application/x-protobuf");
  ::laurel::v1::TxBatchResult v;
  REQUIRE(v.ParseFromString(r.body));
  REQUIRE(v.results_size() == 3);
  CHECK(v.accepted() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(v.results(i).tx_id() == HexEncode(types::TxId(txs[static_cast<size_t>(i)])));
    CHECK(v.results(i).http_status() == 202);
  }
  std::lock_guard lock(f.node.mu);
  REQUIRE(f.node.submitted.size() == 3);
  CHECK(f.node.submitted[2].body == txs[2].body);
}

TEST_CASE("a batch with wait=commit answers once every tx committed or timed out", "[rpc][batch]") {
  Fixture f;
  {
    std::lock_guard lock(f.node.mu);
    f.node.commit_at = storage::TxLocation{1, 0, ledger::TxCode::kOk};
    f.node.commit_delay = 50ms;
  }
  const std::vector<types::Tx> txs = Issuers(f.node, "w-union-", 3);
  auto r = Http(f.port(), "POST", "/v1/txs:batch?wait=commit", BatchJson(txs), kJsonType);
  REQUIRE(r.status == 200);
  json j = Json(r);
  REQUIRE(j["results"].size() == 3);
  for (const auto& item : j["results"]) {
    CHECK(item["status"] == "committed");
    CHECK(item["http_status"] == 200);
    CHECK(item["height"] == "1");
    CHECK(item["result"] == "OK");
  }
  CHECK(f.node.wait_calls == 3);
  {
    std::lock_guard lock(f.node.mu);
    f.node.commit_at.reset();  // never commits
  }
  auto t = Http(f.port(), "POST", "/v1/txs:batch?wait=commit&timeout_ms=100",
                BatchJson(Issuers(f.node, "t-union-", 2)), kJsonType);
  REQUIRE(t.status == 200);
  j = Json(t);
  CHECK(j["results"][1]["status"] == "pending");
  CHECK(j["results"][1]["http_status"] == 504);
  CHECK(j["results"][1]["code"] == "TIMEOUT");
  auto bad = Http(f.port(), "POST", "/v1/txs:batch?wait=soon", BatchJson(txs), kJsonType);
  CHECK(bad.status == 400);
}

TEST_CASE("a batch over max_batch_txs or the body cap is 413, an empty one 400", "[rpc][batch]") {
  RpcConfig config;
  config.max_batch_txs = 3;
  config.max_body_bytes = 64 * 1024;
  Fixture f(config);
  auto many =
      Http(f.port(), "POST", "/v1/txs:batch", BatchJson(Issuers(f.node, "m-", 4)), kJsonType);
  CHECK(many.status == 413);
  CHECK(Json(many)["code"] == "TOO_MANY_TXS");
  auto big = Http(f.port(), "POST", "/v1/txs:batch",
                  "{\"txs\": [" + std::string(70 * 1024, ' ') + "]}", kJsonType);
  CHECK(big.status == 413);
  CHECK(Json(big)["code"] == "PAYLOAD_TOO_LARGE");
  auto empty = Http(f.port(), "POST", "/v1/txs:batch", "{\"txs\": []}", kJsonType);
  CHECK(empty.status == 400);
  CHECK(Json(empty)["code"] == "EMPTY_BATCH");
  auto garbled = Http(f.port(), "POST", "/v1/txs:batch", "{\"txs\": 5}", kJsonType);
  CHECK(garbled.status == 400);
  CHECK(Json(garbled)["code"] == "MALFORMED_BODY");
  auto other = Http(f.port(), "POST", "/v1/txs:batch", "x", {{"Content-Type", "text/plain"}});
  CHECK(other.status == 415);
  std::lock_guard lock(f.node.mu);
  CHECK(f.node.submitted.empty());
}

TEST_CASE("a batch spends one rate token per transaction, over the rate it is 429",
          "[rpc][batch][limits]") {
  RpcConfig config;
  config.tx_rate = 0.2;
  config.tx_burst = 5;
  Fixture f(config);
  Conn c(f.port());
  REQUIRE(c.Send(
      BuildRequest("POST", "/v1/txs:batch", BatchJson(Issuers(f.node, "r1-", 4)), kJsonType)));
  REQUIRE(c.Read().value_or(HttpResult{}).status == 200);
  REQUIRE(c.Send(
      BuildRequest("POST", "/v1/txs:batch", BatchJson(Issuers(f.node, "r2-", 4)), kJsonType)));
  auto r = c.Read();
  REQUIRE(r);
  CHECK(r->status == 429);
  CHECK(Json(*r)["code"] == "RATE_LIMITED");
  CHECK(r->headers.count("retry-after") == 1);
  CHECK(f.node.submit_calls == 4);  // the refused batch never reached the node
}

TEST_CASE("a full mempool refuses the batch's txs with 429 each and a Retry-After",
          "[rpc][batch]") {
  Fixture f;
  {
    std::lock_guard lock(f.node.mu);
    f.node.admit.code = node::AdmitCode::kMempoolFull;
  }
  auto r = Http(f.port(), "POST", "/v1/txs:batch", BatchJson(Issuers(f.node, "f-", 2)), kJsonType);
  REQUIRE(r.status == 200);
  CHECK(r.headers["retry-after"] == "1");
  const json j = Json(r);
  CHECK(j["accepted"] == 0);
  CHECK(j["refused"] == 2);
  CHECK(j["results"][0]["http_status"] == 429);
  CHECK(j["results"][0]["code"] == "MEMPOOL_FULL");
}

}  // namespace
}  // namespace laurel::rpc::test

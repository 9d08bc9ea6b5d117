// What the network commands share: the --rpc/--json flags, and building, signing and
// submitting one transaction (docs/cli.md "Transactions from the command line").
//
// A transaction gets a fresh 16-byte random nonce, the chain id of the node's GET /v1/status
// and expires_at_height = the node's height + --expires-in (default 1000). With both
// --chain-id and --expires-at-height given no node is asked (offline building, for --out).
// It is signed by every --key in order, then either written to --out (a Tx in JSON, what
// `tx sign` and `tx submit` read) or submitted with ?wait=commit and its outcome printed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "cli/rpc_client.h"
#include "types/tx.h"

namespace laurel::cli {

inline constexpr uint64_t kDefaultExpiresIn = 1000;

// --rpc URL, --json.
struct NetOptions {
  std::string rpc = DefaultRpcUrl();
  bool json = false;
};
void AddNetOptions(CLI::App* cmd, NetOptions& o);
// --cacert FILE: the PEM CA certificate(s) an https:// node's certificate must chain to (sets
// $LAUREL_CACERT, which the HTTP client reads; default: the system's CA store).
void AddCaCertOption(CLI::App* cmd);

// --key (repeatable), --passphrase-file, --expires-in, --chain-id, --expires-at-height, --out,
// --no-wait.
struct TxOptions {
  std::vector<std::string> keys;
  std::optional<std::string> passphrase_file;
  uint64_t expires_in = kDefaultExpiresIn;
  std::optional<std::string> chain_id;
  std::optional<uint64_t> expires_at_height;
  std::optional<std::string> out;
  bool no_wait = false;
};
// `key_help` describes who must sign.
void AddTxOptions(CLI::App* cmd, TxOptions& o, const std::string& key_help);

// A lazily opened connection to the --rpc node, shared by the steps of one command.
class Node {
 public:
  explicit Node(std::string url) : url_(std::move(url)) {}
  Result<RpcClient*> Get();
  // GET /v1/status, fetched once.
  Result<Json> Status();

 private:
  std::string url_;
  std::unique_ptr<RpcClient> client_;
  std::optional<Json> status_;
};

// Loads every --key (a --passphrase-file is used for the encrypted ones). Fails on no keys, an
// unreadable key, or the same key twice.
Result<std::vector<crypto::PrivateKey>> LoadSigningKeys(const TxOptions& o);

// The chain id and expiry for a new tx: from the flags, else from the node.
struct TxFrame {
  std::string chain_id;
  uint64_t expires_at_height = 0;
};
Result<TxFrame> FrameFor(const TxOptions& o, Node& node);

// Builds the body (fresh nonce), signs it with every key. Fails when the body would not decode
// on a node (types::DecodeTxBody), e.g. an enum left unspecified.
Result<types::Tx> BuildSignedTx(const TxFrame& frame, types::Action action,
                                const std::vector<crypto::PrivateKey>& keys);

// Writes `tx` as JSON (the format of `tx build|sign`) to `path`.
Status WriteTxFile(const std::string& path, const types::Tx& tx);

// Submits `tx` (waiting for commit unless `no_wait`) and prints the outcome: human lines
// (`extra` lines first, e.g. "credential_id ...") or with --json one JSON object (the node's
// answer plus `extra_json` fields). Returns the exit code: 0 committed OK (or accepted with
// --no-wait), 1 refused at admission or committed with another result, 2 transport failure or
// no answer in time. `on_ok` runs before printing when the tx committed OK; its failure turns
// into exit 2 (the tx is on the ledger even so, and the output says so). `ok_extra` and
// `ok_extra_json` are printed only when the tx committed OK and `on_ok` succeeded (e.g. the
// names of the files `on_ok` wrote).
int SubmitAndReport(Node& node, const NetOptions& net, const types::Tx& tx, bool no_wait,
                    const std::vector<std::pair<std::string, std::string>>& extra = {},
                    const Json& extra_json = Json::object(),
                    const std::function<Status()>& on_ok = {},
                    const std::vector<std::pair<std::string, std::string>>& ok_extra = {},
                    const Json& ok_extra_json = Json::object());

// The whole flow of a governance or issuer action: keys, frame, sign, then --out or submit.
int RunTxCommand(const NetOptions& net, const TxOptions& o, types::Action action);

// Prints `j` on stdout as one line of JSON.
void PrintJson(const Json& j);

}  // namespace laurel::cli

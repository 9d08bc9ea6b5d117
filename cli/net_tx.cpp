#include "cli/net_tx.h"

#include <sodium.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "crypto/keyfile.h"
#include "laurel/v1/tx.pb.h"
#include "types/text_rules.h"

namespace laurel::cli {

namespace {
constexpr size_t kNonceSize = 16;
}  // namespace

void AddCaCertOption(CLI::App* cmd) {
  cmd->add_option_function<std::string>(
      "--cacert", [](const std::string& file) { ::setenv("LAUREL_CACERT", file.c_str(), 1); },
      "PEM CA certificate(s) to trust for an https:// --rpc (default: $LAUREL_CACERT, else the "
      "system's CA store)");
}

void AddNetOptions(CLI::App* cmd, NetOptions& o) {
  cmd->add_option("--rpc", o.rpc, "Node RPC URL (default: $LAUREL_RPC, else http://127.0.0.1:8700)")
      ->capture_default_str();
  cmd->add_flag("--json", o.json, "Print the node's JSON answer (one line), for scripts");
  AddCaCertOption(cmd);
}

void AddTxOptions(CLI::App* cmd, TxOptions& o, const std::string& key_help) {
  cmd->add_option("--key", o.keys, key_help + " (repeatable: every key signs)");
  cmd->add_option("--passphrase-file", o.passphrase_file,
                  "Passphrase of the encrypted key files among --key");
  cmd->add_option("--expires-in", o.expires_in,
                  "The tx expires this many blocks after the node's current height")
      ->capture_default_str();
  cmd->add_option("--chain-id", o.chain_id,
                  "Chain id (with --expires-at-height: build without asking a node)");
  cmd->add_option("--expires-at-height", o.expires_at_height, "Absolute expiry height");
  cmd->add_option("--out", o.out,
                  "Write the signed tx (JSON) to this file instead of submitting it; others "
                  "add signatures with `laurel tx sign`, then `laurel tx submit` sends it");
  cmd->add_flag("--no-wait", o.no_wait,
                "Return once the node accepted the tx (do not wait for commit)");
}

Result<RpcClient*> Node::Get() {
  if (!client_) {
    auto c = RpcClient::Open(url_);
    // A URL we cannot use is reported like a node we cannot reach (exit 2).
    if (!c.ok()) return Status::Unavailable(c.status().message());
    client_ = std::move(c).value();
  }
  return client_.get();
}

Result<Json> Node::Status() {
  if (!status_) {
    LAUREL_ASSIGN_OR_RETURN(RpcClient * c, Get());
    LAUREL_ASSIGN_OR_RETURN(Json s, c->Get("/v1/status"));
    if (JsonStr(s, "chain_id").empty() || !JsonU64(s, "height")) {
      return Status::Unavailable("node at " + url_ +
                                 ": /v1/status has no chain_id or height: " + s.dump());
    }
    status_ = std::move(s);
  }
  return *status_;
}

Result<std::vector<crypto::PrivateKey>> LoadSigningKeys(const TxOptions& o) {
  if (o.keys.empty()) return Status::InvalidArgument("give at least one --key to sign with");
  std::vector<crypto::PrivateKey> keys;
  for (const auto& path : o.keys) {
    std::optional<std::string> pass;
    if (o.passphrase_file) {
      // The passphrase applies to the encrypted keys; plain ones are read without it.
      auto enc = crypto::KeyFileIsEncrypted(path);
      if (enc.ok() && *enc) pass = o.passphrase_file;
    }
    LAUREL_ASSIGN_OR_RETURN(crypto::PrivateKey k, LoadKey(path, pass));
    for (const auto& have : keys) {
      if (have.public_key() == k.public_key()) {
        return Status::InvalidArgument("--key " + path + " is given twice (same public key)");
      }
    }
    keys.push_back(std::move(k));
  }
  if (keys.size() > types::kMaxSignatures) {
    return Status::InvalidArgument("at most " + std::to_string(types::kMaxSignatures) + " --key");
  }
  return keys;
}

Result<TxFrame> FrameFor(const TxOptions& o, Node& node) {
  TxFrame f;
  if (o.chain_id && o.expires_at_height) {
    f.chain_id = *o.chain_id;
    f.expires_at_height = *o.expires_at_height;
    return f;
  }
  LAUREL_ASSIGN_OR_RETURN(Json s, node.Status());
  f.chain_id = o.chain_id ? *o.chain_id : JsonStr(s, "chain_id");
  f.expires_at_height =
      o.expires_at_height ? *o.expires_at_height : JsonU64Or0(s, "height") + o.expires_in;
  return f;
}

Result<types::Tx> BuildSignedTx(const TxFrame& frame, types::Action action,
                                const std::vector<crypto::PrivateKey>& keys) {
  types::TxBody body;
  body.chain_id = frame.chain_id;
  body.nonce.resize(kNonceSize);
  randombytes_buf(body.nonce.data(), body.nonce.size());
  body.expires_at_height = frame.expires_at_height;
  body.action = std::move(action);
  types::Tx tx = types::MakeTx(body);
  // Only bodies a node decodes are ever signed.
  if (auto d = types::DecodeTxBody(tx.body); !d.ok()) {
    return Status::InvalidArgument("the transaction would not decode: " + d.status().message());
  }
  for (const auto& k : keys) types::SignTx(tx, k);
  return tx;
}

Status WriteTxFile(const std::string& path, const types::Tx& tx) {
  const Bytes wire = types::EncodeTx(tx);
  ::laurel::v1::Tx m;
  LAUREL_CHECK(m.ParseFromArray(wire.data(), static_cast<int>(wire.size())),
               "EncodeTx output does not parse");
  return WriteOutput(path, MessageToJson(m, /*pretty=*/true) + "\n");
}

void PrintJson(const Json& j) { std::cout << j.dump() << "\n" << std::flush; }

int SubmitAndReport(Node& node, const NetOptions& net, const types::Tx& tx, bool no_wait,
                    const std::vector<std::pair<std::string, std::string>>& extra,
                    const Json& extra_json, const std::function<Status()>& on_ok,
                    const std::vector<std::pair<std::string, std::string>>& ok_extra,
                    const Json& ok_extra_json) {
  auto client = node.Get();
  if (!client.ok()) return FailFor(client.status());
  auto outcome = (*client)->SubmitTx(tx, !no_wait);
  if (!outcome.ok()) return FailFor(outcome.status());
  const TxOutcome& o = *outcome;
  Status after = Status::Ok();
  if (o.ok() && on_ok) after = on_ok();

  if (net.json) {
    Json j = o.json.is_object() ? o.json : Json::object();
    if (!j.contains("tx_id")) j["tx_id"] = o.tx_id;
    for (const auto& [k, v] : extra_json.items()) j[k] = v;
    if (o.ok() && after.ok()) {
      for (const auto& [k, v] : ok_extra_json.items()) j[k] = v;
    }
    PrintJson(j);
  } else {
    std::ostringstream s;
    auto line = [&](const std::string& k, const std::string& v) {
      s << std::left << std::setw(15) << k << v << "\n";
    };
    for (const auto& [k, v] : extra) line(k, v);
    if (o.ok() && after.ok()) {
      for (const auto& [k, v] : ok_extra) line(k, v);
    }
    line("tx_id", o.tx_id);
    if (o.committed) {
      line("height", std::to_string(o.height));
      line("result", o.result);
    } else if (o.refused) {
      line("result", o.result + " (refused by the node, not on the ledger)");
    } else {
      line("status", "pending: " + o.message);
    }
    std::cout << s.str() << std::flush;
  }
  if (o.refused) return Fail(kExitInvalid, "transaction refused: " + o.result + ": " + o.message);
  if (o.committed && !o.ok()) {
    return Fail(kExitInvalid, "transaction committed at height " + std::to_string(o.height) +
                                  " with result " + o.result + "; it changed nothing");
  }
  if (!o.committed) {
    if (no_wait) return kExitOk;
    return Fail(kExitUsage, "transaction " + o.tx_id + " was not committed in time: " + o.message +
                                " (it may still commit)");
  }
  if (!after.ok()) return Fail(kExitUsage, after);
  return kExitOk;
}

namespace {

// The texts of an action that gates and histories show (issuer name, status reason) keep the
// display-text rules; refused here, before signing, with the rule they break (the ledger would
// refuse the tx as UNSAFE_TEXT).
Status CheckActionTexts(const types::Action& a) {
  if (const auto* r = std::get_if<types::RegisterIssuer>(&a)) {
    return types::CheckDisplayText("--name", r->name, 0, /*allow_empty=*/true);
  }
  if (const auto* r = std::get_if<types::SetIssuerStatus>(&a)) {
    return types::CheckDisplayText("--reason", r->reason, 0, /*allow_empty=*/true);
  }
  if (const auto* r = std::get_if<types::SetCredentialStatus>(&a)) {
    return types::CheckDisplayText("--reason", r->reason, 0, /*allow_empty=*/true);
  }
  return Status::Ok();
}

}  // namespace

int RunTxCommand(const NetOptions& net, const TxOptions& o, types::Action action) {
  if (Status st = CheckActionTexts(action); !st.ok()) return Fail(kExitUsage, st);
  auto keys = LoadSigningKeys(o);
  if (!keys.ok()) return Fail(kExitUsage, keys.status());
  Node node(net.rpc);
  auto frame = FrameFor(o, node);
  if (!frame.ok()) return FailFor(frame.status());
  auto tx = BuildSignedTx(*frame, std::move(action), *keys);
  if (!tx.ok()) return Fail(kExitUsage, tx.status());
  if (o.out) {
    if (Status st = WriteTxFile(*o.out, *tx); !st.ok()) return Fail(kExitUsage, st);
    const std::string id = HexEncode(types::TxId(*tx));
    if (net.json) {
      PrintJson({{"tx_id", id}, {"file", *o.out}, {"signatures", tx->signatures.size()}});
    } else if (*o.out != "-") {
      std::cout << "wrote " << *o.out << ": tx_id " << id << " (" << tx->signatures.size()
                << (tx->signatures.size() == 1 ? " signature" : " signatures")
                << "); add signatures with `laurel tx sign`, send with `laurel tx submit`\n";
    }
    return kExitOk;
  }
  return SubmitAndReport(node, net, *tx, o.no_wait);
}

}  // namespace laurel::cli

// laurel tx build | sign | inspect: make, sign and look at transactions offline;
// laurel tx submit: send a signed transaction to a node.
//
// Files hold a laurel.v1.Tx in the protobuf JSON mapping (body as base64) or, with --binary
// on output / auto-detected on input, its wire encoding. The body bytes are made once, by
// `tx build` (types::EncodeTxBody), and never re-serialized afterwards.
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/net_tx.h"
#include "laurel/v1/tx.pb.h"
#include "types/proto_util.h"
#include "types/tx.h"

namespace laurel::cli {
namespace {

namespace pb = ::laurel::v1;

constexpr size_t kNonceSize = 16;
// What the ledger accepts (MALFORMED otherwise).
constexpr size_t kMinNonceSize = 8;
constexpr size_t kMaxNonceSize = 32;
constexpr uint64_t kDefaultExpiresAtHeight = 1000000;

// A Tx from JSON or wire bytes; the envelope limits of types::DecodeTx apply to both.
Result<types::Tx> ParseTx(const std::string& data) {
  if (LooksLikeJson(data)) {
    pb::Tx m;
    LAUREL_RETURN_IF_ERROR(JsonToMessage(data, &m));
    return types::DecodeTx(types::SerializeDeterministic(m));
  }
  return types::DecodeTx(AsBytes(data));
}

Result<types::Tx> ReadTx(const std::string& path) {
  LAUREL_ASSIGN_OR_RETURN(std::string data, ReadInput(path));
  auto tx = ParseTx(data);
  if (!tx.ok()) {
    return Status::InvalidArgument((path == "-" ? "stdin" : path) + ": " + tx.status().message());
  }
  return tx;
}

Status WriteTx(const std::string& path, const types::Tx& tx, bool binary) {
  const Bytes wire = types::EncodeTx(tx);
  if (binary) return WriteOutput(path, AsStringView(wire));
  pb::Tx m;
  LAUREL_CHECK(m.ParseFromArray(wire.data(), static_cast<int>(wire.size())),
               "EncodeTx output does not parse");
  return WriteOutput(path, MessageToJson(m, /*pretty=*/true) + "\n");
}

// ---- tx build ----

struct BuildOptions {
  std::string in;
  std::string out = "-";
  uint64_t expires_at_height = kDefaultExpiresAtHeight;
  bool binary = false;
};

int RunBuild(const BuildOptions& o) {
  auto text = ReadInput(o.in);
  if (!text.ok()) return Fail(kExitUsage, text.status());
  pb::TxBody m;
  if (Status st = JsonToMessage(*text, &m); !st.ok()) return Fail(kExitInvalid, st);
  if (m.chain_id().empty()) return Fail(kExitInvalid, "tx body: chain_id is required");
  if (!m.nonce().empty() &&
      (m.nonce().size() < kMinNonceSize || m.nonce().size() > kMaxNonceSize)) {
    return Fail(kExitInvalid, "tx body: nonce must be " + std::to_string(kMinNonceSize) + " to " +
                                  std::to_string(kMaxNonceSize) + " bytes (or absent)");
  }
  if (m.nonce().empty()) {
    std::string nonce(kNonceSize, '\0');
    randombytes_buf(nonce.data(), nonce.size());
    m.set_nonce(nonce);
  }
  if (m.expires_at_height() == 0) m.set_expires_at_height(o.expires_at_height);
  // Through the canonical decoder, so that only bodies a node accepts are ever built.
  auto body = types::DecodeTxBody(types::SerializeDeterministic(m));
  if (!body.ok()) return Fail(kExitInvalid, body.status());
  const types::Tx tx = types::MakeTx(*body);
  if (Status st = WriteTx(o.out, tx, o.binary); !st.ok()) return Fail(kExitUsage, st);
  std::cerr << "tx_id " << HexEncode(types::TxId(tx)) << "\n";
  return kExitOk;
}

// ---- tx sign ----

struct SignOptions {
  std::string in;
  std::string key;
  std::optional<std::string> passphrase_file;
  std::string out = "-";
  bool binary = false;
};

int RunSign(const SignOptions& o) {
  auto tx = ReadTx(o.in);
  if (!tx.ok()) return FailFor(tx.status());
  // Never sign bytes no node would accept as a body.
  if (auto body = types::DecodeTxBody(tx->body); !body.ok()) {
    return Fail(kExitInvalid, "refusing to sign: " + body.status().message());
  }
  auto key = LoadKey(o.key, o.passphrase_file);
  if (!key.ok()) return Fail(kExitUsage, key.status());
  const ByteView pk(key->public_key());
  for (const auto& s : tx->signatures) {
    if (std::equal(s.public_key.begin(), s.public_key.end(), pk.begin(), pk.end())) {
      return Fail(kExitInvalid, "tx is already signed by " + HexEncode(pk));
    }
  }
  if (tx->signatures.size() >= types::kMaxSignatures) {
    return Fail(kExitInvalid, "tx already has the maximum of " +
                                  std::to_string(types::kMaxSignatures) + " signatures");
  }
  types::SignTx(*tx, *key);
  if (Status st = WriteTx(o.out, *tx, o.binary); !st.ok()) return Fail(kExitUsage, st);
  std::cerr << "signed tx_id " << HexEncode(types::TxId(*tx)) << " (" << tx->signatures.size()
            << (tx->signatures.size() == 1 ? " signature)\n" : " signatures)\n");
  return kExitOk;
}

// ---- tx inspect ----

struct InspectOptions {
  std::string in = "-";
  bool compact = false;
};

int RunInspect(const InspectOptions& o) {
  auto tx = ReadTx(o.in);
  if (!tx.ok()) return FailFor(tx.status());
  nlohmann::ordered_json out;
  out["tx_id"] = HexEncode(types::TxId(*tx));
  auto body = types::DecodeTxBody(tx->body);
  std::string problem;
  if (body.ok()) {
    out["action"] = types::ActionName(body->action);
    pb::TxBody m;
    LAUREL_CHECK(m.ParseFromArray(tx->body.data(), static_cast<int>(tx->body.size())),
                 "a decoded body does not parse");
    out["body"] = nlohmann::ordered_json::parse(MessageToJson(m, /*pretty=*/false));
  } else {
    out["body"] = nullptr;
    out["body_error"] = body.status().message();
    problem = "tx body does not decode: " + body.status().message();
  }
  out["signatures"] = nlohmann::ordered_json::array();
  size_t bad = 0;
  for (const auto& s : tx->signatures) {
    const bool ok =
        crypto::VerifyWithDomain(s.public_key, types::kTxSignDomain, tx->body, s.signature);
    if (!ok) ++bad;
    out["signatures"].push_back({{"public_key", HexEncode(s.public_key)},
                                 {"signature", HexEncode(s.signature)},
                                 {"valid", ok}});
  }
  out["valid"] = problem.empty() && bad == 0;
  std::cout << (o.compact ? out.dump() : out.dump(2)) << "\n";
  if (!problem.empty()) return Fail(kExitInvalid, problem);
  if (bad > 0) {
    return Fail(kExitInvalid, std::to_string(bad) + " of " + std::to_string(tx->signatures.size()) +
                                  " signatures do not verify");
  }
  return kExitOk;
}

// ---- tx submit ----

struct SubmitOptions {
  NetOptions net;
  std::string in;
  bool no_wait = false;
};

int RunSubmit(const SubmitOptions& o) {
  auto tx = ReadTx(o.in);
  if (!tx.ok()) return FailFor(tx.status());
  if (tx->signatures.empty()) return Fail(kExitInvalid, o.in + ": the tx has no signatures");
  Node node(o.net.rpc);
  return SubmitAndReport(node, o.net, *tx, o.no_wait);
}

}  // namespace

void RegisterTxCommands(CLI::App& app, CommandRun& run) {
  auto* tx =
      app.add_subcommand("tx", "Build, sign and inspect transactions (offline); submit them");
  tx->require_subcommand(1);

  auto b = std::make_shared<BuildOptions>();
  auto* build = tx->add_subcommand(
      "build", "TxBody JSON -> unsigned Tx (fills a random nonce and expires_at_height)");
  build->add_option("--in", b->in, "TxBody in protobuf JSON mapping, or - for stdin")->required();
  build->add_option("--out", b->out, "Tx file to write, or - for stdout")->capture_default_str();
  build
      ->add_option("--expires-at-height", b->expires_at_height,
                   "expires_at_height when the body has none")
      ->capture_default_str();
  build->add_flag("--binary", b->binary, "Write the wire encoding instead of JSON");
  build->callback([b, &run] { run = [b] { return RunBuild(*b); }; });

  auto s = std::make_shared<SignOptions>();
  auto* sign = tx->add_subcommand("sign", "Append a signature; the body bytes are never changed");
  sign->add_option("--in", s->in, "Tx (JSON or wire), or - for stdin")->required();
  sign->add_option("--key", s->key, "Key file to sign with")->required();
  sign->add_option("--passphrase-file", s->passphrase_file, "Passphrase of an encrypted key");
  sign->add_option("--out", s->out, "Tx file to write (may be --in), or - for stdout")
      ->capture_default_str();
  sign->add_flag("--binary", s->binary, "Write the wire encoding instead of JSON");
  sign->callback([s, &run] { run = [s] { return RunSign(*s); }; });

  auto i = std::make_shared<InspectOptions>();
  auto* inspect = tx->add_subcommand(
      "inspect", "Show tx_id, the decoded body and each signature; exit 1 if anything is bad");
  inspect->add_option("--in", i->in, "Tx (JSON or wire), or - for stdin")->capture_default_str();
  inspect->add_flag("--json", i->compact, "One-line JSON");
  inspect->callback([i, &run] { run = [i] { return RunInspect(*i); }; });

  auto u = std::make_shared<SubmitOptions>();
  auto* submit = tx->add_subcommand(
      "submit", "Send a signed tx to a node and wait until it is committed; print its result");
  submit->add_option("--in", u->in, "Tx (JSON or wire), or - for stdin")->required();
  submit->add_flag("--no-wait", u->no_wait, "Return once the node accepted it");
  AddNetOptions(submit, u->net);
  submit->callback([u, &run] { run = [u] { return RunSubmit(*u); }; });
}

}  // namespace laurel::cli

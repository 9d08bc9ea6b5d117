// laurel card inspect (LC1:... | --file CARD.lc1) [--issuer-key PUBHEX] [--json]
//
// Offline look at a card: decode, show the body and digest, and with the issuer's public key
// check the signature. Whether the card is on the ledger and active is `laurel verify`'s job.
#include <CLI/CLI.hpp>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "types/card.h"

namespace laurel::cli {
namespace {

struct CardInspectOptions {
  std::optional<std::string> code;
  std::optional<std::string> file;
  std::optional<std::string> issuer_key;
  bool json = false;
};

int RunCardInspect(const CardInspectOptions& o) {
  if (o.code.has_value() == o.file.has_value()) {
    return Fail(kExitUsage, "give the card either as an argument (LC1:...) or with --file");
  }
  std::optional<Bytes> issuer_key;
  if (o.issuer_key) {
    auto k = ParsePublicKeyHex(*o.issuer_key);
    if (!k.ok()) return Fail(kExitUsage, "--issuer-key: " + k.status().message());
    issuer_key = std::move(k).value();
  }
  std::string text;
  if (o.file) {
    auto t = ReadInput(*o.file);
    if (!t.ok()) return Fail(kExitUsage, t.status());
    text = std::move(t).value();
  } else {
    text = *o.code;
  }
  auto card = types::CardFromText(text);
  if (!card.ok()) return Fail(kExitInvalid, "malformed card: " + card.status().message());
  auto body = types::DecodeCardBody(card->body);
  if (!body.ok()) return Fail(kExitInvalid, "malformed card: " + body.status().message());
  std::optional<bool> signature_ok;
  if (issuer_key) signature_ok = types::VerifyCardSignature(*card, *issuer_key);

  nlohmann::ordered_json j;
  j["chain_id"] = body->chain_id;
  j["credential_id"] = body->credential_id;
  j["issuer_id"] = body->issuer_id;
  j["key_version"] = body->key_version;
  j["type"] = types::CredentialTypeName(body->type);
  j["level"] = types::LevelName(body->level);
  j["holder_name"] = body->holder_name;
  j["member_no"] = body->member_no;
  j["salt"] = HexEncode(body->salt);
  j["valid_from"] = body->valid_from;
  j["valid_until"] = body->valid_until;
  j["card_digest"] = HexEncode(types::CardDigest(card->body));
  j["signature"] = HexEncode(card->signature);
  j["signature_valid"] = signature_ok ? nlohmann::ordered_json(*signature_ok) : nullptr;

  if (o.json) {
    std::cout << j.dump() << "\n";
  } else {
    std::ostringstream s;
    auto line = [&](const char* k, const std::string& v) {
      s << std::left << std::setw(15) << k << v << "\n";
    };
    line("chain_id", body->chain_id);
    line("credential_id", body->credential_id);
    line("issuer_id", body->issuer_id);
    line("key_version", std::to_string(body->key_version));
    line("type", types::CredentialTypeName(body->type));
    line("level", types::LevelName(body->level));
    line("holder_name", body->holder_name);
    line("member_no", body->member_no);
    line("salt", HexEncode(body->salt));
    line("valid_from",
         std::to_string(body->valid_from) + " (" + FormatUnixTime(body->valid_from) + ")");
    line("valid_until",
         std::to_string(body->valid_until) + " (" + FormatUnixTime(body->valid_until) + ")");
    line("card_digest", HexEncode(types::CardDigest(card->body)));
    line("signature", !signature_ok   ? "not checked (give --issuer-key)"
                      : *signature_ok ? "valid for " + HexEncode(*issuer_key)
                                      : "INVALID for " + HexEncode(*issuer_key));
    std::cout << s.str();
  }
  if (signature_ok == false) {
    return Fail(kExitInvalid,
                "card signature does not verify with issuer key " + HexEncode(*issuer_key));
  }
  return kExitOk;
}

}  // namespace

void RegisterCardCommands(CLI::App& app, CommandRun& run) {
  auto* card = app.add_subcommand("card", "Work with LC1: cards");
  card->require_subcommand(1);

  auto o = std::make_shared<CardInspectOptions>();
  auto* inspect = card->add_subcommand(
      "inspect", "Decode a card and show its fields and digest; check its signature offline");
  inspect->add_option("code", o->code, "The card text, LC1:...");
  inspect->add_option("--file", o->file, "Read the card text from a file (- for stdin)");
  inspect->add_option("--issuer-key", o->issuer_key,
                      "Issuer public key (hex): check the card signature, exit 1 if bad");
  inspect->add_flag("--json", o->json, "One-line JSON");
  inspect->callback([o, &run] { run = [o] { return RunCardInspect(*o); }; });
}

}  // namespace laurel::cli

// laurel holder keygen | present: the holder's side of holder binding (docs/gate.md "Holder
// binding").
//
// keygen writes the device key file (the laurel key file format, docs/spec/keyfile.md) and
// prints its public key, which the issuer signs into the card (`card issue --holder-key`).
// present signs, with that key, a presentation for one gate: the card's credential id, the
// gate id, and the gate's challenge nonce or the current 30-second slot
// (types/presentation.h); it prints "LP1:..." and with --qr writes it as a QR code PNG.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>

#include "cli/card_common.h"
#include "cli/commands.h"
#include "cli/net_tx.h"
#include "cli/qr.h"
#include "crypto/keyfile.h"
#include "types/card.h"
#include "types/presentation.h"

namespace laurel::cli {

Result<Bytes> ParseHolderKeyArg(const std::string& arg) {
  if (arg.size() == 64 && arg.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos) {
    return ParsePublicKeyHex(arg);
  }
  LAUREL_ASSIGN_OR_RETURN(std::string content, ReadInput(arg));
  const size_t first = content.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && content[first] == '{') return ReadPublicKeyOfKeyFile(arg);
  while (!content.empty() &&
         (content.back() == '\n' || content.back() == '\r' || content.back() == ' ')) {
    content.pop_back();
  }
  auto k = ParsePublicKeyHex(content);
  if (!k.ok()) {
    return Status::InvalidArgument(arg + ": not a public key (64 hex characters) nor a key file");
  }
  return k;
}

namespace {

struct HolderKeygenOptions {
  std::string out;
  std::optional<std::string> passphrase_file;
};

int RunHolderKeygen(const HolderKeygenOptions& o) {
  return GenerateKeyFile(o.out, o.passphrase_file);
}

struct PresentOptions {
  std::string card;
  std::string key;
  std::optional<std::string> passphrase_file;
  std::optional<std::string> nonce;
  bool slot_now = false;
  std::optional<uint64_t> at;
  std::string gate_id;
  std::optional<std::string> qr;
  bool json = false;
};

int RunHolderPresent(const PresentOptions& o) {
  if (o.nonce.has_value() == (o.slot_now || o.at.has_value())) {
    return Fail(kExitUsage, "give --nonce HEX (the gate's challenge) or --slot-now, not both");
  }
  auto text = ReadInput(o.card);
  if (!text.ok()) return Fail(kExitUsage, text.status());
  auto card = types::CardFromText(*text);
  if (!card.ok()) return Fail(kExitUsage, o.card + ": " + card.status().message());
  auto body = types::DecodeCardBody(card->body);
  if (!body.ok()) return Fail(kExitUsage, o.card + ": " + body.status().message());
  auto key = LoadKey(o.key, o.passphrase_file);
  if (!key.ok()) return Fail(kExitUsage, key.status());
  if (!body->bound()) {
    return Fail(kExitUsage, o.card +
                                ": the card is not bound to a device key (issued without "
                                "--holder-key); gates take it without a presentation");
  }
  if (!std::equal(body->holder_key.begin(), body->holder_key.end(), key->public_key().begin())) {
    return Fail(kExitUsage, o.card + " is bound to device key " + HexEncode(body->holder_key) +
                                ", not to " + o.key + " (" + HexEncode(key->public_key()) + ")");
  }
  types::PresentationBody p;
  p.credential_id = body->credential_id;
  p.gate_id = o.gate_id;
  if (o.nonce) {
    auto n = HexDecode(*o.nonce);
    if (!n) return Fail(kExitUsage, "--nonce: not hex");
    p.kind = types::ChallengeKind::kNonce;
    p.nonce = std::move(*n);
  } else {
    const uint64_t now =
        o.at ? *o.at
             : static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
    p.kind = types::ChallengeKind::kSlot;
    p.slot = types::SlotOf(now);
  }
  auto signed_p = types::SignPresentation(p, *key);
  if (!signed_p.ok()) return Fail(kExitUsage, signed_p.status());
  const std::string out = types::PresentationToText(*signed_p);
  if (o.qr) {
    if (Status st = CheckFree("--qr", o.qr); !st.ok()) return Fail(kExitUsage, st);
    auto png = EncodeQrPng(out);
    if (!png.ok()) return Fail(kExitUsage, png.status());
    if (Status st = WriteOutput(*o.qr, *png, /*exclusive=*/true); !st.ok()) {
      return Fail(kExitUsage, st);
    }
  }
  if (o.json) {
    Json j = {{"presentation", out},
              {"credential_id", p.credential_id},
              {"gate_id", p.gate_id},
              {"challenge", o.nonce ? "nonce" : "slot"}};
    if (o.nonce) {
      j["nonce"] = HexEncode(p.nonce);
    } else {
      j["slot"] = p.slot;
      j["slot_start"] = p.slot * types::kSlotSeconds;
    }
    if (o.qr) j["qr_file"] = *o.qr;
    PrintJson(j);
  } else {
    std::cout << out << "\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterHolderCommands(CLI::App& app, CommandRun& run) {
  auto* holder = app.add_subcommand(
      "holder", "The holder's phone: a device key, and presentations for bound cards");
  holder->require_subcommand(1);

  auto k = std::make_shared<HolderKeygenOptions>();
  auto* keygen = holder->add_subcommand(
      "keygen", "Create the device key file (mode 0600); print its public key in hex");
  keygen->add_option("--out", k->out, "Key file to create (never overwritten)")->required();
  keygen->add_option("--passphrase-file", k->passphrase_file,
                     "Encrypt the key with the passphrase in this file (Argon2id)");
  keygen->callback([k, &run] { run = [k] { return RunHolderKeygen(*k); }; });

  auto p = std::make_shared<PresentOptions>();
  auto* present = holder->add_subcommand(
      "present", "Sign a presentation of a bound card for one gate; print LP1:...");
  present->add_option("--card", p->card, "The card file (LC1:...; - for stdin)")->required();
  present->add_option("--key", p->key, "The device key file the card is bound to")->required();
  present->add_option("--passphrase-file", p->passphrase_file, "Passphrase of an encrypted key");
  present->add_option("--nonce", p->nonce, "The gate's challenge (hex, 8 to 32 bytes)");
  present->add_flag("--slot-now", p->slot_now, "Answer the current 30-second slot instead");
  present->add_option("--at", p->at, "With --slot-now: the slot of these unix seconds (tests)");
  present->add_option("--gate-id", p->gate_id, "The gate's id (shown at the gate)")->required();
  present->add_option("--qr", p->qr, "Also write the presentation as a QR code PNG");
  present->add_flag("--json", p->json, "Print the presentation and its fields as JSON");
  present->callback([p, &run] { run = [p] { return RunHolderPresent(*p); }; });
}

}  // namespace laurel::cli

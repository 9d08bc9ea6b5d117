// laurel card issue | renew | suspend | reinstate | revoke | inspect.
//
// issue/renew make a card (CardBody signed by the issuer's current key, a fresh random salt),
// put its digest on the ledger in one transaction, and only once that committed OK write the
// card file ("LC1:..." + "\n") and, with --qr, its QR code PNG. suspend/reinstate/revoke are
// one SetCredentialStatus transaction each (cli/net_tx.h). inspect is offline: decode, show the
// body and digest, and with the issuer's public key check the signature; whether the card is
// on the ledger and active is `laurel verify`'s job.
#include <sodium.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <sstream>

#include "cli/card_common.h"
#include "cli/card_print.h"
#include "cli/commands.h"
#include "cli/net_tx.h"
#include "cli/qr.h"
#include "cli/text_input.h"
#include "ledger/rules.h"
#include "types/card.h"
#include "types/text_rules.h"

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
  // The API's spelling of the enums (protobuf names): a member card's level is
  // LEVEL_UNSPECIFIED there, and here.
  const std::string level = body->level == types::Level::kUnspecified
                                ? std::string("LEVEL_UNSPECIFIED")
                                : std::string(types::LevelName(body->level));
  j["level"] = level;
  j["holder_name"] = body->holder_name;
  j["member_no"] = body->member_no;
  j["salt"] = HexEncode(body->salt);
  j["valid_from"] = body->valid_from;
  j["valid_until"] = body->valid_until;
  j["holder_key"] = body->bound() ? nlohmann::ordered_json(HexEncode(body->holder_key)) : nullptr;
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
    line("level", level);
    line("holder_name", body->holder_name);
    line("member_no", body->member_no);
    line("salt", HexEncode(body->salt));
    line("valid_from",
         std::to_string(body->valid_from) + " (" + FormatUnixTime(body->valid_from) + ")");
    line("valid_until",
         std::to_string(body->valid_until) + " (" + FormatUnixTime(body->valid_until) + ")");
    line("holder_key",
         body->bound() ? HexEncode(body->holder_key) : "none (unbound: no presentation asked)");
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

// ---- shared by issue and renew (and the batch commands, cli/card_common.h) ----

// Refuses (kAlreadyExists) before anything is submitted when an output file exists: a card
// is never written over another, and a card on the ledger must not be left without its file.
Status CheckFree(const std::string& flag, const std::optional<std::string>& path) {
  if (!path || *path == "-") return Status::Ok();
  std::error_code ec;
  if (std::filesystem::symlink_status(*path, ec).type() != std::filesystem::file_type::not_found) {
    return Status::AlreadyExists(flag + " " + *path + " already exists; not overwriting it");
  }
  return Status::Ok();
}

// Writes the card file and the QR code, never over an existing file. On failure the message
// carries the card text, which is on the ledger already and must not be lost.
Status WriteCardFiles(const std::string& text, const std::string& out,
                      const std::optional<std::string>& qr) {
  auto lost = [&](const Status& st) {
    return Status(st.code(), st.message() + "; the card is on the ledger, its text is " + text);
  };
  if (Status st = WriteOutput(out, text + "\n", /*exclusive=*/true); !st.ok()) return lost(st);
  if (qr) {
    auto png = EncodeQrPng(text);
    if (!png.ok()) return lost(png.status());
    if (Status st = WriteOutput(*qr, *png, /*exclusive=*/true); !st.ok()) return lost(st);
  }
  return Status::Ok();
}

// The key version to put in a card of `issuer_id` signed by `key`: the issuer's current one,
// after checking that `key` is that version's public key. With `override_version` (testing
// refusals) that version is used unchecked.
Result<uint32_t> KeyVersionFor(RpcClient& c, const std::string& issuer_id,
                               const crypto::PrivateKey& key,
                               std::optional<uint32_t> override_version) {
  LAUREL_ASSIGN_OR_RETURN(Json j, c.Get("/v1/issuers/" + UrlEscape(issuer_id)));
  if (override_version) return *override_version;
  const uint64_t current = JsonU64Or0(j, "current_key_version");
  std::string current_pk;
  if (j.contains("keys") && j["keys"].is_array()) {
    for (const auto& k : j["keys"]) {
      if (JsonU64Or0(k, "key_version") == current) current_pk = JsonStr(k, "public_key");
    }
  }
  if (current == 0 || current > UINT32_MAX || current_pk.empty()) {
    return Status::Unavailable("node at " + c.url() + ": issuer " + issuer_id +
                               " has no current key in its answer");
  }
  const std::string mine = HexEncode(key.public_key());
  if (current_pk != mine) {
    return Status::InvalidArgument(
        "--key " + mine.substr(0, 16) + "... is not the current key of issuer " + issuer_id +
        " (key version " + std::to_string(current) + " is " + current_pk.substr(0, 16) +
        "...); a card signed by it would be refused");
  }
  return static_cast<uint32_t>(current);
}

// "<issuer>/<MW|M>/<year>/<6 random digits>".
std::string DefaultCredentialId(const std::string& issuer, types::CredentialType type) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char digits[8];
  std::snprintf(digits, sizeof digits, "%06u", randombytes_uniform(1000000));
  return issuer + (type == types::CredentialType::kModelWorker ? "/MW/" : "/M/") +
         std::to_string(tm.tm_year + 1900) + "/" + digits;
}

Result<Validity> ParseValidity(const std::optional<std::string>& from, const std::string& until) {
  Validity v;
  if (from) {
    auto t = ParseTime(*from);
    if (!t.ok()) return Status::InvalidArgument("--valid-from: " + t.status().message());
    v.from = *t;
  } else {
    v.from = static_cast<uint64_t>(std::time(nullptr));
  }
  auto t = ParseTime(until);
  if (!t.ok()) return Status::InvalidArgument("--valid-until: " + t.status().message());
  v.until = *t;
  if (v.until <= v.from) {
    return Status::InvalidArgument("--valid-until (" + FormatUnixTime(v.until) +
                                   ") must be after --valid-from (" + FormatUnixTime(v.from) + ")");
  }
  return v;
}

// The holder name or member number as typed: UTF-8 (refused otherwise), put in Unicode
// Normalization Form C, surrounding spaces removed.
Result<std::string> DisplayInput(const std::string& what, std::string_view s) {
  if (!types::IsUtf8(s)) {
    return Status::InvalidArgument(what + " is not UTF-8 text (a GBK/GB18030 file or terminal? "
                                          "convert it to UTF-8, or use `card issue-csv`, which "
                                          "reads GBK/GB18030 files)");
  }
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  auto nfc = types::ToNfc(s);
  if (!nfc.ok()) return Status::InvalidArgument(what + ": " + nfc.status().message());
  return nfc;
}

// Signs the card; refuses one too large for a card (or a QR code), or one whose display
// fields break the display-text rules (a gate would refuse it as UNSAFE_TEXT).
Result<std::string> MakeCardText(types::CardBody body, const crypto::PrivateKey& key,
                                 const std::optional<Bytes>& salt) {
  LAUREL_RETURN_IF_ERROR(types::CheckCardDisplayFields(body));
  if (salt && salt->size() == types::kCardSaltSize) {
    body.salt = *salt;
  } else {
    body.salt.resize(types::kCardSaltSize);
    randombytes_buf(body.salt.data(), body.salt.size());
  }
  const types::Card card = types::SignCard(body, key);
  std::string text = types::CardToText(card);
  if (auto back = types::CardFromText(text); !back.ok()) {
    return Status::InvalidArgument("cannot make this card: " + back.status().message());
  }
  return text;
}

namespace {

// The single issuer key of issue/renew.
struct IssuerKeyOptions {
  std::string key;
  std::optional<std::string> passphrase_file;
  uint64_t expires_in = kDefaultExpiresIn;
  std::optional<uint32_t> key_version;
};

void AddIssuerKeyOptions(CLI::App* cmd, IssuerKeyOptions& o) {
  cmd->add_option("--key", o.key, "The issuer's current key file")->required();
  cmd->add_option("--passphrase-file", o.passphrase_file, "Passphrase of an encrypted key");
  cmd->add_option("--expires-in", o.expires_in, "Tx expiry in blocks after the current height")
      ->capture_default_str();
  cmd->add_option("--key-version", o.key_version,
                  "Put this key version in the card unchecked (for testing refusals)");
}

// The validity and the files of a new card (issue, renew).
struct CardFileOptions {
  std::optional<std::string> valid_from;
  std::string valid_until;
  std::string out;
  std::optional<std::string> qr;
};

void AddCardFileOptions(CLI::App* cmd, CardFileOptions& o) {
  cmd->add_option("--valid-from", o.valid_from, "YYYY-MM-DD (UTC) or unix seconds; default now");
  cmd->add_option("--valid-until", o.valid_until, "YYYY-MM-DD (UTC) or unix seconds")->required();
  cmd->add_option("--out", o.out, "Card file to write (never overwritten)")->required();
  cmd->add_option("--qr", o.qr, "Also write the card as a QR code PNG (never overwritten)");
}

// The card file and the optional QR file: both new, and distinct.
Status CheckCardOutputs(const std::string& out, const std::optional<std::string>& qr) {
  for (const Status& st : {CheckFree("--out", out), CheckFree("--qr", qr)}) {
    LAUREL_RETURN_IF_ERROR(st);
  }
  if (out == "-") return Status::InvalidArgument("--out must be a file");
  if (qr == out) return Status::InvalidArgument("--qr and --out must be different files");
  return Status::Ok();
}

// Submits the issuing/renewing tx; on OK writes the files.
int SubmitCard(Node& node, const NetOptions& net, const IssuerKeyOptions& k,
               const crypto::PrivateKey& key, const std::string& chain_id, uint64_t height,
               types::Action action, const std::string& credential_id, const std::string& text,
               const std::string& out, const std::optional<std::string>& qr) {
  TxFrame frame{chain_id, height + k.expires_in};
  auto tx = BuildSignedTx(frame, std::move(action), {key});
  if (!tx.ok()) return Fail(kExitUsage, tx.status());
  // The file names are printed only once the files exist (the tx committed OK).
  const std::vector<std::pair<std::string, std::string>> extra = {
      {"credential_id", credential_id}};
  const Json extra_json = {{"credential_id", credential_id}};
  std::vector<std::pair<std::string, std::string>> ok_extra = {{"card_file", out}};
  Json ok_extra_json = {{"card", text}, {"card_file", out}};
  if (qr) {
    ok_extra.emplace_back("qr_file", *qr);
    ok_extra_json["qr_file"] = *qr;
  }
  return SubmitAndReport(
      node, net, *tx, /*no_wait=*/false, extra, extra_json,
      [&] { return WriteCardFiles(text, out, qr); }, ok_extra, ok_extra_json);
}

// ---- card qr ----

struct CardQrOptions {
  std::optional<std::string> code;
  std::optional<std::string> file;
  std::string out;
  bool print = false;
  std::string union_name;
};

int RunCardQr(const CardQrOptions& o) {
  if (o.code.has_value() == o.file.has_value()) {
    return Fail(kExitUsage, "give the card either as an argument (LC1:...) or with --file");
  }
  std::string format_name = "png";
  if (const auto dot = o.out.rfind('.'); dot != std::string::npos) {
    format_name = o.out.substr(dot + 1);
    for (char& ch : format_name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  if (format_name != "png" && format_name != "pdf") {
    return Fail(kExitUsage, "--out " + o.out + ": write a .png or a .pdf file");
  }
  if (format_name == "pdf" && !o.print) {
    return Fail(kExitUsage, "a PDF is a printable card: add --print");
  }
  if (!o.union_name.empty()) {
    if (Status st = types::CheckDisplayText("--union", o.union_name, 64); !st.ok()) {
      return Fail(kExitUsage, st);
    }
  }
  if (o.out == "-") return Fail(kExitUsage, "--out must be a file");
  if (Status st = CheckFree("--out", o.out); !st.ok()) return Fail(kExitUsage, st);
  std::string text;
  if (o.file) {
    auto t = ReadInput(*o.file);
    if (!t.ok()) return Fail(kExitUsage, t.status());
    text = std::move(t).value();
  } else {
    text = *o.code;
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.erase(0, 1);
  auto card = types::CardFromText(text);
  if (!card.ok()) return Fail(kExitInvalid, "malformed card: " + card.status().message());
  auto body = types::DecodeCardBody(card->body);
  if (!body.ok()) return Fail(kExitInvalid, "malformed card: " + body.status().message());
  if (Status st = types::CheckCardDisplayFields(*body); !st.ok()) {
    return Fail(kExitInvalid, "this card would be refused at gates (UNSAFE_TEXT): " + st.message());
  }
  Result<std::string> bytes = Status::Internal("unset");
  if (o.print) {
    bytes = RenderPrintableCard({text, *body, o.union_name},
                                format_name == "pdf" ? PrintFormat::kPdf : PrintFormat::kPng);
  } else {
    bytes = EncodeQrPng(text);
  }
  if (!bytes.ok()) return Fail(kExitInvalid, bytes.status());
  if (Status st = WriteOutput(o.out, *bytes, /*exclusive=*/true); !st.ok()) {
    return Fail(kExitUsage, st);
  }
  std::cout << "wrote " << o.out << ": "
            << (o.print ? std::string("printable card (85.60 x 53.98 mm") +
                              (format_name == "png" ? ", 300 dpi)" : ")")
                        : std::string("QR code"))
            << " of " << body->credential_id << "\n";
  return kExitOk;
}

// ---- card issue ----

struct CardIssueOptions : CardFileOptions {
  NetOptions net;
  IssuerKeyOptions k;
  std::string issuer;
  std::string type;
  std::optional<std::string> level;
  std::string holder_name;
  std::string member_no;
  std::optional<std::string> id;
  std::optional<std::string> holder_key;  // the holder's device key: binds the card
};

int RunCardIssue(const CardIssueOptions& o) {
  if (!ledger::IsValidIssuerId(o.issuer)) {
    return Fail(kExitUsage, "--issuer \"" + o.issuer + "\" is not an issuer id ([a-z0-9-]{2,64})");
  }
  auto type = ParseCredentialType(o.type);
  if (!type.ok()) return Fail(kExitUsage, "--type: " + type.status().message());
  types::Level level = types::Level::kUnspecified;
  if (*type == types::CredentialType::kModelWorker) {
    if (!o.level) return Fail(kExitUsage, "--level is required for model_worker cards");
    auto l = ParseLevel(*o.level);
    if (!l.ok()) return Fail(kExitUsage, "--level: " + l.status().message());
    level = *l;
  } else if (o.level) {
    return Fail(kExitUsage, "member cards have no --level");
  }
  auto holder_name = DisplayInput("--holder-name", o.holder_name);
  if (!holder_name.ok()) return Fail(kExitUsage, holder_name.status());
  auto member_no = DisplayInput("--member-no", o.member_no);
  if (!member_no.ok()) return Fail(kExitUsage, member_no.status());
  {
    types::CardBody shown;
    shown.holder_name = *holder_name;
    shown.member_no = *member_no;
    if (Status st = types::CheckCardDisplayFields(shown); !st.ok()) return Fail(kExitUsage, st);
  }
  auto validity = ParseValidity(o.valid_from, o.valid_until);
  if (!validity.ok()) return Fail(kExitUsage, validity.status());
  const std::string id = o.id ? *o.id : DefaultCredentialId(o.issuer, *type);
  if (!ledger::IsValidCredentialId(id, o.issuer)) {
    return Fail(kExitUsage, "--id \"" + id + "\" must be \"" + o.issuer +
                                "/...\": printable ASCII without spaces, at most " +
                                std::to_string(ledger::kMaxCredentialIdLength) + " bytes");
  }
  if (Status st = CheckCardOutputs(o.out, o.qr); !st.ok()) return Fail(kExitUsage, st);
  Bytes holder_key;
  if (o.holder_key) {
    auto hk = ParseHolderKeyArg(*o.holder_key);
    if (!hk.ok()) return Fail(kExitUsage, "--holder-key: " + hk.status().message());
    holder_key = std::move(hk).value();
  }
  auto key = LoadKey(o.k.key, o.k.passphrase_file);
  if (!key.ok()) return Fail(kExitUsage, key.status());

  Node node(o.net.rpc);
  auto status = node.Status();
  if (!status.ok()) return FailFor(status.status());
  auto client = node.Get();
  if (!client.ok()) return FailFor(client.status());
  auto version = KeyVersionFor(**client, o.issuer, *key, o.k.key_version);
  if (!version.ok()) return FailFor(version.status());

  types::CardBody body;
  body.chain_id = JsonStr(*status, "chain_id");
  body.credential_id = id;
  body.issuer_id = o.issuer;
  body.key_version = *version;
  body.type = *type;
  body.level = level;
  body.holder_name = *holder_name;
  body.member_no = *member_no;
  body.valid_from = validity->from;
  body.valid_until = validity->until;
  body.holder_key = holder_key;
  auto text = MakeCardText(body, *key);
  if (!text.ok()) return Fail(kExitUsage, text.status());
  auto card = types::CardFromText(*text);
  LAUREL_CHECK(card.ok(), "a card just made does not decode");

  types::IssueCredential a;
  a.credential_id = id;
  a.issuer_id = o.issuer;
  a.type = *type;
  a.level = level;
  const Hash32 digest = types::CardDigest(card->body);
  a.card_digest.assign(digest.begin(), digest.end());
  a.valid_from = validity->from;
  a.valid_until = validity->until;
  return SubmitCard(node, o.net, o.k, *key, body.chain_id, JsonU64Or0(*status, "height"),
                    std::move(a), id, *text, o.out, o.qr);
}

// ---- card issue-csv ----

struct CardIssueCsvOptions {
  std::string csv;
  std::string out_dir;
  std::string encoding = "auto";
  bool qr = false;
  CardIssueOptions defaults;  // --issuer, --type, --level, validity, key, --rpc
};

}  // namespace

// The column a header names, case-insensitive, English or Chinese; "" when unknown.
std::string ColumnOf(std::string header) {
  while (!header.empty() && header.back() == ' ') header.pop_back();
  while (!header.empty() && header.front() == ' ') header.erase(0, 1);
  std::string h;
  for (char c : header) h += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (h == "holder_name" || h == "name" || h == "姓名") return "holder_name";
  if (h == "member_no" || h == "会员号" || h == "会员编号") return "member_no";
  if (h == "id" || h == "credential_id" || h == "证书编号") return "id";
  if (h == "type" || h == "类型") return "type";
  if (h == "level" || h == "级别") return "level";
  if (h == "valid_from") return "valid_from";
  if (h == "valid_until") return "valid_until";
  if (h == "holder_key" || h == "设备公钥") return "holder_key";
  return "";
}

// "harbour-north/M/2026/000002" -> "harbour-north_M_2026_000002".
std::string FileStemOf(const std::string& id) {
  std::string out = id;
  for (char& c : out) {
    if (c == '/' || c == '\\' || c == ':') c = '_';
  }
  return out;
}

namespace {

int RunCardIssueCsv(const CardIssueCsvOptions& o) {
  auto encoding = ParseTextEncoding(o.encoding);
  if (!encoding.ok()) return Fail(kExitUsage, "--encoding: " + encoding.status().message());
  auto raw = ReadInput(o.csv);
  if (!raw.ok()) return Fail(kExitUsage, raw.status());
  std::string used;
  auto text = DecodeText(*raw, *encoding, &used);
  if (!text.ok()) return Fail(kExitUsage, o.csv + ": " + text.status().message());
  auto rows = ParseCsv(*text);
  if (!rows.ok()) return Fail(kExitUsage, o.csv + ": " + rows.status().message());
  if (rows->size() < 2) return Fail(kExitUsage, o.csv + ": no header row and member rows");
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < (*rows)[0].fields.size(); ++i) {
    const std::string c = ColumnOf((*rows)[0].fields[i]);
    if (c.empty()) {
      return Fail(kExitUsage, o.csv + ": unknown column \"" + Printable((*rows)[0].fields[i]) +
                                  "\" (holder_name/姓名, member_no/会员号, id, type, level, "
                                  "valid_from, valid_until, holder_key)");
    }
    if (!col.emplace(c, i).second) return Fail(kExitUsage, o.csv + ": column " + c + " twice");
  }
  if (!col.count("holder_name") || !col.count("member_no")) {
    return Fail(kExitUsage, o.csv + ": the header needs holder_name (姓名) and member_no (会员号)");
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(o.out_dir, ec)) {
    return Fail(kExitUsage, "--out-dir " + o.out_dir + " is not a folder");
  }

  // Every row is checked before anything is signed or sent: a bad row stops the whole file.
  std::vector<CardIssueOptions> cards;
  std::set<std::string> ids;
  for (size_t r = 1; r < rows->size(); ++r) {
    const CsvRow& row = (*rows)[r];
    const std::string at = o.csv + " line " + std::to_string(row.line) + ": ";
    auto field = [&](const std::string& name) -> std::optional<std::string> {
      auto it = col.find(name);
      if (it == col.end() || it->second >= row.fields.size()) return std::nullopt;
      std::string v = row.fields[it->second];
      while (!v.empty() && v.back() == ' ') v.pop_back();
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      if (v.empty()) return std::nullopt;
      return v;
    };
    if (row.fields.size() > (*rows)[0].fields.size()) {
      return Fail(kExitUsage, at + "more fields than the header has columns");
    }
    CardIssueOptions c = o.defaults;
    c.holder_name = field("holder_name").value_or("");
    c.member_no = field("member_no").value_or("");
    if (auto v = field("type")) c.type = *v;
    if (auto v = field("level")) c.level = *v;
    if (auto v = field("valid_from")) c.valid_from = *v;
    if (auto v = field("valid_until")) c.valid_until = *v;
    if (auto v = field("holder_key")) {
      if (!ParsePublicKeyHex(*v).ok()) {
        return Fail(kExitUsage, at + "holder_key: not 64 hex characters (an Ed25519 public key)");
      }
      c.holder_key = *v;
    }
    if (c.type.empty()) return Fail(kExitUsage, at + "no type (give --type or a type column)");
    if (c.valid_until.empty()) {
      return Fail(kExitUsage, at + "no valid_until (give --valid-until or a column)");
    }
    auto type = ParseCredentialType(c.type);
    if (!type.ok()) return Fail(kExitUsage, at + "type: " + type.status().message());
    if (*type == types::CredentialType::kMember) c.level.reset();
    auto h = DisplayInput("holder name", c.holder_name);
    if (!h.ok()) return Fail(kExitUsage, at + h.status().message());
    auto m = DisplayInput("member number", c.member_no);
    if (!m.ok()) return Fail(kExitUsage, at + m.status().message());
    types::CardBody shown;
    shown.holder_name = *h;
    shown.member_no = *m;
    if (Status st = types::CheckCardDisplayFields(shown); !st.ok()) {
      return Fail(kExitUsage, at + st.message());
    }
    c.holder_name = *h;
    c.member_no = *m;
    c.id = field("id").value_or(DefaultCredentialId(c.issuer, *type));
    if (!ledger::IsValidCredentialId(*c.id, c.issuer)) {
      return Fail(kExitUsage, at + "id \"" + Printable(*c.id) + "\" must be \"" + c.issuer +
                                  "/...\": printable ASCII without spaces, at most " +
                                  std::to_string(ledger::kMaxCredentialIdLength) + " bytes");
    }
    if (!ids.insert(*c.id).second) return Fail(kExitUsage, at + "id " + *c.id + " twice");
    auto validity = ParseValidity(c.valid_from, c.valid_until);
    if (!validity.ok()) return Fail(kExitUsage, at + validity.status().message());
    const std::string stem = (std::filesystem::path(o.out_dir) / FileStemOf(*c.id)).string();
    c.out = stem + ".lc1";
    if (o.qr) c.qr = stem + ".png";
    if (Status st = CheckCardOutputs(c.out, c.qr); !st.ok()) return Fail(kExitUsage, at + st.message());
    cards.push_back(std::move(c));
  }
  if (!o.defaults.net.json) {
    std::cout << o.csv << ": " << cards.size() << " cards (" << used << ")\n" << std::flush;
  }
  size_t issued = 0;
  int worst = kExitOk;
  for (const CardIssueOptions& c : cards) {
    const int rc = RunCardIssue(c);
    if (rc == kExitOk) {
      ++issued;
    } else {
      worst = std::max(worst, rc);
    }
  }
  if (!o.defaults.net.json) {
    std::cout << "issued " << issued << " of " << cards.size() << " cards into " << o.out_dir
              << "\n";
  }
  if (issued != cards.size()) {
    return Fail(worst, std::to_string(cards.size() - issued) + " of " +
                           std::to_string(cards.size()) + " cards not issued (see above)");
  }
  return kExitOk;
}

// ---- card renew ----

struct CardRenewOptions : CardFileOptions {
  NetOptions net;
  IssuerKeyOptions k;
  std::string id;
  std::optional<std::string> card;
  std::optional<std::string> holder_name;
  std::optional<std::string> member_no;
  std::optional<std::string> holder_key;  // "none": unbind
};

int RunCardRenew(const CardRenewOptions& o) {
  std::string holder_name = o.holder_name.value_or("");
  std::string member_no = o.member_no.value_or("");
  Bytes holder_key;  // the old card's, unless --holder-key says otherwise
  if (o.holder_key && *o.holder_key != "none") {
    auto hk = ParseHolderKeyArg(*o.holder_key);
    if (!hk.ok()) return Fail(kExitUsage, "--holder-key: " + hk.status().message());
    holder_key = std::move(hk).value();
  }
  if (o.card) {
    auto t = ReadInput(*o.card);
    if (!t.ok()) return Fail(kExitUsage, t.status());
    auto old = types::CardFromText(*t);
    if (!old.ok())
      return Fail(kExitInvalid, *o.card + ": malformed card: " + old.status().message());
    auto b = types::DecodeCardBody(old->body);
    if (!b.ok()) return Fail(kExitInvalid, *o.card + ": malformed card: " + b.status().message());
    if (b->credential_id != o.id) {
      return Fail(kExitUsage,
                  "--card " + *o.card + " is the card of " + b->credential_id + ", not of " + o.id);
    }
    if (!o.holder_name) holder_name = b->holder_name;
    if (!o.member_no) member_no = b->member_no;
    if (!o.holder_key) holder_key = b->holder_key;
  }
  if (holder_name.empty() || member_no.empty()) {
    return Fail(kExitUsage, "give the old card (--card) or --holder-name and --member-no");
  }
  {
    auto h = DisplayInput("holder name", holder_name);
    if (!h.ok()) return Fail(kExitUsage, h.status());
    auto m = DisplayInput("member number", member_no);
    if (!m.ok()) return Fail(kExitUsage, m.status());
    holder_name = *h;
    member_no = *m;
    types::CardBody shown;
    shown.holder_name = holder_name;
    shown.member_no = member_no;
    if (Status st = types::CheckCardDisplayFields(shown); !st.ok()) return Fail(kExitUsage, st);
  }
  auto validity = ParseValidity(o.valid_from, o.valid_until);
  if (!validity.ok()) return Fail(kExitUsage, validity.status());
  if (Status st = CheckCardOutputs(o.out, o.qr); !st.ok()) return Fail(kExitUsage, st);
  auto key = LoadKey(o.k.key, o.k.passphrase_file);
  if (!key.ok()) return Fail(kExitUsage, key.status());

  Node node(o.net.rpc);
  auto status = node.Status();
  if (!status.ok()) return FailFor(status.status());
  auto client = node.Get();
  if (!client.ok()) return FailFor(client.status());
  auto record = (*client)->Get("/v1/credentials/" + UrlEscape(o.id));
  if (!record.ok()) return FailFor(record.status());
  types::CardBody body;
  body.chain_id = JsonStr(*status, "chain_id");
  body.credential_id = o.id;
  body.issuer_id = JsonStr(*record, "issuer_id");
  auto type = ParseCredentialType(JsonStr(*record, "type"));
  if (!type.ok()) return Fail(kExitUsage, "the node's record: " + type.status().message());
  body.type = *type;
  if (body.type == types::CredentialType::kModelWorker) {
    auto level = ParseLevel(JsonStr(*record, "level"));
    if (!level.ok()) return Fail(kExitUsage, "the node's record: " + level.status().message());
    body.level = *level;
  }
  auto version = KeyVersionFor(**client, body.issuer_id, *key, o.k.key_version);
  if (!version.ok()) return FailFor(version.status());
  body.key_version = *version;
  body.holder_name = holder_name;
  body.member_no = member_no;
  body.valid_from = validity->from;
  body.valid_until = validity->until;
  body.holder_key = holder_key;
  auto text = MakeCardText(body, *key);
  if (!text.ok()) return Fail(kExitUsage, text.status());
  auto card = types::CardFromText(*text);
  LAUREL_CHECK(card.ok(), "a card just made does not decode");

  types::RenewCredential a;
  a.credential_id = o.id;
  const Hash32 digest = types::CardDigest(card->body);
  a.card_digest.assign(digest.begin(), digest.end());
  a.valid_from = validity->from;
  a.valid_until = validity->until;
  return SubmitCard(node, o.net, o.k, *key, body.chain_id, JsonU64Or0(*status, "height"),
                    std::move(a), o.id, *text, o.out, o.qr);
}

// ---- card replace ----

// A lost or stolen card (a lost phone): a new card for the same credential, in one
// transaction (RenewCredential: new salt, new digest), so that the card in the lost phone is
// refused for good (DIGEST_MISMATCH) whatever happens to the credential's status later. The
// validity stays the record's unless --valid-until is given.
struct CardReplaceOptions {
  CardRenewOptions renew;
};

int RunCardReplace(CardReplaceOptions o) {
  Result<Json> record = Status::Internal("unset");
  {
    // Its own connection, closed before the renewal opens one.
    Node node(o.renew.net.rpc);
    auto client = node.Get();
    if (!client.ok()) return FailFor(client.status());
    record = (*client)->Get("/v1/credentials/" + UrlEscape(o.renew.id));
  }
  if (!record.ok()) return FailFor(record.status());
  const std::string status = JsonStr(*record, "status");
  if (status == "REVOKED") {
    return Fail(kExitInvalid, o.renew.id +
                                  " is REVOKED: it cannot be replaced (ILLEGAL_TRANSITION); "
                                  "issue a new credential");
  }
  if (o.renew.valid_until.empty()) {
    o.renew.valid_until = std::to_string(JsonU64Or0(*record, "valid_until"));
  }
  const int rc = RunCardRenew(o.renew);
  if (rc == kExitOk && !o.renew.net.json) {
    std::cout << "replaced: the previous card of " << o.renew.id
              << " is refused from now on (DIGEST_MISMATCH)";
    if (status == "SUSPENDED") {
      std::cout << "; the credential is still SUSPENDED: `laurel card reinstate --id "
                << o.renew.id << "` once the holder has the new card";
    }
    std::cout << "\n";
  }
  return rc;
}

// ---- card suspend | reinstate | revoke ----

struct CardStatusOptions {
  NetOptions net;
  TxOptions tx;
  std::string id;
  std::string reason;
  bool dry_run = false;
  bool yes = false;
};

const char* StatusWord(types::CredentialStatus s) {
  switch (s) {
    case types::CredentialStatus::kActive:
      return "ACTIVE";
    case types::CredentialStatus::kSuspended:
      return "SUSPENDED";
    case types::CredentialStatus::kRevoked:
      return "REVOKED";
    default:
      return "UNSPECIFIED";
  }
}

// Why the change from the record's status to `to` would be refused (ILLEGAL_TRANSITION),
// or "" when it is allowed.
std::string WhyIllegal(const std::string& id, const Json& record, types::CredentialStatus to) {
  const std::string now = JsonStr(record, "status");
  const std::string reason = JsonStr(record, "status_reason");
  const std::string by = JsonStr(record, "status_set_by");
  const std::string since = std::to_string(JsonU64Or0(record, "updated_height"));
  const std::string detail = " since height " + since + (by.empty() ? "" : ", set by the " + by) +
                             (reason.empty() ? "" : ", reason \"" + reason + "\"");
  if (now == "REVOKED") {
    return id + " is REVOKED" + detail +
           "; revocation is final: it can never be reinstated, suspended, renewed or revoked "
           "again (ILLEGAL_TRANSITION). Issue a new credential to give the holder a card";
  }
  if (now == StatusWord(to)) {
    return id + " is " + now + " already" + detail + "; nothing to change (ILLEGAL_TRANSITION)";
  }
  return "";
}

// Asks on the terminal; true when the user typed "yes".
bool ConfirmOnTerminal(const std::string& question) {
  std::cerr << question << " Type yes to confirm: " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  while (!answer.empty() && std::isspace(static_cast<unsigned char>(answer.back()))) {
    answer.pop_back();
  }
  return answer == "yes";
}

int RunCardStatus(const CardStatusOptions& o, types::CredentialStatus status) {
  const std::string issuer = o.id.substr(0, o.id.find('/'));
  if (!ledger::IsValidCredentialId(o.id, issuer)) {
    return Fail(kExitUsage, "--id \"" + o.id + "\" is not a credential id (ISSUER/...)");
  }
  if (Status st = types::CheckDisplayText("--reason", o.reason, 0, true); !st.ok()) {
    return Fail(kExitUsage, st);
  }
  const bool offline = o.tx.out && o.tx.chain_id && o.tx.expires_at_height;
  std::string from = "?";
  if (!offline) {
    // The record first: a change the ledger would refuse is explained, and not sent.
    Node node(o.net.rpc);
    auto client = node.Get();
    if (!client.ok()) return FailFor(client.status());
    auto record = (*client)->Get("/v1/credentials/" + UrlEscape(o.id));
    if (record.ok()) {
      from = JsonStr(*record, "status");
      if (std::string why = WhyIllegal(o.id, *record, status); !why.empty()) {
        return Fail(kExitInvalid, why);
      }
    } else if (record.status().code() != StatusCode::kInvalidArgument) {  // not a 4xx
      return FailFor(record.status());
    } else if (o.dry_run) {
      return Fail(kExitInvalid, "no credential " + o.id + " on the ledger (UNKNOWN_CREDENTIAL)");
    }
  }
  if (o.dry_run) {
    auto keys = LoadSigningKeys(o.tx);
    if (!keys.ok()) return Fail(kExitUsage, keys.status());
    std::string signers;
    for (const auto& k : *keys) {
      signers += (signers.empty() ? "" : ", ") + HexEncode(k.public_key()).substr(0, 16) + "...";
    }
    std::cout << "dry run: would set " << o.id << " from " << from << " to "
              << StatusWord(status) << (o.reason.empty() ? "" : " (reason \"" + o.reason + "\")")
              << ", signed by " << signers << "; nothing was sent\n";
    return kExitOk;
  }
  if (status == types::CredentialStatus::kRevoked && !o.yes && !o.tx.out &&
      ::isatty(STDIN_FILENO) == 1) {
    if (!ConfirmOnTerminal("Revoke " + o.id +
                           " for good? A revoked card can never be reinstated.")) {
      return Fail(kExitInvalid, "not revoked: not confirmed (give --yes in scripts)");
    }
  }
  return RunTxCommand(o.net, o.tx, types::SetCredentialStatus{o.id, status, o.reason});
}

}  // namespace

void RegisterCardCommands(CLI::App& app, CommandRun& run) {
  auto* card =
      app.add_subcommand("card", "Issue, renew, suspend, reinstate, revoke and inspect cards");
  card->require_subcommand(1);

  auto is = std::make_shared<CardIssueOptions>();
  auto* issue = card->add_subcommand(
      "issue", "Make a card signed by the issuer, put its digest on the ledger, write CARD.lc1");
  issue->add_option("--issuer", is->issuer, "Issuer id")->required();
  issue->add_option("--type", is->type, "member or model_worker")->required();
  issue->add_option("--level", is->level,
                    "model_worker: national, provincial, municipal, district or enterprise");
  issue->add_option("--holder-name", is->holder_name, "Holder's name, printed on the card")
      ->required();
  issue->add_option("--member-no", is->member_no, "Holder's member number")->required();
  issue->add_option("--id", is->id, "Credential id (default ISSUER/MW|M/YEAR/6 random digits)");
  issue->add_option("--holder-key", is->holder_key,
                    "Bind the card to the holder's device key (hex, or its key file): gates "
                    "then ask for the phone's presentation");
  AddCardFileOptions(issue, *is);
  AddIssuerKeyOptions(issue, is->k);
  AddNetOptions(issue, is->net);
  issue->callback([is, &run] { run = [is] { return RunCardIssue(*is); }; });

  auto bo = std::make_shared<CardIssueCsvOptions>();
  auto* batch = card->add_subcommand(
      "issue-csv",
      "Issue one card per row of a CSV file (UTF-8 with or without BOM, or GB18030/GBK)");
  batch->add_option("--csv", bo->csv, "The CSV file: a header row, then one member a row")
      ->required();
  batch->add_option("--out-dir", bo->out_dir, "Folder for the card files (ID with / as _ .lc1)")
      ->required();
  batch->add_option("--encoding", bo->encoding, "auto, utf-8 or gb18030 (gbk)")
      ->capture_default_str();
  batch->add_flag("--qr", bo->qr, "Also write each card's QR code PNG beside its file");
  batch->add_option("--issuer", bo->defaults.issuer, "Issuer id")->required();
  batch->add_option("--type", bo->defaults.type, "member or model_worker (or a type column)");
  batch->add_option("--level", bo->defaults.level, "model_worker level (or a level column)");
  batch->add_option("--valid-from", bo->defaults.valid_from,
                    "YYYY-MM-DD (UTC) or unix seconds; default now (or a valid_from column)");
  batch->add_option("--valid-until", bo->defaults.valid_until,
                    "YYYY-MM-DD (UTC) or unix seconds (or a valid_until column)");
  AddIssuerKeyOptions(batch, bo->defaults.k);
  AddNetOptions(batch, bo->defaults.net);
  batch->callback([bo, &run] { run = [bo] { return RunCardIssueCsv(*bo); }; });

  auto rn = std::make_shared<CardRenewOptions>();
  auto* renew = card->add_subcommand(
      "renew", "Make a new card for a credential (new validity, new salt) and record its digest");
  renew->add_option("--id", rn->id, "Credential id")->required();
  renew->add_option("--card", rn->card, "The old card file: holder name and member number");
  renew->add_option("--holder-name", rn->holder_name, "Holder's name (instead of --card)");
  renew->add_option("--member-no", rn->member_no, "Member number (instead of --card)");
  renew->add_option("--holder-key", rn->holder_key,
                    "Bind the new card to this device key (hex or key file; default: the old "
                    "card's; none: unbound)");
  AddCardFileOptions(renew, *rn);
  AddIssuerKeyOptions(renew, rn->k);
  AddNetOptions(renew, rn->net);
  renew->callback([rn, &run] { run = [rn] { return RunCardRenew(*rn); }; });

  auto rp = std::make_shared<CardReplaceOptions>();
  auto* replace = card->add_subcommand(
      "replace",
      "A lost or stolen card: a new card for the credential; the old one never works again");
  replace->add_option("--id", rp->renew.id, "Credential id")->required();
  replace->add_option("--card", rp->renew.card, "The old card file: holder name and number");
  replace->add_option("--holder-name", rp->renew.holder_name, "Holder's name (instead of --card)");
  replace->add_option("--member-no", rp->renew.member_no, "Member number (instead of --card)");
  replace->add_option("--holder-key", rp->renew.holder_key,
                      "Bind the new card to this device key (a new phone; default: the old "
                      "card's; none: unbound)");
  replace->add_option("--valid-from", rp->renew.valid_from, "YYYY-MM-DD (UTC) or unix; default now");
  replace->add_option("--valid-until", rp->renew.valid_until,
                      "YYYY-MM-DD (UTC) or unix seconds; default the record's");
  replace->add_option("--out", rp->renew.out, "New card file (never overwritten)")->required();
  replace->add_option("--qr", rp->renew.qr, "Also write the new card's QR code PNG");
  AddIssuerKeyOptions(replace, rp->renew.k);
  AddNetOptions(replace, rp->renew.net);
  replace->callback([rp, &run] { run = [rp] { return RunCardReplace(*rp); }; });

  struct StatusCommand {
    const char* name;
    const char* help;
    types::CredentialStatus status;
  };
  for (const StatusCommand& c : {
           StatusCommand{"suspend", "Suspend a credential (reinstate undoes it)",
                         types::CredentialStatus::kSuspended},
           StatusCommand{"reinstate", "Make a suspended credential active again",
                         types::CredentialStatus::kActive},
           StatusCommand{"revoke", "Revoke a credential for good",
                         types::CredentialStatus::kRevoked},
       }) {
    auto so = std::make_shared<CardStatusOptions>();
    auto* sub = card->add_subcommand(c.name, c.help);
    sub->add_option("--id", so->id, "Credential id")->required();
    sub->add_option("--reason", so->reason, "Why (recorded on the ledger)");
    sub->add_flag("--dry-run", so->dry_run,
                  "Check the record and the keys, print what would change, send nothing");
    if (c.status == types::CredentialStatus::kRevoked) {
      sub->add_flag("--yes", so->yes, "Do not ask for confirmation on a terminal");
    }
    AddTxOptions(sub, so->tx, "Signer: the issuer, its parent, or governance admin keys");
    AddNetOptions(sub, so->net);
    const types::CredentialStatus status = c.status;
    sub->callback(
        [so, status, &run] { run = [so, status] { return RunCardStatus(*so, status); }; });
  }

  auto qo = std::make_shared<CardQrOptions>();
  auto* qr = card->add_subcommand(
      "qr", "Write a card's QR code PNG, or with --print a printable CR80 card (PNG or PDF)");
  qr->add_option("code", qo->code, "The card text, LC1:...");
  qr->add_option("--file", qo->file, "Read the card text from a file (- for stdin)");
  qr->add_option("--out", qo->out, "The image to write: .png, or .pdf with --print")
      ->required();
  qr->add_flag("--print", qo->print,
               "A printable card, 85.60 x 53.98 mm: QR code, name, union, type, validity");
  qr->add_option("--union", qo->union_name, "The union's name for the card's top band");
  qr->callback([qo, &run] { run = [qo] { return RunCardQr(*qo); }; });

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

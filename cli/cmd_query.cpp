// laurel verify, history, status: read-only questions to a node.
//
// verify is the gate's check of a card (given, read from a file, or scanned from a QR code PNG).
// By default it is private (docs/gate.md): the card is decoded and its signature checked here
// with the issuer's key from GET /v1/issuers/{id}, and the node is asked only about the
// credential id and the card digest (POST /v1/verify/status), so that the holder's name and
// member number never leave this machine. --send-card sends the whole card (POST /v1/verify).
// Either way the first output line is "VALID <credential_id> ..." or "REFUSED <REASON>:
// <message>" with the same reasons and messages, and the exit code is 0 or 1 accordingly.
#include <CLI/CLI.hpp>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/verdict.h"
#include "cli/net_tx.h"
#include "cli/proof_check.h"
#include "ledger/genesis_io.h"
#include "cli/qr.h"
#include "laurel/v1/api.pb.h"
#include "ledger/verify.h"
#include "types/card.h"

namespace laurel::cli {

Result<std::string> CardTextFrom(const std::optional<std::string>& code,
                                 const std::optional<std::string>& file,
                                 const std::optional<std::string>& qr) {
  const int given = int(code.has_value()) + int(file.has_value()) + int(qr.has_value());
  if (given != 1) {
    return Status::InvalidArgument("give the card exactly one way: --code, --file or --qr");
  }
  if (code) return *code;
  if (file) return ReadInput(*file);
  LAUREL_ASSIGN_OR_RETURN(std::string png, ReadInput(*qr));
  auto text = DecodeQrPng(png);
  // An image without a readable code is input we could not read: exit 2, like a bad file.
  if (!text.ok()) return Status::IoError(*qr + ": " + text.status().message());
  return text;
}

void AddHolderOptions(CLI::App* cmd, HolderOptions& o) {
  cmd->add_option("--presentation", o.presentation,
                  "The holder's presentation LP1:... (a card bound to a phone)");
  cmd->add_option("--presentation-file", o.presentation_file,
                  "Read the presentation from a file (- for stdin)");
  cmd->add_option("--presentation-qr", o.presentation_qr, "A PNG of the presentation's QR code");
  cmd->add_option("--gate-id", o.gate_id, "This gate's id: a presentation must name it");
  cmd->add_option("--nonce", o.nonce, "This gate's current challenge (hex, 8 to 32 bytes)");
  cmd->add_option("--require-binding", o.require_binding,
                  "Refuse unbound cards of this type: model-worker or member (repeatable)");
  cmd->add_option("--slot-skew", o.slot_skew,
                  "30-second slots a presentation may be off from now (default 1)");
}

Result<HolderInput> HolderInputOf(const HolderOptions& o) {
  HolderInput h;
  const int given = int(o.presentation.has_value()) + int(o.presentation_file.has_value()) +
                    int(o.presentation_qr.has_value());
  if (given > 1) {
    return Status::InvalidArgument(
        "give the presentation one way: --presentation, --presentation-file or "
        "--presentation-qr");
  }
  if (o.presentation) h.presentation = *o.presentation;
  if (o.presentation_file) {
    LAUREL_ASSIGN_OR_RETURN(std::string t, ReadInput(*o.presentation_file));
    h.presentation = std::move(t);
  }
  if (o.presentation_qr) {
    LAUREL_ASSIGN_OR_RETURN(std::string png, ReadInput(*o.presentation_qr));
    auto t = DecodeQrPng(png);
    if (!t.ok()) return Status::IoError(*o.presentation_qr + ": " + t.status().message());
    h.presentation = std::move(t).value();
  }
  if (h.presentation) {
    std::string& t = *h.presentation;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
    if (o.gate_id.empty()) {
      return Status::InvalidArgument("a presentation is checked for one gate: give --gate-id");
    }
  }
  if (o.gate_id.size() > 64) return Status::InvalidArgument("--gate-id: at most 64 bytes");
  h.policy.gate_id = o.gate_id;
  if (o.nonce) {
    auto n = HexDecode(*o.nonce);
    if (!n || n->size() < 8 || n->size() > 32) {
      return Status::InvalidArgument("--nonce: 8 to 32 bytes in hex");
    }
    h.policy.nonce = std::move(*n);
  }
  h.policy.slot_skew = o.slot_skew;
  for (const auto& name : o.require_binding) {
    auto t = ledger::BindingTypeFromName(name);
    if (!t)
      return Status::InvalidArgument("--require-binding: model-worker or member, not " + name);
    h.policy.require_binding.push_back(*t);
  }
  return h;
}

void AddHolderFields(const HolderInput& h, Json& request) {
  if (h.presentation) request["presentation"] = *h.presentation;
  if (!h.policy.gate_id.empty()) request["gate_id"] = h.policy.gate_id;
  if (h.policy.nonce) request["gate_nonce"] = HexEncode(*h.policy.nonce);
  if (!h.policy.require_binding.empty()) {
    Json names = Json::array();
    for (const auto t : h.policy.require_binding) names.push_back(types::CredentialTypeName(t));
    request["require_binding"] = names;
  }
}

namespace {
std::string ValidityText(const Json& card) {
  return FormatUnixTime(JsonU64Or0(card, "valid_from")) + " to " +
         FormatUnixTime(JsonU64Or0(card, "valid_until"));
}

}  // namespace

void PrintVerdict(const Json& j) {
  const bool valid = j.value("valid", false);
  const Json card = j.contains("card") && j["card"].is_object() ? j["card"] : Json::object();
  const Json cred =
      j.contains("credential") && j["credential"].is_object() ? j["credential"] : Json::object();
  std::string id = JsonStr(card, "credential_id");
  if (id.empty()) id = JsonStr(cred, "credential_id");
  std::ostringstream s;
  // What the ledger records is what a gate acts on; the card's own claim is shown beside it
  // only on a refusal (it may be the forgery).
  auto kind_of = [](const Json& o) {
    const std::string type = JsonStr(o, "type");
    std::string level = JsonStr(o, "level");
    if (level == "LEVEL_UNSPECIFIED") level.clear();
    return type + (level.empty() ? "" : " " + level);
  };
  const std::string record_kind = kind_of(cred);
  const std::string card_kind = kind_of(card);
  const std::string kind = cred.empty() ? card_kind : record_kind;
  if (valid) {
    s << "VALID " << id;
    if (!kind.empty()) s << " (" << kind << ")";
    s << "\n";
  } else {
    std::string reason = JsonStr(j, "reason");
    if (reason.empty()) reason = "REFUSED";
    s << "REFUSED " << reason << ": " << JsonStr(j, "message") << "\n";
  }
  auto line = [&](const std::string& k, const std::string& v) {
    if (!v.empty()) s << "  " << std::left << std::setw(13) << k << v << "\n";
  };
  if (!valid) {
    line("credential", id);
    line("card", card_kind);
    if (!cred.empty()) line("record", record_kind);
  }
  std::string issuer = JsonStr(card, "issuer_id");
  if (issuer.empty()) issuer = JsonStr(cred, "issuer_id");
  if (!issuer.empty()) {
    const uint64_t kv = JsonU64Or0(card, "key_version");
    line("issuer", issuer + (kv != 0 ? " (key v" + std::to_string(kv) + ")" : ""));
  }
  line("holder", JsonStr(card, "holder_name"));
  line("member_no", JsonStr(card, "member_no"));
  const std::string binding = JsonStr(j, "holder");
  if (binding == "BOUND") {
    line("binding", valid ? "bound to the holder's phone; presentation verified / "
                            "已绑定手机，出示码有效"
                          : "bound to the holder's phone / 已绑定手机");
  } else if (binding == "UNBOUND") {
    line("binding", "unbound: not tied to a phone / 未绑定手机");
  }
  if (!cred.empty() && cred.contains("valid_until")) {
    line("valid", ValidityText(cred));
  } else if (!card.empty() && card.contains("valid_until")) {
    line("valid", ValidityText(card));
  }
  if (!cred.empty()) {
    const std::string reason = JsonStr(cred, "status_reason");
    line("status", JsonStr(cred, "status") + (reason.empty() ? "" : " (" + reason + ")"));
  }
  const std::string chain = JsonStr(j, "chain_id");
  if (j.value("historical", false)) {
    line("as of", "height " + std::to_string(JsonU64Or0(j, "height")) +
                      (chain.empty() ? "" : " of " + chain) + " (block time " +
                      FormatUnixTime(JsonU64Or0(j, "block_time_ms") / 1000) +
                      "), validity checked at " + FormatUnixTime(JsonU64Or0(j, "time")));
  } else {
    line("ledger", "height " + std::to_string(JsonU64Or0(j, "height")) +
                       (chain.empty() ? "" : " of " + chain) + ", checked at " +
                       FormatUnixTime(JsonU64Or0(j, "time")));
  }
  std::cout << s.str() << std::flush;
}

// The card as the API's CardView prints it (what POST /v1/verify would have returned).
Json CardJson(const types::CardBody& b) {
  v1::CardView v;
  v.set_credential_id(b.credential_id);
  v.set_issuer_id(b.issuer_id);
  v.set_key_version(b.key_version);
  v.set_type(static_cast<v1::CredentialType>(b.type));
  v.set_level(static_cast<v1::Level>(b.level));
  v.set_holder_name(b.holder_name);
  v.set_member_no(b.member_no);
  v.set_valid_from(b.valid_from);
  v.set_valid_until(b.valid_until);
  v.set_chain_id(b.chain_id);
  if (b.bound()) v.set_holder_key(HexEncode(b.holder_key));
  return Json::parse(types::MessageToJson(v, false));
}

namespace {

std::string Short(const std::string& hex, size_t n = 16) {
  return hex.size() > n ? hex.substr(0, n) : hex;
}

// ---- verify ----

struct VerifyOptions {
  NetOptions net;
  std::optional<std::string> code;
  std::optional<std::string> file;
  std::optional<std::string> qr;
  std::optional<std::string> at;      // a past moment: the state then
  std::optional<uint64_t> height;     // a past height: the state then
  bool send_card = false;
  bool prove = false;
  std::string genesis;
  uint64_t max_age_s = kDefaultProofMaxAgeS;
  HolderOptions holder;
};

Result<std::string> CardTextOf(const VerifyOptions& o) { return CardTextFrom(o.code, o.file, o.qr); }

// ---- the private check (docs/gate.md, "Private online verification") ----

types::CredentialType TypeFromApi(const std::string& name) {
  for (const auto t : {types::CredentialType::kMember, types::CredentialType::kModelWorker}) {
    if (name == types::CredentialTypeName(t)) return t;
  }
  return types::CredentialType::kUnspecified;
}

types::Level LevelFromApi(const std::string& name) {
  for (uint8_t i = 1; i <= 5; ++i) {
    const auto l = static_cast<types::Level>(i);
    if (name == types::LevelName(l)) return l;
  }
  return types::Level::kUnspecified;
}

std::optional<ledger::VerifyReason> ReasonFromApi(const std::string& name) {
  for (uint8_t i = 0; i <= ledger::kMaxVerifyReason; ++i) {
    const auto r = static_cast<ledger::VerifyReason>(i);
    if (name == ledger::VerifyReasonName(r)) return r;
  }
  return std::nullopt;
}

// An issuer's keys by version from GET /v1/issuers/{id}: nullopt for 404 (unknown issuer);
// other failures are errors.
Result<std::optional<std::map<uint32_t, Bytes>>> IssuerKeys(RpcClient& c, const std::string& id) {
  auto j = c.Get("/v1/issuers/" + UrlEscape(id));
  if (!j.ok()) {
    if (j.status().code() == StatusCode::kInvalidArgument &&
        j.status().message().rfind("NOT_FOUND", 0) == 0) {
      return std::optional<std::map<uint32_t, Bytes>>();
    }
    return j.status();
  }
  std::map<uint32_t, Bytes> keys;
  if (j->contains("keys") && (*j)["keys"].is_array()) {
    for (const auto& k : (*j)["keys"]) {
      const auto version = JsonU64(k, "key_version");
      auto pub = HexDecode(JsonStr(k, "public_key"));
      if (!version || *version > UINT32_MAX || !pub || pub->size() != 32) {
        return Status::Unavailable("node at " + c.url() + " answered GET /v1/issuers/" + id +
                                   " with a malformed key");
      }
      keys[static_cast<uint32_t>(*version)] = std::move(*pub);
    }
  }
  return std::optional<std::map<uint32_t, Bytes>>(std::move(keys));
}

// The private check; the answer in the shape of POST /v1/verify's (VerifyResponse), with the
// card fields filled in here, never sent.
Result<Json> CheckPrivately(RpcClient& c, Node& node, const std::string& code,
                            const HolderInput& holder) {
  LAUREL_ASSIGN_OR_RETURN(Json status, node.Status());
  const std::string chain_id = JsonStr(status, "chain_id");
  std::optional<Status> lookup_error;
  const ledger::CardCheck check = ledger::CheckCardOffline(
      chain_id, code, [&](const std::string& id) -> std::optional<std::map<uint32_t, Bytes>> {
        auto keys = IssuerKeys(c, id);
        if (!keys.ok()) {
          lookup_error = keys.status();
          return std::map<uint32_t, Bytes>{};
        }
        return *keys;
      });
  if (lookup_error) return *lookup_error;
  if (!check.result.valid()) {
    // Refused before the node is asked anything about the card.
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    Json out = {{"valid", false},
                {"reason", ledger::VerifyReasonName(check.result.reason)},
                {"message", check.result.message},
                {"height", status.contains("height") ? status["height"] : Json("0")},
                {"time", std::to_string(now)},
                {"chain_id", chain_id},
                {"ready", status.value("ready", false)},
                {"block_time_ms",
                 status.contains("last_block_time_ms") ? status["last_block_time_ms"] : Json("0")}};
    return out;
  }
  const types::CardBody& b = *check.result.card;
  LAUREL_ASSIGN_OR_RETURN(Json j,
                          c.PostJson("/v1/verify/status", {{"credential_id", b.credential_id},
                                                           {"card_digest", HexEncode(check.digest)},
                                                           {"issuer_id", b.issuer_id},
                                                           {"key_version", b.key_version}}));
  const auto reason = ReasonFromApi(JsonStr(j, "reason"));
  if (!reason || !j.contains("valid") || !j["valid"].is_boolean()) {
    return Status::Unavailable("node at " + c.url() +
                               " answered /v1/verify/status without a "
                               "valid and a known reason: " +
                               Printable(j.dump(), 300));
  }
  std::optional<ledger::RecordFields> fields;
  if (j.contains("credential") && j["credential"].is_object()) {
    const Json& cred = j["credential"];
    fields = ledger::RecordFields{TypeFromApi(JsonStr(cred, "type")),
                                  LevelFromApi(JsonStr(cred, "level")),
                                  JsonU64Or0(cred, "valid_from"), JsonU64Or0(cred, "valid_until")};
  }
  if (auto over = ledger::RecordMismatchOverride(b, *reason, fields)) {
    j["valid"] = false;
    j["reason"] = ledger::VerifyReasonName(over->first);
    j["message"] = over->second;
  }
  j["card"] = CardJson(b);
  // The holder check is the gate's, as the card's: the node never sees the presentation.
  j["holder"] = b.bound() ? "BOUND" : "UNBOUND";
  if (j["valid"].get<bool>()) {
    if (auto refusal =
            ledger::CheckHolder(b, holder.presentation, holder.policy, JsonU64Or0(j, "time"))) {
      j["valid"] = false;
      j["reason"] = ledger::VerifyReasonName(refusal->first);
      j["message"] = refusal->second;
    }
  }
  return j;
}

// A state with no records: what the card alone decides (MALFORMED, WRONG_CHAIN) reads nothing.
class NoRecords final : public ledger::StateView {
 public:
  std::optional<std::string> GetState(std::string_view) const override { return std::nullopt; }
  bool HasTx(const Hash32&) const override { return false; }
  std::optional<std::string> GetTreeNode(std::string_view) const override { return std::nullopt; }
};

// verify --prove. What is proven is the records the decision reads (the credential and its
// issuer chain), never the card, which the gate holds: so the private check is asked for proofs
// (POST /v1/verify/status?proof=true: only the credential id, issuer, key version and card
// digest leave this machine), or with --send-card POST /v1/verify?proof=true. Either way the
// decision printed is recomputed here from the card and the proven records; the node's word
// only has to agree with it.
int RunVerifyProven(const VerifyOptions& o, RpcClient& c, const std::string& code,
                    const ledger::Genesis& genesis) {
  const uint64_t now = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  const ledger::VerifyResult alone = ledger::VerifyCard(NoRecords(), genesis.chain_id, code, now);
  if (alone.reason == ledger::VerifyReason::kMalformed ||
      alone.reason == ledger::VerifyReason::kWrongChain) {
    // Refused by the card alone: no record could change it, so there is nothing to prove.
    const std::string note = "decided from the card alone (no ledger record is read, nothing to prove)";
    Json out = {{"valid", false},
                {"reason", ledger::VerifyReasonName(alone.reason)},
                {"message", alone.message},
                {"chain_id", genesis.chain_id},
                {"time", std::to_string(now)},
                {"proven", note}};
    if (o.net.json) {
      PrintJson(out);
    } else {
      std::cout << "REFUSED " << ledger::VerifyReasonName(alone.reason) << ": " << alone.message
                << "\n  " << note << "\n";
    }
    return kExitInvalid;
  }
  Result<Json> j = Json();
  VerifyRoute route = VerifyRoute::kStatus;
  if (o.send_card) {
    route = VerifyRoute::kCard;
    j = c.PostJson("/v1/verify?proof=true", {{"code", code}});
  } else {
    auto card = types::CardFromText(code);
    auto body = card.ok() ? types::DecodeCardBody(card->body) : Result<types::CardBody>(card.status());
    if (!body.ok()) return Fail(kExitUsage, "the card does not decode: " + body.status().message());
    j = c.PostJson("/v1/verify/status?proof=true",
                   {{"credential_id", body->credential_id},
                    {"card_digest", HexEncode(types::CardDigest(card->body))},
                    {"issuer_id", body->issuer_id},
                    {"key_version", body->key_version}});
  }
  // As for every node error (docs/cli.md, exit codes): a 4xx answer is 1, an unreachable node
  // or a 5xx is 2.
  if (!j.ok()) return FailFor(j.status());
  if (!j->contains("valid") || !(*j)["valid"].is_boolean()) {
    return Fail(kExitUsage,
                "node at " + o.net.rpc + " answered without 'valid': " + j->dump().substr(0, 300));
  }
  // The node's word counts for nothing: the decision is recomputed from the proven records,
  // at this machine's time (not the time the node says it used).
  const ProofCheck pc = CheckProvenAnswer(*j, genesis, code, now, o.max_age_s, route);
  if (!pc.ok) {
    if (o.net.json) {
      PrintJson(Json{{"valid", false}, {"reason", "NOT_PROVEN"}, {"message", pc.why}});
    } else {
      std::cout << "REFUSED NOT_PROVEN: " << pc.why << "\n";
    }
    return kExitInvalid;
  }
  // The verdict and the card shown are the recomputed decision's (the record shown was checked
  // against the proven one).
  auto holder = HolderInputOf(o.holder);
  if (!holder.ok()) return Fail(kExitUsage, holder.status());
  const ledger::VerifyResult r =
      ledger::ApplyHolderCheck(*pc.decision, holder->presentation, holder->policy, now);
  Json out = *j;
  if (r.holder != ledger::HolderBinding::kNone) out["holder"] = ledger::HolderBindingName(r.holder);
  out["valid"] = r.valid();
  out["reason"] = ledger::VerifyReasonName(r.reason);
  out["message"] = r.message;
  out.erase("card");
  if (r.card) out["card"] = CardJson(*r.card);
  out["height"] = std::to_string(pc.state.height);
  out["time"] = std::to_string(now);
  if (o.net.json) {
    out["proven"] = pc.statement;
    PrintJson(out);
  } else {
    PrintVerdict(out);
    std::cout << "  " << pc.statement << "\n";
  }
  return r.valid() ? kExitOk : kExitInvalid;
}

int RunVerify(const VerifyOptions& o) {
  auto text = CardTextOf(o);
  if (!text.ok()) return Fail(kExitUsage, text.status());
  // A card file ends in "\n"; the API gets the bare text.
  std::string code = *text;
  while (!code.empty() && (code.back() == '\n' || code.back() == '\r' || code.back() == ' ')) {
    code.pop_back();
  }
  std::optional<ledger::Genesis> genesis;
  if (o.prove) {
    if (o.genesis.empty()) return Fail(kExitUsage, "--prove needs --genesis FILE");
    auto g = ledger::LoadGenesis(o.genesis);
    if (!g.ok()) return Fail(kExitUsage, g.status());
    genesis = std::move(g).value();
  }
  Node node(o.net.rpc);
  auto c = node.Get();
  if (!c.ok()) return FailFor(c.status());
  if (o.at && o.height) return Fail(kExitUsage, "give --at or --height, not both");
  if (o.prove && (o.at || o.height)) {
    return Fail(kExitUsage, "--prove checks the newest certified state: not with --at or --height");
  }
  if (o.prove) return RunVerifyProven(o, **c, code, *genesis);
  // A past moment is an investigation, not a gate: it is asked with the card
  // (POST /v1/verify?height=|at=); the present is checked privately unless --send-card.
  const bool past = o.at || o.height;
  std::string target = "/v1/verify";
  if (o.height) target += "?height=" + std::to_string(*o.height);
  if (o.at) target += "?at=" + UrlEscape(*o.at);
  auto holder = HolderInputOf(o.holder);
  if (!holder.ok()) return Fail(kExitUsage, holder.status());
  if (past && holder->presentation) {
    return Fail(kExitUsage, "a presentation is checked now: not with --at or --height");
  }
  Json request = {{"code", code}};
  if (!past) AddHolderFields(*holder, request);
  auto j = (o.send_card || past) ? (*c)->PostJson(target, request)
                                 : CheckPrivately(**c, node, code, *holder);
  // As for every node error (docs/cli.md, exit codes): a 4xx answer is 1, an unreachable node
  // or a 5xx is 2.
  if (!j.ok()) return FailFor(j.status());
  if (!j->contains("valid") || !(*j)["valid"].is_boolean()) {
    return Fail(kExitUsage,
                "node at " + o.net.rpc + " answered without 'valid': " + j->dump().substr(0, 300));
  }
  if (o.net.json) {
    PrintJson(*j);
  } else {
    PrintVerdict(*j);
  }
  return (*j)["valid"].get<bool>() ? kExitOk : kExitInvalid;
}

// ---- history ----

struct HistoryOptions {
  NetOptions net;
  std::optional<std::string> credential_id;
  std::optional<std::string> issuer;
  uint64_t limit = 0;
  std::string page_token;
  bool all = false;
  bool signed_by_me = false;
  bool csv = false;
};

Json SignedBy(const Json& e) {
  return e.contains("signed_by") && e["signed_by"].is_object() ? e["signed_by"] : Json::object();
}

// Who signed, as the ledger resolved it: "city-fed v2 (parent)", "governance (2 admins)", or
// the key (shortened) when it had no authority.
std::string SignerText(const Json& e) {
  const Json by = SignedBy(e);
  const std::string authority = JsonStr(by, "authority");
  if (authority == "governance") {
    const size_t n = by.contains("admin_keys") && by["admin_keys"].is_array()
                         ? by["admin_keys"].size()
                         : 0;
    return "governance (" + std::to_string(n) + " admin" + (n == 1 ? "" : "s") + ")";
  }
  if (!authority.empty() && !JsonStr(by, "issuer_id").empty()) {
    return JsonStr(by, "issuer_id") + " v" + std::to_string(JsonU64Or0(by, "key_version")) +
           " (" + authority + ")";
  }
  const std::string signer = JsonStr(e, "signer");
  return signer.empty() ? "-" : Short(signer);
}

// What the entry changed: the credential, its new status or validity, the reason.
std::string DetailText(const Json& e) {
  std::string out = JsonStr(e, "credential_id");
  if (out.empty() && JsonStr(e, "action") != "issue_credential") out = JsonStr(e, "issuer_id");
  auto add = [&out](const std::string& part) {
    if (part.empty()) return;
    if (!out.empty()) out += " ";
    out += part;
  };
  std::string level = JsonStr(e, "level");
  if (level == "LEVEL_UNSPECIFIED") level.clear();
  if (JsonStr(e, "action") == "issue_credential") {
    std::string type = JsonStr(e, "type");
    if (type == "CREDENTIAL_TYPE_UNSPECIFIED") type.clear();
    add(type + (level.empty() ? "" : " " + level));
  }
  if (const std::string st = JsonStr(e, "new_status"); !st.empty()) add("-> " + st);
  if (JsonU64Or0(e, "valid_until") != 0) {
    add("valid " + FormatUnixTime(JsonU64Or0(e, "valid_from")) + " to " +
        FormatUnixTime(JsonU64Or0(e, "valid_until")));
  }
  if (JsonU64Or0(e, "key_version") != 0) add("key v" + std::to_string(JsonU64Or0(e, "key_version")));
  if (const std::string r = JsonStr(e, "reason"); !r.empty()) add("(" + r + ")");
  return out;
}

void PrintHistoryTable(const Json& entries) {
  std::ostringstream s;
  s << std::left << std::setw(8) << "HEIGHT" << std::setw(22) << "TIME (UTC)" << std::setw(23)
    << "ACTION" << std::setw(22) << "RESULT" << std::setw(18) << "TX"
    << "SIGNER\n";
  for (const auto& e : entries) {
    s << std::left << std::setw(8) << JsonU64Or0(e, "height") << std::setw(22)
      << FormatUnixTime(JsonU64Or0(e, "time_ms") / 1000) << std::setw(23) << JsonStr(e, "action")
      << std::setw(22) << JsonStr(e, "result") << std::setw(18) << Short(JsonStr(e, "tx_id"))
      << SignerText(e);
    if (const std::string d = DetailText(e); !d.empty()) s << "  " << d;
    s << "\n";
  }
  std::cout << s.str();
}

void PrintHistoryCsv(const Json& entries) {
  std::ostringstream s;
  s << CsvRecord({"height", "time_utc", "tx_id", "action", "result", "credential_id",
                  "issuer_id", "type", "level", "new_status", "reason", "valid_from",
                  "valid_until", "key_version", "signed_as", "signer_issuer_id",
                  "signer_key_version", "signer_admin_keys", "signer_public_key"});
  for (const auto& e : entries) {
    const Json by = SignedBy(e);
    std::string admins;
    if (by.contains("admin_keys") && by["admin_keys"].is_array()) {
      for (const auto& k : by["admin_keys"]) {
        if (!admins.empty()) admins += " ";
        if (k.is_string()) admins += k.get<std::string>();
      }
    }
    std::string type = JsonStr(e, "type");
    if (type == "CREDENTIAL_TYPE_UNSPECIFIED") type.clear();
    std::string level = JsonStr(e, "level");
    if (level == "LEVEL_UNSPECIFIED") level.clear();
    const uint64_t until = JsonU64Or0(e, "valid_until");
    const uint64_t kv = JsonU64Or0(e, "key_version");
    const uint64_t skv = JsonU64Or0(by, "key_version");
    s << CsvRecord({std::to_string(JsonU64Or0(e, "height")),
                    FormatUnixTime(JsonU64Or0(e, "time_ms") / 1000), JsonStr(e, "tx_id"),
                    JsonStr(e, "action"), JsonStr(e, "result"), JsonStr(e, "credential_id"),
                    JsonStr(e, "issuer_id"), type, level, JsonStr(e, "new_status"),
                    JsonStr(e, "reason"),
                    until ? FormatUnixTime(JsonU64Or0(e, "valid_from")) : "",
                    until ? FormatUnixTime(until) : "", kv ? std::to_string(kv) : "",
                    JsonStr(by, "authority"), JsonStr(by, "issuer_id"),
                    skv ? std::to_string(skv) : "", admins, JsonStr(e, "signer")});
  }
  std::cout << s.str() << std::flush;
}

int RunHistory(const HistoryOptions& o) {
  if (o.credential_id.has_value() == o.issuer.has_value()) {
    return Fail(kExitUsage, "give either a CREDENTIAL_ID or --issuer ID");
  }
  if (o.limit > 1000) return Fail(kExitUsage, "--limit is at most 1000");
  if (o.signed_by_me && !o.issuer) {
    return Fail(kExitUsage, "--signed-by-me needs --issuer ID");
  }
  if (o.csv && o.net.json) return Fail(kExitUsage, "give --csv or --json, not both");
  const std::string base =
      o.credential_id ? "/v1/credentials/" + UrlEscape(*o.credential_id) + "/history"
                      : "/v1/issuers/" + UrlEscape(*o.issuer) + "/history" +
                            (o.signed_by_me ? "?signed_by=me" : "");
  Node node(o.net.rpc);
  auto c = node.Get();
  if (!c.ok()) return FailFor(c.status());
  Json entries = Json::array();
  std::string token = o.page_token;
  std::string next;
  Json last_page;
  for (;;) {
    std::string target = base;
    char sep = base.find('?') == std::string::npos ? '?' : '&';
    if (o.limit != 0) {
      target += sep + std::string("limit=") + std::to_string(o.limit);
      sep = '&';
    }
    if (!token.empty()) target += sep + std::string("page_token=") + UrlEscape(token);
    auto j = (*c)->Get(target);
    if (!j.ok()) return FailFor(j.status());
    if (j->contains("entries") && (*j)["entries"].is_array()) {
      for (auto& e : (*j)["entries"]) entries.push_back(e);
    }
    next = JsonStr(*j, "next_page_token");
    last_page = std::move(*j);
    if (!o.all || next.empty() || next == token) break;
    token = next;
  }
  if (o.net.json) {
    if (o.all) {
      PrintJson({{"entries", entries}, {"next_page_token", ""}});
    } else {
      PrintJson(last_page);
    }
    return kExitOk;
  }
  if (o.csv) {
    PrintHistoryCsv(entries);
    if (!o.all && !next.empty()) std::cerr << "(more: --page-token " << next << ", or --all)\n";
    return kExitOk;
  }
  PrintHistoryTable(entries);
  if (!o.all && !next.empty()) {
    std::cout << "(more: --page-token " << next << ", or --all)\n";
  }
  return kExitOk;
}

// ---- status ----

struct StatusOptions {
  NetOptions net;
};

int RunStatus(const StatusOptions& o) {
  Node node(o.net.rpc);
  auto j = node.Status();
  if (!j.ok()) return FailFor(j.status());
  if (o.net.json) {
    PrintJson(*j);
    return kExitOk;
  }
  std::ostringstream s;
  for (const auto& [k, v] : j->items()) {
    s << std::left << std::setw(20) << k;
    if (v.is_string()) {
      s << v.get<std::string>();
    } else if (v.is_boolean()) {
      s << (v.get<bool>() ? "yes" : "no");
    } else {
      s << v.dump();
    }
    s << "\n";
  }
  std::cout << s.str();
  return kExitOk;
}

}  // namespace

void RegisterQueryCommands(CLI::App& app, CommandRun& run) {
  auto v = std::make_shared<VerifyOptions>();
  auto* verify = app.add_subcommand(
      "verify", "Check a card against the ledger: VALID or REFUSED <REASON> (exit 0 / 1)");
  verify->add_option("--code", v->code, "The card text, LC1:...");
  verify->add_option("--file", v->file, "A card file (- for stdin)");
  verify->add_option("--qr", v->qr, "A PNG image of the card's QR code");
  verify->add_option("--at", v->at,
                     "Decide as of this moment: YYYY-MM-DD (UTC), an RFC 3339 time "
                     "(2026-03-01T09:30:00+08:00) or unix seconds (sends the card)");
  verify->add_option("--height", v->height,
                     "Decide as of this ledger height (sends the card)");
  verify->add_flag("--send-card", v->send_card,
                   "Send the whole card to the node (POST /v1/verify) instead of the private "
                   "check (the default: signature checked here, only the credential id and card "
                   "digest sent, POST /v1/verify/status)");
  verify->add_flag("--prove", v->prove,
                   "Ask for proofs (the private check, POST /v1/verify/status?proof=true; with "
                   "--send-card POST /v1/verify?proof=true) and check them against --genesis's "
                   "validators; the decision is recomputed from the card and the proven records");
  verify->add_option("--genesis", v->genesis, "The chain's genesis file (with --prove)");
  AddHolderOptions(verify, v->holder);
  verify->add_option("--max-age", v->max_age_s,
                     "With --prove: refuse a proof older than this many seconds")
      ->capture_default_str();
  AddNetOptions(verify, v->net);
  verify->callback([v, &run] { run = [v] { return RunVerify(*v); }; });

  auto h = std::make_shared<HistoryOptions>();
  auto* history = app.add_subcommand(
      "history", "What happened to a credential, or an issuer's actions, oldest first");
  history->add_option("credential_id", h->credential_id, "Credential id");
  history->add_option("--issuer", h->issuer, "Issuer id (instead of a credential)");
  history->add_option("--limit", h->limit, "Entries per page (node default 100, max 1000)");
  history->add_option("--page-token", h->page_token, "Continue from this page token");
  history->add_flag("--all", h->all, "Follow the page tokens to the end");
  history->add_flag("--signed-by-me", h->signed_by_me,
                    "With --issuer: only what the issuer's key signed (also on other records)");
  history->add_flag("--csv", h->csv, "Write CSV (UTF-8) instead of a table");
  AddNetOptions(history, h->net);
  history->callback([h, &run] { run = [h] { return RunHistory(*h); }; });

  auto s = std::make_shared<StatusOptions>();
  auto* status = app.add_subcommand("status", "The node's chain, height, round, peers, sync state");
  AddNetOptions(status, s->net);
  status->callback([s, &run] { run = [s] { return RunStatus(*s); }; });
}

}  // namespace laurel::cli

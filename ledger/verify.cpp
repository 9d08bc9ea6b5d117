#include "ledger/verify.h"

#include <ctime>
#include <utility>

#include "ledger/executor.h"
#include "types/presentation.h"
#include "types/text_rules.h"

namespace laurel::ledger {
namespace {

VerifyResult Refuse(VerifyResult r, VerifyReason reason, std::string message) {
  r.reason = reason;
  r.message = std::move(message);
  return r;
}

std::string TypeAndLevel(const CredentialRecord& c) {
  std::string s = types::CredentialTypeName(c.type);
  if (c.level != types::Level::kUnspecified) s += std::string(" ") + types::LevelName(c.level);
  return s;
}

// The first field the record holds that the card states differently ("" when all agree).
// Credential id, issuer and key version are compared before (they choose the record and key).
std::string MismatchedField(const types::CardBody& b, const CredentialRecord& c) {
  if (b.type != c.type) return "type";
  if (b.level != c.level) return "level";
  if (b.valid_from != c.valid_from) return "valid_from";
  if (b.valid_until != c.valid_until) return "valid_until";
  return "";
}

// A card-stated string not yet proven by a signature, for a message: printable ASCII kept,
// every other byte as \xNN, cut at 64 bytes.
std::string Unproven(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < 64; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (s.size() > 64) out += "...";
  return out;
}

// "2026-12-05" style: the UTC date and time of unix seconds `t` (ISO 8601).
std::string IsoTime(uint64_t t) {
  const auto secs = static_cast<std::time_t>(t);
  std::tm tm{};
  if (gmtime_r(&secs, &tm) == nullptr) return std::to_string(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

const char* VerifyReasonName(VerifyReason r) {
  switch (r) {
    case VerifyReason::kValid:
      return "VALID";
    case VerifyReason::kMalformed:
      return "MALFORMED";
    case VerifyReason::kWrongChain:
      return "WRONG_CHAIN";
    case VerifyReason::kUnknownIssuer:
      return "UNKNOWN_ISSUER";
    case VerifyReason::kBadSignature:
      return "BAD_SIGNATURE";
    case VerifyReason::kNotOnLedger:
      return "NOT_ON_LEDGER";
    case VerifyReason::kDigestMismatch:
      return "DIGEST_MISMATCH";
    case VerifyReason::kRevoked:
      return "REVOKED";
    case VerifyReason::kSuspended:
      return "SUSPENDED";
    case VerifyReason::kExpired:
      return "EXPIRED";
    case VerifyReason::kNotYetValid:
      return "NOT_YET_VALID";
    case VerifyReason::kIssuerSuspended:
      return "ISSUER_SUSPENDED";
    case VerifyReason::kRecordMismatch:
      return "RECORD_MISMATCH";
    case VerifyReason::kOutOfScope:
      return "OUT_OF_SCOPE";
    case VerifyReason::kUnsafeText:
      return "UNSAFE_TEXT";
    case VerifyReason::kPresentationMissing:
      return "PRESENTATION_MISSING";
    case VerifyReason::kPresentationExpired:
      return "PRESENTATION_EXPIRED";
    case VerifyReason::kBadHolderSignature:
      return "BAD_HOLDER_SIGNATURE";
    case VerifyReason::kBindingRequired:
      return "BINDING_REQUIRED";
  }
  return "UNKNOWN";
}

const char* HolderBindingName(HolderBinding b) {
  switch (b) {
    case HolderBinding::kNone:
      return "";
    case HolderBinding::kUnbound:
      return "UNBOUND";
    case HolderBinding::kBound:
      return "BOUND";
  }
  return "";
}

std::optional<types::CredentialType> BindingTypeFromName(std::string_view name) {
  if (name == "MODEL_WORKER" || name == "model-worker" || name == "model_worker") {
    return types::CredentialType::kModelWorker;
  }
  if (name == "MEMBER" || name == "member") return types::CredentialType::kMember;
  return std::nullopt;
}

std::optional<std::pair<VerifyReason, std::string>> CheckHolder(
    const types::CardBody& card, const std::optional<std::string>& presentation_text,
    const HolderPolicy& policy, uint64_t now_unix_s) {
  using R = std::pair<VerifyReason, std::string>;
  if (!card.bound()) {
    for (const auto t : policy.require_binding) {
      if (t == card.type) {
        return R{VerifyReason::kBindingRequired,
                 std::string("this gate accepts ") + types::CredentialTypeName(card.type) +
                     " cards only when bound to the holder's phone; this card is not bound / "
                     "此闸机只受理绑定手机的此类卡，此卡未绑定"};
      }
    }
    return std::nullopt;
  }
  if (!presentation_text || presentation_text->empty()) {
    return R{VerifyReason::kPresentationMissing,
             "the card is bound to the holder's phone: show the phone's presentation code too / "
             "此卡已绑定手机，请同时出示手机生成的出示码"};
  }
  auto p = types::PresentationFromText(*presentation_text);
  if (!p.ok()) {
    return R{VerifyReason::kBadHolderSignature,
             "the presentation cannot be read (" + p.status().message() + ") / 出示码无法读取"};
  }
  if (p->body.credential_id != card.credential_id) {
    return R{VerifyReason::kBadHolderSignature, "the presentation is for another card ('" +
                                                    Unproven(p->body.credential_id) +
                                                    "') / 出示码不属于此卡"};
  }
  if (!types::VerifyPresentationSignature(*p, card.holder_key)) {
    return R{VerifyReason::kBadHolderSignature,
             "the presentation is not signed by the phone the card is bound to / "
             "出示码签名与此卡绑定的手机不符"};
  }
  if (policy.gate_id.empty() || p->body.gate_id != policy.gate_id) {
    return R{VerifyReason::kPresentationExpired,
             "the presentation was made for gate '" + Unproven(p->body.gate_id) + "', not " +
                 (policy.gate_id.empty() ? std::string("this gate (which has no gate id)")
                                         : "'" + policy.gate_id + "'") +
                 " / 出示码不是为本闸机生成的，请重新生成"};
  }
  if (p->body.kind == types::ChallengeKind::kNonce) {
    if (!policy.nonce || *policy.nonce != p->body.nonce) {
      return R{VerifyReason::kPresentationExpired,
               "the presentation answers a challenge that is not this gate's current one / "
               "出示码对应的挑战码不是本闸机当前的，请重新生成"};
    }
    return std::nullopt;
  }
  const uint64_t now_slot = types::SlotOf(now_unix_s);
  const uint64_t diff = p->body.slot > now_slot ? p->body.slot - now_slot : now_slot - p->body.slot;
  if (diff > policy.slot_skew) {
    return R{VerifyReason::kPresentationExpired,
             "the presentation is of " + IsoTime(p->body.slot * types::kSlotSeconds) + ", " +
                 std::to_string(diff * types::kSlotSeconds) + " s from now (" +
                 std::to_string(policy.slot_skew * types::kSlotSeconds) +
                 " s allowed): a copy, or the phone's clock is wrong / 出示码已过期，请刷新"};
  }
  return std::nullopt;
}

VerifyResult ApplyHolderCheck(VerifyResult r, const std::optional<std::string>& presentation_text,
                              const HolderPolicy& policy, uint64_t now_unix_s) {
  if (!r.card) return r;
  r.holder = r.card->bound() ? HolderBinding::kBound : HolderBinding::kUnbound;
  if (!r.valid()) return r;
  if (auto refusal = CheckHolder(*r.card, presentation_text, policy, now_unix_s)) {
    return Refuse(std::move(r), refusal->first, std::move(refusal->second));
  }
  return r;
}

namespace {

// VerifyCard's checks after the signature and the display fields, from "record on the ledger"
// on. `b` is the signed card body when the caller has it (VerifyCard); without it (VerifyStatus)
// the card's fields are not compared with the record (the gate does that).
VerifyResult CheckRecord(const StateView& state, const IssuerRecord& issuer,
                         const std::string& credential_id, const std::string& issuer_id,
                         uint32_t key_version, const Hash32& digest, const types::CardBody* b,
                         uint64_t now_unix_s, VerifyResult r) {
  r.credential = ReadCredential(state, credential_id);
  if (!r.credential || r.credential->issuer_id != issuer_id) {
    const bool foreign = r.credential.has_value();
    r.credential.reset();
    return Refuse(std::move(r), VerifyReason::kNotOnLedger,
                  foreign ? "credential '" + credential_id + "' belongs to another issuer"
                          : "credential '" + credential_id + "' is not on the ledger");
  }
  const CredentialRecord& c = *r.credential;
  if (c.card_digest != Bytes(digest.begin(), digest.end())) {
    return Refuse(std::move(r), VerifyReason::kDigestMismatch,
                  "card does not match the ledger record (replaced by a renewal, or altered)");
  }
  if (key_version != c.key_version) {
    return Refuse(std::move(r), VerifyReason::kBadSignature,
                  "card signed with key version " + std::to_string(key_version) +
                      " but the record was written under key version " +
                      std::to_string(c.key_version));
  }
  if (b != nullptr) {
    if (std::string field = MismatchedField(*b, c); !field.empty()) {
      return Refuse(std::move(r), VerifyReason::kRecordMismatch,
                    "the card's " + field + " differs from the ledger record's");
    }
  }
  if (!issuer.Allows(c.type, c.level)) {
    return Refuse(std::move(r), VerifyReason::kOutOfScope,
                  "issuer '" + issuer_id + "' may not issue " + TypeAndLevel(c));
  }
  {
    std::string parent = issuer.parent_id;
    for (size_t depth = 1; !parent.empty() && depth <= kMaxIssuerDepth; ++depth) {
      const auto p = ReadIssuer(state, parent);
      if (!p) break;
      if (!p->Allows(c.type, c.level)) {
        return Refuse(std::move(r), VerifyReason::kOutOfScope,
                      "ancestor '" + p->issuer_id + "' of issuer '" + issuer_id +
                          "' may not issue " + TypeAndLevel(c));
      }
      parent = p->parent_id;
    }
  }
  if (c.status == types::CredentialStatus::kRevoked) {
    return Refuse(std::move(r), VerifyReason::kRevoked,
                  "credential revoked" + (c.status_reason.empty() ? "" : ": " + c.status_reason));
  }
  if (c.status == types::CredentialStatus::kSuspended) {
    return Refuse(std::move(r), VerifyReason::kSuspended,
                  "credential suspended" +
                      (c.status_reason.empty() ? "" : ": " + c.status_reason));
  }
  if (const auto inactive = FirstInactiveOnChain(state, issuer)) {
    const std::string state_word =
        inactive->status == types::IssuerStatus::kRetired ? "retired" : "suspended";
    return Refuse(std::move(r), VerifyReason::kIssuerSuspended,
                  inactive->issuer_id == issuer_id
                      ? "issuer '" + issuer_id + "' is " + state_word
                      : "issuer '" + issuer_id + "' is under '" + inactive->issuer_id +
                            "', which is " + state_word);
  }
  if (now_unix_s < c.valid_from) {
    return Refuse(std::move(r), VerifyReason::kNotYetValid,
                  "valid from " + IsoTime(c.valid_from) + ", now " + IsoTime(now_unix_s));
  }
  if (now_unix_s >= c.valid_until) {
    return Refuse(std::move(r), VerifyReason::kExpired,
                  "valid until " + IsoTime(c.valid_until) + ", now " + IsoTime(now_unix_s));
  }
  r.reason = VerifyReason::kValid;
  r.message = "valid until " + IsoTime(c.valid_until);
  return r;
}

std::string UnknownIssuerMessage(std::string_view issuer_id) {
  return "issuer '" + Unproven(issuer_id) + "' is not on the ledger";
}

std::string NoKeyVersionMessage(const std::string& issuer_id, uint32_t key_version) {
  return "issuer '" + issuer_id + "' has no key version " + std::to_string(key_version);
}

}  // namespace

CardCheck CheckCardOffline(std::string_view chain_id, std::string_view card_text,
                           const IssuerKeysLookup& keys_of) {
  CardCheck out;
  VerifyResult& r = out.result;
  auto card = types::CardFromText(card_text);
  if (!card.ok()) {
    r = Refuse(std::move(r), VerifyReason::kMalformed, card.status().message());
    return out;
  }
  auto body = types::DecodeCardBody(card->body);
  if (!body.ok()) {
    r = Refuse(std::move(r), VerifyReason::kMalformed, body.status().message());
    return out;
  }
  const types::CardBody& b = *body;
  if (b.chain_id != chain_id) {
    r = Refuse(std::move(r), VerifyReason::kWrongChain,
               "card is for chain '" + Unproven(b.chain_id) + "', this ledger is '" +
                   std::string(chain_id) + "'");
    return out;
  }
  const auto keys = keys_of(b.issuer_id);
  if (!keys) {
    r = Refuse(std::move(r), VerifyReason::kUnknownIssuer, UnknownIssuerMessage(b.issuer_id));
    return out;
  }
  const auto key = keys->find(b.key_version);
  if (key == keys->end()) {
    r = Refuse(std::move(r), VerifyReason::kBadSignature,
               NoKeyVersionMessage(b.issuer_id, b.key_version));
    return out;
  }
  if (!types::VerifyCardSignature(*card, key->second)) {
    r = Refuse(std::move(r), VerifyReason::kBadSignature,
               "signature does not verify with key version " + std::to_string(b.key_version) +
                   " of issuer '" + b.issuer_id + "'");
    return out;
  }
  if (Status st = types::CheckCardDisplayFields(b); !st.ok()) {
    r = Refuse(std::move(r), VerifyReason::kUnsafeText,
               "the card's " + st.message() + "; it is not shown");
    return out;
  }
  r.card = b;  // signed by the issuer and safe to show
  r.reason = VerifyReason::kValid;
  out.digest = types::CardDigest(card->body);
  return out;
}

VerifyResult VerifyStatus(const StateView& state, const StatusQuery& q, uint64_t now_unix_s) {
  VerifyResult r;
  const auto issuer = ReadIssuer(state, q.issuer_id);
  if (!issuer) {
    return Refuse(std::move(r), VerifyReason::kUnknownIssuer, UnknownIssuerMessage(q.issuer_id));
  }
  if (issuer->key(q.key_version) == nullptr) {
    return Refuse(std::move(r), VerifyReason::kBadSignature,
                  NoKeyVersionMessage(q.issuer_id, q.key_version));
  }
  return CheckRecord(state, *issuer, q.credential_id, q.issuer_id, q.key_version, q.card_digest,
                     nullptr, now_unix_s, std::move(r));
}

std::string RecordMismatchField(const types::CardBody& card, types::CredentialType type,
                                types::Level level, uint64_t valid_from, uint64_t valid_until) {
  CredentialRecord c;
  c.type = type;
  c.level = level;
  c.valid_from = valid_from;
  c.valid_until = valid_until;
  return MismatchedField(card, c);
}

std::optional<std::pair<VerifyReason, std::string>> RecordMismatchOverride(
    const types::CardBody& card, VerifyReason node_reason,
    const std::optional<RecordFields>& record) {
  switch (node_reason) {
    case VerifyReason::kOutOfScope:
    case VerifyReason::kRevoked:
    case VerifyReason::kSuspended:
    case VerifyReason::kIssuerSuspended:
    case VerifyReason::kNotYetValid:
    case VerifyReason::kExpired:
    case VerifyReason::kValid:
      break;
    default:
      return std::nullopt;  // decided before VerifyCard compares the fields
  }
  if (!record) return std::nullopt;
  const std::string field = RecordMismatchField(card, record->type, record->level,
                                                record->valid_from, record->valid_until);
  if (field.empty()) return std::nullopt;
  return std::make_pair(VerifyReason::kRecordMismatch,
                        "the card's " + field + " differs from the ledger record's");
}

VerifyResult VerifyPrivately(const StateView& state, std::string_view chain_id,
                             std::string_view card_text, uint64_t now_unix_s) {
  CardCheck check =
      CheckCardOffline(chain_id, card_text,
                       [&state](const std::string& id) -> std::optional<std::map<uint32_t, Bytes>> {
                         const auto issuer = ReadIssuer(state, id);
                         if (!issuer) return std::nullopt;
                         std::map<uint32_t, Bytes> keys;
                         for (const IssuerKey& k : issuer->keys) keys[k.key_version] = k.public_key;
                         return keys;
                       });
  if (!check.result.valid()) return std::move(check.result);
  const types::CardBody& b = *check.result.card;
  VerifyResult r = VerifyStatus(
      state, StatusQuery{b.credential_id, b.issuer_id, b.key_version, check.digest}, now_unix_s);
  std::optional<RecordFields> fields;
  if (r.credential) {
    fields = RecordFields{r.credential->type, r.credential->level, r.credential->valid_from,
                          r.credential->valid_until};
  }
  if (auto o = RecordMismatchOverride(b, r.reason, fields)) {
    r.reason = o->first;
    r.message = std::move(o->second);
  }
  r.card = b;
  return r;
}

VerifyResult VerifyCard(const StateView& state, std::string_view chain_id,
                        std::string_view card_text, uint64_t now_unix_s) {
  VerifyResult r;
  auto card = types::CardFromText(card_text);
  if (!card.ok()) {
    return Refuse(std::move(r), VerifyReason::kMalformed, card.status().message());
  }
  auto body = types::DecodeCardBody(card->body);
  if (!body.ok()) {
    return Refuse(std::move(r), VerifyReason::kMalformed, body.status().message());
  }
  const types::CardBody& b = *body;

  if (b.chain_id != chain_id) {
    return Refuse(std::move(r), VerifyReason::kWrongChain,
                  "card is for chain '" + Unproven(b.chain_id) + "', this ledger is '" +
                      std::string(chain_id) + "'");
  }
  const auto issuer = ReadIssuer(state, b.issuer_id);
  if (!issuer) {
    return Refuse(std::move(r), VerifyReason::kUnknownIssuer, UnknownIssuerMessage(b.issuer_id));
  }
  const IssuerKey* key = issuer->key(b.key_version);
  if (key == nullptr) {
    return Refuse(std::move(r), VerifyReason::kBadSignature,
                  NoKeyVersionMessage(b.issuer_id, b.key_version));
  }
  if (!types::VerifyCardSignature(*card, key->public_key)) {
    return Refuse(std::move(r), VerifyReason::kBadSignature,
                  "signature does not verify with key version " + std::to_string(b.key_version) +
                      " of issuer '" + b.issuer_id + "'");
  }
  if (Status st = types::CheckCardDisplayFields(b); !st.ok()) {
    return Refuse(std::move(r), VerifyReason::kUnsafeText,
                  "the card's " + st.message() + "; it is not shown");
  }
  r.card = b;  // signed by the issuer and safe to show
  return CheckRecord(state, *issuer, b.credential_id, b.issuer_id, b.key_version,
                     types::CardDigest(card->body), &b, now_unix_s, std::move(r));
}

}  // namespace laurel::ledger

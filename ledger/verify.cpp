#include "ledger/verify.h"

#include <ctime>
#include <utility>

#include "ledger/executor.h"
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
  }
  return "UNKNOWN";
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
    return Refuse(std::move(r), VerifyReason::kUnknownIssuer,
                  "issuer '" + Unproven(b.issuer_id) + "' is not on the ledger");
  }
  const IssuerKey* key = issuer->key(b.key_version);
  if (key == nullptr) {
    return Refuse(std::move(r), VerifyReason::kBadSignature,
                  "issuer '" + b.issuer_id + "' has no key version " +
                      std::to_string(b.key_version));
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

  r.credential = ReadCredential(state, b.credential_id);
  if (!r.credential || r.credential->issuer_id != b.issuer_id) {
    const bool foreign = r.credential.has_value();
    r.credential.reset();
    return Refuse(std::move(r), VerifyReason::kNotOnLedger,
                  foreign ? "credential '" + b.credential_id + "' belongs to another issuer"
                          : "credential '" + b.credential_id + "' is not on the ledger");
  }
  const CredentialRecord& c = *r.credential;
  const Hash32 digest = types::CardDigest(card->body);
  if (c.card_digest != Bytes(digest.begin(), digest.end())) {
    return Refuse(std::move(r), VerifyReason::kDigestMismatch,
                  "card does not match the ledger record (replaced by a renewal, or altered)");
  }
  if (b.key_version != c.key_version) {
    return Refuse(std::move(r), VerifyReason::kBadSignature,
                  "card signed with key version " + std::to_string(b.key_version) +
                      " but the record was written under key version " +
                      std::to_string(c.key_version));
  }
  if (std::string field = MismatchedField(b, c); !field.empty()) {
    return Refuse(std::move(r), VerifyReason::kRecordMismatch,
                  "the card's " + field + " differs from the ledger record's");
  }
  if (!issuer->Allows(c.type, c.level)) {
    return Refuse(std::move(r), VerifyReason::kOutOfScope,
                  "issuer '" + b.issuer_id + "' may not issue " + TypeAndLevel(c));
  }
  {
    std::string parent = issuer->parent_id;
    for (size_t depth = 1; !parent.empty() && depth <= kMaxIssuerDepth; ++depth) {
      const auto p = ReadIssuer(state, parent);
      if (!p) break;
      if (!p->Allows(c.type, c.level)) {
        return Refuse(std::move(r), VerifyReason::kOutOfScope,
                      "ancestor '" + p->issuer_id + "' of issuer '" + b.issuer_id +
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
  if (const auto inactive = FirstInactiveOnChain(state, *issuer)) {
    const std::string state_word =
        inactive->status == types::IssuerStatus::kRetired ? "retired" : "suspended";
    return Refuse(std::move(r), VerifyReason::kIssuerSuspended,
                  inactive->issuer_id == b.issuer_id
                      ? "issuer '" + b.issuer_id + "' is " + state_word
                      : "issuer '" + b.issuer_id + "' is under '" + inactive->issuer_id +
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

}  // namespace laurel::ledger

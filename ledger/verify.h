// The gate decision (DESIGN.md §5): is this card, shown now, valid on this ledger?
//
// A pure function over a StateView: no clock, no I/O; the caller supplies "now". Checks run in
// a fixed order and the first that fails names the one reason:
//   decode (kMalformed) -> card chain id (kWrongChain) -> issuer known (kUnknownIssuer) ->
//   signature by the issuer key of the card's key_version (kBadSignature) -> the card's
//   display fields (holder name, member number) keep the display-text rules of
//   types/text_rules.h (kUnsafeText) -> record on the
//   ledger for the card's credential id, of the card's issuer (kNotOnLedger) -> card digest ==
//   record digest (kDigestMismatch) -> card key_version == record key_version (kBadSignature:
//   a key version other than the one current when the record was written, i.e. an old key
//   used after a rotation) -> every other field the record holds equals the card's: type,
//   level, valid_from, valid_until (kRecordMismatch: a digest match alone does not bind them,
//   since an issuer could record a MEMBER credential over a card body saying MODEL_WORKER) ->
//   the record's type and level within the grants of its issuer and of every ancestor
//   (kOutOfScope) -> record revoked (kRevoked) -> suspended (kSuspended) -> the issuer or any
//   ancestor up to the root federation not active, suspended or retired (kIssuerSuspended,
//   naming which) -> now < valid_from (kNotYetValid) -> now >= valid_until (kExpired) -> kValid.
// What a gate shows is the ledger record's type and level (`credential`), never only the
// card's. `card` is set only once the card's signature verified and its display fields are
// safe to show: a card refused before that (MALFORMED, WRONG_CHAIN, UNKNOWN_ISSUER,
// BAD_SIGNATURE for a signature that does not verify, UNSAFE_TEXT) returns no card fields,
// and its message quotes card-stated ids only in escaped form. `state` must be one consistent height (a Store snapshot), so that the issuer and
// the credential are read as of the same block.
//
// Thread safety: pure; safe on any thread given a StateView that is.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/state.h"
#include "types/card.h"

namespace laurel::ledger {

enum class VerifyReason : uint8_t {
  kValid = 0,
  kMalformed,
  kWrongChain,
  kUnknownIssuer,
  kBadSignature,
  kNotOnLedger,
  kDigestMismatch,
  kRevoked,
  kSuspended,
  kExpired,
  kNotYetValid,
  kIssuerSuspended,
  kRecordMismatch,
  kOutOfScope,
  kUnsafeText,  // a signed card whose holder name or member number breaks the text rules
  // Holder binding (CheckHolder below): checked last, on a card otherwise VALID.
  kPresentationMissing,  // a card bound to a device, shown without the device's presentation
  kPresentationExpired,  // a presentation of another time slot, nonce or gate
  kBadHolderSignature,   // a presentation not signed by the card's device key, or unreadable
  kBindingRequired,      // an unbound card where this gate requires binding for its type
};
inline constexpr uint8_t kMaxVerifyReason = static_cast<uint8_t>(VerifyReason::kBindingRequired);

// Whether the card carries a holder device key (CardBody.holder_key): kNone when no card was
// read (refused before its signature verified).
enum class HolderBinding : uint8_t { kNone = 0, kUnbound, kBound };
// "", "UNBOUND", "BOUND".
const char* HolderBindingName(HolderBinding b);

// "VALID", "MALFORMED", ... (the names of the API's VerifyResponse.Reason).
const char* VerifyReasonName(VerifyReason r);

struct VerifyResult {
  VerifyReason reason = VerifyReason::kMalformed;
  std::string message;                        // human detail
  std::optional<types::CardBody> card;        // when the card's signature verified (above)
  std::optional<CredentialRecord> credential; // when the ledger holds the card's credential id
  HolderBinding holder = HolderBinding::kNone;  // set by ApplyHolderCheck
  bool valid() const { return reason == VerifyReason::kValid; }
};

// Decides on `card_text` ("LC1:..." with optional surrounding whitespace) against `state`,
// for chain `chain_id`, at `now_unix_s`.
VerifyResult VerifyCard(const StateView& state, std::string_view chain_id,
                        std::string_view card_text, uint64_t now_unix_s);

// ---- The private online check (POST /v1/verify/status; docs/gate.md) -------------------------
//
// The same decision split in two, so that the holder's name and member number never leave the
// gate: the gate decodes the card and checks its signature with the issuer's key (from
// GET /v1/issuers/{id} or its own copy of the registry), then asks the node about the credential
// id and the card digest only. Put together (CombinePrivate), the two halves give the reason
// and message VerifyCard gives for the same card, state and time.

// The gate's half: decode (kMalformed) -> chain (kWrongChain) -> issuer known (kUnknownIssuer)
// -> signature by the key of the card's version (kBadSignature) -> display fields
// (kUnsafeText); kValid when all passed, then `card` is set and `digest` is the card digest.
// `keys_of` gives an issuer's public keys by key version, nullopt for an unknown issuer.
using IssuerKeysLookup =
    std::function<std::optional<std::map<uint32_t, Bytes>>(const std::string& issuer_id)>;
struct CardCheck {
  VerifyResult result;  // reason kValid: the card may be asked about
  Hash32 digest{};
};
CardCheck CheckCardOffline(std::string_view chain_id, std::string_view card_text,
                           const IssuerKeysLookup& keys_of);

// What the gate asks the node: no card field but these.
struct StatusQuery {
  std::string credential_id;
  std::string issuer_id;
  uint32_t key_version = 0;
  Hash32 card_digest{};
};

// The node's half: VerifyCard's checks from "issuer known" on, minus the signature and the
// comparison of card fields with the record (the node has neither the signature nor the
// fields): kUnknownIssuer, kBadSignature (the issuer has no such key version, or the record was
// written under another), kNotOnLedger, kDigestMismatch, kOutOfScope, kRevoked, kSuspended,
// kIssuerSuspended, kNotYetValid, kExpired, kValid. `card` is never set; `credential` is, as
// in VerifyCard, whenever the issuer's record exists.
VerifyResult VerifyStatus(const StateView& state, const StatusQuery& query, uint64_t now_unix_s);

// The first field the record holds that the card states differently: "type", "level",
// "valid_from", "valid_until", or "" when all agree.
std::string RecordMismatchField(const types::CardBody& card, types::CredentialType type,
                                types::Level level, uint64_t valid_from, uint64_t valid_until);

// The gate's last step: the node's reason, except that a record whose type, level or validity
// differs from the card's is RECORD_MISMATCH wherever VerifyCard would have stopped there (any
// reason after the key-version check). `record` holds the record's fields as the node returned
// them (nullopt when it returned none).
struct RecordFields {
  types::CredentialType type = types::CredentialType::kUnspecified;
  types::Level level = types::Level::kUnspecified;
  uint64_t valid_from = 0;
  uint64_t valid_until = 0;
};
std::optional<std::pair<VerifyReason, std::string>> RecordMismatchOverride(
    const types::CardBody& card, VerifyReason node_reason,
    const std::optional<RecordFields>& record);

// Both halves in one process (tests, and gates holding a state copy): CheckCardOffline with
// the issuers of `state`, VerifyStatus, RecordMismatchOverride.
VerifyResult VerifyPrivately(const StateView& state, std::string_view chain_id,
                             std::string_view card_text, uint64_t now_unix_s);

// ---- Holder binding (docs/gate.md "Holder binding"; types/presentation.h) -------------------
//
// A card may carry its holder's device key; the device then signs a presentation for the gate
// (credential id, gate id, and the gate's nonce or the current 30-second slot). The check runs
// on a card whose decision is otherwise VALID, in this order: unbound card -> VALID, unless the
// gate requires binding for the card's type (kBindingRequired); bound card without presentation
// (kPresentationMissing); presentation unreadable, for another credential, or not signed by the
// card's holder key (kBadHolderSignature); for another gate, another nonce than the gate's
// current one, or a slot more than `slot_skew` slots from now (kPresentationExpired).
struct HolderPolicy {
  std::string gate_id;         // this gate's id; a presentation must name it
  std::optional<Bytes> nonce;  // the gate's current challenge, when it issues one
  uint64_t slot_skew = 1;      // slots accepted either side of the current one
  std::vector<types::CredentialType> require_binding;  // types refused when unbound
};

// nullopt: the holder check passes; else the refusal and its message (English / 简体中文).
std::optional<std::pair<VerifyReason, std::string>> CheckHolder(
    const types::CardBody& card, const std::optional<std::string>& presentation_text,
    const HolderPolicy& policy, uint64_t now_unix_s);

// Sets r.holder from r.card, and refuses a VALID r with CheckHolder's reason.
VerifyResult ApplyHolderCheck(VerifyResult r, const std::optional<std::string>& presentation_text,
                              const HolderPolicy& policy, uint64_t now_unix_s);

// "MODEL_WORKER" / "model-worker" / "MEMBER" / "member" -> the type; nullopt otherwise.
std::optional<types::CredentialType> BindingTypeFromName(std::string_view name);

}  // namespace laurel::ledger

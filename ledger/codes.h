// Result codes of transaction execution. Every rejection has its own code; the numeric
// values are part of the chain's history (stored, hashed into results) and never change.
#pragma once

#include <cstdint>

namespace laurel::ledger {

enum class TxCode : uint32_t {
  kOk = 0,
  kMalformed = 1,               // body does not decode, or a field is out of its allowed form
  kWrongChain = 2,              // body.chain_id is not this chain's
  kExpired = 3,                 // block height > expires_at_height
  kDuplicateTx = 4,             // tx_id already spent (see ConsumesTxId), or earlier in the block
  kMissingSignature = 5,        // no signatures at all
  kBadSignature = 6,            // some signature does not verify
  kUnauthorized = 7,            // no signature by a key allowed to authorise the action
  kInsufficientSignatures = 8,  // governance: fewer than threshold distinct admin signatures
  kUnknownIssuer = 9,
  kIssuerExists = 10,
  kIssuerInactive = 11,         // issuer (or delegating parent) suspended or retired
  kCannotDelegate = 12,         // parent lacks can_delegate
  kScopeNotAllowed = 13,        // type / level outside the issuer's (or parent's) grants
  kCredentialExists = 14,
  kUnknownCredential = 15,
  kIllegalTransition = 16,      // e.g. anything after REVOKED, or a status to itself
  kBadValidity = 17,            // valid_until <= valid_from
  kBadCredentialId = 18,        // not "<issuer_id>/..." or bad characters/length
  kBadKey = 19,                 // a public key that is not 32 bytes, or reused
  kBadThreshold = 20,           // governance threshold not in 1..number of admins
  kBadIssuerId = 21,            // issuer id not [a-z0-9-]{2,64}
  kBadDigest = 22,              // card digest not 32 bytes
  kBadValidatorSet = 23,        // empty, duplicate or malformed validator keys
  kHeldByHigherAuthority = 24,  // lifting a status set by a higher authority (see Authority)
  kUnsafeText = 25,  // an issuer name or status reason breaking the display-text rules
                     // (types/text_rules.h: NFC, no control or bidi characters)
};

inline constexpr uint32_t kMaxTxCode = 25;

// The gate's verification reasons (VALID, MALFORMED, ..., UNSAFE_TEXT) are a separate list:
// ledger::VerifyReason in ledger/verify.h, VerifyResponse.Reason in proto/laurel/v1/api.proto.

// Whether a transaction recorded with this code spends its tx id (is entered in the tx
// index, so that the same id is a duplicate forever). A tx that failed to decode or whose
// signatures did not verify does not: its id stays free for the genuine transaction. Nor does
// one that failed only for want of authority (UNAUTHORIZED, INSUFFICIENT_SIGNATURES,
// HELD_BY_HIGHER_AUTHORITY): otherwise a co-signer or relay holding a 1-of-k copy of a
// governance action could kill it by getting that copy committed first.
// Execution order of the checks: MALFORMED (decode, nonce) -> MISSING_SIGNATURE ->
// BAD_SIGNATURE -> DUPLICATE_TX -> WRONG_CHAIN -> EXPIRED -> field forms -> state rules.
inline bool ConsumesTxId(TxCode code) {
  return code != TxCode::kMalformed && code != TxCode::kMissingSignature &&
         code != TxCode::kBadSignature && code != TxCode::kDuplicateTx &&
         code != TxCode::kUnauthorized && code != TxCode::kInsufficientSignatures &&
         code != TxCode::kHeldByHigherAuthority;
}

// "OK", "MALFORMED", "WRONG_CHAIN", ... (stable names used by the API and CLI).
const char* TxCodeName(TxCode code);

}  // namespace laurel::ledger

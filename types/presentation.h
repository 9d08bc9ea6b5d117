// A holder's presentation (docs/spec/signing.md §4.1): the holder's device signs, for one gate
// and one moment, the credential id of a card bound to that device (CardBody.holder_key), so
// that a screenshot of the card's QR code alone does not pass a gate that asks for binding.
//
// Wire bytes (all lengths one byte, integers big-endian):
//   body = u8 version (1) || u8 kind (1: nonce, 2: time slot)
//          || u8 len || credential_id || u8 len || gate_id
//          || kind 1: u8 len || nonce (8..32 bytes) | kind 2: u64 slot (unix seconds / 30)
//   presentation = body || signature (64 bytes, Ed25519 by the device key over
//                  "laurel/presentation/v1\0" || body)
//   text = "LP1:" || base45(presentation)
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ed25519.h"

namespace laurel::types {

inline constexpr std::string_view kPresentationSignDomain{"laurel/presentation/v1\0", 23};
inline constexpr std::string_view kPresentationPrefix = "LP1:";
inline constexpr uint8_t kPresentationVersion = 1;
inline constexpr uint64_t kSlotSeconds = 30;
inline constexpr size_t kMaxPresentationIdBytes = 128;  // credential id
inline constexpr size_t kMaxGateIdBytes = 64;
inline constexpr size_t kMinNonceBytes = 8;
inline constexpr size_t kMaxNonceBytes = 32;
inline constexpr size_t kMaxPresentationBytes =
    2 + 1 + kMaxPresentationIdBytes + 1 + kMaxGateIdBytes + 1 + kMaxNonceBytes + 64;

enum class ChallengeKind : uint8_t { kNonce = 1, kSlot = 2 };

struct PresentationBody {
  std::string credential_id;
  std::string gate_id;
  ChallengeKind kind = ChallengeKind::kSlot;
  Bytes nonce;        // kind kNonce: the gate's challenge
  uint64_t slot = 0;  // kind kSlot: unix seconds / kSlotSeconds
};

struct Presentation {
  PresentationBody body;
  Bytes signature;  // 64 bytes
};

// The time slot of a unix time.
inline uint64_t SlotOf(uint64_t unix_s) { return unix_s / kSlotSeconds; }

// The body bytes (what is signed, after the domain). Checks the limits above.
Result<Bytes> EncodePresentationBody(const PresentationBody& body);
Result<Presentation> DecodePresentation(ByteView bytes);
Bytes EncodePresentation(const Presentation& p);  // p must have a valid body

Result<Presentation> SignPresentation(const PresentationBody& body,
                                      const crypto::PrivateKey& device_key);
bool VerifyPresentationSignature(const Presentation& p, ByteView device_public_key);

// "LP1:<base45>" <-> Presentation; surrounding whitespace is ignored.
std::string PresentationToText(const Presentation& p);
Result<Presentation> PresentationFromText(std::string_view text);

}  // namespace laurel::types

// The card a holder carries: "LC1:" + base45(Card), Card = {body, signature} where the
// signature is the issuer's Ed25519 over kCardSignDomain || body (docs/spec/signing.md).
#pragma once

#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ed25519.h"
#include "types/tx.h"

namespace laurel::types {

inline constexpr std::string_view kCardSignDomain{"laurel/card/v1\0", 15};
inline constexpr std::string_view kCardDigestDomain{"laurel/card-digest/v1\0", 22};
inline constexpr std::string_view kCardPrefix = "LC1:";
inline constexpr size_t kCardSaltSize = 16;
inline constexpr size_t kMaxCardBytes = 2048;  // a QR code holds about 4,000 alphanumerics

struct CardBody {
  std::string chain_id;
  std::string credential_id;
  std::string issuer_id;
  uint32_t key_version = 0;
  CredentialType type = CredentialType::kUnspecified;
  Level level = Level::kUnspecified;
  std::string holder_name;
  std::string member_no;
  Bytes salt;
  uint64_t valid_from = 0;
  uint64_t valid_until = 0;
  // The holder's device public key (32 bytes) of a bound card; empty: unbound.
  Bytes holder_key;
  bool bound() const { return !holder_key.empty(); }
};

struct Card {
  Bytes body;       // exact CardBody bytes
  Bytes signature;  // 64 bytes
};

Bytes EncodeCardBody(const CardBody& body);
Result<CardBody> DecodeCardBody(ByteView body);

// Signs `body` with the issuer key: returns the card.
Card SignCard(const CardBody& body, const crypto::PrivateKey& issuer_key);
bool VerifyCardSignature(const Card& card, ByteView issuer_public_key);
// SHA-256("laurel/card-digest/v1\0" || body): what the ledger stores.
Hash32 CardDigest(ByteView card_body);

Bytes EncodeCard(const Card& card);
Result<Card> DecodeCard(ByteView bytes);

// "LC1:<base45>" <-> Card. Accepts surrounding whitespace; rejects a missing prefix, bad
// base45, bytes that are not a Card, and anything over kMaxCardBytes.
std::string CardToText(const Card& card);
Result<Card> CardFromText(std::string_view text);

}  // namespace laurel::types

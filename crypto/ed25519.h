// Ed25519 signatures (libsodium). Verification is strict: libsodium rejects
// non-canonical encodings and small-order keys, so every node decides identically.
//
// Thread safety: all functions are safe to call concurrently. Call crypto::Init() once
// at process start (it is idempotent) before using anything in this module.
#pragma once

#include <array>
#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace laurel::crypto {

constexpr size_t kPublicKeySize = 32;
constexpr size_t kSeedSize = 32;
constexpr size_t kSignatureSize = 64;

using PublicKey = std::array<uint8_t, kPublicKeySize>;
using Signature = std::array<uint8_t, kSignatureSize>;

// Initialises libsodium. Aborts if the library cannot be initialised.
void Init();

// A signing key. The secret material is wiped on destruction.
class PrivateKey {
 public:
  // A fresh random key.
  static PrivateKey Generate();
  // Deterministic key from a 32-byte seed (RFC 8032 secret key).
  static Result<PrivateKey> FromSeed(ByteView seed);

  PrivateKey(const PrivateKey&);
  PrivateKey& operator=(const PrivateKey&);
  ~PrivateKey();

  const PublicKey& public_key() const { return pk_; }
  // The 32-byte seed (for writing key files).
  ByteView seed() const { return {sk_.data(), kSeedSize}; }
  Signature Sign(ByteView message) const;

 private:
  PrivateKey() = default;
  std::array<uint8_t, 64> sk_{};
  PublicKey pk_{};
};

// Strict verification. Returns false for any malformed key, signature or mismatch.
bool Verify(ByteView public_key, ByteView message, ByteView signature);

// Signs or verifies `domain || message` without copying message into a new buffer when the
// domain is short (domain separation tags such as "laurel/tx/v1\0").
Signature SignWithDomain(const PrivateKey& key, std::string_view domain, ByteView message);
bool VerifyWithDomain(ByteView public_key, std::string_view domain, ByteView message,
                      ByteView signature);

}  // namespace laurel::crypto

#include "crypto/ed25519.h"

#include <sodium.h>

#include <cstring>

namespace laurel::crypto {

void Init() {
  LAUREL_CHECK(sodium_init() >= 0, "libsodium initialisation failed");
}

PrivateKey PrivateKey::Generate() {
  Init();
  PrivateKey k;
  crypto_sign_keypair(k.pk_.data(), k.sk_.data());
  return k;
}

Result<PrivateKey> PrivateKey::FromSeed(ByteView seed) {
  if (seed.size() != kSeedSize) {
    return Status::InvalidArgument("ed25519 seed must be 32 bytes, got " +
                                   std::to_string(seed.size()));
  }
  Init();
  PrivateKey k;
  crypto_sign_seed_keypair(k.pk_.data(), k.sk_.data(), seed.data());
  return k;
}

PrivateKey::PrivateKey(const PrivateKey& o) : sk_(o.sk_), pk_(o.pk_) {}
PrivateKey& PrivateKey::operator=(const PrivateKey& o) {
  sk_ = o.sk_;
  pk_ = o.pk_;
  return *this;
}
PrivateKey::~PrivateKey() { sodium_memzero(sk_.data(), sk_.size()); }

Signature PrivateKey::Sign(ByteView message) const {
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), sk_.data());
  return sig;
}

bool Verify(ByteView public_key, ByteView message, ByteView signature) {
  if (public_key.size() != kPublicKeySize || signature.size() != kSignatureSize) return false;
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     public_key.data()) == 0;
}

namespace {
// Domain tags are short; messages up to this size are framed on the stack.
constexpr size_t kStackFrame = 1024;

template <typename F>
auto WithFramed(std::string_view domain, ByteView message, F&& f) {
  const size_t n = domain.size() + message.size();
  if (n <= kStackFrame) {
    uint8_t buf[kStackFrame];
    std::memcpy(buf, domain.data(), domain.size());
    if (!message.empty()) std::memcpy(buf + domain.size(), message.data(), message.size());
    return f(ByteView(buf, n));
  }
  Bytes buf(n);
  std::memcpy(buf.data(), domain.data(), domain.size());
  std::memcpy(buf.data() + domain.size(), message.data(), message.size());
  return f(ByteView(buf));
}
}  // namespace

Signature SignWithDomain(const PrivateKey& key, std::string_view domain, ByteView message) {
  return WithFramed(domain, message, [&](ByteView m) { return key.Sign(m); });
}

bool VerifyWithDomain(ByteView public_key, std::string_view domain, ByteView message,
                      ByteView signature) {
  return WithFramed(domain, message,
                    [&](ByteView m) { return Verify(public_key, m, signature); });
}

}  // namespace laurel::crypto

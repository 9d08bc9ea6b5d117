#include "crypto/sha256.h"

// The direct SHA-256 functions: deprecated in OpenSSL 3 in favour of EVP, whose dispatch costs
// more than hashing a state tree node (two compression rounds) does.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "common/check.h"

namespace laurel::crypto {

Sha256::Sha256() : ctx_(new SHA256_CTX) { Reset(); }
Sha256::~Sha256() { delete ctx_; }

Sha256& Sha256::Reset() {
  LAUREL_CHECK(SHA256_Init(ctx_) == 1, "sha256 init");
  return *this;
}
Sha256& Sha256::Update(ByteView data) {
  LAUREL_CHECK(SHA256_Update(ctx_, data.data(), data.size()) == 1, "sha256 update");
  return *this;
}
Hash32 Sha256::Finish() {
  Hash32 out;
  LAUREL_CHECK(SHA256_Final(out.data(), ctx_) == 1, "sha256 final");
  Reset();
  return out;
}

namespace {
Sha256& ThreadHasher() {
  thread_local Sha256 h;
  return h;
}
}  // namespace

Hash32 Sha256Of(ByteView data) { return ThreadHasher().Update(data).Finish(); }

Hash32 TaggedHash(std::string_view domain, ByteView data) {
  return ThreadHasher().Update(domain).Update(data).Finish();
}

}  // namespace laurel::crypto

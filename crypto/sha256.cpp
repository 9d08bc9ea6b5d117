#include "crypto/sha256.h"

#include <openssl/evp.h>

#include "common/check.h"

namespace laurel::crypto {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  LAUREL_CHECK(ctx_ != nullptr, "EVP_MD_CTX_new failed");
  Reset();
}
Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

Sha256& Sha256::Reset() {
  LAUREL_CHECK(EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) == 1, "sha256 init");
  return *this;
}
Sha256& Sha256::Update(ByteView data) {
  LAUREL_CHECK(EVP_DigestUpdate(ctx_, data.data(), data.size()) == 1, "sha256 update");
  return *this;
}
Hash32 Sha256::Finish() {
  Hash32 out;
  unsigned int len = 0;
  LAUREL_CHECK(EVP_DigestFinal_ex(ctx_, out.data(), &len) == 1 && len == 32, "sha256 final");
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

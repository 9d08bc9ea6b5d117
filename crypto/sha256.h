// SHA-256 (OpenSSL's SHA-256 functions, which use the CPU's SHA instructions where it has them).
// A Sha256 object owns one reusable context; hashing many small messages with one object avoids
// a context allocation per hash.
//
// Thread safety: a Sha256 object is not thread-safe; the free functions use a thread-local
// context and are safe from any thread.
#pragma once

#include <string_view>

#include "common/bytes.h"

struct SHA256state_st;

namespace laurel::crypto {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& Reset();
  Sha256& Update(ByteView data);
  Sha256& Update(std::string_view data) { return Update(AsBytes(data)); }
  Hash32 Finish();

 private:
  SHA256state_st* ctx_;
};

Hash32 Sha256Of(ByteView data);
inline Hash32 Sha256Of(std::string_view data) { return Sha256Of(AsBytes(data)); }
// SHA-256(domain || data): the tagged hashes of docs/spec/signing.md.
Hash32 TaggedHash(std::string_view domain, ByteView data);

}  // namespace laurel::crypto

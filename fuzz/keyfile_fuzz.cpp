// Key files (crypto/keyfile.h) as the node and the CLI read them: parsing never crashes, a key
// that loads matches its file's public key. Encrypted files are read without a passphrase (the
// key derivation is deliberately slow; its limits are checked before it runs).
#include "crypto/keyfile.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace laurel;
  const std::string path = fuzz::WriteScratchFile(".key", data, size);
  (void)crypto::KeyFileIsEncrypted(path);
  auto key = crypto::ReadKeyFile(path);
  if (key.ok()) {
    auto again = crypto::PrivateKey::FromSeed(key->seed());
    FUZZ_CHECK(again.ok() && again->public_key() == key->public_key());
  }
  return 0;
}

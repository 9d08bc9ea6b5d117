// Key files: one Ed25519 key per file, JSON, written with mode 0600.
//
//   {"type":"laurel-ed25519-v1","public_key":"<hex>","seed":"<hex>"}              plain
//   {"type":"laurel-ed25519-v1","public_key":"<hex>","kdf":"argon2id13",
//    "opslimit":N,"memlimit":N,"salt":"<hex>","nonce":"<hex>","ciphertext":"<hex>"}  encrypted
//
// Encryption: key = crypto_pwhash(passphrase, salt) (Argon2id), seed sealed with
// crypto_secretbox (XSalsa20-Poly1305). Reading refuses a file readable by group or others
// (kPermissionDenied), a symbolic link (kPermissionDenied: key files are opened with
// O_NOFOLLOW, so a link planted in their place is not followed), a wrong passphrase
// (kPermissionDenied), and a public key that does not match the seed (kCorruption).
//
// Secrets in memory: the file text, the seed (hex and bytes) and the derived box key are wiped
// (sodium_memzero) before these functions return; the caller wipes its passphrase with
// WipeSecret once done with it.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"
#include "crypto/ed25519.h"

namespace laurel::crypto {

// Fails with kAlreadyExists rather than overwrite an existing file.
Status WriteKeyFile(const std::string& path, const PrivateKey& key,
                    const std::optional<std::string>& passphrase = std::nullopt);
Result<PrivateKey> ReadKeyFile(const std::string& path,
                               const std::optional<std::string>& passphrase = std::nullopt);
// True when the file at `path` is encrypted (needs a passphrase).
Result<bool> KeyFileIsEncrypted(const std::string& path);

// Zeroes every byte `s` holds (its whole capacity), then empties it: for passphrases and seed
// text once they are no longer needed.
void WipeSecret(std::string& s);

}  // namespace laurel::crypto

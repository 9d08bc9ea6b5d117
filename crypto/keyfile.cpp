#include "crypto/keyfile.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <type_traits>

namespace laurel::crypto {
namespace {

constexpr const char* kType = "laurel-ed25519-v1";

// Wipes a buffer of secrets when it goes out of scope, whichever way the function returns.
template <typename Buffer>
class WipeOnExit {
 public:
  explicit WipeOnExit(Buffer& b) : b_(b) {}
  ~WipeOnExit() {
    if constexpr (std::is_same_v<Buffer, std::string>) {
      WipeSecret(b_);
    } else {
      sodium_memzero(b_.data(), b_.size());
    }
  }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

 private:
  Buffer& b_;
};

// The seed text of a parsed plain key file, wiped with the JSON document's other secrets.
std::string* SeedText(nlohmann::json& j) {
  if (!j.is_object()) return nullptr;
  auto it = j.find("seed");
  if (it == j.end() || !it->is_string()) return nullptr;
  return &it->get_ref<std::string&>();
}

// Wipes the seed text held in a JSON document when it goes out of scope.
class WipeSeedTextOnExit {
 public:
  explicit WipeSeedTextOnExit(nlohmann::json& j) : j_(j) {}
  ~WipeSeedTextOnExit() {
    try {
      if (std::string* seed = SeedText(j_)) WipeSecret(*seed);
    } catch (...) {
      // The lookups throw only for a document of another shape, which holds no seed text.
    }
  }
  WipeSeedTextOnExit(const WipeSeedTextOnExit&) = delete;
  WipeSeedTextOnExit& operator=(const WipeSeedTextOnExit&) = delete;

 private:
  nlohmann::json& j_;
};

Status WriteAllSynced(const std::string& path, const std::string& data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Status::AlreadyExists("key file exists, not overwriting: " + path);
    return Status::IoError("cannot create " + path + ": " + std::strerror(errno));
  }
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string err = std::strerror(errno);
      ::close(fd);
      return Status::IoError("write " + path + ": " + err);
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return Status::IoError("fsync/close " + path);
  return Status::Ok();
}

Result<std::string> ReadPrivateFile(const std::string& path) {
  // O_NOFOLLOW: a symbolic link put where the key file should be (pointing at another user's
  // key, or at a file an attacker controls) is refused instead of followed.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP) {
      return Status::PermissionDenied("key file " + path +
                                      " is a symbolic link; refusing to follow it (name the file "
                                      "itself)");
    }
    return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::IoError("stat " + path);
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    return Status::PermissionDenied("key file " + path + " has mode " + mode +
                                    ": readable by group or others; run chmod 600");
  }
  if (st.st_size > off_t{64} * 1024) {
    ::close(fd);
    return Status::InvalidArgument("key file " + path + " is too large");
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::read(fd, data.data() + off, data.size() - off);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      ::close(fd);
      WipeSecret(data);
      return Status::IoError("read " + path);
    }
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  return data;  // moved out: the caller wipes it
}

Result<Bytes> HexField(const nlohmann::json& j, const char* name, size_t want) {
  if (!j.contains(name) || !j[name].is_string()) {
    return Status::InvalidArgument(std::string("key file: missing field ") + name);
  }
  // By reference and moved out: the seed is neither copied as text nor as bytes.
  auto b = HexDecode(j[name].get_ref<const std::string&>());
  if (!b || (want != 0 && b->size() != want)) {
    if (b) sodium_memzero(b->data(), b->size());
    return Status::InvalidArgument(std::string("key file: bad field ") + name);
  }
  return std::move(*b);
}

}  // namespace

void WipeSecret(std::string& s) {
  s.resize(s.capacity());
  sodium_memzero(s.data(), s.size());
  s.clear();
}

Status WriteKeyFile(const std::string& path, const PrivateKey& key,
                    const std::optional<std::string>& passphrase) {
  Init();
  nlohmann::json j;
  j["type"] = kType;
  j["public_key"] = HexEncode(key.public_key());
  WipeSeedTextOnExit wipe_seed_text(j);
  if (!passphrase) {
    j["seed"] = HexEncode(key.seed());
  } else {
    uint8_t salt[crypto_pwhash_SALTBYTES];
    uint8_t nonce[crypto_secretbox_NONCEBYTES];
    uint8_t box_key[crypto_secretbox_KEYBYTES];
    randombytes_buf(salt, sizeof salt);
    randombytes_buf(nonce, sizeof nonce);
    const unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    const size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (crypto_pwhash(box_key, sizeof box_key, passphrase->data(), passphrase->size(), salt, ops,
                      mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
      return Status::Internal("crypto_pwhash: out of memory");
    }
    Bytes ct(kSeedSize + crypto_secretbox_MACBYTES);
    crypto_secretbox_easy(ct.data(), key.seed().data(), kSeedSize, nonce, box_key);
    sodium_memzero(box_key, sizeof box_key);
    j["kdf"] = "argon2id13";
    j["opslimit"] = ops;
    j["memlimit"] = mem;
    j["salt"] = HexEncode(ByteView(salt, sizeof salt));
    j["nonce"] = HexEncode(ByteView(nonce, sizeof nonce));
    j["ciphertext"] = HexEncode(ct);
  }
  std::string text = j.dump(2) + "\n";
  WipeOnExit wipe_text(text);
  return WriteAllSynced(path, text);
}

Result<bool> KeyFileIsEncrypted(const std::string& path) {
  LAUREL_ASSIGN_OR_RETURN(std::string data, ReadPrivateFile(path));
  WipeOnExit wipe_data(data);
  auto j = nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
  WipeSeedTextOnExit wipe_seed_text(j);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("key file: not JSON");
  return j.contains("ciphertext");
}

Result<PrivateKey> ReadKeyFile(const std::string& path,
                               const std::optional<std::string>& passphrase) {
  Init();
  LAUREL_ASSIGN_OR_RETURN(std::string data, ReadPrivateFile(path));
  WipeOnExit wipe_data(data);
  auto j = nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
  WipeSeedTextOnExit wipe_seed_text(j);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("key file " + path + ": not a JSON object");
  }
  if (!j.contains("type") || j["type"] != kType) {
    return Status::InvalidArgument("key file " + path + ": unknown type");
  }
  LAUREL_ASSIGN_OR_RETURN(Bytes pub, HexField(j, "public_key", kPublicKeySize));
  Bytes seed;
  WipeOnExit wipe_seed(seed);
  if (j.contains("seed")) {
    LAUREL_ASSIGN_OR_RETURN(seed, HexField(j, "seed", kSeedSize));
  } else {
    if (!passphrase) {
      return Status::PermissionDenied("key file " + path + " is encrypted: a passphrase is needed");
    }
    LAUREL_ASSIGN_OR_RETURN(Bytes salt, HexField(j, "salt", crypto_pwhash_SALTBYTES));
    LAUREL_ASSIGN_OR_RETURN(Bytes nonce, HexField(j, "nonce", crypto_secretbox_NONCEBYTES));
    LAUREL_ASSIGN_OR_RETURN(Bytes ct,
                            HexField(j, "ciphertext", kSeedSize + crypto_secretbox_MACBYTES));
    if (!j.contains("opslimit") || !j["opslimit"].is_number_unsigned() ||
        !j.contains("memlimit") || !j["memlimit"].is_number_unsigned()) {
      return Status::InvalidArgument("key file: bad kdf limits");
    }
    const auto ops = j["opslimit"].get<unsigned long long>();
    const auto mem = j["memlimit"].get<size_t>();
    if (ops > crypto_pwhash_OPSLIMIT_SENSITIVE || mem > crypto_pwhash_MEMLIMIT_SENSITIVE) {
      return Status::InvalidArgument("key file: kdf limits too large");
    }
    uint8_t box_key[crypto_secretbox_KEYBYTES];
    if (crypto_pwhash(box_key, sizeof box_key, passphrase->data(), passphrase->size(),
                      salt.data(), ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
      return Status::Internal("crypto_pwhash failed");
    }
    seed.resize(kSeedSize);
    const int rc =
        crypto_secretbox_open_easy(seed.data(), ct.data(), ct.size(), nonce.data(), box_key);
    sodium_memzero(box_key, sizeof box_key);
    if (rc != 0) return Status::PermissionDenied("key file " + path + ": wrong passphrase");
  }
  LAUREL_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::FromSeed(seed));
  if (!std::equal(pub.begin(), pub.end(), key.public_key().begin())) {
    return Status::Corruption("key file " + path + ": public key does not match the seed");
  }
  return key;
}

}  // namespace laurel::crypto

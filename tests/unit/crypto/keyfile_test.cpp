#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

#include "crypto/keyfile.h"

using namespace laurel;
using namespace laurel::crypto;
namespace fs = std::filesystem;

namespace {
struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/laurel-keyfile-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};
}  // namespace

TEST_CASE("a plain key file round-trips and is written with mode 0600", "[keyfile]") {
  TempDir dir;
  const auto path = (dir.path / "k.json").string();
  const PrivateKey key = PrivateKey::Generate();
  REQUIRE(WriteKeyFile(path, key).ok());
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto back = ReadKeyFile(path);
  REQUIRE(back.ok());
  CHECK(back->public_key() == key.public_key());
  CHECK(*KeyFileIsEncrypted(path) == false);
}

TEST_CASE("an existing key file is never overwritten", "[keyfile]") {
  TempDir dir;
  const auto path = (dir.path / "k.json").string();
  REQUIRE(WriteKeyFile(path, PrivateKey::Generate()).ok());
  auto st = WriteKeyFile(path, PrivateKey::Generate());
  CHECK(st.code() == StatusCode::kAlreadyExists);
}

TEST_CASE("a group- or world-readable key file is refused", "[keyfile]") {
  TempDir dir;
  const auto path = (dir.path / "k.json").string();
  REQUIRE(WriteKeyFile(path, PrivateKey::Generate()).ok());
  REQUIRE(chmod(path.c_str(), 0644) == 0);
  auto r = ReadKeyFile(path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kPermissionDenied);
  CHECK(r.status().message().find("chmod 600") != std::string::npos);
}

TEST_CASE("an encrypted key file needs the right passphrase", "[keyfile]") {
  TempDir dir;
  const auto path = (dir.path / "k.json").string();
  const PrivateKey key = PrivateKey::Generate();
  REQUIRE(WriteKeyFile(path, key, std::string("correct horse")).ok());
  CHECK(*KeyFileIsEncrypted(path));
  CHECK(ReadKeyFile(path).status().code() == StatusCode::kPermissionDenied);
  CHECK(ReadKeyFile(path, std::string("wrong")).status().code() ==
        StatusCode::kPermissionDenied);
  auto back = ReadKeyFile(path, std::string("correct horse"));
  REQUIRE(back.ok());
  CHECK(back->public_key() == key.public_key());
}

TEST_CASE("a corrupted key file gives a clear error", "[keyfile][badinput]") {
  TempDir dir;
  const auto path = (dir.path / "k.json").string();
  {
    std::ofstream out(path);
    out << "{\"type\":\"laurel-ed25519-v1\",\"public_key\":\"00\"}";
  }
  REQUIRE(chmod(path.c_str(), 0600) == 0);
  auto r = ReadKeyFile(path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  {
    std::ofstream out(path);
    out << "not json";
  }
  CHECK(ReadKeyFile(path).status().code() == StatusCode::kInvalidArgument);
  CHECK(ReadKeyFile((dir.path / "missing").string()).status().code() == StatusCode::kIoError);
}

TEST_CASE("a key file that is a symbolic link is refused, not followed", "[keyfile]") {
  TempDir dir;
  const auto real = (dir.path / "real.json").string();
  const auto link = (dir.path / "link.json").string();
  const PrivateKey key = PrivateKey::Generate();
  REQUIRE(WriteKeyFile(real, key).ok());
  fs::create_symlink(real, link);
  auto r = ReadKeyFile(link);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kPermissionDenied);
  CHECK(r.status().message().find("symbolic link") != std::string::npos);
  CHECK(KeyFileIsEncrypted(link).status().code() == StatusCode::kPermissionDenied);
  // The file itself still reads.
  REQUIRE(ReadKeyFile(real).ok());
  CHECK(ReadKeyFile(real)->public_key() == key.public_key());
}

TEST_CASE("a key is never written through a symbolic link", "[keyfile]") {
  TempDir dir;
  const auto target = (dir.path / "elsewhere.json").string();
  const auto link = (dir.path / "k.json").string();
  fs::create_symlink(target, link);  // dangling: writing through it would create `target`
  CHECK_FALSE(WriteKeyFile(link, PrivateKey::Generate()).ok());
  CHECK_FALSE(fs::exists(target));
}

TEST_CASE("WipeSecret empties the string it wipes", "[keyfile]") {
  std::string secret = "correct horse battery staple, long enough to live on the heap";
  WipeSecret(secret);
  CHECK(secret.empty());
  std::string short_secret = "pw";
  WipeSecret(short_secret);
  CHECK(short_secret.empty());
}

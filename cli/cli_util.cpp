#include "cli/cli_util.h"

#include <fcntl.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "crypto/keyfile.h"

namespace laurel::cli {

int Fail(int code, std::string_view message) {
  // One line, whatever the message: library errors (protobuf's JSON parser) span several.
  std::string line;
  bool space = false;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c == ' ' && (space || line.empty())) continue;
    space = c == ' ';
    line += c;
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  std::cerr << "laurel: " << line << "\n";
  return code;
}

int Fail(int code, const Status& status) { return Fail(code, status.message()); }

Result<std::string> ReadInput(const std::string& path) {
  if (path == "-") {
    std::string data{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    if (std::cin.bad()) return Status::IoError("cannot read stdin");
    return data;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::IoError("cannot open " + path + ": " + std::strerror(err));
  }
  std::string data;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Status::IoError("cannot read " + path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

Status WriteOutput(const std::string& path, std::string_view data, bool exclusive, unsigned mode) {
  if (path == "-") {
    std::cout.write(data.data(), static_cast<std::streamsize>(data.size()));
    std::cout.flush();
    if (!std::cout) return Status::IoError("cannot write to stdout");
    return Status::Ok();
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  if (exclusive && fs::symlink_status(path, ec).type() != fs::file_type::not_found) {
    return Status::AlreadyExists(path + " already exists; not overwriting it");
  }
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return Status::IoError("cannot write " + path + ": " + std::strerror(errno));
  auto fail = [&](const std::string& what) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmpl.c_str());
    return Status::IoError(what + " " + path + ": " + std::strerror(err));
  };
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) return fail("cannot chmod");
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("cannot write");
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("cannot sync");
  if (::close(fd) != 0) {
    ::unlink(tmpl.c_str());
    return Status::IoError("cannot close " + path);
  }
  if (exclusive) {
    // link() fails if the target appeared meanwhile: never overwrite.
    if (::link(tmpl.c_str(), path.c_str()) != 0) {
      const int err = errno;
      ::unlink(tmpl.c_str());
      if (err == EEXIST) return Status::AlreadyExists(path + " already exists; not overwriting it");
      return Status::IoError("cannot write " + path + ": " + std::strerror(err));
    }
    ::unlink(tmpl.c_str());
    return Status::Ok();
  }
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    return Status::IoError("cannot write " + path + ": " + std::strerror(err));
  }
  return Status::Ok();
}

Result<std::string> ReadPassphraseFile(const std::string& path) {
  LAUREL_ASSIGN_OR_RETURN(std::string p, ReadInput(path));
  // Trimmed in place (pop_back keeps the buffer), so the caller's wipe covers every byte read.
  if (!p.empty() && p.back() == '\n') p.pop_back();
  if (!p.empty() && p.back() == '\r') p.pop_back();
  if (p.empty()) return Status::InvalidArgument("passphrase file " + path + " is empty");
  return p;
}

Result<crypto::PrivateKey> LoadKey(const std::string& key_path,
                                   const std::optional<std::string>& passphrase_file) {
  std::optional<std::string> passphrase;
  if (passphrase_file) {
    LAUREL_ASSIGN_OR_RETURN(passphrase, ReadPassphraseFile(*passphrase_file));
  } else {
    auto encrypted = crypto::KeyFileIsEncrypted(key_path);
    if (encrypted.ok() && *encrypted) {
      return Status::PermissionDenied("key file " + key_path +
                                      " is encrypted: give its passphrase with --passphrase-file");
    }
  }
  auto key = crypto::ReadKeyFile(key_path, passphrase);
  if (passphrase) crypto::WipeSecret(*passphrase);  // not kept in memory once used
  if (!key.ok()) {
    return Status(key.status().code(), "key file " + key_path + ": " + key.status().message());
  }
  return std::move(key).value();
}

Result<Bytes> ReadPublicKeyOfKeyFile(const std::string& key_path) {
  LAUREL_ASSIGN_OR_RETURN(std::string text, ReadInput(key_path));
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("type") || j["type"] != "laurel-ed25519-v1" ||
      !j.contains("public_key") || !j["public_key"].is_string()) {
    return Status::InvalidArgument(key_path + " is not a laurel key file");
  }
  auto pk = ParsePublicKeyHex(j["public_key"].get<std::string>());
  if (!pk.ok()) return Status::InvalidArgument(key_path + ": " + pk.status().message());
  return pk;
}

int GenerateKeyFile(const std::string& out, const std::optional<std::string>& passphrase_file) {
  std::optional<std::string> passphrase;
  if (passphrase_file) {
    auto p = ReadPassphraseFile(*passphrase_file);
    if (!p.ok()) return Fail(kExitUsage, p.status());
    passphrase = std::move(p).value();
  }
  const auto key = crypto::PrivateKey::Generate();
  const Status st = crypto::WriteKeyFile(out, key, passphrase);
  if (!st.ok()) {
    if (st.code() == StatusCode::kAlreadyExists) {
      return Fail(kExitUsage, out + " already exists; not overwriting a key file");
    }
    return Fail(kExitUsage, st);
  }
  std::cout << HexEncode(key.public_key()) << "\n";
  return kExitOk;
}

Result<Bytes> ParsePublicKeyHex(std::string_view hex) {
  auto b = HexDecode(hex);
  if (!b || b->size() != crypto::kPublicKeySize) {
    return Status::InvalidArgument("not a public key (64 hex characters): \"" +
                                   std::string(hex.substr(0, 80)) + "\"");
  }
  return *b;
}

std::string Printable(std::string_view text, size_t max) {
  std::string out;
  out.reserve(std::min(text.size(), max) + 3);
  for (size_t i = 0; i < text.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  if (text.size() > max) out += "...";
  return out;
}

bool LooksLikeJson(std::string_view data) {
  for (char c : data) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    return c == '{';
  }
  return false;
}

std::string CsvRecord(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out.push_back(',');
    std::string f = fields[i];
    if (!f.empty() && (f[0] == '=' || f[0] == '+' || f[0] == '-' || f[0] == '@')) f = "'" + f;
    if (f.find_first_of(",\"\r\n") == std::string::npos) {
      out += f;
      continue;
    }
    out.push_back('"');
    for (char c : f) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out += "\r\n";
  return out;
}

std::string FormatUnixTime(uint64_t seconds) {
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (seconds > 253402300799ULL || gmtime_r(&t, &tm) == nullptr) return "(out of range)";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<uint64_t> ParseTime(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("not a date (YYYY-MM-DD) or unix seconds: \"" +
                                   std::string(text.substr(0, 40)) + "\"");
  };
  if (text.empty()) return bad();
  const bool digits_only =
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits_only) {
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr != text.data() + text.size()) return bad();
    return v;
  }
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
  auto num = [&](size_t pos, size_t len, int& out) {
    auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, out);
    return ec == std::errc() && ptr == text.data() + pos + len;
  };
  int y = 0, m = 0, d = 0;
  if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, d)) return bad();
  if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31) return bad();
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  const std::time_t t = timegm(&tm);
  // timegm normalises (Feb 30 -> Mar 2): a day that moved did not exist.
  if (t < 0 || tm.tm_year != y - 1900 || tm.tm_mon != m - 1 || tm.tm_mday != d) return bad();
  return static_cast<uint64_t>(t);
}

namespace {
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c == '-') c = '_';
  }
  return out;
}
}  // namespace

Result<types::CredentialType> ParseCredentialType(std::string_view text) {
  const std::string t = Lower(text);
  if (t == "member") return types::CredentialType::kMember;
  if (t == "model_worker") return types::CredentialType::kModelWorker;
  return Status::InvalidArgument("unknown credential type \"" + std::string(text) +
                                 "\" (member or model_worker)");
}

Result<types::Level> ParseLevel(std::string_view text) {
  using L = types::Level;
  const std::string t = Lower(text);
  for (L l : {L::kNational, L::kProvincial, L::kMunicipal, L::kDistrict, L::kEnterprise}) {
    if (t == Lower(types::LevelName(l))) return l;
  }
  return Status::InvalidArgument("unknown level \"" + std::string(text) +
                                 "\" (national, provincial, municipal, district or enterprise)");
}

bool IsIoError(const Status& st) {
  return st.code() == StatusCode::kNotFound || st.code() == StatusCode::kIoError ||
         st.code() == StatusCode::kPermissionDenied || st.code() == StatusCode::kAlreadyExists ||
         st.code() == StatusCode::kUnavailable;
}

int FailFor(const Status& st) { return Fail(IsIoError(st) ? kExitUsage : kExitInvalid, st); }

}  // namespace laurel::cli

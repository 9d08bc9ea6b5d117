#include "common/bytes.h"

#include <sodium.h>

namespace laurel {

// libsodium's codecs declare their buffers non-null; an empty input's data() may be null (and
// so is an empty output vector's), so empty inputs are answered here.

std::string HexEncode(ByteView b) {
  if (b.empty()) return {};
  std::string out(b.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), b.data(), b.size());
  out.pop_back();
  return out;
}

std::optional<Bytes> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  if (hex.empty()) return Bytes{};
  Bytes out(hex.size() / 2);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, &end) != 0 ||
      len != out.size() || end != hex.data() + hex.size()) {
    return std::nullopt;
  }
  return out;
}

std::optional<Hash32> HexDecode32(std::string_view hex) {
  auto b = HexDecode(hex);
  if (!b || b->size() != 32) return std::nullopt;
  Hash32 h;
  std::copy(b->begin(), b->end(), h.begin());
  return h;
}

std::string Base64Encode(ByteView b) {
  if (b.empty()) return {};
  const size_t n = sodium_base64_ENCODED_LEN(b.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(n, '\0');
  sodium_bin2base64(out.data(), n, b.data(), b.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(n - 1);
  return out;
}

std::optional<Bytes> Base64Decode(std::string_view s) {
  if (s.empty()) return Bytes{};
  Bytes out(s.size() / 4 * 3 + 3);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), s.data(), s.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != s.data() + s.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

void AppendU64BE(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void AppendU32BE(std::string& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t ReadU64BE(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace laurel

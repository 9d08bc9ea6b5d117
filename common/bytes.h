// Byte strings, views and hex helpers shared by every module.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace laurel {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;
using Hash32 = std::array<uint8_t, 32>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsStringView(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline std::string ToString(ByteView b) { return std::string(AsStringView(b)); }
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

std::string HexEncode(ByteView b);
// Accepts upper or lower case; nullopt on odd length or a non-hex character.
std::optional<Bytes> HexDecode(std::string_view hex);
// Exactly 32 bytes of hex, or nullopt.
std::optional<Hash32> HexDecode32(std::string_view hex);

// Standard base64 (RFC 4648 §4) with padding.
std::string Base64Encode(ByteView b);
std::optional<Bytes> Base64Decode(std::string_view s);

// Big-endian fixed-width integers, used in storage keys and signed layouts.
void AppendU64BE(std::string& out, uint64_t v);
void AppendU32BE(std::string& out, uint32_t v);
uint64_t ReadU64BE(const uint8_t* p);

}  // namespace laurel

#include <catch2/catch.hpp>

#include "common/bytes.h"
#include "common/status.h"

using namespace laurel;

TEST_CASE("hex round-trips and rejects odd length or non-hex characters", "[bytes]") {
  const Bytes b = {0x00, 0x01, 0xab, 0xff};
  CHECK(HexEncode(b) == "0001abff");
  CHECK(*HexDecode("0001ABFF") == b);
  CHECK_FALSE(HexDecode("abc").has_value());
  CHECK_FALSE(HexDecode("zz").has_value());
  CHECK_FALSE(HexDecode32("00").has_value());
}

TEST_CASE("base64 round-trips and rejects garbage", "[bytes]") {
  const Bytes b = {1, 2, 3, 4, 5};
  const std::string s = Base64Encode(b);
  CHECK(s == "AQIDBAU=");
  CHECK(*Base64Decode(s) == b);
  CHECK_FALSE(Base64Decode("!!!!").has_value());
}

TEST_CASE("Result carries either a value or an error status", "[status]") {
  Result<int> good = 7;
  REQUIRE(good.ok());
  CHECK(*good == 7);
  Result<int> bad = Status::NotFound("no such thing");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().ToString() == "NotFound: no such thing");
}

// Found by fuzz/encodings: an empty string passed a null buffer to libsodium (undefined
// behaviour, reported by UBSan's nonnull-attribute check).
TEST_CASE("empty hex and base64 decode to no bytes", "[bytes][badinput]") {
  CHECK(HexDecode("") == Bytes{});
  CHECK(HexDecode(std::string_view()) == Bytes{});
  CHECK_FALSE(HexDecode32("").has_value());
  CHECK(Base64Decode("") == Bytes{});
  CHECK(Base64Decode(std::string_view()) == Bytes{});
  CHECK(HexEncode(ByteView()).empty());
  CHECK(Base64Encode(ByteView()).empty());
}

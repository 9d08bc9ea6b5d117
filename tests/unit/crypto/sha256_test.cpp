#include <catch2/catch.hpp>

#include "crypto/sha256.h"

using namespace laurel;
using namespace laurel::crypto;

TEST_CASE("sha256 matches the FIPS 180-2 examples", "[sha256]") {
  CHECK(HexEncode(Sha256Of(std::string_view(""))) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(HexEncode(Sha256Of(std::string_view("abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("a reused sha256 context gives the same digest as a fresh one", "[sha256]") {
  Sha256 h;
  const Hash32 a = h.Update(std::string_view("ab")).Update(std::string_view("c")).Finish();
  const Hash32 b = h.Update(std::string_view("abc")).Finish();
  CHECK(a == b);
  CHECK(TaggedHash("a", AsBytes("bc")) == a);
}

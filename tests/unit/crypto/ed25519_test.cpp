#include <catch2/catch.hpp>

#include "crypto/ed25519.h"
#include "tests/support/vectors.h"

using namespace laurel;
using namespace laurel::crypto;

namespace {
Bytes Hex(const std::string& s) {
  auto b = HexDecode(s);
  REQUIRE(b.has_value());
  return *b;
}
}  // namespace

// RFC 8032 §7.1, TEST 1, TEST 2 and TEST 3.
TEST_CASE("ed25519 reproduces the RFC 8032 test vectors", "[ed25519]") {
  struct V {
    const char* seed;
    const char* pk;
    const char* msg;
    const char* sig;
  };
  const V vs[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b"
       "46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11"
       "d8c387b2eaeb4302aeeb00d291612bb0c00"},
      {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
       "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
       "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc"
       "6594a7c15e9716ed28dc027beceea1ec40a"},
  };
  for (const auto& v : vs) {
    auto key = PrivateKey::FromSeed(Hex(v.seed));
    REQUIRE(key.ok());
    CHECK(HexEncode(key->public_key()) == v.pk);
    const Bytes msg = Hex(v.msg);
    const Signature sig = key->Sign(msg);
    CHECK(HexEncode(sig) == v.sig);
    CHECK(Verify(key->public_key(), msg, sig));
  }
}

TEST_CASE("ed25519 strict verification agrees with every Wycheproof case", "[ed25519]") {
  const auto j = test::ReadJson(test::VectorsDir() + "/wycheproof/ed25519_test.json");
  int valid = 0;
  int invalid = 0;
  for (const auto& group : j["testGroups"]) {
    const auto pk = HexDecode(group["publicKey"]["pk"].get<std::string>());
    REQUIRE(pk.has_value());
    for (const auto& t : group["tests"]) {
      const auto msg = HexDecode(t["msg"].get<std::string>());
      const auto sig = HexDecode(t["sig"].get<std::string>());
      const bool want = t["result"] == "valid";
      const bool got = msg && sig && Verify(*pk, *msg, *sig);
      INFO("tcId " << t["tcId"].get<int>() << " " << t["comment"].get<std::string>());
      CHECK(got == want);
      (want ? valid : invalid)++;
    }
  }
  CHECK(valid + invalid == 151);
}

TEST_CASE("ed25519 rejects a flipped message, signature or key", "[ed25519]") {
  const PrivateKey k = PrivateKey::Generate();
  const Bytes msg = {1, 2, 3};
  Signature sig = k.Sign(msg);
  REQUIRE(Verify(k.public_key(), msg, sig));
  Bytes msg2 = msg;
  msg2[0] ^= 1;
  CHECK_FALSE(Verify(k.public_key(), msg2, sig));
  sig[10] ^= 0x40;
  CHECK_FALSE(Verify(k.public_key(), msg, sig));
  CHECK_FALSE(Verify(ByteView(k.public_key().data(), 31), msg, k.Sign(msg)));
  CHECK_FALSE(PrivateKey::FromSeed(Bytes(31)).ok());
}

TEST_CASE("domain-separated signatures bind the domain tag", "[ed25519]") {
  const PrivateKey k = PrivateKey::Generate();
  const Bytes msg(2000, 7);  // larger than the stack frame path too
  const auto sig = SignWithDomain(k, std::string_view("laurel/tx/v1\0", 13), msg);
  CHECK(VerifyWithDomain(k.public_key(), std::string_view("laurel/tx/v1\0", 13), msg, sig));
  CHECK_FALSE(VerifyWithDomain(k.public_key(), std::string_view("laurel/card/v1\0", 15), msg, sig));
  const Bytes small = {9};
  const auto sig2 = SignWithDomain(k, "d", small);
  CHECK(Verify(k.public_key(), Bytes{'d', 9}, sig2));
}

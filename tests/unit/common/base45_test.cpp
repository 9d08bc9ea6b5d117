#include <catch2/catch.hpp>
#include <random>

#include "common/base45.h"
#include "tests/support/vectors.h"

using namespace laurel;

TEST_CASE("base45 encodes the RFC 9285 examples", "[base45]") {
  const auto j = test::ReadJson(test::VectorsDir() + "/base45.json");
  REQUIRE(j["encode"].size() >= 3);
  for (const auto& v : j["encode"]) {
    const std::string in = v["in_ascii"];
    CHECK(Base45Encode(AsBytes(in)) == v["out"].get<std::string>());
    auto back = Base45Decode(v["out"].get<std::string>());
    REQUIRE(back.ok());
    CHECK(ToString(*back) == in);
  }
}

TEST_CASE("base45 decodes the RFC 9285 examples", "[base45]") {
  const auto j = test::ReadJson(test::VectorsDir() + "/base45.json");
  for (const auto& v : j["decode"]) {
    auto out = Base45Decode(v["in"].get<std::string>());
    REQUIRE(out.ok());
    CHECK(ToString(*out) == v["out_ascii"].get<std::string>());
  }
}

TEST_CASE("base45 rejects the RFC 9285 invalid inputs with an error", "[base45][badinput]") {
  const auto j = test::ReadJson(test::VectorsDir() + "/base45.json");
  REQUIRE(!j["invalid"].empty());
  for (const auto& v : j["invalid"]) {
    auto out = Base45Decode(v["in"].get<std::string>());
    CHECK_FALSE(out.ok());
    CHECK(out.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("base45 round-trips random bytes of every length up to 300", "[base45]") {
  std::mt19937 rng(45);
  for (size_t len = 0; len <= 300; ++len) {
    Bytes b(len);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    auto back = Base45Decode(Base45Encode(b));
    REQUIRE(back.ok());
    REQUIRE(*back == b);
  }
}

TEST_CASE("base45 decoder never crashes on random text", "[base45][badinput]") {
  const uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  int errors = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 40, ' ');
    for (auto& c : s) c = static_cast<char>(rng() % 256);
    auto r = Base45Decode(s);
    if (!r.ok()) ++errors;
  }
  CHECK(errors > 0);
}

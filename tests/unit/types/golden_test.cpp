// Golden vectors of docs/spec/signing.md. The source of truth is
// tests/data/golden/signing.json; the spec quotes that file verbatim. These tests fail when
// the code no longer produces the file's values, when the file and the spec disagree, or when
// a value does not follow the layout the spec describes (checked here from first principles).
#include "tests/support/golden.h"

#include <catch2/catch.hpp>

#include "common/base45.h"
#include "crypto/sha256.h"
#include "tests/support/vectors.h"
#include "tests/unit/types/golden_inputs.h"
#include "types/card.h"
#include "types/tx.h"

using namespace laurel;
using namespace laurel::types;

namespace {

nlohmann::ordered_json Expected() { return test::GoldenFile("signing.json"); }

Bytes Hex(const nlohmann::ordered_json& v) {
  auto b = HexDecode(v.get<std::string>());
  REQUIRE(b.has_value());
  return *b;
}

Bytes Cat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes VarintOf(uint64_t v) {
  Bytes out;
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
  return out;
}
// A length-delimited protobuf field with a one-byte tag.
Bytes Field(uint8_t tag, std::string_view s) {
  return Cat({Bytes{tag}, VarintOf(s.size()), AsBytes(s)});
}
Bytes Field(uint8_t tag, ByteView b) { return Cat({Bytes{tag}, VarintOf(b.size()), b}); }
Bytes VarintField(uint8_t tag, uint64_t v) { return Cat({Bytes{tag}, VarintOf(v)}); }

}  // namespace

TEST_CASE("the golden vectors file matches what the code computes today", "[golden]") {
  test::CheckGoldenValues(Expected(), golden::ComputeGolden());
}

TEST_CASE("docs/spec/signing.md quotes the golden vectors file verbatim", "[golden]") {
  const std::string doc = test::CheckDocQuotesGolden("signing.json", "spec/signing.md");
  // Every value appears in the doc (so a hand edit of one of them is caught too).
  const auto expected = Expected();
  for (const auto& [section, values] : expected.items()) {
    for (const auto& [name, value] : values.items()) {
      if (!value.is_string()) continue;
      INFO(section << "." << name);
      CHECK(doc.find(value.get<std::string>()) != std::string::npos);
    }
  }
}

TEST_CASE("the golden key is the RFC 8032 key of seed 01..20", "[golden]") {
  const auto j = Expected();
  CHECK(j["key"]["seed"] == "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
  const auto key = crypto::PrivateKey::FromSeed(Hex(j["key"]["seed"]));
  REQUIRE(key.ok());
  CHECK(HexEncode(key->public_key()) == j["key"]["public_key"]);
}

TEST_CASE("golden transactions follow the documented tx layout", "[golden]") {
  const auto j = Expected();
  const Bytes pk = Hex(j["key"]["public_key"]);
  for (const char* name : {"register_issuer", "issue_credential"}) {
    INFO(name);
    const auto& v = j[name];
    const Bytes body = Hex(v["body"]);
    // The body is a canonical TxBody with that action.
    auto decoded = DecodeTxBody(body);
    REQUIRE(decoded.ok());
    CHECK(std::string(ActionName(decoded->action)) == name);
    CHECK(decoded->chain_id == golden::kChainId);
    // tx_id = SHA-256(body).
    CHECK(HexEncode(crypto::Sha256Of(body)) == v["tx_id"]);
    // signature = Ed25519(key, "laurel/tx/v1" 0x00 || body).
    const Bytes msg = Cat({AsBytes(std::string_view("laurel/tx/v1\0", 13)), body});
    CHECK(crypto::Verify(pk, msg, Hex(v["signature"])));
    // Tx = field 1 body, field 2 Signature{1: public_key, 2: signature}.
    const Bytes sig = Cat({Field(0x0a, ByteView(pk)), Field(0x12, ByteView(Hex(v["signature"])))});
    CHECK(Hex(v["tx"]) == Cat({Field(0x0a, ByteView(body)), Field(0x12, ByteView(sig))}));
  }
  // The issuance carries the golden card's digest.
  auto issue = DecodeTxBody(Hex(j["issue_credential"]["body"]));
  REQUIRE(issue.ok());
  CHECK(HexEncode(std::get<IssueCredential>(issue->action).card_digest) == j["card"]["digest"]);
}

TEST_CASE("the golden card body is the protobuf encoding written out by hand", "[golden]") {
  const auto j = Expected();
  const Bytes salt = golden::Counting(16, 0x40);
  const Bytes by_hand = Cat({
      Field(0x0a, "laurel-golden"),              // 1 chain_id
      Field(0x12, "golden-fed/MW/2024/000001"),  // 2 credential_id
      Field(0x1a, "golden-fed"),                 // 3 issuer_id
      VarintField(0x20, 1),                      // 4 key_version
      VarintField(0x28, 2),                      // 5 type MODEL_WORKER
      VarintField(0x30, 3),                      // 6 level MUNICIPAL
      Field(0x3a, "Holder One"),                 // 7 holder_name
      Field(0x42, "M-000001"),                   // 8 member_no
      Field(0x4a, ByteView(salt)),               // 9 salt
      VarintField(0x50, 1704067200),             // 10 valid_from
      VarintField(0x58, 1861920000),             // 11 valid_until
  });
  CHECK(HexEncode(by_hand) == j["card"]["body"]);
}

TEST_CASE("the golden card follows the documented card layout", "[golden]") {
  const auto j = Expected();
  const auto& c = j["card"];
  const Bytes pk = Hex(j["key"]["public_key"]);
  const Bytes body = Hex(c["body"]);
  const Bytes sig = Hex(c["signature"]);
  CHECK(crypto::Verify(pk, Cat({AsBytes(std::string_view("laurel/card/v1\0", 15)), body}), sig));
  CHECK(HexEncode(crypto::Sha256Of(
            Cat({AsBytes(std::string_view("laurel/card-digest/v1\0", 22)), body}))) == c["digest"]);
  const Bytes card = Cat({Field(0x0a, ByteView(body)), Field(0x12, ByteView(sig))});
  CHECK(HexEncode(card) == c["card"]);
  CHECK("LC1:" + Base45Encode(card) == c["lc1"].get<std::string>());
  auto parsed = CardFromText(c["lc1"].get<std::string>());
  REQUIRE(parsed.ok());
  CHECK(VerifyCardSignature(*parsed, pk));
}

TEST_CASE("the golden tx_root is the RFC 6962 root over tx_id || u32be(code) leaves", "[golden]") {
  const auto j = Expected();
  const auto& leaves = j["tx_root"]["leaves"];
  REQUIRE(leaves.size() == 2);
  const std::string ids[2] = {j["register_issuer"]["tx_id"], j["issue_credential"]["tx_id"]};
  const char* codes[2] = {"00000000", "00000009"};
  Hash32 leaf_hash[2];
  for (size_t i = 0; i < 2; ++i) {
    CHECK(leaves[i] == ids[i] + codes[i]);
    leaf_hash[i] = crypto::Sha256Of(Cat({Bytes{0x00}, Hex(leaves[i])}));
  }
  const Hash32 root =
      crypto::Sha256Of(Cat({Bytes{0x01}, ByteView(leaf_hash[0]), ByteView(leaf_hash[1])}));
  CHECK(HexEncode(root) == j["tx_root"]["root"]);
}

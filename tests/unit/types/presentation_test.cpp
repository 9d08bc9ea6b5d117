// The holder's presentation (types/presentation.h) and the card's holder_key field: the golden
// vectors of docs/spec/holder.md (tests/data/golden/holder.json), the documented byte layout,
// the decoder's refusals, and that cards without a holder key keep their old bytes.
#include "types/presentation.h"

#include <catch2/catch.hpp>

#include "tests/support/golden.h"
#include "tests/support/vectors.h"
#include "tests/unit/types/holder_golden.h"
#include "types/card.h"

using namespace laurel;
using namespace laurel::types;

namespace {

nlohmann::ordered_json Expected() { return test::GoldenFile("holder.json"); }

Bytes Hex(const std::string& s) {
  auto b = HexDecode(s);
  REQUIRE(b.has_value());
  return *b;
}

}  // namespace

TEST_CASE("the holder golden vectors file matches what the code computes", "[golden]") {
  test::CheckGoldenValues(Expected(), golden::ComputeHolderGolden());
}

TEST_CASE("docs/spec/holder.md quotes the holder golden vectors verbatim", "[golden]") {
  const std::string doc = test::CheckDocQuotesGolden("holder.json", "spec/holder.md");
}

TEST_CASE("the bound card body is the old body with field 12 appended") {
  const auto expected = Expected();
  const Bytes unbound = EncodeCardBody(golden::GoldenCardBody());
  const Bytes bound = Hex(expected["bound_card"]["body"].get<std::string>());
  const Bytes key = Hex(expected["device_key"]["public_key"].get<std::string>());
  Bytes want = unbound;
  want.push_back(0x62);  // field 12, wire type 2
  want.push_back(0x20);  // 32 bytes
  want.insert(want.end(), key.begin(), key.end());
  CHECK(bound == want);
  auto b = DecodeCardBody(bound);
  REQUIRE(b.ok());
  CHECK(b->bound());
  CHECK(b->holder_key == key);
}

TEST_CASE("a card without a holder key keeps the bytes of the signing.md golden card") {
  const auto signing = nlohmann::ordered_json::parse(
      test::ReadFileOrThrow(test::TestDataDir() + "/golden/signing.json"));
  const Bytes old_body = Hex(signing["card"]["body"].get<std::string>());
  CHECK(EncodeCardBody(golden::GoldenCardBody()) == old_body);
  auto b = DecodeCardBody(old_body);
  REQUIRE(b.ok());
  CHECK(!b->bound());
  auto card = CardFromText(signing["card"]["lc1"].get<std::string>());
  REQUIRE(card.ok());
  CHECK(VerifyCardSignature(*card, golden::GoldenKey().public_key()));
}

TEST_CASE("a holder key that is not 32 bytes makes the card body malformed") {
  for (const size_t n : {1, 31, 33, 64}) {
    CardBody b = golden::GoldenCardBody();
    b.holder_key = Bytes(n, 0x42);
    INFO(n);
    CHECK(!DecodeCardBody(EncodeCardBody(b)).ok());
  }
}

TEST_CASE("the presentation follows the documented layout") {
  const auto expected = Expected();
  const Bytes body = Hex(expected["slot_presentation"]["body"].get<std::string>());
  Bytes want = {1, 2, 25};
  const std::string id = "golden-fed/MW/2024/000001";
  want.insert(want.end(), id.begin(), id.end());
  want.push_back(10);
  const std::string gate = golden::kGoldenGateId;
  want.insert(want.end(), gate.begin(), gate.end());
  const uint64_t slot = golden::kGoldenPresentTime / 30;
  for (int s = 56; s >= 0; s -= 8) want.push_back(static_cast<uint8_t>(slot >> s));
  CHECK(body == want);
  const Bytes sig = Hex(expected["slot_presentation"]["signature"].get<std::string>());
  const Bytes key = Hex(expected["device_key"]["public_key"].get<std::string>());
  Bytes signed_bytes(kPresentationSignDomain.begin(), kPresentationSignDomain.end());
  signed_bytes.insert(signed_bytes.end(), body.begin(), body.end());
  CHECK(crypto::Verify(key, signed_bytes, sig));
  const Bytes nonce_body = Hex(expected["nonce_presentation"]["body"].get<std::string>());
  CHECK(nonce_body[1] == 1);
  CHECK(nonce_body[nonce_body.size() - 17] == 16);
  CHECK(nonce_body.back() == 0xcf);
}

TEST_CASE("presentations round-trip through bytes and text") {
  const auto key = golden::HolderDeviceKey();
  for (const auto& body : {golden::SlotPresentationBody(), golden::NoncePresentationBody()}) {
    const auto p = SignPresentation(body, key);
    REQUIRE(p.ok());
    const std::string text = PresentationToText(*p);
    CHECK(text.rfind("LP1:", 0) == 0);
    auto back = PresentationFromText("  " + text + "\n");
    REQUIRE(back.ok());
    CHECK(back->body.credential_id == body.credential_id);
    CHECK(back->body.gate_id == body.gate_id);
    CHECK(back->body.kind == body.kind);
    CHECK(back->body.slot == body.slot);
    CHECK(back->body.nonce == body.nonce);
    CHECK(VerifyPresentationSignature(*back, key.public_key()));
    CHECK(!VerifyPresentationSignature(*back, golden::GoldenKey().public_key()));
  }
}

TEST_CASE("the presentation decoder refuses what the layout does not allow") {
  const auto key = golden::HolderDeviceKey();
  const Bytes good =
      EncodePresentation(SignPresentation(golden::SlotPresentationBody(), key).value());
  REQUIRE(DecodePresentation(good).ok());
  // Every truncation, and one byte more.
  for (size_t n = 0; n < good.size(); ++n) {
    INFO(n);
    CHECK(!DecodePresentation(ByteView(good.data(), n)).ok());
  }
  Bytes longer = good;
  longer.push_back(0);
  CHECK(!DecodePresentation(longer).ok());
  Bytes bad_version = good;
  bad_version[0] = 2;
  CHECK(!DecodePresentation(bad_version).ok());
  for (const uint8_t kind : {0, 3, 255}) {
    Bytes bad_kind = good;
    bad_kind[1] = kind;
    CHECK(!DecodePresentation(bad_kind).ok());
  }
  // Limits on the fields.
  PresentationBody b = golden::SlotPresentationBody();
  b.gate_id = "";
  CHECK(!SignPresentation(b, key).ok());
  b.gate_id = std::string(65, 'g');
  CHECK(!SignPresentation(b, key).ok());
  b = golden::NoncePresentationBody();
  b.nonce = Bytes(7, 1);
  CHECK(!SignPresentation(b, key).ok());
  b.nonce = Bytes(33, 1);
  CHECK(!SignPresentation(b, key).ok());
  b.nonce = Bytes(32, 1);
  CHECK(SignPresentation(b, key).ok());
  CHECK(
      !PresentationFromText("LC1:" + PresentationToText(SignPresentation(b, key).value()).substr(4))
           .ok());
  CHECK(!PresentationFromText("LP1:!!").ok());
}

#include "types/card.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <iostream>
#include <random>

#include "common/base45.h"
#include "crypto/sha256.h"
#include "laurel/v1/card.pb.h"
#include "types/proto_util.h"

using namespace laurel;
using namespace laurel::types;
namespace pb = ::laurel::v1;

namespace {

CardBody SampleBody(CredentialType type = CredentialType::kModelWorker,
                    Level level = Level::kMunicipal) {
  CardBody b;
  b.chain_id = "laurel-test";
  b.credential_id = "qd-jimo/MW/2024/000123";
  b.issuer_id = "qd-jimo";
  b.key_version = 2;
  b.type = type;
  b.level = level;
  b.holder_name = "Zhang Wei";
  b.member_no = "370282-000123";
  b.salt = Bytes(kCardSaltSize, 0x5a);
  b.valid_from = 1704067200;
  b.valid_until = 1861920000;
  return b;
}

bool SameBody(const CardBody& a, const CardBody& b) {
  return a.chain_id == b.chain_id && a.credential_id == b.credential_id &&
         a.issuer_id == b.issuer_id && a.key_version == b.key_version && a.type == b.type &&
         a.level == b.level && a.holder_name == b.holder_name && a.member_no == b.member_no &&
         a.salt == b.salt && a.valid_from == b.valid_from && a.valid_until == b.valid_until;
}

uint64_t TestSeed(const char* test) {
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("LAUREL_TEST_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::cerr << test << ": seed " << seed << " (replay with LAUREL_TEST_SEED=" << seed << ")\n";
  return seed;
}

Bytes Cat(ByteView a, ByteView b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// A Card message with arbitrary field contents, bypassing SignCard's checks.
Bytes RawCard(const Bytes& body, const Bytes& signature) {
  pb::Card m;
  m.set_body(ToString(body));
  m.set_signature(ToString(signature));
  return SerializeDeterministic(m);
}

}  // namespace

TEST_CASE("card bodies of every type and level round-trip", "[card]") {
  std::vector<CardBody> bodies = {SampleBody(CredentialType::kMember, Level::kUnspecified)};
  for (Level l : {Level::kNational, Level::kProvincial, Level::kMunicipal, Level::kDistrict,
                  Level::kEnterprise}) {
    bodies.push_back(SampleBody(CredentialType::kModelWorker, l));
  }
  for (const CardBody& b : bodies) {
    INFO(CredentialTypeName(b.type) << " " << LevelName(b.level));
    const Bytes bytes = EncodeCardBody(b);
    auto back = DecodeCardBody(bytes);
    REQUIRE(back.ok());
    CHECK(SameBody(*back, b));
    CHECK(EncodeCardBody(*back) == bytes);
  }
}

TEST_CASE("a signed card round-trips through bytes and LC1 text", "[card]") {
  const auto issuer = crypto::PrivateKey::Generate();
  const Card card = SignCard(SampleBody(), issuer);
  CHECK(card.body == EncodeCardBody(SampleBody()));
  CHECK(card.signature.size() == crypto::kSignatureSize);

  auto from_bytes = DecodeCard(EncodeCard(card));
  REQUIRE(from_bytes.ok());
  CHECK(from_bytes->body == card.body);
  CHECK(from_bytes->signature == card.signature);

  const std::string text = CardToText(card);
  CHECK(text.rfind("LC1:", 0) == 0);
  CHECK(text == "LC1:" + Base45Encode(EncodeCard(card)));
  // QR alphanumeric mode only: digits, upper case and " $%*+-./:".
  for (char c : text) {
    CHECK(std::string("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:").find(c) !=
          std::string::npos);
  }
  auto from_text = CardFromText(text);
  REQUIRE(from_text.ok());
  CHECK(from_text->body == card.body);
  CHECK(from_text->signature == card.signature);
  // Surrounding whitespace (a scanner's trailing newline) is accepted.
  auto padded = CardFromText("  " + text + "\r\n");
  REQUIRE(padded.ok());
  CHECK(padded->body == card.body);
}

TEST_CASE("a card signature verifies with the issuer key only, over the exact body", "[card]") {
  const auto issuer = crypto::PrivateKey::Generate();
  const auto other = crypto::PrivateKey::Generate();
  const Card card = SignCard(SampleBody(), issuer);
  CHECK(VerifyCardSignature(card, issuer.public_key()));
  CHECK_FALSE(VerifyCardSignature(card, other.public_key()));
  // It is Ed25519 over the domain tag followed by the body.
  CHECK(crypto::Verify(issuer.public_key(), Cat(AsBytes(kCardSignDomain), card.body),
                       card.signature));
  // Not a tx signature: the domains differ.
  CHECK_FALSE(
      crypto::VerifyWithDomain(issuer.public_key(), "laurel/tx/v1\0", card.body, card.signature));
  for (size_t i = 0; i < card.body.size(); ++i) {
    Card tampered = card;
    tampered.body[i] ^= 0x01;
    CHECK_FALSE(VerifyCardSignature(tampered, issuer.public_key()));
  }
  Card bad_sig = card;
  bad_sig.signature[10] ^= 0x80;
  CHECK_FALSE(VerifyCardSignature(bad_sig, issuer.public_key()));
}

TEST_CASE("the card digest is the tagged SHA-256 of the body and depends on the salt", "[card]") {
  const Bytes body = EncodeCardBody(SampleBody());
  const Hash32 d = CardDigest(body);
  CHECK(d == crypto::Sha256Of(Cat(AsBytes(kCardDigestDomain), body)));
  CHECK(d != crypto::Sha256Of(body));
  CardBody salted = SampleBody();
  salted.salt[15] ^= 1;
  CHECK(CardDigest(EncodeCardBody(salted)) != d);
}

TEST_CASE("every proper prefix of a card and of its LC1 text is rejected", "[card][badinput]") {
  const Card card = SignCard(SampleBody(), crypto::PrivateKey::Generate());
  const Bytes bytes = EncodeCard(card);
  for (size_t n = 0; n < bytes.size(); ++n) {
    INFO("prefix of " << n << " of " << bytes.size() << " bytes");
    CHECK_FALSE(DecodeCard(ByteView(bytes.data(), n)).ok());
  }
  const std::string text = CardToText(card);
  for (size_t n = 0; n < text.size(); ++n) {
    INFO("text prefix of " << n << " of " << text.size() << " characters");
    CHECK_FALSE(CardFromText(std::string_view(text).substr(0, n)).ok());
  }
}

TEST_CASE("random bytes and random text never crash the card decoders", "[card][badinput]") {
  std::mt19937_64 rng(TestSeed("card random input"));
  const std::string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  size_t accepted = 0;
  for (int i = 0; i < 5000; ++i) {
    Bytes b(rng() % 400);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    auto card = DecodeCard(b);
    if (card.ok()) {
      ++accepted;
      CHECK(EncodeCard(*card) == b);
    }
    auto body = DecodeCardBody(b);
    if (body.ok()) CHECK(EncodeCardBody(*body) == b);
    std::string text = "LC1:";
    const size_t n = rng() % 400;
    for (size_t k = 0; k < n; ++k) text += alphabet[rng() % alphabet.size()];
    auto t = CardFromText(text);
    if (t.ok()) CHECK(CardToText(*t) == text);
  }
  CHECK(accepted < 50);
}

TEST_CASE("mutated cards are rejected or re-encode to the same bytes", "[card][badinput]") {
  std::mt19937_64 rng(TestSeed("card mutations"));
  const auto issuer = crypto::PrivateKey::Generate();
  const Card card = SignCard(SampleBody(), issuer);
  const Bytes good = EncodeCard(card);
  size_t accepted_and_verified = 0;
  for (int i = 0; i < 5000; ++i) {
    Bytes b = good;
    b[rng() % b.size()] = static_cast<uint8_t>(rng());
    auto r = DecodeCard(b);
    if (!r.ok()) continue;
    CHECK(EncodeCard(*r) == b);
    if (b != good && VerifyCardSignature(*r, issuer.public_key())) ++accepted_and_verified;
  }
  // One changed byte never leaves a card that still verifies.
  CHECK(accepted_and_verified == 0);
}

TEST_CASE("non-canonical cards and card bodies are rejected", "[card][badinput]") {
  const auto issuer = crypto::PrivateKey::Generate();
  const Card card = SignCard(SampleBody(), issuer);
  const Bytes unknown_field{0x98, 0x06, 0x01};  // field 99 = 1
  CHECK_FALSE(DecodeCard(Cat(EncodeCard(card), unknown_field)).ok());
  CHECK_FALSE(DecodeCardBody(Cat(card.body, unknown_field)).ok());
  // The signature field before the body field.
  pb::Card m;
  m.set_signature(ToString(card.signature));
  const Bytes sig_only = SerializeDeterministic(m);
  m.clear_signature();
  m.set_body(ToString(card.body));
  const Bytes body_only = SerializeDeterministic(m);
  const Bytes reordered = Cat(sig_only, body_only);
  pb::Card parsed;
  REQUIRE(parsed.ParseFromArray(reordered.data(), static_cast<int>(reordered.size())));
  auto r = DecodeCard(reordered);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("canonical") != std::string::npos);
  // The canonical order of the same two fields decodes.
  CHECK(DecodeCard(Cat(body_only, sig_only)).ok());
}

TEST_CASE("unknown card enum values and a wrong salt size are rejected", "[card][badinput]") {
  auto body_with = [](auto&& edit) {
    pb::CardBody m;
    REQUIRE(m.ParseFromString(ToString(EncodeCardBody(SampleBody()))));
    edit(m);
    return SerializeDeterministic(m);
  };
  CHECK_FALSE(DecodeCardBody(body_with([](pb::CardBody& m) {
                m.set_type(static_cast<pb::CredentialType>(3));
              })).ok());
  CHECK_FALSE(DecodeCardBody(body_with([](pb::CardBody& m) {
                m.set_level(static_cast<pb::Level>(6));
              })).ok());
  for (size_t n : {size_t{0}, size_t{15}, size_t{17}, size_t{32}}) {
    auto r = DecodeCardBody(body_with([&](pb::CardBody& m) { m.set_salt(std::string(n, 's')); }));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("salt") != std::string::npos);
  }
}

TEST_CASE("a card whose signature is not 64 bytes is rejected", "[card][badinput]") {
  const Card card = SignCard(SampleBody(), crypto::PrivateKey::Generate());
  REQUIRE(DecodeCard(RawCard(card.body, card.signature)).ok());
  for (size_t n : {size_t{0}, size_t{1}, size_t{63}, size_t{65}, size_t{128}}) {
    Bytes sig = card.signature;
    sig.resize(n, 0x42);
    auto r = DecodeCard(RawCard(card.body, sig));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("64 bytes") != std::string::npos);
    auto t = CardFromText("LC1:" + Base45Encode(RawCard(card.body, sig)));
    CHECK_FALSE(t.ok());
  }
}

TEST_CASE("oversize cards and card text are rejected", "[card][badinput]") {
  const auto issuer = crypto::PrivateKey::Generate();
  CardBody big = SampleBody();
  big.holder_name.assign(kMaxCardBytes, 'x');
  const Card card = SignCard(big, issuer);
  CHECK_FALSE(DecodeCardBody(card.body).ok());
  CHECK_FALSE(DecodeCard(EncodeCard(card)).ok());
  CHECK_FALSE(CardFromText(CardToText(card)).ok());
  // The largest card under the limit decodes.
  CardBody fits = SampleBody();
  fits.holder_name.clear();
  while (EncodeCard(SignCard(fits, issuer)).size() < kMaxCardBytes) fits.holder_name += 'x';
  while (EncodeCard(SignCard(fits, issuer)).size() > kMaxCardBytes) fits.holder_name.pop_back();
  const Card max_card = SignCard(fits, issuer);
  INFO("card of " << EncodeCard(max_card).size() << " bytes");
  CHECK(DecodeCard(EncodeCard(max_card)).ok());
  CHECK(CardFromText(CardToText(max_card)).ok());
  // Text far over any card's length is refused without decoding.
  CHECK_FALSE(CardFromText("LC1:" + std::string(10000, '0')).ok());
}

TEST_CASE("card text without the LC1: prefix is rejected", "[card][badinput]") {
  const Card card = SignCard(SampleBody(), crypto::PrivateKey::Generate());
  const std::string payload = Base45Encode(EncodeCard(card));
  REQUIRE(CardFromText("LC1:" + payload).ok());
  for (const char* prefix : {"", "LC1", "LC2:", "lc1:", "HC1:", " LC1 :", "LC1;"}) {
    INFO("prefix '" << prefix << "'");
    auto r = CardFromText(std::string(prefix) + payload);
    REQUIRE_FALSE(r.ok());
  }
  CHECK(CardFromText("LC2:" + payload).status().message().find("LC1:") != std::string::npos);
  CHECK_FALSE(CardFromText("").ok());
  CHECK_FALSE(CardFromText("LC1:").ok());
}

TEST_CASE("card text with bad base45 is rejected", "[card][badinput]") {
  const Card card = SignCard(SampleBody(), crypto::PrivateKey::Generate());
  const std::string good = CardToText(card);
  REQUIRE(CardFromText(good).ok());
  // A character outside the alphabet (lower case, '#', a non-ASCII byte), at several places.
  for (char bad : {'a', '#', '\xc3', '\0'}) {
    for (size_t pos : {size_t{4}, good.size() / 2, good.size() - 1}) {
      std::string t = good;
      t[pos] = bad;
      INFO("byte " << int(static_cast<unsigned char>(bad)) << " at " << pos);
      CHECK_FALSE(CardFromText(t).ok());
    }
  }
  // A dangling single character, and a triple whose value exceeds 0xFFFF.
  CHECK_FALSE(CardFromText(good + "0").ok());
  CHECK_FALSE(CardFromText("LC1:GGW").ok());
  CHECK_FALSE(CardFromText(good.substr(0, good.size() - 3) + "GGW").ok());
}

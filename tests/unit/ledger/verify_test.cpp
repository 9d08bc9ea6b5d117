// The gate decision: one test per reason, on states built by the executor, plus key rotation
// and the check order where two reasons could apply.
#include "ledger/verify.h"

#include "common/base45.h"
#include "tests/unit/ledger/ledger_fixture.h"

using namespace laurel;
using namespace laurel::ledger;
using namespace laurel::ledger::test;

namespace {

constexpr uint64_t kFrom = 1'700'000'000;
constexpr uint64_t kUntil = 1'800'000'000;
constexpr uint64_t kNow = 1'750'000'000;

types::CardBody Body(const std::string& cred_id, uint32_t key_version = 1,
                     const std::string& issuer = "city-fed",
                     const std::string& chain = Chain::kChainId) {
  types::CardBody b;
  b.chain_id = chain;
  b.credential_id = cred_id;
  b.issuer_id = issuer;
  b.key_version = key_version;
  b.type = CredentialType::kModelWorker;
  b.level = Level::kMunicipal;
  b.holder_name = "Li Wei";
  b.member_no = "MW-0001";
  b.salt = Bytes(types::kCardSaltSize, 0x5a);
  b.valid_from = kFrom;
  b.valid_until = kUntil;
  return b;
}

Bytes DigestOf(const types::CardBody& b) {
  const Hash32 d = types::CardDigest(types::EncodeCardBody(b));
  return Bytes(d.begin(), d.end());
}

std::string Text(const types::CardBody& b, const crypto::PrivateKey& key) {
  return types::CardToText(types::SignCard(b, key));
}

// Records `b` on the ledger (issued by `key`, the issuer's current key) and returns its text
// signed by `card_key`.
std::string IssueCard(Chain& c, const types::CardBody& b, const crypto::PrivateKey& key,
                      const crypto::PrivateKey& card_key, uint64_t from = kFrom,
                      uint64_t until = kUntil) {
  REQUIRE(c.Run(types::IssueCredential{b.credential_id, b.issuer_id, b.type, b.level,
                                       DigestOf(b), from, until},
                {&key}) == TxCode::kOk);
  return Text(b, card_key);
}

// VerifyCard, checked against the private path (the gate's signature check, the node's
// VerifyStatus and the record comparison): every case below gives both the same answer.
VerifyResult Verify(Chain& c, const std::string& text, uint64_t now = kNow) {
  VerifyResult r = VerifyCard(c.state(), Chain::kChainId, text, now);
  const VerifyResult p = VerifyPrivately(c.state(), Chain::kChainId, text, now);
  INFO("card path: " << VerifyReasonName(r.reason) << " " << r.message);
  INFO("private path: " << VerifyReasonName(p.reason) << " " << p.message);
  CHECK(p.reason == r.reason);
  CHECK(p.message == r.message);
  CHECK(p.card.has_value() == r.card.has_value());
  CHECK(p.credential.has_value() == r.credential.has_value());
  return r;
}

}  // namespace

TEST_CASE("a card recorded on the ledger and shown within its validity is VALID", "[verify]") {
  Chain c;
  const auto b = Body("city-fed/MW/2026/000001");
  const std::string text = IssueCard(c, b, c.fed_, c.fed_);
  const VerifyResult r = Verify(c, "  " + text + "\n");
  CHECK(r.reason == VerifyReason::kValid);
  CHECK(r.valid());
  REQUIRE(r.card);
  CHECK(r.card->holder_name == "Li Wei");
  REQUIRE(r.credential);
  CHECK(r.credential->credential_id == b.credential_id);
  CHECK(r.credential->key_version == 1);
}

TEST_CASE("text that is not a card is MALFORMED", "[verify]") {
  Chain c;
  for (const std::string& text :
       {std::string("hello"), std::string("LC1:"), std::string("LC1:%%%%"),
        std::string("HC1:") + Base45Encode(ToBytes("x")),
        std::string("LC1:") + Base45Encode(ToBytes("not a protobuf card \xff\xff"))}) {
    INFO(text);
    const VerifyResult r = Verify(c, text);
    CHECK(r.reason == VerifyReason::kMalformed);
    CHECK_FALSE(r.card);
    CHECK_FALSE(r.message.empty());
  }
}

TEST_CASE("a card whose body is not a CardBody is MALFORMED", "[verify]") {
  Chain c;
  types::Card card;
  card.body = ToBytes(std::string("\x0a\x05hello\x4a\x01\x00", 10));  // salt of 1 byte
  card.signature = Bytes(64, 1);
  CHECK(Verify(c, types::CardToText(card)).reason == VerifyReason::kMalformed);
}

TEST_CASE("a card of another chain is WRONG_CHAIN before anything else", "[verify]") {
  Chain c;
  // Unknown issuer and a bad signature too: the chain is checked first.
  const auto b = Body("nobody/M/1", 1, "nobody", "other-chain");
  const VerifyResult r = Verify(c, Text(b, KeyFrom(99)));
  CHECK(r.reason == VerifyReason::kWrongChain);
  CHECK_FALSE(r.card);  // nothing a card states is returned before its signature verified
  CHECK(r.message.find("other-chain") != std::string::npos);
}

TEST_CASE("a card of an issuer the ledger does not know is UNKNOWN_ISSUER", "[verify]") {
  Chain c;
  CHECK(Verify(c, Text(Body("ghost-union/M/1", 1, "ghost-union"), KeyFrom(50))).reason ==
        VerifyReason::kUnknownIssuer);
}

TEST_CASE("a card not signed by the issuer's key of its version is BAD_SIGNATURE", "[verify]") {
  Chain c;
  const auto b = Body("city-fed/MW/2026/000002");
  IssueCard(c, b, c.fed_, c.fed_);
  SECTION("another key") { CHECK(Verify(c, Text(b, KeyFrom(77))).reason == VerifyReason::kBadSignature); }
  SECTION("a key version the issuer never had") {
    auto b3 = b;
    b3.key_version = 3;
    CHECK(Verify(c, Text(b3, c.fed_)).reason == VerifyReason::kBadSignature);
  }
  SECTION("one flipped byte in the signature") {
    types::Card card = types::SignCard(b, c.fed_);
    card.signature[10] ^= 0x01;
    CHECK(Verify(c, types::CardToText(card)).reason == VerifyReason::kBadSignature);
  }
}

TEST_CASE("a well-signed card whose credential is not recorded is NOT_ON_LEDGER", "[verify]") {
  Chain c;
  const VerifyResult r = Verify(c, Text(Body("city-fed/MW/2026/424242"), c.fed_));
  CHECK(r.reason == VerifyReason::kNotOnLedger);
  CHECK_FALSE(r.credential);
}

TEST_CASE("a card whose credential id is recorded for another issuer is NOT_ON_LEDGER",
          "[verify]") {
  Chain c;
  const auto dist = KeyFrom(21);
  c.RegisterChild("jimo-district", "city-fed", c.fed_, dist, AllGrants());
  const auto b = Body("city-fed/MW/2026/000009");
  IssueCard(c, b, c.fed_, c.fed_);
  auto forged = b;
  forged.issuer_id = "jimo-district";
  CHECK(Verify(c, Text(forged, dist)).reason == VerifyReason::kNotOnLedger);
}

TEST_CASE("a card replaced by a renewal, or with altered fields, is DIGEST_MISMATCH",
          "[verify]") {
  Chain c;
  const auto old_body = Body("city-fed/MW/2026/000003");
  const std::string old_text = IssueCard(c, old_body, c.fed_, c.fed_);
  SECTION("altered display fields, re-signed by the issuer") {
    auto altered = old_body;
    altered.holder_name = "Someone Else";
    CHECK(Verify(c, Text(altered, c.fed_)).reason == VerifyReason::kDigestMismatch);
  }
  SECTION("renewed: the old card is refused, the new one valid") {
    auto new_body = old_body;
    new_body.salt = Bytes(types::kCardSaltSize, 0x77);
    new_body.valid_until = kUntil + 1000;
    REQUIRE(c.Run(types::RenewCredential{old_body.credential_id, DigestOf(new_body), kFrom,
                                         kUntil + 1000},
                  {&c.fed_}) == TxCode::kOk);
    CHECK(Verify(c, old_text).reason == VerifyReason::kDigestMismatch);
    CHECK(Verify(c, Text(new_body, c.fed_)).reason == VerifyReason::kValid);
  }
}

TEST_CASE("key rotation: a card signed before keeps verifying, the old key after is refused",
          "[verify]") {
  Chain c;
  const auto before = Body("city-fed/MW/2026/000010");
  const std::string before_text = IssueCard(c, before, c.fed_, c.fed_);
  const auto k2 = KeyFrom(30);
  REQUIRE(c.Run(types::RotateIssuerKey{"city-fed", Pub(k2)}, {&c.fed_}) == TxCode::kOk);
  REQUIRE(c.Issuer("city-fed")->current_key().key_version == 2);

  // Signed with v1 while v1 was current: still valid.
  CHECK(Verify(c, before_text).reason == VerifyReason::kValid);

  // Recorded after the rotation (record key_version 2), card signed with the old key v1.
  const auto after_old = Body("city-fed/MW/2026/000011", 1);
  const std::string after_old_text = IssueCard(c, after_old, k2, c.fed_);
  REQUIRE(c.Credential(after_old.credential_id)->key_version == 2);
  const VerifyResult r = Verify(c, after_old_text);
  CHECK(r.reason == VerifyReason::kBadSignature);
  CHECK(r.message.find("key version") != std::string::npos);

  // Claiming version 2 but signed with the old key: the signature check refuses it.
  const auto claims_v2 = Body("city-fed/MW/2026/000012", 2);
  CHECK(Verify(c, IssueCard(c, claims_v2, k2, c.fed_)).reason == VerifyReason::kBadSignature);

  // Signed with v2 after the rotation: valid.
  const auto after_new = Body("city-fed/MW/2026/000013", 2);
  CHECK(Verify(c, IssueCard(c, after_new, k2, k2)).reason == VerifyReason::kValid);
}

TEST_CASE("a revoked credential is REVOKED and a suspended one SUSPENDED until reinstated",
          "[verify]") {
  Chain c;
  const auto b = Body("city-fed/MW/2026/000004");
  const std::string text = IssueCard(c, b, c.fed_, c.fed_);
  REQUIRE(c.Run(types::SetCredentialStatus{b.credential_id, CredentialStatus::kSuspended, "lost"},
                {&c.fed_}) == TxCode::kOk);
  VerifyResult s = Verify(c, text);
  CHECK(s.reason == VerifyReason::kSuspended);
  CHECK(s.message.find("lost") != std::string::npos);
  REQUIRE(c.Run(types::SetCredentialStatus{b.credential_id, CredentialStatus::kActive, "found"},
                {&c.fed_}) == TxCode::kOk);
  CHECK(Verify(c, text).reason == VerifyReason::kValid);
  REQUIRE(c.Run(types::SetCredentialStatus{b.credential_id, CredentialStatus::kRevoked, "fraud"},
                {&c.fed_}) == TxCode::kOk);
  CHECK(Verify(c, text).reason == VerifyReason::kRevoked);
  // Revoked wins over an expired window.
  CHECK(Verify(c, text, kUntil + 10).reason == VerifyReason::kRevoked);
}

TEST_CASE("a card of a suspended or retired issuer is ISSUER_SUSPENDED", "[verify]") {
  Chain c;
  const auto b = Body("city-fed/MW/2026/000005");
  const std::string text = IssueCard(c, b, c.fed_, c.fed_);
  REQUIRE(c.Run(types::SetIssuerStatus{"city-fed", IssuerStatus::kSuspended, "audit"},
                {&c.admin1_, &c.admin2_}) == TxCode::kOk);
  CHECK(Verify(c, text).reason == VerifyReason::kIssuerSuspended);
  // Checked before the validity window.
  CHECK(Verify(c, text, kFrom - 1).reason == VerifyReason::kIssuerSuspended);
  REQUIRE(c.Run(types::SetIssuerStatus{"city-fed", IssuerStatus::kRetired, "merged"},
                {&c.admin1_, &c.admin2_}) == TxCode::kOk);
  const VerifyResult r = Verify(c, text);
  CHECK(r.reason == VerifyReason::kIssuerSuspended);
  CHECK(r.message.find("retired") != std::string::npos);
}

TEST_CASE("the ledger record's validity window decides NOT_YET_VALID and EXPIRED", "[verify]") {
  Chain c;
  const auto b = Body("city-fed/MW/2026/000006");
  const std::string text = IssueCard(c, b, c.fed_, c.fed_);
  CHECK(Verify(c, text, kFrom - 1).reason == VerifyReason::kNotYetValid);
  CHECK(Verify(c, text, kFrom).reason == VerifyReason::kValid);
  CHECK(Verify(c, text, kUntil - 1).reason == VerifyReason::kValid);
  CHECK(Verify(c, text, kUntil).reason == VerifyReason::kExpired);
  CHECK(Verify(c, text, kUntil + 86400).reason == VerifyReason::kExpired);
}

TEST_CASE("every reason has its API name", "[verify]") {
  CHECK(std::string(VerifyReasonName(VerifyReason::kValid)) == "VALID");
  CHECK(std::string(VerifyReasonName(VerifyReason::kIssuerSuspended)) == "ISSUER_SUSPENDED");
  for (uint8_t i = 0; i <= kMaxVerifyReason; ++i) {
    CHECK(std::string(VerifyReasonName(static_cast<VerifyReason>(i))) != "UNKNOWN");
  }
}

// ---- the card bound to every field of its record -----------------------------------------

TEST_CASE("a priority card recorded as a MEMBER credential is RECORD_MISMATCH, not VALID",
          "[verify][forgery]") {
  // A grassroots union allowed MEMBER cards only signs a card saying MODEL_WORKER NATIONAL and
  // records a MEMBER credential over that card's digest: the digest matches, the signature is
  // the union's own, yet the card claims a priority lane the union may never grant.
  Chain c;
  const auto union_key = KeyFrom(31);
  c.RegisterChild("grassroots", "city-fed", c.fed_, union_key, MemberOnly());
  auto b = Body("grassroots/M/2026/000001", 1, "grassroots");
  b.type = CredentialType::kModelWorker;
  b.level = Level::kNational;
  REQUIRE(c.Run(types::IssueCredential{b.credential_id, "grassroots", CredentialType::kMember,
                                       Level::kUnspecified, DigestOf(b), kFrom, kUntil},
                {&union_key}) == TxCode::kOk);
  const VerifyResult r = Verify(c, Text(b, union_key));
  CHECK_FALSE(r.valid());
  CHECK(r.reason == VerifyReason::kRecordMismatch);
  CHECK(r.message.find("type") != std::string::npos);
  REQUIRE(r.credential.has_value());  // what the gate shows is the record's type
  CHECK(r.credential->type == CredentialType::kMember);
  CHECK(std::string(VerifyReasonName(r.reason)) == "RECORD_MISMATCH");
}

TEST_CASE("a card whose level or validity differs from its record is RECORD_MISMATCH",
          "[verify][forgery]") {
  Chain c;
  SECTION("level") {
    auto b = Body("city-fed/MW/2026/000101");
    b.level = Level::kNational;  // recorded as MUNICIPAL below
    REQUIRE(c.Run(types::IssueCredential{b.credential_id, "city-fed", b.type, Level::kMunicipal,
                                         DigestOf(b), kFrom, kUntil},
                  {&c.fed_}) == TxCode::kOk);
    const VerifyResult r = Verify(c, Text(b, c.fed_));
    CHECK(r.reason == VerifyReason::kRecordMismatch);
    CHECK(r.message.find("level") != std::string::npos);
  }
  SECTION("valid_until later on the card") {
    auto b = Body("city-fed/MW/2026/000102");
    b.valid_until = kUntil + 10 * 365 * 86400ULL;
    const std::string text = IssueCard(c, b, c.fed_, c.fed_, kFrom, kUntil);
    const VerifyResult r = Verify(c, text);
    CHECK(r.reason == VerifyReason::kRecordMismatch);
    CHECK(r.message.find("valid_until") != std::string::npos);
  }
  SECTION("valid_from earlier on the card") {
    auto b = Body("city-fed/MW/2026/000103");
    b.valid_from = kFrom - 1;
    const std::string text = IssueCard(c, b, c.fed_, c.fed_, kFrom, kUntil);
    CHECK(Verify(c, text).reason == VerifyReason::kRecordMismatch);
  }
}

TEST_CASE("a card under a suspended or retired ancestor union is ISSUER_SUSPENDED, naming it",
          "[verify]") {
  Chain c;
  const auto district = KeyFrom(41);
  const auto grassroots = KeyFrom(42);
  c.RegisterChild("district", "city-fed", c.fed_, district, AllGrants(), true);
  c.RegisterChild("grassroots", "district", district, grassroots, AllGrants());
  const auto b = Body("grassroots/MW/2026/000001", 1, "grassroots");
  const std::string text = IssueCard(c, b, grassroots, grassroots);
  REQUIRE(Verify(c, text).valid());

  REQUIRE(c.Run(types::SetIssuerStatus{"city-fed", IssuerStatus::kSuspended, "audit"},
                {&c.admin1_, &c.admin2_}) == TxCode::kOk);
  VerifyResult r = Verify(c, text);
  CHECK(r.reason == VerifyReason::kIssuerSuspended);
  CHECK(r.message.find("'city-fed'") != std::string::npos);
  CHECK(r.message.find("suspended") != std::string::npos);
  REQUIRE(c.Run(types::SetIssuerStatus{"city-fed", IssuerStatus::kActive, "cleared"},
                {&c.admin1_, &c.admin2_}) == TxCode::kOk);
  CHECK(Verify(c, text).valid());

  REQUIRE(c.Run(types::SetIssuerStatus{"district", IssuerStatus::kRetired, "merged"},
                {&c.admin1_, &c.admin2_}) == TxCode::kOk);
  r = Verify(c, text);
  CHECK(r.reason == VerifyReason::kIssuerSuspended);
  CHECK(r.message.find("'district'") != std::string::npos);
  CHECK(r.message.find("retired") != std::string::npos);
}

namespace {
// A state whose issuer records have narrower grants than when the credential was recorded
// (as a future grant change could leave them): the record is then outside its issuer's scope.
class NarrowedGrants final : public StateView {
 public:
  NarrowedGrants(const StateView& base, std::string issuer_id)
      : base_(base), issuer_id_(std::move(issuer_id)) {}
  std::optional<std::string> GetState(std::string_view key) const override {
    auto v = base_.GetState(key);
    if (v && key == IssuerKeyOf(issuer_id_)) {
      auto r = DecodeIssuer(*v);
      REQUIRE(r.ok());
      r->grants = MemberOnly();
      return EncodeIssuer(*r);
    }
    return v;
  }
  bool HasTx(const Hash32& id) const override { return base_.HasTx(id); }
  std::optional<std::string> GetTreeNode(std::string_view key) const override {
    return base_.GetTreeNode(key);
  }

 private:
  const StateView& base_;
  std::string issuer_id_;
};
}  // namespace

TEST_CASE("a record outside the grants of its issuer or of an ancestor is OUT_OF_SCOPE",
          "[verify]") {
  Chain c;
  const auto district = KeyFrom(51);
  c.RegisterChild("district", "city-fed", c.fed_, district, AllGrants());
  const auto b = Body("district/MW/2026/000001", 1, "district");
  const std::string text = IssueCard(c, b, district, district);
  REQUIRE(Verify(c, text).valid());

  const NarrowedGrants own(c.state(), "district");
  VerifyResult r = VerifyCard(own, Chain::kChainId, text, kNow);
  CHECK(r.reason == VerifyReason::kOutOfScope);
  CHECK(r.message.find("MODEL_WORKER MUNICIPAL") != std::string::npos);

  const NarrowedGrants ancestor(c.state(), "city-fed");
  r = VerifyCard(ancestor, Chain::kChainId, text, kNow);
  CHECK(r.reason == VerifyReason::kOutOfScope);
  CHECK(r.message.find("ancestor 'city-fed'") != std::string::npos);
}

TEST_CASE("a signed card whose display fields break the text rules is UNSAFE_TEXT, unshown",
          "[verify]") {
  Chain c;
  int n = 0;
  for (const std::string& name :
       {std::string("Li\nWei"), std::string("\x1b[32mLi Wei"),
        std::string("Li \xE2\x80\xAE" "ieW"), std::string(65, 'x'), std::string("Zoe\xCC\x81"),
        std::string("")}) {
    INFO(name);
    auto b = Body("city-fed/MW/2026/9000" + std::to_string(n++));
    b.holder_name = name;
    const VerifyResult r = Verify(c, IssueCard(c, b, c.fed_, c.fed_));
    CHECK(r.reason == VerifyReason::kUnsafeText);
    CHECK_FALSE(r.card);
    CHECK(r.message.find(name.empty() ? "empty" : "holder name") != std::string::npos);
  }
  auto b = Body("city-fed/MW/2026/900100");
  b.member_no = std::string(33, '1');
  CHECK(Verify(c, IssueCard(c, b, c.fed_, c.fed_)).reason == VerifyReason::kUnsafeText);
  // 64 Chinese characters are within the limit.
  auto ok = Body("city-fed/MW/2026/900101");
  ok.holder_name.clear();
  for (int i = 0; i < 64; ++i) ok.holder_name += "\xE7\x8E\x8B";  // 王
  CHECK(Verify(c, IssueCard(c, ok, c.fed_, c.fed_)).reason == VerifyReason::kValid);
}

TEST_CASE("card fields come back only when the card's signature verified", "[verify]") {
  Chain c;
  const auto b = Body("city-fed/MW/2026/000077");
  IssueCard(c, b, c.fed_, c.fed_);
  // A damaged card: right issuer and key version, a signature that does not verify.
  types::Card card = types::SignCard(b, c.fed_);
  card.signature[3] ^= 0x40;
  const VerifyResult bad = Verify(c, types::CardToText(card));
  CHECK(bad.reason == VerifyReason::kBadSignature);
  CHECK_FALSE(bad.card);
  CHECK_FALSE(bad.credential);
  // Unknown issuer, wrong chain: nothing the card states is returned, and the message escapes
  // what it quotes.
  const VerifyResult ghost = Verify(c, Text(Body("gh\x1bost/M/1", 1, "gh\x1bost"), KeyFrom(50)));
  CHECK(ghost.reason == VerifyReason::kUnknownIssuer);
  CHECK_FALSE(ghost.card);
  CHECK(ghost.message.find('\x1b') == std::string::npos);
  CHECK(ghost.message.find("gh\\x1bost") != std::string::npos);
  const VerifyResult other = Verify(c, Text(Body("city-fed/M/1", 1, "city-fed", "x"), c.fed_));
  CHECK(other.reason == VerifyReason::kWrongChain);
  CHECK_FALSE(other.card);
  // A verified signature: the card is returned even when refused later.
  const VerifyResult missing = Verify(c, Text(Body("city-fed/MW/2026/424243"), c.fed_));
  CHECK(missing.reason == VerifyReason::kNotOnLedger);
  REQUIRE(missing.card);
  CHECK(missing.card->holder_name == "Li Wei");
}

TEST_CASE("validity refusals name the dates in ISO 8601, not raw seconds", "[verify]") {
  Chain c;
  const auto b = Body("city-fed/MW/2026/000078");
  const std::string text = IssueCard(c, b, c.fed_, c.fed_);
  const VerifyResult late = Verify(c, text, kUntil + 5);
  CHECK(late.reason == VerifyReason::kExpired);
  CHECK(late.message == "valid until 2027-01-15T08:00:00Z, now 2027-01-15T08:00:05Z");
  const VerifyResult early = Verify(c, text, kFrom - 1);
  CHECK(early.reason == VerifyReason::kNotYetValid);
  CHECK(early.message.find(std::to_string(kFrom)) == std::string::npos);
}

TEST_CASE("the node's half of the private check decides from the id and digest alone",
          "[verify][private]") {
  Chain c;
  const auto b = Body("city-fed/MW/2026/000900");
  (void)IssueCard(c, b, c.fed_, c.fed_);
  const Hash32 digest = types::CardDigest(types::EncodeCardBody(b));
  StatusQuery q{b.credential_id, "city-fed", 1, digest};
  const VerifyResult ok = VerifyStatus(c.state(), q, kNow);
  CHECK(ok.reason == VerifyReason::kValid);
  CHECK_FALSE(ok.card.has_value());
  REQUIRE(ok.credential);
  CHECK(ok.credential->credential_id == b.credential_id);

  StatusQuery wrong_digest = q;
  wrong_digest.card_digest[0] ^= 1;
  CHECK(VerifyStatus(c.state(), wrong_digest, kNow).reason == VerifyReason::kDigestMismatch);
  StatusQuery unknown = q;
  unknown.credential_id = "city-fed/MW/2026/999999";
  const VerifyResult nl = VerifyStatus(c.state(), unknown, kNow);
  CHECK(nl.reason == VerifyReason::kNotOnLedger);
  CHECK_FALSE(nl.credential.has_value());
  StatusQuery no_issuer = q;
  no_issuer.issuer_id = "nobody";
  CHECK(VerifyStatus(c.state(), no_issuer, kNow).reason == VerifyReason::kUnknownIssuer);
  StatusQuery no_key = q;
  no_key.key_version = 7;
  CHECK(VerifyStatus(c.state(), no_key, kNow).reason == VerifyReason::kBadSignature);
  CHECK(VerifyStatus(c.state(), q, kUntil).reason == VerifyReason::kExpired);
}

TEST_CASE("the gate's half refuses what it can decide without the node", "[verify][private]") {
  Chain c;
  const auto b = Body("city-fed/MW/2026/000901");
  const std::string text = Text(b, c.fed_);
  const auto keys_of = [&](const std::string& id) -> std::optional<std::map<uint32_t, Bytes>> {
    if (id != "city-fed") return std::nullopt;
    return std::map<uint32_t, Bytes>{{1, Pub(c.fed_)}};
  };
  const CardCheck ok = CheckCardOffline(Chain::kChainId, text, keys_of);
  CHECK(ok.result.reason == VerifyReason::kValid);
  REQUIRE(ok.result.card);
  CHECK(ok.digest == types::CardDigest(types::EncodeCardBody(b)));
  CHECK(CheckCardOffline("other-chain", text, keys_of).result.reason == VerifyReason::kWrongChain);
  CHECK(CheckCardOffline(Chain::kChainId, "LC1:%%", keys_of).result.reason ==
        VerifyReason::kMalformed);
  const CardCheck unknown =
      CheckCardOffline(Chain::kChainId, text, [](const std::string&) { return std::nullopt; });
  CHECK(unknown.result.reason == VerifyReason::kUnknownIssuer);
  CHECK_FALSE(unknown.result.card.has_value());
  const CardCheck forged = CheckCardOffline(Chain::kChainId, Text(b, KeyFrom(77)), keys_of);
  CHECK(forged.result.reason == VerifyReason::kBadSignature);
  CHECK_FALSE(forged.result.card.has_value());
}

TEST_CASE("a record whose fields differ from the card overrides the node's later reasons",
          "[verify][private]") {
  const auto b = Body("x/1");
  RecordFields same{b.type, b.level, b.valid_from, b.valid_until};
  RecordFields member = same;
  member.type = CredentialType::kMember;
  CHECK_FALSE(RecordMismatchOverride(b, VerifyReason::kValid, same));
  auto o = RecordMismatchOverride(b, VerifyReason::kValid, member);
  REQUIRE(o);
  CHECK(o->first == VerifyReason::kRecordMismatch);
  CHECK(o->second == "the card's type differs from the ledger record's");
  CHECK(RecordMismatchOverride(b, VerifyReason::kRevoked, member));
  // Decided before the fields are compared: the node's reason stands.
  CHECK_FALSE(RecordMismatchOverride(b, VerifyReason::kDigestMismatch, member));
  CHECK_FALSE(RecordMismatchOverride(b, VerifyReason::kNotOnLedger, std::nullopt));
}

// Every rejection code of the ledger, each reached on purpose, and each leaving the state
// unchanged.
#include "tests/unit/ledger/ledger_fixture.h"

using namespace laurel;
using namespace laurel::ledger;
using namespace laurel::ledger::test;
using S = types::SetCredentialStatus;

namespace {
// Runs `tx` in a block and checks that it got `want` and wrote no record: only the
// transaction log's head "l" moves (every committed transaction is a leaf, docs/spec/state.md
// §12).
void ExpectRejected(Chain& c, const types::Tx& tx, TxCode want) {
  auto before = c.state().all();
  const BlockResult r = c.RunBlock({tx});
  INFO("got " << TxCodeName(r.outcomes.at(0).code) << ", want " << TxCodeName(want));
  CHECK(r.outcomes.at(0).code == want);
  CHECK(r.writes.size() == 1);
  CHECK(r.writes.count("l") == 1);
  auto after = c.state().all();
  before.erase("l");
  after.erase("l");
  CHECK(after == before);
}
types::Action IssueAction(const std::string& id, const std::string& issuer = "city-fed") {
  return types::IssueCredential{id, issuer, CredentialType::kMember, Level::kUnspecified, Digest(1),
                                10, 20};
}
}  // namespace

TEST_CASE("rejects MALFORMED: a body that does not decode", "[ledger][reject]") {
  Chain c;
  types::Tx tx{Bytes{0xff, 0xff, 0xff}, {}};
  types::SignTx(tx, c.fed_);
  ExpectRejected(c, tx, TxCode::kMalformed);
}

TEST_CASE("rejects MALFORMED: a nonce shorter than 8 bytes", "[ledger][reject]") {
  Chain c;
  types::TxBody body{Chain::kChainId, Bytes(4, 1), 100, IssueAction("city-fed/M/1")};
  types::Tx tx = types::MakeTx(body);
  types::SignTx(tx, c.fed_);
  ExpectRejected(c, tx, TxCode::kMalformed);
}

TEST_CASE("rejects MALFORMED: a model-worker grant without levels", "[ledger][reject]") {
  Chain c;
  ExpectRejected(
      c,
      c.Make(
          types::RegisterIssuer{
              "x-fed", "x", "", Pub(KeyFrom(50)), {{CredentialType::kModelWorker, {}}}, false},
          {&c.admin1_, &c.admin2_}),
      TxCode::kMalformed);
}

TEST_CASE("rejects WRONG_CHAIN: a body for another chain", "[ledger][reject]") {
  Chain c;
  ExpectRejected(c, c.Make(IssueAction("city-fed/M/1"), {&c.fed_}, "other-chain"),
                 TxCode::kWrongChain);
}

TEST_CASE("rejects EXPIRED: a block above expires_at_height", "[ledger][reject]") {
  Chain c;
  c.Issue("city-fed/M/0", "city-fed", c.fed_);  // height 1
  ExpectRejected(c, c.Make(IssueAction("city-fed/M/1"), {&c.fed_}, Chain::kChainId, 1),
                 TxCode::kExpired);
}

TEST_CASE("rejects DUPLICATE_TX: the same tx id in a later block", "[ledger][reject]") {
  Chain c;
  const types::Tx tx = c.Make(IssueAction("city-fed/M/1"), {&c.fed_});
  REQUIRE(c.Run(tx) == TxCode::kOk);
  ExpectRejected(c, tx, TxCode::kDuplicateTx);
}

TEST_CASE("a failed-but-signed tx spends its id, a forged copy does not", "[ledger][reject]") {
  Chain c;
  types::Tx genuine = c.Make(IssueAction("city-fed/M/1"), {&c.fed_});
  types::Tx forged = genuine;
  forged.signatures[0].signature[5] ^= 1;
  ExpectRejected(c, forged, TxCode::kBadSignature);
  CHECK(c.Run(genuine) == TxCode::kOk);  // the forged copy did not burn the id
  types::Tx wrong = c.Make(IssueAction("nobody/M/1", "nobody"), {&c.fed_});
  CHECK(c.Run(wrong) == TxCode::kUnknownIssuer);
  ExpectRejected(c, wrong, TxCode::kDuplicateTx);
}

TEST_CASE("rejects MISSING_SIGNATURE: an unsigned tx", "[ledger][reject]") {
  Chain c;
  ExpectRejected(c, c.Make(IssueAction("city-fed/M/1"), {}), TxCode::kMissingSignature);
}

TEST_CASE("rejects BAD_SIGNATURE: any signature that does not verify", "[ledger][reject]") {
  Chain c;
  types::Tx tx = c.Make(IssueAction("city-fed/M/1"), {&c.fed_, &c.admin1_});
  tx.signatures[1].signature[0] ^= 0x80;
  ExpectRejected(c, tx, TxCode::kBadSignature);
  types::Tx short_key = c.Make(IssueAction("city-fed/M/1"), {&c.fed_});
  short_key.signatures[0].public_key.pop_back();
  ExpectRejected(c, short_key, TxCode::kBadSignature);
}

TEST_CASE("rejects UNAUTHORIZED: a card signed by another issuer's key", "[ledger][reject]") {
  Chain c;
  ExpectRejected(c, c.Make(IssueAction("city-fed/M/1"), {&c.admin1_}), TxCode::kUnauthorized);
}

TEST_CASE("rejects UNAUTHORIZED: a top-level issuer without admin signatures", "[ledger][reject]") {
  Chain c;
  ExpectRejected(
      c,
      c.Make(types::RegisterIssuer{"x-fed", "x", "", Pub(KeyFrom(50)), MemberOnly(), false},
             {&c.fed_}),
      TxCode::kUnauthorized);
}

TEST_CASE("rejects INSUFFICIENT_SIGNATURES: 1 of 3 admins, even signing twice",
          "[ledger][reject]") {
  Chain c;
  ExpectRejected(
      c,
      c.Make(types::RegisterIssuer{"x-fed", "x", "", Pub(KeyFrom(50)), MemberOnly(), false},
             {&c.admin1_, &c.admin1_}),
      TxCode::kInsufficientSignatures);
  ExpectRejected(c, c.Make(types::UpdateGovernance{{Pub(c.admin1_)}, 1}, {&c.admin3_}),
                 TxCode::kInsufficientSignatures);
}

TEST_CASE("rejects UNKNOWN_ISSUER: issuing for, rotating or delegating from no issuer",
          "[ledger][reject]") {
  Chain c;
  ExpectRejected(c, c.Make(IssueAction("ghost/M/1", "ghost"), {&c.fed_}), TxCode::kUnknownIssuer);
  ExpectRejected(c, c.Make(types::RotateIssuerKey{"ghost", Pub(KeyFrom(51))}, {&c.fed_}),
                 TxCode::kUnknownIssuer);
  ExpectRejected(
      c,
      c.Make(types::RegisterIssuer{"kid", "k", "ghost", Pub(KeyFrom(52)), MemberOnly(), false},
             {&c.fed_}),
      TxCode::kUnknownIssuer);
}

TEST_CASE("rejects ISSUER_EXISTS: registering an id twice", "[ledger][reject]") {
  Chain c;
  ExpectRejected(
      c,
      c.Make(types::RegisterIssuer{"city-fed", "again", "", Pub(KeyFrom(53)), MemberOnly(), false},
             {&c.admin1_, &c.admin2_}),
      TxCode::kIssuerExists);
}

TEST_CASE("rejects ISSUER_INACTIVE: a suspended issuer issuing or delegating", "[ledger][reject]") {
  Chain c;
  const auto dist = KeyFrom(21);
  c.RegisterChild("jimo", "city-fed", c.fed_, dist, MemberOnly());
  REQUIRE(c.Issue("jimo/M/1", "jimo", dist) == TxCode::kOk);
  REQUIRE(c.Run(S{"jimo/M/1", CredentialStatus::kSuspended, ""}, {&dist}) == TxCode::kOk);
  REQUIRE(c.Run(types::SetIssuerStatus{"jimo", IssuerStatus::kSuspended, ""}, {&c.fed_}) ==
          TxCode::kOk);
  ExpectRejected(c, c.Make(IssueAction("jimo/M/2", "jimo"), {&dist}), TxCode::kIssuerInactive);
  ExpectRejected(c, c.Make(S{"jimo/M/1", CredentialStatus::kActive, ""}, {&dist}),
                 TxCode::kIssuerInactive);
  ExpectRejected(c, c.Make(types::RenewCredential{"jimo/M/1", Digest(3), 1, 2}, {&dist}),
                 TxCode::kIssuerInactive);
  REQUIRE(c.Run(types::SetIssuerStatus{"city-fed", IssuerStatus::kSuspended, ""},
                {&c.admin1_, &c.admin2_}) == TxCode::kOk);
  ExpectRejected(
      c,
      c.Make(types::RegisterIssuer{"kid", "k", "city-fed", Pub(KeyFrom(54)), MemberOnly(), false},
             {&c.fed_}),
      TxCode::kIssuerInactive);
}

TEST_CASE("rejects CANNOT_DELEGATE: a parent without can_delegate", "[ledger][reject]") {
  Chain c;
  const auto dist = KeyFrom(21);
  c.RegisterChild("jimo", "city-fed", c.fed_, dist, MemberOnly(), /*can_delegate=*/false);
  ExpectRejected(
      c,
      c.Make(types::RegisterIssuer{"jimo-sub", "s", "jimo", Pub(KeyFrom(55)), MemberOnly(), false},
             {&dist}),
      TxCode::kCannotDelegate);
}

TEST_CASE("rejects SCOPE_NOT_ALLOWED: a type, level or delegation outside the grants",
          "[ledger][reject]") {
  Chain c;
  const auto dist = KeyFrom(21);
  c.RegisterChild("jimo", "city-fed", c.fed_, dist, MemberOnly(), true);
  // The delegated district union cannot issue model-worker cards.
  ExpectRejected(c,
                 c.Make(types::IssueCredential{"jimo/MW/1", "jimo", CredentialType::kModelWorker,
                                               Level::kDistrict, Digest(1), 1, 2},
                        {&dist}),
                 TxCode::kScopeNotAllowed);
  // Nor delegate more than it has.
  ExpectRejected(
      c,
      c.Make(types::RegisterIssuer{"jimo-sub", "s", "jimo", Pub(KeyFrom(56)), AllGrants(), false},
             {&dist}),
      TxCode::kScopeNotAllowed);
  // A level outside a model-worker grant.
  const auto muni = KeyFrom(57);
  c.RegisterChild("muni", "city-fed", c.fed_, muni,
                  {{CredentialType::kModelWorker, {Level::kMunicipal}}});
  ExpectRejected(c,
                 c.Make(types::IssueCredential{"muni/MW/1", "muni", CredentialType::kModelWorker,
                                               Level::kNational, Digest(1), 1, 2},
                        {&muni}),
                 TxCode::kScopeNotAllowed);
}

TEST_CASE("rejects CREDENTIAL_EXISTS: issuing an id twice", "[ledger][reject]") {
  Chain c;
  REQUIRE(c.Issue("city-fed/M/1", "city-fed", c.fed_) == TxCode::kOk);
  ExpectRejected(c, c.Make(IssueAction("city-fed/M/1"), {&c.fed_}), TxCode::kCredentialExists);
}

TEST_CASE("rejects UNKNOWN_CREDENTIAL: status change or renewal of no credential",
          "[ledger][reject]") {
  Chain c;
  ExpectRejected(c, c.Make(S{"city-fed/M/404", CredentialStatus::kRevoked, ""}, {&c.fed_}),
                 TxCode::kUnknownCredential);
  ExpectRejected(c, c.Make(types::RenewCredential{"city-fed/M/404", Digest(1), 1, 2}, {&c.fed_}),
                 TxCode::kUnknownCredential);
}

TEST_CASE("rejects ILLEGAL_TRANSITION: nothing is accepted after REVOKED", "[ledger][reject]") {
  Chain c;
  REQUIRE(c.Issue("city-fed/M/1", "city-fed", c.fed_) == TxCode::kOk);
  ExpectRejected(c, c.Make(S{"city-fed/M/1", CredentialStatus::kActive, ""}, {&c.fed_}),
                 TxCode::kIllegalTransition);  // already active
  REQUIRE(c.Run(S{"city-fed/M/1", CredentialStatus::kRevoked, ""}, {&c.fed_}) == TxCode::kOk);
  for (auto st :
       {CredentialStatus::kActive, CredentialStatus::kSuspended, CredentialStatus::kRevoked}) {
    ExpectRejected(c, c.Make(S{"city-fed/M/1", st, ""}, {&c.fed_}), TxCode::kIllegalTransition);
  }
  ExpectRejected(c, c.Make(types::RenewCredential{"city-fed/M/1", Digest(2), 1, 2}, {&c.fed_}),
                 TxCode::kIllegalTransition);
  // A retired issuer stays retired.
  const auto dist = KeyFrom(21);
  c.RegisterChild("jimo", "city-fed", c.fed_, dist, MemberOnly());
  REQUIRE(c.Run(types::SetIssuerStatus{"jimo", IssuerStatus::kRetired, ""}, {&c.fed_}) ==
          TxCode::kOk);
  ExpectRejected(c, c.Make(types::SetIssuerStatus{"jimo", IssuerStatus::kActive, ""}, {&c.fed_}),
                 TxCode::kIllegalTransition);
}

TEST_CASE("rejects BAD_VALIDITY: valid_until not after valid_from", "[ledger][reject]") {
  Chain c;
  ExpectRejected(c,
                 c.Make(types::IssueCredential{"city-fed/M/1", "city-fed", CredentialType::kMember,
                                               Level::kUnspecified, Digest(1), 20, 20},
                        {&c.fed_}),
                 TxCode::kBadValidity);
}

TEST_CASE("rejects BAD_CREDENTIAL_ID: an id outside the issuer's namespace", "[ledger][reject]") {
  Chain c;
  ExpectRejected(c, c.Make(IssueAction("other/M/1"), {&c.fed_}), TxCode::kBadCredentialId);
  ExpectRejected(c, c.Make(IssueAction("city-fed/has space"), {&c.fed_}), TxCode::kBadCredentialId);
  ExpectRejected(c, c.Make(IssueAction("city-fed/"), {&c.fed_}), TxCode::kBadCredentialId);
}

TEST_CASE("rejects BAD_KEY: a short key, or rotating to a key used before", "[ledger][reject]") {
  Chain c;
  ExpectRejected(c,
                 c.Make(types::RegisterIssuer{"x-fed", "x", "", Bytes(31, 1), MemberOnly(), false},
                        {&c.admin1_, &c.admin2_}),
                 TxCode::kBadKey);
  ExpectRejected(c, c.Make(types::RotateIssuerKey{"city-fed", Pub(c.fed_)}, {&c.fed_}),
                 TxCode::kBadKey);
}

TEST_CASE("rejects BAD_THRESHOLD: zero or more than the admins", "[ledger][reject]") {
  Chain c;
  ExpectRejected(c, c.Make(types::UpdateGovernance{{Pub(c.admin1_)}, 2}, {&c.admin1_, &c.admin2_}),
                 TxCode::kBadThreshold);
  ExpectRejected(c, c.Make(types::UpdateGovernance{{Pub(c.admin1_)}, 0}, {&c.admin1_, &c.admin2_}),
                 TxCode::kBadThreshold);
}

TEST_CASE("rejects BAD_ISSUER_ID: upper case, too short, or parent equal to itself",
          "[ledger][reject]") {
  Chain c;
  for (const char* id : {"A-Fed", "x", "has/slash"}) {
    ExpectRejected(c,
                   c.Make(types::RegisterIssuer{id, "x", "", Pub(KeyFrom(58)), MemberOnly(), false},
                          {&c.admin1_, &c.admin2_}),
                   TxCode::kBadIssuerId);
  }
  ExpectRejected(
      c,
      c.Make(types::RegisterIssuer{"self", "x", "self", Pub(KeyFrom(58)), MemberOnly(), false},
             {&c.admin1_, &c.admin2_}),
      TxCode::kBadIssuerId);
}

TEST_CASE("rejects BAD_DIGEST: a card digest that is not 32 bytes", "[ledger][reject]") {
  Chain c;
  ExpectRejected(c,
                 c.Make(types::IssueCredential{"city-fed/M/1", "city-fed", CredentialType::kMember,
                                               Level::kUnspecified, Bytes(31, 1), 1, 2},
                        {&c.fed_}),
                 TxCode::kBadDigest);
}

TEST_CASE("rejects BAD_VALIDATOR_SET: empty or duplicate validators", "[ledger][reject]") {
  Chain c;
  ExpectRejected(c, c.Make(types::UpdateValidatorSet{{}}, {&c.admin1_, &c.admin2_}),
                 TxCode::kBadValidatorSet);
  const types::Validator v{Pub(KeyFrom(60)), "a", ""};
  ExpectRejected(c, c.Make(types::UpdateValidatorSet{{v, v}}, {&c.admin1_, &c.admin2_}),
                 TxCode::kBadValidatorSet);
}

TEST_CASE("every code has a distinct stable name", "[ledger]") {
  std::set<std::string> names;
  for (uint32_t i = 0; i <= kMaxTxCode; ++i) {
    names.insert(TxCodeName(static_cast<TxCode>(i)));
  }
  CHECK(names.size() == kMaxTxCode + 1);
  CHECK(names.count("UNKNOWN_CODE") == 0);
  CHECK(std::string(TxCodeName(static_cast<TxCode>(kMaxTxCode + 1))) == "UNKNOWN_CODE");
}

TEST_CASE("rejects UNSAFE_TEXT: an issuer name or status reason a gate screen would show wrongly",
          "[ledger][reject]") {
  Chain c;
  REQUIRE(c.Issue("city-fed/M/1", "city-fed", c.fed_) == TxCode::kOk);
  for (const std::string& bad : {std::string("lost\ncard"), std::string("\x1b[31mred"),
                                 std::string("a\xE2\x80\xAE"
                                             "b"),
                                 std::string("e\xCC\x81")}) {  // newline, escape, U+202E, not NFC
    INFO(bad);
    ExpectRejected(
        c,
        c.Make(types::RegisterIssuer{"bad-fed", bad, "", Pub(KeyFrom(61)), MemberOnly(), false},
               {&c.admin1_, &c.admin2_}),
        TxCode::kUnsafeText);
    ExpectRejected(
        c,
        c.Make(types::SetCredentialStatus{"city-fed/M/1", types::CredentialStatus::kSuspended, bad},
               {&c.fed_}),
        TxCode::kUnsafeText);
    ExpectRejected(c,
                   c.Make(types::SetIssuerStatus{"city-fed", types::IssuerStatus::kSuspended, bad},
                          {&c.admin1_, &c.admin2_}),
                   TxCode::kUnsafeText);
  }
  // Chinese text in NFC, and the empty reason, are fine.
  CHECK(c.Run(types::SetCredentialStatus{"city-fed/M/1", types::CredentialStatus::kSuspended,
                                         "\xE4\xB8\xA2\xE5\xA4\xB1"},  // 丢失
              {&c.fed_}) == TxCode::kOk);
  CHECK(c.Run(types::SetCredentialStatus{"city-fed/M/1", types::CredentialStatus::kActive, ""},
              {&c.fed_}) == TxCode::kOk);
}

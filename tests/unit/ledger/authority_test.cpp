// Who may change a status (governance > the issuer's parent > the issuer itself), who may lift
// it, what a key of an inactive issuer can still do, and what a refusal for want of authority
// leaves behind (tx id, history, admission).
#include <string>
#include <vector>

#include "tests/unit/ledger/ledger_fixture.h"

using namespace laurel;
using namespace laurel::ledger;
using namespace laurel::ledger::test;
using S = types::SetCredentialStatus;
using SI = types::SetIssuerStatus;
using Signers = std::vector<const crypto::PrivateKey*>;

namespace {

// Names, so that a failed CHECK reads "HELD_BY_HIGHER_AUTHORITY" == "OK" rather than numbers.
std::string Name(TxCode c) { return TxCodeName(c); }
std::string Name(Authority a) { return AuthorityName(a); }
std::string Name(CredentialStatus s) { return types::CredentialStatusName(s); }
std::string Name(IssuerStatus s) { return types::IssuerStatusName(s); }

constexpr const char* kCard = "jimo/M/1";

// city-fed (key fed_, may delegate) > jimo (key `key`, may delegate), with an active card
// kCard issued by jimo.
struct Jimo {
  Chain c;
  crypto::PrivateKey key = KeyFrom(21);

  Jimo() {
    c.RegisterChild("jimo", "city-fed", c.fed_, key, MemberOnly(), /*can_delegate=*/true);
    REQUIRE(c.Issue(kCard, "jimo", key) == TxCode::kOk);
  }

  // The signers that act as `a` over jimo and its cards.
  Signers As(Authority a) {
    switch (a) {
      case Authority::kIssuer:
        return {&key};
      case Authority::kParent:
        return {&c.fed_};
      case Authority::kGovernance:
        return {&c.admin1_, &c.admin2_};
      case Authority::kNone:
        break;
    }
    FAIL("no signers act as authority 'none'");
    return {};
  }
};

// The state without the transaction log's head "l", which every committed transaction
// advances, refused or not (docs/spec/state.md §12).
std::map<std::string, std::string> Records(const std::map<std::string, std::string>& state) {
  auto out = state;
  out.erase("l");
  return out;
}

// Executes `tx` alone in a block and checks its code; a refused tx must write no record (only
// its leaf in the transaction log).
void ExpectTx(Chain& c, const types::Tx& tx, TxCode want) {
  const auto before = c.state().all();
  const BlockResult r = c.RunBlock({tx});
  CHECK(Name(r.outcomes.at(0).code) == Name(want));
  if (want != TxCode::kOk) {
    CHECK(r.writes.size() == 1);
    CHECK(r.writes.count("l") == 1);
    CHECK(Records(c.state().all()) == Records(before));
  }
}
void Expect(Chain& c, types::Action action, Signers signers, TxCode want) {
  ExpectTx(c, c.Make(std::move(action), std::move(signers)), want);
}
// A setup step that must succeed.
void Ok(Chain& c, types::Action action, Signers signers) {
  const TxCode got = c.Run(std::move(action), std::move(signers));
  INFO("setup step got " << Name(got));
  REQUIRE(got == TxCode::kOk);
}

void CheckCard(Chain& c, const std::string& id, CredentialStatus status, Authority held) {
  const auto r = c.Credential(id);
  REQUIRE(r);
  CHECK(Name(r->status) == Name(status));
  CHECK(Name(r->status_authority) == Name(held));
}
void CheckIssuer(Chain& c, const std::string& id, IssuerStatus status, Authority held) {
  const auto r = c.Issuer(id);
  REQUIRE(r);
  CHECK(Name(r->status) == Name(status));
  CHECK(Name(r->status_authority) == Name(held));
}

struct LiftRow {
  Authority setter;
  Authority lifter;
  TxCode want;
};

}  // namespace

TEST_CASE(
    "a suspended credential is reinstated only by the authority that suspended it or a "
    "higher one",
    "[ledger][authority]") {
  using A = Authority;
  const LiftRow row = GENERATE(values<LiftRow>({
      {A::kIssuer, A::kIssuer, TxCode::kOk},
      {A::kIssuer, A::kParent, TxCode::kOk},
      {A::kIssuer, A::kGovernance, TxCode::kOk},
      {A::kParent, A::kIssuer, TxCode::kHeldByHigherAuthority},
      {A::kParent, A::kParent, TxCode::kOk},
      {A::kParent, A::kGovernance, TxCode::kOk},
      {A::kGovernance, A::kIssuer, TxCode::kHeldByHigherAuthority},
      {A::kGovernance, A::kParent, TxCode::kHeldByHigherAuthority},
      {A::kGovernance, A::kGovernance, TxCode::kOk},
  }));
  INFO("suspended by " << Name(row.setter) << ", reinstated by " << Name(row.lifter));
  Jimo j;
  CheckCard(j.c, kCard, CredentialStatus::kActive, A::kNone);
  Ok(j.c, S{kCard, CredentialStatus::kSuspended, "dues"}, j.As(row.setter));
  CheckCard(j.c, kCard, CredentialStatus::kSuspended, row.setter);

  Expect(j.c, S{kCard, CredentialStatus::kActive, "paid"}, j.As(row.lifter), row.want);
  if (row.want == TxCode::kOk) {
    CheckCard(j.c, kCard, CredentialStatus::kActive, A::kNone);
  } else {
    CheckCard(j.c, kCard, CredentialStatus::kSuspended, row.setter);
  }
}

TEST_CASE(
    "a suspended issuer is reactivated only by the authority that suspended it or a "
    "higher one",
    "[ledger][authority]") {
  using A = Authority;
  const LiftRow row = GENERATE(values<LiftRow>({
      {A::kParent, A::kParent, TxCode::kOk},
      {A::kParent, A::kGovernance, TxCode::kOk},
      {A::kGovernance, A::kParent, TxCode::kHeldByHigherAuthority},
      {A::kGovernance, A::kGovernance, TxCode::kOk},
  }));
  INFO("suspended by " << Name(row.setter) << ", reactivated by " << Name(row.lifter));
  Jimo j;
  CheckIssuer(j.c, "jimo", IssuerStatus::kActive, A::kNone);
  Ok(j.c, SI{"jimo", IssuerStatus::kSuspended, "audit"}, j.As(row.setter));
  CheckIssuer(j.c, "jimo", IssuerStatus::kSuspended, row.setter);

  Expect(j.c, SI{"jimo", IssuerStatus::kActive, "cleared"}, j.As(row.lifter), row.want);
  if (row.want == TxCode::kOk) {
    CheckIssuer(j.c, "jimo", IssuerStatus::kActive, A::kNone);
  } else {
    CheckIssuer(j.c, "jimo", IssuerStatus::kSuspended, row.setter);
  }
}

TEST_CASE("an issuer has no authority over its own status", "[ledger][authority]") {
  Jimo j;
  Expect(j.c, SI{"jimo", IssuerStatus::kSuspended, ""}, {&j.key}, TxCode::kUnauthorized);
  Expect(j.c, SI{"jimo", IssuerStatus::kRetired, ""}, {&j.key}, TxCode::kUnauthorized);
  CheckIssuer(j.c, "jimo", IssuerStatus::kActive, Authority::kNone);
  // Nor, once suspended by its parent, over lifting it: still UNAUTHORIZED, not a question
  // of its key being inactive.
  Ok(j.c, SI{"jimo", IssuerStatus::kSuspended, ""}, {&j.c.fed_});
  Expect(j.c, SI{"jimo", IssuerStatus::kActive, ""}, {&j.key}, TxCode::kUnauthorized);
  CheckIssuer(j.c, "jimo", IssuerStatus::kSuspended, Authority::kParent);
}

TEST_CASE(
    "a higher authority re-suspending a credential takes the suspension over from a "
    "lower one",
    "[ledger][authority]") {
  Jimo j;
  Ok(j.c, S{kCard, CredentialStatus::kSuspended, ""}, {&j.key});
  CheckCard(j.c, kCard, CredentialStatus::kSuspended, Authority::kIssuer);

  Expect(j.c, S{kCard, CredentialStatus::kSuspended, "parent"}, {&j.c.fed_}, TxCode::kOk);
  CheckCard(j.c, kCard, CredentialStatus::kSuspended, Authority::kParent);
  CHECK(j.c.Credential(kCard)->status_reason == "parent");
  Expect(j.c, S{kCard, CredentialStatus::kActive, ""}, {&j.key}, TxCode::kHeldByHigherAuthority);

  Expect(j.c, S{kCard, CredentialStatus::kSuspended, "gov"}, {&j.c.admin2_, &j.c.admin3_},
         TxCode::kOk);
  CheckCard(j.c, kCard, CredentialStatus::kSuspended, Authority::kGovernance);
  Expect(j.c, S{kCard, CredentialStatus::kActive, ""}, {&j.c.fed_}, TxCode::kHeldByHigherAuthority);
  Expect(j.c, S{kCard, CredentialStatus::kActive, ""}, {&j.key}, TxCode::kHeldByHigherAuthority);
  CheckCard(j.c, kCard, CredentialStatus::kSuspended, Authority::kGovernance);
}

TEST_CASE("governance re-suspending an issuer takes the suspension over from its parent",
          "[ledger][authority]") {
  Jimo j;
  Ok(j.c, SI{"jimo", IssuerStatus::kSuspended, ""}, {&j.c.fed_});
  Expect(j.c, SI{"jimo", IssuerStatus::kSuspended, "gov"}, {&j.c.admin1_, &j.c.admin3_},
         TxCode::kOk);
  CheckIssuer(j.c, "jimo", IssuerStatus::kSuspended, Authority::kGovernance);
  Expect(j.c, SI{"jimo", IssuerStatus::kActive, ""}, {&j.c.fed_}, TxCode::kHeldByHigherAuthority);
  CheckIssuer(j.c, "jimo", IssuerStatus::kSuspended, Authority::kGovernance);
}

TEST_CASE(
    "setting a credential's current status by the same or a lower authority is an "
    "illegal transition",
    "[ledger][authority]") {
  Jimo j;
  // ACTIVE on an active card: nobody, governance included, can "take over" ACTIVE.
  Expect(j.c, S{kCard, CredentialStatus::kActive, ""}, {&j.key}, TxCode::kIllegalTransition);
  Expect(j.c, S{kCard, CredentialStatus::kActive, ""}, {&j.c.admin1_, &j.c.admin2_},
         TxCode::kIllegalTransition);
  CheckCard(j.c, kCard, CredentialStatus::kActive, Authority::kNone);

  Ok(j.c, S{kCard, CredentialStatus::kSuspended, ""}, {&j.c.fed_});
  Expect(j.c, S{kCard, CredentialStatus::kSuspended, ""}, {&j.c.fed_}, TxCode::kIllegalTransition);
  Expect(j.c, S{kCard, CredentialStatus::kSuspended, ""}, {&j.key}, TxCode::kIllegalTransition);
  CheckCard(j.c, kCard, CredentialStatus::kSuspended, Authority::kParent);

  Ok(j.c, S{kCard, CredentialStatus::kSuspended, ""}, {&j.c.admin1_, &j.c.admin2_});
  Expect(j.c, S{kCard, CredentialStatus::kSuspended, ""}, {&j.c.admin1_, &j.c.admin3_},
         TxCode::kIllegalTransition);
  CheckCard(j.c, kCard, CredentialStatus::kSuspended, Authority::kGovernance);
}

TEST_CASE(
    "setting an issuer's current status by the same or a lower authority is an illegal "
    "transition",
    "[ledger][authority]") {
  Jimo j;
  Expect(j.c, SI{"jimo", IssuerStatus::kActive, ""}, {&j.c.fed_}, TxCode::kIllegalTransition);
  Expect(j.c, SI{"jimo", IssuerStatus::kActive, ""}, {&j.c.admin1_, &j.c.admin2_},
         TxCode::kIllegalTransition);
  Ok(j.c, SI{"jimo", IssuerStatus::kSuspended, ""}, {&j.c.admin1_, &j.c.admin2_});
  Expect(j.c, SI{"jimo", IssuerStatus::kSuspended, ""}, {&j.c.fed_}, TxCode::kIllegalTransition);
  Expect(j.c, SI{"jimo", IssuerStatus::kSuspended, ""}, {&j.c.admin2_, &j.c.admin3_},
         TxCode::kIllegalTransition);
  CheckIssuer(j.c, "jimo", IssuerStatus::kSuspended, Authority::kGovernance);
}

TEST_CASE("nothing follows a credential's revocation, not even governance", "[ledger][authority]") {
  Jimo j;
  Ok(j.c, S{kCard, CredentialStatus::kRevoked, "left"}, {&j.key});
  CheckCard(j.c, kCard, CredentialStatus::kRevoked, Authority::kIssuer);
  const Signers gov{&j.c.admin1_, &j.c.admin2_};
  Expect(j.c, S{kCard, CredentialStatus::kActive, ""}, gov, TxCode::kIllegalTransition);
  Expect(j.c, S{kCard, CredentialStatus::kSuspended, ""}, gov, TxCode::kIllegalTransition);
  // Not even a higher authority re-setting REVOKED (which would be a takeover elsewhere).
  Expect(j.c, S{kCard, CredentialStatus::kRevoked, ""}, gov, TxCode::kIllegalTransition);
  Expect(j.c, S{kCard, CredentialStatus::kRevoked, ""}, {&j.c.fed_}, TxCode::kIllegalTransition);
  CheckCard(j.c, kCard, CredentialStatus::kRevoked, Authority::kIssuer);
}

TEST_CASE(
    "a suspended credential may be revoked by any authority over it, even one below the "
    "suspender",
    "[ledger][authority]") {
  using A = Authority;
  const LiftRow row = GENERATE(values<LiftRow>({
      {A::kGovernance, A::kIssuer, TxCode::kOk},
      {A::kGovernance, A::kParent, TxCode::kOk},
      {A::kParent, A::kIssuer, TxCode::kOk},
      {A::kIssuer, A::kGovernance, TxCode::kOk},
  }));
  INFO("suspended by " << Name(row.setter) << ", revoked by " << Name(row.lifter));
  Jimo j;
  Ok(j.c, S{kCard, CredentialStatus::kSuspended, ""}, j.As(row.setter));
  Expect(j.c, S{kCard, CredentialStatus::kRevoked, "left"}, j.As(row.lifter), row.want);
  CheckCard(j.c, kCard, CredentialStatus::kRevoked, row.lifter);
}

TEST_CASE("a stranger's key has no authority over another issuer's credential",
          "[ledger][authority]") {
  Jimo j;
  const auto port = KeyFrom(40);
  j.c.RegisterTop("port-union", port, MemberOnly(), false);
  Expect(j.c, S{kCard, CredentialStatus::kSuspended, ""}, {&port}, TxCode::kUnauthorized);
  // One admin is not governance.
  Expect(j.c, S{kCard, CredentialStatus::kSuspended, ""}, {&j.c.admin3_},
         TxCode::kInsufficientSignatures);
  CheckCard(j.c, kCard, CredentialStatus::kActive, Authority::kNone);
}

TEST_CASE(
    "a retired parent's key can neither reactivate its child nor revoke the child's "
    "credential",
    "[ledger][authority]") {
  Jimo j;
  const auto sub = KeyFrom(22);
  j.c.RegisterChild("jimo-sub", "jimo", j.key, sub, MemberOnly());
  REQUIRE(j.c.Issue("jimo-sub/M/1", "jimo-sub", sub) == TxCode::kOk);
  Ok(j.c, SI{"jimo-sub", IssuerStatus::kSuspended, ""}, {&j.key});

  const types::Tx reactivate = j.c.Make(SI{"jimo-sub", IssuerStatus::kActive, ""}, {&j.key});
  const types::Tx revoke = j.c.Make(S{"jimo-sub/M/1", CredentialStatus::kRevoked, ""}, {&j.key});
  // While jimo is active, both would succeed.
  CHECK(Name(j.c.exec().CheckAdmission(j.c.state(), reactivate, j.c.height() + 1)) ==
        Name(TxCode::kOk));
  CHECK(Name(j.c.exec().CheckAdmission(j.c.state(), revoke, j.c.height() + 1)) ==
        Name(TxCode::kOk));

  Ok(j.c, SI{"jimo", IssuerStatus::kRetired, "merged"}, {&j.c.fed_});
  ExpectTx(j.c, reactivate, TxCode::kIssuerInactive);
  ExpectTx(j.c, revoke, TxCode::kIssuerInactive);
  CheckIssuer(j.c, "jimo-sub", IssuerStatus::kSuspended, Authority::kParent);
  CheckCard(j.c, "jimo-sub/M/1", CredentialStatus::kActive, Authority::kNone);
}

TEST_CASE("a suspended issuer's key acts on nothing of its own", "[ledger][authority]") {
  Jimo j;
  REQUIRE(j.c.Issue("jimo/M/2", "jimo", j.key) == TxCode::kOk);
  struct Step {
    const char* what;
    types::Action action;
  };
  const std::vector<Step> steps = {
      {"revoke its credential", S{kCard, CredentialStatus::kRevoked, ""}},
      {"suspend its credential", S{"jimo/M/2", CredentialStatus::kSuspended, ""}},
      {"issue", types::IssueCredential{"jimo/M/3", "jimo", CredentialType::kMember,
                                       Level::kUnspecified, Digest(4), 100, 200}},
      {"renew", types::RenewCredential{kCard, Digest(5), 300, 400}},
      {"rotate its own key", types::RotateIssuerKey{"jimo", Pub(KeyFrom(23))}},
      {"delegate a child",
       types::RegisterIssuer{"jimo-sub", "s", "jimo", Pub(KeyFrom(24)), MemberOnly(), false}},
  };
  Ok(j.c, SI{"jimo", IssuerStatus::kSuspended, ""}, {&j.c.fed_});
  for (const auto& step : steps) {
    INFO("suspended jimo tries to " << step.what);
    Expect(j.c, step.action, {&j.key}, TxCode::kIssuerInactive);
  }
  // Each refusal was for the suspension: once reactivated, each would go through.
  Ok(j.c, SI{"jimo", IssuerStatus::kActive, ""}, {&j.c.fed_});
  for (const auto& step : steps) {
    INFO("reactivated jimo may " << step.what);
    const types::Tx tx = j.c.Make(step.action, {&j.key});
    CHECK(Name(j.c.exec().CheckAdmission(j.c.state(), tx, j.c.height() + 1)) == Name(TxCode::kOk));
  }
}

TEST_CASE("an inactive key beside an active authority leaves that authority intact",
          "[ledger][authority]") {
  Jimo j;
  Ok(j.c, SI{"jimo", IssuerStatus::kSuspended, ""}, {&j.c.fed_});
  Expect(j.c, S{kCard, CredentialStatus::kRevoked, ""}, {&j.key, &j.c.fed_}, TxCode::kOk);
  CheckCard(j.c, kCard, CredentialStatus::kRevoked, Authority::kParent);
}

TEST_CASE("governance rotates a suspended issuer's key but not a retired issuer's",
          "[ledger][authority]") {
  Jimo j;
  const auto k2 = KeyFrom(25);
  const auto k3 = KeyFrom(26);
  Ok(j.c, SI{"jimo", IssuerStatus::kSuspended, "key leaked"}, {&j.c.fed_});
  Expect(j.c, types::RotateIssuerKey{"jimo", Pub(k2)}, {&j.c.admin1_, &j.c.admin3_}, TxCode::kOk);
  const auto r = j.c.Issuer("jimo");
  REQUIRE(r);
  CHECK(r->current_key().key_version == 2);
  CHECK(r->current_key().public_key == Pub(k2));
  CHECK(Name(r->status) == Name(IssuerStatus::kSuspended));

  Ok(j.c, SI{"jimo", IssuerStatus::kRetired, ""}, {&j.c.fed_});
  Expect(j.c, types::RotateIssuerKey{"jimo", Pub(k3)}, {&j.c.admin1_, &j.c.admin3_},
         TxCode::kIssuerInactive);
  CHECK(j.c.Issuer("jimo")->current_key().public_key == Pub(k2));
}

TEST_CASE(
    "a credential of an inactive issuer or below an inactive ancestor is not reinstated, "
    "even by governance",
    "[ledger][authority]") {
  Jimo j;
  const auto sub = KeyFrom(22);
  j.c.RegisterChild("jimo-sub", "jimo", j.key, sub, MemberOnly());
  REQUIRE(j.c.Issue("jimo-sub/M/1", "jimo-sub", sub) == TxCode::kOk);
  Ok(j.c, S{kCard, CredentialStatus::kSuspended, ""}, {&j.key});
  Ok(j.c, S{"jimo-sub/M/1", CredentialStatus::kSuspended, ""}, {&sub});
  Ok(j.c, SI{"jimo", IssuerStatus::kSuspended, ""}, {&j.c.fed_});

  const Signers gov{&j.c.admin1_, &j.c.admin2_};
  Expect(j.c, S{kCard, CredentialStatus::kActive, ""}, gov, TxCode::kIssuerInactive);
  Expect(j.c, S{"jimo-sub/M/1", CredentialStatus::kActive, ""}, gov, TxCode::kIssuerInactive);
  CheckCard(j.c, kCard, CredentialStatus::kSuspended, Authority::kIssuer);
  CheckCard(j.c, "jimo-sub/M/1", CredentialStatus::kSuspended, Authority::kIssuer);

  Ok(j.c, SI{"jimo", IssuerStatus::kActive, ""}, {&j.c.fed_});
  Expect(j.c, S{kCard, CredentialStatus::kActive, ""}, gov, TxCode::kOk);
  Expect(j.c, S{"jimo-sub/M/1", CredentialStatus::kActive, ""}, gov, TxCode::kOk);
  CheckCard(j.c, kCard, CredentialStatus::kActive, Authority::kNone);
}

TEST_CASE(
    "a suspended grandparent makes its grandchild's key and the grandchild's parent's key "
    "inactive",
    "[ledger][authority]") {
  // city-fed > jimo > jimo-sub > jimo-shop; city-fed suspends jimo.
  Jimo j;
  const auto sub = KeyFrom(22);
  const auto shop = KeyFrom(27);
  j.c.RegisterChild("jimo-sub", "jimo", j.key, sub, MemberOnly(), /*can_delegate=*/true);
  j.c.RegisterChild("jimo-shop", "jimo-sub", sub, shop, MemberOnly());
  REQUIRE(j.c.Issue("jimo-shop/M/1", "jimo-shop", shop) == TxCode::kOk);
  Ok(j.c, SI{"jimo", IssuerStatus::kSuspended, ""}, {&j.c.fed_});
  CheckIssuer(j.c, "jimo-sub", IssuerStatus::kActive, Authority::kNone);
  CheckIssuer(j.c, "jimo-shop", IssuerStatus::kActive, Authority::kNone);

  const types::Action issue = types::IssueCredential{"jimo-shop/M/2",
                                                     "jimo-shop",
                                                     CredentialType::kMember,
                                                     Level::kUnspecified,
                                                     Digest(6),
                                                     100,
                                                     200};
  Expect(j.c, issue, {&shop}, TxCode::kIssuerInactive);
  Expect(j.c, S{"jimo-shop/M/1", CredentialStatus::kSuspended, ""}, {&shop},
         TxCode::kIssuerInactive);
  Expect(j.c, S{"jimo-shop/M/1", CredentialStatus::kSuspended, ""}, {&sub},
         TxCode::kIssuerInactive);
  CheckCard(j.c, "jimo-shop/M/1", CredentialStatus::kActive, Authority::kNone);

  Ok(j.c, SI{"jimo", IssuerStatus::kActive, ""}, {&j.c.fed_});
  Expect(j.c, issue, {&shop}, TxCode::kOk);
  Expect(j.c, S{"jimo-shop/M/1", CredentialStatus::kSuspended, ""}, {&sub}, TxCode::kOk);
  CheckCard(j.c, "jimo-shop/M/1", CredentialStatus::kSuspended, Authority::kParent);
}

TEST_CASE("a governance tx refused for want of signatures executes later under the same tx id",
          "[ledger][authority]") {
  Jimo j;
  // One body, signed first by 1 of 3 admins, then by a second one.
  const types::Tx one = j.c.Make(SI{"jimo", IssuerStatus::kSuspended, "audit"}, {&j.c.admin1_});
  types::Tx two = one;
  types::SignTx(two, j.c.admin2_);
  REQUIRE(types::TxId(one) == types::TxId(two));

  ExpectTx(j.c, one, TxCode::kInsufficientSignatures);
  CHECK_FALSE(j.c.state().HasTx(types::TxId(one)));
  ExpectTx(j.c, two, TxCode::kOk);
  CheckIssuer(j.c, "jimo", IssuerStatus::kSuspended, Authority::kGovernance);
  // Now it is spent.
  CHECK(j.c.state().HasTx(types::TxId(two)));
  ExpectTx(j.c, two, TxCode::kDuplicateTx);
}

TEST_CASE(
    "an issuer's reinstatement held by a higher authority executes later under the same "
    "tx id",
    "[ledger][authority]") {
  Jimo j;
  Ok(j.c, S{kCard, CredentialStatus::kSuspended, ""}, {&j.c.fed_});
  const types::Tx reinstate = j.c.Make(S{kCard, CredentialStatus::kActive, "paid"}, {&j.key});
  ExpectTx(j.c, reinstate, TxCode::kHeldByHigherAuthority);
  CHECK_FALSE(j.c.state().HasTx(types::TxId(reinstate)));

  // The parent lifts its suspension and the issuer suspends the card itself.
  Ok(j.c, S{kCard, CredentialStatus::kActive, ""}, {&j.c.fed_});
  Ok(j.c, S{kCard, CredentialStatus::kSuspended, ""}, {&j.key});
  ExpectTx(j.c, reinstate, TxCode::kOk);
  CheckCard(j.c, kCard, CredentialStatus::kActive, Authority::kNone);
  CHECK(j.c.Credential(kCard)->status_reason == "paid");
}

TEST_CASE(
    "a refused status change enters only the histories of records its signer has power "
    "over",
    "[ledger][authority]") {
  Jimo j;
  const auto port = KeyFrom(40);
  j.c.RegisterTop("port-union", port, MemberOnly(), false);

  SECTION("a stranger's status change names nothing") {
    BlockResult r = j.c.RunBlock({j.c.Make(S{kCard, CredentialStatus::kRevoked, ""}, {&port})});
    CHECK(Name(r.outcomes.at(0).code) == Name(TxCode::kUnauthorized));
    CHECK(r.outcomes.at(0).credential_ids.empty());
    CHECK(r.outcomes.at(0).issuer_ids.empty());

    r = j.c.RunBlock({j.c.Make(SI{"jimo", IssuerStatus::kSuspended, ""}, {&port})});
    CHECK(Name(r.outcomes.at(0).code) == Name(TxCode::kUnauthorized));
    CHECK(r.outcomes.at(0).credential_ids.empty());
    CHECK(r.outcomes.at(0).issuer_ids.empty());
  }
  SECTION("the issuer's own illegal transition names its credential and itself") {
    const BlockResult r =
        j.c.RunBlock({j.c.Make(S{kCard, CredentialStatus::kActive, ""}, {&j.key})});
    CHECK(Name(r.outcomes.at(0).code) == Name(TxCode::kIllegalTransition));
    CHECK(r.outcomes.at(0).credential_ids == std::vector<std::string>{kCard});
    CHECK(r.outcomes.at(0).issuer_ids == std::vector<std::string>{"jimo"});
  }
}

TEST_CASE("admission answers what execution would for the tx alone and changes nothing",
          "[ledger][authority]") {
  Jimo j;
  const auto port = KeyFrom(40);
  j.c.RegisterTop("port-union", port, MemberOnly(), false);
  Ok(j.c, S{kCard, CredentialStatus::kSuspended, ""}, {&j.c.admin1_, &j.c.admin2_});

  struct Step {
    const char* what;
    types::Tx tx;
    TxCode want;
  };
  // In an order where each executed step leaves the next one's answer as it was.
  const std::vector<Step> steps = {
      {"issuer lifts governance's suspension",
       j.c.Make(S{kCard, CredentialStatus::kActive, ""}, {&j.key}), TxCode::kHeldByHigherAuthority},
      {"stranger revokes", j.c.Make(S{kCard, CredentialStatus::kRevoked, ""}, {&port}),
       TxCode::kUnauthorized},
      {"one admin revokes", j.c.Make(S{kCard, CredentialStatus::kRevoked, ""}, {&j.c.admin3_}),
       TxCode::kInsufficientSignatures},
      {"issuer re-suspends", j.c.Make(S{kCard, CredentialStatus::kSuspended, ""}, {&j.key}),
       TxCode::kIllegalTransition},
      {"parent revokes", j.c.Make(S{kCard, CredentialStatus::kRevoked, ""}, {&j.c.fed_}),
       TxCode::kOk},
  };
  for (const auto& step : steps) {
    INFO(step.what);
    const auto before = j.c.state().all();
    const TxCode admitted = j.c.exec().CheckAdmission(j.c.state(), step.tx, j.c.height() + 1);
    CHECK(Name(admitted) == Name(step.want));
    CHECK(j.c.state().all() == before);
    CHECK_FALSE(j.c.state().HasTx(types::TxId(step.tx)));
    const TxCode executed = j.c.Run(step.tx);
    CHECK(Name(executed) == Name(admitted));
  }
  CheckCard(j.c, kCard, CredentialStatus::kRevoked, Authority::kParent);
}

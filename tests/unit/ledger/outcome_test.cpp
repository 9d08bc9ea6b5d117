// What execution reports about each transaction for the history indexes: the record acted on,
// the new status or validity, the reason, and the signer resolved to an issuer and key version,
// a parent, or governance's admins (ledger::TxOutcome).
#include <string>
#include <vector>

#include "tests/unit/ledger/ledger_fixture.h"

using namespace laurel;
using namespace laurel::ledger;
using namespace laurel::ledger::test;

namespace {

TxOutcome RunOne(Chain& c, types::Action a, std::vector<const crypto::PrivateKey*> signers) {
  return c.RunBlock({c.Make(std::move(a), std::move(signers))}).outcomes.at(0);
}

}  // namespace

TEST_CASE("an issuance names the card, its kind and validity, and the issuer's key that signed",
          "[ledger][history]") {
  Chain c;
  const TxOutcome o =
      RunOne(c,
             types::IssueCredential{"city-fed/MW/1", "city-fed", CredentialType::kModelWorker,
                                    Level::kDistrict, Digest(1), 100, 200},
             {&c.fed_});
  REQUIRE(o.code == TxCode::kOk);
  CHECK(o.issuer_id == "city-fed");
  CHECK(o.type == CredentialType::kModelWorker);
  CHECK(o.level == Level::kDistrict);
  CHECK(o.valid_from == 100);
  CHECK(o.valid_until == 200);
  CHECK(o.signed_as == Authority::kIssuer);
  CHECK(o.signer_issuer_id == "city-fed");
  CHECK(o.signer_key_version == 1);
  CHECK(o.signer_admins.empty());
}

TEST_CASE(
    "a parent's status change on a child's card is resolved to the parent and its key "
    "version, after a rotation too",
    "[ledger][history]") {
  Chain c;
  const auto child = KeyFrom(20);
  const auto fed2 = KeyFrom(11);
  c.RegisterChild("district-7", "city-fed", c.fed_, child, MemberOnly());
  REQUIRE(c.Issue("district-7/M/1", "district-7", child) == TxCode::kOk);
  REQUIRE(c.Run(types::RotateIssuerKey{"city-fed", Pub(fed2)}, {&c.fed_}) == TxCode::kOk);
  const TxOutcome o = RunOne(
      c, types::SetCredentialStatus{"district-7/M/1", CredentialStatus::kSuspended, "会籍核查"},
      {&fed2});
  REQUIRE(o.code == TxCode::kOk);
  CHECK(o.credential_ids == std::vector<std::string>{"district-7/M/1"});
  CHECK(o.issuer_ids == std::vector<std::string>{"district-7"});  // the record's issuer
  CHECK(o.issuer_id == "district-7");
  CHECK(o.type == CredentialType::kMember);
  CHECK(o.new_status == static_cast<uint32_t>(CredentialStatus::kSuspended));
  CHECK(o.reason == "会籍核查");
  CHECK(o.signed_as == Authority::kParent);
  CHECK(o.signer_issuer_id == "city-fed");
  CHECK(o.signer_key_version == 2);
}

TEST_CASE("governance is resolved to the admins that signed, no authority resolves to nobody",
          "[ledger][history]") {
  Chain c;
  const TxOutcome gov =
      RunOne(c, types::SetIssuerStatus{"city-fed", types::IssuerStatus::kSuspended, "audit"},
             {&c.admin3_, &c.admin1_});
  REQUIRE(gov.code == TxCode::kOk);
  CHECK(gov.signed_as == Authority::kGovernance);
  CHECK(gov.signer_issuer_id.empty());
  // In the governance record's order, whatever the signing order.
  CHECK(gov.signer_admins == std::vector<Bytes>{Pub(c.admin1_), Pub(c.admin3_)});
  CHECK(gov.new_status == static_cast<uint32_t>(types::IssuerStatus::kSuspended));

  const auto stranger = KeyFrom(99);
  const TxOutcome none =
      RunOne(c, types::SetIssuerStatus{"city-fed", types::IssuerStatus::kActive, ""}, {&stranger});
  CHECK(none.code == TxCode::kUnauthorized);
  CHECK(none.signed_as == Authority::kNone);
  CHECK(none.signer_issuer_id.empty());
  CHECK(none.signer_admins.empty());

  const TxOutcome rot =
      RunOne(c, types::RotateIssuerKey{"city-fed", Pub(KeyFrom(12))}, {&c.admin1_, &c.admin2_});
  REQUIRE(rot.code == TxCode::kOk);
  CHECK(rot.key_version == 2);
  CHECK(rot.signed_as == Authority::kGovernance);
}

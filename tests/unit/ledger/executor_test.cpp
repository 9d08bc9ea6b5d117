// Success paths of every ledger action, and execution-level properties.
#include "crypto/merkle.h"
#include "tests/unit/ledger/ledger_fixture.h"

using namespace laurel;
using namespace laurel::ledger;
using namespace laurel::ledger::test;

TEST_CASE("genesis creates governance and the initial issuers", "[ledger]") {
  Chain c;
  auto gov = c.Gov();
  REQUIRE(gov);
  CHECK(gov->threshold == 2);
  CHECK(gov->admin_keys.size() == 3);
  CHECK(gov->chain_id == Chain::kChainId);
  auto fed = c.Issuer("city-fed");
  REQUIRE(fed);
  CHECK(fed->can_delegate);
  CHECK(fed->keys.size() == 1);
  CHECK(fed->keys[0].key_version == 1);
  CHECK(fed->status == IssuerStatus::kActive);
}

TEST_CASE("governance k-of-n registers a top-level issuer", "[ledger]") {
  Chain c;
  const auto key = KeyFrom(20);
  REQUIRE(c.Run(types::RegisterIssuer{"prov-fed", "Provincial", "", Pub(key), AllGrants(), true},
                {&c.admin2_, &c.admin3_}) == TxCode::kOk);
  auto r = c.Issuer("prov-fed");
  REQUIRE(r);
  CHECK(r->parent_id.empty());
  CHECK(r->current_key().public_key == Pub(key));
  CHECK(r->created_height == c.height());
}

TEST_CASE("a delegating parent registers a child with a subset of its grants", "[ledger]") {
  Chain c;
  const auto dist = KeyFrom(21);
  c.RegisterChild("jimo-district", "city-fed", c.fed_, dist, MemberOnly());
  auto r = c.Issuer("jimo-district");
  REQUIRE(r);
  CHECK(r->parent_id == "city-fed");
  CHECK(r->Allows(CredentialType::kMember, Level::kUnspecified));
  CHECK_FALSE(r->Allows(CredentialType::kModelWorker, Level::kMunicipal));
}

TEST_CASE("governance may register a child under a parent that cannot delegate", "[ledger]") {
  Chain c;
  const auto leaf = KeyFrom(22);
  c.RegisterTop("plain", KeyFrom(23), MemberOnly(), false);
  CHECK(c.Run(types::RegisterIssuer{"plain-child", "x", "plain", Pub(leaf), MemberOnly(), false},
              {&c.admin1_, &c.admin3_}) == TxCode::kOk);
}

TEST_CASE("an issuer rotates its own key and the old key loses its authority", "[ledger]") {
  Chain c;
  const auto k2 = KeyFrom(30);
  REQUIRE(c.Run(types::RotateIssuerKey{"city-fed", Pub(k2)}, {&c.fed_}) == TxCode::kOk);
  const uint64_t h = c.height();
  auto r = c.Issuer("city-fed");
  REQUIRE(r->keys.size() == 2);
  CHECK(r->keys[0].to_height == h);
  CHECK(r->keys[1].key_version == 2);
  CHECK(r->keys[1].from_height == h);
  CHECK(r->keys[1].to_height == 0);
  CHECK(c.Issue("city-fed/M/1", "city-fed", c.fed_) == TxCode::kUnauthorized);
  CHECK(c.Issue("city-fed/M/1", "city-fed", k2) == TxCode::kOk);
  CHECK(c.Credential("city-fed/M/1")->key_version == 2);
}

TEST_CASE("governance rotates an issuer's key", "[ledger]") {
  Chain c;
  CHECK(c.Run(types::RotateIssuerKey{"city-fed", Pub(KeyFrom(31))}, {&c.admin1_, &c.admin2_}) ==
        TxCode::kOk);
  CHECK(c.Issuer("city-fed")->current_key().key_version == 2);
}

TEST_CASE("governance and the parent can suspend and reactivate an issuer", "[ledger]") {
  Chain c;
  const auto dist = KeyFrom(21);
  c.RegisterChild("jimo", "city-fed", c.fed_, dist, MemberOnly());
  CHECK(c.Run(types::SetIssuerStatus{"jimo", IssuerStatus::kSuspended, "audit"}, {&c.fed_}) ==
        TxCode::kOk);
  CHECK(c.Issuer("jimo")->status == IssuerStatus::kSuspended);
  CHECK(c.Issuer("jimo")->status_reason == "audit");
  CHECK(c.Run(types::SetIssuerStatus{"jimo", IssuerStatus::kActive, ""},
              {&c.admin1_, &c.admin2_}) == TxCode::kOk);
  CHECK(c.Issuer("jimo")->status == IssuerStatus::kActive);
  CHECK(c.Run(types::SetIssuerStatus{"jimo", IssuerStatus::kRetired, "merged"}, {&c.fed_}) ==
        TxCode::kOk);
}

TEST_CASE("an issuer issues member and model-worker cards with increasing status indexes",
          "[ledger]") {
  Chain c;
  REQUIRE(c.Issue("city-fed/M/0001", "city-fed", c.fed_) == TxCode::kOk);
  REQUIRE(c.Issue("city-fed/MW/2024/1", "city-fed", c.fed_, CredentialType::kModelWorker,
                  Level::kMunicipal) == TxCode::kOk);
  auto m = c.Credential("city-fed/M/0001");
  auto mw = c.Credential("city-fed/MW/2024/1");
  REQUIRE(m);
  REQUIRE(mw);
  CHECK(m->status == CredentialStatus::kActive);
  CHECK(m->status_index == 0);
  CHECK(mw->status_index == 1);
  CHECK(mw->level == Level::kMunicipal);
  CHECK(mw->key_version == 1);
  CHECK(mw->card_digest == Digest(7));
  CHECK(c.Issuer("city-fed")->next_status_index == 2);
}

TEST_CASE("the issuer suspends, reinstates and revokes a credential", "[ledger]") {
  Chain c;
  REQUIRE(c.Issue("city-fed/M/1", "city-fed", c.fed_) == TxCode::kOk);
  using S = types::SetCredentialStatus;
  CHECK(c.Run(S{"city-fed/M/1", CredentialStatus::kSuspended, "lost"}, {&c.fed_}) == TxCode::kOk);
  CHECK(c.Credential("city-fed/M/1")->status == CredentialStatus::kSuspended);
  CHECK(c.Run(S{"city-fed/M/1", CredentialStatus::kActive, "found"}, {&c.fed_}) == TxCode::kOk);
  CHECK(c.Run(S{"city-fed/M/1", CredentialStatus::kRevoked, "left union"}, {&c.fed_}) ==
        TxCode::kOk);
  CHECK(c.Credential("city-fed/M/1")->status == CredentialStatus::kRevoked);
  CHECK(c.Credential("city-fed/M/1")->status_reason == "left union");
}

TEST_CASE("the parent issuer and governance may change a child's credential status", "[ledger]") {
  Chain c;
  const auto dist = KeyFrom(21);
  c.RegisterChild("jimo", "city-fed", c.fed_, dist, MemberOnly());
  REQUIRE(c.Issue("jimo/M/1", "jimo", dist) == TxCode::kOk);
  using S = types::SetCredentialStatus;
  CHECK(c.Run(S{"jimo/M/1", CredentialStatus::kSuspended, ""}, {&c.fed_}) == TxCode::kOk);
  CHECK(c.Run(S{"jimo/M/1", CredentialStatus::kRevoked, ""}, {&c.admin1_, &c.admin3_}) ==
        TxCode::kOk);
}

TEST_CASE("renewal replaces digest, validity and key version", "[ledger]") {
  Chain c;
  REQUIRE(c.Issue("city-fed/M/1", "city-fed", c.fed_) == TxCode::kOk);
  const auto k2 = KeyFrom(32);
  REQUIRE(c.Run(types::RotateIssuerKey{"city-fed", Pub(k2)}, {&c.fed_}) == TxCode::kOk);
  REQUIRE(c.Run(types::RenewCredential{"city-fed/M/1", Digest(9), 300, 900}, {&k2}) == TxCode::kOk);
  auto r = c.Credential("city-fed/M/1");
  CHECK(r->card_digest == Digest(9));
  CHECK(r->valid_from == 300);
  CHECK(r->valid_until == 900);
  CHECK(r->key_version == 2);
  CHECK(r->status_index == 0);
}

TEST_CASE("governance replaces its admins and threshold", "[ledger]") {
  Chain c;
  const auto a4 = KeyFrom(40);
  REQUIRE(c.Run(types::UpdateGovernance{{Pub(c.admin1_), Pub(a4)}, 2}, {&c.admin1_, &c.admin2_}) ==
          TxCode::kOk);
  CHECK(c.Gov()->admin_keys.size() == 2);
  // The old pair no longer reaches the threshold.
  CHECK(c.Run(types::RegisterIssuer{"x-fed", "x", "", Pub(KeyFrom(41)), MemberOnly(), false},
              {&c.admin1_, &c.admin2_}) == TxCode::kInsufficientSignatures);
  CHECK(c.Run(types::RegisterIssuer{"x-fed", "x", "", Pub(KeyFrom(41)), MemberOnly(), false},
              {&c.admin1_, &a4}) == TxCode::kOk);
}

TEST_CASE(
    "a governance change applies to the next transaction of the same block, and to admission after "
    "it",
    "[ledger]") {
  Chain c;
  const auto a4 = KeyFrom(40);
  const auto z_old =
      c.Make(types::RegisterIssuer{"z-fed", "z", "", Pub(KeyFrom(43)), MemberOnly(), false},
             {&c.admin1_, &c.admin2_});
  // Admission decodes (and keeps) the record of the state before the change.
  REQUIRE(c.exec().CheckAdmission(c.state(), z_old, c.height() + 1) == TxCode::kOk);
  // One block: the admins change, then the old pair and the new pair register issuers.
  const auto r = c.RunBlock(
      {c.Make(types::UpdateGovernance{{Pub(c.admin1_), Pub(a4)}, 2}, {&c.admin1_, &c.admin2_}),
       c.Make(types::RegisterIssuer{"x-fed", "x", "", Pub(KeyFrom(41)), MemberOnly(), false},
              {&c.admin1_, &c.admin2_}),
       c.Make(types::RegisterIssuer{"y-fed", "y", "", Pub(KeyFrom(42)), MemberOnly(), false},
              {&c.admin1_, &a4})});
  REQUIRE(r.outcomes.size() == 3);
  CHECK(r.outcomes[0].code == TxCode::kOk);
  CHECK(r.outcomes[1].code == TxCode::kInsufficientSignatures);
  CHECK(r.outcomes[2].code == TxCode::kOk);
  // Admission on the new state decides with the new record.
  CHECK(c.exec().CheckAdmission(c.state(), z_old, c.height() + 1) ==
        TxCode::kInsufficientSignatures);
  CHECK(c.exec().CheckAdmission(
            c.state(),
            c.Make(types::RegisterIssuer{"z-fed", "z", "", Pub(KeyFrom(43)), MemberOnly(), false},
                   {&c.admin1_, &a4}),
            c.height() + 1) == TxCode::kOk);
}

TEST_CASE("a validator set update takes effect from the next height", "[ledger]") {
  Chain c;
  std::vector<types::Validator> vs = {{Pub(KeyFrom(101)), "a", "h:1"},
                                      {Pub(KeyFrom(102)), "b", "h:2"}};
  REQUIRE(c.Run(types::UpdateValidatorSet{vs}, {&c.admin1_, &c.admin2_}) == TxCode::kOk);
  CHECK(c.Gov()->validators == vs);
  CHECK(c.Gov()->validators_from_height == c.height() + 1);
}

TEST_CASE("executing the same block on the same state gives the same writes and roots",
          "[ledger][determinism]") {
  Chain a;
  Chain b;
  std::vector<types::Tx> txs;
  txs.push_back(a.Make(types::IssueCredential{"city-fed/M/1", "city-fed", CredentialType::kMember,
                                              Level::kUnspecified, Digest(1), 1, 2},
                       {&a.fed_}));
  txs.push_back(txs[0]);  // duplicate in the same block
  txs.push_back(a.Make(types::SetCredentialStatus{"city-fed/M/1", CredentialStatus::kRevoked, ""},
                       {&a.fed_}));
  txs.push_back(a.Make(types::RotateIssuerKey{"nobody", Pub(KeyFrom(5))}, {&a.fed_}));
  const BlockResult ra = a.RunBlock(txs);
  const BlockResult rb = b.RunBlock(txs);
  CHECK(ra.writes == rb.writes);
  CHECK(ra.state_root == rb.state_root);
  CHECK(ra.tx_root == rb.tx_root);
  REQUIRE(ra.outcomes.size() == 4);
  CHECK(ra.outcomes[0].code == TxCode::kOk);
  CHECK(ra.outcomes[1].code == TxCode::kDuplicateTx);
  CHECK(ra.outcomes[2].code == TxCode::kOk);
  CHECK(ra.outcomes[3].code == TxCode::kUnknownIssuer);
  CHECK(ra.outcomes[0].action == "issue_credential");
  CHECK(ra.outcomes[0].credential_ids == std::vector<std::string>{"city-fed/M/1"});
  CHECK(ra.outcomes[0].signer == Pub(a.fed_));
}

TEST_CASE("an already-verified transaction skips signature verification", "[ledger]") {
  Chain c;
  int asked = 0;
  Executor trusting(Chain::kChainId, [&](const types::Tx&, const Hash32&) {
    ++asked;
    return true;
  });
  types::Tx tx = c.Make(types::IssueCredential{"city-fed/M/9", "city-fed", CredentialType::kMember,
                                               Level::kUnspecified, Digest(1), 1, 2},
                        {&c.fed_});
  tx.signatures[0].signature[0] ^= 1;  // would fail verification if checked
  const BlockResult r = trusting.ExecuteBlock(c.state(), BlockContext{1, 0, c.root()}, {&tx, 1});
  CHECK(asked == 1);
  CHECK(r.outcomes[0].code == TxCode::kOk);
  CHECK(c.exec().ExecuteBlock(c.state(), BlockContext{1, 0, c.root()}, {&tx, 1}).outcomes[0].code ==
        TxCode::kBadSignature);
}

TEST_CASE("genesis validation names what is wrong", "[ledger]") {
  Genesis g;
  g.chain_id = "c";
  g.validators = {types::Validator{Pub(KeyFrom(1)), "v", ""}};
  g.admin_keys = {Pub(KeyFrom(2))};
  g.threshold = 1;
  CHECK(ValidateGenesis(g).ok());
  auto bad = g;
  bad.threshold = 2;
  CHECK(ValidateGenesis(bad).message().find("threshold") != std::string::npos);
  bad = g;
  bad.chain_id = "";
  CHECK_FALSE(ValidateGenesis(bad).ok());
  bad = g;
  bad.validators.clear();
  CHECK_FALSE(ValidateGenesis(bad).ok());
  bad = g;
  bad.issuers = {
      types::RegisterIssuer{"child", "c", "missing-parent", Pub(KeyFrom(3)), MemberOnly(), false}};
  CHECK(ValidateGenesis(bad).message().find("parent") != std::string::npos);
  bad = g;
  bad.issuers = {types::RegisterIssuer{"p1", "p", "", Pub(KeyFrom(3)), MemberOnly(), true},
                 types::RegisterIssuer{"c1", "c", "p1", Pub(KeyFrom(4)), AllGrants(), false}};
  CHECK(ValidateGenesis(bad).message().find("grants") != std::string::npos);
}

TEST_CASE(
    "the transaction log: genesis writes the empty head 'l', each block with txs appends "
    "every tx, refused ones too, with the receipts' leaf, an empty block writes nothing",
    "[ledger][txlog]") {
  Chain c;
  auto head = [&c] {
    auto rec = c.state().GetState(kTxLogKey);
    REQUIRE(rec.has_value());
    auto h = crypto::DecodeLogHead(*rec);
    REQUIRE(h.ok());
    return *h;
  };
  CHECK(head().size == 0);
  CHECK(head().root == crypto::MerkleRoot({}));
  std::vector<Hash32> leaves;
  const auto key = KeyFrom(20);
  // One OK and one refused (signed by one admin, below the threshold) in the same block.
  const auto ok =
      c.Make(types::RegisterIssuer{"prov-fed", "Provincial", "", Pub(key), AllGrants(), true},
             {&c.admin1_, &c.admin2_});
  const auto refused =
      c.Make(types::RegisterIssuer{"other", "Other", "", Pub(KeyFrom(21)), AllGrants(), true},
             {&c.admin3_});
  auto r = c.RunBlock({ok, refused});
  REQUIRE(r.outcomes.size() == 2);
  CHECK(r.outcomes[1].code != TxCode::kOk);
  for (const auto& o : r.outcomes)
    leaves.push_back(crypto::MerkleLeafHash(TxRootLeaf(o.tx_id, o.code)));
  CHECK(head().size == 2);
  CHECK(head().root == crypto::MerkleRoot(leaves));
  CHECK(r.log.root == head().root);
  CHECK(r.log_nodes.size() == 3);  // two leaves and the subtree they complete
  // The log spans blocks: the next block's leaves follow.
  r = c.RunBlock(
      {c.Make(types::RegisterIssuer{"third", "Third", "", Pub(KeyFrom(22)), AllGrants(), true},
              {&c.admin1_, &c.admin3_})});
  leaves.push_back(crypto::MerkleLeafHash(TxRootLeaf(r.outcomes[0].tx_id, r.outcomes[0].code)));
  CHECK(head().size == 3);
  CHECK(head().root == crypto::MerkleRoot(leaves));
  r = c.RunBlock({});
  CHECK(r.writes.empty());
  CHECK(head().size == 3);
}

#include "consensus/safety_rules.h"

#include <catch2/catch.hpp>

#include "tests/unit/consensus/fixture.h"

using namespace laurel;
using namespace laurel::consensus;
using namespace laurel::consensus::test;

namespace {
struct Rules {
  Fixture fx;
  MemorySafetyStore store;
  SafetyRules rules{TestKeys()[3], 3, 1, fx.genesis.id, store};
  Rules() { REQUIRE(rules.Load(fx.GQc()).ok()); }
};
}  // namespace

TEST_CASE("safety rules vote for a block extending QC(r-1) and persist before returning",
          "[safety]") {
  Rules t;
  const Block b1 = t.fx.MakeBlock(1, t.fx.genesis, t.fx.GQc());
  const uint64_t syncs = t.store.sync_count();
  auto v = t.rules.VoteOn(b1, nullptr);
  REQUIRE(v.ok());
  CHECK(v->data == VoteDataFor(b1));
  CHECK(t.fx.vs.VerifyVote(*v).ok());
  CHECK(t.store.sync_count() == syncs + 1);
  // The synced record already holds the vote: a crash right now loses nothing.
  t.store.Crash();
  auto stored = t.store.Get();
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  auto rec = DecodeSafetyRecord(**stored);
  REQUIRE(rec.ok());
  CHECK(rec->last_voted_round == 1);
  REQUIRE(rec->last_vote.has_value());
  CHECK(*rec->last_vote == *v);
}

TEST_CASE("safety rules re-send the stored vote and refuse a second block in the round",
          "[safety]") {
  Rules t;
  const Block a = t.fx.MakeBlock(1, t.fx.genesis, t.fx.GQc(), 1);
  const Block b = t.fx.MakeBlock(1, t.fx.genesis, t.fx.GQc(), 2);
  auto va = t.rules.VoteOn(a, nullptr);
  REQUIRE(va.ok());
  const uint64_t syncs = t.store.sync_count();
  auto again = t.rules.VoteOn(a, nullptr);
  REQUIRE(again.ok());
  CHECK(*again == *va);
  CHECK(t.store.sync_count() == syncs);  // nothing new to persist
  auto vb = t.rules.VoteOn(b, nullptr);
  CHECK(vb.status().code() == StatusCode::kPermissionDenied);
}

TEST_CASE("safety rules refuse rounds at or below last_voted_round", "[safety]") {
  Rules t;
  const Block b1 = t.fx.MakeBlock(1, t.fx.genesis, t.fx.GQc());
  const Block b2 = t.fx.MakeBlock(2, b1, t.fx.MakeQc(b1));
  REQUIRE(t.rules.VoteOn(b2, nullptr).ok());
  CHECK(t.rules.VoteOn(b1, nullptr).status().code() == StatusCode::kPermissionDenied);
}

TEST_CASE("safety rules need TC(r-1) with qc.round >= max hqc round to skip a round", "[safety]") {
  Rules t;
  const Block b1 = t.fx.MakeBlock(1, t.fx.genesis, t.fx.GQc());
  const QuorumCert q1 = t.fx.MakeQc(b1);
  // Round 3 block extending QC(1): no QC(2), so it needs TC(2).
  const Block b3 = t.fx.MakeBlock(3, b1, q1);
  CHECK(t.rules.VoteOn(b3, nullptr).status().code() == StatusCode::kPermissionDenied);
  // TC(2) whose highest hqc round is 1, and a round-3 block extending only genesis (round 0).
  const TimeoutCert tc_high = t.fx.MakeTc(2, {q1, t.fx.GQc(), t.fx.GQc()});
  REQUIRE(t.fx.vs.VerifyTc(tc_high).ok());
  const Block stale = t.fx.MakeBlock(3, t.fx.genesis, t.fx.GQc());
  CHECK(t.rules.VoteOn(stale, &tc_high).status().code() == StatusCode::kPermissionDenied);
  // A TC of another round does not count.
  const TimeoutCert tc1 = t.fx.MakeTc(1, {t.fx.GQc(), t.fx.GQc(), t.fx.GQc()});
  CHECK(t.rules.VoteOn(b3, &tc1).status().code() == StatusCode::kPermissionDenied);
  // TC(2) with max hqc round 1 <= 1: vote.
  const TimeoutCert tc_ok = t.fx.MakeTc(2, {q1, t.fx.GQc(), q1});
  auto v = t.rules.VoteOn(b3, &tc_ok);
  REQUIRE(v.ok());
  CHECK(t.rules.record().one_chain_round == 1);
}

TEST_CASE("with the TC-condition canary the rules vote on a stale QC", "[safety][canary]") {
  Fixture fx;
  MemorySafetyStore store;
  TestHooks hooks;
  hooks.break_tc_condition = true;
  SafetyRules rules(TestKeys()[3], 3, 1, fx.genesis.id, store, hooks);
  REQUIRE(rules.Load(fx.GQc()).ok());
  const Block b1 = fx.MakeBlock(1, fx.genesis, fx.GQc());
  const QuorumCert q1 = fx.MakeQc(b1);
  // TC(2) with max hqc round 1; a round-3 block extending genesis (round 0).
  const TimeoutCert tc = fx.MakeTc(2, {q1, fx.GQc(), fx.GQc()});
  const Block stale = fx.MakeBlock(3, fx.genesis, fx.GQc());
  CHECK(rules.VoteOn(stale, nullptr).status().code() == StatusCode::kPermissionDenied);
  CHECK(rules.VoteOn(stale, &tc).ok());
}

TEST_CASE("timeouts follow the hqc or TC, respect one_chain_round, and block later votes",
          "[safety]") {
  Rules t;
  const Block b1 = t.fx.MakeBlock(1, t.fx.genesis, t.fx.GQc());
  const QuorumCert q1 = t.fx.MakeQc(b1);
  const Block b2 = t.fx.MakeBlock(2, b1, q1);
  REQUIRE(t.rules.VoteOn(b2, nullptr).ok());  // one_chain_round = 1
  // Round 3 follows QC(2)? We hold only QC(1): round 3 is not hqc+1 and there is no TC.
  CHECK(t.rules.SignTimeout(3, q1, nullptr).status().code() == StatusCode::kPermissionDenied);
  // hqc below one_chain_round is refused even with a TC.
  const TimeoutCert tc2 = t.fx.MakeTc(2, {q1, q1, q1});
  CHECK(t.rules.SignTimeout(3, t.fx.GQc(), &tc2).status().code() == StatusCode::kPermissionDenied);
  auto to = t.rules.SignTimeout(3, q1, &tc2);
  REQUIRE(to.ok());
  REQUIRE(t.rules.record().last_tc.has_value());  // kept to resume in round 3 after a restart
  CHECK(t.rules.record().last_tc->round == 2);
  auto reloaded = DecodeSafetyRecord(EncodeSafetyRecord(t.rules.record()));
  REQUIRE(reloaded.ok());
  CHECK(*reloaded == t.rules.record());
  CHECK(t.fx.vs.VerifyTimeout(*to).ok());
  CHECK(t.rules.record().highest_timeout_round == 3);
  CHECK(t.rules.record().last_voted_round == 3);
  // After timing out in round 3, no vote in round 3 — even for a valid block.
  const Block b3 = t.fx.MakeBlock(3, b2, t.fx.MakeQc(b2));
  CHECK(t.rules.VoteOn(b3, nullptr).status().code() == StatusCode::kPermissionDenied);
  // Timing out again in the same round is allowed (re-broadcast); lower rounds are not.
  CHECK(t.rules.SignTimeout(3, q1, &tc2).ok());
  CHECK(t.rules.SignTimeout(2, q1, nullptr).status().code() == StatusCode::kPermissionDenied);
}

TEST_CASE("the persist canary leaves a vote unsynced until the next input", "[safety][canary]") {
  Fixture fx;
  MemorySafetyStore store;
  TestHooks hooks;
  hooks.break_persist_before_send = true;
  SafetyRules rules(TestKeys()[3], 3, 1, fx.genesis.id, store, hooks);
  REQUIRE(rules.Load(fx.GQc()).ok());
  const Block b1 = fx.MakeBlock(1, fx.genesis, fx.GQc());
  REQUIRE(rules.VoteOn(b1, nullptr).ok());
  store.Crash();
  SafetyRules reloaded(TestKeys()[3], 3, 1, fx.genesis.id, store, hooks);
  REQUIRE(reloaded.Load(fx.GQc()).ok());
  CHECK(reloaded.record().last_voted_round == 0);  // the vote was lost
  // Without the canary, the same sequence keeps the vote.
  MemorySafetyStore store2;
  SafetyRules good(TestKeys()[3], 3, 1, fx.genesis.id, store2);
  REQUIRE(good.Load(fx.GQc()).ok());
  REQUIRE(good.VoteOn(b1, nullptr).ok());
  store2.Crash();
  SafetyRules good2(TestKeys()[3], 3, 1, fx.genesis.id, store2);
  REQUIRE(good2.Load(fx.GQc()).ok());
  CHECK(good2.record().last_voted_round == 1);
}

namespace {
// Safety rules for validator 3 with `hooks`, loaded from a fresh store.
struct HookedRules {
  explicit HookedRules(TestHooks hooks) : rules(TestKeys()[3], 3, 1, fx.genesis.id, store, hooks) {
    REQUIRE(rules.Load(fx.GQc()).ok());
  }
  Fixture fx;
  MemorySafetyStore store;
  SafetyRules rules;
};
TestHooks ObserveQcCanary() {
  TestHooks h;
  h.break_observe_qc_on_vote = true;
  return h;
}
TestHooks TimeoutLastVotedCanary() {
  TestHooks h;
  h.break_timeout_last_voted_round = true;
  return h;
}
TestHooks TimeoutOneChainCanary() {
  TestHooks h;
  h.break_timeout_one_chain_round = true;
  return h;
}
}  // namespace

TEST_CASE("with the observe-QC canary a vote does not lock its QC, so a lower hqc may time out",
          "[safety][canary]") {
  for (const bool canary : {false, true}) {
    HookedRules t(canary ? ObserveQcCanary() : TestHooks{});
    const Block b1 = t.fx.MakeBlock(1, t.fx.genesis, t.fx.GQc());
    const Block b2 = t.fx.MakeBlock(2, b1, t.fx.MakeQc(b1));
    REQUIRE(t.rules.VoteOn(b2, nullptr).ok());
    CHECK(t.rules.record().one_chain_round == (canary ? 0 : 1));
    // Timing out in round 3 with the genesis QC (through a TC(2) of genesis QCs) reports a QC
    // below the one the vote extended.
    const TimeoutCert tc2 = t.fx.MakeTc(2, {t.fx.GQc(), t.fx.GQc(), t.fx.GQc()});
    auto to = t.rules.SignTimeout(3, t.fx.GQc(), &tc2);
    INFO("canary " << canary);
    CHECK(to.ok() == canary);
    if (!canary) CHECK(to.status().code() == StatusCode::kPermissionDenied);
  }
}

TEST_CASE("with the timeout last_voted_round canary a node votes in the round it timed out in",
          "[safety][canary]") {
  for (const bool canary : {false, true}) {
    HookedRules t(canary ? TimeoutLastVotedCanary() : TestHooks{});
    REQUIRE(t.rules.SignTimeout(1, t.fx.GQc(), nullptr).ok());
    CHECK(t.rules.record().highest_timeout_round == 1);
    CHECK(t.rules.record().last_voted_round == (canary ? 0 : 1));
    const Block b1 = t.fx.MakeBlock(1, t.fx.genesis, t.fx.GQc());
    auto v = t.rules.VoteOn(b1, nullptr);
    INFO("canary " << canary);
    CHECK(v.ok() == canary);
    if (!canary) CHECK(v.status().code() == StatusCode::kPermissionDenied);
  }
}

TEST_CASE("with the timeout one_chain_round canary a timeout reports a QC below the lock",
          "[safety][canary]") {
  for (const bool canary : {false, true}) {
    HookedRules t(canary ? TimeoutOneChainCanary() : TestHooks{});
    const Block b1 = t.fx.MakeBlock(1, t.fx.genesis, t.fx.GQc());
    const Block b2 = t.fx.MakeBlock(2, b1, t.fx.MakeQc(b1));
    REQUIRE(t.rules.VoteOn(b2, nullptr).ok());
    CHECK(t.rules.record().one_chain_round == 1);  // the lock is still recorded ...
    const TimeoutCert tc2 = t.fx.MakeTc(2, {t.fx.GQc(), t.fx.GQc(), t.fx.GQc()});
    auto to = t.rules.SignTimeout(3, t.fx.GQc(), &tc2);  // ... but no longer checked
    INFO("canary " << canary);
    CHECK(to.ok() == canary);
    if (!canary) CHECK(to.status().code() == StatusCode::kPermissionDenied);
    if (canary) CHECK(to->high_qc.round() == 0);
  }
}

TEST_CASE("the safety record round-trips and every truncation is rejected", "[safety]") {
  Rules t;
  const Block b1 = t.fx.MakeBlock(1, t.fx.genesis, t.fx.GQc());
  const Block b2 = t.fx.MakeBlock(2, b1, t.fx.MakeQc(b1));
  REQUIRE(t.rules.VoteOn(b2, nullptr).ok());
  const Bytes enc = EncodeSafetyRecord(t.rules.record());
  auto dec = DecodeSafetyRecord(enc);
  REQUIRE(dec.ok());
  CHECK(*dec == t.rules.record());
  for (size_t len = 0; len < enc.size(); ++len) {
    auto bad = DecodeSafetyRecord(ByteView(enc.data(), len));
    CHECK_FALSE(bad.ok());
  }
  Bytes trailing = enc;
  trailing.push_back(0);
  CHECK(DecodeSafetyRecord(trailing).status().code() == StatusCode::kCorruption);
  Bytes bad_version = enc;
  bad_version[0] = 9;
  CHECK_FALSE(DecodeSafetyRecord(bad_version).ok());
}

namespace {
// A safety store whose writes can be made to fail, as a full or failing disk would.
class FailingSafetyStore final : public SafetyStore {
 public:
  Result<std::optional<Bytes>> Get() override { return inner.Get(); }
  Status Put(ByteView record, bool sync) override {
    if (fail) return Status::IoError("injected: no space left on device");
    return inner.Put(record, sync);
  }
  MemorySafetyStore inner;
  bool fail = false;
};
}  // namespace

TEST_CASE(
    "a failed write of the safety record leaves it unchanged: no re-sent vote, no double "
    "vote after a crash",
    "[safety]") {
  // The sequence that led to a double vote: the write of the vote's record fails, the same
  // proposal arrives again (the re-send path must not hand out a vote the disk never held),
  // the node crashes and restarts, and the equivocating leader's other block arrives.
  Fixture fx;
  FailingSafetyStore store;
  const Block a = fx.MakeBlock(1, fx.genesis, fx.GQc(), 1);
  const Block b = fx.MakeBlock(1, fx.genesis, fx.GQc(), 2);
  {
    SafetyRules rules{TestKeys()[3], 3, 1, fx.genesis.id, store};
    REQUIRE(rules.Load(fx.GQc()).ok());
    store.fail = true;
    auto va = rules.VoteOn(a, nullptr);
    CHECK(va.status().code() == StatusCode::kIoError);
    CHECK(rules.record().last_voted_round == 0);
    CHECK_FALSE(rules.record().last_vote.has_value());
    auto again = rules.VoteOn(a, nullptr);  // the duplicate proposal
    CHECK(again.status().code() == StatusCode::kIoError);
    // Timeouts too: nothing is signed under a record that was not written.
    CHECK(rules.SignTimeout(1, fx.GQc(), nullptr).status().code() == StatusCode::kIoError);
    CHECK(rules.record().highest_timeout_round == 0);
  }
  store.fail = false;
  store.inner.Crash();
  SafetyRules restarted{TestKeys()[3], 3, 1, fx.genesis.id, store};
  REQUIRE(restarted.Load(fx.GQc()).ok());
  // No vote ever left for round 1, so voting for b now is not a double vote; and once voted,
  // a is refused.
  auto vb = restarted.VoteOn(b, nullptr);
  REQUIRE(vb.ok());
  CHECK(restarted.VoteOn(a, nullptr).status().code() == StatusCode::kPermissionDenied);
}

TEST_CASE("a new epoch starts a fresh safety record, a record of a later epoch is refused",
          "[safety][epoch]") {
  Fixture fx;
  MemorySafetyStore store;
  {
    SafetyRules e1{TestKeys()[3], 3, 1, fx.genesis.id, store};
    REQUIRE(e1.Load(fx.GQc()).ok());
    const Block b1 = fx.MakeBlock(1, fx.genesis, fx.GQc());
    const Block b2 = fx.MakeBlock(2, b1, fx.MakeQc(b1));
    REQUIRE(e1.VoteOn(b2, nullptr).ok());
    CHECK(e1.record().last_voted_round == 2);
  }
  // Epoch 2 starts on a root block (the last block of epoch 1) with its unsigned root QC.
  Block root;
  root.epoch = 2;
  root.height = 7;
  root.id = fx.genesis.id;
  root.id[0] ^= 0x5a;
  {
    SafetyRules e2{TestKeys()[3], 3, 2, root.id, store};
    REQUIRE(e2.Load(GenesisQc(root)).ok());
    CHECK(e2.record().epoch == 2);
    CHECK(e2.record().last_voted_round == 0);
    CHECK_FALSE(e2.record().last_vote.has_value());
    CHECK(e2.record().one_chain_qc == GenesisQc(root));
  }
  // The fresh record was persisted: a node that restarts in epoch 2 finds it.
  auto stored = store.Get();
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  CHECK(DecodeSafetyRecord(**stored)->epoch == 2);
  // A store whose safety record is ahead of the node's epoch lost committed blocks.
  SafetyRules e1_again{TestKeys()[3], 3, 1, fx.genesis.id, store};
  const Status st = e1_again.Load(fx.GQc());
  CHECK(st.code() == StatusCode::kCorruption);
  CHECK(st.message().find("epoch 2") != std::string::npos);
}

TEST_CASE(
    "no QC of an old epoch verifies in the next, and the root QC is the new epoch's only "
    "unsigned QC",
    "[safety][epoch]") {
  Fixture fx;
  const Block b1 = fx.MakeBlock(1, fx.genesis, fx.GQc());
  const QuorumCert q1 = fx.MakeQc(b1);
  REQUIRE(fx.vs.VerifyQc(q1).ok());
  // The same keys in epoch 2, rooted at b1.
  ValidatorSet next{2, Fixture::Keys(), b1.id, &fx.checker};
  CHECK_FALSE(next.VerifyQc(q1).ok());        // signed for epoch 1
  CHECK_FALSE(next.VerifyQc(fx.GQc()).ok());  // epoch 1's root QC
  Block root;
  root.epoch = 2;
  root.id = b1.id;
  CHECK(next.VerifyQc(GenesisQc(root)).ok());
  Block other = root;
  other.id = fx.genesis.id;
  CHECK_FALSE(next.VerifyQc(GenesisQc(other)).ok());  // unsigned, but not the epoch's root
  // A block of epoch 1 does not verify in epoch 2, nor one of epoch 2 carrying an epoch-1 QC.
  CHECK_FALSE(next.VerifyBlock(b1).ok());
  Block b2 = fx.MakeBlock(2, b1, q1);
  b2.epoch = 2;
  SignBlock(b2, TestKeys()[b2.proposer]);
  CHECK(next.VerifyBlock(b2).message().find("QC for another epoch") != std::string::npos);
}

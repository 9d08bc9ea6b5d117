#include "node/restore_fence.h"

#include <catch2/catch.hpp>

#include "consensus/safety_rules.h"
#include "tests/unit/consensus/fixture.h"

using namespace laurel;
using namespace laurel::consensus;
using namespace laurel::consensus::test;
using laurel::node::RestoreFence;

namespace {

// A validator (key 3) whose safety record lives in `store`.
struct Validator {
  const Fixture& fx;
  MemorySafetyStore& store;
  SafetyRules rules;
  Validator(const Fixture& f, MemorySafetyStore& s)
      : fx(f), store(s), rules(TestKeys()[3], 3, 1, f.genesis.id, s) {
    REQUIRE(rules.Load(f.GQc()).ok());
  }
};

Bytes Stored(MemorySafetyStore& s) {
  auto r = s.Get();
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  return **r;
}

}  // namespace

TEST_CASE(
    "a validator restored from an old safety record would vote twice in a round it "
    "already voted in, the raised record refuses it",
    "[restore]") {
  Fixture fx;
  MemorySafetyStore live;
  const Block b1 = fx.MakeBlock(1, fx.genesis, fx.GQc());
  const Block b2 = fx.MakeBlock(2, b1, fx.MakeQc(b1));
  const Block b3 = fx.MakeBlock(3, b2, fx.MakeQc(b2), 1);
  Bytes backup;
  {
    Validator v(fx, live);
    REQUIRE(v.rules.VoteOn(b1, nullptr).ok());
    backup = Stored(live);  // the backup is taken here: last voted round 1
    REQUIRE(v.rules.VoteOn(b2, nullptr).ok());
    REQUIRE(v.rules.VoteOn(b3, nullptr).ok());  // signed after the backup
  }
  // Another block of round 3 (a Byzantine leader's, or the same leader's retry).
  const Block b3_other = fx.MakeBlock(3, b2, fx.MakeQc(b2), 2);
  REQUIRE(b3_other.id != b3.id);

  SECTION("the old record alone signs a second vote in round 3: the danger") {
    MemorySafetyStore restored;
    REQUIRE(restored.Put(backup, true).ok());
    Validator v(fx, restored);
    CHECK(v.rules.VoteOn(b3_other, nullptr).ok());
  }
  SECTION("raised past a block committed after the restore, it signs nothing in old rounds") {
    // The fence lifted at a committed block of round 3, certified by QC(3).
    const QuorumCert q3 = fx.MakeQc(b3);
    auto raised = node::RaiseSafetyRecord(backup, RestoreFence{10, 1, 1000}, 1, 3, q3);
    REQUIRE(raised.ok());
    MemorySafetyStore restored;
    REQUIRE(restored.Put(*raised, true).ok());
    Validator v(fx, restored);
    CHECK(v.rules.VoteOn(b3_other, nullptr).status().code() == StatusCode::kPermissionDenied);
    CHECK(v.rules.VoteOn(b3, nullptr).status().code() == StatusCode::kPermissionDenied);
    CHECK(v.rules.SignTimeout(3, q3, nullptr).status().code() == StatusCode::kPermissionDenied);
    // Round 4 is the floor: a timeout there is allowed, a vote is not (never vote in a round
    // at or below last_voted_round); round 5 votes again.
    CHECK(v.rules.SignTimeout(4, q3, nullptr).ok());
    const Block b4 = fx.MakeBlock(4, b3, q3);
    CHECK(v.rules.VoteOn(b4, nullptr).status().code() == StatusCode::kPermissionDenied);
    const TimeoutCert tc4 = fx.MakeTc(4, {q3, q3, q3});
    const Block b5 = fx.MakeBlock(5, b3, q3);
    CHECK(v.rules.VoteOn(b5, &tc4).ok());
  }
}

TEST_CASE("the raised record keeps the higher of the backup's round and the block's round",
          "[restore]") {
  Fixture fx;
  SafetyRecord rec;
  rec.epoch = 1;
  rec.last_voted_round = 40;
  rec.highest_timeout_round = 40;
  rec.one_chain_qc = fx.GQc();
  const Bytes stored = EncodeSafetyRecord(rec);
  const QuorumCert q = fx.GQc();
  // The fence remembers last voted round 50 (the record may be older still).
  auto raised = node::RaiseSafetyRecord(stored, RestoreFence{7, 50, 1000}, 1, 12, q);
  REQUIRE(raised.ok());
  auto out = DecodeSafetyRecord(*raised);
  REQUIRE(out.ok());
  CHECK(out->last_voted_round == 51);
  CHECK(out->highest_timeout_round == 51);
  CHECK(out->epoch == 1);
  // A block round above everything: floor = round + 1.
  auto higher =
      DecodeSafetyRecord(*node::RaiseSafetyRecord(stored, RestoreFence{7, 50, 1000}, 1, 90, q));
  REQUIRE(higher.ok());
  CHECK(higher->last_voted_round == 91);
}

TEST_CASE(
    "a missing or earlier-epoch safety record is replaced by one at the floor, not at "
    "round 0",
    "[restore]") {
  Fixture fx;
  const Block b1 = fx.MakeBlock(1, fx.genesis, fx.GQc());
  const QuorumCert q1 = fx.MakeQc(b1);
  auto none = node::RaiseSafetyRecord(std::nullopt, RestoreFence{1, 0, 1000}, 1, 1, q1);
  REQUIRE(none.ok());
  auto rec = DecodeSafetyRecord(*none);
  REQUIRE(rec.ok());
  CHECK(rec->epoch == 1);
  CHECK(rec->last_voted_round == 2);
  CHECK(rec->one_chain_round == 1);
  CHECK(rec->one_chain_qc == q1);
  // SafetyRules keeps it (same epoch): no vote in round 2.
  MemorySafetyStore s;
  REQUIRE(s.Put(*none, true).ok());
  Validator v(fx, s);
  CHECK(v.rules.record().last_voted_round == 2);

  SafetyRecord old;
  old.epoch = 0;
  old.last_voted_round = 900;
  auto replaced =
      DecodeSafetyRecord(*node::RaiseSafetyRecord(EncodeSafetyRecord(old), {}, 1, 1, q1));
  REQUIRE(replaced.ok());
  CHECK(replaced->epoch == 1);
  CHECK(replaced->last_voted_round == 2);

  SafetyRecord later;
  later.epoch = 2;
  CHECK(node::RaiseSafetyRecord(EncodeSafetyRecord(later), {}, 1, 1, q1).status().code() ==
        StatusCode::kCorruption);
  CHECK(node::RaiseSafetyRecord(Bytes{1, 2, 3}, {}, 1, 1, q1).status().code() ==
        StatusCode::kCorruption);
}

TEST_CASE("the fence record round-trips and a malformed one is corruption", "[restore]") {
  const RestoreFence f{123, 456, 30000};
  auto d = node::DecodeRestoreFence(node::EncodeRestoreFence(f));
  REQUIRE(d.ok());
  CHECK(*d == f);
  Bytes bad = node::EncodeRestoreFence(f);
  bad[0] = 2;
  CHECK(node::DecodeRestoreFence(bad).status().code() == StatusCode::kCorruption);
  bad.pop_back();
  CHECK(node::DecodeRestoreFence(bad).status().code() == StatusCode::kCorruption);
}

TEST_CASE(
    "the fence lifts only at a block stamped wait_ms plus the proposer clock bound after "
    "the start",
    "[restore]") {
  const RestoreFence f{1, 0, 5000};
  const uint64_t start = 1'000'000;
  const uint64_t lift = start + node::kProposerClockAheadMs + 5000;
  CHECK_FALSE(node::FenceLiftsAt(f, start, start));
  // A leader whose clock runs ahead (honest validators vote up to kProposerClockAheadMs ahead)
  // cannot lift it early.
  CHECK_FALSE(node::FenceLiftsAt(f, start, start + 5000));
  CHECK_FALSE(node::FenceLiftsAt(f, start, lift - 1));
  CHECK(node::FenceLiftsAt(f, start, lift));
  // Blocks of the backup's time (old timestamps) never lift it.
  CHECK_FALSE(node::FenceLiftsAt(f, start, 10));
}

TEST_CASE("a block stamped beyond the voting bound after the local clock proves the clock behind",
          "[node]") {
  const uint64_t now = 1'000'000;
  CHECK_FALSE(node::FenceClockBehind(now, now));
  CHECK_FALSE(node::FenceClockBehind(now, now - 300'000));  // an old block: nothing proven
  CHECK_FALSE(node::FenceClockBehind(now, now + node::kProposerClockAheadMs));
  CHECK(node::FenceClockBehind(now, now + node::kProposerClockAheadMs + 1));
  // A clock 5 min behind: a block of 1 min before the real start would lift the fence by the
  // local clock alone, but the chain's newest block, fresh, shows the clock behind first.
  const uint64_t real_start = 2'000'000'000;
  const uint64_t local_start = real_start - 300'000;
  const RestoreFence f{1, 0, 10'000};
  CHECK(node::FenceLiftsAt(f, local_start, real_start - 60'000));
  CHECK(node::FenceClockBehind(local_start + 2'000, real_start + 2'000));
}

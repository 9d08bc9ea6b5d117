#include "consensus/engine.h"

#include <catch2/catch.hpp>

#include "tests/unit/consensus/fixture.h"

using namespace laurel;
using namespace laurel::consensus;
using namespace laurel::consensus::test;

namespace {

struct FixedClock : Clock {
  uint64_t now = 5000;
  uint64_t NowMs() const override { return now; }
};
struct FixedPayload : PayloadSource {
  std::optional<Bytes> Pull(Round, uint64_t) override { return Bytes{1, 2, 3}; }
};

// Validator 3 of the fixture, driven by hand.
struct Node {
  Fixture fx;
  MemorySafetyStore store;
  MemoryBlockStore blocks;
  FixedClock clock;
  FixedPayload payload;
  std::unique_ptr<Engine> engine;

  explicit Node(TestHooks hooks = {}) { Restart(hooks); }
  void Restart(TestHooks hooks = {}) {
    EngineConfig cfg;
    cfg.my_index = 3;
    engine = std::make_unique<Engine>(cfg, fx.vs, TestKeys()[3], store, blocks, clock, payload,
                                      GenesisRecovery(fx.genesis), hooks);
    Outputs out;
    REQUIRE(engine->Start(out).ok());
  }
  SyncInfo Sync(const QuorumCert& hqc) const { return SyncInfo{hqc, fx.GQc(), std::nullopt}; }
};

std::vector<const VoteMsg*> VotesIn(const Outputs& out, uint32_t* to) {
  std::vector<const VoteMsg*> v;
  for (const auto& o : out.sends) {
    if (const auto* m = std::get_if<VoteMsg>(&o.message)) {
      v.push_back(m);
      *to = o.to;
    }
  }
  return v;
}

}  // namespace

TEST_CASE("the engine commits only through a QC of a block in the next round", "[engine]") {
  for (bool broken : {false, true}) {
    TestHooks hooks;
    hooks.break_commit_consecutive = broken;
    Node n(hooks);
    const Fixture& fx = n.fx;
    const Block b1 = fx.MakeBlock(1, fx.genesis, fx.GQc());
    const QuorumCert q1 = fx.MakeQc(b1);
    const Block b2 = fx.MakeBlock(3, b1, q1);  // round 2 was skipped
    const QuorumCert q2 = fx.MakeQc(b2);
    Outputs out;
    REQUIRE(n.engine->OnFetchedBlocks({b2, b1}, out).ok());
    REQUIRE(n.engine->OnMessage(0, SyncMsg{n.Sync(q2)}, out).ok());
    if (broken) {
      // The canary commits b1 on a QC of round 3 over a round-1 parent.
      REQUIRE(out.commits.size() == 1);
      CHECK(out.commits[0].block.id == b1.id);
      continue;
    }
    CHECK(out.commits.empty());
    CHECK(n.engine->current_round() == 4);
    const Block b3 = fx.MakeBlock(4, b2, q2);
    const QuorumCert q3 = fx.MakeQc(b3);
    Outputs out2;
    REQUIRE(n.engine->OnMessage(0, SyncMsg{n.Sync(q3)}, out2).ok());
    CHECK(out2.commits.empty());
    REQUIRE(out2.fetches.size() == 1);  // b3 is missing
    CHECK(out2.fetches[0].id == b3.id);
    Outputs out3;
    REQUIRE(n.engine->OnFetchedBlocks({b3}, out3).ok());
    REQUIRE(out3.commits.size() == 2);
    CHECK(out3.commits[0].block.id == b1.id);
    CHECK(out3.commits[0].block_qc == q1);
    CHECK(out3.commits[1].block.id == b2.id);
    CHECK(out3.commits[1].block_qc == q2);
    CHECK(out3.commits[1].commit_qc == q3);
    CHECK(n.engine->committed_root().id == b2.id);
    // Delivered exactly once: the same QC again commits nothing.
    Outputs out4;
    REQUIRE(n.engine->OnMessage(1, SyncMsg{n.Sync(q3)}, out4).ok());
    CHECK(out4.commits.empty());
  }
}

TEST_CASE("the engine votes once, to the next leader, and records equivocating proposals",
          "[engine]") {
  Node n;
  const Fixture& fx = n.fx;
  const Block a = fx.MakeBlock(1, fx.genesis, fx.GQc(), 1);
  const Block b = fx.MakeBlock(1, fx.genesis, fx.GQc(), 2);
  Outputs out;
  REQUIRE(n.engine->OnMessage(1, ProposalMsg{a, n.Sync(fx.GQc())}, out).ok());
  uint32_t to = 99;
  auto votes = VotesIn(out, &to);
  REQUIRE(votes.size() == 1);
  CHECK(to == fx.vs.Leader(2, &a));
  CHECK(votes[0]->vote.data.block_id == a.id);
  CHECK(n.engine->safety_record().last_voted_round == 1);
  Outputs out2;
  // The second block of the round is evidence (and kept, since either may be certified); no
  // vote.
  REQUIRE(n.engine->OnMessage(1, ProposalMsg{b, n.Sync(fx.GQc())}, out2).ok());
  CHECK(VotesIn(out2, &to).empty());
  const uint64_t saved = n.blocks.saves();
  REQUIRE(out2.evidence.size() == 1);
  CHECK(out2.evidence[0].kind == Evidence::Kind::kProposal);
  CHECK(out2.evidence[0].signer == 1);
  CHECK(out2.evidence[0].first == a.id);
  CHECK(out2.evidence[0].second == b.id);
  // The evidence carries both signed proposals: it verifies under the proposer's key only.
  CHECK(out2.evidence[0].epoch == 1);
  CHECK(VerifyEvidence(out2.evidence[0], TestKeys()[1].public_key()));
  CHECK_FALSE(VerifyEvidence(out2.evidence[0], TestKeys()[2].public_key()));
  Evidence forged = out2.evidence[0];
  forged.second_sig = forged.first_sig;
  CHECK_FALSE(VerifyEvidence(forged, TestKeys()[1].public_key()));
  // Further variants are refused and not saved (each save is a synced write a leader could
  // otherwise multiply), and the evidence is not repeated.
  for (uint8_t i = 3; i < 40; ++i) {
    Outputs more;
    const Block v = fx.MakeBlock(1, fx.genesis, fx.GQc(), i);
    CHECK(n.engine->OnMessage(1, ProposalMsg{v, n.Sync(fx.GQc())}, more).code() ==
          StatusCode::kInvalidArgument);
    CHECK(more.evidence.empty());
  }
  CHECK(n.blocks.saves() == saved);
}

TEST_CASE("the engine votes only for a block stamped within 30 s of its clock, either way",
          "[engine]") {
  // Each case: the local clock, the block's stamp, whether it is voted for.
  struct Case {
    uint64_t now, stamp;
    bool votes;
  };
  const uint64_t base = 1'000'000;
  for (const Case c : {Case{base, base, true}, Case{base, base + 30'000, true},
                       Case{base, base + 30'001, false}, Case{base, base - 30'000, true},
                       Case{base, base - 30'001, false}, Case{base + 300'000, base, false},
                       Case{base - 300'000, base, false}}) {
    CAPTURE(c.now, c.stamp);
    Node n;
    n.clock.now = c.now;
    const Fixture& fx = n.fx;
    Block b = fx.MakeBlock(1, fx.genesis, fx.GQc());
    b.timestamp_ms = c.stamp;
    SignBlock(b, TestKeys()[b.proposer]);
    Outputs out;
    REQUIRE(n.engine->OnMessage(b.proposer, ProposalMsg{b, n.Sync(fx.GQc())}, out).ok());
    uint32_t to = 99;
    CHECK(VotesIn(out, &to).size() == (c.votes ? 1u : 0u));
    CHECK(n.engine->safety_record().last_voted_round == (c.votes ? 1u : 0u));
    // Not voting is not refusing the block: once certified it is committed like any other.
    CHECK(n.engine->current_round() == 1);
  }
  CHECK(Engine::BlockTimeVotable(5000, 5000 + 30'000));
  CHECK_FALSE(Engine::BlockTimeVotable(5000, 5000 + 30'001));
  CHECK(Engine::BlockTimeVotable(0, 0));
}

TEST_CASE("a restarted engine re-sends its stored vote and never votes for another block",
          "[engine]") {
  Node n;
  const Fixture& fx = n.fx;
  const Block a = fx.MakeBlock(1, fx.genesis, fx.GQc(), 1);
  const Block b = fx.MakeBlock(1, fx.genesis, fx.GQc(), 2);
  Outputs out;
  REQUIRE(n.engine->OnMessage(1, ProposalMsg{a, n.Sync(fx.GQc())}, out).ok());
  uint32_t to = 0;
  const Vote first = VotesIn(out, &to).at(0)->vote;
  n.store.Crash();
  n.Restart();
  Outputs out2;
  REQUIRE(n.engine->OnMessage(1, ProposalMsg{b, n.Sync(fx.GQc())}, out2).ok());
  CHECK(VotesIn(out2, &to).empty());
  Outputs out3;
  REQUIRE(n.engine->OnMessage(1, ProposalMsg{a, n.Sync(fx.GQc())}, out3).ok());
  auto again = VotesIn(out3, &to);
  REQUIRE(again.size() == 1);
  CHECK(again[0]->vote == first);
}

TEST_CASE("a local timeout is broadcast and stops voting in that round", "[engine]") {
  Node n;
  const Fixture& fx = n.fx;
  Outputs out;
  REQUIRE(n.engine->OnTimer(TimerKind::kRound, 1, out).ok());
  bool broadcast = false;
  for (const auto& o : out.sends) {
    if (std::holds_alternative<TimeoutMsg>(o.message)) broadcast = o.to == kBroadcast;
  }
  CHECK(broadcast);
  REQUIRE_FALSE(out.timers.empty());  // re-armed
  const Block a = fx.MakeBlock(1, fx.genesis, fx.GQc());
  Outputs out2;
  REQUIRE(n.engine->OnMessage(1, ProposalMsg{a, n.Sync(fx.GQc())}, out2).ok());
  uint32_t to = 0;
  CHECK(VotesIn(out2, &to).empty());
}

TEST_CASE("DescribeRound tells a silent leader from a proposal this node voted for", "[engine]") {
  Node n;
  const Fixture& fx = n.fx;
  Engine::RoundView v = n.engine->DescribeRound();
  CHECK(v.round == 1);
  REQUIRE(v.leader.has_value());
  CHECK(*v.leader == fx.vs.Leader(1, &fx.genesis));
  CHECK_FALSE(v.proposed);
  CHECK_FALSE(v.proposal_seen);
  CHECK_FALSE(v.voted);
  CHECK(v.high_qc_round == 0);
  CHECK(v.timeout_votes == 0);
  // Round 1's proposal arrives and gets this node's vote.
  const Block a = fx.MakeBlock(1, fx.genesis, fx.GQc());
  Outputs out;
  REQUIRE(n.engine->OnMessage(1, ProposalMsg{a, n.Sync(fx.GQc())}, out).ok());
  v = n.engine->DescribeRound();
  CHECK(v.round == 1);
  CHECK(v.proposal_seen);
  CHECK(v.voted);
  CHECK_FALSE(v.proposed);
  // Its own timeout is counted among the round's timeout votes.
  Outputs out2;
  REQUIRE(n.engine->OnTimer(TimerKind::kRound, 1, out2).ok());
  v = n.engine->DescribeRound();
  CHECK(v.round == 1);
  CHECK(v.timeout_votes == 1);
}

TEST_CASE("the engine rejects a proposal with a forged QC", "[engine]") {
  Node n;
  const Fixture& fx = n.fx;
  const Block b1 = fx.MakeBlock(1, fx.genesis, fx.GQc());
  QuorumCert q1 = fx.MakeQc(b1);
  q1.signatures[0].second[0] ^= 1;
  const Block b2 = fx.MakeBlock(2, b1, q1);
  Outputs out;
  CHECK(n.engine->OnMessage(2, ProposalMsg{b2, n.Sync(fx.GQc())}, out).code() ==
        StatusCode::kInvalidArgument);
  CHECK(n.engine->current_round() == 1);
}

TEST_CASE("a block from a validator that does not lead its round gets no vote and is evidence",
          "[engine][leader]") {
  Node n;  // validator 3
  const Fixture& fx = n.fx;
  const Block b1 = fx.MakeBlock(1, fx.genesis, fx.GQc());
  Outputs out;
  REQUIRE(n.engine->OnMessage(1, ProposalMsg{b1, n.Sync(fx.GQc())}, out).ok());
  // Round 2: b2 extends b1 (genesis QC inside, so round-robin): validator 2 leads. A block of
  // validator 0 instead is signed correctly but out of turn.
  Block wrong = fx.MakeBlock(2, b1, fx.MakeQc(b1), 5);
  REQUIRE(wrong.proposer == 2);
  wrong.proposer = 0;
  SignBlock(wrong, TestKeys()[0]);
  Outputs out2;
  CHECK_FALSE(n.engine->OnMessage(0, ProposalMsg{wrong, n.Sync(fx.MakeQc(b1))}, out2).ok());
  uint32_t to = 99;
  CHECK(VotesIn(out2, &to).empty());
  REQUIRE(out2.evidence.size() == 1);
  CHECK(out2.evidence[0].kind == Evidence::Kind::kWrongLeader);
  CHECK(out2.evidence[0].signer == 0);
  CHECK_FALSE(n.engine->HasBlock(wrong.id));
  // The leader's own block of that round still gets the vote.
  const Block right = fx.MakeBlock(2, b1, fx.MakeQc(b1), 6);
  Outputs out3;
  REQUIRE(n.engine->OnMessage(2, ProposalMsg{right, n.Sync(fx.MakeQc(b1))}, out3).ok());
  CHECK(VotesIn(out3, &to).size() == 1);
  // Its vote goes to the leader of round 3 elected from `right` (round-robin: b1 carries the
  // genesis QC), not to a fixed schedule.
  CHECK(to == fx.vs.Leader(3, &right));
}

TEST_CASE("the round timer doubles only after f+1 rounds in a row entered through a timeout",
          "[engine][pacemaker]") {
  Node n;  // base 1000 ms, cap 8000 ms; the clock stands at 5000; 4 validators, f = 1
  const Fixture& fx = n.fx;
  REQUIRE(fx.vs.max_faulty() == 1);
  auto round_timer = [](const Outputs& out) -> std::optional<uint64_t> {
    for (const auto& t : out.timers) {
      if (t.kind == TimerKind::kRound) return t.at_ms - 5000;
    }
    return std::nullopt;
  };
  auto enter_by_tc = [&](Round r, Outputs& out) {
    REQUIRE(n.engine
                ->OnMessage(0,
                            SyncMsg{SyncInfo{fx.GQc(), fx.GQc(),
                                             fx.MakeTc(r, {fx.GQc(), fx.GQc(), fx.GQc()})}},
                            out)
                .ok());
    CHECK(n.engine->current_round() == r + 1);
  };
  // TC(1) -> round 2, the first round after a timeout, and TC(2) -> round 3, the second: the
  // base. With one validator stopped, the round whose votes go to it and its own round are
  // these two (docs/spec/consensus.md §4): a stopped validator costs no doubled wait.
  Outputs o1;
  enter_by_tc(1, o1);
  CHECK(round_timer(o1) == 1000);
  Outputs o2;
  enter_by_tc(2, o2);
  CHECK(round_timer(o2) == 1000);
  // The third in a row (more than f+1): doubled, and doubled again.
  Outputs o3;
  enter_by_tc(3, o3);
  CHECK(round_timer(o3) == 2000);
  Outputs o3b;
  enter_by_tc(4, o3b);
  CHECK(round_timer(o3b) == 4000);
  // A QC of round 5 resets it: round 6 is entered through a QC.
  Block b5 = fx.MakeBlock(5, fx.genesis, fx.GQc());
  Outputs o4;
  REQUIRE(n.engine->OnFetchedBlocks({b5}, o4).ok());
  Outputs o5;
  REQUIRE(
      n.engine->OnMessage(0, SyncMsg{SyncInfo{fx.MakeQc(b5), fx.GQc(), std::nullopt}}, o5).ok());
  CHECK(n.engine->current_round() == 6);
  CHECK(round_timer(o5) == 1000);
}

namespace {

// Stores whose writes fail on demand, as on a full or failing disk.
struct FailingSafetyStore final : SafetyStore {
  Result<std::optional<Bytes>> Get() override { return mem.Get(); }
  Status Put(ByteView record, bool sync) override {
    if (fail) return Status::IoError("injected: no space left on device");
    return mem.Put(record, sync);
  }
  MemorySafetyStore mem;
  bool fail = false;
};
struct FailingBlockStore final : BlockStore {
  Status Save(const Block& b) override {
    if (fail) return Status::IoError("injected: no space left on device");
    return mem.Save(b);
  }
  MemoryBlockStore mem;
  bool fail = false;
};

// Validator 3 on a disk that can fail.
struct DiskNode {
  Fixture fx;
  FailingSafetyStore store;
  FailingBlockStore blocks;
  FixedClock clock;
  FixedPayload payload;
  std::unique_ptr<Engine> engine;

  DiskNode() { Restart(); }
  void Restart() {
    store.mem.Crash();
    EngineConfig cfg;
    cfg.my_index = 3;
    RecoveryData rd = GenesisRecovery(fx.genesis);
    rd.blocks = blocks.mem.Above(0);
    engine = std::make_unique<Engine>(cfg, fx.vs, TestKeys()[3], store, blocks, clock, payload,
                                      std::move(rd));
    Outputs out;
    REQUIRE(engine->Start(out).ok());
  }
  SyncInfo Sync(const QuorumCert& hqc) const { return SyncInfo{hqc, fx.GQc(), std::nullopt}; }
};

// The signed messages (votes, timeouts, proposals) among the outputs.
size_t Signed(const Outputs& out) {
  size_t n = 0;
  for (const auto& o : out.sends) n += std::holds_alternative<SyncMsg>(o.message) ? 0 : 1;
  return n;
}

// With the disk working, validator 3 (n) votes for b2 of round 2, whose QC q1 (signers
// {1, 2, 3}) makes it the leader of round 3 once b2 is certified. Returns QC(b2).
QuorumCert VoteForB2LeadingRound3(DiskNode& n, const Block& b1) {
  const Fixture& fx = n.fx;
  const QuorumCert q1 = fx.MakeQc(b1, {1, 2, 3});
  const Block b2 = fx.MakeBlock(2, b1, q1);
  REQUIRE(fx.vs.Leader(3, &b2) == 3);
  Outputs fetched;
  REQUIRE(n.engine->OnFetchedBlocks({b1}, fetched).ok());
  Outputs voted;
  REQUIRE(n.engine->OnMessage(2, ProposalMsg{b2, n.Sync(q1)}, voted).ok());
  REQUIRE(n.engine->safety_record().last_voted_round == 2);
  return fx.MakeQc(b2);
}

}  // namespace

TEST_CASE(
    "an engine whose safety record cannot be written returns IoError and puts out no vote, "
    "timeout or proposal",
    "[engine][io]") {
  DiskNode n;
  const Fixture& fx = n.fx;
  const Block b1 = fx.MakeBlock(1, fx.genesis, fx.GQc());
  n.store.fail = true;
  Outputs vote_out;
  CHECK(n.engine->OnMessage(1, ProposalMsg{b1, n.Sync(fx.GQc())}, vote_out).code() ==
        StatusCode::kIoError);
  CHECK(Signed(vote_out) == 0);
  Outputs timeout_out;
  CHECK(n.engine->OnTimer(TimerKind::kRound, 1, timeout_out).code() == StatusCode::kIoError);
  CHECK(Signed(timeout_out) == 0);
  CHECK(n.engine->safety_record().last_voted_round == 0);

  // With the disk working validator 3 votes for b2 (round 2), then the disk fails as QC(b2)
  // makes it the leader of round 3 (one of b2's QC signers but b2's proposer). Its own vote
  // cannot be persisted: no proposal.
  n.store.fail = false;
  const QuorumCert q2 = VoteForB2LeadingRound3(n, b1);
  n.store.fail = true;
  Outputs lead_out;
  CHECK(n.engine->OnMessage(0, SyncMsg{n.Sync(q2)}, lead_out).code() == StatusCode::kIoError);
  CHECK(n.engine->current_round() == 3);
  CHECK(Signed(lead_out) == 0);
  CHECK(n.engine->safety_record().last_voted_round == 2);

  // The host halts; restarted on a working disk, the node leads round 3 after all.
  n.store.fail = false;
  n.Restart();
  Outputs again;
  REQUIRE(n.engine->OnMessage(0, SyncMsg{n.Sync(q2)}, again).ok());
  bool proposed = false;
  for (const auto& o : again.sends) {
    if (const auto* p = std::get_if<ProposalMsg>(&o.message)) proposed = p->block.round == 3;
  }
  CHECK(proposed);
}

TEST_CASE(
    "an engine whose block store fails returns IoError and neither votes for nor proposes the "
    "block it could not save",
    "[engine][io]") {
  DiskNode n;
  const Fixture& fx = n.fx;
  const Block b1 = fx.MakeBlock(1, fx.genesis, fx.GQc());
  n.blocks.fail = true;
  Outputs vote_out;
  CHECK(n.engine->OnMessage(1, ProposalMsg{b1, n.Sync(fx.GQc())}, vote_out).code() ==
        StatusCode::kIoError);
  CHECK(Signed(vote_out) == 0);
  CHECK(n.engine->safety_record().last_voted_round == 0);

  n.blocks.fail = false;
  const QuorumCert q2 = VoteForB2LeadingRound3(n, b1);
  n.blocks.fail = true;
  Outputs lead_out;
  CHECK(n.engine->OnMessage(0, SyncMsg{n.Sync(q2)}, lead_out).code() == StatusCode::kIoError);
  CHECK(Signed(lead_out) == 0);
  // The leader's vote was persisted before the save failed: the record holds more than what
  // left, never less, and the restarted leader does not propose a second block in round 3.
  CHECK(n.engine->safety_record().last_voted_round == 3);
}

TEST_CASE(
    "a safety record whose TC no longer verifies (timeout sign-bytes v1) is resumed from but "
    "never sent",
    "[engine][upgrade]") {
  Node n;
  const Fixture& fx = n.fx;
  const Block b1 = fx.MakeBlock(1, fx.genesis, fx.GQc());
  const QuorumCert q1 = fx.MakeQc(b1);
  // TC(2) as a version before the genesis id was signed made it: "laurel/timeout/v1\0" over
  // epoch u64 | round u64 | hqc_round u64.
  TimeoutCert legacy;
  legacy.epoch = 1;
  legacy.round = 2;
  legacy.high_qc = q1;
  Bytes v1_bytes;
  for (uint64_t v : {uint64_t{1}, uint64_t{2}, uint64_t{1}}) {
    for (int i = 7; i >= 0; --i) v1_bytes.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  for (uint32_t s = 0; s < 3; ++s) {
    legacy.entries.push_back(
        {s, 1,
         crypto::SignWithDomain(TestKeys()[s], std::string_view("laurel/timeout/v1\0", 18),
                                v1_bytes)});
  }
  REQUIRE_FALSE(fx.vs.VerifyTc(legacy).ok());
  // The record of a node that timed out in round 3, entered through that TC.
  SafetyRecord rec;
  rec.epoch = 1;
  rec.last_voted_round = 3;
  rec.highest_timeout_round = 3;
  rec.one_chain_round = 1;
  rec.one_chain_qc = q1;
  rec.last_tc = legacy;
  REQUIRE(n.store.Put(EncodeSafetyRecord(rec), /*sync=*/true).ok());

  n.Restart();  // starts (REQUIRE inside)
  CHECK(n.engine->record_tc_unverified());
  CHECK(n.engine->current_round() == 3);  // where its record says it signed last
  CHECK_FALSE(n.engine->CurrentSyncInfo().highest_tc.has_value());
  // Its own TC still lets it time out in round 3, and all it sends verifies.
  Outputs out;
  REQUIRE(n.engine->OnTimer(TimerKind::kRound, 3, out).ok());
  const TimeoutMsg* sent = nullptr;
  for (const auto& o : out.sends) {
    if (const auto* t = std::get_if<TimeoutMsg>(&o.message)) sent = t;
  }
  REQUIRE(sent != nullptr);
  CHECK(sent->timeout.round == 3);
  CHECK(fx.vs.VerifyTimeout(sent->timeout).ok());
  CHECK(fx.vs.VerifySyncInfo(sent->sync).ok());
  CHECK(n.engine->safety_record().last_tc == legacy);  // the record is left as it was

  // The next TC it learns replaces it, and is sent from then on.
  const TimeoutCert tc3 = fx.MakeTc(3, {q1, q1, q1});
  Outputs out2;
  REQUIRE(n.engine->OnMessage(0, SyncMsg{SyncInfo{q1, fx.GQc(), tc3}}, out2).ok());
  CHECK(n.engine->current_round() == 4);
  CHECK_FALSE(n.engine->record_tc_unverified());
  const SyncInfo now = n.engine->CurrentSyncInfo();
  REQUIRE(now.highest_tc.has_value());
  CHECK(now.highest_tc->round == 3);
}

TEST_CASE("two votes by one validator in one round are evidence that carries both signed votes",
          "[engine]") {
  Node n;
  const Fixture& fx = n.fx;
  const Block a = fx.MakeBlock(1, fx.genesis, fx.GQc(), 1);
  const Block b = fx.MakeBlock(1, fx.genesis, fx.GQc(), 2);
  Outputs out;
  REQUIRE(n.engine->OnMessage(1, ProposalMsg{a, n.Sync(fx.GQc())}, out).ok());
  const Vote va = SignVote(VoteDataFor(a), 2, TestKeys()[2]);
  VoteData made_up = VoteDataFor(b);
  made_up.block_id[0] ^= 0x5a;  // a block nobody proposed
  const Vote vb = SignVote(made_up, 2, TestKeys()[2]);
  Outputs o1;
  REQUIRE(n.engine->OnMessage(2, VoteMsg{va, n.Sync(fx.GQc())}, o1).ok());
  CHECK(o1.evidence.empty());
  Outputs o2;
  REQUIRE(n.engine->OnMessage(2, VoteMsg{vb, n.Sync(fx.GQc())}, o2).ok());
  REQUIRE(o2.evidence.size() == 1);
  const Evidence& e = o2.evidence[0];
  CHECK(e.kind == Evidence::Kind::kVote);
  CHECK(e.signer == 2);
  CHECK(e.round == 1);
  CHECK(e.first == a.id);
  CHECK(e.second == made_up.block_id);
  CHECK(e.first_vote == va.data);
  CHECK(e.second_vote == vb.data);
  CHECK(VerifyEvidence(e, TestKeys()[2].public_key()));
  CHECK_FALSE(VerifyEvidence(e, TestKeys()[1].public_key()));
  Evidence same = e;  // one vote twice proves nothing
  same.second = same.first;
  same.second_vote = same.first_vote;
  same.second_sig = same.first_sig;
  CHECK_FALSE(VerifyEvidence(same, TestKeys()[2].public_key()));
  // Reported once per signer and round.
  Outputs o3;
  REQUIRE(n.engine->OnMessage(2, VoteMsg{va, n.Sync(fx.GQc())}, o3).ok());
  REQUIRE(n.engine->OnMessage(2, VoteMsg{vb, n.Sync(fx.GQc())}, o3).ok());
  CHECK(o3.evidence.empty());
}

TEST_CASE("a node far behind fetches a block it already holds as an orphan no more (block sync "
          "brings its ancestors)",
          "[engine][fetch]") {
  Fixture fx;
  MemorySafetyStore store;
  MemoryBlockStore blocks;
  FixedClock clock;
  FixedPayload payload;
  EngineConfig cfg;
  cfg.my_index = 3;
  cfg.fetch_batch = 2;
  cfg.max_fetch_gap = 4;
  Engine engine(cfg, fx.vs, TestKeys()[3], store, blocks, clock, payload,
                GenesisRecovery(fx.genesis));
  Outputs start;
  REQUIRE(engine.Start(start).ok());
  // A chain of 10 blocks in consecutive rounds; the node has none of them.
  std::vector<Block> chain;
  std::vector<QuorumCert> qcs;
  for (Round r = 1; r <= 10; ++r) {
    chain.push_back(fx.MakeBlock(r, r == 1 ? fx.genesis : chain.back(),
                                 r == 1 ? fx.GQc() : qcs.back()));
    qcs.push_back(fx.MakeQc(chain.back()));
  }
  const SyncInfo tip{qcs[9], qcs[9], std::nullopt};
  auto fetched = [](const Outputs& out, const BlockId& id) {
    for (const auto& f : out.fetches) {
      if (f.id == id) return true;
    }
    return false;
  };
  Outputs out1;
  REQUIRE(engine.OnMessage(0, SyncMsg{tip}, out1).ok());
  REQUIRE(fetched(out1, chain[9].id));
  // The answer: b10 and b9, which cannot connect (b8 is missing and 9 heights above the root
  // is beyond max_fetch_gap): they wait as orphans for block sync.
  Outputs out2;
  REQUIRE(engine.OnFetchedBlocks({chain[9], chain[8]}, out2).ok());
  CHECK_FALSE(fetched(out2, chain[9].id));
  CHECK_FALSE(fetched(out2, chain[7].id));
  // Every later message naming the same QCs asks for nothing again: without this a far-behind
  // node and its peers trade the same blocks in a loop, as fast as the link carries them.
  for (int i = 0; i < 3; ++i) {
    Outputs again;
    REQUIRE(engine.OnMessage(static_cast<uint32_t>(i), SyncMsg{tip}, again).ok());
    CHECK(again.fetches.empty());
  }
}

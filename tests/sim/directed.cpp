// Directed scenarios: scripted schedules in the style of Twins. Each one fixes the leader of
// every round, which messages reach whom (partitions), what the Byzantine key signs and sends
// (equivocations, blocks on chosen stale QCs with a chosen TC, QCs assembled from the votes it
// received and revealed to chosen nodes) and where honest nodes crash. The honest nodes are real
// engines; only their message delivery, timers and crashes are scripted.
//
// Each script ends with a synchronous "heal" phase (no partitions, the Byzantine key silent,
// round timers fired whenever the cluster is quiet) in which every honest node must commit two
// more blocks. Agreement, ledger order and commit certificates are checked on every commit, as
// in the event-driven simulator. With every safety rule in place each script must stay safe and
// live; each is built so that one mutation canary turns it into a safety violation.
#include <iterator>

#include "tests/sim/script.h"
#include "tests/sim/simulator.h"

namespace laurel::sim {

using namespace laurel::consensus;

namespace {

using namespace script;

// (d) TC condition. Round-robin leaders. v1 proposes B0 in round 1 and v2 B1 in round 2; v3
// assembles QC(B1) and commits B0, then is cut off, so nobody else learns QC(B1). Rounds 2 and 3
// time out (TC(3) from v0, v1, v2: max_hqc_round 1). Byzantine v0 leads round 4 and proposes B'
// on the genesis QC with TC(3): the voting rule refuses it (0 < 1). Without the TC condition v1
// and v2 vote, v1 extends QC(B') in round 5 and v2 commits B' at height 1 against v3's B0.
Outcome TcStaleQc(Canary c) {
  Script s(c, {});
  constexpr uint32_t kCut = 3;
  s.set_drop([](uint32_t from, uint32_t to, const Message* m) {
    if (from != kCut && to != kCut) return false;
    if (m == nullptr) return true;
    return MessageRound(*m) >= 3 || (from == kCut && SyncOf(*m).highest_qc.round() >= 2);
  });
  s.StartAll();  // v1 proposes B0
  s.Run();       // B0 and B1 are certified; v3 commits B0
  s.Expect(s.ledger(kCut).size() == 1, "v3 commits B0 upon QC(B1)");
  const std::vector<Block> b1 = s.ProposalsSeen(2);
  if (b1.empty() || s.ledger(kCut).empty()) return s.Finish();
  const Block b0 = s.ledger(kCut)[0].block;
  const QuorumCert qc_b0 = b1[0].qc;
  for (Round r : {2, 3}) {  // rounds 2 and 3 time out among v0, v1, v2
    s.Timeout(1);
    s.Timeout(2);
    for (uint32_t to : {1u, 2u}) {
      s.Inject(to, TimeoutMsg{s.ByzTimeout(r, qc_b0), SyncInfo{qc_b0, s.genesis_qc(), {}}});
    }
    s.Run();
  }
  s.Expect(s.engine(1).current_round() == 4 && s.engine(2).current_round() == 4,
           "v1 and v2 enter round 4 through TC(3)");
  const auto tc3 = s.engine(1).CurrentSyncInfo().highest_tc;
  if (!tc3 || tc3->round != 3) return s.Finish();
  s.Expect(tc3->MaxHqcRound() == 1, "TC(3) has max_hqc_round 1");
  // Round 4: B' extends the genesis QC, justified by TC(3).
  const Block stale = s.MakeBlock(4, s.genesis(), s.genesis_qc(), 4);
  for (uint32_t to : {1u, 2u}) {
    s.Inject(to, ProposalMsg{stale, SyncInfo{s.genesis_qc(), s.genesis_qc(), tc3}});
  }
  s.Inject(s.leader(5), VoteMsg{s.ByzVote(stale), SyncInfo{s.genesis_qc(), s.genesis_qc(), tc3}});
  s.Run();  // with the canary: QC(B') at v1, which proposes B'' in round 5
  s.Expect(s.engine(1).high_qc().round() < 4, "no QC for the stale block");
  s.VoteForProposals(5);
  s.Run();  // with the canary: QC(B'') at v2, which commits B'
  s.Heal();
  s.Expect(s.Committed(1, b0.id) && s.Committed(2, b0.id), "everyone commits B0 after healing");
  return s.Finish();
}

// (c) Persist before send. Byzantine v0 leads rounds 1-3 and equivocates. A = v1 votes for its
// first block B and crashes right after the vote left (with the canary, before the record was
// synced), restarts and gets the second block B'. X = v2 votes B, Y = v3 votes B'. v0 assembles
// QC(B) = {A, X, v0} and, if A voted twice, QC(B') = {A, Y, v0}. Round 2 repeats it one level up
// (C1 on QC(B) to A and X, C2 on QC(B') to A and Y, A crashing after its vote for C1). In round
// 3 v0 shows QC(C1) to X and QC(C2) to Y: X commits B, Y commits B' at height 1.
Outcome PersistCrash(Canary c) {
  Script s(c, {0, 0, 0});
  constexpr uint32_t kA = 1, kX = 2, kY = 3;
  s.StartAll();
  s.Run();
  const QuorumCert g = s.genesis_qc();
  const Block b = s.MakeBlock(1, s.genesis(), g, 1);
  const Block b2 = s.MakeBlock(1, s.genesis(), g, 2);
  s.Inject(kA, ProposalMsg{b, SyncInfo{g, g, {}}});
  s.Run();
  s.CrashRestart(kA);  // right after A's vote for B left
  s.Inject(kX, ProposalMsg{b, SyncInfo{g, g, {}}});
  for (uint32_t to : {kA, kY}) s.Inject(to, ProposalMsg{b2, SyncInfo{g, g, {}}});
  s.Run();
  const auto qc_b = s.AssembleQc(b);
  const auto qc_b2 = s.AssembleQc(b2);
  s.Expect(qc_b.has_value(), "QC(B) from A, X and v0");
  s.Expect(!qc_b2.has_value(), "A refuses B' after its restart, so B' is not certified");
  if (!qc_b) return s.Finish();
  const Block c1 = s.MakeBlock(2, b, *qc_b, 3);
  s.Inject(kA, ProposalMsg{c1, SyncInfo{*qc_b, g, {}}});
  s.Run();
  s.CrashRestart(kA);  // right after A's vote for C1 left
  s.Inject(kX, ProposalMsg{c1, SyncInfo{*qc_b, g, {}}});
  std::optional<Block> c2;
  if (qc_b2) {
    c2 = s.MakeBlock(2, b2, *qc_b2, 4);
    for (uint32_t to : {kA, kY}) s.Inject(to, ProposalMsg{*c2, SyncInfo{*qc_b2, g, {}}});
  }
  s.Run();
  const auto qc_c1 = s.AssembleQc(c1);
  s.Expect(qc_c1.has_value(), "QC(C1) from A, X and v0");
  if (qc_c1) s.Inject(kX, SyncMsg{SyncInfo{*qc_c1, *qc_c1, {}}});
  if (c2) {
    if (const auto qc_c2 = s.AssembleQc(*c2)) s.Inject(kY, SyncMsg{SyncInfo{*qc_c2, *qc_c2, {}}});
  }
  s.Run();
  s.Expect(s.Committed(kX, b.id), "X commits B through QC(C1)");
  s.Heal();
  return s.Finish();
}

// (a) Consecutive rounds of the commit rule. Leaders v0 (Byzantine) in rounds 1-4, X = v2 in 5,
// A = v1 in 6. Round 1: B0 (genesis) voted by Z = v3 and A; v0 keeps QC(B0). Round 1 times out
// (TC(1), max_hqc 0). Round 2: B' (genesis, TC(1)) voted by A and X; v0 keeps QC(B'). Round 2
// times out (TC(2), max_hqc 0). Round 3: B1 on QC(B0) with TC(2), voted by Z and A; v0 shows
// QC(B1) (round 3, parent round 1: not a commit QC) to Z only, and from then on Z is cut off.
// Round 3 times out with v0 reporting QC(B') (TC(3), max_hqc 2). Round 4: B'' on QC(B') with
// TC(3), voted by A and X; X extends it in round 5 and A commits B' and B'' through QC(round 5).
// Without the consecutive-round check Z commits B0 at height 1 upon QC(B1).
Outcome CommitRoundGap(Canary c) {
  Script s(c, {0, 0, 0, 0, 2, 1});
  constexpr uint32_t kA = 1, kX = 2, kZ = 3;
  s.set_drop([](uint32_t from, uint32_t to, const Message* m) {
    if (from == kByz || (from != kZ && to != kZ)) return false;
    return m == nullptr || MessageRound(*m) >= 3 || SyncOf(*m).highest_qc.round() >= 3;
  });
  s.StartAll();
  s.Run();
  const QuorumCert g = s.genesis_qc();
  const Block b0 = s.MakeBlock(1, s.genesis(), g, 1);
  for (uint32_t to : {kZ, kA}) s.Inject(to, ProposalMsg{b0, SyncInfo{g, g, {}}});
  s.Run();
  for (uint32_t i : {kA, kX, kZ}) s.Timeout(i);
  s.Run();
  const auto tc1 = s.engine(kA).CurrentSyncInfo().highest_tc;
  s.Expect(tc1 && tc1->round == 1 && s.engine(kZ).current_round() == 2, "TC(1)");
  if (!tc1) return s.Finish();
  const Block bp = s.MakeBlock(2, s.genesis(), g, 2);
  for (uint32_t to : {kA, kX}) s.Inject(to, ProposalMsg{bp, SyncInfo{g, g, tc1}});
  s.Run();
  for (uint32_t i : {kA, kX, kZ}) s.Timeout(i);
  s.Run();
  const auto tc2 = s.engine(kA).CurrentSyncInfo().highest_tc;
  const auto qc_b0 = s.AssembleQc(b0);
  const auto qc_bp = s.AssembleQc(bp);
  s.Expect(tc2 && tc2->round == 2 && tc2->MaxHqcRound() == 0, "TC(2) with max_hqc 0");
  s.Expect(qc_b0 && qc_bp, "QC(B0) and QC(B') at v0");
  if (!tc2 || !qc_b0 || !qc_bp) return s.Finish();
  const Block b1 = s.MakeBlock(3, b0, *qc_b0, 3);
  for (uint32_t to : {kZ, kA}) s.Inject(to, ProposalMsg{b1, SyncInfo{*qc_b0, g, tc2}});
  s.Run();
  const auto qc_b1 = s.AssembleQc(b1);
  s.Expect(qc_b1.has_value(), "QC(B1) from Z, A and v0");
  if (!qc_b1) return s.Finish();
  s.Inject(kZ, SyncMsg{SyncInfo{*qc_b1, *qc_b1, {}}});
  s.Run();
  s.Expect(s.ledger(kZ).empty(), "QC(B1) is not a commit QC (rounds 1 and 3)");
  // Round 3 times out among v0 (reporting QC(B')), A and X.
  s.Timeout(kA);
  s.Timeout(kX);
  for (uint32_t to : {kA, kX}) {
    s.Inject(to, TimeoutMsg{s.ByzTimeout(3, *qc_bp), SyncInfo{*qc_bp, g, tc2}});
  }
  s.Run();
  const auto tc3 = s.engine(kA).CurrentSyncInfo().highest_tc;
  s.Expect(tc3 && tc3->round == 3 && tc3->MaxHqcRound() == 2, "TC(3) with max_hqc 2");
  if (!tc3) return s.Finish();
  const Block bpp = s.MakeBlock(4, bp, *qc_bp, 4);
  for (uint32_t to : {kA, kX}) s.Inject(to, ProposalMsg{bpp, SyncInfo{*qc_bp, g, tc3}});
  s.Inject(s.leader(5), VoteMsg{s.ByzVote(bpp), SyncInfo{*qc_bp, g, tc3}});
  s.Run();  // QC(B'') at X, which proposes in round 5
  s.VoteForProposals(5);
  s.Run();  // QC(round 5) at A: A commits B' and B''
  s.Expect(s.Committed(kA, bp.id), "A commits B' through a consecutive 2-chain");
  s.Heal();
  s.Expect(s.Committed(kZ, bp.id), "Z commits B' after healing");
  return s.Finish();
}

struct Directed {
  const char* name;
  Canary target;
  Outcome (*run)(Canary);
};

const Directed kDirected[] = {
    {"tc-stale-qc", Canary::kTcCondition, TcStaleQc},
    {"persist-crash-equivocation", Canary::kPersist, PersistCrash},
    {"commit-round-gap", Canary::kCommitRule, CommitRoundGap},
};

}  // namespace

uint64_t DirectedCount() { return std::size(kDirected); }

const char* DirectedName(uint64_t index) {
  return index >= 1 && index <= DirectedCount() ? kDirected[index - 1].name : "?";
}

Canary DirectedTarget(uint64_t index) {
  return index >= 1 && index <= DirectedCount() ? kDirected[index - 1].target : Canary::kNone;
}

Scenario DirectedScenario(uint64_t index, Canary canary) {
  return ScriptedScenario("directed", index, canary);
}

Outcome RunDirected(const Scenario& s) {
  if (s.seed < 1 || s.seed > DirectedCount()) {
    Outcome o;
    o.ok = false;
    o.violation = "no directed scenario " + std::to_string(s.seed);
    return o;
  }
  return kDirected[s.seed - 1].run(s.canary);
}

}  // namespace laurel::sim

// Adversarial scenarios: a randomized adversary drives the scripted cluster (script.h) — n = 4,
// key 0 Byzantine, the other keys real engines — and controls the whole network.
//
// Each scenario is a plan drawn from its seed (adversarial_plan.h), then a walk of at most
// `steps` adversary moves. A move is:
//   - deliver a pending message, picked with the plan's weights per kind of message (so that
//     e.g. proposals arrive after the receiver's round timed out, or votes only after
//     timeouts), or drop it;
//   - fire an honest node's round timer (once it has been in its round for `patience` moves);
//   - act as key 0: in a round it leads, propose (up to `equivocate` different blocks per round)
//     on a certified block of its choice — the highest, a random one, or the lowest the round's
//     TC lets honest nodes vote for — with the TC it knows; time out with a low QC; vote; or
//     reveal a QC or TC it knows to some honest nodes.
// The adversary reads every message and assembles every QC and TC it can, adding key 0's own
// signature and choosing the timeouts with the lowest QCs.
//
// Strategies. "random": proposals and reveals go to random subsets of honest nodes. "fork":
// every honest node is on side A, side B or both; key 0 grows one fork per side (its blocks for
// a side extend that side's certified blocks and reach only that side, and so do the QCs it
// reveals; its timeouts go to the side it is not growing), and honest messages between the two
// sides are delivered `leak` times as often (0: only when the run heals). The tactics of the
// split family shape the fork strategy further (adversarial_plan.h).
//
// Faults. Crash points follow signed outputs, and a "victim" may crash right after its votes;
// with `lose_blocks` a crash also loses the node's saved blocks, so it restarts from its safety
// record and ledger only (safety must not need more). Fetch replies are never dropped (see
// DeliverOne). In some plans key 1 is a compromised host: no engine, and the adversary asks its
// real SafetyRules — nothing else guards the key — to sign votes on the blocks key 0 proposes or
// votes for and timeouts with low QCs (before or after voting in a round, "hedging" before it
// moves on); the host may crash, losing what its signer did not sync. Two faulty hosts exceed
// f = 1, so liveness is not owed and those plans check safety only; the others end with
// Script::Heal, in which every honest node must commit two more blocks.
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>

#include "tests/sim/adversarial_plan.h"
#include "tests/sim/script.h"
#include "tests/sim/simulator.h"

namespace laurel::sim {

using namespace laurel::consensus;

namespace {

using namespace script;
using namespace adversarial;

Kind KindOf(const Pending& p) {
  if (!p.msg) return kFetch;
  if (std::holds_alternative<ProposalMsg>(*p.msg)) return kProposal;
  if (std::holds_alternative<VoteMsg>(*p.msg)) return kVote;
  if (std::holds_alternative<TimeoutMsg>(*p.msg)) return kTimeout;
  return kSync;
}

class Adversary {
 public:
  explicit Adversary(const Scenario& s)
      : plan_(MakePlan(s.seed)),
        rng_(Mix(s.seed) ^ 0x6a09e667f3bcc909ULL),
        s_(s.canary, plan_.leaders) {
    qcs_.emplace(s_.genesis().id, s_.genesis_qc());
    fork_.emplace(s_.genesis().id, kBoth);
    if (plan_.signer) s_.MakeSignerOnly(kSigner);
    s_.set_on_send([this](uint32_t from, const Message& m) { Observe(from, m); });
    s_.set_on_output([this](uint32_t i, const Outputs& out) { MaybeCrash(i, out); });
    if (plan_.isolated >= 0) {
      const uint32_t iso = static_cast<uint32_t>(plan_.isolated);
      const Round lo = plan_.iso_from, hi = plan_.iso_to;
      s_.set_drop([iso, lo, hi](uint32_t from, uint32_t to, const Message* m) {
        if ((from != iso && to != iso) || m == nullptr) return false;
        const Round r = MessageRound(*m);
        return r >= lo && r <= hi;
      });
    }
  }

  Outcome Run() {
    s_.StartAll();
    for (uint32_t step = 0; step < plan_.steps && s_.ok(); ++step) {
      if (AllPast(kPlanRounds + 4)) break;
      s_.AdvanceClock(1);
      NoteRounds(step);
      const double deliver = PendingWeight() > 0 ? 1.0 : 0.0;
      const double x = Uniform() * (deliver + plan_.timer + plan_.byz);
      if (x < deliver) {
        DeliverOne();
      } else if (x < deliver + plan_.timer) {
        const uint32_t i = RandomHonest(step);
        if (i != kN) {
          Trace("timer of %u", i);
          s_.Timeout(i);
        }
      } else {
        ByzMove();
      }
      // A late proposer reacts to the first honest timeout of its round.
      while (!late_.empty() && s_.ok()) {
        const Round r = *late_.begin();
        late_.erase(late_.begin());
        if (proposed_[r] == 0) Propose(r, s_.leader(r));
      }
    }
    s_.Heal(/*check_liveness=*/!plan_.signer);
    return s_.Finish();
  }

 private:
  // LAUREL_SIM_TRACE=1: one line per move of the adversary.
  template <typename... A>
  void Trace(const char* fmt, A... args) {
    if (!trace_) return;
    std::fprintf(stderr, "[adv] ");
    std::fprintf(stderr, fmt, args...);
    std::fprintf(stderr, "  | rounds");
    for (uint32_t i = 0; i < kN; ++i) {
      if (s_.HasEngine(i) && s_.Up(i)) {
        std::fprintf(stderr, " %u:r%llu/hqc%llu", i,
                     static_cast<unsigned long long>(s_.engine(i).current_round()),
                     static_cast<unsigned long long>(s_.engine(i).high_qc().round()));
      }
    }
    std::fprintf(stderr, "\n");
  }
  static unsigned long long U(uint64_t x) { return x; }

  double Uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  uint64_t Rand(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool Faulty(uint32_t k) const { return k == kByz || (plan_.signer && k == kSigner); }

  // Notes the step at which each honest node entered its current round.
  void NoteRounds(uint32_t step) {
    for (uint32_t i = 0; i < kN; ++i) {
      if (!s_.HasEngine(i) || !s_.Up(i)) continue;
      auto& [round, since] = entered_[i];
      if (round != s_.engine(i).current_round()) {
        round = s_.engine(i).current_round();
        since = step;
      }
    }
  }
  // An honest engine that is up (and, given the step, has been in its round for the plan's
  // patience), or kN if none.
  uint32_t RandomHonest(std::optional<uint32_t> step = std::nullopt) {
    std::vector<uint32_t> c;
    for (uint32_t i = 0; i < kN; ++i) {
      if (!s_.HasEngine(i) || !s_.Up(i)) continue;
      if (step && *step < entered_[i].second + plan_.patience) continue;
      c.push_back(i);
    }
    return c.empty() ? kN : c[Rand(c.size())];
  }
  // Honest engines that see fork f (kBoth: a non-empty random subset of all of them).
  std::vector<uint32_t> Receivers(uint8_t f) {
    std::vector<uint32_t> all;
    for (uint32_t i = 0; i < kN; ++i) {
      if (s_.HasEngine(i) && (f == kBoth || plan_.side[i] == f || plan_.side[i] == kBoth)) {
        all.push_back(i);
      }
    }
    if (f != kBoth || all.empty()) return all;
    std::vector<uint32_t> res;
    while (res.empty()) {
      for (uint32_t i : all) {
        if (Uniform() < 0.5) res.push_back(i);
      }
    }
    return res;
  }
  bool AllPast(Round r) {
    for (uint32_t i = 0; i < kN; ++i) {
      if (s_.HasEngine(i) && s_.Up(i) && s_.engine(i).current_round() <= r) return false;
    }
    return true;
  }

  double Weight(const Pending& p) const {
    double w = plan_.weight[KindOf(p)] * (Faulty(p.from) ? plan_.faulty_first : 1);
    if (plan_.fork && !Faulty(p.from) && !Faulty(p.to) && plan_.side[p.from] != kBoth &&
        plan_.side[p.to] != kBoth && plan_.side[p.from] != plan_.side[p.to]) {
      w *= plan_.leak;
    }
    return w;
  }

  double PendingWeight() const {
    double total = 0;
    for (size_t k = 0; k < s_.pending(); ++k) total += Weight(s_.pending_at(k));
    return total;
  }

  // Delivers (or drops) a pending message of positive weight, picked by weight. Messages of
  // weight 0 (between the sides, with leak 0) wait for Heal.
  void DeliverOne() {
    double x = Uniform() * PendingWeight();
    size_t k = 0;
    for (; k + 1 < s_.pending(); ++k) {
      const double w = Weight(s_.pending_at(k));
      x -= w;
      if (x < 0 && w > 0) break;
    }
    while (Weight(s_.pending_at(k)) == 0) --k;  // the last positive one (x ran past the end)
    if (trace_) {
      const Pending& p = s_.pending_at(k);
      static const char* const kNames[] = {"proposal", "vote", "timeout", "sync", "fetch"};
      Trace("deliver %s r%llu %u->%u", kNames[KindOf(p)], U(p.msg ? MessageRound(*p.msg) : 0),
            p.from, p.to);
    }
    // Fetch replies are late but never lost: the engine asks for a missing block once per QC
    // it learns and the host does not ask again, so a lost reply can leave a chain of orphans
    // unfetched for good (docs/spec/consensus.md, known gaps).
    if (Uniform() < plan_.drop && KindOf(s_.pending_at(k)) != kFetch) {
      s_.DropAt(k);
    } else {
      s_.DeliverAt(k);
    }
  }

  void MaybeCrash(uint32_t i, const Outputs& out) {
    if (crashes_ >= plan_.max_crashes) return;
    bool signed_something = false;
    bool vote = false;
    for (const Outbound& o : out.sends) {
      signed_something = signed_something || !std::holds_alternative<SyncMsg>(o.message);
      vote = vote || std::holds_alternative<VoteMsg>(o.message);
    }
    double p = signed_something ? plan_.crash_after_send : 0;
    if (vote && static_cast<int>(i) == plan_.victim) p = std::max(p, plan_.crash_after_vote);
    if (Uniform() >= p) return;
    ++crashes_;
    // Time passes across a restart: a restarted leader's block differs from its first one.
    s_.AdvanceClock(1);
    s_.CrashRestart(i, plan_.lose_blocks);
  }

  // ---- What the adversary knows ----

  void LearnQc(const QuorumCert& qc) {
    if (!qc.signatures.empty()) qcs_.emplace(qc.block_id(), qc);
  }
  void LearnTc(const TimeoutCert& tc) {
    auto it = tcs_.find(tc.round);
    if (it == tcs_.end() || tc.MaxHqcRound() < it->second.MaxHqcRound()) {
      tcs_[tc.round] = tc;
      Trace("tc%llu max%llu", U(tc.round), U(tc.MaxHqcRound()));
    }
  }
  void LearnSync(const SyncInfo& s) {
    LearnQc(s.highest_qc);
    LearnQc(s.highest_commit_qc);
    if (s.highest_tc) LearnTc(*s.highest_tc);
  }
  void LearnBlock(const Block& b, uint8_t fork) {
    LearnQc(b.qc);
    fork_.emplace(b.id, fork);
    if (!seen_.insert(b.id).second) return;
    // Key 0 signs every block it sees: its signature completes any quorum the adversary needs.
    AddVote(SignVote(VoteDataFor(b), kByz, Key(kByz)));
  }
  uint8_t ForkOf(const BlockId& id) const {
    auto it = fork_.find(id);
    return it == fork_.end() ? kBoth : it->second;
  }
  void AddVote(const Vote& v) {
    auto& agg = votes_[VoteSignBytes(v.data)];
    agg.first = v.data;
    agg.second.emplace(v.signer, v.signature);
    if (agg.second.size() < s_.validators().quorum() || qcs_.count(v.data.block_id) != 0) return;
    QuorumCert qc{agg.first, {}};
    for (const auto& [signer, sig] : agg.second) {
      if (qc.signatures.size() < s_.validators().quorum()) qc.signatures.push_back({signer, sig});
    }
    qcs_.emplace(qc.block_id(), qc);
    Trace("assembled qc%llu %s", U(qc.round()), ShortId(qc.block_id()).c_str());
  }
  void AddTimeout(const TimeoutVote& t) {
    LearnQc(t.high_qc);
    auto& m = timeouts_[t.round];
    auto it = m.find(t.signer);
    if (it != m.end() && it->second.high_qc.round() <= t.high_qc.round()) return;
    m[t.signer] = t;
    if (m.size() < s_.validators().quorum()) return;
    // The quorum with the lowest QCs.
    std::vector<const TimeoutVote*> low;
    for (const auto& [signer, tv] : m) low.push_back(&tv);
    std::stable_sort(low.begin(), low.end(), [](const TimeoutVote* a, const TimeoutVote* b) {
      return a->high_qc.round() < b->high_qc.round();
    });
    low.resize(s_.validators().quorum());
    std::sort(low.begin(), low.end(),
              [](const TimeoutVote* a, const TimeoutVote* b) { return a->signer < b->signer; });
    TimeoutCert tc;
    tc.epoch = t.epoch;
    tc.round = t.round;
    for (const TimeoutVote* tv : low) {
      tc.entries.push_back({tv->signer, tv->high_qc.round(), tv->signature});
      if (tc.entries.size() == 1 || tv->high_qc.round() > tc.high_qc.round()) {
        tc.high_qc = tv->high_qc;
      }
    }
    LearnTc(tc);
  }

  void Observe(uint32_t from, const Message& m) {
    LearnSync(SyncOf(m));
    if (const auto* p = std::get_if<ProposalMsg>(&m)) {
      const uint8_t side = plan_.side[from];
      LearnBlock(p->block, side != kBoth ? side : ForkOf(p->block.parent_id));
    }
    if (const auto* v = std::get_if<VoteMsg>(&m)) AddVote(v->vote);
    if (const auto* t = std::get_if<TimeoutMsg>(&m)) {
      AddTimeout(t->timeout);
      const Round r = t->timeout.round;
      if (plan_.late_propose && !Faulty(from) && Faulty(s_.leader(r)) && proposed_[r] == 0) {
        late_.insert(r);
      }
    }
  }

  const TimeoutCert* Tc(Round r) const {
    auto it = tcs_.find(r);
    return it == tcs_.end() ? nullptr : &it->second;
  }
  // Known QCs below round r on fork f (kBoth: any), lowest round first.
  std::vector<const QuorumCert*> QcsBelow(Round r, uint8_t f = kBoth) const {
    std::vector<const QuorumCert*> res;
    for (const auto& [id, qc] : qcs_) {
      const uint8_t qf = ForkOf(id);
      if (qc.round() < r && (f == kBoth || qf == f || qf == kBoth)) res.push_back(&qc);
    }
    std::stable_sort(res.begin(), res.end(), [](const QuorumCert* a, const QuorumCert* b) {
      return a->round() < b->round();
    });
    return res;
  }
  // A low QC, as a node that missed the recent ones would report: the lowest with probability
  // 3/4 (fork strategy: 19/20), else a random one.
  const QuorumCert& LowQc(Round r) {
    const auto qcs = QcsBelow(r);
    return Uniform() < (plan_.fork ? 0.95 : 0.75) ? *qcs.front() : *qcs[Rand(qcs.size())];
  }
  SyncInfo SyncFor(const QuorumCert& qc, const TimeoutCert* tc) const {
    return SyncInfo{qc, s_.genesis_qc(), tc ? std::optional<TimeoutCert>(*tc) : std::nullopt};
  }

  // ---- Moves of key 0 (and of the compromised host) ----

  // The rounds key 0 can act in: those of the honest nodes, and the round after the highest
  // QC and TC it knows (a proposal carrying them pulls honest nodes into that round).
  Round PickRound() {
    std::vector<Round> rounds;
    for (uint32_t i = 0; i < kN; ++i) {
      if (s_.HasEngine(i) && s_.Up(i)) rounds.push_back(s_.engine(i).current_round());
    }
    Round top_qc = 0;
    for (const auto& [id, qc] : qcs_) top_qc = std::max(top_qc, qc.round());
    rounds.push_back(top_qc + 1);
    if (!tcs_.empty()) rounds.push_back(tcs_.rbegin()->first + 1);
    return rounds[Rand(rounds.size())];
  }

  void ByzMove() {
    const Round r = PickRound();
    const uint32_t leader = s_.leader(r);
    if (Faulty(leader) && proposed_[r] < plan_.equivocate &&
        (proposed_[r] == 0 || Uniform() < 0.5) && (!plan_.late_propose || HonestTimedOut(r))) {
      Propose(r, leader);
      return;
    }
    const double x = Uniform() * (plan_.w_timeout + plan_.w_reveal + plan_.w_vote);
    if (x < plan_.w_timeout) {
      // A late proposer does not end its own round before its block is out; an honest node
      // counts one timeout per signer and round, so two are plenty.
      const bool waiting = plan_.late_propose && Faulty(leader) && proposed_[r] == 0;
      if ((!plan_.follow_timeouts || HonestTimedOut(r)) && !waiting && timed_out_[r] < 2) {
        ++timed_out_[r];
        TimeoutMove(r);
      }
    } else if (x < plan_.w_timeout + plan_.w_reveal) {
      Reveal();
    } else {
      VoteMove(r);
    }
  }

  bool HonestTimedOut(Round r) const {
    auto it = timeouts_.find(r);
    if (it == timeouts_.end()) return false;
    for (const auto& [signer, t] : it->second) {
      if (!Faulty(signer)) return true;
    }
    return false;
  }

  void Propose(Round r, uint32_t proposer) {
    // Fork strategy: the round's first block is for fork A before the switch round and for
    // fork B from it on; a second one (equivocation) for the other fork.
    uint8_t f = kBoth;
    if (plan_.fork) f = static_cast<uint8_t>((MainFork(r) + proposed_[r]) % 2);
    ++proposed_[r];
    const TimeoutCert* tc = Tc(r - 1);
    const auto qcs = QcsBelow(r, f);
    const QuorumCert* parent_qc = qcs.back();  // the highest, as an honest leader would
    // The random strategy mixes the three choices; the fork strategy mostly extends the fork
    // with its round's first block and mostly goes low with the second.
    double random = 0.4, low = 0.7;
    if (plan_.fork) {
      random = 0.1;
      low = proposed_[r] == 1 ? 0.2 : 0.6;
    }
    const double x = Uniform();
    if (x < random) {
      parent_qc = qcs[Rand(qcs.size())];
    } else if (x < low && tc != nullptr) {
      // The lowest QC the TC lets honest nodes vote for: the boundary of the voting rule.
      for (const QuorumCert* q : qcs) {
        if (q->round() >= tc->MaxHqcRound()) {
          parent_qc = q;
          break;
        }
      }
    }
    const bool extends = parent_qc->round() + 1 == r;
    const Block* parent = s_.FindBlock(parent_qc->block_id());
    // Nobody would look at a block that neither extends QC(r-1) nor carries TC(r-1).
    if (parent == nullptr || (!extends && tc == nullptr)) {
      --proposed_[r];
      return;
    }
    const Block b = s_.MakeBlockBy(proposer, *parent, *parent_qc, r,
                                   Bytes{0xbd, static_cast<uint8_t>(Rand(256))});
    LearnBlock(b, f);
    Trace("propose r%llu fork%d %s h%llu on qc%llu tc%lld", U(r), f, ShortId(b.id).c_str(),
          U(b.height), U(parent_qc->round()), tc ? static_cast<long long>(tc->MaxHqcRound()) : -1);
    const SyncInfo sync = SyncFor(*parent_qc, extends ? nullptr : tc);
    for (uint32_t to : Receivers(f)) s_.InjectFrom(proposer, to, ProposalMsg{b, sync});
    SendVote(SignVote(VoteDataFor(b), kByz, Key(kByz)), sync);
    if (plan_.signer) SignerVote(b);
  }

  void SendVote(const Vote& v, const SyncInfo& sync) {
    const uint32_t next = s_.leader(v.data.round + 1);
    if (!Faulty(next)) s_.InjectFrom(v.signer, next, VoteMsg{v, sync});
  }

  // The compromised host asks its safety rules for a vote, as its engine would on an input
  // (the record left unsynced by canary (c) is synced first), and may crash right after.
  void SignerVote(const Block& b) {
    // Hedging: before a vote in a later round, time out (low) in the round last voted in, so
    // that a TC of that round without the QCs voted for stays possible.
    const SafetyRecord& rec = s_.Signer(kSigner)->record();
    if (plan_.hedge && rec.last_voted_round >= 1 && rec.last_voted_round < b.round &&
        rec.highest_timeout_round < rec.last_voted_round) {
      TimeoutMove(rec.last_voted_round);
    }
    // ... and it may also time out in the block's own round first, then ask for the vote.
    if (s_.Signer(kSigner)->record().highest_timeout_round < b.round &&
        Uniform() < plan_.pre_timeout) {
      SignerTimeout(b.round);
    }
    SafetyRules& rules = *s_.Signer(kSigner);
    if (!rules.FlushDeferred().ok()) return;
    auto v = rules.VoteOn(b, Tc(b.round - 1));
    Trace("signer vote r%llu %s: %s", U(b.round), ShortId(b.id).c_str(),
          v.ok() ? "ok" : v.status().ToString().c_str());
    if (!v.ok()) return;
    AddVote(*v);
    SendVote(*v, SyncFor(b.qc, Tc(b.round - 1)));
    if (Uniform() < plan_.signer_crash) s_.CrashSigner(kSigner);
  }

  // The fork that key 0 is not growing in round r (fork strategy): its side gets the timeouts,
  // so that the other side votes undisturbed (f+1 timeouts would make it time out too).
  uint8_t IdleFork(Round r) const { return plan_.fork ? 1 - MainFork(r) : kBoth; }
  // The fork key 0 grows in round r (fork strategy).
  uint8_t MainFork(Round r) const {
    if (plan_.alternate) return static_cast<uint8_t>(1 - r % 2);
    return r >= plan_.switch_round ? 1 : 0;
  }

  void TimeoutMove(Round r) {
    const TimeoutCert* tc = Tc(r - 1);
    const QuorumCert& hqc = LowQc(r);
    const TimeoutVote t = SignTimeout(s_.genesis().id, kEpoch, r, hqc, kByz, Key(kByz));
    AddTimeout(t);
    Trace("byz timeout r%llu hqc%llu", U(r), U(hqc.round()));
    const SyncInfo sync = SyncFor(hqc, tc);
    for (uint32_t to : Receivers(IdleFork(r))) s_.Inject(to, TimeoutMsg{t, sync});
    if (plan_.signer) SignerTimeout(r);
  }

  // The compromised host asks its safety rules for a timeout of round r with a low QC: any,
  // when TC(r-1) lets the timeout follow it; else QC(r-1).
  void SignerTimeout(Round r) {
    const TimeoutCert* tc = Tc(r - 1);
    const QuorumCert* shqc = tc != nullptr ? &LowQc(r) : nullptr;
    if (shqc == nullptr) {
      for (const auto& [id, qc] : qcs_) {
        if (qc.round() + 1 == r) shqc = &qc;
      }
    }
    if (shqc == nullptr) return;
    SafetyRules& rules = *s_.Signer(kSigner);
    if (!rules.FlushDeferred().ok()) return;
    auto st = rules.SignTimeout(r, *shqc, tc);
    Trace("signer timeout r%llu hqc%llu: %s", U(r), U(shqc->round()),
          st.ok() ? "ok" : st.status().ToString().c_str());
    if (!st.ok()) return;
    AddTimeout(*st);
    for (uint32_t to : Receivers(IdleFork(r))) {
      s_.InjectFrom(kSigner, to, TimeoutMsg{*st, SyncFor(*shqc, tc)});
    }
  }

  void VoteMove(Round r) {
    // Key 0 (and the compromised host) vote for a random known block of round r.
    std::vector<const Block*> blocks;
    for (const BlockId& id : seen_) {
      const Block* b = s_.FindBlock(id);
      if (b != nullptr && b->round == r) blocks.push_back(b);
    }
    if (blocks.empty()) return;
    const Block& b = *blocks[Rand(blocks.size())];
    SendVote(SignVote(VoteDataFor(b), kByz, Key(kByz)), SyncFor(b.qc, Tc(r - 1)));
    if (plan_.signer) SignerVote(b);
  }

  void Reveal() {
    if (!tcs_.empty() && Uniform() < 0.3) {
      auto it = tcs_.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(Rand(tcs_.size())));
      const TimeoutCert& tc = it->second;
      Trace("reveal tc%llu max%llu", U(tc.round), U(tc.MaxHqcRound()));
      for (uint32_t to : Receivers(kBoth)) s_.Inject(to, SyncMsg{SyncFor(tc.high_qc, &tc)});
      return;
    }
    // Withholding: with `reveal_commits`, only QCs that commit (consecutive rounds) are shown;
    // the others reach honest nodes only inside the blocks that extend them.
    std::vector<const QuorumCert*> qcs;
    for (const auto& [id, qc] : qcs_) {
      const bool commit = qc.data.parent_round + 1 == qc.data.round && qc.data.parent_round > 0;
      if (!qc.signatures.empty() && (commit || !plan_.reveal_commits)) qcs.push_back(&qc);
    }
    if (qcs.empty()) return;
    const QuorumCert& qc = *qcs[Rand(qcs.size())];
    Trace("reveal qc%llu %s", U(qc.round()), ShortId(qc.block_id()).c_str());
    const bool commit = qc.data.parent_round + 1 == qc.data.round;
    // Fork strategy: a QC is shown only on its own side.
    const uint8_t f = plan_.fork ? ForkOf(qc.block_id()) : kBoth;
    for (uint32_t to : Receivers(f)) {
      s_.Inject(to, SyncMsg{SyncInfo{qc, commit ? qc : s_.genesis_qc(), std::nullopt}});
    }
  }

  Plan plan_;
  std::mt19937_64 rng_;
  Script s_;
  uint32_t crashes_ = 0;
  std::map<BlockId, QuorumCert> qcs_;  // every QC known, by certified block
  std::map<Round, TimeoutCert> tcs_;   // per round, the known TC with the lowest max hqc
  std::map<Bytes, std::pair<VoteData, std::map<uint32_t, Signature>>> votes_;
  std::map<Round, std::map<uint32_t, TimeoutVote>> timeouts_;
  std::set<BlockId> seen_;               // blocks seen (key 0 signed each)
  std::map<BlockId, uint8_t> fork_;      // fork strategy: the fork of each block
  std::map<Round, uint32_t> proposed_;   // blocks key 0 proposed per round
  std::map<Round, uint32_t> timed_out_;  // timeouts of key 0 per round (TimeoutMove)
  std::set<Round> late_;                 // rounds whose late proposal is due
  // Per node: its round when last looked, and the step it was first seen in it.
  std::pair<Round, uint32_t> entered_[kN] = {};
  bool trace_ = std::getenv("LAUREL_SIM_TRACE") != nullptr;
};

}  // namespace

Scenario AdversarialScenario(uint64_t seed, Canary canary) {
  return ScriptedScenario("adversarial", seed, canary);
}

std::string DescribeAdversarialPlan(uint64_t seed) {
  return adversarial::DescribePlan(adversarial::MakePlan(seed));
}

Outcome RunAdversarial(const Scenario& s) {
  Adversary a(s);
  return a.Run();
}

}  // namespace laurel::sim

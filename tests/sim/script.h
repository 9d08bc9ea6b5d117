// A scripted cluster for the directed and adversarial scenarios: n = 4 real engines in one
// thread with no clock of their own, whose message delivery, round timers and crashes are
// decided by the caller (a script or a randomized adversary).
//
// Key 0 is Byzantine: it has no engine, and the caller signs and sends its messages (Inject);
// what reaches it is kept in its inbox. A second key may be made a "compromised host"
// (MakeSignerOnly): it has no engine either, and the caller asks its real SafetyRules, not an
// engine, to sign — so its signatures still obey the safety rules. Every other key runs a real
// engine.
//
// Messages wait in one pool. Run() delivers them first in, first out; the adversarial search
// picks which to deliver or drop (DeliverAt, DropAt). Agreement, ledger order and commit
// certificates are checked on every commit of every engine, as in the event-driven simulator.
// Heal() then ends the script: no partition, the faulty keys silent, timers fired whenever the
// cluster is quiet; every engine must commit two more blocks.
//
// Thread safety: none. Deterministic: the same calls give the same run.
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "consensus/engine.h"
#include "tests/sim/simulator.h"

namespace laurel::sim {

namespace script {

using namespace laurel::consensus;

inline constexpr std::string_view kChainId = "laurel-sim-directed";
inline constexpr uint64_t kEpoch = 1;
inline constexpr uint32_t kN = 4;
inline constexpr uint32_t kByz = 0;  // the Byzantine key in every script
inline constexpr uint64_t kMaxDeliveries = 200000;

inline const crypto::PrivateKey& Key(uint32_t i) {
  static const std::vector<crypto::PrivateKey> keys = MakeKeys(0xd1, kN);
  return keys[i];
}

class FixedClock : public Clock {
 public:
  uint64_t NowMs() const override { return now; }
  uint64_t now = 1000;
};

// Payloads are always ready and name their proposer and round.
class ReadyPayload : public PayloadSource {
 public:
  explicit ReadyPayload(uint32_t idx) : idx_(idx) {}
  std::optional<Bytes> Pull(Round round, uint64_t height) override {
    return Bytes{static_cast<uint8_t>(idx_), static_cast<uint8_t>(round),
                 static_cast<uint8_t>(height)};
  }

 private:
  uint32_t idx_;
};

struct Node {
  MemorySafetyStore store;
  MemoryBlockStore blocks;
  std::vector<CommittedBlock> ledger;
  std::unique_ptr<ReadyPayload> payload;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<SafetyRules> signer;  // a compromised host's own safety rules
  bool faulty = false;                  // no engine: key 0, or a compromised host
  bool up = false;
};

struct Pending {
  uint32_t from = 0;
  uint32_t to = 0;
  std::optional<Message> msg;  // a message, or else fetched blocks
  std::vector<Block> blocks;
};

// The Scenario of a scripted run: n = 4, key 0 Byzantine (the script is the adversary).
inline Scenario ScriptedScenario(std::string mode, uint64_t seed, Canary canary) {
  Scenario s;
  s.mode = std::move(mode);
  s.seed = seed;
  s.n = kN;
  s.twins = 1;
  s.adversary = true;
  s.max_delay_ms = 0;
  s.canary = canary;
  return s;
}

inline const SyncInfo& SyncOf(const Message& m) {
  return std::visit([](const auto& x) -> const SyncInfo& { return x.sync; }, m);
}

class Script {
 public:
  // drop(from, to, msg): the partition; msg is null for a block fetch.
  using DropFn = std::function<bool(uint32_t, uint32_t, const Message*)>;
  // Called for every message an engine sends (once per send, whoever it goes to).
  using SendFn = std::function<void(uint32_t from, const Message&)>;
  // Called after an engine handled an input and its outputs were queued (they have left). The
  // caller may crash the node here (a crash point).
  using OutputFn = std::function<void(uint32_t i, const Outputs& out)>;

  Script(Canary canary, std::vector<uint32_t> leaders)
      : canary_(canary),
        genesis_(GenesisBlock(kEpoch, kChainId)),
        election_(std::move(leaders)),
        validators_(kEpoch, PublicKeys(), genesis_.id, &checker_, &election_),
        hooks_(HooksFor(canary)) {
    for (uint32_t i = 0; i < kN; ++i) {
      nodes_.push_back(std::make_unique<Node>());
      nodes_[i]->payload = std::make_unique<ReadyPayload>(i);
    }
    nodes_[kByz]->faulty = true;
    all_blocks_.emplace(genesis_.id, genesis_);
  }

  bool canary_on() const { return canary_ != Canary::kNone; }
  const Block& genesis() const { return genesis_; }
  QuorumCert genesis_qc() const { return GenesisQc(genesis_); }
  Engine& engine(uint32_t i) { return *nodes_[i]->engine; }
  const std::vector<CommittedBlock>& ledger(uint32_t i) const { return nodes_[i]->ledger; }
  uint32_t leader(Round r) const { return validators_.Leader(r); }
  const ValidatorSet& validators() const { return validators_; }
  void set_drop(DropFn f) { drop_ = std::move(f); }
  void set_on_send(SendFn f) { on_send_ = std::move(f); }
  void set_on_output(OutputFn f) { on_output_ = std::move(f); }
  bool ok() const { return outcome_.ok; }
  // A key that runs a real engine (not key 0, not a compromised host).
  bool HasEngine(uint32_t i) const { return !nodes_[i]->faulty; }
  bool Up(uint32_t i) const { return nodes_[i]->up; }
  // Virtual time passes (block timestamps; the engines' own timers are not used).
  void AdvanceClock(uint64_t ms) { clock_.now += ms; }

  // Key i gets no engine: the caller signs for it through its own safety rules (Signer).
  // Call before StartAll.
  void MakeSignerOnly(uint32_t i) {
    Node& n = *nodes_[i];
    n.faulty = true;
    n.signer = std::make_unique<SafetyRules>(Key(i), i, kEpoch, genesis_.id, n.store, hooks_);
    if (!n.signer->Load(genesis_qc()).ok()) Fail(false, "signer load failed");
  }
  SafetyRules* Signer(uint32_t i) { return nodes_[i]->signer.get(); }
  // The compromised host crashes: its signer loses every unsynced write and reloads its record.
  void CrashSigner(uint32_t i) {
    Node& n = *nodes_[i];
    n.store.Crash();
    n.signer = std::make_unique<SafetyRules>(Key(i), i, kEpoch, genesis_.id, n.store, hooks_);
    if (!n.signer->Load(genesis_qc()).ok()) Fail(false, "signer reload failed");
    ++outcome_.crashes;
  }

  void StartAll() {
    for (uint32_t i = 0; i < kN; ++i) {
      if (HasEngine(i)) Start(i);
    }
  }

  // Crash point: loses every unsynced write of the safety record, then restarts from the synced
  // record, the block store and the committed ledger (as the event-driven simulator does). With
  // `lose_blocks` the node also loses its saved uncommitted blocks: it restarts from its safety
  // record and ledger alone, which must be enough for safety.
  void CrashRestart(uint32_t i, bool lose_blocks = false) {
    Node& n = *nodes_[i];
    n.store.Crash();
    n.engine.reset();
    n.up = false;
    if (lose_blocks) n.blocks = MemoryBlockStore();
    ++outcome_.crashes;
    Start(i);
  }

  // Round timer of node i fires.
  void Timeout(uint32_t i) {
    Outputs out;
    Engine& e = engine(i);
    Check(e.OnTimer(TimerKind::kRound, e.current_round(), out));
    Handle(i, out);
  }

  // A message signed by the Byzantine key, delivered to `to` (through the partition).
  void Inject(uint32_t to, Message m) { InjectFrom(kByz, to, std::move(m)); }
  // A message from a faulty key (key 0 or a compromised host).
  void InjectFrom(uint32_t from, uint32_t to, Message m) {
    if (const auto* p = std::get_if<ProposalMsg>(&m)) all_blocks_.emplace(p->block.id, p->block);
    queue_.push_back({from, to, std::move(m), {}});
  }

  // Delivers queued messages (FIFO) until none is left; what the partition drops is lost and
  // what goes to a faulty key is kept in the inbox.
  void Run() {
    while (!queue_.empty() && outcome_.ok) {
      Pending p = std::move(queue_.front());
      queue_.pop_front();
      Deliver(std::move(p));
    }
  }

  // The pool, for a caller that picks the delivery order itself.
  size_t pending() const { return queue_.size(); }
  const Pending& pending_at(size_t k) const { return queue_[k]; }
  void DeliverAt(size_t k) {
    Pending p = std::move(queue_[k]);
    queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(k));
    Deliver(std::move(p));
  }
  void DropAt(size_t k) { queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(k)); }

  // ---- The Byzantine key ----

  Block MakeBlock(Round round, const Block& parent, const QuorumCert& qc, uint8_t tag) {
    return MakeBlockBy(kByz, parent, qc, round, Bytes{0xbd, tag});
  }
  // A block of `round` on the block `qc` certifies, signed by faulty key `proposer`.
  Block MakeBlockBy(uint32_t proposer, const Block& parent, const QuorumCert& qc, Round round,
                    Bytes payload) {
    Block b;
    b.epoch = kEpoch;
    b.round = round;
    b.height = parent.height + 1;
    b.parent_id = parent.id;
    b.qc = qc;
    b.payload = std::move(payload);
    b.timestamp_ms = std::max(clock_.now, parent.timestamp_ms);
    b.proposer = proposer;
    SignBlock(b, Key(proposer));
    all_blocks_.emplace(b.id, b);
    return b;
  }
  Vote ByzVote(const Block& b) const { return SignVote(VoteDataFor(b), kByz, Key(kByz)); }
  TimeoutVote ByzTimeout(Round r, const QuorumCert& hqc) const {
    return SignTimeout(genesis_.id, kEpoch, r, hqc, kByz, Key(kByz));
  }
  // The QC of `b` from the votes in the Byzantine inbox plus its own, if they reach a quorum.
  std::optional<QuorumCert> AssembleQc(const Block& b) const {
    const VoteData d = VoteDataFor(b);
    std::map<uint32_t, Signature> sigs;
    const Vote own = ByzVote(b);
    sigs.emplace(own.signer, own.signature);
    for (const Message& m : inbox_) {
      const auto* v = std::get_if<VoteMsg>(&m);
      if (v != nullptr && v->vote.data == d) sigs.emplace(v->vote.signer, v->vote.signature);
    }
    if (sigs.size() < validators_.quorum()) return std::nullopt;
    return QuorumCert{d, {sigs.begin(), sigs.end()}};
  }
  // Honest proposals of round r that reached the Byzantine key.
  std::vector<Block> ProposalsSeen(Round r) const {
    std::vector<Block> res;
    for (const Message& m : inbox_) {
      const auto* p = std::get_if<ProposalMsg>(&m);
      if (p != nullptr && p->block.round == r) res.push_back(p->block);
    }
    return res;
  }
  // The Byzantine key votes for every honest proposal of round r it saw.
  void VoteForProposals(Round r) {
    for (const Block& b : ProposalsSeen(r)) {
      Inject(leader(r + 1), VoteMsg{ByzVote(b), SyncInfo{b.qc, genesis_qc(), std::nullopt}});
    }
  }
  const Block* FindBlock(const BlockId& id) const {
    auto it = all_blocks_.find(id);
    return it == all_blocks_.end() ? nullptr : &it->second;
  }

  // ---- Checks ----

  // A behaviour of the real engine the script relies on (checked only with no canary on).
  void Expect(bool cond, const std::string& what) {
    if (!cond && !canary_on()) Fail(false, "expectation failed: " + what);
  }
  bool Committed(uint32_t i, const BlockId& id) const {
    for (const CommittedBlock& c : nodes_[i]->ledger) {
      if (c.block.id == id) return true;
    }
    return false;
  }
  uint64_t Height(uint32_t i) const {
    return nodes_[i]->ledger.empty() ? 0 : nodes_[i]->ledger.back().block.height;
  }

  // No partition, the faulty keys silent, timers fired whenever the cluster is quiet: every
  // engine must commit two more blocks (with `check_liveness`; otherwise the phase only lets
  // what is in flight land, for the safety checks).
  void Heal(bool check_liveness = true) {
    if (!outcome_.ok) return;
    drop_ = nullptr;
    on_output_ = nullptr;
    silent_byz_ = true;
    uint64_t target = 0;
    for (uint32_t i = 0; i < kN; ++i) target = std::max(target, Height(i));
    target += 2;
    for (int step = 0; step < 40 && outcome_.ok; ++step) {
      Run();
      bool done = true;
      for (uint32_t i = 0; i < kN; ++i) {
        if (HasEngine(i) && Height(i) < target) done = false;
      }
      if (done) return;
      clock_.now += 1000;
      for (uint32_t i = 0; i < kN; ++i) {
        if (HasEngine(i)) Timeout(i);
      }
    }
    if (outcome_.ok && check_liveness) {
      std::ostringstream os;
      os << "LIVENESS: honest nodes did not all reach height " << target << " after healing:";
      for (uint32_t i = 0; i < kN; ++i) {
        if (HasEngine(i)) os << " " << i << "=" << Height(i) << "/r" << engine(i).current_round();
      }
      Fail(false, os.str());
    }
  }

  Outcome Finish() {
    for (uint32_t i = 0; i < kN; ++i)
      outcome_.max_height = std::max(outcome_.max_height, Height(i));
    return outcome_;
  }

 private:
  static std::vector<PublicKey> PublicKeys() {
    std::vector<PublicKey> v;
    for (uint32_t i = 0; i < kN; ++i) v.push_back(Key(i).public_key());
    return v;
  }

  void Start(uint32_t i) {
    Node& n = *nodes_[i];
    RecoveryData rec = GenesisRecovery(genesis_);
    if (!n.ledger.empty()) {
      const CommittedBlock& last = n.ledger.back();
      rec = RecoveryData{last.block, last.block_qc, last.commit_qc, {}};
    }
    rec.blocks = n.blocks.Above(rec.root.height);
    EngineConfig cfg;
    cfg.my_index = i;
    n.engine = std::make_unique<Engine>(cfg, validators_, Key(i), n.store, n.blocks, clock_,
                                        *n.payload, std::move(rec), hooks_);
    n.up = true;
    Outputs out;
    Status st = n.engine->Start(out);
    if (!st.ok()) Fail(false, "engine start failed: " + st.ToString());
    Handle(i, out);
  }

  void Deliver(Pending p) {
    if (!outcome_.ok) return;
    if (nodes_[p.to]->faulty) {
      if (p.msg && !silent_byz_) inbox_.push_back(*p.msg);
      return;
    }
    if (drop_ && drop_(p.from, p.to, p.msg ? &*p.msg : nullptr)) return;
    Node& n = *nodes_[p.to];
    if (!n.up) return;
    if (++outcome_.events > kMaxDeliveries) {
      Fail(false, "event explosion");
      return;
    }
    Outputs out;
    Status st =
        p.msg ? n.engine->OnMessage(p.from, *p.msg, out) : n.engine->OnFetchedBlocks(p.blocks, out);
    Check(st);
    Handle(p.to, out);
  }

  void Check(const Status& st) {
    // Honest engines reject invalid input with InvalidArgument; anything else is a failure.
    if (!st.ok() && st.code() != StatusCode::kInvalidArgument) {
      Fail(false, "engine error: " + st.ToString());
    }
  }

  void Fail(bool safety, const std::string& what) {
    if (!outcome_.ok) return;
    outcome_.ok = false;
    outcome_.safety_violation = safety;
    outcome_.violation = what;
  }

  void Handle(uint32_t i, Outputs& out) {
    outcome_.evidence += out.evidence.size();
    if (!out.commits.empty()) CheckCommits(i, out.commits);
    for (const Outbound& o : out.sends) {
      if (const auto* p = std::get_if<ProposalMsg>(&o.message)) {
        all_blocks_.emplace(p->block.id, p->block);
      }
      if (on_send_) on_send_(i, o.message);
      for (uint32_t j = 0; j < kN; ++j) {
        if (j == i || (o.to != kBroadcast && o.to != j)) continue;
        queue_.push_back({i, j, o.message, {}});
      }
    }
    for (const FetchRequest& f : out.fetches) {
      // Served by the first reachable peer, from every block proposed so far.
      bool reachable = false;
      uint32_t from = 0;
      for (uint32_t peer : f.peers) {
        if (peer < kN && (nodes_[peer]->faulty || nodes_[peer]->up) &&
            !(drop_ && drop_(peer, i, nullptr))) {
          reachable = true;
          from = peer;
          break;
        }
      }
      if (!reachable) continue;
      std::vector<Block> blocks;
      BlockId cur = f.id;
      while (blocks.size() < f.count) {
        auto it = all_blocks_.find(cur);
        if (it == all_blocks_.end() || it->second.height == 0) break;
        blocks.push_back(it->second);
        cur = it->second.parent_id;
      }
      if (!blocks.empty()) queue_.push_back({from, i, std::nullopt, std::move(blocks)});
    }
    if (on_output_ && outcome_.ok) on_output_(i, out);
  }

  void CheckCommits(uint32_t i, const std::vector<CommittedBlock>& commits) {
    Node& n = *nodes_[i];
    for (size_t k = 0; k < commits.size(); ++k) {
      const CommittedBlock& cb = commits[k];
      const Block& b = cb.block;
      const uint64_t want_h = n.ledger.empty() ? 1 : n.ledger.back().block.height + 1;
      const BlockId want_parent = n.ledger.empty() ? genesis_.id : n.ledger.back().block.id;
      const std::string who = "node " + std::to_string(i) + " ";
      if (b.height != want_h || b.parent_id != want_parent) {
        Fail(true, who + "committed out of order at height " + std::to_string(b.height));
        return;
      }
      Status st = validators_.VerifyQc(cb.commit_qc);
      if (st.ok()) st = validators_.VerifyQc(cb.block_qc);
      if (st.ok() && cb.block_qc.block_id() != b.id) st = Status::InvalidArgument("QC mismatch");
      if (!st.ok()) {
        Fail(true, who + "commit without a valid certificate: " + st.ToString());
        return;
      }
      auto [it, fresh] = honest_commits_.emplace(b.height, std::make_pair(b.id, i));
      if (!fresh && it->second.first != b.id) {
        Fail(true, "SAFETY: conflicting commits at height " + std::to_string(b.height) + ": " +
                       ShortId(it->second.first) + " by node " + std::to_string(it->second.second) +
                       " vs " + ShortId(b.id) + " by " + who);
        return;
      }
      n.ledger.push_back(cb);
    }
  }

  Canary canary_;
  Block genesis_;
  MemoChecker checker_;
  TableElection election_;
  ValidatorSet validators_;
  TestHooks hooks_;
  FixedClock clock_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::deque<Pending> queue_;
  std::vector<Message> inbox_;  // what reached the faulty keys
  bool silent_byz_ = false;
  DropFn drop_;
  SendFn on_send_;
  OutputFn on_output_;
  std::map<BlockId, Block> all_blocks_;
  std::map<uint64_t, std::pair<BlockId, uint32_t>> honest_commits_;
  Outcome outcome_;
};

}  // namespace script

}  // namespace laurel::sim

#include "tests/sim/simulator.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <sstream>

#include "consensus/engine.h"
#include "crypto/sha256.h"
#include "tests/sim/node_model.h"

namespace laurel::sim {

using namespace laurel::consensus;

namespace {

constexpr std::string_view kChainId = "laurel-sim";
constexpr uint64_t kEpoch = 1;
constexpr uint64_t kTwinsHeal = 20000;  // Twins round partitions end by then at the latest
constexpr uint64_t kMaxEvents = 3000000;
constexpr size_t kMaxQueue = 500000;
constexpr uint64_t kTwinsEnd = 90000;  // virtual ms budget of a Twins run

const std::vector<crypto::PrivateKey>& Keys() {
  static const std::vector<crypto::PrivateKey> keys = MakeKeys(0x5a, 16);
  return keys;
}

class SimClock : public Clock {
 public:
  uint64_t NowMs() const override { return now; }
  uint64_t now = 0;
};

class Cluster;

class SimPayload : public PayloadSource {
 public:
  SimPayload(Cluster* c, int inst) : cluster_(c), inst_(inst) {}
  std::optional<Bytes> Pull(Round round, uint64_t height) override;

 private:
  Cluster* cluster_;
  int inst_;
  std::map<Round, bool> pending_;
};

// A node's disk with fault injection (Scenario::io_error_rate). A write may fail with IoError,
// as on a full or failing disk: the failed write is lost or, half the time, reached the disk
// anyway (a sync can report an error after the data was written). Either way the engine must
// return the error, and the node halts (Cluster::HaltAfterIoError).
enum class IoFault : uint8_t { kNone, kLost, kWritten };

class FaultySafetyStore : public SafetyStore {
 public:
  void Attach(Cluster* c, int inst) {
    cluster_ = c;
    inst_ = inst;
  }
  Result<std::optional<Bytes>> Get() override { return mem_.Get(); }
  Status Put(ByteView record, bool sync) override;
  // Forgets every write not synced, as MemorySafetyStore::Crash.
  void Crash() { mem_.Crash(); }
  // The record a crash now would leave (the last synced one).
  const std::optional<Bytes>& durable() const { return durable_; }

 private:
  Cluster* cluster_ = nullptr;
  int inst_ = 0;
  MemorySafetyStore mem_;
  std::optional<Bytes> durable_;
};

uint64_t MessageEpoch(const Message& m) {
  return std::visit(
      [](const auto& x) -> uint64_t {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, ProposalMsg>) return x.block.epoch;
        if constexpr (std::is_same_v<T, VoteMsg>) return x.vote.data.epoch;
        if constexpr (std::is_same_v<T, TimeoutMsg>) return x.timeout.epoch;
        if constexpr (std::is_same_v<T, SyncMsg>) return x.sync.highest_qc.data.epoch;
      },
      m);
}

class FaultyBlockStore : public BlockStore {
 public:
  void Attach(Cluster* c, int inst) {
    cluster_ = c;
    inst_ = inst;
  }
  Status Save(const Block& b) override;
  std::vector<Block> Above(uint64_t height) { return mem_.Above(height); }

 private:
  Cluster* cluster_ = nullptr;
  int inst_ = 0;
  MemoryBlockStore mem_;
};

struct Instance {
  uint32_t index = 0;
  bool byzantine = false;
  FaultySafetyStore store;
  FaultyBlockStore blocks;
  bool io_failed = false;  // a write failed during the current input
  std::vector<CommittedBlock> ledger;
  std::map<BlockId, size_t> ledger_pos;
  std::unique_ptr<SimPayload> payload;
  std::unique_ptr<Engine> engine;
  uint64_t incarnation = 0;
  bool up = true;
  uint64_t epoch = kEpoch;      // the epoch of the next height this instance commits
  bool switch_pending = false;  // its ledger's tip ended an epoch: restart consensus
};

enum class EvKind : uint8_t {
  kDeliver,
  kTimer,
  kFetchReply,
  kPayload,
  kCrash,
  kRestart,
  kPartition,
  kNode  // node layer (node_model.h)
};

struct Event {
  uint64_t time = 0;
  uint64_t seq = 0;
  EvKind kind = EvKind::kDeliver;
  int inst = 0;
  uint64_t incarnation = 0;
  uint32_t from = 0;
  std::shared_ptr<const Message> msg;
  TimerKind timer = TimerKind::kRound;
  Round round = 0;
  std::shared_ptr<const std::vector<Block>> blocks;
  std::shared_ptr<const NodeEvent> node_event;
  bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

class Cluster : public NodeHost {
 public:
  explicit Cluster(const Scenario& s)
      : s_(s),
        rng_(s.seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(s.canary) + 17),
        genesis_(GenesisBlock(kEpoch, kChainId)),
        // Twins: the scripted leaders of rounds 1-6, then the built-in election.
        election_(s.round_leaders, s.n),
        validators_(kEpoch, PublicKeys(s.n), genesis_.id, &checker_,
                    s.round_leaders.empty() ? nullptr : &election_),
        hooks_(HooksFor(s.canary)) {
    config_.round_timeout_base_ms = 400;
    config_.round_timeout_max_ms = 3200;
    config_.payload_wait_ms = 40;
    for (uint32_t i = 0; i < s.n; ++i) AddInstance(i, i < s.twins);
    for (uint32_t i = 0; i < s.twins; ++i) AddInstance(i, true);
    groups_.assign(instances_.size(), 0);
    if (s.txs_per_s > 0 && !TwinsMode()) {
      node_ = std::make_unique<NodeLayer>(
          *this, NodeLayer::Options{s.txs_per_s, s.twins, s.byzantine_node, s.node_mutation,
                                    s.batches, s.twins > 0 ? s.batch_byzantine : uint8_t{0}});
    }
  }

  // NodeHost (the node layer's view of the cluster).
  uint64_t HostNow() const override { return now(); }
  uint64_t HostRand(uint64_t n) override { return Rand(n); }
  bool HostAfterGst() const override { return AfterGst(); }
  uint64_t HostGstMs() const override { return s_.gst_ms; }
  size_t HostInstances() const override { return instances_.size(); }
  uint32_t HostKey(int i) const override { return instances_[i]->index; }
  bool HostByzantine(int i) const override { return instances_[i]->byzantine; }
  Engine* HostEngine(int i) override {
    return instances_[i]->up ? instances_[i]->engine.get() : nullptr;
  }
  uint64_t HostLedgerHeight(int i) const override {
    const auto& l = instances_[i]->ledger;
    return l.empty() ? 0 : l.back().block.height;
  }
  BlockId HostLedgerTip(int i) const override {
    const auto& l = instances_[i]->ledger;
    return l.empty() ? genesis_.id : l.back().block.id;
  }
  bool HostLastCommit(int i, CommittedBlock* out) const override {
    if (instances_[i]->ledger.empty()) return false;
    *out = instances_[i]->ledger.back();
    return true;
  }
  const ValidatorSet& HostValidators() const override { return validators_; }
  const crypto::PrivateKey& HostSigningKey(uint32_t key) const override { return Keys()[key]; }
  bool HostDeliverable(int a, int b) override {
    return Connected(a, b, 0) && (AfterGst() || Uniform() >= s_.drop);
  }
  uint64_t HostDelay() override { return Delay(); }
  void HostSend(int from, const Outbound& o) override { Send(from, o); }
  void HostOutputs(int i, const Status& st, Outputs& out) override {
    if (HaltAfterIoError(i, st, out)) return;
    if (!st.ok() && st.code() != StatusCode::kInvalidArgument) {
      Violation(false, "engine error: " + st.ToString());
    }
    HandleOutputs(i, out);
  }
  void HostSchedule(uint64_t at, int i, std::shared_ptr<const NodeEvent> ev) override {
    Event e;
    e.kind = EvKind::kNode;
    e.time = at;
    e.inst = i;
    e.node_event = std::move(ev);
    Push(std::move(e));
  }
  void HostViolation(bool safety, const std::string& what) override { Violation(safety, what); }

  Outcome Run();

  uint64_t Rand(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  double Uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  uint64_t now() const { return clock_.now; }
  // Whether this write of instance i fails (Scenario::io_error_rate), and how.
  IoFault InjectIoFault(int i);
  void Push(Event e) {
    e.seq = seq_++;
    queue_.push(std::move(e));
  }

 private:
  static std::vector<PublicKey> PublicKeys(uint32_t n) {
    std::vector<PublicKey> v;
    for (uint32_t i = 0; i < n; ++i) v.push_back(Keys()[i].public_key());
    return v;
  }
  void AddInstance(uint32_t index, bool byzantine) {
    auto inst = std::make_unique<Instance>();
    inst->index = index;
    inst->byzantine = byzantine;
    inst->payload = std::make_unique<SimPayload>(this, static_cast<int>(instances_.size()));
    inst->store.Attach(this, static_cast<int>(instances_.size()));
    inst->blocks.Attach(this, static_cast<int>(instances_.size()));
    instances_.push_back(std::move(inst));
  }
  bool TwinsMode() const { return !s_.round_groups.empty(); }
  bool AfterGst() const { return gst_reached_; }

  void StartEngine(int i);
  void Crash(int i);
  bool HaltAfterIoError(int i, const Status& st, const Outputs& out);
  void Handle(const Event& e);
  void HandleOutputs(int i, Outputs& out);
  void Send(int i, const Outbound& o);
  bool Connected(int a, int b, Round msg_round) const;
  uint64_t Delay() {
    return 1 + Rand(AfterGst() ? std::min<uint32_t>(s_.max_delay_ms, 50) : s_.max_delay_ms);
  }
  void ServeFetch(int i, const FetchRequest& f);
  // `synced`: blocks copied from another ledger (CatchUpEpochs), whose commit QC may certify a
  // descendant beyond the copied batch.
  void CheckCommit(int i, const std::vector<CommittedBlock>& commits, bool synced = false);
  // Epochs (Scenario::epoch_every).
  const ValidatorSet* SetOf(uint64_t epoch);
  void EndEpoch(int i, const Block& last);
  // A message of a later epoch reached instance i: block sync from an honest ledger.
  void CatchUpEpochs(int i, uint64_t epoch);
  void CraftStaleProposal(int i, const ProposalMsg& original);
  void ObserveVote(const Vote& v);
  void Violation(bool safety, const std::string& what) {
    if (!outcome_.ok) return;
    outcome_.ok = false;
    outcome_.safety_violation = safety;
    std::ostringstream os;
    os << what << " (at t=" << now() << "ms)";
    outcome_.violation = os.str();
  }
  bool Honest(int i) const { return !instances_[i]->byzantine; }
  void MaybeReachGst();
  bool LivenessDone() const;

  Scenario s_;
  std::mt19937_64 rng_;
  Block genesis_;
  MemoChecker checker_;
  TableElection election_;
  ValidatorSet validators_;
  // Epochs after the first (kEpoch): their sets and roots, made when the first instance
  // reaches each boundary.
  std::map<uint64_t, std::unique_ptr<ValidatorSet>> later_sets_;
  std::map<uint64_t, BlockId> epoch_roots_;
  TestHooks hooks_;
  EngineConfig config_;
  SimClock clock_;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::vector<uint8_t> groups_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> queue_;
  uint64_t seq_ = 0;
  uint32_t down_ = 0;
  bool gst_reached_ = false;
  uint64_t gst_time_ = 0;
  uint64_t gst_height_ = 0;
  std::map<uint64_t, BlockId> honest_commits_;  // height -> block id
  std::map<BlockId, Block> seen_blocks_;        // every proposed block (for stale proposals)
  std::map<BlockId, QuorumCert> seen_qcs_;      // QCs by certified block id
  std::map<Bytes, std::pair<VoteData, std::map<uint32_t, Signature>>> adv_votes_;
  std::set<BlockId> voted_by_adversary_;
  Outcome outcome_;
  bool trace_ = std::getenv("LAUREL_SIM_TRACE") != nullptr;
  std::unique_ptr<NodeLayer> node_;  // with Scenario::txs_per_s (random mode)
  friend class SimPayload;
};

std::optional<Bytes> SimPayload::Pull(Round round, uint64_t height) {
  auto it = pending_.find(round);
  if (it == pending_.end()) {
    if (cluster_->Uniform() < 0.3) {  // not ready yet: becomes ready a little later
      pending_[round] = false;
      Event e;
      e.time = cluster_->now() + cluster_->Rand(120);
      e.kind = EvKind::kPayload;
      e.inst = inst_;
      e.round = round;
      e.incarnation = UINT64_MAX;  // matched against the live incarnation on delivery
      cluster_->Push(e);
      return std::nullopt;
    }
  } else if (!it->second) {
    it->second = true;  // the payload-ready event fired (or the wait expired)
  }
  Bytes p(16);
  for (int k = 0; k < 8; ++k) p[k] = static_cast<uint8_t>(height >> (8 * k));
  for (int k = 0; k < 8; ++k) p[8 + k] = static_cast<uint8_t>(cluster_->Rand(256));
  return p;
}

Status FaultySafetyStore::Put(ByteView record, bool sync) {
  const IoFault f = cluster_ != nullptr ? cluster_->InjectIoFault(inst_) : IoFault::kNone;
  if (f != IoFault::kLost) {
    LAUREL_RETURN_IF_ERROR(mem_.Put(record, sync));
    if (sync) durable_ = Bytes(record.begin(), record.end());
  }
  if (f != IoFault::kNone) return Status::IoError("injected: no space left on device");
  return Status::Ok();
}

Status FaultyBlockStore::Save(const Block& b) {
  const IoFault f = cluster_ != nullptr ? cluster_->InjectIoFault(inst_) : IoFault::kNone;
  if (f != IoFault::kLost) LAUREL_RETURN_IF_ERROR(mem_.Save(b));
  if (f != IoFault::kNone) return Status::IoError("injected: no space left on device");
  return Status::Ok();
}

IoFault Cluster::InjectIoFault(int i) {
  // Like crashes: before GST only, and never more nodes down than the scenario allows.
  if (s_.io_error_rate <= 0 || AfterGst() || down_ >= s_.max_down) return IoFault::kNone;
  if (Uniform() >= s_.io_error_rate) return IoFault::kNone;
  ++outcome_.io_errors;
  instances_[i]->io_failed = true;
  return Uniform() < 0.5 ? IoFault::kLost : IoFault::kWritten;
}

// A write failed during this input. The engine must return the IoError, and nothing it put out
// may be signed beyond what the durable safety record holds; the node halts (its outputs never
// leave, as laureld exits with code 74) and restarts later from what is durable.
bool Cluster::HaltAfterIoError(int i, const Status& st, const Outputs& out) {
  Instance& in = *instances_[i];
  if (!in.io_failed) return false;
  in.io_failed = false;
  std::ostringstream who;
  who << "node " << i << " (key " << in.index << ") ";
  if (st.code() != StatusCode::kIoError) {
    Violation(false, who.str() + "returned '" + st.ToString() + "' after a failed write");
    return true;
  }
  SafetyRecord durable;  // none durable yet: no signature may have left
  if (in.store.durable()) {
    auto rec = DecodeSafetyRecord(*in.store.durable());
    if (!rec.ok()) {
      Violation(true, who.str() + "durable safety record unreadable: " + rec.status().ToString());
      return true;
    }
    durable = *rec;
  }
  for (const Outbound& o : out.sends) {
    const char* what = nullptr;
    Round r = 0;
    Round held = durable.last_voted_round;
    if (const auto* v = std::get_if<VoteMsg>(&o.message)) {
      what = "vote";
      r = v->vote.data.round;
    } else if (const auto* t = std::get_if<TimeoutMsg>(&o.message)) {
      what = "timeout";
      r = t->timeout.round;
      held = durable.highest_timeout_round;
    } else if (const auto* p = std::get_if<ProposalMsg>(&o.message)) {
      what = "proposal";  // the leader's own vote is persisted before its proposal leaves
      r = p->block.round;
    }
    if (what != nullptr && r > held) {
      Violation(true, who.str() + "put out a " + what + " for round " + std::to_string(r) +
                          " that its durable safety record does not hold (a write failed)");
      return true;
    }
  }
  Crash(i);
  return true;
}

void Cluster::StartEngine(int i) {
  Instance& in = *instances_[i];
  RecoveryData rec = GenesisRecovery(genesis_);
  if (!in.ledger.empty()) {
    const CommittedBlock& last = in.ledger.back();
    rec = RecoveryData{last.block, last.block_qc, last.commit_qc, {}};
    if (last.block.epoch < in.epoch) {
      // The tip ended its epoch: the next one starts on it (node.cpp RecoveryFromStore).
      Block root;
      root.epoch = in.epoch;
      root.height = last.block.height;
      root.id = last.block.id;
      root.timestamp_ms = last.block.timestamp_ms;
      root.qc = GenesisQc(root);
      rec = GenesisRecovery(root);
    }
  }
  in.switch_pending = false;
  rec.blocks = in.blocks.Above(rec.root.height);
  EngineConfig cfg = config_;
  cfg.my_index = in.index;
  ++in.incarnation;
  PayloadSource& payload = node_ && node_->HasSource(i) ? node_->Source(i) : *in.payload;
  in.engine = std::make_unique<Engine>(cfg, *SetOf(in.epoch), Keys()[in.index], in.store, in.blocks,
                                       clock_, payload, std::move(rec), hooks_);
  in.up = true;
  Outputs out;
  Status st = in.engine->Start(out);
  if (HaltAfterIoError(i, st, out)) return;
  if (!st.ok()) Violation(false, "engine start failed: " + st.ToString());
  HandleOutputs(i, out);
}

void Cluster::Crash(int i) {
  Instance& in = *instances_[i];
  if (!in.up) return;
  in.store.Crash();
  in.engine.reset();
  in.switch_pending = false;
  if (node_) node_->OnCrash(i);
  in.up = false;
  ++down_;
  ++outcome_.crashes;
  Event e;
  e.kind = EvKind::kRestart;
  e.inst = i;
  // Half the restarts are quick (a process restart), half slow (a reboot).
  e.time = now() + (Uniform() < 0.5 ? 1 + Rand(20) : 50 + Rand(1500));
  if (!TwinsMode() && e.time >= s_.gst_ms)
    e.time = s_.gst_ms > now() + 1 ? s_.gst_ms - 1 : now() + 1;
  Push(e);
}

bool Cluster::Connected(int a, int b, Round msg_round) const {
  if (TwinsMode()) {
    if (!gst_reached_ && msg_round >= 1 && msg_round <= s_.round_groups.size()) {
      const auto& g = s_.round_groups[msg_round - 1];
      return g[a] == g[b];
    }
    return true;
  }
  if (AfterGst()) return true;
  return groups_[a] == groups_[b];
}

void Cluster::Send(int i, const Outbound& o) {
  auto msg = std::make_shared<const Message>(o.message);
  if (s_.adversary) {
    if (const auto* v = std::get_if<VoteMsg>(&o.message)) ObserveVote(v->vote);
    // Byzantine keys vote for every proposal they see, equivocating freely.
    const auto* p = std::get_if<ProposalMsg>(&o.message);
    if (p != nullptr && voted_by_adversary_.insert(p->block.id).second) {
      for (uint32_t k = 0; k < s_.twins; ++k) {
        const Vote v = SignVote(VoteDataFor(p->block), k, Keys()[k]);
        Send(i, Outbound{validators_.Leader(p->block.round + 1, &p->block), VoteMsg{v, p->sync}});
      }
    }
  }
  const Round r = MessageRound(*msg);
  const uint32_t from = instances_[i]->index;
  for (int j = 0; j < static_cast<int>(instances_.size()); ++j) {
    if (j == i) continue;
    const uint32_t idx = instances_[j]->index;
    if (o.to == kBroadcast ? idx == from : idx != o.to) continue;
    if (!Connected(i, j, r)) continue;
    if (!AfterGst() && Uniform() < s_.drop) continue;
    const int copies = !AfterGst() && Uniform() < s_.dup ? 2 : 1;
    for (int c = 0; c < copies; ++c) {
      Event e;
      e.kind = EvKind::kDeliver;
      e.inst = j;
      e.from = from;
      e.msg = msg;
      e.time = now() + Delay();
      Push(e);
    }
  }
}

void Cluster::ServeFetch(int i, const FetchRequest& f) {
  if (f.peers.empty()) return;
  const uint32_t peer = f.peers[Rand(f.peers.size())];
  std::vector<int> cands;
  for (int j = 0; j < static_cast<int>(instances_.size()); ++j) {
    if (j != i && instances_[j]->index == peer && instances_[j]->up) cands.push_back(j);
  }
  if (cands.empty()) return;
  const int j = cands[Rand(cands.size())];
  const Round r = instances_[i]->engine->current_round();
  if (!Connected(i, j, r) || (!AfterGst() && Uniform() < s_.drop)) return;
  const Instance& src = *instances_[j];
  auto blocks = std::make_shared<std::vector<Block>>();
  BlockId cur = f.id;
  while (blocks->size() < f.count) {
    std::vector<Block> got = src.engine->GetBlocks(cur, 1);
    if (got.empty()) {
      auto it = src.ledger_pos.find(cur);
      if (it == src.ledger_pos.end()) break;
      got.push_back(src.ledger[it->second].block);
    }
    if (got[0].height == 0) break;
    cur = got[0].parent_id;
    blocks->push_back(std::move(got[0]));
  }
  if (blocks->empty()) return;
  Event e;
  e.kind = EvKind::kFetchReply;
  e.inst = i;
  e.incarnation = instances_[i]->incarnation;
  e.blocks = std::move(blocks);
  e.time = now() + 2 * Delay();
  Push(e);
}

void Cluster::CheckCommit(int i, const std::vector<CommittedBlock>& commits, bool synced) {
  Instance& in = *instances_[i];
  for (size_t k = 0; k < commits.size(); ++k) {
    const CommittedBlock& cb = commits[k];
    const Block& b = cb.block;
    // Above its last block, an epoch's commits are void (the host ignores them), unless the
    // mutation keeps them.
    if (s_.epoch_every != 0 && b.epoch < in.epoch && s_.epoch_mutation != 1) continue;
    const uint64_t want_h = in.ledger.empty() ? 1 : in.ledger.back().block.height + 1;
    const BlockId want_parent = in.ledger.empty() ? genesis_.id : in.ledger.back().block.id;
    std::ostringstream who;
    who << "node " << i << " (key " << in.index << ") ";
    if (b.height != want_h || b.parent_id != want_parent) {
      Violation(true, who.str() + "committed out of order: height " + std::to_string(b.height) +
                          " after " + std::to_string(want_h - 1));
      return;
    }
    const ValidatorSet* vs = SetOf(b.epoch);
    if (vs == nullptr) {
      Violation(true, who.str() + "committed a block of epoch " + std::to_string(b.epoch) +
                          ", which no honest node began");
      return;
    }
    Status st = vs->VerifyQc(cb.commit_qc);
    if (st.ok()) st = vs->VerifyQc(cb.block_qc);
    if (st.ok() && cb.block_qc.block_id() != b.id)
      st = Status::InvalidArgument("block QC mismatch");
    if (st.ok() && !hooks_.break_commit_consecutive &&
        cb.commit_qc.data.parent_round + 1 != cb.commit_qc.data.round) {
      st = Status::InvalidArgument("commit QC rounds not consecutive");
    }
    const bool last_of_batch =
        k + 1 == commits.size() || !(commits[k + 1].commit_qc == cb.commit_qc);
    if (st.ok() && last_of_batch && !synced && cb.commit_qc.data.parent_id != b.id) {
      st = Status::InvalidArgument("commit QC does not certify a child of the block");
    }
    if (!st.ok()) {
      Violation(true, who.str() + "commit without a valid certificate at height " +
                          std::to_string(b.height) + ": " + st.ToString());
      return;
    }
    if (Honest(i)) {
      auto [it, fresh] = honest_commits_.emplace(b.height, b.id);
      if (!fresh && it->second != b.id) {
        Violation(true, "SAFETY: conflicting commits at height " + std::to_string(b.height) + ": " +
                            ShortId(it->second) + " vs " + ShortId(b.id) + " by " + who.str());
        return;
      }
      outcome_.max_height = std::max(outcome_.max_height, b.height);
    }
    in.ledger_pos[b.id] = in.ledger.size();
    in.ledger.push_back(cb);
    if (s_.epoch_every != 0 && b.height % s_.epoch_every == 0 && b.epoch == in.epoch) {
      EndEpoch(i, b);
    }
  }
}

const ValidatorSet* Cluster::SetOf(uint64_t epoch) {
  if (epoch == kEpoch) return &validators_;
  auto it = later_sets_.find(epoch);
  return it == later_sets_.end() ? nullptr : it->second.get();
}

void Cluster::EndEpoch(int i, const Block& last) {
  Instance& in = *instances_[i];
  const uint64_t next = in.epoch + 1;
  auto [it, fresh] = epoch_roots_.emplace(next, last.id);
  if (!fresh && it->second != last.id) {
    Violation(true, "SAFETY: epoch " + std::to_string(next) + " starts on " + ShortId(last.id) +
                        " at node " + std::to_string(i) + " but on " + ShortId(it->second) +
                        " elsewhere");
    return;
  }
  if (fresh) {
    later_sets_[next] = std::make_unique<ValidatorSet>(next, PublicKeys(s_.n), last.id, &checker_,
                                                       validators_.election());
    if (s_.epoch_mutation == 2) later_sets_[next]->set_accept_other_epoch_qcs_for_canary(true);
  }
  in.epoch = next;
  in.switch_pending = true;
  ++outcome_.epoch_changes;
}

void Cluster::CatchUpEpochs(int i, uint64_t epoch) {
  Instance& in = *instances_[i];
  while (in.epoch < epoch && outcome_.ok) {
    // The longest honest ledger serves the blocks up to the end of this instance's epoch.
    const Instance* src = nullptr;
    for (size_t j = 0; j < instances_.size(); ++j) {
      if (!Honest(static_cast<int>(j)) || static_cast<int>(j) == i) continue;
      if (src == nullptr || instances_[j]->ledger.size() > src->ledger.size()) {
        src = instances_[j].get();
      }
    }
    if (src == nullptr || src->ledger.size() <= in.ledger.size()) return;
    std::vector<CommittedBlock> batch;
    for (size_t k = in.ledger.size(); k < src->ledger.size(); ++k) {
      const CommittedBlock& cb = src->ledger[k];
      if (cb.block.epoch != in.epoch) break;
      batch.push_back(cb);
      if (cb.block.height % s_.epoch_every == 0) break;
    }
    if (batch.empty()) return;
    const uint64_t before = in.epoch;
    CheckCommit(i, batch, /*synced=*/true);
    if (in.epoch == before) return;  // not yet at the boundary (src is behind as well)
  }
}

void Cluster::CraftStaleProposal(int i, const ProposalMsg& original) {
  // A Byzantine leader re-proposes in its round on top of an older certified block, attaching
  // the same SyncInfo (and so the same TC), and votes for it itself.
  const Block& ob = original.block;
  std::vector<std::pair<const Block*, const QuorumCert*>> stale;
  for (const auto& [id, qc] : seen_qcs_) {
    auto b = seen_blocks_.find(id);
    if (b == seen_blocks_.end() || qc.round() >= ob.round || id == ob.parent_id) continue;
    stale.push_back({&b->second, &qc});
  }
  if (stale.empty()) return;
  // Prefer recent certified blocks: the k-th highest with probability 2^-(k+1).
  std::sort(stale.begin(), stale.end(),
            [](const auto& a, const auto& b) { return a.second->round() > b.second->round(); });
  size_t k = 0;
  while (k + 1 < stale.size() && Uniform() < 0.5) ++k;
  const auto pick = stale[k];
  const Block& parent = *pick.first;
  const QuorumCert& pqc = *pick.second;
  Block b;
  b.epoch = kEpoch;
  b.round = ob.round;
  b.height = parent.height + 1;
  b.parent_id = parent.id;
  b.qc = pqc;
  b.payload = {0xba, 0xd0};
  b.timestamp_ms = std::max(parent.timestamp_ms, ob.timestamp_ms);
  b.proposer = ob.proposer;
  SignBlock(b, Keys()[ob.proposer]);
  // Reveal no more than needed: the stale QC and the TC that entered the round.
  const SyncInfo sync =
      Uniform() < 0.5 ? original.sync : SyncInfo{pqc, pqc, original.sync.highest_tc};
  Send(i, Outbound{kBroadcast, ProposalMsg{b, sync}});
  const Vote v = SignVote(VoteDataFor(b), ob.proposer, Keys()[ob.proposer]);
  Send(i, Outbound{validators_.Leader(b.round + 1, &b), VoteMsg{v, sync}});
}

// The network adversary reads every vote in flight, assembles each QC as soon as a quorum of
// votes exists, and reveals it (from a Byzantine key) to a random subset of honest keys.
void Cluster::ObserveVote(const Vote& v) {
  auto& agg = adv_votes_[VoteSignBytes(v.data)];
  agg.first = v.data;
  if (!agg.second.emplace(v.signer, v.signature).second) return;
  if (agg.second.size() != validators_.quorum()) return;
  const QuorumCert qc{agg.first, {agg.second.begin(), agg.second.end()}};
  seen_qcs_.emplace(qc.block_id(), qc);
  std::vector<int> byz;
  for (int j = 0; j < static_cast<int>(instances_.size()); ++j) {
    if (instances_[j]->byzantine) byz.push_back(j);
  }
  if (byz.empty()) return;
  const int from = byz[Rand(byz.size())];
  for (uint32_t k = s_.twins; k < s_.n; ++k) {
    if (Uniform() < 0.5) Send(from, Outbound{k, SyncMsg{SyncInfo{qc, qc, std::nullopt}}});
  }
}

void Cluster::HandleOutputs(int i, Outputs& out) {
  outcome_.evidence += out.evidence.size();
  // Evidence names a validator that signed what no honest one signs: never an honest key.
  for (const auto& e : out.evidence) {
    if (e.signer >= s_.twins) {
      if (outcome_.ok) outcome_.election_violation = true;
      Violation(false, std::string("evidence (") + EvidenceKindName(e.kind) +
                           ") against honest validator " + std::to_string(e.signer) +
                           " in round " + std::to_string(e.round) + ", reported by instance " +
                           std::to_string(i));
    }
  }
  if (!out.commits.empty()) CheckCommit(i, out.commits);
  if (node_) node_->OnOutputs(i, out);
  bool signed_something = false;
  for (const Outbound& o : out.sends) {
    if (const auto* p = std::get_if<ProposalMsg>(&o.message)) {
      seen_blocks_.emplace(p->block.id, p->block);
      if (p->block.qc.round() > 0) seen_qcs_.emplace(p->block.parent_id, p->block.qc);
    }
    signed_something = signed_something || !std::holds_alternative<SyncMsg>(o.message);
  }
  for (const Outbound& o : out.sends) {
    const auto* p = std::get_if<ProposalMsg>(&o.message);
    const bool craft = p != nullptr && s_.adversary && instances_[i]->byzantine;
    const bool craft_first = craft && Uniform() < 0.5;
    if (craft_first) CraftStaleProposal(i, *p);
    Send(i, o);
    if (craft && !craft_first) CraftStaleProposal(i, *p);
  }
  for (const FetchRequest& f : out.fetches) ServeFetch(i, f);
  for (const TimerRequest& t : out.timers) {
    Event e;
    e.kind = EvKind::kTimer;
    e.inst = i;
    e.incarnation = instances_[i]->incarnation;
    e.timer = t.kind;
    e.round = t.round;
    e.time = std::max(t.at_ms, now() + 1);
    Push(e);
  }
  // The leader of an epoch's last block crashes as soon as its proposal left.
  if (s_.crash_at_epoch_end && s_.epoch_every != 0 && instances_[i]->up && !AfterGst() &&
      down_ < s_.max_down) {
    for (const Outbound& o : out.sends) {
      const auto* p = std::get_if<ProposalMsg>(&o.message);
      if (p != nullptr && p->block.proposer == instances_[i]->index &&
          p->block.height % s_.epoch_every == 0) {
        ++outcome_.boundary_crashes;
        Crash(i);
        break;
      }
    }
  }
  // Crash point: right after something signed left, before the next input.
  if (signed_something && s_.crash_after_send > 0 && !AfterGst() && down_ < s_.max_down &&
      Uniform() < s_.crash_after_send) {
    Crash(i);
  }
  // A committed block ended the epoch: consensus restarts on it in the next one.
  if (instances_[i]->switch_pending && instances_[i]->up) StartEngine(i);
}

bool Cluster::LivenessDone() const {
  for (size_t i = 0; i < instances_.size(); ++i) {
    if (!Honest(static_cast<int>(i))) continue;
    const auto& l = instances_[i]->ledger;
    if (l.empty() || l.back().block.height < gst_height_ + 2) return false;
  }
  return true;
}

void Cluster::MaybeReachGst() {
  if (gst_reached_) return;
  bool reached = false;
  if (TwinsMode()) {
    // GST: every honest node is past the scripted rounds, or the partitions heal by time.
    bool all_past = true;
    for (size_t i = 0; i < instances_.size(); ++i) {
      const auto& in = *instances_[i];
      if (Honest(static_cast<int>(i)) && in.up &&
          in.engine->current_round() <= s_.round_groups.size()) {
        all_past = false;
      }
    }
    reached = all_past || now() >= kTwinsHeal;
  } else {
    reached = now() >= s_.gst_ms;
  }
  if (!reached) return;
  gst_reached_ = true;
  gst_time_ = now();
  gst_height_ = outcome_.max_height;
}

void Cluster::Handle(const Event& e) {
  if (e.kind == EvKind::kPartition) {
    const uint64_t groups = 1 + Rand(3);
    for (auto& g : groups_) g = static_cast<uint8_t>(Rand(groups));
    return;
  }
  if (e.kind == EvKind::kRestart) {
    if (!instances_[e.inst]->up) {
      --down_;
      StartEngine(e.inst);
    }
    return;
  }
  if (e.kind == EvKind::kCrash) {
    if (down_ < s_.max_down && !AfterGst()) Crash(e.inst);
    return;
  }
  if (e.kind == EvKind::kNode) {
    node_->OnEvent(e.inst, *e.node_event);
    return;
  }
  Instance& in = *instances_[e.inst];
  if (!in.up) return;
  if (e.kind != EvKind::kDeliver && e.kind != EvKind::kPayload && e.incarnation != in.incarnation) {
    return;
  }
  Outputs out;
  Status st;
  switch (e.kind) {
    case EvKind::kDeliver: {
      if (s_.epoch_every != 0) {
        const uint64_t me = MessageEpoch(*e.msg);
        if (me > in.epoch) {
          const size_t had = in.ledger.size();
          CatchUpEpochs(e.inst, me);
          // As after block sync: consensus restarts from the new tip.
          if ((in.switch_pending || in.ledger.size() != had) && in.up && outcome_.ok) {
            StartEngine(e.inst);
          }
          return;
        }
      }
      const std::vector<Hash32> ids =
          node_ ? node_->BeforeMessage(e.inst, *e.msg) : std::vector<Hash32>{};
      st = in.engine->OnMessage(e.from, *e.msg, out);
      if (node_) node_->AfterMessage(e.inst, *e.msg, ids, st);
      break;
    }
    case EvKind::kTimer:
      st = in.engine->OnTimer(e.timer, e.round, out);
      break;
    case EvKind::kFetchReply:
      st = in.engine->OnFetchedBlocks(*e.blocks, out);
      break;
    case EvKind::kPayload:
      st = in.engine->OnPayloadReady(e.round, out);
      break;
    default:
      break;
  }
  if (HaltAfterIoError(e.inst, st, out)) return;
  // Honest engines only send valid messages; stale-proposal forgeries are rejected silently.
  if (!st.ok() && st.code() != StatusCode::kInvalidArgument) {
    Violation(false, "engine error: " + st.ToString());
  }
  HandleOutputs(e.inst, out);
}

Outcome Cluster::Run() {
  if (!TwinsMode()) {
    for (uint32_t k = 0; k < s_.partition_changes; ++k) {
      Event e;
      e.kind = EvKind::kPartition;
      e.time = Rand(s_.gst_ms);
      Push(e);
    }
    for (uint32_t k = 0; k < s_.random_crashes; ++k) {
      Event e;
      e.kind = EvKind::kCrash;
      e.inst = static_cast<int>(Rand(instances_.size()));
      e.time = Rand(s_.gst_ms);
      Push(e);
    }
  }
  for (int i = 0; i < static_cast<int>(instances_.size()); ++i) StartEngine(i);
  if (node_) node_->Begin();
  const uint64_t hard_end = TwinsMode() ? kTwinsEnd : s_.gst_ms + s_.liveness_ms;
  while (!queue_.empty() && outcome_.ok) {
    Event e = queue_.top();
    queue_.pop();
    if (e.time > hard_end) break;
    if (gst_reached_ && e.time > gst_time_ + s_.liveness_ms) break;
    clock_.now = std::max(clock_.now, e.time);
    MaybeReachGst();
    ++outcome_.events;
    if (trace_) {
      std::fprintf(stderr, "t=%llu kind=%d inst=%d round=%llu from=%u\n",
                   static_cast<unsigned long long>(e.time), static_cast<int>(e.kind), e.inst,
                   static_cast<unsigned long long>(e.msg ? MessageRound(*e.msg) : e.round), e.from);
    }
    Handle(e);
    if (trace_ && instances_[e.inst]->up) {
      const Engine& en = *instances_[e.inst]->engine;
      std::fprintf(stderr, "    -> r=%llu hqc=%llu lvr=%llu tc=%lld\n",
                   static_cast<unsigned long long>(en.current_round()),
                   static_cast<unsigned long long>(en.high_qc().round()),
                   static_cast<unsigned long long>(en.safety_record().last_voted_round),
                   static_cast<long long>(en.CurrentSyncInfo().highest_tc
                                              ? en.CurrentSyncInfo().highest_tc->round
                                              : -1));
    }
    if (gst_reached_ && LivenessDone() && (!node_ || node_->Done())) break;
    if (outcome_.events > kMaxEvents || queue_.size() > kMaxQueue) {
      Violation(false, "event explosion: " + std::to_string(outcome_.events) + " events, " +
                           std::to_string(queue_.size()) + " queued");
    }
  }
  outcome_.virtual_ms = now();
  if (outcome_.ok && !(gst_reached_ && LivenessDone())) {
    std::ostringstream os;
    os << "LIVENESS: honest nodes did not all commit height " << gst_height_ + 2 << " within "
       << s_.liveness_ms << "ms after GST (gst "
       << (gst_reached_ ? std::to_string(gst_time_) : std::string("never reached")) << "; heights:";
    for (size_t i = 0; i < instances_.size(); ++i) {
      const auto& in = *instances_[i];
      os << " " << i << (in.byzantine ? "b" : "") << "="
         << (in.ledger.empty() ? 0 : in.ledger.back().block.height);
      if (in.up) {
        const auto& rec = in.engine->safety_record();
        os << "/r" << in.engine->current_round() << ",hqc" << in.engine->high_qc().round() << ",lvr"
           << rec.last_voted_round << ",1c" << rec.one_chain_round << ",hcq"
           << in.engine->high_commit_qc().round();
      }
    }
    os << ")";
    outcome_.ok = false;
    outcome_.violation = os.str();
  }
  if (node_ && outcome_.ok) node_->Finish();
  if (node_) {
    outcome_.node_summary = node_->Summary();
    const NodeLayer::BatchStats b = node_->Batches();
    outcome_.batch_executed_txs = b.executed_txs;
    outcome_.batch_fetched = b.fetched;
    outcome_.batch_skipped_invalid = b.skipped_invalid;
    outcome_.batch_skipped_executed = b.skipped_executed;
    outcome_.batch_unavailable_blocks = b.unavailable_blocks;
    outcome_.batch_signers_lost = b.signers_lost;
    outcome_.batch_byz_proofs = b.byz_proofs;
    outcome_.batch_withheld_executed = b.byz_withheld_proved_executed;
    outcome_.batch_equivocated_executed = b.byz_equivocated_executed;
    outcome_.batch_wrong_answers = b.byz_wrong_answers;
  }
  return outcome_;
}

}  // namespace

const char* CanaryName(Canary c) {
  switch (c) {
    case Canary::kNone:
      return "none";
    case Canary::kCommitRule:
      return "commit-consecutive";
    case Canary::kLastVotedRound:
      return "last-voted-round";
    case Canary::kPersist:
      return "persist-before-send";
    case Canary::kTcCondition:
      return "tc-condition";
    case Canary::kObserveQc:
      return "observe-qc-on-vote";
    case Canary::kTimeoutLastVoted:
      return "timeout-last-voted";
    case Canary::kTimeoutOneChain:
      return "timeout-one-chain";
    case Canary::kLeaderDeterminism:
      return "leader-determinism";
  }
  return "?";
}

const std::vector<Canary>& AllCanaries() {
  static const std::vector<Canary> all = {
      Canary::kCommitRule, Canary::kLastVotedRound,   Canary::kPersist,        Canary::kTcCondition,
      Canary::kObserveQc,  Canary::kTimeoutLastVoted, Canary::kTimeoutOneChain,
      Canary::kLeaderDeterminism};
  return all;
}

char CanaryLetter(Canary c) {
  const auto& all = AllCanaries();
  const auto it = std::find(all.begin(), all.end(), c);
  return it == all.end() ? '-' : static_cast<char>('a' + (it - all.begin()));
}

bool ParseCanary(const std::string& s, Canary* out) {
  if (s == CanaryName(Canary::kNone)) {
    *out = Canary::kNone;
    return true;
  }
  for (Canary c : AllCanaries()) {
    if (s == CanaryName(c) || (s.size() == 1 && s[0] == CanaryLetter(c))) {
      *out = c;
      return true;
    }
  }
  return false;
}

bool CatchesCanary(Canary c, const Outcome& out) {
  if (out.ok) return false;
  return out.safety_violation || (c == Canary::kLeaderDeterminism && out.election_violation);
}

TestHooks HooksFor(Canary c) {
  TestHooks h;
  h.break_commit_consecutive = c == Canary::kCommitRule;
  h.break_last_voted_round = c == Canary::kLastVotedRound;
  h.break_persist_before_send = c == Canary::kPersist;
  h.break_tc_condition = c == Canary::kTcCondition;
  h.break_observe_qc_on_vote = c == Canary::kObserveQc;
  h.break_timeout_last_voted_round = c == Canary::kTimeoutLastVoted;
  h.break_timeout_one_chain_round = c == Canary::kTimeoutOneChain;
  h.break_leader_determinism = c == Canary::kLeaderDeterminism;
  return h;
}

std::string Describe(const Scenario& s) {
  std::ostringstream os;
  if (s.mode == "directed") {
    os << "mode=directed seed=" << s.seed << " (" << DirectedName(s.seed) << ") n=" << s.n
       << " canary=" << CanaryName(s.canary);
    return os.str();
  }
  if (s.mode == "adversarial") {
    os << "mode=adversarial seed=" << s.seed << " n=" << s.n << " canary=" << CanaryName(s.canary)
       << " " << DescribeAdversarialPlan(s.seed);
    return os.str();
  }
  os << "mode=" << s.mode << " seed=" << s.seed << " n=" << s.n << " twins=" << s.twins
     << " adversary=" << s.adversary << " drop=" << s.drop << " dup=" << s.dup
     << " max_delay_ms=" << s.max_delay_ms << " canary=" << CanaryName(s.canary);
  if (s.mode == "random") {
    os << " partition_changes=" << s.partition_changes << " random_crashes=" << s.random_crashes
       << " crash_after_send=" << s.crash_after_send << " max_down=" << s.max_down
       << " gst_ms=" << s.gst_ms << " io_error_rate=" << s.io_error_rate;
    if (s.txs_per_s > 0) {
      os << " txs_per_s=" << s.txs_per_s << " byzantine_node=" << s.byzantine_node;
      if (s.node_mutation != 0) os << " node_mutation=" << int{s.node_mutation};
      if (s.batches) os << " batches=1 batch_byzantine=" << int{s.batch_byzantine};
    }
  }
  if (s.epoch_every != 0) {
    os << " epoch_every=" << s.epoch_every;
    if (s.crash_at_epoch_end) os << " crash_at_epoch_end=1";
    if (s.epoch_mutation != 0) os << " epoch_mutation=" << int{s.epoch_mutation};
  }
  if (s.mode == "random") {
  } else {
    os << " rounds=[";
    for (size_t r = 0; r < s.round_groups.size(); ++r) {
      os << (r ? " " : "") << "L" << s.round_leaders[r] << ":";
      for (uint8_t g : s.round_groups[r]) os << static_cast<int>(g);
    }
    os << "]";
  }
  return os.str();
}

std::string ReplayCommand(const Scenario& s) {
  std::ostringstream os;
  os << "build/bin/laurel-sim --" << s.mode << " --seed " << s.seed;
  if (s.mode == "random") os << " --n " << s.n;  // the drawn n, so the replay is exact
  // The rate is drawn from the seed, but a test may set another one.
  if (s.mode == "random" && s.io_error_rate > 0) os << " --io-errors " << s.io_error_rate;
  if (s.mode == "random" && s.txs_per_s > 0) os << " --txs-per-s " << s.txs_per_s;
  if (s.mode == "random" && s.node_mutation != 0) os << " --node-mutation " << int{s.node_mutation};
  if (s.mode == "random" && s.batches) {
    os << " --batches --batch-byzantine " << int{s.batch_byzantine};
  }
  if (s.epoch_every != 0) os << " --epoch-every " << s.epoch_every;
  if (s.epoch_mutation != 0) os << " --epoch-mutation " << int{s.epoch_mutation};
  if (s.crash_at_epoch_end) os << " --crash-at-epoch-end";
  if (s.canary != Canary::kNone) os << " --canary " << CanaryName(s.canary);
  os << " --seeds 1 --verbose";
  return os.str();
}

Scenario RandomScenario(uint64_t seed, uint32_t n_override, Canary canary) {
  std::mt19937_64 r(seed ^ 0x51ed270b27a3c4f1ULL);
  auto u = [&] { return static_cast<double>(r() >> 11) * 0x1.0p-53; };
  Scenario s;
  s.mode = "random";
  s.seed = seed;
  s.canary = canary;
  const uint32_t drawn_n = u() < 0.7 ? 4 : 7;  // drawn always, so --n keeps the other draws
  s.n = n_override != 0 ? n_override : drawn_n;
  const uint32_t f = (s.n - 1) / 3;
  s.twins = u() < 0.5 ? static_cast<uint32_t>(1 + r() % f) : 0;
  s.adversary = s.twins > 0 && u() < 0.7;
  s.drop = u() < 0.3 ? 0 : u() * 0.3;
  s.dup = u() * 0.1;
  const uint32_t delays[] = {5, 20, 60, 250};
  s.max_delay_ms = delays[r() % 4];
  s.partition_changes = static_cast<uint32_t>(r() % 7);
  s.gst_ms = 2000 + r() % 10000;
  if (u() < 0.6) {
    s.random_crashes = static_cast<uint32_t>(r() % 4);
    const double crash_rates[] = {0, 0.02, 0.1, 0.3};
    s.crash_after_send = crash_rates[r() % 4];
  }
  s.max_down = s.n == 4 ? 1 : 2;
  // Drawn last: the draws above are the same for a seed with or without this one.
  const bool io_errors = u() < 0.25;
  const double io_rates[] = {0.005, 0.02, 0.1};
  const double io_rate = io_rates[r() % 3];
  if (io_errors) s.io_error_rate = io_rate;
  // Drawn from a stream of its own, so that the draws above stay those of earlier versions.
  std::mt19937_64 rn(seed ^ 0x6e6f64656c617972ULL);
  s.byzantine_node = s.twins > 0 && rn() % 3 != 0;
  return s;
}

Scenario NodeScenario(uint64_t seed, uint32_t n_override) {
  Scenario s = RandomScenario(seed, n_override, Canary::kNone);
  const uint32_t rates[] = {25, 100, 250};
  s.txs_per_s = rates[seed % 3];
  return s;
}

Scenario BatchScenario(uint64_t seed, uint32_t n_override) {
  Scenario s = NodeScenario(seed, n_override);
  s.batches = true;
  if (s.twins > 0) {
    std::mt19937_64 r(seed ^ 0x62617463686573ULL);  // a stream of its own
    s.batch_byzantine = static_cast<uint8_t>(r() % 31 + 1);
  }
  return s;
}

namespace {
// Set partitions of 5 instances (0..3 = keys 0..3, 4 = the twin of key 0) into 2 or 3 groups
// with the twins in different groups, as group labels in canonical form.
const std::vector<std::vector<uint8_t>>& TwinsPartitions() {
  static const std::vector<std::vector<uint8_t>> parts = [] {
    std::vector<std::vector<uint8_t>> res;
    std::vector<uint8_t> g(5, 0);
    // Restricted growth strings enumerate each set partition once.
    auto rec = [&](auto&& self, int pos, int used) -> void {
      if (pos == 5) {
        if ((used == 2 || used == 3) && g[0] != g[4]) res.push_back(g);
        return;
      }
      for (int v = 0; v <= used && v < 3; ++v) {
        g[pos] = static_cast<uint8_t>(v);
        self(self, pos + 1, std::max(used, v + 1));
      }
    };
    rec(rec, 0, 0);
    return res;
  }();
  return parts;
}
constexpr uint32_t kTwinsRounds = 6;
}  // namespace

uint64_t TwinsSpaceSize() {
  const uint64_t per_round = TwinsPartitions().size() * 4;
  uint64_t total = 1;
  for (uint32_t r = 0; r < kTwinsRounds; ++r) total *= per_round;
  return total;
}

Scenario TwinsScenario(uint64_t index, Canary canary) {
  // Walk the space with a fixed odd stride so that consecutive indices differ in every round.
  const uint64_t total = TwinsSpaceSize();
  const uint64_t stride = 0x9e3779b97f4a7c15ULL % total | 1;
  uint64_t c = static_cast<uint64_t>((static_cast<unsigned __int128>(index) * stride) % total);
  Scenario s;
  s.mode = "twins";
  s.seed = index;
  s.n = 4;
  s.twins = 1;
  s.canary = canary;
  s.max_delay_ms = 10;
  s.liveness_ms = 40000;
  s.adversary = index % 2 == 1;  // odd indices add the network adversary to the twins
  const auto& parts = TwinsPartitions();
  for (uint32_t r = 0; r < kTwinsRounds; ++r) {
    const uint64_t choice = c % (parts.size() * 4);
    c /= parts.size() * 4;
    s.round_groups.push_back(parts[choice / 4]);
    s.round_leaders.push_back(static_cast<uint32_t>(choice % 4));
  }
  return s;
}

Outcome Run(const Scenario& s) {
  if (s.mode == "directed") return RunDirected(s);
  if (s.mode == "adversarial") return RunAdversarial(s);
  Cluster c(s);
  return c.Run();
}

bool MemoChecker::Check(const PublicKey& key, std::string_view domain, ByteView message,
                        const Signature& signature) {
  crypto::Sha256 h;
  h.Update(ByteView(key)).Update(domain).Update(message).Update(ByteView(signature));
  const Hash32 d = h.Finish();
  auto it = memo_.find(d);
  if (it != memo_.end()) return it->second;
  const bool ok = crypto::VerifyWithDomain(key, domain, message, signature);
  memo_.emplace(d, ok);
  return ok;
}

std::vector<crypto::PrivateKey> MakeKeys(uint8_t tag, size_t n) {
  std::vector<crypto::PrivateKey> k;
  for (size_t i = 0; i < n; ++i) {
    Bytes seed(32, 0);
    seed[0] = tag;
    seed[31] = static_cast<uint8_t>(i);
    k.push_back(crypto::PrivateKey::FromSeed(seed).value());
  }
  return k;
}

uint32_t TableElection::Leader(consensus::Round round, const consensus::Block* prev) const {
  if (round >= 1 && round <= table_.size()) return table_[round - 1];
  if (elect_after_n_ > 0) return consensus::ElectLeader(round, prev, elect_after_n_);
  return static_cast<uint32_t>(round);  // reduced mod n by the validator set
}

}  // namespace laurel::sim

#include "tests/sim/node_model.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "node/commit_proof.h"
#include "node/mempool.h"
#include "node/payload.h"
#include "node/payload_book.h"
#include "node/sync_tracker.h"
#include "node/wire.h"

namespace laurel::sim {

using namespace laurel::consensus;
using node::HashKey;
using node::Mempool;
using node::PayloadBook;
using node::SyncTracker;

namespace {
constexpr uint64_t kHelloEveryMs = 1000;
constexpr uint64_t kLyingHelloEveryMs = 700;
constexpr uint64_t kFakeProposalEveryMs = 300;
constexpr uint64_t kLyingHeight = uint64_t{1} << 62;
constexpr Round kFakeRound = Round{1} << 40;
constexpr size_t kFakeTxs = 20;     // pending transactions listed by a fake proposal
constexpr size_t kVariants = 6;     // block variants per Byzantine proposal
constexpr size_t kVariantTxs = 10;  // pending transactions per variant
// Scenario::node_mutation.
constexpr uint8_t kPullIgnoresBranch = 1;
constexpr uint8_t kSyncTrustsAnswers = 2;
}  // namespace

struct NodeEvent {
  enum class Kind : uint8_t {
    kSubmit,        // a client submits a new transaction to `inst`
    kGossip,        // tx_id arrives by gossip
    kHelloTick,     // `inst` says Hello to its peers
    kHello,         // a Hello (from_key, height) arrives
    kLyingHello,    // the Byzantine instance claims kLyingHeight
    kFakeProposal,  // the Byzantine instance forges a far-future proposal
    kSyncTimeout,   // the tracker's request timer of `inst` (incarnation)
    kSyncAnswer,    // a (forged) sync answer arrives
  };
  Kind kind = Kind::kSubmit;
  Hash32 tx_id{};
  uint32_t from_key = 0;
  uint64_t height = 0;
  uint64_t incarnation = 0;
  std::shared_ptr<const node::SyncResponseMsg> answer;
};

struct NodeLayer::Impl {
  class Source : public PayloadSource {
   public:
    Source(Impl* impl, int inst) : impl_(impl), inst_(inst) {}
    std::optional<Bytes> Pull(Round round, uint64_t /*height*/) override {
      return impl_->Pull(inst_, round);
    }

   private:
    Impl* impl_;
    int inst_;
  };

  struct NodeState {
    std::unique_ptr<Source> source;  // outlives engines (they hold a reference)
    std::unique_ptr<Mempool> mempool;
    std::unique_ptr<PayloadBook> book;
    std::unique_ptr<SyncTracker> tracker;
    std::unordered_set<Hash32, HashKey> pool;                 // mirror of the mempool's ids
    std::unordered_map<Hash32, uint64_t, HashKey> committed;  // tx id -> height
    uint64_t incarnation = 0;
  };

  struct TxInfo {
    types::Tx tx;
    uint64_t submitted_at = 0;
    int submitted_to = 0;
    bool owed = false;  // admitted from a client before GST + kAdmitWindowMs
    bool lost = false;  // every honest mempool holding it crashed before it committed
    std::set<int> holders;
    uint32_t committed_by = 0;  // honest instances
  };

  Impl(NodeHost& h, const Options& o)
      : host(h),
        txs_per_s(o.txs_per_s),
        byzantine_keys(o.byzantine_keys),
        byzantine_node(o.byzantine_node),
        mutation(o.mutation) {
    nodes.resize(host.HostInstances());
    for (int i = 0; i < static_cast<int>(nodes.size()); ++i) {
      if (host.HostByzantine(i)) {
        if (byzantine_inst < 0 && host.HostKey(i) == 0) byzantine_inst = i;
        continue;
      }
      ++honest;
      nodes[i].source = std::make_unique<Source>(this, i);
      Reset(i);
    }
  }

  bool Honest(int i) const { return !host.HostByzantine(i); }

  void Reset(int i) {
    NodeState& n = nodes[i];
    Mempool::Limits ml;
    ml.max_txs = kMempoolMaxTxs;
    n.mempool = std::make_unique<Mempool>(ml);
    n.book = std::make_unique<PayloadBook>(*n.mempool,
                                           PayloadBook::Limits{kBlockMaxTxs, size_t{1} << 20});
    const ValidatorSet& vs = host.HostValidators();
    SyncTracker::Verifier verifier;
    const bool trusting = mutation == kSyncTrustsAnswers;
    verifier.verify = [&vs, trusting](const node::SyncBlock& sb) {
      return trusting ? Status::Ok() : node::VerifyCommittedBlock(vs, sb);
    };
    verifier.proves_commit = [trusting](const node::SyncBlock& sb) {
      return trusting || node::CommitQcCoversBlock(sb);
    };
    n.tracker = std::make_unique<SyncTracker>(
        SyncTracker::Validators{static_cast<uint32_t>(vs.size()), host.HostKey(i)}, verifier);
    n.pool.clear();
    ++n.incarnation;
  }

  void Schedule(uint64_t at, int inst, NodeEvent ev) {
    host.HostSchedule(std::max(at, host.HostNow() + 1), inst,
                      std::make_shared<const NodeEvent>(std::move(ev)));
  }

  SyncTracker::Tip TipOf(int i) const {
    return SyncTracker::Tip{host.HostLedgerHeight(i), host.HostLedgerTip(i)};
  }

  // --- payload source (Node::Impl::Pull) ---
  std::optional<Bytes> Pull(int i, Round round) {
    NodeState& n = nodes[i];
    Engine* engine = host.HostEngine(i);
    if (engine == nullptr || mutation == kPullIgnoresBranch) return n.book->Pull(round, {});
    PayloadBook::ChainView view;
    view.root_id = engine->committed_root().id;
    view.root_height = engine->committed_root().height;
    view.executed_height = host.HostLedgerHeight(i);
    view.block = [engine](const BlockId& id) -> std::optional<Block> {
      auto blocks = engine->GetBlocks(id, 1);
      if (blocks.empty()) return std::nullopt;
      return std::move(blocks.front());
    };
    return n.book->Pull(round, engine->UncommittedBranch(engine->high_qc().block_id()), view);
  }

  void PayloadMaybeReady(int i) {
    Engine* engine = host.HostEngine(i);
    if (engine == nullptr) return;
    const std::optional<Round> r = nodes[i].book->TakeReadyRound();
    if (!r) return;
    Outputs out;
    const Status st = engine->OnPayloadReady(*r, out);
    host.HostOutputs(i, st, out);
  }

  // --- admission and gossip ---
  bool Admit(int i, const Hash32& id, bool from_client) {
    NodeState& n = nodes[i];
    TxInfo& info = txs.at(id);
    if (n.committed.count(id) > 0 || n.mempool->Contains(id)) return false;
    const Bytes wire = types::EncodeTx(info.tx);
    const auto res = n.mempool->Add(id, info.tx, wire.size(), UINT64_MAX / 2);
    if (res != Mempool::AddResult::kAdded) {
      if (from_client) ++refused;
      return false;
    }
    n.pool.insert(id);
    info.holders.insert(i);
    if (info.committed_by == 0 && !info.lost) pending.insert(id);
    n.book->OnAdmitted(id);
    return true;
  }

  void Submit(int i) {
    ++submitted;
    if (host.HostEngine(i) == nullptr) {
      ++unavailable;  // the client's connection fails; it is not admitted anywhere
      return;
    }
    TxInfo info;
    Bytes body = {'s', 'i', 'm', '-', 't', 'x'};
    for (int k = 0; k < 8; ++k) body.push_back(static_cast<uint8_t>(next_tx >> (8 * k)));
    ++next_tx;
    info.tx.body = body;
    const uint64_t client = host.HostRand(8);
    info.tx.signatures.push_back(
        types::TxSignature{Bytes(32, static_cast<uint8_t>(0xc0 + client)), Bytes(64, 0x5e)});
    info.submitted_at = host.HostNow();
    info.submitted_to = i;
    const Hash32 id = types::TxId(info.tx);
    txs.emplace(id, std::move(info));
    if (!Admit(i, id, /*from_client=*/true)) return;
    TxInfo& t = txs.at(id);
    if (host.HostNow() < host.HostGstMs() + kAdmitWindowMs) {
      t.owed = true;
      ++owed_open;
    }
    for (int j = 0; j < static_cast<int>(nodes.size()); ++j) {
      if (j == i || !Honest(j) || !host.HostDeliverable(i, j)) continue;
      NodeEvent ev;
      ev.kind = NodeEvent::Kind::kGossip;
      ev.tx_id = id;
      Schedule(host.HostNow() + host.HostDelay(), j, ev);
    }
    PayloadMaybeReady(i);
  }

  // --- execution (Node::Impl::ApplyBlock, ids only) ---
  void Execute(int i, const Block& b) {
    NodeState& n = nodes[i];
    auto decoded = node::DecodePayload(b.payload);
    std::vector<Hash32> ids;
    if (decoded) {
      for (const types::Tx& tx : *decoded) {
        const Hash32 id = types::TxId(tx);
        ids.push_back(id);
        if (const auto [at, fresh] = n.committed.emplace(id, b.height); !fresh) {
          if (b.proposer >= byzantine_keys) {
            std::ostringstream os;
            os << "DUPLICATE: node " << i << " (key " << host.HostKey(i) << ") committed tx "
               << HexEncode(ByteView(id.data(), 8)) << " again at height " << b.height
               << " in a block proposed by honest key " << b.proposer << " (round " << b.round
               << "), first committed at height " << at->second;
            host.HostViolation(true, os.str());
          } else {
            ++byzantine_duplicates;  // executed as a refused duplicate, like any node would
          }
          continue;
        }
        auto it = txs.find(id);
        if (it == txs.end()) continue;
        TxInfo& t = it->second;
        if (++t.committed_by == 1) pending.erase(id);
        if (t.owed && !t.lost && t.committed_by == honest) --owed_open;
      }
    }
    for (const Hash32& id : n.mempool->EvictExpired(b.height + 1)) ids.push_back(id);
    n.mempool->Remove(ids);
    n.book->OnCommitted(b.height, ids);
    for (const Hash32& id : ids) {
      if (n.pool.erase(id) > 0) txs.at(id).holders.erase(i);
    }
  }

  void Crash(int i) {
    if (!Honest(i)) return;
    NodeState& n = nodes[i];
    for (const Hash32& id : n.pool) {
      TxInfo& t = txs.at(id);
      t.holders.erase(i);
      if (t.holders.empty() && t.committed_by == 0 && !t.lost) {
        t.lost = true;
        ++lost;
        pending.erase(id);
        if (t.owed) --owed_open;
      }
    }
    Reset(i);
  }

  // --- block sync claims ---
  void OnSync(int i, SyncTracker::Outputs& out) {
    NodeState& n = nodes[i];
    std::ostringstream who;
    who << "node " << i << " (key " << host.HostKey(i) << ")";
    if (!out.apply.empty()) {
      host.HostViolation(true, "SYNC: " + who.str() + " was given " +
                                   std::to_string(out.apply.size()) +
                                   " blocks to apply by a lying peer");
    }
    if (out.restart_engine)
      host.HostViolation(false, "SYNC: " + who.str() + " restarts its engine");
    if (n.tracker->syncing()) host.HostViolation(false, "SYNC: " + who.str() + " is syncing");
    if (!out.request) return;
    const SyncTracker::Request& r = *out.request;
    ++sync_requests;
    NodeEvent t;
    t.kind = NodeEvent::Kind::kSyncTimeout;
    t.incarnation = n.incarnation;
    Schedule(r.timeout_at_ms, i, t);
    // Honest peers do not serve sync here (the engine's fetches bring nodes back); the liar
    // answers with a forged block on our tip.
    if (!byzantine_node || r.peer >= byzantine_keys) return;
    auto answer = std::make_shared<node::SyncResponseMsg>();
    answer->peer_height = kLyingHeight;
    CommittedBlock last;
    if (host.HostLastCommit(i, &last)) {
      node::SyncBlock sb;
      Block& b = sb.block;
      b.epoch = last.block.epoch;
      b.round = last.block_qc.round() + 1;
      b.height = last.block.height + 1;
      b.parent_id = last.block.id;
      b.qc = last.block_qc;
      b.timestamp_ms = last.block.timestamp_ms + 1;
      b.proposer = r.peer;
      SignBlock(b, host.HostSigningKey(r.peer));
      sb.block_qc = last.commit_qc;  // a real QC, of another block
      sb.commit_qc = last.commit_qc;
      answer->blocks.push_back(std::move(sb));
    }
    ++forged_answers;
    NodeEvent a;
    a.kind = NodeEvent::Kind::kSyncAnswer;
    a.from_key = r.peer;
    a.answer = std::move(answer);
    Schedule(host.HostNow() + 2 * host.HostDelay(), i, a);
  }

  // --- the Byzantine instance ---
  std::vector<types::Tx> PendingTxs(size_t max, bool random_start) {
    std::vector<types::Tx> res;
    if (pending.empty()) return res;
    auto it = pending.begin();
    if (random_start) std::advance(it, host.HostRand(pending.size()));
    for (; it != pending.end() && res.size() < max; ++it) res.push_back(txs.at(*it).tx);
    return res;
  }

  void FakeProposal() {
    std::vector<int> up;
    for (int j = 0; j < static_cast<int>(nodes.size()); ++j) {
      if (Honest(j) && host.HostEngine(j) != nullptr) up.push_back(j);
    }
    if (up.empty() || pending.empty()) return;
    const int j = up[host.HostRand(up.size())];
    CommittedBlock last;
    if (!host.HostLastCommit(j, &last)) return;
    const uint32_t key = host.HostKey(byzantine_inst);
    Block b;
    b.epoch = last.block.epoch;
    b.round = kFakeRound + fake_proposals;
    b.height = last.block.height + 1;  // close enough to the committed height to be noted
    b.parent_id = last.block.id;
    b.qc = last.block_qc;
    b.payload = node::EncodePayload(PendingTxs(kFakeTxs, /*random_start=*/false));
    b.timestamp_ms = host.HostNow();
    b.proposer = key;
    SignBlock(b, host.HostSigningKey(key));
    ++fake_proposals;
    host.HostSend(
        byzantine_inst,
        Outbound{kBroadcast, ProposalMsg{b, SyncInfo{last.block_qc, last.commit_qc, {}}}});
  }

  void Variants(int i, const ProposalMsg& p) {
    for (size_t k = 0; k < kVariants; ++k) {
      Block b = p.block;
      b.payload = node::EncodePayload(PendingTxs(kVariantTxs, /*random_start=*/true));
      b.timestamp_ms += k + 1;  // distinct even when no transaction is pending
      SignBlock(b, host.HostSigningKey(b.proposer));
      ++variants;
      host.HostSend(i, Outbound{kBroadcast, ProposalMsg{b, p.sync}});
    }
  }

  NodeHost& host;
  uint32_t txs_per_s;
  uint32_t byzantine_keys;
  bool byzantine_node;
  uint8_t mutation;
  int byzantine_inst = -1;
  uint32_t honest = 0;
  std::vector<NodeState> nodes;
  std::map<Hash32, TxInfo> txs;
  std::set<Hash32> pending;  // in some honest mempool, committed nowhere
  uint64_t next_tx = 0;
  uint64_t owed_open = 0;  // owed, not lost, not yet committed by every honest instance
  uint64_t submitted = 0, unavailable = 0, refused = 0, lost = 0, byzantine_duplicates = 0;
  uint64_t fake_proposals = 0, variants = 0, lying_hellos = 0, forged_answers = 0;
  uint64_t sync_requests = 0;
};

NodeLayer::NodeLayer(NodeHost& host, const Options& options)
    : impl_(std::make_unique<Impl>(host, options)) {}
NodeLayer::~NodeLayer() = default;

void NodeLayer::Begin() {
  Impl& m = *impl_;
  NodeHost& h = m.host;
  std::vector<int> honest;
  for (int i = 0; i < static_cast<int>(m.nodes.size()); ++i) {
    if (m.Honest(i)) honest.push_back(i);
  }
  const uint64_t window = h.HostGstMs() + kAdmitWindowMs;
  const uint64_t count = m.txs_per_s * window / 1000;
  for (uint64_t k = 0; k < count; ++k) {
    NodeEvent ev;
    ev.kind = NodeEvent::Kind::kSubmit;
    m.Schedule(h.HostRand(window), honest[h.HostRand(honest.size())], ev);
  }
  for (int i : honest) {
    NodeEvent ev;
    ev.kind = NodeEvent::Kind::kHelloTick;
    m.Schedule(h.HostRand(kHelloEveryMs), i, ev);
  }
  if (m.byzantine_node && m.byzantine_inst >= 0) {
    NodeEvent hello;
    hello.kind = NodeEvent::Kind::kLyingHello;
    m.Schedule(h.HostRand(kLyingHelloEveryMs), m.byzantine_inst, hello);
    NodeEvent fake;
    fake.kind = NodeEvent::Kind::kFakeProposal;
    m.Schedule(h.HostRand(kFakeProposalEveryMs), m.byzantine_inst, fake);
  }
}

PayloadSource& NodeLayer::Source(int inst) { return *impl_->nodes[inst].source; }

void NodeLayer::OnCrash(int inst) { impl_->Crash(inst); }

std::vector<Hash32> NodeLayer::BeforeMessage(int inst, const Message& m) {
  const auto* p = std::get_if<ProposalMsg>(&m);
  if (p == nullptr || !impl_->Honest(inst)) return {};
  return impl_->nodes[inst].book->NoteProposal(p->block, impl_->host.HostLedgerHeight(inst));
}

void NodeLayer::AfterMessage(int inst, const Message& m, const std::vector<Hash32>& ids,
                             const Status& st) {
  if (!impl_->Honest(inst)) return;
  Engine* engine = impl_->host.HostEngine(inst);
  if (engine == nullptr) return;
  PayloadBook& book = *impl_->nodes[inst].book;
  book.PruneNoted([engine](const BlockId& id) { return engine->HasBlock(id); });
  if (const auto* p = std::get_if<ProposalMsg>(&m)) {
    book.OnProposalHandled(p->block, ids, st.ok() || engine->HasBlock(p->block.id),
                           engine->current_round());
  }
}

void NodeLayer::OnOutputs(int inst, const Outputs& out) {
  Impl& m = *impl_;
  if (!m.Honest(inst)) {
    if (!m.byzantine_node || inst != m.byzantine_inst) return;
    for (const Outbound& o : out.sends) {
      const auto* p = std::get_if<ProposalMsg>(&o.message);
      if (p != nullptr && p->block.proposer == m.host.HostKey(inst)) m.Variants(inst, *p);
    }
    return;
  }
  Impl::NodeState& n = m.nodes[inst];
  for (const Outbound& o : out.sends) {
    const auto* p = std::get_if<ProposalMsg>(&o.message);
    if (p != nullptr && p->block.proposer == m.host.HostKey(inst))
      n.book->NoteOwnProposal(p->block);
  }
  // The cluster has appended the commits it accepted to the ledger: execute those.
  const uint64_t ledger = m.host.HostLedgerHeight(inst);
  for (const CommittedBlock& c : out.commits) {
    if (c.block.height <= ledger) m.Execute(inst, c.block);
  }
  if (Engine* e = m.host.HostEngine(inst)) n.mempool->SetRound(e->current_round());
}

void NodeLayer::OnEvent(int inst, const NodeEvent& ev) {
  Impl& m = *impl_;
  NodeHost& h = m.host;
  using K = NodeEvent::Kind;
  if (ev.kind == K::kSubmit) {
    m.Submit(inst);
    return;
  }
  if (h.HostEngine(inst) == nullptr) {
    // Down: what arrives is lost; its own ticks go on for when it is back.
    if (ev.kind == K::kHelloTick || ev.kind == K::kLyingHello || ev.kind == K::kFakeProposal) {
      m.Schedule(h.HostNow() + kHelloEveryMs, inst, ev);
    }
    return;
  }
  switch (ev.kind) {
    case K::kGossip:
      if (m.Admit(inst, ev.tx_id, /*from_client=*/false)) m.PayloadMaybeReady(inst);
      break;
    case K::kHelloTick: {
      for (int j = 0; j < static_cast<int>(m.nodes.size()); ++j) {
        if (j == inst || !m.Honest(j) || !h.HostDeliverable(inst, j)) continue;
        NodeEvent hello;
        hello.kind = K::kHello;
        hello.from_key = h.HostKey(inst);
        hello.height = h.HostLedgerHeight(inst);
        m.Schedule(h.HostNow() + h.HostDelay(), j, hello);
      }
      m.Schedule(h.HostNow() + kHelloEveryMs, inst, ev);
      break;
    }
    case K::kLyingHello: {
      for (int j = 0; j < static_cast<int>(m.nodes.size()); ++j) {
        if (!m.Honest(j) || !h.HostDeliverable(inst, j)) continue;
        NodeEvent hello;
        hello.kind = K::kHello;
        hello.from_key = h.HostKey(inst);
        hello.height = kLyingHeight;
        ++m.lying_hellos;
        m.Schedule(h.HostNow() + h.HostDelay(), j, hello);
      }
      m.Schedule(h.HostNow() + kLyingHelloEveryMs, inst, ev);
      break;
    }
    case K::kFakeProposal:
      m.FakeProposal();
      m.Schedule(h.HostNow() + kFakeProposalEveryMs, inst, ev);
      break;
    case K::kHello: {
      SyncTracker::Outputs out;
      m.nodes[inst].tracker->OnHello(ev.from_key, ev.height, m.TipOf(inst), h.HostNow(), out);
      m.OnSync(inst, out);
      break;
    }
    case K::kSyncTimeout: {
      if (ev.incarnation != m.nodes[inst].incarnation) break;
      SyncTracker::Outputs out;
      m.nodes[inst].tracker->OnRequestTimeout(m.TipOf(inst), h.HostNow(), out);
      m.OnSync(inst, out);
      break;
    }
    case K::kSyncAnswer: {
      SyncTracker::Outputs out;
      m.nodes[inst].tracker->OnSyncResponse(ev.from_key, *ev.answer, m.TipOf(inst), h.HostNow(),
                                            out);
      m.OnSync(inst, out);
      break;
    }
    case K::kSubmit:
      break;
  }
}

bool NodeLayer::Done() const {
  return impl_->owed_open == 0 && impl_->host.HostNow() >= impl_->host.HostGstMs() + kAdmitWindowMs;
}

std::string NodeLayer::Summary() const {
  const Impl& m = *impl_;
  std::ostringstream os;
  os << "txs: " << m.submitted << " submitted, " << m.unavailable << " to a down node, "
     << m.refused << " refused (mempool full), " << m.lost << " lost in crashes, "
     << m.byzantine_duplicates << " Byzantine duplicates; " << m.lying_hellos << " lying hellos, "
     << m.sync_requests << " sync requests, " << m.forged_answers << " forged answers, "
     << m.fake_proposals << " fake proposals, " << m.variants << " block variants";
  return os.str();
}

void NodeLayer::Finish() {
  if (Done()) return;
  const Impl& m = *impl_;
  std::ostringstream os;
  os << "ADMISSION LIVENESS: " << m.owed_open << " transactions admitted before GST+"
     << kAdmitWindowMs << "ms are not committed on every honest node";
  for (const auto& [id, t] : m.txs) {
    if (!t.owed || t.lost || t.committed_by == m.honest) continue;
    os << ", e.g. tx " << HexEncode(ByteView(id.data(), 8)) << " submitted to node "
       << t.submitted_to << " at t=" << t.submitted_at << "ms, committed by " << t.committed_by
       << " of " << m.honest << ", in " << t.holders.size() << " mempools";
    break;
  }
  os << " (" << Summary() << ")";
  m.host.HostViolation(false, os.str());
}

}  // namespace laurel::sim

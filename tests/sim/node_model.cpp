#include "tests/sim/node_model.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <deque>

#include "crypto/sha256.h"
#include "node/batch.h"
#include "node/batch_fetcher.h"
#include "node/batch_store.h"
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
    // Batch mode.
    kBatchTick,     // `inst` cuts a batch, re-pushes, re-broadcasts proofs, ticks its fetcher
    kBatchPush,     // a batch arrives from its author (from_key)
    kBatchAck,      // an acknowledgement arrives at the batch's author
    kProof,         // a proof of availability arrives
    kBatchRequest,  // a fetch request from from_key arrives
    kBatchAnswer,   // the answer of from_key arrives
    kByzBatchTick,  // Byzantine key 0 authors a batch
  };
  Kind kind = Kind::kSubmit;
  Hash32 tx_id{};
  uint32_t from_key = 0;
  uint64_t height = 0;
  uint64_t incarnation = 0;
  std::shared_ptr<const node::SyncResponseMsg> answer;
  std::shared_ptr<const node::Batch> batch;
  std::shared_ptr<const node::BatchAck> ack;
  std::shared_ptr<const node::ProofOfAvailability> proof;
  std::shared_ptr<const node::BatchInfo> info;
  std::shared_ptr<const node::BatchResponseMsg> response;
};

namespace {
constexpr uint64_t kRepushEveryMs = 400;  // unproved own batches, to peers that did not ack
constexpr uint64_t kReproveEveryMs = 600;  // proofs of own unexecuted batches, to everyone
constexpr uint64_t kByzBatchEveryMs = 250;
constexpr size_t kByzBatchTxs = 5;
constexpr size_t kMaxProposedProofs = 8;
constexpr std::string_view kSimChainId = "laurel-sim";  // the cluster's chain id
constexpr uint64_t kSimEpoch = 1;
}  // namespace

struct NodeLayer::Impl {
  class Source : public PayloadSource {
   public:
    Source(Impl* impl, int inst) : impl_(impl), inst_(inst) {}
    std::optional<Bytes> Pull(Round round, uint64_t height) override {
      if (impl_->batches) return impl_->PullBatches(inst_, round, height);
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

    // Batch mode, lost on a crash.
    struct Own {
      node::Batch batch;
      node::BatchInfo info;
      std::set<uint32_t> acked;
      uint64_t pushed_at = 0;
      std::optional<node::ProofOfAvailability> proof;
      uint64_t proved_at = 0;
    };
    std::unique_ptr<node::BatchStore> store;
    std::unique_ptr<node::BatchFetcher> fetcher;
    std::vector<Hash32> unbatched;  // admitted from clients, in no batch yet
    uint64_t next_batch_id = 0;
    std::map<Hash32, Own> own;                              // this node's batches, not executed
    std::map<Hash32, node::ProofOfAvailability> proofs;     // verified, not executed
    std::optional<Round> waiting_round;                     // Pull found nothing for it
    std::map<Hash32, node::Batch> unchecked;                // kMutFetchUnchecked only
    bool exec_dirty = true;
    // Batch mode, durable: the committed blocks not executed yet (the ledger's suffix), what
    // executed, and the executed batches (the committed store, served in place of block sync).
    std::deque<Block> exec_queue;
    uint64_t executed_height = 0;
    std::unordered_map<Hash32, uint64_t, HashKey> executed_digests;  // -> expires_at_height
    std::unordered_map<Hash32, node::Batch, HashKey> archive;
  };

  // Byzantine key 0's batches (batch mode).
  struct ByzBatch {
    node::Batch batch;
    node::BatchInfo info;
    uint8_t kind = 0;  // the kByz* behaviour it was made for
    std::map<uint32_t, crypto::Signature> acks;
    std::optional<node::ProofOfAvailability> proof;
    std::set<uint32_t> executed_by;  // honest instances
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
        mutation(o.mutation),
        batches(o.batches),
        batch_byzantine(o.batch_byzantine) {
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
    const ValidatorSet& vs = host.HostValidators();
    for (uint32_t k = 0; k < vs.size(); ++k) keys.push_back(vs.key(k));
    f = (static_cast<uint32_t>(keys.size()) - 1) / 3;
    if (batches && byzantine_inst >= 0 && (batch_byzantine & kByzBadProofs) != 0) {
      nodes[byzantine_inst].source = std::make_unique<Source>(this, byzantine_inst);
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
    if (batches) {
      n.store = std::make_unique<node::BatchStore>(std::string(kSimChainId), kSimEpoch,
                                                   AllKeys(), host.HostKey(i),
                                                   node::BatchStore::Limits{});
      n.fetcher = std::make_unique<node::BatchFetcher>(host.HostKey(i), kFetchTimeoutMs);
      n.unbatched.clear();
      n.next_batch_id = n.incarnation << 32;  // increasing across restarts
      n.own.clear();
      n.proofs.clear();
      n.waiting_round.reset();
      n.unchecked.clear();
      n.exec_dirty = true;
    }
  }
  std::vector<crypto::PublicKey> AllKeys() const {
    const ValidatorSet& vs = host.HostValidators();
    std::vector<crypto::PublicKey> k;
    for (uint32_t v = 0; v < vs.size(); ++v) k.push_back(vs.key(v));
    return k;
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
    if (!batches) n.book->OnAdmitted(id);
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
    if (batches) {
      nodes[i].unbatched.push_back(id);
      if (nodes[i].unbatched.size() >= kBatchMaxTxs) CutBatches(i);
      return;
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

  // ===================== batch mode (docs/spec/batches.md) =====================
  int InstOfKey(uint32_t key) const {
    if (key < byzantine_keys && byzantine_inst >= 0 && key == host.HostKey(byzantine_inst)) {
      return byzantine_inst;
    }
    for (int j = 0; j < static_cast<int>(nodes.size()); ++j) {
      if (host.HostKey(j) == key) return j;
    }
    return -1;
  }

  // A node message from instance `from` to `to`, through the simulated network.
  void Deliver(int from, int to, NodeEvent ev) {
    if (to < 0 || to == from) return;
    if (!host.HostDeliverable(from, to)) {
      ++batch_msgs_dropped;
      return;
    }
    ++batch_msgs;
    Schedule(host.HostNow() + host.HostDelay(), to, std::move(ev));
  }
  void ToAllOthers(int from, const NodeEvent& ev) {
    for (int j = 0; j < static_cast<int>(nodes.size()); ++j) {
      if (j != from) Deliver(from, j, ev);
    }
  }

  crypto::Signature AckSig(uint32_t key, const node::BatchInfo& info) const {
    return host.HostSigningKey(key).Sign(node::BatchAckSignBytes(kSimChainId, info));
  }

  // The author cuts its unbatched transactions into batches and pushes them.
  void CutBatches(int i) {
    NodeState& n = nodes[i];
    const uint32_t me = host.HostKey(i);
    while (!n.unbatched.empty()) {
      const size_t take = std::min(n.unbatched.size(), kBatchMaxTxs);
      node::Batch b;
      b.epoch = kSimEpoch;
      b.author = me;
      b.batch_id = n.next_batch_id++;
      b.expires_at_height = n.executed_height + kBatchExpiry;
      for (size_t k = 0; k < take; ++k) b.txs.push_back(types::EncodeTx(txs.at(n.unbatched[k]).tx));
      auto info = n.store->Insert(me, b, n.executed_height);
      if (!info.ok()) {
        ++batch_refused;  // over this author's quota: try again at the next tick
        return;
      }
      n.unbatched.erase(n.unbatched.begin(), n.unbatched.begin() + take);
      ++batches_cut;
      NodeState::Own& o = n.own[info->digest];
      o.batch = b;
      o.info = *info;
      OnAck(i, node::BatchAck{*info, me, AckSig(me, *info)});  // its own
      Push(i, o);
    }
  }
  void Push(int i, NodeState::Own& o) {
    o.pushed_at = host.HostNow();
    NodeEvent ev;
    ev.kind = NodeEvent::Kind::kBatchPush;
    ev.from_key = host.HostKey(i);
    ev.batch = std::make_shared<const node::Batch>(o.batch);
    for (int j = 0; j < static_cast<int>(nodes.size()); ++j) {
      if (j != i && o.acked.count(host.HostKey(j)) == 0) Deliver(i, j, ev);
    }
  }
  void BroadcastProof(int i, const node::ProofOfAvailability& p) {
    NodeEvent ev;
    ev.kind = NodeEvent::Kind::kProof;
    ev.from_key = host.HostKey(i);
    ev.proof = std::make_shared<const node::ProofOfAvailability>(p);
    ToAllOthers(i, ev);
  }

  // An acknowledgement of one of honest instance i's batches.
  void OnAck(int i, const node::BatchAck& ack) {
    NodeState& n = nodes[i];
    auto it = n.own.find(ack.info.digest);
    if (it == n.own.end()) return;
    auto r = n.store->AddAck(ack);
    if (!r.ok()) return;
    it->second.acked.insert(ack.signer);
    if (!r->has_value()) return;
    ++proofs_made;
    it->second.proof = **r;
    it->second.proved_at = host.HostNow();
    const node::ProofOfAvailability p = **r;
    BroadcastProof(i, p);
    AddProof(i, p);  // may hand a waiting round its payload (and the engine's outputs)
  }

  // A proof reaches honest instance i: verified, kept for its proposals.
  void AddProof(int i, const node::ProofOfAvailability& p) {
    NodeState& n = nodes[i];
    if (n.executed_digests.count(p.info.digest) > 0 || n.proofs.count(p.info.digest) > 0) return;
    if (p.info.expires_at_height <= n.executed_height + 1) return;
    if (mutation != kMutNoProofCheck &&
        !node::VerifyProof(kSimChainId, kSimEpoch, keys, p).ok()) {
      ++proofs_refused;
      return;
    }
    n.proofs.emplace(p.info.digest, p);
    if (n.waiting_round) {
      const Round r = *n.waiting_round;
      n.waiting_round.reset();
      if (Engine* e = host.HostEngine(i)) {
        Outputs out;
        const Status st = e->OnPayloadReady(r, out);
        host.HostOutputs(i, st, out);
      }
    }
  }

  static std::vector<Hash32> DigestsOf(const Bytes& payload) {
    std::vector<Hash32> d;
    if (!node::IsBatchPayload(payload)) return d;
    auto proofs = node::DecodeBatchPayload(payload);
    if (!proofs.ok()) return d;
    for (const auto& p : *proofs) d.push_back(p.info.digest);
    return d;
  }

  // The payload source (what Node::Impl::Pull does with batches): proofs neither in the branch
  // extended nor committed, not expiring at this height.
  std::optional<Bytes> PullBatches(int i, Round round, uint64_t height) {
    if (Honest(i)) return PullHonest(i, round, height);
    return PullByzantine(height);
  }
  std::optional<Bytes> PullHonest(int i, Round round, uint64_t height) {
    NodeState& n = nodes[i];
    Engine* engine = host.HostEngine(i);
    std::unordered_set<Hash32, HashKey> taken;
    if (engine != nullptr) {
      for (const BlockId& id : engine->UncommittedBranch(engine->high_qc().block_id())) {
        auto blocks = engine->GetBlocks(id, 1);
        if (blocks.empty()) continue;
        for (const Hash32& d : DigestsOf(blocks.front().payload)) taken.insert(d);
      }
    }
    for (const Block& b : n.exec_queue) {
      for (const Hash32& d : DigestsOf(b.payload)) taken.insert(d);
    }
    std::vector<node::ProofOfAvailability> chosen;
    for (const auto& [d, p] : n.proofs) {
      if (chosen.size() >= kMaxProposedProofs) break;
      if (taken.count(d) > 0 || n.executed_digests.count(d) > 0) continue;
      if (p.info.expires_at_height <= height + 1) continue;  // leave a margin of one height
      chosen.push_back(p);
    }
    if (chosen.empty()) {
      n.waiting_round = round;
      return std::nullopt;
    }
    n.waiting_round.reset();
    return node::EncodeBatchPayload(chosen);
  }

  // Byzantine key 0's proposals (kByzBadProofs): proofs with a broken signature, expired
  // proofs, proofs of batches that may have executed, its own proofs and unproved "proofs".
  std::optional<Bytes> PullByzantine(uint64_t height) {
    std::vector<node::ProofOfAvailability> out;
    std::set<Hash32> used;
    auto add = [&](const node::ProofOfAvailability& p) {
      if (out.size() < kMaxProposedProofs && used.insert(p.info.digest).second) out.push_back(p);
    };
    if (!byz_seen.empty()) {
      node::ProofOfAvailability bad = byz_seen[host.HostRand(byz_seen.size())];
      if (!bad.signatures.empty()) bad.signatures.back().second[7] ^= 0x20;
      add(bad);
      ++byz_bad_sig_proposed;
      for (const auto& p : byz_seen) {
        if (p.info.expires_at_height <= height) {
          add(p);
          ++byz_expired_proposed;
          break;
        }
      }
      add(byz_seen[host.HostRand(byz_seen.size())]);  // often executed already
      ++byz_old_proposed;
    }
    for (auto& [d, b] : byz_batches) {
      if (b.proof && b.info.expires_at_height > height + 1) add(*b.proof);
    }
    if (out.empty()) return Bytes{};
    return node::EncodeBatchPayload(out);
  }

  // --- execution in order, fetching missing batches first ---
  const node::Batch* Lookup(NodeState& n, const Hash32& d) {
    if (auto it = n.unchecked.find(d); it != n.unchecked.end()) return &it->second;
    return n.store->Get(d);
  }

  // ResolveBatchPayload without the proof check (kMutNoProofCheck only).
  Result<node::ResolvedPayload> ResolveUnverified(NodeState& n,
                                                  const std::vector<node::ProofOfAvailability>& ps,
                                                  uint64_t height) {
    node::ResolvedPayload r;
    for (const auto& p : ps) {
      if (p.info.expires_at_height <= height) {
        r.skipped.push_back(p.info.digest);
        continue;
      }
      const node::Batch* b = Lookup(n, p.info.digest);
      if (b == nullptr) return Status::Unavailable("not held");
      r.txs.insert(r.txs.end(), b->txs.begin(), b->txs.end());
      r.used.push_back(p.info.digest);
    }
    return r;
  }

  void TryExecute(int i) {
    NodeState& n = nodes[i];
    if (!n.exec_dirty || host.HostEngine(i) == nullptr) return;
    n.exec_dirty = false;
    while (!n.exec_queue.empty()) {
      const Block b = n.exec_queue.front();
      std::vector<std::pair<Bytes, uint32_t>> run;  // tx wire, author key
      if (!node::IsBatchPayload(b.payload)) {
        if (auto decoded = node::DecodePayload(b.payload)) {
          for (const types::Tx& tx : *decoded) run.emplace_back(types::EncodeTx(tx), b.proposer);
        }
        ExecuteRun(i, b, run, {});
        n.exec_queue.pop_front();
        continue;
      }
      auto decoded = node::DecodeBatchPayload(b.payload);
      if (!decoded.ok()) {  // executes as an empty block, on every node alike
        ++payloads_malformed;
        ExecuteRun(i, b, run, {});
        n.exec_queue.pop_front();
        continue;
      }
      std::vector<node::ProofOfAvailability> proofs;
      for (auto& p : *decoded) {
        // A batch that executed at a lower height is not executed again (deterministic: every
        // honest node executed the same lower heights).
        if (mutation != kMutReexecute && n.executed_digests.count(p.info.digest) > 0) {
          ++proofs_skipped_executed;
          continue;
        }
        proofs.push_back(std::move(p));
      }
      auto resolved =
          mutation == kMutNoProofCheck
              ? ResolveUnverified(n, proofs, b.height)
              : node::ResolveBatchPayload(proofs, kSimChainId, kSimEpoch, keys, b.height,
                                          [&](const Hash32& d) { return Lookup(n, d); });
      if (!resolved.ok()) {
        if (resolved.status().code() != StatusCode::kUnavailable) {
          host.HostViolation(true, "RESOLVE: node " + std::to_string(i) + " at height " +
                                       std::to_string(b.height) + ": " +
                                       resolved.status().ToString());
          return;
        }
        WantMissing(i, proofs, b.height);
        return;  // resumes when a fetched batch arrives
      }
      proofs_skipped_invalid += resolved->skipped.size();
      for (const Hash32& d : resolved->used) {
        const node::Batch* batch = Lookup(n, d);
        for (const Bytes& tx : batch->txs) run.emplace_back(tx, batch->author);
      }
      std::vector<std::pair<Hash32, node::Batch>> used;
      for (const Hash32& d : resolved->used) used.emplace_back(d, *Lookup(n, d));
      ExecuteRun(i, b, run, used);
      n.exec_queue.pop_front();
    }
  }

  void WantMissing(int i, const std::vector<node::ProofOfAvailability>& proofs, uint64_t height) {
    NodeState& n = nodes[i];
    node::BatchFetcher::Outputs out;
    for (const auto& p : proofs) {
      if (p.info.expires_at_height <= height || Lookup(n, p.info.digest) != nullptr) continue;
      if (mutation != kMutNoProofCheck &&
          !node::VerifyProof(kSimChainId, kSimEpoch, keys, p).ok()) {
        continue;
      }
      if (!n.fetcher->IsWanted(p.info.digest)) ++fetches;
      (void)n.fetcher->Want(p, host.HostNow(), out);
    }
    SendRequests(i, out);
  }

  void SendRequests(int i, const node::BatchFetcher::Outputs& out) {
    for (const auto& r : out.requests) {
      NodeEvent ev;
      ev.kind = NodeEvent::Kind::kBatchRequest;
      ev.from_key = host.HostKey(i);
      ev.info = std::make_shared<const node::BatchInfo>(r.info);
      ++fetch_requests;
      Deliver(i, InstOfKey(r.to), ev);
    }
    if (!out.fetched.empty()) {
      fetched += out.fetched.size();
      nodes[i].exec_dirty = true;
    }
  }

  // Executes block b's transactions `run` on honest instance i (the batches `used` executed).
  void ExecuteRun(int i, const Block& b, const std::vector<std::pair<Bytes, uint32_t>>& run,
                  const std::vector<std::pair<Hash32, node::Batch>>& used) {
    NodeState& n = nodes[i];
    crypto::Sha256 seq;
    std::vector<Hash32> ids;
    for (const auto& [wire, author] : run) {
      auto tx = types::DecodeTx(wire);
      if (!tx.ok()) continue;
      const Hash32 id = types::TxId(*tx);
      const uint8_t len[4] = {static_cast<uint8_t>(wire.size() >> 24),
                              static_cast<uint8_t>(wire.size() >> 16),
                              static_cast<uint8_t>(wire.size() >> 8),
                              static_cast<uint8_t>(wire.size())};
      seq.Update(ByteView(len, 4));
      seq.Update(wire);
      ids.push_back(id);
      if (auto bz = byz_tx.find(id); bz != byz_tx.end()) {
        ByzBatch& zb = byz_batches.at(bz->second);
        if (!zb.proof) {
          host.HostViolation(true, "UNPROVEN: node " + std::to_string(i) + " executed tx " +
                                       HexEncode(ByteView(id.data(), 8)) + " of Byzantine batch " +
                                       std::to_string(zb.info.batch_id) +
                                       ", which has no proof of availability, at height " +
                                       std::to_string(b.height));
        }
      }
      if (const auto [at, fresh] = n.committed.emplace(id, b.height); !fresh) {
        if (author >= byzantine_keys) {
          std::ostringstream os;
          os << "DUPLICATE: node " << i << " (key " << host.HostKey(i) << ") executed tx "
             << HexEncode(ByteView(id.data(), 8)) << " of honest author " << author
             << " again at height " << b.height << ", first executed at height " << at->second;
          host.HostViolation(true, os.str());
        } else {
          ++byzantine_duplicates;
        }
        continue;
      }
      auto it = txs.find(id);
      if (it == txs.end()) continue;
      TxInfo& t = it->second;
      if (++t.committed_by == 1) pending.erase(id);
      if (t.owed && !t.lost && t.committed_by == honest) --owed_open;
    }
    const Hash32 digest = seq.Finish();
    if (const auto [it, fresh] = exec_seq.emplace(b.height, std::make_pair(digest, i)); !fresh) {
      if (it->second.first != digest) {
        host.HostViolation(true, "EXECUTION SAFETY: node " + std::to_string(i) +
                                     " executed another transaction sequence at height " +
                                     std::to_string(b.height) + " than node " +
                                     std::to_string(it->second.second));
      }
    }
    executed_txs += run.size();
    for (const auto& [d, batch] : used) {
      n.store->OnExecuted(d);
      n.unchecked.erase(d);
      n.fetcher->Cancel(d);
      n.executed_digests[d] = batch.expires_at_height;
      n.archive[d] = batch;
      n.proofs.erase(d);
      n.own.erase(d);
      if (auto zb = byz_batches.find(d); zb != byz_batches.end()) zb->second.executed_by.insert(i);
    }
    n.executed_height = b.height;
    n.store->OnCommitted(b.height);
    for (auto it = n.executed_digests.begin(); it != n.executed_digests.end();) {
      it = it->second <= b.height + 1 ? n.executed_digests.erase(it) : std::next(it);
    }
    for (auto it = n.proofs.begin(); it != n.proofs.end();) {
      it = it->second.info.expires_at_height <= b.height + 1 ? n.proofs.erase(it) : std::next(it);
    }
    // An own batch that can no longer execute: its transactions go into a new batch.
    for (auto it = n.own.begin(); it != n.own.end();) {
      if (it->second.info.expires_at_height > b.height + 1) {
        ++it;
        continue;
      }
      ++batches_expired;
      for (const Bytes& wire : it->second.batch.txs) {
        auto tx = types::DecodeTx(wire);
        if (tx.ok()) n.unbatched.push_back(types::TxId(*tx));
      }
      it = n.own.erase(it);
    }
    n.mempool->Remove(ids);
    for (const Hash32& id : ids) {
      if (n.pool.erase(id) > 0) txs.at(id).holders.erase(i);
    }
  }

  // --- batch events ---
  void BatchTick(int i) {
    NodeState& n = nodes[i];
    CutBatches(i);
    const uint64_t now = host.HostNow();
    for (auto& [d, o] : n.own) {
      if (!o.proof && now >= o.pushed_at + kRepushEveryMs) Push(i, o);
      if (o.proof && now >= o.proved_at + kReproveEveryMs) {
        o.proved_at = now;
        BroadcastProof(i, *o.proof);
      }
    }
    node::BatchFetcher::Outputs out;
    n.fetcher->OnTick(now, out);
    SendRequests(i, out);
    if (!n.exec_queue.empty()) n.exec_dirty = true;  // wants what is missing again, if need be
    TryExecute(i);
  }

  void OnPush(int i, uint32_t from, const node::Batch& b) {
    if (!Honest(i)) {
      if (i != byzantine_inst) return;
      // Byzantine key 0 acknowledges (and keeps the batch, to answer requests for it).
      const node::BatchInfo info = node::InfoOf(kSimChainId, b);
      byz_held[info.digest] = b;
      NodeEvent ev;
      ev.kind = NodeEvent::Kind::kBatchAck;
      ev.ack = std::make_shared<const node::BatchAck>(
          node::BatchAck{info, host.HostKey(i), AckSig(host.HostKey(i), info)});
      Deliver(i, InstOfKey(from), ev);
      return;
    }
    NodeState& n = nodes[i];
    auto info = n.store->Insert(from, b, n.executed_height);
    if (!info.ok()) {
      ++batch_refused;
      return;
    }
    ever_held.insert(info->digest);
    NodeEvent ev;
    ev.kind = NodeEvent::Kind::kBatchAck;
    ev.ack = std::make_shared<const node::BatchAck>(
        node::BatchAck{*info, host.HostKey(i), AckSig(host.HostKey(i), *info)});
    ++acks_sent;
    Deliver(i, InstOfKey(from), ev);
  }

  void OnRequest(int i, uint32_t from, const node::BatchInfo& info) {
    auto answer = std::make_shared<node::BatchResponseMsg>();
    answer->info = info;
    if (Honest(i)) {
      NodeState& n = nodes[i];
      if (const node::Batch* b = n.store->Get(info.digest)) {
        answer->batch = *b;
      } else if (auto it = n.archive.find(info.digest); it != n.archive.end()) {
        answer->batch = it->second;  // from its committed transactions (block sync)
        ++archive_answers;
      }
    } else if (i == byzantine_inst) {
      auto own = byz_batches.find(info.digest);
      const bool withheld = own != byz_batches.end() && own->second.kind != kByzEquivocate;
      if ((batch_byzantine & kByzBadAnswers) != 0 && (++byz_answers % 2) == 0) {
        node::Batch wrong;
        if (own != byz_batches.end()) wrong = own->second.batch;
        else if (auto h = byz_held.find(info.digest); h != byz_held.end()) wrong = h->second;
        if (!wrong.txs.empty()) {
          wrong.txs.front().back() ^= 0x01;  // same header and count, other bytes
          answer->batch = wrong;
          ++byz_wrong_answers;
        }
      } else if (!withheld) {
        if (own != byz_batches.end()) answer->batch = own->second.batch;
        else if (auto h = byz_held.find(info.digest); h != byz_held.end()) answer->batch = h->second;
      }
    } else {
      return;  // another Byzantine instance: silent
    }
    NodeEvent ev;
    ev.kind = NodeEvent::Kind::kBatchAnswer;
    ev.from_key = host.HostKey(i);
    ev.response = std::move(answer);
    Deliver(i, InstOfKey(from), ev);
  }

  void OnAnswer(int i, uint32_t from, const node::BatchResponseMsg& m) {
    NodeState& n = nodes[i];
    if (mutation == kMutFetchUnchecked) {
      // Broken on purpose: the bytes are taken for the digest asked for, unchecked.
      if (m.batch && n.fetcher->IsWanted(m.info.digest)) {
        n.unchecked[m.info.digest] = *m.batch;
        n.fetcher->Cancel(m.info.digest);
        ++fetched;
        n.exec_dirty = true;
        TryExecute(i);
        return;
      }
    }
    node::BatchFetcher::Outputs out;
    n.fetcher->OnResponse(from, m, *n.store, n.executed_height, host.HostNow(), out);
    SendRequests(i, out);
    TryExecute(i);
  }

  // Byzantine key 0 authors a batch (the behaviours of batch_byzantine, in turn).
  void ByzAuthor() {
    std::vector<uint8_t> kinds;
    for (uint8_t k : {kByzWithholdShort, kByzWithholdProved, kByzEquivocate}) {
      if ((batch_byzantine & k) != 0) kinds.push_back(k);
    }
    if (kinds.empty()) kinds.push_back(kByzWithholdProved);  // needed for proofs to misuse
    const uint8_t kind = kinds[byz_next_id % kinds.size()];
    std::vector<int> honest_insts;
    for (int j = 0; j < static_cast<int>(nodes.size()); ++j) {
      if (Honest(j)) honest_insts.push_back(j);
    }
    for (size_t k = honest_insts.size(); k > 1; --k) {
      std::swap(honest_insts[k - 1], honest_insts[host.HostRand(k)]);
    }
    const uint64_t id = byz_next_id++;
    auto make = [&](uint8_t variant) {
      ByzBatch z;
      z.kind = kind;
      z.batch.epoch = kSimEpoch;
      z.batch.author = host.HostKey(byzantine_inst);
      z.batch.batch_id = id;
      z.batch.expires_at_height = host.HostLedgerHeight(byzantine_inst) + kBatchExpiry;
      for (size_t t = 0; t < kByzBatchTxs; ++t) {
        types::Tx tx;
        tx.body = {'b', 'y', 'z', variant};
        for (int k = 0; k < 8; ++k) tx.body.push_back(static_cast<uint8_t>(id >> (8 * k)));
        tx.body.push_back(static_cast<uint8_t>(t));
        tx.signatures.push_back(types::TxSignature{Bytes(32, 0xbb), Bytes(64, 0x5e)});
        z.batch.txs.push_back(types::EncodeTx(tx));
      }
      z.info = node::InfoOf(kSimChainId, z.batch);
      for (const Bytes& wire : z.batch.txs) byz_tx[types::TxId(*types::DecodeTx(wire))] = z.info.digest;
      for (uint32_t k = 0; k < byzantine_keys; ++k) z.acks[k] = AckSig(k, z.info);  // colluders
      return z;
    };
    // Honest validators it pushes to: f+1 holders in all (kByzWithholdProved) or f (short),
    // counting the Byzantine keys, which all acknowledge.
    auto push = [&](const ByzBatch& z, size_t from, size_t count) {
      NodeEvent ev;
      ev.kind = NodeEvent::Kind::kBatchPush;
      ev.from_key = z.batch.author;
      ev.batch = std::make_shared<const node::Batch>(z.batch);
      for (size_t k = from; k < from + count && k < honest_insts.size(); ++k) {
        Deliver(byzantine_inst, honest_insts[k], ev);
      }
    };
    const size_t need = f + 1 > byzantine_keys ? f + 1 - byzantine_keys : 0;
    if (kind == kByzEquivocate) {
      ByzBatch a = make(0), b = make(1);
      const size_t half = honest_insts.size() / 2;
      push(a, 0, half);
      push(b, half, honest_insts.size() - half);
      ++byz_equivocations;
      byz_batches.emplace(a.info.digest, std::move(a));
      byz_batches.emplace(b.info.digest, std::move(b));
    } else {
      ByzBatch z = make(0);
      push(z, 0, kind == kByzWithholdProved ? need : (need > 0 ? need - 1 : 0));
      if (kind == kByzWithholdProved) ++byz_withheld_proved;
      else ++byz_withheld_short;
      byz_batches.emplace(z.info.digest, std::move(z));
    }
  }

  void ByzOnAck(const node::BatchAck& ack) {
    auto it = byz_batches.find(ack.info.digest);
    if (it == byz_batches.end()) return;
    ByzBatch& z = it->second;
    z.acks[ack.signer] = ack.signature;
    if (z.proof || z.acks.size() < f + 1) return;
    node::ProofOfAvailability p;
    p.info = z.info;
    for (const auto& [k, sig] : z.acks) p.signatures.emplace_back(k, sig);
    z.proof = p;
    ++byz_proofs;
    NodeEvent ev;
    ev.kind = NodeEvent::Kind::kProof;
    ev.from_key = host.HostKey(byzantine_inst);
    ev.proof = std::make_shared<const node::ProofOfAvailability>(p);
    ToAllOthers(byzantine_inst, ev);
  }

  void ByzTick() {
    ByzAuthor();
    // Its proofs again (and, for batches without one, a "proof" with too few signatures).
    const uint64_t h = host.HostLedgerHeight(byzantine_inst);
    for (auto& [d, z] : byz_batches) {
      if (z.info.expires_at_height <= h + 1) continue;
      node::ProofOfAvailability p;
      if (z.proof) {
        p = *z.proof;
      } else {
        p.info = z.info;
        for (const auto& [k, sig] : z.acks) p.signatures.emplace_back(k, sig);
      }
      NodeEvent ev;
      ev.kind = NodeEvent::Kind::kProof;
      ev.from_key = host.HostKey(byzantine_inst);
      ev.proof = std::make_shared<const node::ProofOfAvailability>(p);
      ToAllOthers(byzantine_inst, ev);
    }
  }

  // The first block honest instance i cannot execute and a digest it misses, if any.
  bool Stalled(int i, uint64_t* height, std::optional<node::ProofOfAvailability>* missing) {
    NodeState& n = nodes[i];
    if (n.exec_queue.empty()) return false;
    const Block& b = n.exec_queue.front();
    *height = b.height;
    missing->reset();
    if (auto proofs = node::DecodeBatchPayload(b.payload); proofs.ok()) {
      for (const auto& p : *proofs) {
        if (n.executed_digests.count(p.info.digest) == 0 && Lookup(n, p.info.digest) == nullptr &&
            p.info.expires_at_height > b.height &&
            (mutation == kMutNoProofCheck ||
             node::VerifyProof(kSimChainId, kSimEpoch, keys, p).ok())) {
          *missing = p;
          break;
        }
      }
    }
    return true;
  }
  uint64_t ByzExecutedEverywhere(uint8_t kind = 0) const {
    uint64_t c = 0;
    for (const auto& [d, z] : byz_batches) {
      if ((kind == 0 || z.kind == kind) && z.executed_by.size() == honest) ++c;
    }
    return c;
  }
  // Whether an honest instance holds the batch (in its store, or executed), and whether one of
  // them is a peer the fetcher asks (its author or a signer of its proof).
  bool HeldByHonest(const node::ProofOfAvailability& p, bool candidates_only) const {
    for (int j = 0; j < static_cast<int>(nodes.size()); ++j) {
      if (!Honest(j)) continue;
      const uint32_t key = host.HostKey(j);
      bool candidate = key == p.info.author;
      for (const auto& [signer, sig] : p.signatures) candidate = candidate || signer == key;
      if (candidates_only && !candidate) continue;
      const NodeState& m = nodes[j];
      if (m.store->Has(p.info.digest) || m.archive.count(p.info.digest) > 0) return true;
    }
    return false;
  }

  NodeHost& host;
  uint32_t txs_per_s;
  uint32_t byzantine_keys;
  bool byzantine_node;
  uint8_t mutation;
  bool batches;
  uint8_t batch_byzantine;
  std::vector<crypto::PublicKey> keys;
  uint32_t f = 0;
  std::map<uint64_t, std::pair<Hash32, int>> exec_seq;  // height -> sequence digest, instance
  std::map<Hash32, ByzBatch> byz_batches;
  std::unordered_set<Hash32, HashKey> ever_held;  // by an honest store (pushed)
  std::map<Hash32, node::Batch> byz_held;  // honest batches pushed to Byzantine key 0
  std::unordered_map<Hash32, Hash32, HashKey> byz_tx;  // Byzantine tx id -> its batch's digest
  std::vector<node::ProofOfAvailability> byz_seen;     // honest proofs Byzantine key 0 received
  uint64_t byz_next_id = 0, byz_answers = 0;
  uint64_t batch_msgs = 0, batch_msgs_dropped = 0, batches_cut = 0, batch_refused = 0;
  uint64_t acks_sent = 0, proofs_made = 0, proofs_refused = 0, batches_expired = 0;
  uint64_t fetches = 0, fetch_requests = 0, fetched = 0, archive_answers = 0;
  uint64_t executed_txs = 0, payloads_malformed = 0, proofs_skipped_executed = 0;
  uint64_t proofs_skipped_invalid = 0, unavailable_blocks = 0, signers_lost = 0;
  uint64_t byz_withheld_short = 0, byz_withheld_proved = 0, byz_equivocations = 0;
  uint64_t byz_proofs = 0, byz_wrong_answers = 0, byz_bad_sig_proposed = 0;
  uint64_t byz_expired_proposed = 0, byz_old_proposed = 0;
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
  if (m.batches) {
    for (int i : honest) {
      NodeEvent ev;
      ev.kind = NodeEvent::Kind::kBatchTick;
      m.Schedule(1 + h.HostRand(kBatchEveryMs), i, ev);
    }
    if (m.batch_byzantine != 0 && m.byzantine_inst >= 0) {
      NodeEvent ev;
      ev.kind = NodeEvent::Kind::kByzBatchTick;
      m.Schedule(1 + h.HostRand(kByzBatchEveryMs), m.byzantine_inst, ev);
    }
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

bool NodeLayer::HasSource(int inst) const { return impl_->nodes[inst].source != nullptr; }
PayloadSource& NodeLayer::Source(int inst) { return *impl_->nodes[inst].source; }

void NodeLayer::OnCrash(int inst) { impl_->Crash(inst); }

std::vector<Hash32> NodeLayer::BeforeMessage(int inst, const Message& m) {
  const auto* p = std::get_if<ProposalMsg>(&m);
  if (p == nullptr || !impl_->Honest(inst) || impl_->batches) return {};
  return impl_->nodes[inst].book->NoteProposal(p->block, impl_->host.HostLedgerHeight(inst));
}

void NodeLayer::AfterMessage(int inst, const Message& m, const std::vector<Hash32>& ids,
                             const Status& st) {
  if (!impl_->Honest(inst) || impl_->batches) return;
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
    // Batch mode: its block variants would list honest batches' transactions in version-1
    // payloads; its batch behaviours stand in for them.
    if (!m.byzantine_node || inst != m.byzantine_inst || m.batches) return;
    for (const Outbound& o : out.sends) {
      const auto* p = std::get_if<ProposalMsg>(&o.message);
      if (p != nullptr && p->block.proposer == m.host.HostKey(inst)) m.Variants(inst, *p);
    }
    return;
  }
  Impl::NodeState& n = m.nodes[inst];
  if (m.batches) {
    const uint64_t ledger = m.host.HostLedgerHeight(inst);
    for (const CommittedBlock& c : out.commits) {
      if (c.block.height <= ledger) {
        n.exec_queue.push_back(c.block);
        n.exec_dirty = true;
      }
    }
    m.TryExecute(inst);
    return;
  }
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
    if (ev.kind == K::kHelloTick || ev.kind == K::kLyingHello || ev.kind == K::kFakeProposal ||
        ev.kind == K::kBatchTick || ev.kind == K::kByzBatchTick) {
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
    case K::kBatchTick:
      m.BatchTick(inst);
      m.Schedule(h.HostNow() + kBatchEveryMs, inst, ev);
      break;
    case K::kByzBatchTick:
      m.ByzTick();
      m.Schedule(h.HostNow() + kByzBatchEveryMs, inst, ev);
      break;
    case K::kBatchPush:
      m.OnPush(inst, ev.from_key, *ev.batch);
      break;
    case K::kBatchAck:
      if (inst == m.byzantine_inst) m.ByzOnAck(*ev.ack);
      else if (m.Honest(inst)) m.OnAck(inst, *ev.ack);
      break;
    case K::kProof:
      if (m.Honest(inst)) {
        m.AddProof(inst, *ev.proof);
      } else if (inst == m.byzantine_inst && m.byz_seen.size() < 200 &&
                 ev.proof->info.author != h.HostKey(inst)) {
        m.byz_seen.push_back(*ev.proof);
      }
      break;
    case K::kBatchRequest:
      m.OnRequest(inst, ev.from_key, *ev.info);
      break;
    case K::kBatchAnswer:
      if (m.Honest(inst)) m.OnAnswer(inst, ev.from_key, *ev.response);
      break;
    case K::kSubmit:
      break;
  }
}

bool NodeLayer::Done() const {
  const Impl& m = *impl_;
  if (m.batches) {
    for (int i = 0; i < static_cast<int>(m.nodes.size()); ++i) {
      if (m.Honest(i) && !m.nodes[i].exec_queue.empty()) return false;
    }
  }
  return m.owed_open == 0 && m.host.HostNow() >= m.host.HostGstMs() + kAdmitWindowMs;
}

NodeLayer::BatchStats NodeLayer::Batches() const {
  const Impl& m = *impl_;
  BatchStats st;
  st.executed_txs = m.executed_txs;
  st.fetched = m.fetched;
  st.archive_answers = m.archive_answers;
  st.skipped_invalid = m.proofs_skipped_invalid;
  st.skipped_executed = m.proofs_skipped_executed;
  st.unavailable_blocks = m.unavailable_blocks;
  st.signers_lost = m.signers_lost;
  st.byz_proofs = m.byz_proofs;
  st.byz_withheld_proved_executed = m.ByzExecutedEverywhere(kByzWithholdProved);
  st.byz_equivocated_executed = m.ByzExecutedEverywhere(kByzEquivocate);
  st.byz_wrong_answers = m.byz_wrong_answers;
  return st;
}

std::string NodeLayer::Summary() const {
  const Impl& m = *impl_;
  std::ostringstream os;
  os << "txs: " << m.submitted << " submitted, " << m.unavailable << " to a down node, "
     << m.refused << " refused (mempool full), " << m.lost << " lost in crashes, "
     << m.byzantine_duplicates << " Byzantine duplicates; " << m.lying_hellos << " lying hellos, "
     << m.sync_requests << " sync requests, " << m.forged_answers << " forged answers, "
     << m.fake_proposals << " fake proposals, " << m.variants << " block variants";
  if (m.batches) {
    os << "; batches: " << m.batches_cut << " cut, " << m.batch_refused << " refused, "
       << m.acks_sent << " acks, " << m.proofs_made << " proofs, " << m.proofs_refused
       << " proofs refused, " << m.batches_expired << " expired unexecuted, " << m.fetches
       << " fetches (" << m.fetch_requests << " requests, " << m.fetched << " fetched, "
       << m.archive_answers << " from executed), " << m.executed_txs << " txs executed, "
       << m.proofs_skipped_executed << " proofs of executed batches skipped, "
       << m.proofs_skipped_invalid << " invalid or expired proofs skipped, "
       << m.payloads_malformed << " malformed payloads, " << m.unavailable_blocks
       << " stalls on a batch no honest node holds, " << m.signers_lost
       << " stalls on a batch only non-signers hold (after crashes), " << m.batch_msgs << " messages ("
       << m.batch_msgs_dropped << " dropped)";
    if (m.batch_byzantine != 0) {
      os << "; Byzantine author: " << m.byz_withheld_short << " withheld without proof, "
         << m.byz_withheld_proved << " withheld with f+1 holders, " << m.byz_equivocations
         << " equivocations, " << m.byz_proofs << " proofs, " << m.ByzExecutedEverywhere()
         << " of its batches executed on every honest node, " << m.byz_wrong_answers
         << " wrong answers, " << m.byz_bad_sig_proposed << " bad-signature, "
         << m.byz_expired_proposed << " expired and " << m.byz_old_proposed
         << " old proofs proposed";
    }
  }
  return os.str();
}

void NodeLayer::Finish() {
  Impl& mm = *impl_;
  if (mm.batches) {
    for (int i = 0; i < static_cast<int>(mm.nodes.size()); ++i) {
      uint64_t height = 0;
      std::optional<node::ProofOfAvailability> missing;
      if (!mm.Honest(i) || !mm.Stalled(i, &height, &missing)) continue;
      if (missing && !mm.HeldByHonest(*missing, /*candidates_only=*/true)) {
        // Every honest peer the fetcher may ask lost it in a crash (the stores are in memory).
        if (mm.HeldByHonest(*missing, false)) {
          ++mm.signers_lost;
          continue;
        }
        if (mm.ever_held.count(missing->info.digest) > 0) {
          ++mm.unavailable_blocks;
          continue;
        }
        // No honest node ever held it: only a proof that is not one lets that happen.
      }
      const Hash32 digest = missing ? missing->info.digest : Hash32{};
      std::ostringstream os;
      os << "EXECUTION STALL: node " << i << " (key " << mm.host.HostKey(i)
         << ") committed height " << mm.host.HostLedgerHeight(i) << " but executed only "
         << mm.nodes[i].executed_height << "; height " << height << " waits for batch "
         << HexEncode(ByteView(digest.data(), 8));
      if (missing) {
        os << " of author " << missing->info.author << ", signers";
        for (const auto& [k, sig] : missing->signatures) os << " " << k;
        os << ", held by honest";
        for (int j = 0; j < static_cast<int>(mm.nodes.size()); ++j) {
          if (!mm.Honest(j)) continue;
          if (mm.nodes[j].store->Has(digest)) os << " " << mm.host.HostKey(j) << "(store)";
          if (mm.nodes[j].archive.count(digest) > 0) os << " " << mm.host.HostKey(j) << "(executed)";
        }
        os << ", fetching: " << (mm.nodes[i].fetcher->IsWanted(digest) ? "yes" : "no");
      }
      os << " (" << Summary() << ")";
      mm.host.HostViolation(false, os.str());
      return;
    }
    if (mm.unavailable_blocks + mm.signers_lost > 0) return;  // its transactions cannot be owed any more
  }
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

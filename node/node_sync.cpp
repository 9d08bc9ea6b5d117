// Block sync: a node that is behind downloads committed blocks with their commit proofs from
// a peer's store, verifies them (hash links, proposer signatures, QCs, the 2-chain commit
// proof) and executes them; then it restarts its consensus engine from the new tip. What to
// ask, what to believe and when to stop is decided by the SyncTracker (sync_tracker.h); this
// file serves peers' requests and carries out the tracker's decisions.
#include "node/commit_proof.h"
#include "node/node_impl.h"

namespace laurel::node {

using namespace detail;

namespace {
std::atomic<int64_t> g_sync_refused_log{0};
std::atomic<int64_t> g_fetch_refused_log{0};
}  // namespace

Result<SyncBlock> Node::Impl::SyncBlockAt(uint64_t height) const {
  LAUREL_ASSIGN_OR_RETURN(auto rec, store_->GetBlock(height));
  if (!rec) return Status::NotFound("no block at height " + std::to_string(height));
  LAUREL_ASSIGN_OR_RETURN(SyncBlock sb, RebuildCommittedBlock(*rec, genesis_block_));
  // A version-2 block goes with its batches' transactions: the asker needs no batch store.
  if (IsBatchPayload(sb.block.payload)) sb.batches = StoredBatchTxs(sb.block, rec->txs);
  return sb;
}

void Node::Impl::OnSyncOutputs(SyncTracker::Outputs& out, uint32_t source) {
  for (const auto& d : out.demotions) {
    spdlog::warn("[sync] peer {} demoted for {} s: {}", d.peer, kDemotionMs / 1000, d.reason);
  }
  size_t applied = 0;
  for (const SyncBlock& sb : out.apply) {
    if (epoch_switch_pending_) {
      // The previous block ended its epoch; these were proven with the old set above its last
      // block, which no honest node serves (ServeSync stops at the boundary): void.
      spdlog::warn(
          "[sync] peer {} sent block {} of epoch {} above that epoch's last block; "
          "dropped {} blocks",
          source, sb.block.height, sb.block.epoch, out.apply.size() - applied);
      break;
    }
    // Durable once, after the batch (below): one WAL sync rather than one per block, which on a
    // disk with 3-4 ms syncs bounded catch-up near the rate a busy chain makes blocks. A crash
    // before it loses a suffix of these blocks, which sync fetches again.
    BlockTxs resolved;
    const BlockTxs* pre = nullptr;
    if (IsBatchPayload(sb.block.payload)) {
      // Checked against the proofs' digests (VerifySyncBlock did too; the store may have
      // changed since).
      auto carried = SyncedBatches(sb);
      std::unordered_map<Hash32, const Batch*, HashKey> by_digest;
      if (carried.ok()) {
        for (const Batch& b : *carried) by_digest[BatchDigest(genesis_.chain_id, b)] = &b;
      }
      std::vector<ProofOfAvailability> missing;
      const laurel::Status st = ResolveBlock(
          sb.block,
          [&](const Hash32& d) -> const Batch* {
            if (auto it = by_digest.find(d); it != by_digest.end()) return it->second;
            return batch_store_->Get(d);
          },
          &resolved, &missing);
      if (!carried.ok() || st.code() == StatusCode::kUnavailable) {
        spdlog::warn("[sync] block at height {} from peer {} lacks batches: {}", sb.block.height,
                     source, carried.ok() ? st.ToString() : carried.status().ToString());
        break;  // asked again from the store's height
      }
      if (!st.ok() && st.code() != StatusCode::kCorruption) {
        Halt("cannot resolve the batches of synced block at height " +
             std::to_string(sb.block.height) + ": " + st.ToString());
      }
      if (st.ok()) pre = &resolved;
    }
    const StateAttestation own =
        ApplyBlock(sb.block, sb.block_qc, sb.commit_qc, storage::Store::Durability::kDeferred, pre);
    if (sb.certificate) AdoptSyncedCertificate(*sb.certificate, own);
    ++applied;
  }
  if (applied > 0) {
    if (const laurel::Status st = store_->Sync(); !st.ok()) {
      HaltOnStorageError(st, "syncing blocks applied by block sync");
      Halt("cannot sync blocks applied by block sync: " + st.ToString());
    }
    spdlog::info("[sync] applied {} blocks from peer {}; height {} of {}", applied, source,
                 store_->Height(), sync_->peer_height(source));
  }
  if (epoch_switch_pending_) {
    // Blocks of the new epoch are verified with its set from now on; consensus restarts in it
    // (a full node stays without an engine), and sync goes on from the new tip.
    SwitchEpoch();
    SyncTracker::Outputs next;
    sync_->Poll(LocalTip(), SteadyNowMs(), next);
    for (const auto& d : next.demotions) out.demotions.push_back(d);
    if (next.request && !out.request) out.request = next.request;
    out.restart_engine = out.restart_engine || next.restart_engine;
  }
  syncing_ = sync_->syncing();
  if (out.request) {
    const SyncTracker::Request& r = *out.request;
    if (r.starts_sync) {
      spdlog::info("[sync] peer {} says it has height {} (we have {}); asking for blocks", r.peer,
                   r.claimed_height, store_->Height());
    }
    SendToSlot(r.peer, SyncRequestMsg{r.from_height, r.max_blocks});
    // A peer that does not answer in time is demoted (maybe another one is asked).
    sync_timer_.expires_at(std::chrono::steady_clock::time_point(milliseconds(r.timeout_at_ms)));
    sync_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      SyncTracker::Outputs next;
      sync_->OnRequestTimeout(LocalTip(), SteadyNowMs(), next);
      OnSyncOutputs(next, kMaxPeerSlots);
    });
  } else if (!sync_->request_outstanding()) {
    sync_timer_.cancel();
  }
  if (out.restart_engine) {
    spdlog::info("[sync] caught up at height {}", store_->Height());
    const laurel::Status st = RestartEngine();
    if (!st.ok()) {
      HaltOnStorageError(st, "restarting consensus after sync");
      Halt("cannot restart consensus after sync: " + st.ToString());
    }
  }
  UpdateStatus();
}

bool Node::Impl::TakeServeBudget(ServeBudget& budget, uint32_t slot, const char* kind,
                                 std::atomic<int64_t>& log_gate) {
  if (budget.Take(slot, SteadyNowMs())) return true;
  node_metrics_.requests_refused.Get(kind).Inc();
  if (EverySecond(log_gate)) {
    spdlog::warn("[p2p] peer slot {} is over its budget of {} requests ({} a second or {} MiB of "
                 "answers): requests dropped",
                 slot, kind, budget.limits().max_requests, budget.limits().max_bytes >> 20);
  }
  return false;
}

void Node::Impl::ServeSync(uint32_t from, const SyncRequestMsg& req) {
  // An honest asker has one request in flight and waits for its answer (SyncTracker).
  if (!TakeServeBudget(sync_serve_budget_, from, "sync", g_sync_refused_log)) return;
  SyncResponseMsg resp;
  const uint64_t tip = store_->Height();
  resp.peer_height = tip;
  const uint32_t n = std::min<uint32_t>(req.max_blocks, kSyncBatch);
  size_t bytes = 0;
  for (uint64_t h = std::max<uint64_t>(req.from_height, 1); h <= tip && resp.blocks.size() < n;
       ++h) {
    auto sb = SyncBlockAt(h);
    if (!sb.ok()) {
      spdlog::error("[sync] cannot serve height {}: {}", h, sb.status().ToString());
      break;
    }
    bytes += sb->block.payload.size() + 1024;
    for (const auto& txs : sb->batches) {
      for (const Bytes& tx : txs) bytes += tx.size() + 4;
    }
    if (!resp.blocks.empty() && bytes + kSyncFrameSlack > config_.max_frame_bytes) break;
    // One epoch per answer: the asker verifies the next epoch's blocks only once it has
    // executed the last block of this one.
    if (!resp.blocks.empty() && sb->block.epoch != resp.blocks.front().block.epoch) break;
    if (auto cert = store_->GetStateCertificate(h); cert.ok() && cert->has_value()) {
      if (auto c = DecodeStateCertificate(**cert); c.ok()) sb->certificate = std::move(c).value();
    }
    resp.blocks.push_back(std::move(sb).value());
  }
  sync_serve_budget_.Spent(from, bytes);
  SendToSlot(from, resp);
}

void Node::Impl::ServeFetch(uint32_t from, const FetchRequestMsg& req) {
  // An honest engine asks for a block it lacks, from two peers, and again only after a round
  // timeout (consensus::Engine::RefetchMissing).
  if (!TakeServeBudget(fetch_serve_budget_, from, "fetch", g_fetch_refused_log)) return;
  FetchResponseMsg resp;
  const uint32_t count = std::min<uint32_t>(req.count, kMaxFetchBlocks);
  size_t bytes = 0;  // of the answer, as its budget counts them
  if (engine_) {
    resp.blocks = engine_->GetBlocks(req.id, count);
    // The reply must fit one frame (a larger one would not be sent): as many blocks as fit,
    // always the first (one block is within block.max_bytes, below the frame limit).
    for (size_t i = 0; i < resp.blocks.size(); ++i) {
      const size_t next = bytes + resp.blocks[i].payload.size() + 1024;
      if (i > 0 && next + kSyncFrameSlack > config_.max_frame_bytes) {
        resp.blocks.resize(i);
        break;
      }
      bytes = next;
    }
  }
  if (resp.blocks.empty()) {
    // A committed block pruned from the engine's tree: serve it from the store.
    bytes = 0;
    if (auto h = store_->HeightOfBlock(req.id)) {
      for (uint64_t i = *h; i >= 1 && resp.blocks.size() < count; --i) {
        auto sb = SyncBlockAt(i);
        if (!sb.ok()) break;
        const size_t next = bytes + sb->block.payload.size() + 1024;
        if (!resp.blocks.empty() && next + kSyncFrameSlack > config_.max_frame_bytes) break;
        bytes = next;
        resp.blocks.push_back(std::move(sb->block));
      }
    }
  }
  fetch_serve_budget_.Spent(from, bytes);
  if (!resp.blocks.empty()) SendToSlot(from, resp);
}

}  // namespace laurel::node

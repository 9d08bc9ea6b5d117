// Block sync: a node that is behind downloads committed blocks with their commit proofs from
// a peer's store, verifies them (hash links, proposer signatures, QCs, the 2-chain commit
// proof) and executes them; then it restarts its consensus engine from the new tip.
#include "node/commit_proof.h"
#include "node/node_impl.h"

namespace laurel::node {

using namespace detail;

Result<SyncBlock> Node::Impl::SyncBlockAt(uint64_t height) const {
  LAUREL_ASSIGN_OR_RETURN(auto rec, store_->GetBlock(height));
  if (!rec) return Status::NotFound("no block at height " + std::to_string(height));
  return RebuildCommittedBlock(*rec, genesis_block_);
}

void Node::Impl::MaybeStartSync() {
  const uint64_t h = store_->Height();
  uint32_t best = 0;
  for (uint32_t i = 0; i < peer_heights_.size(); ++i) {
    if (peer_heights_[i] > peer_heights_[best]) best = i;
  }
  if (peer_heights_[best] <= h + kSyncGap || best == my_index_) {
    if (syncing_ && !sync_inflight_ && peer_heights_[best] <= h + kSyncGap) {
      syncing_ = false;
      sync_pending_.clear();
      spdlog::info("[sync] caught up at height {}", h);
      const laurel::Status st = RestartEngine();
      if (!st.ok()) Halt("cannot restart consensus after sync: " + st.ToString());
    }
    return;
  }
  if (sync_inflight_) return;
  if (!syncing_) {
    spdlog::info("[sync] behind: height {} while validator {} has {}; syncing", h, best,
                 peer_heights_[best]);
    syncing_ = true;
    UpdateStatus();
  }
  sync_inflight_ = true;
  const uint64_t from = h + 1 + sync_pending_.size();
  SendTo(best, SyncRequestMsg{from, kSyncBatch});
  // A peer that does not answer in time is asked again (maybe another one).
  sync_timer_.expires_after(milliseconds(3000));
  sync_timer_.async_wait([this, best](const boost::system::error_code& ec) {
    if (ec || !sync_inflight_) return;
    sync_inflight_ = false;
    peer_heights_[best] = 0;  // forget its height until it says hello again
    MaybeStartSync();
  });
}

void Node::Impl::ServeSync(uint32_t from, const SyncRequestMsg& req) {
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
    if (!resp.blocks.empty() && bytes + kSyncFrameSlack > config_.max_frame_bytes) break;
    resp.blocks.push_back(std::move(sb).value());
  }
  SendTo(from, resp);
}

void Node::Impl::ServeFetch(uint32_t from, const FetchRequestMsg& req) {
  FetchResponseMsg resp;
  const uint32_t count = std::min<uint32_t>(req.count, kMaxFetchBlocks);
  if (engine_) resp.blocks = engine_->GetBlocks(req.id, count);
  if (resp.blocks.empty()) {
    // A committed block pruned from the engine's tree: serve it from the store.
    if (auto h = store_->HeightOfBlock(req.id)) {
      size_t bytes = 0;
      for (uint64_t i = *h; i >= 1 && resp.blocks.size() < count; --i) {
        auto sb = SyncBlockAt(i);
        if (!sb.ok()) break;
        bytes += sb->block.payload.size() + 1024;
        if (!resp.blocks.empty() && bytes + kSyncFrameSlack > config_.max_frame_bytes) break;
        resp.blocks.push_back(std::move(sb->block));
      }
    }
  }
  if (!resp.blocks.empty()) SendTo(from, resp);
}

void Node::Impl::ApplySync(uint32_t from, const SyncResponseMsg& resp) {
  sync_inflight_ = false;
  sync_timer_.cancel();
  peer_heights_[from] = std::max(peer_heights_[from], resp.peer_height);
  peer_heard_[from] = true;
  uint64_t applied = 0;
  for (const SyncBlock& sb : resp.blocks) {
    const uint64_t h = store_->Height();
    const uint64_t want = h + 1 + sync_pending_.size();
    const cs::BlockId& parent = sync_pending_.empty() ? last_block_id_ : sync_pending_.back().block.id;
    if (sb.block.height < want) continue;
    if (sb.block.height != want || sb.block.parent_id != parent) {
      spdlog::warn("[sync] validator {} sent height {} (want {}) not linked to our chain", from,
                   sb.block.height, want);
      sync_pending_.clear();
      break;
    }
    const laurel::Status st = VerifyCommittedBlock(*validators_, sb);
    if (!st.ok()) {
      spdlog::warn("[sync] validator {} sent an unverifiable block at height {}: {}", from,
                   sb.block.height, st.ToString());
      sync_pending_.clear();
      break;
    }
    sync_pending_.push_back(sb);
    if (CommitQcCoversBlock(sb)) {
      // The 2-chain commit proof covers this block and every pending ancestor.
      for (const SyncBlock& p : sync_pending_) {
        ApplyBlock(p.block, p.block_qc, p.commit_qc);
        ++applied;
      }
      sync_pending_.clear();
    }
  }
  if (applied > 0) {
    spdlog::info("[sync] applied {} blocks from validator {}; height {} of {}", applied, from,
                 store_->Height(), peer_heights_[from]);
  }
  MaybeStartSync();
  UpdateStatus();
}

}  // namespace laurel::node

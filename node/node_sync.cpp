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

void Node::Impl::Demote(uint32_t peer, const std::string& why) {
  peer_heights_[peer] = 0;
  demoted_until_[peer] = std::chrono::steady_clock::now() + kDemotion;
  spdlog::warn("[sync] validator {} demoted for {} s: {}", peer, kDemotion.count(), why);
}

bool Node::Impl::Demoted(uint32_t peer) const {
  return std::chrono::steady_clock::now() < demoted_until_[peer];
}

void Node::Impl::MaybeStartSync() {
  const uint64_t h = store_->Height();
  uint32_t best = my_index_;
  uint64_t best_height = h;
  for (uint32_t i = 0; i < peer_heights_.size(); ++i) {
    if (i == my_index_ || Demoted(i)) continue;
    if (peer_heights_[i] > best_height) {
      best = i;
      best_height = peer_heights_[i];
    }
  }
  if (best == my_index_ || best_height <= h + kSyncGap) {
    if (sync_active_ && !sync_inflight_) {
      sync_active_ = false;
      sync_pending_.clear();
      const bool applied = sync_applied_ > 0;
      sync_applied_ = 0;
      syncing_ = false;
      // Only a sync that changed the store restarts the engine: a claim that came to nothing
      // leaves consensus alone.
      if (applied) {
        spdlog::info("[sync] caught up at height {}", h);
        const laurel::Status st = RestartEngine();
        if (!st.ok()) Halt("cannot restart consensus after sync: " + st.ToString());
      }
      UpdateStatus();
    }
    return;
  }
  if (sync_inflight_) return;
  if (!sync_active_) {
    spdlog::info("[sync] validator {} says it has height {} (we have {}); asking for blocks",
                 best, best_height, h);
    sync_active_ = true;
    sync_applied_ = 0;
  }
  sync_inflight_ = true;
  sync_peer_ = best;
  const uint64_t from = h + 1 + sync_pending_.size();
  SendTo(best, SyncRequestMsg{from, kSyncBatch});
  // A peer that does not answer in time is demoted (maybe another one is asked).
  sync_timer_.expires_after(milliseconds(3000));
  sync_timer_.async_wait([this, best](const boost::system::error_code& ec) {
    if (ec || !sync_inflight_ || sync_peer_ != best) return;
    sync_inflight_ = false;
    Demote(best, "no answer to a sync request within 3 s");
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
  if (engine_) {
    resp.blocks = engine_->GetBlocks(req.id, count);
    // The reply must fit one frame (a larger one would not be sent): as many blocks as fit,
    // always the first (one block is within block.max_bytes, below the frame limit).
    size_t bytes = 0;
    for (size_t i = 0; i < resp.blocks.size(); ++i) {
      bytes += resp.blocks[i].payload.size() + 1024;
      if (i > 0 && bytes + kSyncFrameSlack > config_.max_frame_bytes) {
        resp.blocks.resize(i);
        break;
      }
    }
  }
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
  // Only the answer to our outstanding request counts; anything else is ignored.
  if (!sync_inflight_ || from != sync_peer_) return;
  sync_inflight_ = false;
  sync_timer_.cancel();
  peer_heard_[from] = true;
  uint64_t applied = 0;
  uint64_t verified = 0;
  bool bad = false;
  for (const SyncBlock& sb : resp.blocks) {
    const uint64_t h = store_->Height();
    const uint64_t want = h + 1 + sync_pending_.size();
    const cs::BlockId& parent = sync_pending_.empty() ? last_block_id_ : sync_pending_.back().block.id;
    if (sb.block.height < want) continue;
    if (sb.block.height != want || sb.block.parent_id != parent) {
      Demote(from, "sent height " + std::to_string(sb.block.height) + " (want " +
                       std::to_string(want) + ") not linked to our chain");
      sync_pending_.clear();
      bad = true;
      break;
    }
    const laurel::Status st = VerifyCommittedBlock(*validators_, sb);
    if (!st.ok()) {
      Demote(from, "sent an unverifiable block at height " + std::to_string(sb.block.height) +
                       ": " + st.ToString());
      sync_pending_.clear();
      bad = true;
      break;
    }
    ++verified;
    sync_pending_.push_back(sb);
    if (CommitQcCoversBlock(sb)) {
      // The 2-chain commit proof covers this block and every pending ancestor: proven.
      for (const SyncBlock& p : sync_pending_) {
        ApplyBlock(p.block, p.block_qc, p.commit_qc);
        ++applied;
      }
      proven_height_ = std::max(proven_height_, store_->Height());
      sync_pending_.clear();
    }
  }
  if (!bad) {
    if (!Demoted(from)) peer_heights_[from] = resp.peer_height;
    // Claimed more than we have but delivered nothing new: the claim is not believed.
    if (verified == 0 && resp.peer_height > store_->Height() + kSyncGap) {
      Demote(from, "claims height " + std::to_string(resp.peer_height) + " but sent no block");
    }
  }
  if (applied > 0) {
    sync_applied_ += applied;
    syncing_ = true;  // behind by proof until caught up
    spdlog::info("[sync] applied {} blocks from validator {}; height {} of {}", applied, from,
                 store_->Height(), peer_heights_[from]);
  }
  MaybeStartSync();
  UpdateStatus();
}

}  // namespace laurel::node

#include "node/sync_tracker.h"

#include <algorithm>

namespace laurel::node {
namespace {
// Blocks pending a proof extend the tip they were received at. When the tip moved otherwise
// (consensus committed those heights itself) they no longer start at tip + 1 on the tip: they
// are dropped, so that they neither shift the wanted height nor carry a later block's link.
void DropStalePending(std::vector<SyncBlock>& pending, const SyncTracker::Tip& tip) {
  if (!pending.empty() && (pending.front().block.height != tip.height + 1 ||
                           pending.front().block.parent_id != tip.block_id)) {
    pending.clear();
  }
}
}  // namespace

SyncTracker::SyncTracker(Validators validators, Verifier verifier)
    : my_index_(validators.my_index),
      verifier_(std::move(verifier)),
      heights_(validators.count, 0),
      heard_(validators.count, false),
      demoted_until_ms_(validators.count, 0) {}

uint32_t SyncTracker::peers_heard() const {
  uint32_t n = 0;
  for (uint32_t i = 0; i < heard_.size(); ++i) {
    if (i != my_index_ && heard_[i]) ++n;
  }
  return n;
}

bool SyncTracker::Demoted(uint32_t peer, uint64_t now_ms) const {
  return peer < demoted_until_ms_.size() && now_ms < demoted_until_ms_[peer];
}

void SyncTracker::Demote(uint32_t peer, uint64_t now_ms, std::string reason, Outputs& out) {
  heights_[peer] = 0;
  demoted_until_ms_[peer] = now_ms + kDemotionMs;
  out.demotions.push_back({peer, std::move(reason)});
}

void SyncTracker::OnPeerDisconnected(uint32_t peer) {
  if (peer < heard_.size()) heard_[peer] = false;
}

void SyncTracker::OnHello(uint32_t from, uint64_t height, const Tip& tip, uint64_t now_ms,
                          Outputs& out) {
  if (!IsPeer(from)) return;
  if (!Demoted(from, now_ms)) heights_[from] = std::max(heights_[from], height);
  heard_[from] = true;
  Evaluate(tip, now_ms, out);
}

void SyncTracker::Poll(const Tip& tip, uint64_t now_ms, Outputs& out) {
  Evaluate(tip, now_ms, out);
}

void SyncTracker::OnRequestTimeout(const Tip& tip, uint64_t now_ms, Outputs& out) {
  if (!inflight_ || now_ms < deadline_ms_) return;
  inflight_ = false;
  Demote(
      peer_, now_ms,
      "no answer to a sync request within " + std::to_string(kSyncRequestTimeoutMs / 1000) + " s",
      out);
  Evaluate(tip, now_ms, out);
}

void SyncTracker::OnSyncResponse(uint32_t from, const SyncResponseMsg& resp, const Tip& start,
                                 uint64_t now_ms, Outputs& out) {
  // Only the answer to our outstanding request counts; anything else is ignored.
  if (!inflight_ || from != peer_) return;
  inflight_ = false;
  heard_[from] = true;
  DropStalePending(pending_, start);
  Tip tip = start;  // advances as blocks go to `apply`
  uint64_t applied = 0;
  uint64_t verified = 0;
  bool bad = false;
  for (const SyncBlock& sb : resp.blocks) {
    const uint64_t want = tip.height + 1 + pending_.size();
    const Hash32& parent = pending_.empty() ? tip.block_id : pending_.back().block.id;
    if (sb.block.height < want) continue;
    if (sb.block.height != want || sb.block.parent_id != parent) {
      Demote(from, now_ms,
             "sent height " + std::to_string(sb.block.height) + " (want " + std::to_string(want) +
                 ") not linked to our chain",
             out);
      pending_.clear();
      bad = true;
      break;
    }
    const Status st = verifier_.verify(sb);
    if (!st.ok()) {
      Demote(from, now_ms,
             "sent an unverifiable block at height " + std::to_string(sb.block.height) + ": " +
                 st.ToString(),
             out);
      pending_.clear();
      bad = true;
      break;
    }
    ++verified;
    pending_.push_back(sb);
    if (verifier_.proves_commit(sb)) {
      // The 2-chain commit proof covers this block and every pending ancestor: proven.
      tip = Tip{sb.block.height, sb.block.id};
      applied += pending_.size();
      for (SyncBlock& p : pending_) out.apply.push_back(std::move(p));
      pending_.clear();
      proven_height_ = std::max(proven_height_, tip.height);
    }
  }
  if (!bad) {
    if (!Demoted(from, now_ms)) heights_[from] = resp.peer_height;
    // Claimed more than we have but delivered nothing new: the claim is not believed.
    if (verified == 0 && resp.peer_height > tip.height + kSyncGap) {
      Demote(from, now_ms,
             "claims height " + std::to_string(resp.peer_height) + " but sent no block", out);
    }
  }
  if (applied > 0) {
    applied_ += applied;
    syncing_ = true;  // behind by proof until caught up
  }
  Evaluate(tip, now_ms, out);
}

void SyncTracker::Evaluate(const Tip& tip, uint64_t now_ms, Outputs& out) {
  DropStalePending(pending_, tip);
  const uint64_t h = tip.height;
  uint32_t best = my_index_;
  uint64_t best_height = h;
  for (uint32_t i = 0; i < heights_.size(); ++i) {
    if (i == my_index_ || Demoted(i, now_ms)) continue;
    if (heights_[i] > best_height) {
      best = i;
      best_height = heights_[i];
    }
  }
  if (best == my_index_ || best_height <= h + kSyncGap) {
    if (active_ && !inflight_) {
      active_ = false;
      pending_.clear();
      // Only a sync that changed the store restarts the engine: a claim that came to nothing
      // leaves consensus alone.
      out.restart_engine = out.restart_engine || applied_ > 0;
      applied_ = 0;
      syncing_ = false;
    }
    return;
  }
  if (inflight_) return;
  const bool starts = !active_;
  if (starts) {
    active_ = true;
    applied_ = 0;
  }
  inflight_ = true;
  peer_ = best;
  deadline_ms_ = now_ms + kSyncRequestTimeoutMs;
  out.request =
      Request{best, h + 1 + pending_.size(), kSyncBatch, deadline_ms_, starts, best_height};
}

}  // namespace laurel::node

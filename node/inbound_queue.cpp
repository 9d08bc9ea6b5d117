#include "node/inbound_queue.h"

namespace laurel::node {

InboundQueue::PushResult InboundQueue::Push(const crypto::PublicKey& peer, Bytes frame) {
  std::lock_guard lock(mu_);
  PeerQueue& q = peers_[peer];
  const bool fits = q.frames.empty() || (q.frames.size() < limits_.max_frames &&
                                         q.bytes + frame.size() <= limits_.max_bytes);
  if (!fits) {
    ++dropped_;
    return PushResult::kDropped;
  }
  q.bytes += frame.size();
  q.frames.push_back(std::move(frame));
  ++total_;
  if (drain_due_) return PushResult::kQueued;
  drain_due_ = true;
  return PushResult::kQueuedWake;
}

std::optional<std::pair<crypto::PublicKey, Bytes>> InboundQueue::Pop() {
  std::lock_guard lock(mu_);
  if (total_ == 0) {
    drain_due_ = false;
    return std::nullopt;
  }
  // The first peer with frames after the one served last, wrapping around.
  auto it = last_served_ ? peers_.upper_bound(*last_served_) : peers_.begin();
  for (size_t i = 0; i <= peers_.size(); ++i, ++it) {
    if (it == peers_.end()) it = peers_.begin();
    if (!it->second.frames.empty()) break;
  }
  PeerQueue& q = it->second;
  Bytes frame = std::move(q.frames.front());
  q.frames.pop_front();
  q.bytes -= frame.size();
  --total_;
  last_served_ = it->first;
  return std::make_pair(it->first, std::move(frame));
}

uint64_t InboundQueue::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

size_t InboundQueue::queued() const {
  std::lock_guard lock(mu_);
  return total_;
}

}  // namespace laurel::node

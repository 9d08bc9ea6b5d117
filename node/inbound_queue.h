// Frames received from peers, waiting for the node's event loop: one bounded queue per peer,
// served round-robin. A peer that floods (garbage, or validly framed messages that are costly
// to check) fills only its own queue, whose overflow is dropped and counted, and gets one turn
// in n: the frames of the other peers wait for at most one frame of each peer, not for the
// flood (docs/p2p.md, "Inbound frames").
//
// Thread safety: Push (the transport's I/O thread) and Pop (the event loop) may run
// concurrently; one mutex.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "common/bytes.h"
#include "crypto/ed25519.h"

namespace laurel::node {

class InboundQueue {
 public:
  struct Limits {
    size_t max_frames = 1024;        // per peer
    size_t max_bytes = size_t{64} << 20;  // per peer; a frame larger than this still fits alone
  };
  explicit InboundQueue(Limits limits) : limits_(limits) {}

  enum class PushResult : uint8_t {
    kQueued,      // queued behind other frames: a drain is already due
    kQueuedWake,  // queued and the queue was empty: the consumer must schedule a drain
    kDropped,     // the peer's queue is full: dropped (counted)
  };
  PushResult Push(const crypto::PublicKey& peer, Bytes frame);

  // The next frame, taking one from each peer with frames in turn (by key order, starting after
  // the peer served last); nullopt when every queue is empty. A consumer that gets nullopt must
  // schedule a drain again on the next kQueuedWake.
  std::optional<std::pair<crypto::PublicKey, Bytes>> Pop();

  uint64_t dropped() const;
  size_t queued() const;  // frames waiting, all peers

 private:
  struct PeerQueue {
    std::deque<Bytes> frames;
    size_t bytes = 0;
  };
  Limits limits_;
  mutable std::mutex mu_;
  std::map<crypto::PublicKey, PeerQueue> peers_;
  std::optional<crypto::PublicKey> last_served_;
  size_t total_ = 0;
  bool drain_due_ = false;  // a drain is scheduled (or running) and will see new frames
  uint64_t dropped_ = 0;
};

}  // namespace laurel::node

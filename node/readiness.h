// When a validator counts as ready (GET /readyz, NodeStatus::ready, the laurel_ready gauge):
// what the node knows about itself and its peers goes in, a verdict with a reason comes out.
// A pure function, so the rule is tested without a running node.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

namespace laurel::node {

// A ready node must have committed a block this recently. Chains commit even when idle (a
// leader without transactions proposes an empty block after payload_wait_ms), so a longer
// silence means the node is cut off from a quorum or consensus is stalled.
inline constexpr uint64_t kReadyCommitWindowMs = 30'000;

struct ReadinessFacts {
  bool running = false;                     // the consensus engine is started (and not stopped)
  bool syncing = false;                     // block sync in progress
  uint64_t height = 0;                      // own committed height
  uint64_t best_peer_height = 0;            // highest committed height a peer has reported
  uint64_t sync_gap = 0;                    // blocks a node may trail its best peer and still vote
  uint32_t peers_heard = 0;                 // connected validators that have reported their height
  uint32_t peers_needed = 0;                // quorum - 1 (2f for n = 3f+1; 0 for one validator)
  std::optional<uint64_t> ms_since_commit;  // since the last block this process committed
  std::string store_error;  // non-empty while the store cannot be written (a full disk): why
};

struct Readiness {
  bool ready = false;
  std::string reason;  // why not ready ("syncing: height 12 of 80", ...); empty when ready
};

// Ready when the store can be written, running, not syncing, heard from `peers_needed` peers,
// within `sync_gap` of the best peer height, and committed a block within kReadyCommitWindowMs.
// The first condition that fails, in that order, is the reason.
inline Readiness AssessReadiness(const ReadinessFacts& f) {
  auto no = [](std::string why) { return Readiness{false, std::move(why)}; };
  auto syncing = [&] {
    return no("syncing: height " + std::to_string(f.height) + " of " +
              std::to_string(std::max(f.best_peer_height, f.height)));
  };
  if (!f.store_error.empty()) return no(f.store_error);
  if (!f.running) return no("not started");
  if (f.syncing) return syncing();
  if (f.peers_heard < f.peers_needed) {
    return no("no peers: heard from " + std::to_string(f.peers_heard) + " of the " +
              std::to_string(f.peers_needed) + " needed");
  }
  if (f.best_peer_height > f.height + f.sync_gap) return syncing();
  if (!f.ms_since_commit) return no("no commit since start");
  if (*f.ms_since_commit > kReadyCommitWindowMs) {
    return no("no commit for " + std::to_string(*f.ms_since_commit / 1000) + " s");
  }
  return Readiness{true, {}};
}

}  // namespace laurel::node

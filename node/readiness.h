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
// A validator whose clock is further than this from the time of the block it just committed
// votes for no block (consensus::Engine::BlockTimeVotable; checked equal in node.cpp).
inline constexpr uint64_t kMaxClockOffsetMs = 30'000;

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
  // The local clock minus the time of the block just committed (its proposer's clock), known
  // only while committing; nullopt otherwise.
  std::optional<int64_t> clock_offset_ms;
};

// "clock 300 s ahead of the chain" for an offset past kMaxClockOffsetMs, else empty.
inline std::string ClockOffsetProblem(std::optional<int64_t> offset_ms) {
  if (!offset_ms) return {};
  const int64_t off = *offset_ms;
  const uint64_t mag = off < 0 ? static_cast<uint64_t>(-off) : static_cast<uint64_t>(off);
  if (mag <= kMaxClockOffsetMs) return {};
  return "clock " + std::to_string(mag / 1000) + " s " + (off > 0 ? "ahead of" : "behind") +
         " the chain (the last block's time): this validator votes for no block until its "
         "clock is within " +
         std::to_string(kMaxClockOffsetMs / 1000) + " s; check NTP (时钟偏差，请检查 NTP)";
}

struct Readiness {
  bool ready = false;
  std::string reason;  // why not ready ("syncing: height 12 of 80", ...); empty when ready
};

// Ready when the store can be written, running, not syncing, heard from `peers_needed` peers,
// within `sync_gap` of the best peer height, with a clock within kMaxClockOffsetMs of the chain's,
// and committed a block within kReadyCommitWindowMs.
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
  if (std::string clock = ClockOffsetProblem(f.clock_offset_ms); !clock.empty()) {
    return no(std::move(clock));
  }
  if (!f.ms_since_commit) return no("no commit since start");
  if (*f.ms_since_commit > kReadyCommitWindowMs) {
    return no("no commit for " + std::to_string(*f.ms_since_commit / 1000) + " s");
  }
  return Readiness{true, {}};
}

}  // namespace laurel::node

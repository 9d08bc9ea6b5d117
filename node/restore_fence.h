// The restore fence: what keeps a validator restored from a backup from signing twice.
//
// A backup holds the consensus safety record as it was when the backup was made. The key went
// on voting afterwards, in rounds the old record does not know; a node started from the old
// record could vote again in one of those rounds, for another block: a double vote, which is
// how two validators' worth of faults come from one. So `laureld restore` writes a fence record
// beside the restored safety record, and a node that finds one:
//   1. signs nothing (no vote, no timeout) and follows the chain by block sync, as a full node;
//   2. waits for a committed block stamped at least kProposerClockAheadMs + `wait_ms` after this
//      process started (the block's timestamp, by the proposer's clock);
//   3. raises its safety record past that block's round (RaiseSafetyRecord), synced, then
//      deletes the fence and starts consensus.
// Why this is enough (docs/operator.md, "Backup and restore"): every signature the key made
// before the restore was made in a round r with a certificate of round r-1 in existence then
// (a node enters r on QC(r-1) or TC(r-1)). Honest validators vote for no block stamped more
// than kProposerClockAheadMs ahead of their clocks, so a certified block stamped at
// start + kProposerClockAheadMs + wait_ms was voted for by honest validators at start + wait_ms
// or later: with `wait_ms` longer than the network takes to spread a certificate, they were then
// in a later round than every certificate that existed at the start. Voting only above that
// block's round + 1 and timing out only above it keeps every new signature in rounds the old
// process never signed in. (Clocks are assumed synchronised within the same bound; a node that
// sees a committed block proving its own clock behind by more keeps the fence: FenceClockBehind.)
//
// Thread safety: plain functions and values.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/types.h"

namespace laurel::node {

// Names in the store's consensus column family.
inline constexpr std::string_view kSafetyRecordName = "safety";
inline constexpr std::string_view kRestoreFenceRecord = "restore_fence";
inline constexpr uint64_t kDefaultRestoreFenceWaitMs = 10'000;
// How far ahead of an honest validator's clock a block it votes for may be stamped
// (consensus::Engine::kMaxBlockTimeAheadMs; checked equal in restore_fence.cpp).
inline constexpr uint64_t kProposerClockAheadMs = 30'000;

struct RestoreFence {
  uint64_t backup_height = 0;                    // the backup's committed height
  consensus::Round backup_last_voted_round = 0;  // from the backup's safety record (0: none)
  uint64_t wait_ms = kDefaultRestoreFenceWaitMs;
  bool operator==(const RestoreFence&) const = default;
};

// version u8 (1) | backup_height u64be | backup_last_voted_round u64be | wait_ms u64be
Bytes EncodeRestoreFence(const RestoreFence& f);
Result<RestoreFence> DecodeRestoreFence(ByteView b);

// Whether a block (its timestamp) committed while fenced lifts the fence of a process that
// started at `started_ms` (wall clock, ms).
inline bool FenceLiftsAt(const RestoreFence& f, uint64_t started_ms, uint64_t block_time_ms) {
  return block_time_ms >= started_ms + kProposerClockAheadMs + f.wait_ms;
}

// Whether a block committed while fenced proves this node's clock (now_ms) behind the
// validators' by more than the bound the fence relies on: stamped more than
// kProposerClockAheadMs after it, so no honest validator with a clock like this one's voted for
// it. `started_ms` then understates when this process started (a block of the backup's time
// could seem recent enough), so such a node keeps its fence until its clock is fixed and it is
// restarted. The fence is lifted only at the newest block proven (a fenced node caught up), and
// a live chain's newest block is fresh: a clock behind is seen before it can lift the fence.
inline bool FenceClockBehind(uint64_t now_ms, uint64_t block_time_ms) {
  return block_time_ms > now_ms + kProposerClockAheadMs;
}

// The safety record to resume with once the fence lifts at a committed block of round
// `block_round`, certified by `block_qc`, in `epoch`: `stored` (nullopt: none) with
// last_voted_round and highest_timeout_round raised to at least
// max(block_round, fence.backup_last_voted_round) + 1. A missing record, or one of an earlier
// epoch, is replaced by a record of `epoch` at that floor whose one-chain QC is `block_qc` (a
// fresh record would start at round 0). kCorruption for an undecodable record or one of a later
// epoch.
Result<Bytes> RaiseSafetyRecord(const std::optional<Bytes>& stored, const RestoreFence& fence,
                                uint64_t epoch, consensus::Round block_round,
                                const consensus::QuorumCert& block_qc);

}  // namespace laurel::node

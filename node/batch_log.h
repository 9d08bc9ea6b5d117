// The durable side of the quorum store (docs/spec/batches.md §6, "On disk"): the batches this
// node made or acknowledged, and the batches committed blocks executed, kept as records of the
// store's consensus column family, so that a restart (kill -9 included) neither loses a batch
// its acknowledgement promised to serve nor proposes or executes an executed batch again.
//
// Records (names are bytes):
// - "bat/" || digest (32) -> the batch (EncodeBatch). Written synced (Put) before this node
//   acknowledges the batch, or sends it when it is its own; deleted in the write of the block
//   commit that executes it or after which it expired (AddToCommit), or at an epoch change
//   (DropBatches).
// - "bxe/" || digest (32) -> u64be(height executed) || u64be(expires_at_height). Written in the
//   write of the block commit that executed (or skipped) the batch's proof; deleted in a later
//   commit's write once the batch has expired and kExecutedKeptHeights passed.
//
// Load trusts nothing it reads: a batch record whose bytes do not decode, or whose digest is not
// the one in its name, is dropped with a log line and deleted; so is a batch of another epoch,
// expired, or executed.
//
// Thread safety: none; the node uses it from its event loop (and Init) only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "node/batch.h"
#include "node/mempool.h"  // HashKey
#include "storage/store.h"

namespace laurel::node {

class BatchLog {
 public:
  // How long an executed batch is remembered (heights), at least until it expires: a peer that
  // lags is served it rebuilt from the block that executed it.
  static constexpr uint64_t kExecutedKeptHeights = 1000;

  BatchLog(storage::Store& store, std::string chain_id);

  static std::string BatchRecordName(const Hash32& digest);
  static std::string ExecutedRecordName(const Hash32& digest);

  // Writes the batches (each with its digest, computed by the caller) in one synced write:
  // durable when this returns. A batch already written is not written again.
  Status Put(const std::vector<std::pair<const Batch*, Hash32>>& batches);
  Status Put(const Batch& b, const Hash32& digest) { return Put({{&b, digest}}); }
  // The same in two steps, for a write on another thread: the records of the batches not on
  // disk yet (for Store::PutConsensusRecords, on any thread), then, once that write succeeded,
  // Written with the (digest, expires_at_height) of the batches it wrote.
  std::vector<std::pair<std::string, Bytes>> Records(
      const std::vector<std::pair<const Batch*, Hash32>>& batches) const;
  void Written(const std::vector<std::pair<Hash32, uint64_t>>& batches);
  bool Holds(const Hash32& digest) const { return held_.count(digest) > 0; }
  size_t held() const { return held_.size(); }

  struct Loaded {
    std::vector<Batch> batches;  // of `epoch`, unexpired, not executed, digests checked
    size_t dropped = 0;          // records deleted (corrupt, other epoch, expired, executed)
  };
  // Reads every record after a start at committed height `committed_height`: the executed
  // marks first (kept in memory: ExecutedAt, executed()), then the batches. Deletes (unsynced;
  // a later load drops them again) the records it does not keep.
  Result<Loaded> Load(uint64_t epoch, uint64_t committed_height);

  // The block at `height` executed (or skipped) the proofs of `executed`: adds to `rec` the
  // records its commit writes (the executed marks) and deletes (those batches, the batches
  // expired after it, executed marks no longer needed), and updates memory as if the commit
  // succeeded (a node whose commit fails halts).
  void AddToCommit(uint64_t height, const std::vector<BatchInfo>& executed,
                   storage::BlockRecord* rec);

  // An epoch change: this epoch's batches are void; every batch record is deleted (unsynced:
  // Load drops a batch of another epoch).
  Status DropBatches();

  struct Executed {
    uint64_t height = 0;
    uint64_t expires_at_height = 0;
  };
  std::optional<uint64_t> ExecutedAt(const Hash32& digest) const;
  const std::unordered_map<Hash32, Executed, HashKey>& executed() const { return executed_; }

 private:
  storage::Store& store_;
  std::string chain_id_;
  std::unordered_map<Hash32, uint64_t, HashKey> held_;  // digest -> expires_at_height
  std::unordered_map<Hash32, Executed, HashKey> executed_;
};

}  // namespace laurel::node

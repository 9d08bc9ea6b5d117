// Safety rules: the only code that signs votes and timeouts, and the persisted record that
// keeps an honest validator from contradicting itself across crashes (DESIGN §6).
//
// Rules (r = the round of the block or timeout):
//   Vote for B iff r > last_voted_round and
//     (B.qc.round + 1 == r  or  (TC(r-1) given and B.qc.round >= TC.max_hqc_round)).
//   Asked again for B in the round of last_vote: re-send the stored vote (same block only).
//   Sign a timeout for r iff r >= last_voted_round and
//     (r == hqc.round + 1 or r == tc.round + 1) and hqc.round >= one_chain_round.
//   Signing a timeout sets last_voted_round to at least r: never vote in r after timing out.
// Every signature first updates the record and writes it with Put(sync = true); the signed
// object is returned (and may leave the process) only after that write succeeded.
//
// Thread safety: none; owned by one engine on one thread.
#pragma once

#include <optional>

#include "common/status.h"
#include "consensus/codec.h"
#include "consensus/test_hooks.h"
#include "consensus/types.h"

namespace laurel::consensus {

struct SafetyRecord {
  uint64_t epoch = 0;
  Round last_voted_round = 0;
  Round one_chain_round = 0;  // highest QC round seen in a proposal or own timeout
  Round highest_timeout_round = 0;
  std::optional<Vote> last_vote;
  // The QC of round one_chain_round. Kept so that a node restarted from this record alone
  // holds a QC high enough to sign timeouts (hqc.round >= one_chain_round) and stays live.
  QuorumCert one_chain_qc;
  // The highest TC that justified a vote or timeout of ours (a TC(r-1) for a round r we
  // entered by timeout). A restarted node resumes in the round it last signed in, instead of
  // below it where its own last_voted_round forbids both voting and timing out.
  std::optional<TimeoutCert> last_tc;
  bool operator==(const SafetyRecord&) const = default;
};

// version u8 (1) | epoch u64 | last_voted_round u64 | one_chain_round u64 |
// highest_timeout_round u64 | has_vote u8 [vote] | one_chain_qc | has_tc u8 [tc]
Bytes EncodeSafetyRecord(const SafetyRecord& r);
Result<SafetyRecord> DecodeSafetyRecord(ByteView b);

// Durable storage of the one serialized safety record. A RocksDB implementation is one key:
// Get = DB::Get, Put = DB::Put with WriteOptions.sync = sync.
class SafetyStore {
 public:
  virtual ~SafetyStore() = default;
  // The last record put, or nullopt if none was ever put.
  virtual Result<std::optional<Bytes>> Get() = 0;
  // Replaces the record. With sync = true it is durable when Put returns OK. (sync = false is
  // used only by the canary that breaks persist-before-send.)
  virtual Status Put(ByteView record, bool sync) = 0;
};

// In-memory store that tells "written" from "synced": Crash() forgets every write not yet
// synced, as a power cut would.
class MemorySafetyStore : public SafetyStore {
 public:
  Result<std::optional<Bytes>> Get() override { return written_; }
  Status Put(ByteView record, bool sync) override;
  void Crash() { written_ = synced_; }
  uint64_t sync_count() const { return sync_count_; }

 private:
  std::optional<Bytes> written_;
  std::optional<Bytes> synced_;
  uint64_t sync_count_ = 0;
};

class SafetyRules {
 public:
  // `key` and `store` must outlive the rules. Timeouts are signed for the chain of `genesis_id`
  // (ValidatorSet::genesis_id()) in `epoch`.
  SafetyRules(const crypto::PrivateKey& key, uint32_t my_index, uint64_t epoch,
              const BlockId& genesis_id, SafetyStore& store, TestHooks hooks = {});

  // Loads the record, or creates and persists a fresh one whose one_chain_qc is `genesis_qc`
  // (the epoch root's QC) when there is none or the stored one is of an earlier epoch.
  // kCorruption when the stored record is of a later epoch.
  Status Load(const QuorumCert& genesis_qc);

  // Vote for `b` (already verified: id, signature, QC). `tc` is the highest TC known, or null.
  // PermissionDenied when a rule forbids the vote; IoError when the record cannot be persisted,
  // in which case the record is unchanged and no vote exists (the caller must stop: a node
  // whose safety record cannot be written must not sign anything).
  Result<Vote> VoteOn(const Block& b, const TimeoutCert* tc);
  Result<TimeoutVote> SignTimeout(Round round, const QuorumCert& hqc, const TimeoutCert* tc);

  // Canary (c) only: syncs a record written unsynced. A no-op otherwise.
  Status FlushDeferred();

  const SafetyRecord& record() const { return record_; }

 private:
  // Persists `next` (synced) and only then makes it the record; on an error the record is
  // left as it was.
  Status Commit(SafetyRecord next);
  static void ObserveQc(SafetyRecord& rec, const QuorumCert& qc);
  static void ObserveTc(SafetyRecord& rec, const TimeoutCert* tc, Round round);

  const crypto::PrivateKey& key_;
  uint32_t my_index_;
  uint64_t epoch_;
  BlockId genesis_id_;
  SafetyStore& store_;
  TestHooks hooks_;
  SafetyRecord record_;
  bool dirty_ = false;
};

}  // namespace laurel::consensus

// The proofs of availability a leader may propose (docs/spec/batches.md §6), as a pure state
// machine: inputs are method calls (a proof whose signatures the caller verified, a committed
// height, an executed batch), outputs are return values. No sockets, clocks, threads or
// logging.
//
// A proof stays here until a committed block executed (or skipped) its batch, or until it
// expired; a proposal does not remove it (the block may never commit): the leader's Pull is
// given what the branch it extends already carries and leaves that out.
//
// What a Byzantine validator can and cannot cause: only proofs the caller verified (f+1 valid
// acknowledgements, so at least one honest validator stored the batch under its author's
// quota) enter; each author has at most `max_per_author` proofs here and the pool at most
// `max_proofs`; a proof over either is refused (nothing is evicted for it). A proof of a batch
// already executed is refused until the batch's expiry height.
//
// Thread safety: none; the node uses it from its event loop only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "node/batch.h"
#include "node/mempool.h"  // HashKey

namespace laurel::node {

class ProofPool {
 public:
  struct Limits {
    size_t max_proofs = 4096;
    size_t max_per_author = 256;
    // A proof is proposed at height h only if its batch expires above h + expiry_margin: a
    // block executes at the height it was proposed at, the margin is a safety distance.
    uint64_t expiry_margin = 2;
  };

  explicit ProofPool(Limits limits) : limits_(limits) {}
  ProofPool() : ProofPool(Limits{}) {}

  // A proof whose signatures the caller verified (VerifyProof). Refused, nothing changed:
  // already held (kAlreadyExists), executed before, expired (expires_at_height <= committed + 1)
  // (kInvalidArgument), over a cap (kUnavailable).
  Status Add(const ProofOfAvailability& p, uint64_t committed_height);

  // What a proposal at `height` carries: the held proofs, oldest first, that `excluded` does
  // not name and whose batch expires above height + expiry_margin, as long as the totals stay
  // within max_txs transactions, max_bytes bytes and kMaxPayloadBatches proofs.
  std::vector<ProofOfAvailability> Take(uint64_t height,
                                        const std::function<bool(const Hash32&)>& excluded,
                                        size_t max_txs, size_t max_bytes) const;

  // A committed block executed or skipped the batch of `info`: removed, and refused from now on
  // until its expiry height.
  void OnExecuted(const BatchInfo& info);
  // A block at `height` committed: proofs expiring at or below height + 1 are dropped, and so
  // are the executed-batch marks that expired. Returns how many proofs were dropped.
  size_t OnCommitted(uint64_t height);
  // A new epoch: the old epoch's proofs are void.
  void Clear();

  bool Has(const Hash32& digest) const { return by_digest_.count(digest) > 0; }
  bool WasExecuted(const Hash32& digest) const { return executed_.count(digest) > 0; }
  size_t size() const { return by_digest_.size(); }
  size_t of_author(uint32_t author) const;

 private:
  struct Entry {
    ProofOfAvailability proof;
    uint64_t seq = 0;
  };
  void Erase(const Hash32& digest);

  Limits limits_;
  uint64_t next_seq_ = 0;
  std::unordered_map<Hash32, Entry, HashKey> by_digest_;
  std::map<uint64_t, Hash32> by_seq_;                       // arrival order
  std::unordered_map<uint32_t, size_t> per_author_;         // held proofs by author
  std::unordered_map<Hash32, uint64_t, HashKey> executed_;  // digest -> expires_at_height
  // By expiry height, so that a commit visits only what expires (it comes 100s of times a
  // second; a walk over every executed batch of the last 500 heights was 1 % of the machine).
  std::multimap<uint64_t, Hash32> expiry_;           // held proofs
  std::multimap<uint64_t, Hash32> executed_expiry_;  // executed_
};

}  // namespace laurel::node

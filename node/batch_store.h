// The batches a validator holds (docs/spec/batches.md), as a pure state machine in the style
// of consensus::Engine: inputs are method calls (a batch received from its author or fetched
// for a proof, an acknowledgement of one of this node's batches, a committed height, an
// executed batch), outputs are return values. No sockets, clocks, threads or logging.
//
// What a Byzantine validator can and cannot cause:
// - memory: each author has a quota of batches and bytes; a batch over it is refused
//   (kUnavailable) and nothing is dropped for it, so one author cannot push out another's
//   batches. A pushed batch must expire within `max_expiry_distance` heights of the committed
//   height, so no batch is held long: each is dropped once its expiry height is reached or it
//   executed. A fetched batch is held only while a committed block waits for it.
// - conflicting batches: an author's batch id names one digest; a second batch pushed with the
//   same id and another digest is refused, and so is a fetched batch whose digest is not the one
//   asked for (a peer cannot substitute transactions for a proposed digest). A fetched batch
//   whose proof certifies it is kept even when its id names another batch here (an author that
//   pushed two batches under one id to two halves of the validators, each with a proof, must not
//   stall execution of the blocks carrying them).
// - acknowledgements: only a valid signature by a validator, over a batch this node authored
//   and holds, counts; one per signer. A proof is returned once, at f+1.
//
// Invariants: every stored batch's digest is BatchDigest of its bytes; per author at most
// `max_batches_per_author` batches and `max_bytes_per_author` bytes; after OnCommitted(h) no
// stored batch has expires_at_height <= h + 1.
//
// Thread safety: none; the node uses it from its event loop only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "node/batch.h"
#include "node/mempool.h"  // HashKey

namespace laurel::node {

class BatchStore {
 public:
  struct Limits {
    size_t max_batches_per_author = 64;
    size_t max_bytes_per_author = 32 << 20;
    uint64_t max_expiry_distance = 1000;  // heights
  };

  BatchStore(std::string chain_id, uint64_t epoch, std::vector<crypto::PublicKey> keys,
             uint32_t my_index, Limits limits);

  // A batch pushed by validator `sender` (its author: a batch is pushed only by its author).
  // Stored when it is of this epoch, by a validator, within the size caps, expires above
  // committed_height + 1 and at most max_expiry_distance above it, fits its author's quota, and
  // its id does not name another digest already. Returns its info (with the digest) — also when
  // it was held already — or an error naming what is wrong (nothing is changed then).
  Result<BatchInfo> Insert(uint32_t sender, const Batch& b, uint64_t committed_height);
  // A batch answered to this node's request for `expected`: stored only if its info (digest
  // included) is exactly `expected`; the same checks as Insert otherwise, but any validator may
  // answer, its batch id and its distance to the expiry height are not checked (the proof binds
  // it), and it is kept outside its author's quota (a committed block needs it; the fetcher
  // bounds how many are fetched at once).
  Result<BatchInfo> InsertFetched(const BatchInfo& expected, const Batch& b,
                                  uint64_t committed_height);

  // The stored batch with this digest, or nullptr.
  const Batch* Get(const Hash32& digest) const;
  bool Has(const Hash32& digest) const { return batches_.count(digest) > 0; }

  // An acknowledgement of a batch this node authored and holds. Refused (an error, nothing
  // changed): a signer that is not a validator, a bad signature, an info that is not exactly
  // the stored batch's, a signer already counted, a batch whose proof was already made. Returns
  // the proof of availability when this ack is the (f+1)-th, else nullopt.
  Result<std::optional<ProofOfAvailability>> AddAck(const BatchAck& ack);

  // A block at `height` committed: batches expiring at or below height + 1 can no longer be
  // executed (the next block is height + 1) and are dropped. Returns how many were dropped.
  size_t OnCommitted(uint64_t height);
  // A batch executed in a committed block: dropped (its transactions are in the ledger now).
  void OnExecuted(const Hash32& digest);

  size_t size() const { return batches_.size(); }
  size_t batches_of(uint32_t author) const;
  size_t bytes_of(uint32_t author) const;
  size_t acks_of(const Hash32& digest) const;
  // The validators (this node excluded) whose acknowledgement this node's own batch still
  // lacks, ascending; empty when the batch is not held, not this node's, or has its proof.
  std::vector<uint32_t> awaiting_acks(const Hash32& digest) const;
  const Limits& limits() const { return limits_; }

 private:
  struct Entry {
    Batch batch;
    BatchInfo info;
    std::vector<uint32_t> ack_signers;  // this node's own batches only
    std::vector<std::pair<uint32_t, crypto::Signature>> ack_sigs;
    bool proved = false;
    bool quota = true;  // counted in its author's quota (not when fetched)
  };
  struct Quota {
    size_t batches = 0;
    size_t bytes = 0;
  };
  Result<BatchInfo> Check(const Batch& b, uint64_t committed_height, BatchInfo* info,
                          bool fetched = false) const;
  Result<BatchInfo> Store(Batch b, BatchInfo info, bool quota = true);
  void Erase(std::unordered_map<Hash32, Entry, HashKey>::iterator it);

  std::string chain_id_;
  uint64_t epoch_;
  std::vector<crypto::PublicKey> keys_;
  uint32_t my_index_;
  Limits limits_;
  std::unordered_map<Hash32, Entry, HashKey> batches_;
  std::map<std::pair<uint32_t, uint64_t>, Hash32> by_id_;  // (author, batch_id) -> digest
  std::vector<Quota> quota_;                               // by author
};

}  // namespace laurel::node

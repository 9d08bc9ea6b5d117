// Fetching the batches a committed block's proofs name (docs/spec/batches.md §5), as a pure
// state machine: inputs are method calls with the time passed in (a batch wanted, a peer's
// answer, a tick), outputs are the requests to send and the batches now held. No sockets,
// clocks, threads or logging.
//
// Whom it asks: the batch's author and each signer of its proof of availability, one at a
// time, each for `timeout_ms`; after the last one it starts over (an honest signer that was slow
// or restarting answers later). A proof has f+1 signers, so at least one is honest and holds the
// batch until it executed or expired: the fetch ends. The order is the author, then the signers
// by index, except that a peer that failed this node (no answer in time, "not held", bytes
// refused) more times since it last delivered a batch comes after one that failed fewer: a
// silent Byzantine signer ordered before the honest holder would otherwise cost a timeout on
// every batch, and a node that executes more slowly than blocks commit never catches up.
//
// What a Byzantine peer can and cannot cause: only the answer of the peer asked for that batch
// is read; bytes that do not hash to the digest asked for are refused by the store
// (BatchStore::InsertFetched) and the next peer is asked at once; a withholding author costs
// one answer ("not held") or one timeout. At most kMaxWanted batches are fetched at once.
//
// Thread safety: none; the node uses it from its event loop only.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "node/batch.h"
#include "node/batch_store.h"
#include "node/mempool.h"  // HashKey
#include "node/wire.h"

namespace laurel::node {

class BatchFetcher {
 public:
  static constexpr size_t kMaxWanted = 256;

  struct Request {
    uint32_t to = 0;  // validator index
    BatchInfo info;
  };
  struct Outputs {
    std::vector<Request> requests;
    std::vector<Hash32> fetched;  // now in the store
  };

  BatchFetcher(uint32_t my_index, uint64_t timeout_ms)
      : my_index_(my_index), timeout_ms_(timeout_ms) {}

  // Fetch the batch of proof `p` (its signatures already verified by the caller). Asks the
  // first candidate at once. Wanting a batch already wanted changes nothing; more than
  // kMaxWanted at once is refused (kUnavailable).
  Status Want(const ProofOfAvailability& p, uint64_t now_ms, Outputs& out);
  // Validator `from`'s answer. Read only when `from` is the peer asked for that batch: a batch
  // is offered to `store` (which checks it against the info asked for); held → done, listed in
  // out.fetched; "not held" or refused bytes → the next candidate is asked.
  void OnResponse(uint32_t from, const BatchResponseMsg& m, BatchStore& store,
                  uint64_t committed_height, uint64_t now_ms, Outputs& out);
  // Asks the next candidate for every batch whose peer did not answer in time.
  void OnTick(uint64_t now_ms, Outputs& out);
  // No longer wanted (executed through block sync, expired, a new epoch).
  void Cancel(const Hash32& digest) { wanted_.erase(digest); }

  bool IsWanted(const Hash32& digest) const { return wanted_.count(digest) > 0; }
  size_t wanted() const { return wanted_.size(); }

 private:
  struct Wanted {
    BatchInfo info;
    std::vector<uint32_t> candidates;  // author, then signers; never this node
    size_t next = 0;                   // index of the peer asked now
    uint64_t deadline_ms = 0;
  };
  void AskNext(Wanted& w, uint64_t now_ms, Outputs& out, bool advance);
  void Failed(uint32_t peer) { ++failures_[peer]; }

  uint32_t my_index_;
  uint64_t timeout_ms_;
  std::unordered_map<Hash32, Wanted, HashKey> wanted_;
  // Per peer: failures since it last delivered a batch (validators only, so bounded).
  std::unordered_map<uint32_t, uint64_t> failures_;
};

}  // namespace laurel::node

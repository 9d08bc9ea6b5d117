// The pending transactions of one node: admitted (checked and signature-verified) but not yet
// committed. FIFO by admission; capped by count and bytes in total and per signer.
//
// Fair share: each transaction is charged to every distinct key that signed it, and no key may
// hold more than `max_txs_per_signer` transactions or `max_bytes_per_signer` bytes here, so one
// issuer (admission lets only registered issuers and admins in) cannot take the whole pool; a
// key over its share gets kSignerQuota while others still get in. Expiry: a transaction whose
// `expires_at_height` has passed can never commit, and is evicted (EvictExpired).
//
// A transaction seen in a proposal is "in flight": it is not reaped into this node's own
// proposals until that proposal's round is `kInFlightRounds` behind, so consecutive leaders do
// not propose the same transactions again and again. Commit removes transactions for good.
//
// Thread safety: none; the node uses it from its event loop only.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/bytes.h"
#include "types/tx.h"

namespace laurel::node {

// How far ahead of the current height a transaction's `expires_at_height` may lie to be
// admitted (about 11 days at one block a second): past that, a pending transaction could
// occupy the mempool for as long as its signer likes.
inline constexpr uint64_t kMaxExpiryDistance = 1'000'000;

struct HashKey {
  size_t operator()(const Hash32& h) const {
    size_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | h[i];
    return v;
  }
};

class Mempool {
 public:
  static constexpr uint64_t kInFlightRounds = 3;

  struct Limits {
    size_t max_txs = 200000;
    size_t max_bytes = 256u << 20;
    size_t max_txs_per_signer = 50000;
    size_t max_bytes_per_signer = 64u << 20;
  };
  enum class AddResult { kAdded, kKnown, kFull, kSignerQuota };

  explicit Mempool(Limits limits) : limits_(limits) {}

  // Adds a transaction that expires after height `expires_at_height`.
  AddResult Add(const Hash32& tx_id, types::Tx tx, size_t wire_bytes,
                uint64_t expires_at_height);
  bool Contains(const Hash32& tx_id) const { return by_id_.count(tx_id) > 0; }
  // The pending transaction with this id, or nullptr.
  const types::Tx* Find(const Hash32& tx_id) const;

  // Up to max_txs transactions and max_bytes wire bytes, oldest first, skipping those in
  // flight and those `skip` names (e.g. already in the branch the proposal extends); marks
  // them in flight at `round`. `reaped_ids`, when given, receives their ids.
  std::vector<types::Tx> Reap(size_t max_txs, size_t max_bytes, uint64_t round,
                              const std::function<bool(const Hash32&)>& skip = nullptr,
                              std::vector<Hash32>* reaped_ids = nullptr);
  // Marks transactions of a proposal seen at `round` as in flight; a round more than
  // kInFlightRounds beyond SetRound's is ignored (its mark could not expire).
  void MarkInFlight(const std::vector<Hash32>& ids, uint64_t round);
  // Called as rounds advance: in-flight marks older than kInFlightRounds expire.
  void SetRound(uint64_t round) { round_ = round; }
  // A new epoch: rounds start again at 1 and the old epoch's uncommitted proposals are void, so
  // every mark is dropped (the transactions may be proposed again).
  void ClearInFlight();
  // Whether any pending transaction is in flight (proposed, not yet committed).
  bool AnyInFlight() const;
  void Remove(const std::vector<Hash32>& ids);
  // Removes every transaction that can no longer commit at `next_height` or later
  // (expires_at_height < next_height); returns their ids.
  std::vector<Hash32> EvictExpired(uint64_t next_height);

  size_t size() const { return by_id_.size(); }
  size_t bytes() const { return bytes_; }
  // Transactions charged to this key (0 when none).
  size_t SignerCount(const Bytes& public_key) const;
  const Limits& limits() const { return limits_; }

 private:
  struct Usage {
    size_t txs = 0;
    size_t bytes = 0;
  };
  struct Entry {
    Hash32 id;
    types::Tx tx;
    size_t wire_bytes;
    uint64_t expires_at_height;
    std::vector<std::string> signers;  // distinct signing keys, charged for this entry
    uint64_t in_flight_round = 0;      // 0: not in flight
  };
  bool InFlight(const Entry& e) const {
    return e.in_flight_round != 0 && e.in_flight_round + kInFlightRounds > round_;
  }
  void Erase(std::list<Entry>::iterator it);

  Limits limits_;
  std::list<Entry> fifo_;
  std::unordered_map<Hash32, std::list<Entry>::iterator, HashKey> by_id_;
  std::unordered_map<std::string, Usage> by_signer_;
  std::multimap<uint64_t, Hash32> by_expiry_;
  size_t bytes_ = 0;
  uint64_t round_ = 0;
  uint64_t newest_mark_ = 0;
};

}  // namespace laurel::node

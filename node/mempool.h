// The pending transactions of one node: admitted (checked and signature-verified) but not yet
// committed. FIFO by admission; capped by count and bytes.
//
// A transaction seen in a proposal is "in flight": it is not reaped into this node's own
// proposals until that proposal's round is `kInFlightRounds` behind, so consecutive leaders do
// not propose the same transactions again and again. Commit removes transactions for good.
//
// Thread safety: none; the node uses it from its event loop only.
#pragma once

#include <cstdint>
#include <list>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/bytes.h"
#include "types/tx.h"

namespace laurel::node {

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
  };
  enum class AddResult { kAdded, kKnown, kFull };

  explicit Mempool(Limits limits) : limits_(limits) {}

  AddResult Add(const Hash32& tx_id, types::Tx tx, size_t wire_bytes);
  bool Contains(const Hash32& tx_id) const { return by_id_.count(tx_id) > 0; }

  // Up to max_txs transactions and max_bytes wire bytes, oldest first, skipping those in
  // flight; marks them in flight at `round`.
  std::vector<types::Tx> Reap(size_t max_txs, size_t max_bytes, uint64_t round);
  // Marks transactions of a proposal seen at `round` as in flight.
  void MarkInFlight(const std::vector<Hash32>& ids, uint64_t round);
  // Called as rounds advance: in-flight marks older than kInFlightRounds expire.
  void SetRound(uint64_t round) { round_ = round; }
  // Whether any pending transaction is in flight (proposed, not yet committed).
  bool AnyInFlight() const;
  void Remove(const std::vector<Hash32>& ids);

  size_t size() const { return by_id_.size(); }
  size_t bytes() const { return bytes_; }
  const Limits& limits() const { return limits_; }

 private:
  struct Entry {
    Hash32 id;
    types::Tx tx;
    size_t wire_bytes;
    uint64_t in_flight_round = 0;  // 0: not in flight
  };
  bool InFlight(const Entry& e) const {
    return e.in_flight_round != 0 && e.in_flight_round + kInFlightRounds > round_;
  }

  Limits limits_;
  std::list<Entry> fifo_;
  std::unordered_map<Hash32, std::list<Entry>::iterator, HashKey> by_id_;
  size_t bytes_ = 0;
  uint64_t round_ = 0;
  uint64_t newest_mark_ = 0;
};

}  // namespace laurel::node

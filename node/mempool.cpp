#include "node/mempool.h"

#include <algorithm>

namespace laurel::node {

Mempool::AddResult Mempool::Add(const Hash32& tx_id, types::Tx tx, size_t wire_bytes) {
  if (by_id_.count(tx_id)) return AddResult::kKnown;
  if (by_id_.size() >= limits_.max_txs || bytes_ + wire_bytes > limits_.max_bytes) {
    return AddResult::kFull;
  }
  fifo_.push_back(Entry{tx_id, std::move(tx), wire_bytes, 0});
  by_id_.emplace(tx_id, std::prev(fifo_.end()));
  bytes_ += wire_bytes;
  return AddResult::kAdded;
}

std::vector<types::Tx> Mempool::Reap(size_t max_txs, size_t max_bytes, uint64_t round) {
  std::vector<types::Tx> out;
  size_t total = 0;
  for (auto& e : fifo_) {
    if (out.size() >= max_txs) break;
    if (InFlight(e)) continue;
    if (total + e.wire_bytes + 4 > max_bytes) break;
    total += e.wire_bytes + 4;
    e.in_flight_round = round;
    newest_mark_ = std::max(newest_mark_, round);
    out.push_back(e.tx);
  }
  return out;
}

void Mempool::MarkInFlight(const std::vector<Hash32>& ids, uint64_t round) {
  for (const auto& id : ids) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) continue;
    it->second->in_flight_round = round;
    newest_mark_ = std::max(newest_mark_, round);
  }
}

bool Mempool::AnyInFlight() const {
  // Approximate and O(1): the newest mark has not expired and something is pending.
  return newest_mark_ != 0 && newest_mark_ + kInFlightRounds > round_ && !by_id_.empty();
}

void Mempool::Remove(const std::vector<Hash32>& ids) {
  for (const auto& id : ids) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) continue;
    bytes_ -= it->second->wire_bytes;
    fifo_.erase(it->second);
    by_id_.erase(it);
  }
}

}  // namespace laurel::node

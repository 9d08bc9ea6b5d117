#include "node/mempool.h"

#include <algorithm>
#include <set>

namespace laurel::node {

namespace {
std::vector<std::string> DistinctSigners(const types::Tx& tx) {
  std::set<std::string> keys;
  for (const auto& s : tx.signatures) keys.insert(ToString(s.public_key));
  return {keys.begin(), keys.end()};
}
}  // namespace

Mempool::AddResult Mempool::Add(const Hash32& tx_id, types::Tx tx, size_t wire_bytes,
                                uint64_t expires_at_height) {
  if (by_id_.count(tx_id)) return AddResult::kKnown;
  if (by_id_.size() >= limits_.max_txs || bytes_ + wire_bytes > limits_.max_bytes) {
    return AddResult::kFull;
  }
  std::vector<std::string> signers = DistinctSigners(tx);
  for (const auto& k : signers) {
    auto it = by_signer_.find(k);
    if (it == by_signer_.end()) continue;
    if (it->second.txs >= limits_.max_txs_per_signer ||
        it->second.bytes + wire_bytes > limits_.max_bytes_per_signer) {
      return AddResult::kSignerQuota;
    }
  }
  if (wire_bytes > limits_.max_bytes_per_signer) return AddResult::kSignerQuota;
  for (const auto& k : signers) {
    Usage& u = by_signer_[k];
    ++u.txs;
    u.bytes += wire_bytes;
  }
  fifo_.push_back(Entry{tx_id, std::move(tx), wire_bytes, expires_at_height, std::move(signers), 0});
  by_id_.emplace(tx_id, std::prev(fifo_.end()));
  by_expiry_.emplace(expires_at_height, tx_id);
  bytes_ += wire_bytes;
  return AddResult::kAdded;
}

const types::Tx* Mempool::Find(const Hash32& tx_id) const {
  auto it = by_id_.find(tx_id);
  return it == by_id_.end() ? nullptr : &it->second->tx;
}

std::vector<types::Tx> Mempool::Reap(size_t max_txs, size_t max_bytes, uint64_t round,
                                     const std::function<bool(const Hash32&)>& skip,
                                     std::vector<Hash32>* reaped_ids) {
  std::vector<types::Tx> out;
  size_t total = 0;
  for (auto& e : fifo_) {
    if (out.size() >= max_txs) break;
    if (InFlight(e)) continue;
    if (skip && skip(e.id)) continue;
    if (total + e.wire_bytes + 4 > max_bytes) break;
    total += e.wire_bytes + 4;
    e.in_flight_round = round;
    newest_mark_ = std::max(newest_mark_, round);
    out.push_back(e.tx);
    if (reaped_ids) reaped_ids->push_back(e.id);
  }
  return out;
}

void Mempool::MarkInFlight(const std::vector<Hash32>& ids, uint64_t round) {
  // A mark beyond the rounds this node has reached would not expire until the rounds got
  // there: ignored.
  if (round > round_ + kInFlightRounds) return;
  for (const auto& id : ids) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) continue;
    it->second->in_flight_round = round;
    newest_mark_ = std::max(newest_mark_, round);
  }
}

void Mempool::ClearInFlight() {
  for (Entry& e : fifo_) e.in_flight_round = 0;
  newest_mark_ = 0;
  round_ = 0;
}

bool Mempool::AnyInFlight() const {
  // Approximate and O(1): the newest mark has not expired and something is pending.
  return newest_mark_ != 0 && newest_mark_ + kInFlightRounds > round_ && !by_id_.empty();
}

void Mempool::Erase(std::list<Entry>::iterator it) {
  bytes_ -= it->wire_bytes;
  for (const auto& k : it->signers) {
    auto u = by_signer_.find(k);
    if (u == by_signer_.end()) continue;
    --u->second.txs;
    u->second.bytes -= it->wire_bytes;
    if (u->second.txs == 0) by_signer_.erase(u);
  }
  auto [lo, hi] = by_expiry_.equal_range(it->expires_at_height);
  for (auto e = lo; e != hi; ++e) {
    if (e->second == it->id) {
      by_expiry_.erase(e);
      break;
    }
  }
  by_id_.erase(it->id);
  fifo_.erase(it);
}

void Mempool::Remove(const std::vector<Hash32>& ids) {
  for (const auto& id : ids) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) continue;
    Erase(it->second);
  }
}

std::vector<Hash32> Mempool::EvictExpired(uint64_t next_height) {
  std::vector<Hash32> gone;
  while (!by_expiry_.empty() && by_expiry_.begin()->first < next_height) {
    const Hash32 id = by_expiry_.begin()->second;
    gone.push_back(id);
    Erase(by_id_.at(id));  // erases the by_expiry_ entry too
  }
  return gone;
}

size_t Mempool::SignerCount(const Bytes& public_key) const {
  auto it = by_signer_.find(ToString(public_key));
  return it == by_signer_.end() ? 0 : it->second.txs;
}

}  // namespace laurel::node

#include "node/proof_pool.h"

#include <string>

namespace laurel::node {

Status ProofPool::Add(const ProofOfAvailability& p, uint64_t committed_height) {
  const Hash32& d = p.info.digest;
  if (by_digest_.count(d) > 0) return Status::AlreadyExists("proof already held");
  if (executed_.count(d) > 0) {
    return Status::InvalidArgument("proof of a batch already executed");
  }
  if (p.info.expires_at_height <= committed_height + 1) {
    return Status::InvalidArgument("proof of an expired batch (expires at height " +
                                   std::to_string(p.info.expires_at_height) +
                                   ", committed height " + std::to_string(committed_height) + ")");
  }
  if (by_digest_.size() >= limits_.max_proofs) {
    return Status::Unavailable("proof pool full (" + std::to_string(by_digest_.size()) +
                               " proofs)");
  }
  size_t& mine = per_author_[p.info.author];
  if (mine >= limits_.max_per_author) {
    return Status::Unavailable("validator " + std::to_string(p.info.author) +
                               " has its share of the proof pool (" + std::to_string(mine) +
                               " proofs)");
  }
  ++mine;
  const uint64_t seq = next_seq_++;
  by_seq_.emplace(seq, d);
  by_digest_.emplace(d, Entry{p, seq});
  expiry_.emplace(p.info.expires_at_height, d);
  return Status::Ok();
}

std::vector<ProofOfAvailability> ProofPool::Take(uint64_t height,
                                                 const std::function<bool(const Hash32&)>& excluded,
                                                 size_t max_txs, size_t max_bytes) const {
  std::vector<ProofOfAvailability> out;
  size_t txs = 0;
  size_t bytes = 0;
  for (const auto& [seq, digest] : by_seq_) {
    if (out.size() >= kMaxPayloadBatches) break;
    const Entry& e = by_digest_.at(digest);
    const BatchInfo& i = e.proof.info;
    if (i.expires_at_height <= height + limits_.expiry_margin) continue;
    if (excluded && excluded(digest)) continue;
    if (txs + i.num_txs > max_txs || bytes + i.num_bytes > max_bytes) continue;
    txs += i.num_txs;
    bytes += i.num_bytes;
    out.push_back(e.proof);
  }
  return out;
}

void ProofPool::Erase(const Hash32& digest) {
  auto it = by_digest_.find(digest);
  if (it == by_digest_.end()) return;
  auto a = per_author_.find(it->second.proof.info.author);
  if (a != per_author_.end() && --a->second == 0) per_author_.erase(a);
  by_seq_.erase(it->second.seq);
  auto [from, to] = expiry_.equal_range(it->second.proof.info.expires_at_height);
  for (auto e = from; e != to; ++e) {
    if (e->second == digest) {
      expiry_.erase(e);
      break;
    }
  }
  by_digest_.erase(it);
}

void ProofPool::OnExecuted(const BatchInfo& info) {
  Erase(info.digest);
  // The digest names the batch, its expiry height included: a second call changes nothing.
  if (executed_.emplace(info.digest, info.expires_at_height).second) {
    executed_expiry_.emplace(info.expires_at_height, info.digest);
  }
}

size_t ProofPool::OnCommitted(uint64_t height) {
  std::vector<Hash32> gone;
  for (auto it = expiry_.begin(); it != expiry_.end() && it->first <= height + 1; ++it) {
    gone.push_back(it->second);
  }
  for (const Hash32& d : gone) Erase(d);
  while (!executed_expiry_.empty() && executed_expiry_.begin()->first <= height + 1) {
    executed_.erase(executed_expiry_.begin()->second);
    executed_expiry_.erase(executed_expiry_.begin());
  }
  return gone.size();
}

void ProofPool::Clear() {
  by_digest_.clear();
  by_seq_.clear();
  per_author_.clear();
  executed_.clear();
  expiry_.clear();
  executed_expiry_.clear();
}

size_t ProofPool::of_author(uint32_t author) const {
  auto it = per_author_.find(author);
  return it == per_author_.end() ? 0 : it->second;
}

}  // namespace laurel::node

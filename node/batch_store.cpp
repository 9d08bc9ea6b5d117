#include "node/batch_store.h"

#include <algorithm>

namespace laurel::node {

BatchStore::BatchStore(std::string chain_id, uint64_t epoch, std::vector<crypto::PublicKey> keys,
                       uint32_t my_index, Limits limits)
    : chain_id_(std::move(chain_id)),
      epoch_(epoch),
      keys_(std::move(keys)),
      my_index_(my_index),
      limits_(limits),
      quota_(keys_.size()) {}

Result<BatchInfo> BatchStore::Check(const Batch& b, uint64_t committed_height, BatchInfo* info,
                                    bool fetched) const {
  if (b.epoch != epoch_) {
    return Status::InvalidArgument("batch of epoch " + std::to_string(b.epoch) +
                                   ", this node is in epoch " + std::to_string(epoch_));
  }
  if (b.author >= keys_.size()) {
    return Status::InvalidArgument("batch author " + std::to_string(b.author) +
                                   " is not a validator");
  }
  if (b.txs.empty()) return Status::InvalidArgument("empty batch");
  if (b.txs.size() > kMaxBatchTxCount) {
    return Status::InvalidArgument("batch of " + std::to_string(b.txs.size()) +
                                   " transactions, at most " + std::to_string(kMaxBatchTxCount));
  }
  if (b.expires_at_height <= committed_height + 1) {
    return Status::InvalidArgument("batch expired: expires at height " +
                                   std::to_string(b.expires_at_height) + ", committed height " +
                                   std::to_string(committed_height));
  }
  if (!fetched && b.expires_at_height > committed_height + limits_.max_expiry_distance) {
    return Status::InvalidArgument(
        "batch expires at height " + std::to_string(b.expires_at_height) + ", more than " +
        std::to_string(limits_.max_expiry_distance) + " above the committed height " +
        std::to_string(committed_height));
  }
  *info = InfoOf(chain_id_, b);
  if (info->num_bytes > kMaxBatchBytes) {
    return Status::InvalidArgument("batch of " + std::to_string(info->num_bytes) +
                                   " bytes, at most " + std::to_string(kMaxBatchBytes));
  }
  if (auto it = by_id_.find({b.author, b.batch_id});
      !fetched && it != by_id_.end() && it->second != info->digest) {
    return Status::InvalidArgument("batch id " + std::to_string(b.batch_id) + " of validator " +
                                   std::to_string(b.author) + " already names another batch");
  }
  return *info;
}

Result<BatchInfo> BatchStore::Store(Batch b, BatchInfo info, bool quota) {
  if (batches_.count(info.digest) > 0) return info;  // held already
  Quota& q = quota_[info.author];
  if (quota && (q.batches + 1 > limits_.max_batches_per_author ||
                q.bytes + info.num_bytes > limits_.max_bytes_per_author)) {
    return Status::Unavailable("validator " + std::to_string(info.author) +
                               " has its share of the batch store (" + std::to_string(q.batches) +
                               " batches, " + std::to_string(q.bytes) + " bytes)");
  }
  if (quota) {
    q.batches += 1;
    q.bytes += info.num_bytes;
  }
  by_id_.emplace(std::make_pair(info.author, info.batch_id), info.digest);  // the first kept
  Entry e;
  e.quota = quota;
  e.batch = std::move(b);
  e.info = info;
  batches_.emplace(info.digest, std::move(e));
  return info;
}

Result<BatchInfo> BatchStore::Insert(uint32_t sender, const Batch& b, uint64_t committed_height) {
  if (sender != b.author) {
    return Status::InvalidArgument("batch of validator " + std::to_string(b.author) +
                                   " pushed by validator " + std::to_string(sender));
  }
  BatchInfo info;
  LAUREL_RETURN_IF_ERROR(Check(b, committed_height, &info).status());
  return Store(b, info);
}

Result<BatchInfo> BatchStore::InsertFetched(const BatchInfo& expected, const Batch& b,
                                            uint64_t committed_height) {
  BatchInfo info;
  // The proof certifies this digest and a committed block needs it, so neither the batch id
  // (a Byzantine author that showed another batch under the same id to this node must not keep
  // it from executing the block) nor the expiry distance (each signer checked it against its
  // own height, not this node's) is checked.
  LAUREL_RETURN_IF_ERROR(Check(b, committed_height, &info, /*fetched=*/true).status());
  if (info.digest != expected.digest) {
    return Status::InvalidArgument("fetched batch does not match the digest asked for");
  }
  if (!(info == expected)) {
    return Status::InvalidArgument("fetched batch does not match the batch info asked for");
  }
  // Outside the author's quota: a committed block needs it, and the fetcher bounds how many are
  // fetched at once. Under the quota, a node whose execution lags would hold its share of the
  // author's later batches and could never take the one it must execute next.
  return Store(b, info, /*quota=*/false);
}

const Batch* BatchStore::Get(const Hash32& digest) const {
  auto it = batches_.find(digest);
  return it == batches_.end() ? nullptr : &it->second.batch;
}

Result<std::optional<ProofOfAvailability>> BatchStore::AddAck(const BatchAck& ack) {
  auto it = batches_.find(ack.info.digest);
  if (it == batches_.end() || it->second.info.author != my_index_) {
    return Status::InvalidArgument("ack of a batch this node did not author or no longer holds");
  }
  Entry& e = it->second;
  if (!(ack.info == e.info)) {
    return Status::InvalidArgument("ack of batch info that differs from the stored batch's");
  }
  if (e.proved) return Status::AlreadyExists("batch already has its proof of availability");
  if (std::find(e.ack_signers.begin(), e.ack_signers.end(), ack.signer) != e.ack_signers.end()) {
    return Status::AlreadyExists("validator " + std::to_string(ack.signer) +
                                 " already acknowledged this batch");
  }
  LAUREL_RETURN_IF_ERROR(VerifyAck(chain_id_, keys_, ack));
  e.ack_signers.push_back(ack.signer);
  e.ack_sigs.emplace_back(ack.signer, ack.signature);
  const size_t needed = (keys_.size() - 1) / 3 + 1;
  if (e.ack_sigs.size() < needed) return std::optional<ProofOfAvailability>{};
  e.proved = true;
  ProofOfAvailability p;
  p.info = e.info;
  p.signatures = e.ack_sigs;
  std::sort(p.signatures.begin(), p.signatures.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return std::optional<ProofOfAvailability>(std::move(p));
}

void BatchStore::Erase(std::unordered_map<Hash32, Entry, HashKey>::iterator it) {
  const BatchInfo& info = it->second.info;
  if (it->second.quota) {
    Quota& q = quota_[info.author];
    q.batches -= 1;
    q.bytes -= info.num_bytes;
  }
  if (auto id = by_id_.find({info.author, info.batch_id});
      id != by_id_.end() && id->second == info.digest) {
    by_id_.erase(id);
  }
  batches_.erase(it);
}

size_t BatchStore::OnCommitted(uint64_t height) {
  size_t dropped = 0;
  for (auto it = batches_.begin(); it != batches_.end();) {
    auto next = std::next(it);
    if (it->second.info.expires_at_height <= height + 1) {
      Erase(it);
      ++dropped;
    }
    it = next;
  }
  return dropped;
}

void BatchStore::OnExecuted(const Hash32& digest) {
  if (auto it = batches_.find(digest); it != batches_.end()) Erase(it);
}

size_t BatchStore::batches_of(uint32_t author) const {
  return author < quota_.size() ? quota_[author].batches : 0;
}
size_t BatchStore::bytes_of(uint32_t author) const {
  return author < quota_.size() ? quota_[author].bytes : 0;
}
size_t BatchStore::acks_of(const Hash32& digest) const {
  auto it = batches_.find(digest);
  return it == batches_.end() ? 0 : it->second.ack_sigs.size();
}

std::vector<uint32_t> BatchStore::awaiting_acks(const Hash32& digest) const {
  std::vector<uint32_t> out;
  auto it = batches_.find(digest);
  if (it == batches_.end() || it->second.info.author != my_index_ || it->second.proved) return out;
  const auto& signers = it->second.ack_signers;
  for (uint32_t v = 0; v < keys_.size(); ++v) {
    if (v != my_index_ && std::find(signers.begin(), signers.end(), v) == signers.end()) {
      out.push_back(v);
    }
  }
  return out;
}

}  // namespace laurel::node

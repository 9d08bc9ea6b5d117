#include "node/batch_log.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string_view>
#include <utility>

namespace laurel::node {

namespace {
constexpr std::string_view kBatchPrefix = "bat/";
constexpr std::string_view kExecutedPrefix = "bxe/";

std::string RecordName(std::string_view prefix, const Hash32& digest) {
  std::string name(prefix);
  name.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return name;
}

// The digest named by a record name of `prefix`, or nullopt.
std::optional<Hash32> DigestOfName(std::string_view prefix, std::string_view name) {
  Hash32 d{};
  if (name.size() != prefix.size() + d.size() || name.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  std::copy_n(name.data() + prefix.size(), d.size(), reinterpret_cast<char*>(d.data()));
  return d;
}

std::string Hex8Of(const Hash32& d) { return HexEncode(ByteView(d).first(8)); }
}  // namespace

BatchLog::BatchLog(storage::Store& store, std::string chain_id)
    : store_(store), chain_id_(std::move(chain_id)) {}

std::string BatchLog::BatchRecordName(const Hash32& digest) {
  return RecordName(kBatchPrefix, digest);
}

std::string BatchLog::ExecutedRecordName(const Hash32& digest) {
  return RecordName(kExecutedPrefix, digest);
}

std::vector<std::pair<std::string, Bytes>> BatchLog::Records(
    const std::vector<std::pair<const Batch*, Hash32>>& batches) const {
  std::vector<std::pair<std::string, Bytes>> records;
  records.reserve(batches.size());
  for (const auto& [b, digest] : batches) {
    if (held_.count(digest) > 0) continue;
    consensus::Writer w;
    EncodeBatch(w, *b);
    records.emplace_back(BatchRecordName(digest), w.Take());
  }
  return records;
}

void BatchLog::Written(const std::vector<std::pair<Hash32, uint64_t>>& batches) {
  for (const auto& [digest, expires] : batches) held_.emplace(digest, expires);
}

Status BatchLog::Put(const std::vector<std::pair<const Batch*, Hash32>>& batches) {
  const auto records = Records(batches);
  if (records.empty()) return Status::Ok();
  LAUREL_RETURN_IF_ERROR(store_.PutConsensusRecords(records));
  for (const auto& [b, digest] : batches) held_.emplace(digest, b->expires_at_height);
  return Status::Ok();
}

Result<BatchLog::Loaded> BatchLog::Load(uint64_t epoch, uint64_t committed_height) {
  Loaded out;
  held_.clear();
  executed_.clear();
  std::vector<std::string> erase;
  LAUREL_ASSIGN_OR_RETURN(auto marks, store_.ListConsensusRecords(kExecutedPrefix));
  for (auto& [name, value] : marks) {
    const auto digest = DigestOfName(kExecutedPrefix, name);
    if (!digest || value.size() != 16) {
      spdlog::error("[batch] dropping a malformed executed-batch record ({} bytes)", value.size());
      erase.push_back(name);
      continue;
    }
    executed_[*digest] = Executed{ReadU64BE(value.data()), ReadU64BE(value.data() + 8)};
  }
  LAUREL_ASSIGN_OR_RETURN(auto records, store_.ListConsensusRecords(kBatchPrefix));
  for (auto& [name, value] : records) {
    const auto digest = DigestOfName(kBatchPrefix, name);
    consensus::Reader r(value);
    auto b = DecodeBatch(r);
    std::string why;
    if (!digest) {
      why = "a malformed record name";
    } else if (!b.ok()) {
      why = "bytes that do not decode (" + b.status().ToString() + ")";
    } else if (!r.done()) {
      why = "trailing bytes";
    } else if (BatchDigest(chain_id_, *b) != *digest) {
      why = "a digest other than its name's";
    }
    if (!why.empty()) {
      // Never trusted: a batch whose bytes are not what was acknowledged would make this node
      // serve other transactions under the digest (peers check the digest and refuse them).
      spdlog::error("[batch] dropping a corrupt batch record{}: {}",
                    digest ? " " + Hex8Of(*digest) : std::string(), why);
      erase.push_back(name);
      ++out.dropped;
      continue;
    }
    if (b->epoch != epoch || b->expires_at_height <= committed_height + 1 ||
        executed_.count(*digest) > 0) {
      erase.push_back(name);
      ++out.dropped;
      continue;
    }
    held_.emplace(*digest, b->expires_at_height);
    out.batches.push_back(std::move(b).value());
  }
  if (!erase.empty()) LAUREL_RETURN_IF_ERROR(store_.DeleteConsensusRecords(erase));
  return out;
}

void BatchLog::AddToCommit(uint64_t height, const std::vector<BatchInfo>& executed,
                           storage::BlockRecord* rec) {
  for (const BatchInfo& info : executed) {
    // A digest executed again (a proof proposed twice) keeps its first height.
    if (executed_.emplace(info.digest, Executed{height, info.expires_at_height}).second) {
      std::string value;
      AppendU64BE(value, height);
      AppendU64BE(value, info.expires_at_height);
      rec->consensus_puts.emplace_back(ExecutedRecordName(info.digest), ToBytes(value));
    }
    if (held_.erase(info.digest) > 0) {
      rec->consensus_erases.push_back(BatchRecordName(info.digest));
    }
  }
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->second > height + 1) {
      ++it;
      continue;
    }
    rec->consensus_erases.push_back(BatchRecordName(it->first));
    it = held_.erase(it);
  }
  if (height % 64 != 0) return;  // one larger sweep is cheaper than one per block
  for (auto it = executed_.begin(); it != executed_.end();) {
    const Executed& e = it->second;
    if (e.height + kExecutedKeptHeights >= height || e.expires_at_height > height + 1) {
      ++it;
      continue;
    }
    rec->consensus_erases.push_back(ExecutedRecordName(it->first));
    it = executed_.erase(it);
  }
}

Status BatchLog::DropBatches() {
  std::vector<std::string> names;
  names.reserve(held_.size());
  for (const auto& [digest, expires] : held_) names.push_back(BatchRecordName(digest));
  held_.clear();
  if (names.empty()) return Status::Ok();
  return store_.DeleteConsensusRecords(names);
}

std::optional<uint64_t> BatchLog::ExecutedAt(const Hash32& digest) const {
  auto it = executed_.find(digest);
  if (it == executed_.end()) return std::nullopt;
  return it->second.height;
}

}  // namespace laurel::node

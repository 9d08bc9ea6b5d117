#include "crypto/merkle_log.h"

#include <bit>
#include <cstring>

#include "crypto/merkle.h"
#include "crypto/sha256.h"

namespace laurel::crypto {
namespace {

constexpr size_t kHeadFixed = 8 + 32;

// Largest power of two strictly less than n (n >= 2).
uint64_t SplitPoint(uint64_t n) {
  uint64_t k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

Status Missing(uint64_t start, uint64_t n) {
  return Status::NotFound("the log holds no subtree of leaves [" + std::to_string(start) + ", " +
                          std::to_string(start + n) + ")");
}

// The RFC 6962 hash of leaves [start, start + n), n >= 1. A perfect aligned range is one
// look-up; any other range (only the right edge of a tree, in the recursions below) splits as
// MTH does, so it costs one look-up per 1 bit of n.
Result<Hash32> RangeHash(const LogTreeReader& r, uint64_t start, uint64_t n) {
  if (std::has_single_bit(n) && start % n == 0) {
    const auto level = static_cast<uint8_t>(std::countr_zero(n));
    auto h = r.GetLogNode(level, start >> level);
    if (!h) return Missing(start, n);
    return *h;
  }
  const uint64_t k = SplitPoint(n);
  LAUREL_ASSIGN_OR_RETURN(Hash32 left, RangeHash(r, start, k));
  LAUREL_ASSIGN_OR_RETURN(Hash32 right, RangeHash(r, start + k, n - k));
  return MerkleNodeHash(left, right);
}

// PATH(index, D[start, start + n)).
Status PathOf(const LogTreeReader& r, uint64_t start, uint64_t n, uint64_t index,
              std::vector<Hash32>& out) {
  if (n <= 1) return Status::Ok();
  const uint64_t k = SplitPoint(n);
  if (index < k) {
    LAUREL_RETURN_IF_ERROR(PathOf(r, start, k, index, out));
    LAUREL_ASSIGN_OR_RETURN(Hash32 h, RangeHash(r, start + k, n - k));
    out.push_back(h);
  } else {
    LAUREL_RETURN_IF_ERROR(PathOf(r, start + k, n - k, index - k, out));
    LAUREL_ASSIGN_OR_RETURN(Hash32 h, RangeHash(r, start, k));
    out.push_back(h);
  }
  return Status::Ok();
}

// SUBPROOF(m, D[start, start + n), whole_old_tree).
Status SubProof(const LogTreeReader& r, uint64_t m, uint64_t start, uint64_t n, bool whole_old_tree,
                std::vector<Hash32>& out) {
  if (m == n) {
    if (!whole_old_tree) {
      LAUREL_ASSIGN_OR_RETURN(Hash32 h, RangeHash(r, start, n));
      out.push_back(h);
    }
    return Status::Ok();
  }
  const uint64_t k = SplitPoint(n);
  if (m <= k) {
    LAUREL_RETURN_IF_ERROR(SubProof(r, m, start, k, whole_old_tree, out));
    LAUREL_ASSIGN_OR_RETURN(Hash32 h, RangeHash(r, start + k, n - k));
    out.push_back(h);
  } else {
    LAUREL_RETURN_IF_ERROR(SubProof(r, m - k, start + k, n - k, false, out));
    LAUREL_ASSIGN_OR_RETURN(Hash32 h, RangeHash(r, start, k));
    out.push_back(h);
  }
  return Status::Ok();
}

}  // namespace

Hash32 LogRootOfFrontier(const std::vector<Hash32>& frontier) {
  if (frontier.empty()) return Sha256Of(ByteView());
  Hash32 r = frontier.back();
  for (size_t i = frontier.size() - 1; i-- > 0;) r = MerkleNodeHash(frontier[i], r);
  return r;
}

LogHead EmptyLogHead() {
  LogHead h;
  h.root = Sha256Of(ByteView());
  return h;
}

std::string EncodeLogHead(const LogHead& head) {
  std::string out;
  out.reserve(kHeadFixed + 32 * head.frontier.size());
  AppendU64BE(out, head.size);
  out.append(reinterpret_cast<const char*>(head.root.data()), 32);
  for (const Hash32& f : head.frontier) out.append(reinterpret_cast<const char*>(f.data()), 32);
  return out;
}

Result<LogHead> DecodeLogHead(std::string_view record) {
  if (record.size() < kHeadFixed) {
    return Status::InvalidArgument("the log head record is " + std::to_string(record.size()) +
                                   " bytes, shorter than " + std::to_string(kHeadFixed));
  }
  LogHead h;
  h.size = ReadU64BE(reinterpret_cast<const uint8_t*>(record.data()));
  std::memcpy(h.root.data(), record.data() + 8, 32);
  const size_t n = static_cast<size_t>(std::popcount(h.size));
  if (record.size() != kHeadFixed + 32 * n) {
    return Status::InvalidArgument("the log head record of size " + std::to_string(h.size) +
                                   " must be " + std::to_string(kHeadFixed + 32 * n) +
                                   " bytes, not " + std::to_string(record.size()));
  }
  h.frontier.resize(n);
  for (size_t i = 0; i < n; ++i)
    std::memcpy(h.frontier[i].data(), record.data() + kHeadFixed + 32 * i, 32);
  if (LogRootOfFrontier(h.frontier) != h.root) {
    return Status::InvalidArgument("the log head record's root is not the root of its frontier");
  }
  return h;
}

void AppendToLog(LogHead& head, std::span<const Hash32> leaf_hashes,
                 std::vector<LogNode>* completed) {
  if (leaf_hashes.empty()) return;
  for (const Hash32& leaf : leaf_hashes) {
    const uint64_t index = head.size;
    Hash32 cur = leaf;
    if (completed) completed->push_back({0, index, cur});
    // Each trailing 1 bit of the old size is a frontier subtree of that level that the new
    // leaf's subtree now completes into one twice as large.
    uint8_t level = 0;
    for (uint64_t s = index; s & 1; s >>= 1) {
      cur = MerkleNodeHash(head.frontier.back(), cur);
      head.frontier.pop_back();
      ++level;
      if (completed)
        completed->push_back({level, (index + 1 - (uint64_t{1} << level)) >> level, cur});
    }
    head.frontier.push_back(cur);
    head.size = index + 1;
  }
  head.root = LogRootOfFrontier(head.frontier);
}

Result<Hash32> LogRoot(const LogTreeReader& r, uint64_t size) {
  if (size == 0) return Sha256Of(ByteView());
  return RangeHash(r, 0, size);
}

Result<std::vector<Hash32>> LogInclusionProof(const LogTreeReader& r, uint64_t index,
                                              uint64_t size) {
  if (index >= size) {
    return Status::InvalidArgument("leaf index " + std::to_string(index) +
                                   " is not below the tree size " + std::to_string(size));
  }
  std::vector<Hash32> out;
  LAUREL_RETURN_IF_ERROR(PathOf(r, 0, size, index, out));
  return out;
}

Result<std::vector<Hash32>> LogConsistencyProof(const LogTreeReader& r, uint64_t first,
                                                uint64_t second) {
  if (first == 0 || first > second) {
    return Status::InvalidArgument("a consistency proof needs 0 < first <= second (first " +
                                   std::to_string(first) + ", second " + std::to_string(second) +
                                   ")");
  }
  std::vector<Hash32> out;
  if (first == second) return out;
  LAUREL_RETURN_IF_ERROR(SubProof(r, first, 0, second, true, out));
  return out;
}

}  // namespace laurel::crypto

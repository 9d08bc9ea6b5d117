// An append-only RFC 6962 Merkle log kept as stored subtree hashes (docs/spec/state.md §12).
//
// The log's nodes are the hashes of its complete (perfect) subtrees: node (level, index) is
// the root of leaves [index * 2^level, (index + 1) * 2^level), level 0 being the leaf hashes.
// Appending a leaf completes one node per level up to the first 0 bit of the old size, so every
// node is written once, when it completes, and never changes. The root of any size, and the
// inclusion and consistency proofs between any sizes, are computed from these nodes with
// O(log n) look-ups (LogTreeReader), giving exactly what crypto/merkle.h computes from all the
// leaves.
//
// The head of a log of `size` leaves is its root and its frontier: the roots of the perfect
// subtrees on its right edge, largest first (one per 1 bit of `size`), enough to append without
// reading anything else. Its record encoding (the state record "l"):
//
//   u64be(size) || root [32] || frontier (popcount(size) × 32 bytes, largest subtree first)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace laurel::crypto {

struct LogHead {
  uint64_t size = 0;
  Hash32 root{};  // MerkleRoot of the `size` leaves (SHA-256("") when empty)
  std::vector<Hash32> frontier;
};

// A complete subtree of the log.
struct LogNode {
  uint8_t level = 0;
  uint64_t index = 0;
  Hash32 hash{};
};

LogHead EmptyLogHead();
std::string EncodeLogHead(const LogHead& head);
// Refuses a record of the wrong length, or whose root is not the fold of its frontier.
Result<LogHead> DecodeLogHead(std::string_view record);
// The root a frontier of `size` leaves folds to (SHA-256("") for size 0).
Hash32 LogRootOfFrontier(const std::vector<Hash32>& frontier);

// Appends leaf hashes to `head` (in place); every subtree that completes, the leaves included,
// is appended to `completed` in the order it completes.
void AppendToLog(LogHead& head, std::span<const Hash32> leaf_hashes,
                 std::vector<LogNode>* completed);

// Reads stored complete subtrees.
class LogTreeReader {
 public:
  virtual ~LogTreeReader() = default;
  // The hash of complete subtree (level, index), or nullopt when it is not stored.
  virtual std::optional<Hash32> GetLogNode(uint8_t level, uint64_t index) const = 0;
};

// The root of the first `size` leaves. kNotFound when a node it needs is missing (a size above
// the stored log).
Result<Hash32> LogRoot(const LogTreeReader& r, uint64_t size);
// RFC 6962 PATH(index, D[size]) (as MerkleInclusionProof). kInvalidArgument when
// index >= size; kNotFound when a node is missing.
Result<std::vector<Hash32>> LogInclusionProof(const LogTreeReader& r, uint64_t index,
                                              uint64_t size);
// RFC 6962 PROOF(first, D[second]) (as MerkleConsistencyProof). kInvalidArgument unless
// 0 < first <= second; empty when first == second.
Result<std::vector<Hash32>> LogConsistencyProof(const LogTreeReader& r, uint64_t first,
                                                uint64_t second);

}  // namespace laurel::crypto

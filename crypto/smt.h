// The sparse Merkle tree of the ledger state (docs/spec/state.md): hashing and proof checking.
//
// A tree over 256-bit keys (key = SHA-256 of a state key), bit 0 of a key being the most
// significant bit of its first byte; 0 goes left. A subtree holding no key hashes to 32 zero
// bytes; a subtree holding exactly one key is that key's leaf, placed as high as it can go; any
// other subtree is an interior node over its two halves. The root depends on the set of
// (key, value) pairs only, never on the order they were written in.
//
//   leaf  = SHA-256("laurel/smt-leaf/v1\0" || key_hash [32] || SHA-256(value) [32])
//   node  = SHA-256("laurel/smt-node/v1\0" || left [32] || right [32])
//
// Nothing here reads storage: these functions are all a verifier needs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"

namespace laurel::crypto::smt {

inline constexpr std::string_view kLeafDomain{"laurel/smt-leaf/v1\0", 19};
inline constexpr std::string_view kNodeDomain{"laurel/smt-node/v1\0", 19};
inline constexpr size_t kKeyBits = 256;

// SHA-256 of a state key ("g", "i/<issuer id>", "c/<credential id>").
Hash32 KeyHash(std::string_view state_key);
Hash32 LeafHash(const Hash32& key_hash, const Hash32& value_hash);
Hash32 NodeHash(const Hash32& left, const Hash32& right);
// Bit `i` (0 = most significant bit of byte 0) of a key hash; i < 256.
inline bool Bit(const Hash32& key_hash, size_t i) {
  return (key_hash[i / 8] >> (7 - i % 8)) & 1;
}
inline bool IsEmpty(const Hash32& h) {
  for (uint8_t b : h) {
    if (b) return false;
  }
  return true;
}

// The leaf a proof's path ends at.
struct ProofLeaf {
  Hash32 key_hash{};
  Hash32 value_hash{};
  bool operator==(const ProofLeaf&) const = default;
};

// A path from the root down to where a key is or would be: the sibling hash at each depth,
// root first (siblings[i] is the other child of the node at depth i), then what the path ends
// at: a leaf (the key's own for a membership proof; another key's with the same first
// siblings.size() bits for a non-membership proof), or nothing (an empty subtree).
struct Proof {
  std::vector<Hash32> siblings;
  std::optional<ProofLeaf> leaf;
};

// Checks that `root` holds `key_hash` with a value whose SHA-256 is `*value_hash`, or (when
// value_hash is nullopt) that it holds no value for `key_hash`. On failure returns false and,
// when `why` is set, says what failed in a sentence.
bool VerifyProof(const Hash32& root, const Hash32& key_hash,
                 const std::optional<Hash32>& value_hash, const Proof& proof,
                 std::string* why = nullptr);

// The root a proof leads to for the hash at its end (the leaf's hash, or zeros).
Hash32 RootFromPath(const Hash32& key_hash, const Hash32& bottom,
                    const std::vector<Hash32>& siblings);

}  // namespace laurel::crypto::smt

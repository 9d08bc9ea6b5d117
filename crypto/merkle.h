// RFC 6962 / RFC 9162 Merkle trees over SHA-256: roots, inclusion proofs, and verification
// of inclusion and consistency proofs. leaf hash = H(0x00 || leaf), node = H(0x01 || l || r),
// the empty tree's root = H("").
#pragma once

#include <span>
#include <vector>

#include "common/bytes.h"

namespace laurel::crypto {

Hash32 MerkleLeafHash(ByteView leaf);
Hash32 MerkleNodeHash(const Hash32& left, const Hash32& right);
// Root of the tree whose leaves have the given leaf hashes.
Hash32 MerkleRoot(std::span<const Hash32> leaf_hashes);
// Audit path for leaf `index` (index < leaf_hashes.size(), else empty): RFC 6962 §2.1.1
// PATH(index, D[n]), the sibling nearest the leaf first.
std::vector<Hash32> MerkleInclusionProof(std::span<const Hash32> leaf_hashes, uint64_t index);
// Consistency proof from the tree of the first `size1` leaves to the tree of all of them:
// RFC 6962 §2.1.2 PROOF(m, D[n]). Empty when size1 == 0 or size1 >= leaf_hashes.size() (a tree
// is consistent with itself, and a proof from the empty tree proves nothing).
std::vector<Hash32> MerkleConsistencyProof(std::span<const Hash32> leaf_hashes, uint64_t size1);

// RFC 9162 §2.1.3.2. Any malformed element (not 32 bytes), wrong length or mismatch -> false.
bool VerifyMerkleInclusion(uint64_t index, uint64_t tree_size, ByteView leaf_hash,
                           std::span<const Bytes> proof, ByteView root);
// RFC 9162 §2.1.4.2. size1 == 0 is rejected (a proof from the empty tree proves nothing).
bool VerifyMerkleConsistency(uint64_t size1, uint64_t size2, std::span<const Bytes> proof,
                             ByteView root1, ByteView root2);

}  // namespace laurel::crypto

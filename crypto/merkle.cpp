#include "crypto/merkle.h"

#include <algorithm>
#include <cstring>

#include "crypto/sha256.h"

namespace laurel::crypto {
namespace {

bool Equal(ByteView a, ByteView b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

Hash32 NodeHashViews(ByteView left, ByteView right) {
  static constexpr uint8_t kPrefix = 0x01;
  Sha256 h;
  h.Update(ByteView(&kPrefix, 1)).Update(left).Update(right);
  return h.Finish();
}

// Largest power of two strictly less than n (n >= 2).
uint64_t SplitPoint(uint64_t n) {
  uint64_t k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

Hash32 RootOf(std::span<const Hash32> leaves) {
  if (leaves.size() == 1) return leaves[0];
  const uint64_t k = SplitPoint(leaves.size());
  return MerkleNodeHash(RootOf(leaves.subspan(0, k)), RootOf(leaves.subspan(k)));
}

void PathOf(std::span<const Hash32> leaves, uint64_t index, std::vector<Hash32>& out) {
  if (leaves.size() <= 1) return;
  const uint64_t k = SplitPoint(leaves.size());
  if (index < k) {
    PathOf(leaves.subspan(0, k), index, out);
    out.push_back(RootOf(leaves.subspan(k)));
  } else {
    PathOf(leaves.subspan(k), index - k, out);
    out.push_back(RootOf(leaves.subspan(0, k)));
  }
}

// RFC 6962 §2.1.2 SUBPROOF(m, D[n], b).
void SubProof(uint64_t m, std::span<const Hash32> leaves, bool whole_old_tree,
              std::vector<Hash32>& out) {
  const uint64_t n = leaves.size();
  if (m == n) {
    // The old tree is a complete subtree here: its root is known to the verifier only when
    // it is the whole old tree.
    if (!whole_old_tree) out.push_back(RootOf(leaves));
    return;
  }
  const uint64_t k = SplitPoint(n);
  if (m <= k) {
    SubProof(m, leaves.subspan(0, k), whole_old_tree, out);
    out.push_back(RootOf(leaves.subspan(k)));
  } else {
    SubProof(m - k, leaves.subspan(k), false, out);
    out.push_back(RootOf(leaves.subspan(0, k)));
  }
}

}  // namespace

Hash32 MerkleLeafHash(ByteView leaf) {
  static constexpr uint8_t kPrefix = 0x00;
  Sha256 h;
  h.Update(ByteView(&kPrefix, 1)).Update(leaf);
  return h.Finish();
}

Hash32 MerkleNodeHash(const Hash32& left, const Hash32& right) {
  return NodeHashViews(left, right);
}

Hash32 MerkleRoot(std::span<const Hash32> leaf_hashes) {
  if (leaf_hashes.empty()) return Sha256Of(ByteView());
  return RootOf(leaf_hashes);
}

std::vector<Hash32> MerkleInclusionProof(std::span<const Hash32> leaf_hashes, uint64_t index) {
  std::vector<Hash32> out;
  if (index >= leaf_hashes.size()) return out;
  PathOf(leaf_hashes, index, out);
  return out;
}

std::vector<Hash32> MerkleConsistencyProof(std::span<const Hash32> leaf_hashes, uint64_t size1) {
  std::vector<Hash32> out;
  if (size1 == 0 || size1 >= leaf_hashes.size()) return out;
  SubProof(size1, leaf_hashes, true, out);
  return out;
}

bool VerifyMerkleInclusion(uint64_t index, uint64_t tree_size, ByteView leaf_hash,
                           std::span<const Bytes> proof, ByteView root) {
  if (index >= tree_size || leaf_hash.size() != 32) return false;
  uint64_t fn = index;
  uint64_t sn = tree_size - 1;
  Hash32 r;
  std::memcpy(r.data(), leaf_hash.data(), 32);
  for (const Bytes& p : proof) {
    if (p.size() != 32 || sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      r = NodeHashViews(p, r);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHashViews(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && Equal(r, root);
}

bool VerifyMerkleConsistency(uint64_t size1, uint64_t size2, std::span<const Bytes> proof,
                             ByteView root1, ByteView root2) {
  if (size1 == 0 || size2 < size1) return false;
  if (size1 == size2) return proof.empty() && Equal(root1, root2);
  if (proof.empty()) return false;
  for (const Bytes& p : proof) {
    if (p.size() != 32) return false;
  }
  std::vector<ByteView> path;
  // When size1 is a power of two, the old root itself is the first node of the path.
  if ((size1 & (size1 - 1)) == 0) {
    if (root1.size() != 32) return false;
    path.push_back(root1);
  }
  for (const Bytes& p : proof) path.emplace_back(p);
  uint64_t fn = size1 - 1;
  uint64_t sn = size2 - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash32 fr;
  Hash32 sr;
  std::memcpy(fr.data(), path[0].data(), 32);
  sr = fr;
  for (size_t i = 1; i < path.size(); ++i) {
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      fr = NodeHashViews(path[i], fr);
      sr = NodeHashViews(path[i], sr);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHashViews(sr, path[i]);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && Equal(fr, root1) && Equal(sr, root2);
}

}  // namespace laurel::crypto

// The state tree's node storage and its per-block update (docs/spec/state.md §3): the sparse
// Merkle tree of crypto/smt.h, kept as versioned nodes in the style of the Jellyfish Merkle
// tree. Every node is written once, under the version (block height) that created it, and never
// changed; a parent names each child's version, so a read at any retained version is a chain of
// point look-ups from that version's root.
//
//   node key  = u64be(version) || u16be(depth) || path   (path: the first `depth` bits of the
//               keys below the node, ceil(depth/8) bytes, unused low bits zero)
//   root      = the node at (version, 0, "") — written at every version, even an unchanged one
//   values    = 0x00                                     the empty tree (a root only)
//               0x01 || key_hash [32] || record bytes    a leaf
//               0x02 || child(left) || child(right)      an interior node, where
//   child     = 0x00 (empty) | kind (0x01 leaf, 0x02 interior) || hash [32] || u64be(version)
//
// Pure: nodes are read through a TreeReader and the new ones returned; the host stores them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/smt.h"

namespace laurel::ledger {

class TreeReader {
 public:
  virtual ~TreeReader() = default;
  // The stored node under `node_key`, or nullopt.
  virtual std::optional<std::string> GetTreeNode(std::string_view node_key) const = 0;
};

std::string TreeNodeKey(uint64_t version, size_t depth, const Hash32& path_bits);
inline std::string TreeRootKey(uint64_t version) { return TreeNodeKey(version, 0, Hash32{}); }
// The version a node key names (its first 8 bytes); nullopt when the key is malformed.
std::optional<uint64_t> TreeNodeVersion(std::string_view node_key);

struct TreeUpdate {
  Hash32 root{};
  std::vector<std::pair<std::string, std::string>> new_nodes;  // node key -> value
  std::vector<std::string> stale_nodes;  // keys of nodes no version >= this one reads
};

// The tree at `version` = the tree at `version - 1` (none when version == 0: the empty tree)
// with `writes` (state key -> record bytes) applied. Aborts if a node the update needs is
// missing or undecodable (the store is corrupt; never input from outside).
TreeUpdate UpdateStateTree(const TreeReader& reader, uint64_t version,
                           const std::map<std::string, std::string>& writes);

// The root hash of the tree at `version`, or nullopt when that version is not stored.
std::optional<Hash32> StateTreeRoot(const TreeReader& reader, uint64_t version);

struct StateProof {
  uint64_t version = 0;
  Hash32 root{};
  std::string key;                    // the state key asked about
  std::optional<std::string> value;   // its record at `version`, when present
  crypto::smt::Proof proof;
};

// A proof of `state_key`'s record (or of its absence) in the tree at `version`.
// kNotFound when that version is not stored (never written, or pruned).
Result<StateProof> ProveState(const TreeReader& reader, uint64_t version,
                              std::string_view state_key);

}  // namespace laurel::ledger

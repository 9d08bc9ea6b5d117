// The in-memory tree of uncommitted blocks above the last committed block (the root). Every
// block in the tree descends from the root; a block is inserted only once its parent is in.
// Pure data structure: no I/O, no verification (the engine verifies before inserting).
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "consensus/types.h"

namespace laurel::consensus {

class BlockTree {
 public:
  explicit BlockTree(Block root);

  const Block& root() const { return nodes_.at(root_id_).block; }
  const Block* Get(const BlockId& id) const;
  bool Contains(const BlockId& id) const { return nodes_.count(id) != 0; }
  size_t size() const { return nodes_.size(); }

  // Inserts `b`; its parent must be in the tree and `b` must not be.
  void Insert(Block b);
  // The blocks from just above the root up to and including `id`, oldest first; nullopt if
  // `id` is not in the tree. Empty if `id` is the root.
  std::optional<std::vector<const Block*>> PathFromRoot(const BlockId& id) const;
  // Makes `id` (in the tree) the root and drops every block that does not descend from it.
  void PruneTo(const BlockId& id);

 private:
  struct Node {
    Block block;
    std::vector<BlockId> children;
  };
  std::map<BlockId, Node> nodes_;
  BlockId root_id_;
};

}  // namespace laurel::consensus

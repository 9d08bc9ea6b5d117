#include "consensus/block_tree.h"

#include <algorithm>

#include "common/check.h"

namespace laurel::consensus {

BlockTree::BlockTree(Block root) : root_id_(root.id) {
  nodes_.emplace(root.id, Node{std::move(root), {}});
}

const Block* BlockTree::Get(const BlockId& id) const {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : &it->second.block;
}

void BlockTree::Insert(Block b) {
  auto parent = nodes_.find(b.parent_id);
  LAUREL_CHECK(parent != nodes_.end(), "BlockTree::Insert without parent");
  LAUREL_CHECK(!Contains(b.id), "BlockTree::Insert of a present block");
  parent->second.children.push_back(b.id);
  const BlockId id = b.id;
  nodes_.emplace(id, Node{std::move(b), {}});
}

std::optional<std::vector<const Block*>> BlockTree::PathFromRoot(const BlockId& id) const {
  std::vector<const Block*> path;
  const Block* b = Get(id);
  if (b == nullptr) return std::nullopt;
  while (b->id != root_id_) {
    path.push_back(b);
    b = Get(b->parent_id);
    LAUREL_CHECK(b != nullptr, "tree block without parent");
  }
  std::reverse(path.begin(), path.end());
  return path;
}

void BlockTree::PruneTo(const BlockId& id) {
  LAUREL_CHECK(Contains(id), "PruneTo a block not in the tree");
  std::map<BlockId, Node> kept;
  std::vector<BlockId> stack{id};
  while (!stack.empty()) {
    BlockId cur = stack.back();
    stack.pop_back();
    auto it = nodes_.find(cur);
    for (const BlockId& c : it->second.children) stack.push_back(c);
    kept.emplace(cur, std::move(it->second));
  }
  nodes_ = std::move(kept);
  root_id_ = id;
}

}  // namespace laurel::consensus

// The state tree's nodes in memory, every version kept (nothing is pruned): the TreeReader of
// the tests and benchmarks that exercise the tree without a store.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ledger/state_tree.h"

namespace laurel::ledger {

class MemoryTree final : public TreeReader {
 public:
  std::optional<std::string> GetTreeNode(std::string_view key) const override {
    auto it = nodes_.find(std::string(key));
    if (it == nodes_.end()) return std::nullopt;
    return it->second;
  }
  void Apply(const TreeUpdate& u) {
    for (const auto& [k, v] : u.new_nodes) nodes_[k] = v;
  }
  void Erase(const std::string& key) { nodes_.erase(key); }
  size_t size() const { return nodes_.size(); }

 private:
  std::unordered_map<std::string, std::string> nodes_;
};

}  // namespace laurel::ledger

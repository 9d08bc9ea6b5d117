// The state tree's nodes in a hash map, for the benchmarks that measure the tree without
// RocksDB (laurel-bench-tree, laurel-bench-txlog).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ledger/state_tree.h"

namespace laurel::bench {

class HashTree final : public ledger::TreeReader {
 public:
  std::optional<std::string> GetTreeNode(std::string_view key) const override {
    auto it = nodes_.find(std::string(key));
    if (it == nodes_.end()) return std::nullopt;
    return it->second;
  }
  void Apply(const ledger::TreeUpdate& u) {
    for (const auto& [k, v] : u.new_nodes) nodes_[k] = v;
  }
  size_t size() const { return nodes_.size(); }

 private:
  std::unordered_map<std::string, std::string> nodes_;
};

// The bytes of the nodes an update writes (keys and values).
inline size_t UpdateBytes(const ledger::TreeUpdate& u) {
  size_t b = 0;
  for (const auto& [k, v] : u.new_nodes) b += k.size() + v.size();
  return b;
}

}  // namespace laurel::bench

// What the benchmarks that measure the state tree without RocksDB share (laurel-bench-tree,
// laurel-bench-txlog): the tree's nodes in memory, and the bytes an update writes.
#pragma once

#include <cstddef>

#include "ledger/memory_tree.h"
#include "ledger/state_tree.h"

namespace laurel::bench {

using HashTree = ledger::MemoryTree;

// The bytes of the nodes an update writes (keys and values).
inline size_t UpdateBytes(const ledger::TreeUpdate& u) {
  size_t b = 0;
  for (const auto& [k, v] : u.new_nodes) b += k.size() + v.size();
  return b;
}

}  // namespace laurel::bench

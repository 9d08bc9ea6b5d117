// The state tree's own cost, without consensus, RPC or RocksDB: UpdateStateTree over an
// in-memory node map holding RECORDS records, then BLOCKS blocks of WRITES new records each
// (issuance: new credential keys, plus one issuer record rewritten per block). Prints per block
// the update time, the nodes written and replaced, and the bytes written.
//   laurel-bench-tree [--records N] [--blocks B] [--writes W] [--value-bytes V]
#include <chrono>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "bench/memory_tree.h"
#include "ledger/state_tree.h"

using laurel::bench::HashTree;

int main(int argc, char** argv) {
  CLI::App app{"laurel-bench-tree: the state tree's update cost per block"};
  size_t records = 100000, blocks = 50, writes = 600, value_bytes = 180;
  app.add_option("--records", records, "records in the tree before the measured blocks");
  app.add_option("--blocks", blocks, "measured blocks");
  app.add_option("--writes", writes, "new records per block");
  app.add_option("--value-bytes", value_bytes, "bytes per record");
  CLI11_PARSE(app, argc, argv);

  HashTree tree;
  uint64_t version = 0;
  size_t next = 0;
  const std::string value(value_bytes, 'v');
  auto block_of = [&](size_t n) {
    std::map<std::string, std::string> w;
    for (size_t i = 0; i < n; ++i) w["c/city-fed/M/2026/" + std::to_string(next++)] = value;
    w["i/city-fed"] = value + std::to_string(version);
    return w;
  };
  // Fill in blocks of 5,000 records.
  while (next < records) {
    auto u = laurel::ledger::UpdateStateTree(tree, version, block_of(std::min<size_t>(5000, records - next)));
    tree.Apply(u);
    ++version;
  }
  double total_ms = 0;
  size_t nodes = 0, stale = 0, bytes = 0;
  for (size_t b = 0; b < blocks; ++b) {
    const auto w = block_of(writes);
    const auto t0 = std::chrono::steady_clock::now();
    auto u = laurel::ledger::UpdateStateTree(tree, version, w);
    total_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    nodes += u.new_nodes.size();
    stale += u.stale_nodes.size();
    bytes += laurel::bench::UpdateBytes(u);
    tree.Apply(u);
    ++version;
  }
  std::printf("records %zu, %zu blocks of %zu writes: %.2f ms per block (%.1f us per write), "
              "%.0f nodes written and %.0f replaced per block, %.0f bytes written per write\n",
              records, blocks, writes, total_ms / blocks, 1000 * total_ms / blocks / writes,
              double(nodes) / blocks, double(stale) / blocks, double(bytes) / blocks / writes);
  return 0;
}

// The transaction log's cost per block and its proof sizes, without consensus, RPC or RocksDB
// (docs/spec/state.md §12): appends LEAVES leaves in blocks of BLOCK_TXS, as execution does
// (crypto::AppendToLog on the head record), keeping the completed subtrees in a hash map as the
// txlog column family would; prints per block the append time and the bytes the log adds to the
// commit batch, the state tree's extra cost of writing the record "l" (one more key per block,
// measured on a tree of --records records), and inclusion and consistency proof sizes and
// look-ups at the final size.
//   laurel-bench-txlog [--leaves N] [--block-txs T] [--records R]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <unordered_map>

#include "crypto/merkle.h"
#include "crypto/merkle_log.h"
#include "bench/memory_tree.h"
#include "crypto/sha256.h"
#include "ledger/state_tree.h"

namespace {

using Clock = std::chrono::steady_clock;
double Us(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

struct NodeMap final : laurel::crypto::LogTreeReader {
  std::unordered_map<uint64_t, laurel::Hash32> nodes;  // level << 56 | index
  mutable uint64_t reads = 0;
  std::optional<laurel::Hash32> GetLogNode(uint8_t level, uint64_t index) const override {
    ++reads;
    auto it = nodes.find(uint64_t{level} << 56 | index);
    if (it == nodes.end()) return std::nullopt;
    return it->second;
  }
};

using laurel::bench::HashTree;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"laurel-bench-txlog: the transaction log's cost per block and its proof sizes"};
  uint64_t leaves = 1000000, block_txs = 600, records = 100000;
  app.add_option("--leaves", leaves, "leaves appended in all");
  app.add_option("--block-txs", block_txs, "transactions per block");
  app.add_option("--records", records, "state records in the tree (for the record 'l' cost)");
  CLI11_PARSE(app, argc, argv);

  NodeMap map;
  laurel::crypto::LogHead head = laurel::crypto::EmptyLogHead();
  std::vector<laurel::crypto::LogNode> done;
  std::vector<laurel::Hash32> batch;
  uint64_t blocks = 0, nodes_written = 0, bytes = 0, head_bytes = 0;
  double append_us = 0, max_us = 0;
  std::mt19937_64 rng(1);
  for (uint64_t i = 0; i < leaves;) {
    batch.clear();
    const uint64_t n = std::min(block_txs, leaves - i);
    for (uint64_t k = 0; k < n; ++k) {
      laurel::Bytes leaf(36);
      for (auto& b : leaf) b = static_cast<uint8_t>(rng());
      batch.push_back(laurel::crypto::MerkleLeafHash(leaf));  // execution hashes it for tx_root
    }
    done.clear();
    const auto t0 = Clock::now();
    laurel::crypto::AppendToLog(head, batch, &done);
    const std::string rec = laurel::crypto::EncodeLogHead(head);
    const double us = Us(Clock::now() - t0);
    append_us += us;
    max_us = std::max(max_us, us);
    for (const auto& d : done) map.nodes[uint64_t{d.level} << 56 | d.index] = d.hash;
    nodes_written += done.size();
    // txlog column family: 10-byte key + 32-byte hash per node, 9 + 8 for the size record.
    bytes += done.size() * (10 + 32) + 17;
    head_bytes += rec.size();
    ++blocks;
    i += n;
  }
  std::printf("log: %llu leaves in %llu blocks of %llu txs\n",
              static_cast<unsigned long long>(leaves), static_cast<unsigned long long>(blocks),
              static_cast<unsigned long long>(block_txs));
  std::printf(
      "per block: append + head encoding %.1f us (max %.1f us), %.1f subtree nodes "
      "written, %.0f bytes to the txlog column family (%.1f bytes per tx), head record "
      "'l' %.0f bytes\n",
      append_us / blocks, max_us, static_cast<double>(nodes_written) / blocks,
      static_cast<double>(bytes) / blocks, static_cast<double>(bytes) / leaves,
      static_cast<double>(head_bytes) / blocks);

  // The state tree's extra work for the record "l": the same block's writes with and without it.
  {
    HashTree tree;
    std::map<std::string, std::string> init;
    for (uint64_t r = 0; r < records; ++r)
      init["c/bench/" + std::to_string(r)] = std::string(180, 'x');
    init["l"] = laurel::crypto::EncodeLogHead(laurel::crypto::EmptyLogHead());
    tree.Apply(laurel::ledger::UpdateStateTree(tree, 0, init));
    std::map<std::string, std::string> w;
    for (uint64_t k = 0; k < block_txs; ++k)
      w["c/bench/new/" + std::to_string(k)] = std::string(180, 'y');
    auto w_log = w;
    w_log["l"] = laurel::crypto::EncodeLogHead(head);
    // Alternating runs, the fastest of each (the first ones warm the caches).
    double us_without = 1e18, us_with = 1e18;
    laurel::ledger::TreeUpdate without, with;
    for (int rep = 0; rep < 7; ++rep) {
      const auto t0 = Clock::now();
      without = laurel::ledger::UpdateStateTree(tree, 1, w);
      us_without = std::min(us_without, Us(Clock::now() - t0));
      const auto t1 = Clock::now();
      with = laurel::ledger::UpdateStateTree(tree, 1, w_log);
      us_with = std::min(us_with, Us(Clock::now() - t1));
    }
    std::printf(
        "state tree of %llu records, %llu writes per block: record 'l' adds %lld nodes, "
        "%lld bytes, %.0f us (update %.0f us -> %.0f us, fastest of 7)\n",
        static_cast<unsigned long long>(records), static_cast<unsigned long long>(block_txs),
        static_cast<long long>(with.new_nodes.size()) -
            static_cast<long long>(without.new_nodes.size()),
        static_cast<long long>(laurel::bench::UpdateBytes(with)) -
            static_cast<long long>(laurel::bench::UpdateBytes(without)),
        us_with - us_without, us_without, us_with);
  }

  // Proofs at the final size.
  const uint64_t size = head.size;
  size_t max_inc = 0, max_cons = 0;
  uint64_t max_reads = 0;
  double proof_us = 0;
  const int rounds = 200;
  for (int r = 0; r < rounds; ++r) {
    const uint64_t index = rng() % size;
    const uint64_t first = 1 + rng() % (size - 1);
    map.reads = 0;
    const auto t0 = Clock::now();
    auto p = laurel::crypto::LogInclusionProof(map, index, size);
    auto c = laurel::crypto::LogConsistencyProof(map, first, size);
    proof_us += Us(Clock::now() - t0);
    if (!p.ok() || !c.ok()) {
      std::fprintf(stderr, "proof failed\n");
      return 1;
    }
    max_inc = std::max(max_inc, p->size());
    max_cons = std::max(max_cons, c->size());
    max_reads = std::max(max_reads, map.reads);
  }
  auto root = laurel::crypto::LogRoot(map, size);
  std::printf(
      "proofs at %llu leaves: inclusion up to %zu hashes (%zu bytes), consistency up to "
      "%zu hashes (%zu bytes); up to %llu node look-ups per inclusion+consistency pair, "
      "%.1f us per pair in memory; root from nodes %s the head's\n",
      static_cast<unsigned long long>(size), max_inc, max_inc * 32, max_cons, max_cons * 32,
      static_cast<unsigned long long>(max_reads), proof_us / rounds,
      root.ok() && *root == head.root ? "equals" : "DIFFERS FROM");
  return root.ok() && *root == head.root ? 0 : 1;
}

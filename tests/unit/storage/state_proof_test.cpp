// State proofs served by the store: at every committed height, for records written, rewritten
// and never written, on both stores; pruning keeps the newer heights provable.
#include <catch2/catch.hpp>
#include <map>
#include <random>

#include "crypto/merkle.h"
#include "crypto/smt.h"
#include "ledger/state_tree.h"
#include "tests/support/txgen.h"
#include "tests/unit/storage/chain_util.h"
#include "tests/unit/storage/generated_chain.h"
#include "tests/unit/storage/store_test_util.h"

using namespace laurel;
using namespace laurel::storage;
using namespace laurel::storage::test;
using laurel::test::TxGen;
using laurel::test::TxGenOptions;

namespace {

struct Claim {
  uint64_t height;
  Hash32 root;
  std::string key;
  std::optional<std::string> value;
};

bool Holds(const Claim& c, const ledger::StateProof& p) {
  std::optional<Hash32> vh;
  if (c.value) vh = crypto::Sha256Of(*c.value);
  return p.root == c.root && p.value == c.value &&
         crypto::smt::VerifyProof(c.root, crypto::smt::KeyHash(c.key), vh, p.proof);
}

}  // namespace

TEST_CASE("a store proves each record, and each absence, at every height it keeps",
          "[store][state]") {
  const uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  for (const char* kind : {"memory", "rocksdb"}) {
    INFO(kind);
    AnyStore store(kind);
    TxGen gen(seed, TxGenOptions{.txs_per_block = 15});
    ledger::Executor exec(gen.chain_id());
    REQUIRE(CommitGenesis(*store, gen.genesis()).ok());
    auto g = store->GetBlock(0);
    REQUIRE(g.ok());
    Hash32 parent = (*g)->block_id;
    std::vector<Claim> claims;
    for (uint64_t h = 1; h <= 40; ++h) {
      auto r = ExecuteAndCommit(*store, exec, gen.genesis(), parent, gen.NextBlock(h), &parent);
      REQUIRE(r.ok());
      gen.Observe(*r);
      for (const auto& [k, v] : r->writes) claims.push_back({h, r->state_root, k, v});
      claims.push_back({h, r->state_root, "c/never/" + std::to_string(h), std::nullopt});
      claims.push_back({h, r->state_root, "g", store->GetState("g")});
    }
    // Every claim still holds at its own height, though many records changed since.
    for (const auto& c : claims) {
      auto p = store->ProveState(c.height, c.key);
      REQUIRE(p.ok());
      CHECK(Holds(c, *p));
    }
    CHECK(store->ProveState(41, "g").status().code() == StatusCode::kNotFound);
    REQUIRE(store->PruneStateTree(30).ok());
    REQUIRE(store->PruneStateTree(30).ok());  // idempotent
    for (const auto& c : claims) {
      auto p = store->ProveState(c.height, c.key);
      if (c.height >= 30) {
        REQUIRE(p.ok());
        CHECK(Holds(c, *p));
      } else {
        CHECK(p.status().code() == StatusCode::kNotFound);
      }
    }
    // Execution goes on over the pruned tree.
    auto r = ExecuteAndCommit(*store, exec, gen.genesis(), parent, gen.NextBlock(41), &parent);
    REQUIRE(r.ok());
    auto p = store->ProveState(41, "g");
    REQUIRE(p.ok());
    CHECK(p->root == store->StateRoot());
  }
}

TEST_CASE("the state tree survives reopening a RocksDB store", "[store][state]") {
  TempDir dir;
  TxGen gen(7, TxGenOptions{.txs_per_block = 10});
  ledger::Executor exec(gen.chain_id());
  Hash32 root{};
  Hash32 parent{};
  root = GeneratedRocksChain(dir, gen, exec, 5, &parent)->StateRoot();
  auto s = OpenRocksStore(dir.db());
  REQUIRE(s.ok());
  auto p = (*s)->ProveState(5, "g");
  REQUIRE(p.ok());
  CHECK(p->root == root);
  auto r = ExecuteAndCommit(**s, exec, gen.genesis(), parent, gen.NextBlock(6), &parent);
  REQUIRE(r.ok());
}

namespace {

// The root of the tree over `records` alone, built from nothing (no store, no cache).
Hash32 RootFromScratch(const std::map<std::string, std::string>& records) {
  struct NoTree final : ledger::TreeReader {
    std::optional<std::string> GetTreeNode(std::string_view) const override { return std::nullopt; }
  };
  return ledger::UpdateStateTree(NoTree{}, 0, records).root;
}

// Commits a block of bare state writes (opaque values, no transactions) at the next height,
// its tree update read through the store itself as the executor does.
Hash32 CommitWrites(Store& store, const std::map<std::string, std::string>& writes,
                    Hash32* parent) {
  const uint64_t height = store.Empty() ? 0 : store.Height() + 1;
  ledger::BlockResult r;
  r.writes = writes;
  r.tree = ledger::UpdateStateTree(store, height, r.writes);
  r.state_root = r.tree.root;
  r.tx_root = crypto::MerkleRoot({});
  const BlockRecord b = MakeBlockRecord(height, *parent, 1000 * height, {});
  LAUREL_CHECK(store.CommitBlock(b, r).ok(), "commit of bare writes failed");
  *parent = b.block_id;
  return r.state_root;
}

}  // namespace

// The store keeps the newest tree's upper nodes in memory and serves the next block's update
// from there: after new keys, rewritten keys, blocks that write nothing, pruning and (RocksDB)
// reopening, every root must still be the root of the records from scratch, and every path
// read through the store must be the stored one.
TEST_CASE("a store's in-memory tree nodes are the stored ones", "[store][state]") {
  for (const char* kind : {"memory", "rocksdb"}) {
    INFO(kind);
    AnyStore store(kind);
    std::map<std::string, std::string> all;
    Hash32 parent{};
    std::mt19937_64 rng(20261205);
    auto block = [&](size_t fresh, size_t rewrites) {
      std::map<std::string, std::string> w;
      const uint64_t h = store->Empty() ? 0 : store->Height() + 1;
      for (size_t i = 0; i < fresh; ++i) {
        w["x/" + std::to_string(h) + "/" + std::to_string(i)] = "v" + std::to_string(rng());
      }
      for (size_t i = 0; i < rewrites && !all.empty(); ++i) {
        auto it = all.begin();
        std::advance(it, static_cast<long>(rng() % all.size()));
        w[it->first] = "r" + std::to_string(rng());
      }
      for (const auto& [k, v] : w) all[k] = v;
      const Hash32 root = CommitWrites(*store, w, &parent);
      REQUIRE(root == RootFromScratch(all));
      REQUIRE(store->StateRoot() == root);
      // Paths read through the store (its memory first) equal the proofs of a pinned view of
      // the engine, for written keys and an absent one.
      const uint64_t tip = store->Height();
      std::vector<std::string> keys{"x/absent"};
      if (!w.empty()) {
        keys.push_back(w.begin()->first);
        keys.push_back(std::prev(w.end())->first);
      }
      for (const std::string& key : keys) {
        auto via_store = ledger::ProveState(*store, tip, key);
        auto via_engine = store->ProveState(tip, key);
        REQUIRE(via_store.ok());
        REQUIRE(via_engine.ok());
        CHECK(via_store->root == root);
        CHECK(via_store->proof.siblings == via_engine->proof.siblings);
        CHECK(via_store->proof.leaf == via_engine->proof.leaf);
        CHECK(via_store->value == via_engine->value);
        // The height before reads older nodes at the same positions: never the memory's.
        if (tip == 0) continue;
        auto before_store = ledger::ProveState(*store, tip - 1, key);
        auto before_engine = store->ProveState(tip - 1, key);
        REQUIRE(before_store.ok());
        REQUIRE(before_engine.ok());
        CHECK(before_store->proof.siblings == before_engine->proof.siblings);
        CHECK(before_store->proof.leaf == before_engine->proof.leaf);
        CHECK(before_store->value == before_engine->value);
      }
    };
    block(1, 0);
    for (int h = 1; h <= 12; ++h) block(400, 30);
    block(0, 0);   // an empty block copies the root
    block(0, 50);  // only rewrites
    REQUIRE(store->PruneStateTree(store->Height() - 2).ok());
    for (int h = 0; h < 4; ++h) block(300, 20);
    // A store reopened starts with nothing in memory and reads the tree from the engine.
    if (store.dir) {
      store.store.reset();
      auto reopened = OpenRocksStore(store.dir->db());
      REQUIRE(reopened.ok());
      store.store = std::move(reopened).value();
      for (int h = 0; h < 3; ++h) block(300, 20);
    }
  }
}

// State proofs served by the store: at every committed height, for records written, rewritten
// and never written, on both stores; pruning keeps the newer heights provable.
#include <catch2/catch.hpp>
#include <random>

#include "crypto/smt.h"
#include "tests/support/txgen.h"
#include "tests/unit/storage/chain_util.h"
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
  {
    auto s = OpenRocksStore(dir.db());
    REQUIRE(s.ok());
    REQUIRE(CommitGenesis(**s, gen.genesis()).ok());
    parent = (*(*s)->GetBlock(0))->block_id;
    for (uint64_t h = 1; h <= 5; ++h) {
      auto r = ExecuteAndCommit(**s, exec, gen.genesis(), parent, gen.NextBlock(h), &parent);
      REQUIRE(r.ok());
      gen.Observe(*r);
    }
    root = (*s)->StateRoot();
  }
  auto s = OpenRocksStore(dir.db());
  REQUIRE(s.ok());
  auto p = (*s)->ProveState(5, "g");
  REQUIRE(p.ok());
  CHECK(p->root == root);
  auto r = ExecuteAndCommit(**s, exec, gen.genesis(), parent, gen.NextBlock(6), &parent);
  REQUIRE(r.ok());
}

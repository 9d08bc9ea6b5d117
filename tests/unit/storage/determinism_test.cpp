// The same transactions give the same results and roots on both stores, and a seeded random
// sequence of valid and invalid transactions executed twice gives the same roots.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <random>

#include "tests/support/txgen.h"
#include "tests/unit/storage/chain_util.h"
#include "tests/unit/storage/store_test_util.h"

using namespace laurel;
using namespace laurel::storage;
using namespace laurel::storage::test;
using laurel::test::Describe;
using laurel::test::TxGen;
using laurel::test::TxGenOptions;

namespace {

uint64_t SeedFromEnv() {
  if (const char* s = std::getenv("LAUREL_SEED")) return std::strtoull(s, nullptr, 0);
  return std::random_device{}() | (static_cast<uint64_t>(std::random_device{}()) << 32);
}

bool SameResult(const ledger::BlockResult& a, const ledger::BlockResult& b) {
  if (a.writes != b.writes || a.state_root != b.state_root || a.tx_root != b.tx_root ||
      a.outcomes.size() != b.outcomes.size()) {
    return false;
  }
  for (size_t i = 0; i < a.outcomes.size(); ++i) {
    const auto& x = a.outcomes[i];
    const auto& y = b.outcomes[i];
    if (x.tx_id != y.tx_id || x.code != y.code || x.action != y.action || x.signer != y.signer ||
        x.credential_ids != y.credential_ids || x.issuer_ids != y.issuer_ids) {
      return false;
    }
  }
  return true;
}

constexpr uint64_t kBlocks = 150;
constexpr size_t kTxsPerBlock = 20;

// Runs kBlocks generated blocks on a memory store; returns the state root at each height.
std::vector<Hash32> RunOnMemory(uint64_t seed, laurel::test::TxGenStats* stats = nullptr,
                                std::vector<std::string>* mismatches = nullptr) {
  TxGen gen(seed, TxGenOptions{.txs_per_block = kTxsPerBlock});
  ledger::Executor exec(gen.chain_id());
  auto store = NewMemoryStore();
  REQUIRE(CommitGenesis(*store, gen.genesis()).ok());
  std::vector<Hash32> roots = {store->StateRoot()};
  auto g = store->GetBlock(0);
  REQUIRE(g.ok());
  Hash32 parent = (*g)->block_id;
  for (uint64_t h = 1; h <= kBlocks; ++h) {
    auto r = ExecuteAndCommit(*store, exec, gen.genesis(), parent, gen.NextBlock(h), &parent);
    REQUIRE(r.ok());
    gen.Observe(*r);
    roots.push_back(store->StateRoot());
  }
  if (stats) *stats = gen.stats();
  if (mismatches) *mismatches = gen.Mismatches();
  return roots;
}

}  // namespace

TEST_CASE("the memory and RocksDB stores give identical results and roots block by block",
          "[determinism]") {
  const uint64_t seed = SeedFromEnv();
  WARN("seed " << seed << " (replay with LAUREL_SEED=" << seed << ")");
  TxGen gen(seed, TxGenOptions{.txs_per_block = kTxsPerBlock});
  ledger::Executor exec(gen.chain_id());
  AnyStore mem("memory");
  AnyStore rocks("rocksdb");
  REQUIRE(CommitGenesis(*mem, gen.genesis()).ok());
  REQUIRE(CommitGenesis(*rocks, gen.genesis()).ok());
  REQUIRE(mem->StateRoot() == rocks->StateRoot());
  Hash32 parent_mem = (*mem->GetBlock(0))->block_id;
  Hash32 parent_rocks = parent_mem;
  for (uint64_t h = 1; h <= kBlocks; ++h) {
    const auto txs = gen.NextBlock(h);
    auto a = ExecuteAndCommit(*mem, exec, gen.genesis(), parent_mem, txs, &parent_mem);
    auto b = ExecuteAndCommit(*rocks, exec, gen.genesis(), parent_rocks, txs, &parent_rocks);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    INFO("seed " << seed << " height " << h);
    REQUIRE(SameResult(*a, *b));
    REQUIRE(mem->StateRoot() == rocks->StateRoot());
    REQUIRE(parent_mem == parent_rocks);
    gen.Observe(*a);
  }
  const auto& st = gen.stats();
  WARN("seed " << seed << ": " << Describe(st));
  for (const auto& m : gen.Mismatches()) WARN("generator expectation not met: " << m);

  // Every transaction's location and every history page agree between the stores.
  for (uint64_t h = 1; h <= kBlocks; h += 7) {
    auto block = mem->GetBlock(h);
    REQUIRE(block.ok());
    for (const auto& tx : (*block)->txs) {
      const Hash32 id = types::TxId(tx);
      auto x = mem->GetTxLocation(id);
      auto y = rocks->GetTxLocation(id);
      REQUIRE(x.has_value());
      REQUIRE(y.has_value());
      CHECK(x->height == y->height);
      CHECK(x->position == y->position);
      CHECK(x->code == y->code);
      CHECK(mem->HasTx(id) == rocks->HasTx(id));
    }
  }
  for (const std::string id : {"root", "rm", "u1", "u2"}) {
    std::string tm, tr;
    do {
      auto pm = mem->IssuerHistory(id, tm, 17);
      auto pr = rocks->IssuerHistory(id, tr, 17);
      REQUIRE(pm.ok());
      REQUIRE(pr.ok());
      REQUIRE(pm->entries.size() == pr->entries.size());
      for (size_t i = 0; i < pm->entries.size(); ++i) {
        CHECK(pm->entries[i].tx_id == pr->entries[i].tx_id);
        CHECK(pm->entries[i].code == pr->entries[i].code);
      }
      tm = pm->next_page_token;
      tr = pr->next_page_token;
      CHECK(tm == tr);
    } while (!tm.empty());
  }
}

TEST_CASE("a seeded random sequence of valid and invalid transactions gives the same roots twice",
          "[determinism]") {
  const uint64_t seed = SeedFromEnv();
  WARN("seed " << seed << " (replay with LAUREL_SEED=" << seed << ")");
  laurel::test::TxGenStats stats;
  std::vector<std::string> mismatches;
  const auto first = RunOnMemory(seed, &stats, &mismatches);
  const auto second = RunOnMemory(seed);
  REQUIRE(first.size() == kBlocks + 1);
  CHECK(first == second);
  WARN("seed " << seed << ": " << Describe(stats));
  for (const auto& m : mismatches) WARN("generator expectation not met: " << m);

  // Thousands of transactions, with a meaningful share of both outcomes and of the actions.
  CHECK(stats.txs == kBlocks * kTxsPerBlock);
  CHECK(stats.ok >= stats.txs / 3);
  CHECK(stats.rejected >= stats.txs / 6);
  CHECK(stats.by_code.size() >= 15);
  // Every transaction got the code the generator intended (so the invalid ones are invalid
  // for the intended reason, not by accident).
  CHECK(stats.unexpected == 0);
  for (const char* action : {"register_issuer", "rotate_issuer_key", "set_issuer_status",
                             "issue_credential", "set_credential_status", "renew_credential"}) {
    INFO("action " << action);
    CHECK(stats.ok_by_action[action] > 0);
  }
  // A different seed gives a different chain (the roots depend on the transactions).
  const auto other = RunOnMemory(seed + 1);
  CHECK(other.back() != first.back());
}

// The transaction log as the store keeps it (docs/spec/state.md §12): every committed
// transaction, in commit order across blocks, under the leaf the receipts use; the head record
// "l" in the state (and so under the state root); the complete subtrees in the txlog column
// family, written in the block's one commit batch, from which any root and proof is computed.
#include <catch2/catch.hpp>
#include <random>

#include "crypto/merkle.h"
#include "crypto/merkle_log.h"
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

struct StoreReader final : crypto::LogTreeReader {
  const Store& s;
  explicit StoreReader(const Store& st) : s(st) {}
  std::optional<Hash32> GetLogNode(uint8_t level, uint64_t index) const override {
    return s.GetTxLogNode(level, index);
  }
};

crypto::LogHead HeadOf(const Store& s) {
  auto rec = s.GetState(ledger::kTxLogKey);
  REQUIRE(rec.has_value());
  auto h = crypto::DecodeLogHead(*rec);
  REQUIRE(h.ok());
  return *h;
}

}  // namespace

TEST_CASE(
    "the store keeps the transaction log: every tx in commit order, head under the state "
    "root, proofs from stored subtrees",
    "[store][txlog]") {
  for (const char* kind : {"memory", "rocksdb"}) {
    INFO(kind);
    AnyStore store(kind);
    TxGen gen(11, TxGenOptions{.txs_per_block = 7});
    ledger::Executor exec(gen.chain_id());
    REQUIRE(CommitGenesis(*store, gen.genesis()).ok());
    CHECK(HeadOf(*store).size == 0);
    CHECK(*store->TxLogSize(0) == 0);
    Hash32 parent = (*store->GetBlock(0))->block_id;
    std::vector<Hash32> leaves;  // every transaction's leaf hash, in commit order
    std::vector<uint64_t> size_at{0};
    for (uint64_t h = 1; h <= 30; ++h) {
      // Some blocks are empty: the log (and its record) does not change.
      std::vector<types::Tx> txs = h % 5 == 0 ? std::vector<types::Tx>{} : gen.NextBlock(h);
      auto r = ExecuteAndCommit(*store, exec, gen.genesis(), parent, txs, &parent);
      REQUIRE(r.ok());
      gen.Observe(*r);
      for (const auto& o : r->outcomes) {
        leaves.push_back(crypto::MerkleLeafHash(ledger::TxRootLeaf(o.tx_id, o.code)));
      }
      CHECK(r->writes.count("l") == (txs.empty() ? 0u : 1u));
      size_at.push_back(leaves.size());
      const crypto::LogHead head = HeadOf(*store);
      REQUIRE(head.size == leaves.size());
      REQUIRE(head.root == crypto::MerkleRoot(leaves));
      REQUIRE(*store->TxLogSize(h) == leaves.size());
      // The head is a state record: provable under this height's state root.
      auto p = store->ProveState(h, "l");
      REQUIRE(p.ok());
      CHECK(p->value == crypto::EncodeLogHead(head));
      CHECK(p->root == store->StateRoot());
    }
    CHECK(store->TxLogSize(31).status().code() == StatusCode::kNotFound);
    StoreReader reader(*store);
    const std::span<const Hash32> all(leaves);
    for (uint64_t h = 1; h <= 30; ++h) {
      const uint64_t size = size_at[h];
      CHECK(*store->TxLogSize(h) == size);
      if (size == 0) continue;
      CHECK(*crypto::LogRoot(reader, size) == crypto::MerkleRoot(all.subspan(0, size)));
      for (uint64_t i = 0; i < size; i += 5) {
        CHECK(*crypto::LogInclusionProof(reader, i, size) ==
              crypto::MerkleInclusionProof(all.subspan(0, size), i));
      }
      for (uint64_t first = 1; first <= size; first += 4) {
        CHECK(*crypto::LogConsistencyProof(reader, first, size) ==
              crypto::MerkleConsistencyProof(all.subspan(0, size), first));
      }
    }
  }
}

TEST_CASE("the transaction log survives reopening a RocksDB store and grows on", "[store][txlog]") {
  TempDir dir;
  TxGen gen(5, TxGenOptions{.txs_per_block = 9});
  ledger::Executor exec(gen.chain_id());
  Hash32 parent{};
  crypto::LogHead before;
  before = HeadOf(*GeneratedRocksChain(dir, gen, exec, 4, &parent));
  auto s = OpenRocksStore(dir.db());
  REQUIRE(s.ok());
  StoreReader reader(**s);
  CHECK(*crypto::LogRoot(reader, before.size) == before.root);
  auto r = ExecuteAndCommit(**s, exec, gen.genesis(), parent, gen.NextBlock(5), &parent);
  REQUIRE(r.ok());
  const crypto::LogHead after = HeadOf(**s);
  CHECK(after.size == before.size + 9);
  auto c = crypto::LogConsistencyProof(reader, before.size, after.size);
  REQUIRE(c.ok());
  std::vector<Bytes> proof;
  for (const auto& h : *c) proof.emplace_back(h.begin(), h.end());
  CHECK(crypto::VerifyMerkleConsistency(before.size, after.size, proof, before.root, after.root));
}

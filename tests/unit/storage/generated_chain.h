// A RocksDB store holding a chain of generated transactions, for the tests that reopen it
// (state proofs, the transaction log).
#pragma once

#include <catch2/catch.hpp>
#include <memory>

#include "ledger/executor.h"
#include "tests/support/txgen.h"
#include "tests/unit/storage/chain_util.h"
#include "tests/unit/storage/store_test_util.h"

namespace laurel::storage::test {

// Opens the RocksDB store under `dir` and commits genesis and blocks 1..last of `gen`'s
// transactions (each observed by `gen`); `*tip_id` is then the last block's id.
inline std::unique_ptr<Store> GeneratedRocksChain(const TempDir& dir, laurel::test::TxGen& gen,
                                                  const ledger::Executor& exec, uint64_t last,
                                                  Hash32* tip_id) {
  auto s = OpenRocksStore(dir.db());
  REQUIRE(s.ok());
  REQUIRE(CommitGenesis(**s, gen.genesis()).ok());
  *tip_id = (*(*s)->GetBlock(0))->block_id;
  for (uint64_t h = 1; h <= last; ++h) {
    auto r = ExecuteAndCommit(**s, exec, gen.genesis(), *tip_id, gen.NextBlock(h), tip_id);
    REQUIRE(r.ok());
    gen.Observe(*r);
  }
  return std::move(s).value();
}

}  // namespace laurel::storage::test

// storage_crash_writer DB_PATH SEED [TXS_PER_BLOCK]
//
// Opens a RocksDB store and commits generated blocks forever (the crash test SIGKILLs it).
// Blocks are a function of (seed, height) and the results of earlier blocks, so after a
// restart the writer rebuilds its generator by replaying the stored blocks (checking that it
// would have generated the same bodies) and continues at the next height.
//
// Exit codes: 2 usage or open error, 3 stored blocks differ from the generator's, 4 commit
// error.
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "crypto/ed25519.h"
#include "storage/store.h"
#include "tests/support/txgen.h"
#include "tests/unit/storage/chain_util.h"

using namespace laurel;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DB_PATH SEED [TXS_PER_BLOCK]\n", argv[0]);
    return 2;
  }
  crypto::Init();
  const std::string path = argv[1];
  const uint64_t seed = std::strtoull(argv[2], nullptr, 0);
  test::TxGenOptions opt;
  if (argc > 3) opt.txs_per_block = std::strtoull(argv[3], nullptr, 0);

  auto opened = storage::OpenRocksStore(path);
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    return 2;
  }
  storage::Store& store = **opened;
  test::TxGen gen(seed, opt);
  ledger::Executor exec(gen.chain_id());
  if (store.Empty()) {
    const Status st = storage::test::CommitGenesis(store, gen.genesis());
    if (!st.ok()) {
      std::fprintf(stderr, "genesis: %s\n", st.ToString().c_str());
      return 4;
    }
  }
  const uint64_t tip = store.Height();
  Hash32 parent{};
  for (uint64_t h = 0; h <= tip; ++h) {
    auto block = store.GetBlock(h);
    if (!block.ok() || !block->has_value()) {
      std::fprintf(stderr, "block %llu missing below the tip\n",
                   static_cast<unsigned long long>(h));
      return 3;
    }
    parent = (*block)->block_id;
    if (h == 0) continue;
    const auto txs = gen.NextBlock(h, /*sign=*/false);
    bool same = txs.size() == (*block)->txs.size();
    for (size_t i = 0; same && i < txs.size(); ++i) same = txs[i].body == (*block)->txs[i].body;
    if (!same) {
      std::fprintf(stderr, "stored block %llu differs from the generated one\n",
                   static_cast<unsigned long long>(h));
      return 3;
    }
    gen.Observe((*block)->results);
  }
  std::printf("resuming at height %llu\n", static_cast<unsigned long long>(tip) + 1);
  std::fflush(stdout);
  // Like block sync: runs of up to 8 commits whose durability is deferred, then one sync.
  std::mt19937_64 rng(seed);
  uint64_t deferred_left = 0;
  for (;;) {
    const uint64_t h = store.Height() + 1;
    if (deferred_left == 0 && rng() % 2 == 0) deferred_left = 1 + rng() % 8;
    const auto durability = deferred_left > 0 ? storage::Store::Durability::kDeferred
                                              : storage::Store::Durability::kSynced;
    auto r = storage::test::ExecuteAndCommit(store, exec, gen.genesis(), parent, gen.NextBlock(h),
                                             &parent, durability);
    if (r.ok() && deferred_left > 0 && --deferred_left == 0) {
      if (const Status st = store.Sync(); !st.ok()) {
        std::fprintf(stderr, "sync %llu: %s\n", static_cast<unsigned long long>(h),
                     st.ToString().c_str());
        return 4;
      }
    }
    if (!r.ok()) {
      std::fprintf(stderr, "commit %llu: %s\n", static_cast<unsigned long long>(h),
                   r.status().ToString().c_str());
      return 4;
    }
    gen.Observe(*r);
  }
}

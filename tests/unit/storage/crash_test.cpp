// Crash consistency: storage_crash_writer commits generated blocks to a RocksDB store in a
// loop; this test SIGKILLs it at random moments and, after every kill, reopens the store and
// checks it against an independent re-execution of every stored block from genesis.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "tests/support/txgen.h"
#include "tests/unit/storage/chain_util.h"
#include "tests/unit/storage/store_test_util.h"
#include "types/tx.h"

extern char** environ;

using namespace laurel;
using namespace laurel::storage;
using namespace laurel::storage::test;

namespace {

constexpr int kKills = 36;
constexpr int kMinDelayMs = 5;
constexpr int kMaxDelayMs = 300;
constexpr const char* kTxsPerBlock = "10";

uint64_t SeedFromEnv() {
  if (const char* s = std::getenv("LAUREL_SEED")) return std::strtoull(s, nullptr, 0);
  return std::random_device{}() | (static_cast<uint64_t>(std::random_device{}()) << 32);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t SpawnWriter(const std::string& exe, const std::string& db, uint64_t seed,
                  const std::string& log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  const std::string seed_s = std::to_string(seed);
  std::vector<char*> argv = {const_cast<char*>(exe.c_str()), const_cast<char*>(db.c_str()),
                             const_cast<char*>(seed_s.c_str()), const_cast<char*>(kTxsPerBlock),
                             nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

// Signatures already verified in an earlier re-execution, by hash of the whole envelope (the
// tx id covers only the body). Re-verifying the whole chain after each kill would dominate
// the test's time; this is the executor's own mechanism for skipping known-good signatures.
struct VerifiedCache {
  std::unordered_set<std::string> seen;
  static std::string Key(const types::Tx& tx) {
    return ToString(crypto::Sha256Of(types::EncodeTx(tx)));
  }
  void Learn(const types::Tx& tx, ledger::TxCode code) {
    using ledger::TxCode;
    if (code != TxCode::kMalformed && code != TxCode::kMissingSignature &&
        code != TxCode::kBadSignature) {
      seen.insert(Key(tx));
    }
  }
};

}  // namespace

TEST_CASE("a store killed at random moments reopens consistent with a re-execution from genesis",
          "[crash]") {
  const uint64_t seed = SeedFromEnv();
  WARN("seed " << seed << " (replay with LAUREL_SEED=" << seed << ")");
  const std::string exe = std::string(LAUREL_BIN_DIR) + "/storage_crash_writer";
  REQUIRE(std::filesystem::exists(exe));
  TempDir dir;
  const std::string db = dir.db();
  const std::string log = (dir.path / "writer.log").string();

  laurel::test::TxGen gen(seed, laurel::test::TxGenOptions{});
  VerifiedCache cache;
  ledger::Executor exec(gen.chain_id(), [&cache](const types::Tx& tx, const Hash32&) {
    return cache.seen.count(VerifiedCache::Key(tx)) > 0;
  });
  std::mt19937_64 delays(seed);
  uint64_t last_height = 0;
  int runs_with_progress = 0;
  uint64_t txs_checked = 0;
  const auto started = std::chrono::steady_clock::now();

  for (int kill_no = 1; kill_no <= kKills; ++kill_no) {
    const int delay_ms = kMinDelayMs + static_cast<int>(delays() % (kMaxDelayMs - kMinDelayMs + 1));
    INFO("seed " << seed << " kill " << kill_no << " after " << delay_ms << " ms");
    const pid_t pid = SpawnWriter(exe, db, seed, log);
    REQUIRE(pid > 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    REQUIRE(kill(pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    INFO("writer log:\n" << ReadAll(log));
    // The writer never stops by itself: anything but our SIGKILL is a failure it reported.
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);

    auto opened = OpenRocksStore(db);
    INFO("open: " << opened.status().ToString());
    REQUIRE(opened.ok());
    Store& store = **opened;
    if (store.Empty()) continue;  // killed before genesis was committed
    const uint64_t height = store.Height();
    INFO("height " << height);
    REQUIRE(height >= last_height);  // synced commits never roll back
    if (height > last_height) ++runs_with_progress;
    last_height = height;

    // Every block up to the tip, and none above it.
    std::vector<BlockRecord> blocks;
    for (uint64_t h = 0; h <= height; ++h) {
      auto b = store.GetBlock(h);
      REQUIRE(b.ok());
      REQUIRE(b->has_value());
      blocks.push_back(std::move(**b));
    }
    auto above = store.GetBlock(height + 1);
    REQUIRE(above.ok());
    REQUIRE_FALSE(above->has_value());
    REQUIRE(blocks.back().state_root == store.StateRoot());

    // Re-execute everything from genesis on a fresh memory store.
    auto mem = NewMemoryStore();
    auto genesis = ledger::ExecuteGenesis(gen.genesis());
    REQUIRE(genesis.state_root == blocks[0].state_root);
    REQUIRE(mem->CommitBlock(blocks[0], genesis).ok());
    std::set<std::string> keys;
    for (const auto& [k, v] : genesis.writes) keys.insert(k);
    for (uint64_t h = 1; h <= height; ++h) {
      const BlockRecord& b = blocks[h];
      INFO("re-executing height " << h);
      REQUIRE(b.parent_id == blocks[h - 1].block_id);
      const ledger::BlockContext ctx{h, b.time_ms, mem->StateRoot()};
      const auto result = exec.ExecuteBlock(*mem, ctx, b.txs);
      REQUIRE(result.state_root == b.state_root);
      REQUIRE(result.tx_root == b.tx_root);
      REQUIRE(result.outcomes.size() == b.results.size());
      for (size_t i = 0; i < b.results.size(); ++i) {
        REQUIRE(result.outcomes[i].code == b.results[i]);
        cache.Learn(b.txs[i], b.results[i]);
      }
      for (const auto& [k, v] : result.writes) keys.insert(k);
      REQUIRE(mem->CommitBlock(b, result).ok());
      txs_checked += b.txs.size();
    }
    REQUIRE(mem->StateRoot() == store.StateRoot());
    // The whole state, key by key, and the tx index of the last block.
    size_t differing = 0;
    for (const auto& k : keys) differing += mem->GetState(k) != store.GetState(k);
    CHECK(differing == 0);
    // The derived indexes (same batch as the block): the counts, and the state as of a
    // height in the middle, equal those of the re-execution.
    const auto cs = store.ChainStats();
    const auto cm = mem->ChainStats();
    REQUIRE((cs.ok() && cm.ok()));
    CHECK(cs->transactions == cm->transactions);
    CHECK(cs->transactions_ok == cm->transactions_ok);
    CHECK(cs->issuers == cm->issuers);
    REQUIRE(cs->credentials.size() == cm->credentials.size());
    for (size_t i = 0; i < cs->credentials.size(); ++i) {
      CHECK(cs->credentials[i].count == cm->credentials[i].count);
    }
    const uint64_t mid = height / 2;
    auto at_s = store.StateAt(mid);
    auto at_m = mem->StateAt(mid);
    REQUIRE((at_s.ok() && at_m.ok()));
    size_t differing_then = 0;
    for (const auto& k : keys) differing_then += (*at_s)->GetState(k) != (*at_m)->GetState(k);
    CHECK(differing_then == 0);
    for (const auto& tx : blocks.back().txs) {
      const auto a = mem->GetTxLocation(types::TxId(tx));
      const auto b = store.GetTxLocation(types::TxId(tx));
      REQUIRE(a.has_value());
      REQUIRE(b.has_value());
      CHECK(a->height == b->height);
      CHECK(a->position == b->position);
      CHECK(a->code == b->code);
    }
  }
  const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
  WARN("seed " << seed << ": " << kKills << " kills, final height " << last_height << ", "
               << runs_with_progress << " runs committed new blocks, " << txs_checked
               << " tx executions re-checked, " << secs.count() << " s");
  // The writer must actually have been killed while writing, many times over (runs killed
  // early, while it opens the store and replays its generator, commit nothing).
  CHECK(last_height >= 50);
  CHECK(runs_with_progress >= 8);
}

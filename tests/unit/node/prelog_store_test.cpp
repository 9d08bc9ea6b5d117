// A store written by a release before the transaction log (docs/spec/state.md §12, "Chains
// from before the log") has no state record "l": the node refuses to start on it, and the
// message says what it is and what to do, instead of executing on roots no other node has.
#include <catch2/catch.hpp>

#include "consensus/types.h"
#include "ledger/executor.h"
#include "ledger/state.h"
#include "node/node.h"
#include "node/wire.h"
#include "storage/store.h"
#include "tests/support/txgen.h"
#include "tests/unit/storage/store_test_util.h"

namespace laurel::node {
namespace {

using storage::test::TempDir;

// The store a node of this release writes at genesis under `dir`/db, without the log head
// record when `with_log` is false (as a release before the log wrote it).
void WriteGenesisStore(const TempDir& dir, const ledger::Genesis& g, bool with_log) {
  auto s = storage::OpenRocksStore(dir.db());
  REQUIRE(s.ok());
  const auto block = consensus::GenesisBlock(0, g.chain_id);
  storage::BlockRecord rec;
  rec.height = 0;
  rec.block_id = block.id;
  rec.time_ms = g.genesis_time_ms;
  rec.header = EncodeStoredHeader(block, /*keep_payload=*/false);
  ledger::BlockResult r = ledger::ExecuteGenesis(g);
  if (!with_log) {
    const auto n =
        std::erase_if(r.writes, [](const auto& w) { return w.first == ledger::kTxLogKey; });
    REQUIRE(n == 1);
  }
  REQUIRE((*s)->CommitBlock(rec, r).ok());
  if (!with_log) REQUIRE_FALSE((*s)->GetState(ledger::kTxLogKey).has_value());
}

// A node opened (not started) on the store under `dir`, as laureld does at start.
Result<std::unique_ptr<Node>> OpenNode(const TempDir& dir, const ledger::Genesis& g) {
  NodeConfig cfg;
  cfg.data_dir = dir.path.string();
  return Node::Open(cfg, g, crypto::PrivateKey::Generate());
}

}  // namespace

TEST_CASE(
    "a store written before the transaction log is refused at start, naming why and what to do",
    "[node][txlog]") {
  laurel::test::TxGen gen(11);
  TempDir dir;
  WriteGenesisStore(dir, gen.genesis(), /*with_log=*/false);
  auto n = OpenNode(dir, gen.genesis());
  REQUIRE_FALSE(n.ok());
  const std::string data_dir = dir.path.string();
  const std::string m = n.status().message();
  INFO(m);
  CHECK(n.status().code() == StatusCode::kInvalidArgument);
  CHECK(m.find(data_dir) != std::string::npos);
  CHECK(m.find("before the transaction log") != std::string::npos);
  // What to do, in the message itself: a new chain, the old folder moved aside, where it is
  // written down.
  CHECK(m.find("start a new chain") != std::string::npos);
  CHECK(m.find("move " + data_dir + " aside") != std::string::npos);
  CHECK(m.find("docs/operator.md") != std::string::npos);
  // Refused before anything was written: the store still has no record "l".
  auto s = storage::OpenRocksStore(dir.db());
  REQUIRE(s.ok());
  CHECK_FALSE((*s)->GetState(ledger::kTxLogKey).has_value());
  CHECK((*s)->Height() == 0);
}

TEST_CASE("the same store with the log head record opens", "[node][txlog]") {
  laurel::test::TxGen gen(11);
  TempDir dir;
  WriteGenesisStore(dir, gen.genesis(), /*with_log=*/true);
  auto n = OpenNode(dir, gen.genesis());
  INFO((n.ok() ? std::string() : n.status().message()));
  CHECK(n.ok());
}

}  // namespace laurel::node

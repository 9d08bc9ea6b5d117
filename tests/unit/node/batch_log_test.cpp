// The quorum store on disk (node/batch_log.h): batches written before they are acknowledged
// survive a reopen of the RocksDB store, a corrupt record is dropped and never trusted, and a
// batch leaves the disk in the write of the block commit that executes it (or after which it
// expired), while the executed-batch mark it leaves survives a reopen.
#include "node/batch_log.h"

#include <catch2/catch.hpp>

#include "consensus/types.h"
#include "ledger/executor.h"
#include "node/wire.h"
#include "storage/store.h"
#include "tests/support/txgen.h"
#include "tests/unit/storage/store_test_util.h"

using namespace laurel;
using namespace laurel::node;

namespace {
Batch MakeBatch(uint32_t author, uint64_t id, uint64_t expires, uint64_t epoch = 0) {
  Batch b;
  b.epoch = epoch;
  b.author = author;
  b.batch_id = id;
  b.expires_at_height = expires;
  for (size_t i = 0; i < 3; ++i) {
    b.txs.push_back(Bytes(50 + i, static_cast<uint8_t>(author * 31 + id * 7 + i)));
  }
  return b;
}

// A RocksDB store under `dir` with genesis committed, and empty blocks committed on demand.
struct Chain {
  laurel::test::TxGen gen{5};
  std::unique_ptr<storage::Store> store;
  std::string chain_id;

  explicit Chain(const storage::test::TempDir& dir) { Open(dir); }
  void Open(const storage::test::TempDir& dir) {
    store.reset();
    auto s = storage::OpenRocksStore(dir.db());
    REQUIRE(s.ok());
    store = std::move(s).value();
    chain_id = gen.genesis().chain_id;
    if (!store->Empty()) return;
    const auto block = consensus::GenesisBlock(0, chain_id);
    storage::BlockRecord rec;
    rec.height = 0;
    rec.block_id = block.id;
    rec.time_ms = gen.genesis().genesis_time_ms;
    rec.header = EncodeStoredHeader(block, /*keep_payload=*/false);
    REQUIRE(store->CommitBlock(rec, ledger::ExecuteGenesis(gen.genesis())).ok());
  }
  // Commits an empty block at the next height, with what `log` adds for `executed`.
  void Commit(BatchLog& log, const std::vector<BatchInfo>& executed) {
    const uint64_t h = store->Height() + 1;
    storage::BlockRecord rec;
    rec.height = h;
    rec.block_id = Hash32{};
    rec.block_id[0] = static_cast<uint8_t>(h);
    rec.block_id[1] = 0xb1;
    rec.time_ms = gen.genesis().genesis_time_ms + h;
    log.AddToCommit(h, executed, &rec);
    const ledger::Executor executor(chain_id);
    const auto result =
        executor.ExecuteBlock(*store, ledger::BlockContext{h, rec.time_ms, store->StateRoot()}, {});
    REQUIRE(store->CommitBlock(rec, result).ok());
  }
  bool HasRecord(const std::string& name) const {
    auto r = store->GetConsensusRecord(name);
    REQUIRE(r.ok());
    return r->has_value();
  }
};
}  // namespace

TEST_CASE("batches written before acknowledging survive a reopen and are reloaded, digests checked",
          "[batch][batchlog]") {
  storage::test::TempDir dir;
  Chain c(dir);
  const Batch a = MakeBatch(1, 10, 50);
  const Batch b = MakeBatch(2, 11, 60);
  const BatchInfo ia = InfoOf(c.chain_id, a);
  const BatchInfo ib = InfoOf(c.chain_id, b);
  const Batch third = MakeBatch(3, 12, 70);
  const Hash32 d3 = BatchDigest(c.chain_id, third);
  {
    BatchLog log(*c.store, c.chain_id);
    REQUIRE(log.Put({{&a, ia.digest}, {&b, ib.digest}}).ok());  // one synced write
    REQUIRE(log.Put(a, ia.digest).ok());                        // held: not written again
    CHECK(log.held() == 2);
    // The two-step write (the node's, on another thread): nothing to write for a held batch;
    // another is held once Written says its record is on disk.
    CHECK(log.Records({{&a, ia.digest}}).empty());
    const auto records = log.Records({{&a, ia.digest}, {&third, d3}});
    REQUIRE(records.size() == 1);
    CHECK(records[0].first == BatchLog::BatchRecordName(d3));
    CHECK_FALSE(log.Holds(d3));
    REQUIRE(c.store->PutConsensusRecords(records).ok());
    log.Written({{d3, third.expires_at_height}});
    CHECK(log.Holds(d3));
  }
  c.Open(dir);  // as after kill -9: the records were written synced
  BatchLog log(*c.store, c.chain_id);
  auto loaded = log.Load(/*epoch=*/0, c.store->Height());
  REQUIRE(loaded.ok());
  CHECK(loaded->dropped == 0);
  REQUIRE(loaded->batches.size() == 3);
  for (const Batch& got : loaded->batches) CHECK((got == a || got == b || got == third));
  CHECK(log.Holds(ia.digest));
  CHECK(log.Holds(ib.digest));
  CHECK(log.Holds(d3));
}

TEST_CASE("a corrupt batch record is dropped at load and deleted, never trusted",
          "[batch][batchlog]") {
  storage::test::TempDir dir;
  Chain c(dir);
  const Batch good = MakeBatch(1, 1, 50);
  const Batch other = MakeBatch(1, 2, 50);
  const Hash32 dg = BatchDigest(c.chain_id, good);
  const Hash32 d_other = BatchDigest(c.chain_id, other);
  {
    BatchLog log(*c.store, c.chain_id);
    REQUIRE(log.Put(good, dg).ok());
  }
  // A record whose bytes are another batch (its digest is not the name's), one whose bytes do
  // not decode, and one with a byte flipped inside a transaction.
  consensus::Writer w;
  EncodeBatch(w, other);
  const Bytes other_bytes = w.Take();
  Hash32 d1 = dg;
  d1[0] ^= 1;
  REQUIRE(c.store->PutConsensusRecord(BatchLog::BatchRecordName(d1), other_bytes).ok());
  Hash32 d2 = dg;
  d2[0] ^= 2;
  REQUIRE(c.store->PutConsensusRecord(BatchLog::BatchRecordName(d2), Bytes{1, 2, 3}).ok());
  Bytes flipped = other_bytes;
  flipped.back() ^= 0x40;
  REQUIRE(c.store->PutConsensusRecord(BatchLog::BatchRecordName(d_other), flipped).ok());
  c.Open(dir);
  BatchLog log(*c.store, c.chain_id);
  auto loaded = log.Load(0, c.store->Height());
  REQUIRE(loaded.ok());
  CHECK(loaded->dropped == 3);
  REQUIRE(loaded->batches.size() == 1);
  CHECK(loaded->batches[0] == good);
  CHECK_FALSE(log.Holds(d1));
  CHECK_FALSE(log.Holds(d_other));
  CHECK_FALSE(c.HasRecord(BatchLog::BatchRecordName(d1)));
  CHECK_FALSE(c.HasRecord(BatchLog::BatchRecordName(d2)));
  CHECK_FALSE(c.HasRecord(BatchLog::BatchRecordName(d_other)));
  CHECK(c.HasRecord(BatchLog::BatchRecordName(dg)));
}

TEST_CASE("a batch leaves the disk in the commit that executes it, and its mark survives reopen",
          "[batch][batchlog]") {
  storage::test::TempDir dir;
  Chain c(dir);
  const Batch executed = MakeBatch(1, 1, 40);
  const Batch expiring = MakeBatch(2, 2, 3);  // expires at height 3: gone after block 2
  const Batch pending = MakeBatch(3, 3, 40);
  const BatchInfo ie = InfoOf(c.chain_id, executed);
  const BatchInfo ix = InfoOf(c.chain_id, expiring);
  const BatchInfo ip = InfoOf(c.chain_id, pending);
  {
    BatchLog log(*c.store, c.chain_id);
    REQUIRE(log.Put(executed, ie.digest).ok());
    REQUIRE(log.Put(expiring, ix.digest).ok());
    REQUIRE(log.Put(pending, ip.digest).ok());
    c.Commit(log, {ie});  // height 1 executes `executed`
    CHECK_FALSE(c.HasRecord(BatchLog::BatchRecordName(ie.digest)));
    CHECK(c.HasRecord(BatchLog::ExecutedRecordName(ie.digest)));
    CHECK(c.HasRecord(BatchLog::BatchRecordName(ix.digest)));
    CHECK(log.ExecutedAt(ie.digest) == std::optional<uint64_t>(1));
    c.Commit(log, {});  // height 2: `expiring` can no longer execute
    CHECK_FALSE(c.HasRecord(BatchLog::BatchRecordName(ix.digest)));
    CHECK(c.HasRecord(BatchLog::BatchRecordName(ip.digest)));
    CHECK(log.held() == 1);
  }
  c.Open(dir);
  BatchLog log(*c.store, c.chain_id);
  auto loaded = log.Load(0, c.store->Height());
  REQUIRE(loaded.ok());
  REQUIRE(loaded->batches.size() == 1);
  CHECK(loaded->batches[0] == pending);
  // The executed batch is remembered after the restart: its proof is refused and a lagging
  // peer is served it from the block that executed it.
  CHECK(log.ExecutedAt(ie.digest) == std::optional<uint64_t>(1));
  CHECK(log.executed().at(ie.digest).expires_at_height == 40);
  CHECK_FALSE(log.ExecutedAt(ip.digest).has_value());
}

TEST_CASE("a reloaded batch that executed, expired or is of another epoch is dropped",
          "[batch][batchlog]") {
  storage::test::TempDir dir;
  Chain c(dir);
  const Batch executed = MakeBatch(1, 1, 40);
  const Batch old_epoch = MakeBatch(1, 2, 40, /*epoch=*/7);
  const Batch expired = MakeBatch(1, 3, 3);
  const BatchInfo ie = InfoOf(c.chain_id, executed);
  {
    BatchLog log(*c.store, c.chain_id);
    REQUIRE(log.Put(old_epoch, BatchDigest(c.chain_id, old_epoch)).ok());
    REQUIRE(log.Put(expired, BatchDigest(c.chain_id, expired)).ok());
    c.Commit(log, {ie});
    c.Commit(log, {});
  }
  // Written after its execution's commit (as a batch record whose delete was lost would be).
  REQUIRE(c.store
              ->PutConsensusRecord(BatchLog::BatchRecordName(ie.digest),
                                   [&] {
                                     consensus::Writer w;
                                     EncodeBatch(w, executed);
                                     return w.Take();
                                   }())
              .ok());
  c.Open(dir);
  BatchLog log(*c.store, c.chain_id);
  auto loaded = log.Load(0, c.store->Height());
  REQUIRE(loaded.ok());
  CHECK(loaded->batches.empty());
  CHECK(loaded->dropped == 2);  // the executed one and the other epoch's (expired: at commit)
  CHECK_FALSE(c.HasRecord(BatchLog::BatchRecordName(ie.digest)));
  CHECK(log.held() == 0);
}

TEST_CASE("an epoch change deletes every batch on disk", "[batch][batchlog]") {
  storage::test::TempDir dir;
  Chain c(dir);
  BatchLog log(*c.store, c.chain_id);
  const Batch a = MakeBatch(1, 1, 40);
  REQUIRE(log.Put(a, BatchDigest(c.chain_id, a)).ok());
  REQUIRE(log.DropBatches().ok());
  CHECK(log.held() == 0);
  CHECK_FALSE(c.HasRecord(BatchLog::BatchRecordName(BatchDigest(c.chain_id, a))));
}

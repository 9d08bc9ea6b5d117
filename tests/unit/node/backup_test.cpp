#include "node/backup.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "consensus/safety_rules.h"
#include "node/restore_fence.h"
#include "tests/support/txgen.h"
#include "tests/unit/storage/chain_util.h"

using namespace laurel;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "laurel-backup-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// A RocksDB store with genesis, `blocks` blocks of generated transactions and a safety record
// whose last voted round is `voted`.
std::unique_ptr<storage::Store> MakeChain(const fs::path& db, int blocks, uint64_t voted,
                                          test::TxGen& gen) {
  auto s = storage::OpenRocksStore(db.string());
  REQUIRE(s.ok());
  auto store = std::move(s).value();
  REQUIRE(storage::test::CommitGenesis(*store, gen.genesis()).ok());
  ledger::Executor exec(gen.chain_id());
  Hash32 parent{};
  for (int h = 1; h <= blocks; ++h) {
    auto r = storage::test::ExecuteAndCommit(*store, exec, gen.genesis(), parent,
                                             gen.NextBlock(static_cast<uint64_t>(h)), &parent);
    REQUIRE(r.ok());
    gen.Observe(*r);
  }
  consensus::SafetyRecord rec;
  rec.epoch = 0;
  rec.last_voted_round = voted;
  REQUIRE(
      store->PutConsensusRecord(node::kSafetyRecordName, consensus::EncodeSafetyRecord(rec)).ok());
  return store;
}

}  // namespace

TEST_CASE("a backup of a live store restores to the same tip, with the fence set", "[backup]") {
  TempDir t;
  test::TxGen gen(7);
  auto live = MakeChain(t.path / "live", 5, 17, gen);
  const uint64_t height = live->Height();
  const Hash32 root = live->StateRoot();

  auto m = node::CreateBackup(*live, (t.path / "b1").string());
  REQUIRE(m.ok());
  CHECK(m->height == height);
  CHECK(m->state_root == root);
  CHECK(m->has_safety_record);
  CHECK(m->last_voted_round == 17);
  CHECK(fs::exists(t.path / "b1" / "manifest.json"));
  auto read = node::ReadBackupManifest((t.path / "b1").string());
  REQUIRE(read.ok());
  CHECK(read->block_id == m->block_id);

  // The live store moves on; the backup does not.
  ledger::Executor exec(gen.chain_id());
  auto tip = live->GetBlock(height);
  REQUIRE(storage::test::ExecuteAndCommit(*live, exec, gen.genesis(), (*tip)->block_id,
                                          gen.NextBlock(height + 1))
              .ok());
  // The same name again is refused.
  CHECK(node::CreateBackup(*live, (t.path / "b1").string()).status().code() ==
        StatusCode::kAlreadyExists);

  auto r = node::RestoreBackup((t.path / "b1").string(), (t.path / "data").string(), 4000);
  REQUIRE(r.ok());
  auto restored = storage::OpenRocksStore((t.path / "data" / "db").string());
  REQUIRE(restored.ok());
  CHECK((*restored)->Height() == height);
  CHECK((*restored)->StateRoot() == root);
  auto fence = (*restored)->GetConsensusRecord(node::kRestoreFenceRecord);
  REQUIRE(fence.ok());
  REQUIRE(fence->has_value());
  auto f = node::DecodeRestoreFence(**fence);
  REQUIRE(f.ok());
  CHECK(f->backup_height == height);
  CHECK(f->backup_last_voted_round == 17);
  CHECK(f->wait_ms == 4000);
}

TEST_CASE(
    "restore refuses a non-empty data folder and a backup that does not match its "
    "manifest, and changes nothing",
    "[backup]") {
  TempDir t;
  test::TxGen gen(8);
  auto live = MakeChain(t.path / "live", 2, 3, gen);
  REQUIRE(node::CreateBackup(*live, (t.path / "b").string()).ok());

  fs::create_directories(t.path / "busy");
  { std::ofstream(t.path / "busy" / "keep.txt") << "x"; }
  auto busy = node::RestoreBackup((t.path / "b").string(), (t.path / "busy").string(), 1000);
  CHECK(busy.status().code() == StatusCode::kAlreadyExists);
  CHECK(fs::exists(t.path / "busy" / "keep.txt"));
  CHECK_FALSE(fs::exists(t.path / "busy" / "db"));

  // Not a backup.
  CHECK(node::RestoreBackup((t.path / "busy").string(), (t.path / "d0").string(), 1000)
            .status()
            .code() == StatusCode::kNotFound);
  CHECK_FALSE(fs::exists(t.path / "d0"));

  // A manifest that names another height.
  auto m = node::ReadBackupManifest((t.path / "b").string());
  REQUIRE(m.ok());
  node::BackupManifest wrong = *m;
  wrong.height += 1;
  { std::ofstream(t.path / "b" / "manifest.json") << node::ManifestToJson(wrong); }
  auto bad = node::RestoreBackup((t.path / "b").string(), (t.path / "d1").string(), 1000);
  CHECK(bad.status().code() == StatusCode::kCorruption);
  CHECK_FALSE(fs::exists(t.path / "d1"));

  { std::ofstream(t.path / "b" / "manifest.json") << "{\"format\":\"other\"}"; }
  CHECK(node::RestoreBackup((t.path / "b").string(), (t.path / "d2").string(), 1000)
            .status()
            .code() == StatusCode::kCorruption);

  // An empty existing folder is fine.
  { std::ofstream(t.path / "b" / "manifest.json") << node::ManifestToJson(*m); }
  fs::create_directories(t.path / "empty");
  CHECK(node::RestoreBackup((t.path / "b").string(), (t.path / "empty").string(), 1000).ok());
}

TEST_CASE("the memory store makes no checkpoint", "[backup]") {
  TempDir t;
  auto mem = storage::NewMemoryStore();
  CHECK(mem->CreateCheckpoint((t.path / "x").string()).code() == StatusCode::kUnavailable);
}

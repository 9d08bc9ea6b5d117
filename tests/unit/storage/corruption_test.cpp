// The RocksDB store checks on open that its tip record and its last block agree. These tests
// damage a closed database through RocksDB directly (layout: docs/storage.md).
#include <rocksdb/db.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "crypto/sha256.h"
#include "storage/keys.h"
#include "tests/unit/storage/store_test_util.h"

using namespace laurel;
using namespace laurel::storage;
using laurel::storage::test::TempDir;

namespace {

// Opens the raw database with every column family of the store.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (size_t i = 0; i < keys::kNumCfs; ++i) {
      cfs.emplace_back(keys::CfName(static_cast<keys::Cf>(i)), rocksdb::ColumnFamilyOptions());
    }
    rocksdb::DB* db = nullptr;
    const auto s = rocksdb::DB::Open(rocksdb::DBOptions(), path, cfs, &handles_, &db);
    LAUREL_CHECK(s.ok(), "cannot open the raw database");
    db_.reset(db);
  }
  ~RawDb() {
    for (auto* h : handles_) (void)db_->DestroyColumnFamilyHandle(h);
  }
  void Put(keys::Cf cf, const std::string& k, const std::string& v) {
    REQUIRE(db_->Put(rocksdb::WriteOptions(), handles_[static_cast<size_t>(cf)], k, v).ok());
  }
  void Delete(keys::Cf cf, const std::string& k) {
    REQUIRE(db_->Delete(rocksdb::WriteOptions(), handles_[static_cast<size_t>(cf)], k).ok());
  }
  std::string Get(keys::Cf cf, const std::string& k) {
    std::string v;
    REQUIRE(db_->Get(rocksdb::ReadOptions(), handles_[static_cast<size_t>(cf)], k, &v).ok());
    return v;
  }

 private:
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::DB> db_;
};

// A RocksDB store with blocks 0..3 (no transactions) in `dir`.
void WriteChain(const TempDir& dir) {
  auto s = OpenRocksStore(dir.db());
  REQUIRE(s.ok());
  for (uint64_t h = 0; h <= 3; ++h) {
    BlockRecord b;
    b.height = h;
    b.block_id = crypto::Sha256Of("block " + std::to_string(h));
    ledger::BlockResult r;
    r.state_root = crypto::Sha256Of("root " + std::to_string(h));
    r.writes["k" + std::to_string(h)] = "v";
    REQUIRE((*s)->CommitBlock(b, r).ok());
  }
}

}  // namespace

TEST_CASE("an undamaged RocksDB store reopens at its tip", "[store][rocksdb][corruption]") {
  TempDir dir;
  WriteChain(dir);
  auto s = OpenRocksStore(dir.db());
  REQUIRE(s.ok());
  CHECK((*s)->Height() == 3);
  CHECK((*s)->StateRoot() == crypto::Sha256Of("root 3"));
}

TEST_CASE("a tip that disagrees with the last block is reported as corruption",
          "[store][rocksdb][corruption]") {
  TempDir dir;
  WriteChain(dir);
  const std::string what =
      GENERATE(as<std::string>{}, "tip has a wrong state root", "tip names a missing block",
               "tip is garbage", "tip is missing", "last block is missing", "block above the tip",
               "genesis is missing");
  INFO(what);
  {
    RawDb raw(dir.db());
    if (what == "tip has a wrong state root") {
      // Height 3's tip with height 2's block record: ids and roots disagree.
      std::string tip = raw.Get(keys::Cf::kMeta, std::string(keys::kTipKey));
      const std::string root3 = ToString(crypto::Sha256Of("root 3"));
      const auto at = tip.find(root3);
      REQUIRE(at != std::string::npos);
      tip.replace(at, root3.size(), ToString(crypto::Sha256Of("root 2")));
      raw.Put(keys::Cf::kMeta, std::string(keys::kTipKey), tip);
    } else if (what == "tip names a missing block") {
      raw.Delete(keys::Cf::kBlocks, keys::BlockKey(3));
      raw.Delete(keys::Cf::kBlocks, keys::BlockKey(2));
    } else if (what == "tip is garbage") {
      raw.Put(keys::Cf::kMeta, std::string(keys::kTipKey), "\xff\xff\xff garbage");
    } else if (what == "tip is missing") {
      raw.Delete(keys::Cf::kMeta, std::string(keys::kTipKey));
    } else if (what == "last block is missing") {
      raw.Delete(keys::Cf::kBlocks, keys::BlockKey(3));
    } else if (what == "block above the tip") {
      raw.Put(keys::Cf::kBlocks, keys::BlockKey(4), raw.Get(keys::Cf::kBlocks, keys::BlockKey(3)));
    } else if (what == "genesis is missing") {
      raw.Delete(keys::Cf::kBlocks, keys::BlockKey(0));
    }
  }
  auto s = OpenRocksStore(dir.db());
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == StatusCode::kCorruption);
  CHECK_FALSE(s.status().message().empty());
}

TEST_CASE("a RocksDB store in a directory without permission gives an IoError",
          "[store][rocksdb]") {
  if (geteuid() == 0) {
    WARN("running as root: permissions are not enforced, test skipped");
    return;
  }
  TempDir dir;
  const auto locked = dir.path / "locked";
  REQUIRE(mkdir(locked.c_str(), 0500) == 0);
  auto s = OpenRocksStore((locked / "db").string());
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == StatusCode::kIoError);
}

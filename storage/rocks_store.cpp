// The RocksDB store: the shared store logic over one RocksDB database with a column family
// per concern (docs/storage.md).
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <filesystem>

#include "storage/kv.h"

namespace laurel::storage {
namespace {

using keys::Cf;

constexpr size_t kBlockCacheBytes = 64 << 20;
constexpr int kMaxOpenFiles = 512;
constexpr int kBloomBitsPerKey = 10;

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  const std::string msg = what + ": " + s.ToString();
  if (s.IsCorruption()) return Status::Corruption(msg);
  return Status::IoError(msg);
}

// A RocksDB snapshot: reads at one sequence number; released with this object.
class RocksSnapshotKv final : public Kv {
 public:
  RocksSnapshotKv(rocksdb::DB* db, std::array<rocksdb::ColumnFamilyHandle*, keys::kNumCfs> cf)
      : db_(db), cf_(cf), snapshot_(db->GetSnapshot()) {}
  ~RocksSnapshotKv() override { db_->ReleaseSnapshot(snapshot_); }
  RocksSnapshotKv(const RocksSnapshotKv&) = delete;
  RocksSnapshotKv& operator=(const RocksSnapshotKv&) = delete;

  Result<std::optional<std::string>> Get(Cf cf, std::string_view key) const override {
    rocksdb::PinnableSlice value;
    const auto s = db_->Get(Options(), cf_[static_cast<size_t>(cf)],
                            rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return FromRocks(s, std::string("read from ") + keys::CfName(cf));
    return std::optional<std::string>(value.ToString());
  }
  Status Scan(Cf cf, std::string_view start,
              const std::function<bool(std::string_view, std::string_view)>& visit) const override {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(Options(), cf_[static_cast<size_t>(cf)]));
    for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
      if (!visit(it->key().ToStringView(), it->value().ToStringView())) break;
    }
    return FromRocks(it->status(), std::string("scan of ") + keys::CfName(cf));
  }
  Status Write(const std::vector<KvOp>&, bool) override {
    return Status::InvalidArgument("write to a read-only snapshot");
  }
  Status Sync() override { return Status::InvalidArgument("sync of a read-only snapshot"); }
  std::unique_ptr<Kv> Snapshot() const override {
    return std::make_unique<RocksSnapshotKv>(db_, cf_);
  }

 private:
  rocksdb::ReadOptions Options() const {
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_;
    return ro;
  }
  rocksdb::DB* db_;
  std::array<rocksdb::ColumnFamilyHandle*, keys::kNumCfs> cf_;
  const rocksdb::Snapshot* snapshot_;
};

class RocksKv final : public Kv {
 public:
  RocksKv(rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> handles,
          std::array<rocksdb::ColumnFamilyHandle*, keys::kNumCfs> ours)
      : db_(db), handles_(std::move(handles)), cf_(ours) {}

  ~RocksKv() override {
    for (auto* h : handles_) (void)db_->DestroyColumnFamilyHandle(h);
    (void)db_->Close();
    delete db_;
  }

  RocksKv(const RocksKv&) = delete;
  RocksKv& operator=(const RocksKv&) = delete;

  Result<std::optional<std::string>> Get(Cf cf, std::string_view key) const override {
    rocksdb::PinnableSlice value;
    const auto s = db_->Get(rocksdb::ReadOptions(), Handle(cf), ToSlice(key), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return FromRocks(s, std::string("read from ") + keys::CfName(cf));
    return std::optional<std::string>(value.ToString());
  }

  Status Scan(Cf cf, std::string_view start,
              const std::function<bool(std::string_view, std::string_view)>& visit) const override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), Handle(cf)));
    for (it->Seek(ToSlice(start)); it->Valid(); it->Next()) {
      if (!visit(it->key().ToStringView(), it->value().ToStringView())) break;
    }
    return FromRocks(it->status(), std::string("scan of ") + keys::CfName(cf));
  }

  Status Write(const std::vector<KvOp>& batch, bool sync) override {
    // The batch's buffer sized once (a block's commit is about 1 MB): no regrowth and copying
    // of what is already in it. Per record: a tag, a family id and two lengths (varints).
    size_t bytes = 12;
    for (const auto& op : batch) bytes += 16 + op.key.size() + (op.erase ? 0 : op.Value().size());
    rocksdb::WriteBatch wb(bytes);
    // In (family, key) order: each family's memtable keeps the position of its last insert, so
    // an insert just after it walks a few skip-list links instead of searching from the top
    // (tx ids, credential ids and history keys arrive in random order otherwise). The sort is
    // stable, so two writes of one key keep their order and the batch means the same.
    std::vector<const KvOp*> order;
    order.reserve(batch.size());
    for (const auto& op : batch) order.push_back(&op);
    if (!std::is_sorted(order.begin(), order.end(), OpBefore)) {
      std::stable_sort(order.begin(), order.end(), OpBefore);
    }
    for (const KvOp* op : order) {
      LAUREL_RETURN_IF_ERROR(FromRocks(op->erase
                                           ? wb.Delete(Handle(op->cf), op->key)
                                           : wb.Put(Handle(op->cf), op->key, ToSlice(op->Value())),
                                       "building a write batch"));
    }
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    return FromRocks(db_->Write(wo, &wb), "write");
  }
  // The WAL holds every batch in order: syncing it makes all of them durable at once.
  Status Sync() override { return FromRocks(db_->SyncWAL(), "WAL sync"); }

  std::unique_ptr<Kv> Snapshot() const override {
    return std::make_unique<RocksSnapshotKv>(db_, cf_);
  }

  Status Checkpoint(const std::string& dir) const override {
    std::error_code ec;
    if (std::filesystem::exists(dir, ec)) {
      return Status::AlreadyExists("checkpoint folder " + dir + " already exists");
    }
    rocksdb::Checkpoint* raw = nullptr;
    LAUREL_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_, &raw), "checkpoint"));
    std::unique_ptr<rocksdb::Checkpoint> cp(raw);
    // log_size_for_flush = 0: the memtables are flushed first, so the copy holds no WAL to
    // replay and every family is at the same sequence number.
    const auto s = cp->CreateCheckpoint(dir, /*log_size_for_flush=*/0);
    if (!s.ok()) return Status::IoError("checkpoint to " + dir + ": " + s.ToString());
    return Status::Ok();
  }

 private:
  static rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }
  static bool OpBefore(const KvOp* a, const KvOp* b) {
    if (a->cf != b->cf) return a->cf < b->cf;
    return a->key < b->key;
  }
  rocksdb::ColumnFamilyHandle* Handle(Cf cf) const { return cf_[static_cast<size_t>(cf)]; }

  rocksdb::DB* db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // every open family, to destroy
  std::array<rocksdb::ColumnFamilyHandle*, keys::kNumCfs> cf_;
};

rocksdb::ColumnFamilyOptions CfOptions(Cf cf, const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  // Index and filter blocks live with their open table (max_open_files keeps them open), not
  // in the block cache: in the cache, a family's filter (about 1.2 MB per million keys) was
  // evicted by block reads and read back and checksummed on the next look-up, which made
  // every transaction's duplicate check cost a filter read once the chain held ~1 M txs.
  t.cache_index_and_filter_blocks = false;
  // Committed blocks are large values read in sequence (sync, audits, block queries): they
  // bypass the cache so that they cannot evict the state's hot blocks.
  if (cf == Cf::kBlocks) t.no_block_cache = true;
  // Point look-ups dominate these families (state reads and duplicate checks during
  // execution, tx status queries): a bloom filter saves a disk read for absent keys.
  if (cf == Cf::kState || cf == Cf::kTxIndex || cf == Cf::kBlockIndex) {
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
    t.whole_key_filtering = true;
    // The same for the memtable: most look-ups (a new transaction's id, a new credential's
    // id) miss, and without a filter each miss walks the memtable's skip list.
    o.memtable_prefix_bloom_size_ratio = 0.05;
    o.memtable_whole_key_filtering = true;
  }
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  // LZ4 at every level. ZSTD at the bottom level saved ~4 % of the files but took 13 % of the
  // process's CPU in compactions once the store held 1.5 M cards
  // (bench/results/commit-scale-2026-12-06.md). Files written with ZSTD stay readable.
  o.compression = rocksdb::kLZ4Compression;
  o.bottommost_compression = rocksdb::kLZ4Compression;
  if (cf == Cf::kTree) {
    // State tree nodes are mostly SHA-256 hashes, which do not compress: compressing them only
    // costs CPU in every flush and compaction. Keys are written in version order, so a larger
    // memtable means fewer, larger, non-overlapping files.
    o.compression = rocksdb::kNoCompression;
    o.bottommost_compression = rocksdb::kNoCompression;
    o.write_buffer_size = 64 << 20;
    // A block's nodes share their first 8 key bytes (its height) and come in key order
    // (KvStore::CommitBlock): each memtable insert starts where the previous one ended instead
    // of at the top of the skip list.
    o.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(8));
  }
  if (cf == Cf::kTxLog) {
    // Transaction log subtrees: hashes, which do not compress.
    o.compression = rocksdb::kNoCompression;
    o.bottommost_compression = rocksdb::kNoCompression;
  }
  return o;
}

}  // namespace

Result<std::unique_ptr<Store>> OpenRocksStore(const std::string& path) {
  rocksdb::DBOptions db_opts;
  db_opts.create_if_missing = true;
  db_opts.create_missing_column_families = true;
  db_opts.max_open_files = kMaxOpenFiles;
  db_opts.keep_log_file_num = 4;
  db_opts.max_total_wal_size = 64 << 20;
  db_opts.paranoid_checks = true;
  db_opts.IncreaseParallelism(2);

  auto cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (size_t i = 0; i < keys::kNumCfs; ++i) {
    const auto cf = static_cast<Cf>(i);
    descriptors.emplace_back(keys::CfName(cf), CfOptions(cf, cache));
  }
  // Families created by a later version are opened too (RocksDB requires all of them).
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_opts, path, &existing).ok()) {
    for (const auto& name : existing) {
      const bool ours = std::any_of(descriptors.begin(), descriptors.end(),
                                    [&](const auto& d) { return d.name == name; });
      if (!ours) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
  }

  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  const auto s = rocksdb::DB::Open(db_opts, path, descriptors, &handles, &db);
  if (!s.ok()) {
    const std::string msg = "cannot open the store at " + path + ": " + s.ToString();
    if (s.IsCorruption()) return Status::Corruption(msg);
    return Status::IoError(msg);
  }
  std::array<rocksdb::ColumnFamilyHandle*, keys::kNumCfs> ours{};
  std::copy_n(handles.begin(), keys::kNumCfs, ours.begin());
  return NewKvStore(std::make_unique<RocksKv>(db, std::move(handles), ours));
}

}  // namespace laurel::storage

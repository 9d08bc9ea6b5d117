// laurel-bench-ceiling: what this machine allows, measured in the same run as the benchmark
// (issue 6, DESIGN.md §11).
//
//   verify_1t   libsodium Ed25519 verifications/s on 1 thread
//   verify_2t   the same on 2 threads (or --threads N)
//   getverify   RocksDB point Get + one verify per op, on 2 threads, over a temp database of
//               --records small records written first
//   ceiling_tx  verify_2t / --validators (every validator verifies every tx once, all of them
//               on the same cores)
//
// Signatures are pre-generated and distinct (many keys, distinct messages the size of a tx
// body), so no cache of any kind helps. Prints a table; --json writes the figures.
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "crypto/ed25519.h"

namespace laurel::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMessageSize = 170;  // about an IssueCredential body plus the domain tag
constexpr size_t kKeys = 64;

struct SignedMessage {
  crypto::PublicKey pk;
  std::array<uint8_t, kMessageSize> msg;
  crypto::Signature sig;
};

std::vector<SignedMessage> MakeSignatures(size_t n) {
  std::vector<crypto::PrivateKey> keys;
  keys.reserve(kKeys);
  for (size_t i = 0; i < kKeys; ++i) keys.push_back(crypto::PrivateKey::Generate());
  std::vector<SignedMessage> out(n);
  for (size_t i = 0; i < n; ++i) {
    const auto& k = keys[i % kKeys];
    out[i].pk = k.public_key();
    randombytes_buf(out[i].msg.data(), out[i].msg.size());
    out[i].sig = k.Sign(out[i].msg);
  }
  return out;
}

bool VerifyOne(const SignedMessage& m) {
  return crypto_sign_verify_detached(m.sig.data(), m.msg.data(), m.msg.size(), m.pk.data()) == 0;
}

// Runs `op(thread, i)` on `threads` threads for about `seconds`; returns ops/s in total.
// `op` returns false on a failure, which stops the run with an error.
template <typename Op>
Result<double> RunRate(int threads, double seconds, Op op) {
  std::atomic<bool> stop{false};
  std::atomic<bool> failed{false};
  std::vector<uint64_t> counts(threads, 0);
  std::vector<std::thread> pool;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      uint64_t i = static_cast<uint64_t>(t) * 7919;
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        for (int k = 0; k < 64; ++k) {
          if (!op(t, i++)) {
            failed = true;
            stop = true;
            break;
          }
          ++n;
        }
      }
      counts[t] = n;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed) return Status::Internal("an operation failed during the run");
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  return static_cast<double>(total) / elapsed;
}

std::string RecordKey(uint64_t i) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "c/city-fed/MEM/%010llu", static_cast<unsigned long long>(i));
  return buf;
}

struct TempDb {
  std::unique_ptr<rocksdb::DB> db;
  std::filesystem::path dir;
  ~TempDb() {
    db.reset();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

// A temp RocksDB (options close to the node's defaults) holding `records` records of ~120 bytes.
Status FillDb(TempDb& t, uint64_t records, const std::string& parent) {
  std::string tmpl = parent + "/laurel-bench-ceiling.XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return Status::IoError("mkdtemp in " + parent + " failed");
  t.dir = tmpl;
  rocksdb::Options opts;
  opts.create_if_missing = true;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(opts, t.dir.string(), &raw);
  if (!s.ok()) return Status::IoError("rocksdb open: " + s.ToString());
  t.db.reset(raw);
  std::string value(120, '\0');
  for (uint64_t i = 0; i < records;) {
    rocksdb::WriteBatch batch;
    for (int k = 0; k < 1000 && i < records; ++k, ++i) {
      randombytes_buf(value.data(), value.size());
      batch.Put(RecordKey(i), value);
    }
    s = t.db->Write(rocksdb::WriteOptions(), &batch);
    if (!s.ok()) return Status::IoError("rocksdb write: " + s.ToString());
  }
  // Flush so that gets read SST files through the block cache, as a node's state does.
  s = t.db->Flush(rocksdb::FlushOptions());
  if (!s.ok()) return Status::IoError("rocksdb flush: " + s.ToString());
  return Status::Ok();
}

int Main(int argc, char** argv) {
  CLI::App app{"laurel-bench-ceiling: Ed25519 verify and RocksDB get+verify rates"};
  double seconds = 3.0;
  int threads = 2;
  int validators = 4;
  uint64_t records = 200000;
  size_t signatures = 50000;
  std::string json_path;
  std::string tmp_parent = std::filesystem::temp_directory_path().string();
  app.add_option("--seconds", seconds, "seconds per measurement")->check(CLI::Range(0.2, 120.0));
  app.add_option("--threads", threads, "threads of the multi-threaded runs")
      ->check(CLI::Range(1, 64));
  app.add_option("--validators", validators, "ceiling_tx = verify rate on --threads / this")
      ->check(CLI::Range(1, 64));
  app.add_option("--records", records, "records in the temp RocksDB");
  app.add_option("--signatures", signatures, "distinct pre-generated signatures")
      ->check(CLI::Range(1000, 10000000));
  app.add_option("--tmp", tmp_parent, "folder for the temp RocksDB");
  app.add_option("--json", json_path, "write the figures as JSON to this file");
  CLI11_PARSE(app, argc, argv);

  crypto::Init();
  std::printf("ceiling: generating %zu signatures...\n", signatures);
  std::fflush(stdout);
  const auto sigs = MakeSignatures(signatures);
  auto verify = [&](int, uint64_t i) { return VerifyOne(sigs[i % sigs.size()]); };

  auto v1 = RunRate(1, seconds, verify);
  if (!v1.ok()) {
    std::fprintf(stderr, "ceiling: verify_1t: %s\n", v1.status().ToString().c_str());
    return 1;
  }
  auto vn = RunRate(threads, seconds, verify);
  if (!vn.ok()) {
    std::fprintf(stderr, "ceiling: verify_%dt: %s\n", threads, vn.status().ToString().c_str());
    return 1;
  }

  std::printf("ceiling: writing %llu records to a temp RocksDB in %s...\n",
              static_cast<unsigned long long>(records), tmp_parent.c_str());
  std::fflush(stdout);
  TempDb tdb;
  const auto fill_start = Clock::now();
  if (auto st = FillDb(tdb, records, tmp_parent); !st.ok()) {
    std::fprintf(stderr, "ceiling: %s\n", st.ToString().c_str());
    return 1;
  }
  const double fill_s = std::chrono::duration<double>(Clock::now() - fill_start).count();
  // Keys are pre-built so that the op is one Get + one verify, nothing else.
  std::vector<std::string> keys;
  keys.reserve(65536);
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 65536; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    keys.push_back(RecordKey(records == 0 ? 0 : x % records));
  }
  std::vector<std::string> values(threads);
  auto getverify = [&](int t, uint64_t i) {
    auto s = tdb.db->Get(rocksdb::ReadOptions(), keys[i % keys.size()], &values[t]);
    if (!s.ok()) return false;
    return VerifyOne(sigs[i % sigs.size()]);
  };
  auto gv = RunRate(threads, seconds, getverify);
  if (!gv.ok()) {
    std::fprintf(stderr, "ceiling: getverify: %s\n", gv.status().ToString().c_str());
    return 1;
  }

  const double ceiling_tx = *vn / validators;
  std::printf("\n| figure | value |\n|---|---|\n");
  std::printf("| Ed25519 verify, 1 thread | %.0f /s |\n", *v1);
  std::printf("| Ed25519 verify, %d threads | %.0f /s |\n", threads, *vn);
  std::printf("| RocksDB get + verify, %d threads (%llu records) | %.0f /s |\n", threads,
              static_cast<unsigned long long>(records), *gv);
  std::printf("| RocksDB fill (batches of 1000) | %.0f records/s |\n",
              fill_s > 0 ? records / fill_s : 0.0);
  std::printf("| ceiling_tx = verify %dt / %d validators | %.0f tx/s |\n", threads, validators,
              ceiling_tx);

  if (!json_path.empty()) {
    nlohmann::json j = {
        {"seconds_per_run", seconds},
        {"threads", threads},
        {"validators", validators},
        {"signatures", signatures},
        {"records", records},
        {"verify_1t_per_s", *v1},
        {"verify_nt_per_s", *vn},
        {"getverify_nt_per_s", *gv},
        {"rocksdb_fill_records_per_s", fill_s > 0 ? records / fill_s : 0.0},
        {"ceiling_tx_per_s", ceiling_tx},
    };
    std::ofstream out(json_path);
    out << j.dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "ceiling: cannot write %s\n", json_path.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace laurel::bench

int main(int argc, char** argv) { return laurel::bench::Main(argc, argv); }

// A validator's commit path without consensus or RPC: a RocksDB store in a temporary folder,
// blocks of member-card issues (as `make bench` submits), each executed (signatures counted as
// checked at admission, as on a node) and committed with a synced batch. Prints the execution
// time (including the state tree update) and the commit time (the batch: block, state,
// indexes, history, tree nodes, transaction log) per transaction, and the store's size.
// With --issuers K the cards are issued round-robin by K unions under the federation (the
// federation of laurel's brief has ~14,000), instead of all by the federation itself: each
// issuer's status list and gate index bucket (docs/spec/state.md §13) then grow as they would.
//   laurel-bench-commit [--blocks B] [--txs T] [--warmup W] [--issuers K] [--dir DIR]
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "ledger/executor.h"
#include "storage/store.h"

using namespace laurel;

namespace {

constexpr const char* kChain = "bench-commit";

crypto::PrivateKey KeyOf(uint8_t tag) {
  return crypto::PrivateKey::FromSeed(Bytes(32, tag)).value();
}
Bytes PubOf(const crypto::PrivateKey& k) {
  return Bytes(k.public_key().begin(), k.public_key().end());
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

// CPU seconds of the whole process (every thread: RocksDB's flushes and compactions too).
double ProcessCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"laurel-bench-commit: a validator's execute and commit cost per transaction"};
  size_t blocks = 200, txs_per_block = 500, warmup = 20, issuers = 1;
  std::string dir;
  app.add_option("--blocks", blocks, "measured blocks");
  app.add_option("--txs", txs_per_block, "member-card issues per block");
  app.add_option("--warmup", warmup, "blocks committed before the measured ones");
  app.add_option("--issuers", issuers, "issuing unions (1: the federation issues every card)")
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  app.add_option("--dir", dir, "store folder (must not exist; default: a temporary one, removed)");
  CLI11_PARSE(app, argc, argv);
  crypto::Init();

  const bool temp = dir.empty();
  if (temp) {
    dir = (std::filesystem::temp_directory_path() /
           ("laurel-bench-commit." + std::to_string(::getpid())))
              .string();
  }
  if (std::filesystem::exists(dir)) {
    std::fprintf(stderr, "%s exists\n", dir.c_str());
    return 2;
  }
  const auto admin = KeyOf(1), fed = KeyOf(10);
  ledger::Genesis g;
  g.chain_id = kChain;
  g.genesis_time_ms = 1'700'000'000'000;
  g.validators = {types::Validator{PubOf(KeyOf(100)), "v0", "127.0.0.1:9000"}};
  g.admin_keys = {PubOf(admin)};
  g.threshold = 1;
  g.issuers = {types::RegisterIssuer{
      "city-fed", "City Federation", "", PubOf(fed), {{types::CredentialType::kMember, {}}}, true}};
  // Unions under the federation; one key signs for all of them (signing is not measured).
  std::vector<std::string> issuer_ids;
  if (issuers == 1) {
    issuer_ids.push_back("city-fed");
  } else {
    for (size_t i = 0; i < issuers; ++i) {
      issuer_ids.push_back("union-" + std::to_string(i));
      g.issuers.push_back(types::RegisterIssuer{issuer_ids.back(), "Union " + std::to_string(i),
                                                "city-fed", PubOf(fed),
                                                {{types::CredentialType::kMember, {}}}, false});
    }
  }

  if (const Status st = ledger::ValidateGenesis(g); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 2;
  }
  double exec_us = 0, commit_us = 0, cpu_from = 0, cpu_to = 0;
  uint64_t measured_txs = 0, not_ok = 0;
  {
    auto opened = storage::OpenRocksStore(dir);
    if (!opened.ok()) {
      std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
      return 2;
    }
    storage::Store& store = **opened;
    const ledger::Executor exec(kChain, [](const types::Tx&, const Hash32&) { return true; });
    storage::BlockRecord genesis;
    genesis.block_id = crypto::Sha256Of("genesis");
    genesis.time_ms = g.genesis_time_ms;
    if (const Status st = store.CommitBlock(genesis, ledger::ExecuteGenesis(g)); !st.ok()) {
      std::fprintf(stderr, "genesis: %s\n", st.ToString().c_str());
      return 2;
    }
    Hash32 parent = genesis.block_id;
    uint64_t serial = 0;
    for (size_t b = 0; b < warmup + blocks; ++b) {
      if (b == warmup) cpu_from = ProcessCpuSeconds();
      const uint64_t height = store.Height() + 1;
      std::vector<types::Tx> txs;
      txs.reserve(txs_per_block);
      for (size_t i = 0; i < txs_per_block; ++i) {
        types::TxBody body;
        body.chain_id = kChain;
        body.nonce = Bytes(16, 0);
        ++serial;
        for (int k = 0; k < 8; ++k) body.nonce[k] = static_cast<uint8_t>(serial >> (8 * k));
        body.expires_at_height = 1'000'000;
        const std::string& issuer = issuer_ids[serial % issuer_ids.size()];
        body.action = types::IssueCredential{issuer + "/M/2026/" + std::to_string(serial),
                                             issuer,
                                             types::CredentialType::kMember,
                                             types::Level::kUnspecified,
                                             Bytes(32, 7),
                                             1'700'000'000,
                                             2'000'000'000};
        types::Tx tx = types::MakeTx(body);
        types::SignTx(tx, fed);
        txs.push_back(std::move(tx));
      }
      const ledger::BlockContext ctx{height, g.genesis_time_ms + height * 1000, store.StateRoot()};
      const auto t0 = std::chrono::steady_clock::now();
      const ledger::BlockResult result = exec.ExecuteBlock(store, ctx, txs);
      const auto t1 = std::chrono::steady_clock::now();
      storage::BlockRecord rec;
      rec.height = height;
      rec.parent_id = parent;
      rec.time_ms = ctx.time_ms;
      rec.block_id = crypto::Sha256Of("block " + std::to_string(height));
      rec.header = Bytes(rec.block_id.begin(), rec.block_id.end());
      rec.txs = std::move(txs);
      if (const Status st = store.CommitBlock(rec, result); !st.ok()) {
        std::fprintf(stderr, "commit: %s\n", st.ToString().c_str());
        return 3;
      }
      const auto t2 = std::chrono::steady_clock::now();
      parent = rec.block_id;
      for (const auto& o : result.outcomes) not_ok += o.code != ledger::TxCode::kOk;
      if (b < warmup) continue;
      exec_us += std::chrono::duration<double, std::micro>(t1 - t0).count();
      commit_us += std::chrono::duration<double, std::micro>(t2 - t1).count();
      measured_txs += txs_per_block;
    }
    cpu_to = ProcessCpuSeconds();
  }
  const uint64_t bytes = DirBytes(dir);
  const uint64_t all_txs = (warmup + blocks) * txs_per_block;
  std::printf("blocks %zu (+%zu warm-up) of %zu issues by %zu issuer(s), %llu not OK\n", blocks,
              warmup, txs_per_block, issuers, static_cast<unsigned long long>(not_ok));
  std::printf("execute (incl. state tree) %.2f us/tx, commit %.2f us/tx, total %.2f us/tx\n",
              exec_us / static_cast<double>(measured_txs),
              commit_us / static_cast<double>(measured_txs),
              (exec_us + commit_us) / static_cast<double>(measured_txs));
  std::printf("process CPU (every thread, background flush and compaction included) %.2f us/tx\n",
              (cpu_to - cpu_from) * 1e6 / static_cast<double>(measured_txs));
  std::printf("store %.1f MB, %.0f bytes/tx (WAL and files, after close)\n", bytes / 1e6,
              static_cast<double>(bytes) / static_cast<double>(all_txs));
  if (temp) std::filesystem::remove_all(dir);
  return not_ok == 0 ? 0 : 4;
}

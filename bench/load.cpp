// laurel-bench-load: committed throughput and commit latency of a running testnet (issue 6).
//
// 1. Pre-signs --txs IssueCredential transactions for an issuer (default city-fed, the testnet's
//    issuer) with distinct credential ids; signing is not part of the measurement.
// 2. Submits them as binary protobuf (POST /v1/txs, application/x-protobuf) over --connections
//    keep-alive connections spread round-robin over the --rpc URLs, for --duration seconds:
//      open    at --rate tx/s in total (each connection keeps its share of the schedule);
//      closed  as fast as the nodes answer, holding at most --window submitted-but-uncommitted
//              transactions (committed ones are counted from the chain).
//    A 429 (mempool full) is retried after a short pause.
// 3. --samplers connections submit transactions of the same pool with ?wait=commit, one at a
//    time: their client-side submit -> committed times give p50/p90/p99.
// 4. A poller follows the chain on the first URL (GET /v1/status, then each new block as
//    protobuf) and counts the committed transactions and their results. committed tx/s is the
//    count in blocks first seen between --warmup and the end of the submission, over that time.
// 5. --fault-pid: the process is paused (SIGSTOP) at --fault-at seconds for --fault-for seconds
//    (or killed with SIGKILL under --fault-kill, and then not resumed). The figures are then
//    also given by phase: before the fault, its first 5 s, the rest of it, the first 5 s after
//    it, and the rest (latency by submission time, committed tx/s by the time each block was
//    seen, and the longest gap between blocks). The URLs should not name the faulty node.
// Prints the figures; --json writes them.
#include <signal.h>
#include <sodium.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "cli/http_client.h"
#include "common/status.h"
#include "crypto/ed25519.h"
#include "crypto/keyfile.h"
#include "laurel/v1/api.pb.h"
#include "types/tx.h"

namespace laurel::bench {
using cli::HttpConn;
using cli::ParseUrl;
using cli::Url;

namespace {

constexpr std::string_view kProtobuf = "application/x-protobuf";

struct Options : TargetOptions {
  std::string mode = "closed";
  double rate = 1000;
  size_t window = 20000;
  int connections = 8;
  int samplers = 4;
  int sample_interval_ms = 50;
  double duration = 20;
  double warmup = 5;
  double drain = 15;
  size_t txs = 0;
  int sign_threads = 2;
  std::string json_path;
  int fault_pid = 0;
  double fault_at = 10;
  double fault_for = 15;
  bool fault_kill = false;
};

// A stretch of the run, for the fault figures.
struct Phase {
  std::string name;
  double from_s;
  double to_s;
};

// Pre-signed transactions: the binary Tx bytes, ready to post.
Result<std::vector<std::string>> PreSign(const Options& o, const crypto::PrivateKey& key) {
  std::vector<std::string> out(o.txs);
  const uint64_t now = static_cast<uint64_t>(std::time(nullptr));
  std::vector<std::thread> pool;
  for (int t = 0; t < o.sign_threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t i = t; i < o.txs; i += o.sign_threads) {
        types::TxBody body;
        body.chain_id = o.chain_id;
        body.nonce.resize(16);
        randombytes_buf(body.nonce.data(), body.nonce.size());
        body.expires_at_height = 1'000'000;  // within the admission bound (node::kMaxExpiryDistance)
        types::IssueCredential ic;
        ic.credential_id = o.issuer + "/BENCH/" + o.tag + "/" + std::to_string(i);
        ic.issuer_id = o.issuer;
        ic.type = types::CredentialType::kMember;
        ic.card_digest.resize(32);
        randombytes_buf(ic.card_digest.data(), ic.card_digest.size());
        ic.valid_from = now;
        ic.valid_until = now + 3ull * 365 * 24 * 3600;
        body.action = std::move(ic);
        types::Tx tx = types::MakeTx(body);
        types::SignTx(tx, key);
        const Bytes wire = types::EncodeTx(tx);
        out[i].assign(wire.begin(), wire.end());
      }
    });
  }
  for (auto& th : pool) th.join();
  return out;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t idx = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[idx];
}

struct BlockSeen {
  double at_s;  // since the start of the submission
  uint64_t height;
  uint32_t txs;
};

class Run {
 public:
  Run(Options o, std::vector<Url> urls, std::vector<std::string> txs)
      : o_(std::move(o)), urls_(std::move(urls)), txs_(std::move(txs)) {}

  int Go();

 private:
  // The next unused pre-signed tx, or -1 when the pool is exhausted.
  int64_t Take() {
    const uint64_t i = next_.fetch_add(1);
    if (i >= txs_.size()) {
      exhausted_ = true;
      return -1;
    }
    return static_cast<int64_t>(i);
  }
  void NoteError(const std::string& what) {
    errors_.fetch_add(1);
    std::lock_guard<std::mutex> l(mu_);
    if (first_error_.empty()) first_error_ = what;
  }
  void Sender(int k);
  void Sampler(int k);
  void Poller();
  Result<uint64_t> Height(HttpConn& c);
  // Pauses (or kills) --fault-pid on schedule; records when it did.
  void Faulter();
  nlohmann::json PhaseFigures(const std::vector<Phase>& phases, double submit_end);

  Options o_;
  std::vector<Url> urls_;
  std::vector<std::string> txs_;
  Clock::time_point start_;
  std::atomic<uint64_t> next_{0};
  std::atomic<bool> stop_send_{false};
  std::atomic<bool> stop_poll_{false};
  std::atomic<bool> exhausted_{false};
  std::atomic<uint64_t> accepted_{0};  // 202/200 answers from senders and samplers
  std::atomic<uint64_t> full_{0};      // 429 answers
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> committed_{0};
  std::atomic<uint64_t> not_ok_{0};  // committed with a result other than OK
  std::map<std::string, uint64_t> not_ok_by_code_;  // under mu_
  std::vector<std::string> not_ok_heights_;         // under mu_: the first blocks with any
  std::atomic<bool> poll_failed_{false};
  std::mutex mu_;
  std::string first_error_;
  std::vector<std::pair<double, double>> samples_;  // (submitted at s, latency ms)
  std::vector<BlockSeen> blocks_;
  std::vector<HttpConn*> sampler_conns_;
  double fault_began_s_ = -1;  // under mu_
  double fault_ended_s_ = -1;  // under mu_
};

void Run::Faulter() {
  auto sleep_until_s = [this](double s) {
    while (!stop_send_ && SecondsSince(start_) < s) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return !stop_send_;
  };
  if (!sleep_until_s(o_.fault_at)) return;
  if (kill(o_.fault_pid, o_.fault_kill ? SIGKILL : SIGSTOP) != 0) {
    NoteError("fault: cannot signal pid " + std::to_string(o_.fault_pid));
    return;
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    fault_began_s_ = SecondsSince(start_);
  }
  std::printf("load: t=%.1fs validator pid %d %s\n", SecondsSince(start_), o_.fault_pid,
              o_.fault_kill ? "killed" : "paused");
  std::fflush(stdout);
  const double end = o_.fault_at + o_.fault_for;
  while (SecondsSince(start_) < end) {
    // Resumed even when the run stops early: a paused validator is never left behind.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (o_.fault_kill) return;
  kill(o_.fault_pid, SIGCONT);
  std::lock_guard<std::mutex> l(mu_);
  fault_ended_s_ = SecondsSince(start_);
  std::printf("load: t=%.1fs validator pid %d resumed\n", fault_ended_s_, o_.fault_pid);
  std::fflush(stdout);
}

nlohmann::json Run::PhaseFigures(const std::vector<Phase>& phases, double submit_end) {
  nlohmann::json out = nlohmann::json::array();
  std::printf("\n| phase | seconds | committed tx/s | commit latency p50 / p99 | samples | "
              "longest gap between blocks |\n|---|---|---|---|---|---|\n");
  for (const Phase& ph : phases) {
    const double to = std::min(ph.to_s, submit_end);
    if (to <= ph.from_s) continue;
    std::vector<double> lat;
    for (const auto& [at, ms] : samples_) {
      if (at >= ph.from_s && at < to) lat.push_back(ms);
    }
    uint64_t txs = 0;
    double prev = ph.from_s, gap = 0;
    for (const auto& b : blocks_) {
      if (b.at_s < ph.from_s || b.at_s >= to) continue;
      txs += b.txs;
      gap = std::max(gap, b.at_s - prev);
      prev = b.at_s;
    }
    gap = std::max(gap, to - prev);
    const double secs = to - ph.from_s;
    const double p50 = Percentile(lat, 0.50), p99 = Percentile(lat, 0.99);
    std::printf("| %s | %.1f .. %.1f | %.0f | %.0f / %.0f ms | %zu | %.0f ms |\n",
                ph.name.c_str(), ph.from_s, to, txs / secs, p50, p99, lat.size(), gap * 1000);
    out.push_back({{"phase", ph.name},
                   {"from_s", ph.from_s},
                   {"to_s", to},
                   {"committed_tps", txs / secs},
                   {"latency_ms_p50", p50},
                   {"latency_ms_p99", p99},
                   {"latency_samples", lat.size()},
                   {"max_block_gap_ms", gap * 1000}});
  }
  return out;
}

Result<uint64_t> Run::Height(HttpConn& c) {
  LAUREL_ASSIGN_OR_RETURN(auto r, c.Do("GET", "/v1/status", {}, {}));
  if (r.status != 200)
    return Status::Unavailable("GET /v1/status: HTTP " + std::to_string(r.status));
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.contains("height")) {
    return Status::Corruption("GET /v1/status: no height");
  }
  // protobuf's JSON mapping prints uint64 as a decimal string; accept a number too.
  const auto& h = j["height"];
  if (h.is_number_unsigned()) return h.get<uint64_t>();
  if (h.is_string()) {
    const std::string s = h.get<std::string>();
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return v;
  }
  return Status::Corruption("GET /v1/status: height is not an unsigned integer");
}

void Run::Sender(int k) {
  HttpConn conn(urls_[k % urls_.size()]);
  const double share = o_.rate / o_.connections;
  uint64_t n = 0;
  while (!stop_send_) {
    if (o_.mode == "open") {
      const auto due = start_ + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(n / share));
      if (due > Clock::now()) std::this_thread::sleep_until(due);
      if (stop_send_) break;
    } else {
      while (!stop_send_ && accepted_.load() >= committed_.load() + o_.window) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (stop_send_) break;
    }
    const int64_t i = Take();
    if (i < 0) break;
    ++n;
    for (int attempt = 0; !stop_send_; ++attempt) {
      auto r = conn.Do("POST", "/v1/txs", kProtobuf, txs_[i]);
      if (!r.ok()) {
        NoteError(conn.url().text + ": " + r.status().ToString());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        break;
      }
      if (r->status == 202 || r->status == 200) {
        accepted_.fetch_add(1);
        break;
      }
      if (r->status == 429 || r->status == 503) {
        full_.fetch_add(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      NoteError(conn.url().text + ": HTTP " + std::to_string(r->status) + " " +
                r->body.substr(0, 200));
      break;
    }
  }
}

void Run::Sampler(int k) {
  HttpConn& conn = *sampler_conns_[k];
  const std::string target = "/v1/txs?wait=commit&timeout_ms=60000";
  while (!stop_send_) {
    const int64_t i = Take();
    if (i < 0) break;
    const auto t0 = Clock::now();
    auto r = conn.Do("POST", target, kProtobuf, txs_[i]);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!r.ok()) {
      if (!stop_send_) NoteError("sampler " + conn.url().text + ": " + r.status().ToString());
      break;
    }
    if (r->status == 200) {
      accepted_.fetch_add(1);
      std::lock_guard<std::mutex> l(mu_);
      samples_.emplace_back(std::chrono::duration<double>(t0 - start_).count(), ms);
    } else if (r->status == 429 || r->status == 503) {
      full_.fetch_add(1);
    } else {
      NoteError("sampler " + conn.url().text + ": HTTP " + std::to_string(r->status) + " " +
                r->body.substr(0, 200));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(o_.sample_interval_ms));
  }
}

void Run::Poller() {
  HttpConn status_conn(urls_[0]);
  HttpConn block_conn(urls_[0]);
  uint64_t last = 0;
  {
    auto h = Height(status_conn);
    if (!h.ok()) {
      NoteError("poller: " + h.status().ToString());
      poll_failed_ = true;
      return;
    }
    last = *h;
  }
  laurel::v1::BlockView block;
  while (!stop_poll_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto h = Height(status_conn);
    if (!h.ok()) {
      NoteError("poller: " + h.status().ToString());
      continue;
    }
    for (uint64_t b = last + 1; b <= *h && !stop_poll_; ++b) {
      auto r = block_conn.Do("GET", "/v1/blocks/" + std::to_string(b), {}, {}, kProtobuf);
      if (!r.ok() || r->status != 200 || !block.ParseFromString(r->body)) {
        NoteError("poller: block " + std::to_string(b) + " unreadable");
        poll_failed_ = true;
        return;
      }
      uint64_t bad = 0;
      for (const auto& tx : block.txs()) {
        if (tx.result() == "OK") continue;
        ++bad;
        std::lock_guard<std::mutex> l(mu_);
        ++not_ok_by_code_[tx.result()];
      }
      not_ok_.fetch_add(bad);
      committed_.fetch_add(block.tx_count());
      std::lock_guard<std::mutex> l(mu_);
      if (bad > 0 && not_ok_heights_.size() < 20) {
        not_ok_heights_.push_back(std::to_string(b) + " (" + std::to_string(bad) + " of " +
                                  std::to_string(block.tx_count()) + ", seen at " +
                                  std::to_string(SecondsSince(start_)).substr(0, 5) + " s)");
      }
      blocks_.push_back({SecondsSince(start_), b, block.tx_count()});
      last = b;
    }
  }
}

int Run::Go() {
  std::vector<std::unique_ptr<HttpConn>> sconns;
  for (int k = 0; k < o_.samplers; ++k) {
    sconns.push_back(std::make_unique<HttpConn>(urls_[(k + 1) % urls_.size()]));
    sampler_conns_.push_back(sconns.back().get());
  }
  const double cpu0 = CpuSeconds();
  start_ = Clock::now();
  std::thread poller([this] { Poller(); });
  std::vector<std::thread> threads;
  for (int k = 0; k < o_.connections; ++k) threads.emplace_back([this, k] { Sender(k); });
  for (int k = 0; k < o_.samplers; ++k) threads.emplace_back([this, k] { Sampler(k); });
  std::thread faulter;
  if (o_.fault_pid > 0) faulter = std::thread([this] { Faulter(); });

  // Progress once a second; stop at the end of the duration (or when the pool runs out).
  double next_report = 1;
  uint64_t prev_committed = 0;
  while (SecondsSince(start_) < o_.duration && !exhausted_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (SecondsSince(start_) >= next_report) {
      const uint64_t c = committed_.load();
      std::printf("load: t=%3.0fs accepted %8llu committed %8llu (+%llu) 429s %llu errors %llu\n",
                  next_report, static_cast<unsigned long long>(accepted_.load()),
                  static_cast<unsigned long long>(c),
                  static_cast<unsigned long long>(c - prev_committed),
                  static_cast<unsigned long long>(full_.load()),
                  static_cast<unsigned long long>(errors_.load()));
      std::fflush(stdout);
      prev_committed = c;
      next_report += 1;
    }
  }
  const double submit_end = SecondsSince(start_);
  stop_send_ = true;
  // Senders finish their current request quickly; samplers may wait for a commit: drain.
  const auto drain_deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(o_.drain));
  while (Clock::now() < drain_deadline && committed_.load() < accepted_.load() && !poll_failed_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (auto* c : sampler_conns_) c->Interrupt();
  for (auto& th : threads) th.join();
  if (faulter.joinable()) faulter.join();
  stop_poll_ = true;
  poller.join();
  const double total_s = SecondsSince(start_);
  // The client shares the machine with the validators: how much of it did it take?
  const double client_cores = (CpuSeconds() - cpu0) / total_s;

  // Committed tx/s over [warmup, submit_end], by the time the poller saw each block.
  uint64_t in_window = 0, total_committed = 0;
  for (const auto& b : blocks_) {
    total_committed += b.txs;
    if (b.at_s >= o_.warmup && b.at_s <= submit_end) in_window += b.txs;
  }
  const double window_s = std::max(0.001, submit_end - o_.warmup);
  const double committed_tps = in_window / window_s;
  std::vector<double> lat;
  for (const auto& [at, ms] : samples_) {
    if (at >= o_.warmup) lat.push_back(ms);
  }
  const double p50 = Percentile(lat, 0.50), p90 = Percentile(lat, 0.90),
               p99 = Percentile(lat, 0.99);
  const double submit_tps = accepted_.load() / std::max(0.001, submit_end);
  uint64_t max_block = 0;
  for (const auto& b : blocks_) max_block = std::max<uint64_t>(max_block, b.txs);

  std::printf("\n| figure | value |\n|---|---|\n");
  std::printf("| mode | %s%s |\n", o_.mode.c_str(),
              o_.mode == "open"
                  ? (" at " + std::to_string(static_cast<int>(o_.rate)) + " tx/s").c_str()
                  : (" window " + std::to_string(o_.window)).c_str());
  std::printf("| connections / samplers / URLs | %d / %d / %zu |\n", o_.connections, o_.samplers,
              urls_.size());
  std::printf("| submission | %.1f s, %llu accepted (%.0f tx/s), %llu 429s, %llu errors |\n",
              submit_end, static_cast<unsigned long long>(accepted_.load()), submit_tps,
              static_cast<unsigned long long>(full_.load()),
              static_cast<unsigned long long>(errors_.load()));
  std::printf("| committed tx/s (%.0f s .. %.1f s) | %.0f |\n", o_.warmup, submit_end,
              committed_tps);
  std::printf(
      "| committed in total (incl. drain, %.1f s) | %llu, %llu not OK, %zu blocks, max %llu "
      "tx/block |\n",
      total_s, static_cast<unsigned long long>(total_committed),
      static_cast<unsigned long long>(not_ok_.load()), blocks_.size(),
      static_cast<unsigned long long>(max_block));
  std::printf("| commit latency p50 / p90 / p99 (%zu samples) | %.0f / %.0f / %.0f ms |\n",
              lat.size(), p50, p90, p99);
  std::printf("| load client CPU | %.2f cores |\n", client_cores);
  nlohmann::json phases_json;
  if (o_.fault_pid > 0 && fault_began_s_ >= 0) {
    const double fb = fault_began_s_;
    const double fe = fault_ended_s_ >= 0 ? fault_ended_s_ : submit_end;
    const char* what = o_.fault_kill ? "killed" : "paused";
    phases_json = PhaseFigures(
        {{"no fault", o_.warmup, fb},
         {std::string("one validator ") + what + ", first 5 s", fb, std::min(fb + 5, fe)},
         {std::string("one validator ") + what + ", after 5 s", fb + 5, fe},
         {"resumed, first 5 s", fe, fe + 5},
         {"resumed, after 5 s", fe + 5, submit_end}},
        submit_end);
  }
  if (!first_error_.empty()) std::printf("first error: %s\n", first_error_.c_str());
  if (exhausted_) std::printf("note: the pool of %zu pre-signed txs ran out\n", txs_.size());

  if (!o_.json_path.empty()) {
    nlohmann::json j = {
        {"mode", o_.mode},
        {"target_rate", o_.mode == "open" ? o_.rate : 0.0},
        {"window", o_.window},
        {"connections", o_.connections},
        {"samplers", o_.samplers},
        {"urls", o_.rpc},
        {"duration_s", submit_end},
        {"warmup_s", o_.warmup},
        {"accepted", accepted_.load()},
        {"submit_tps", submit_tps},
        {"mempool_full_429", full_.load()},
        {"errors", errors_.load()},
        {"first_error", first_error_},
        {"committed_tps", committed_tps},
        {"committed_total", total_committed},
        {"committed_not_ok", not_ok_.load()},
        {"blocks", blocks_.size()},
        {"max_block_txs", max_block},
        {"latency_samples", lat.size()},
        {"latency_ms_p50", p50},
        {"latency_ms_p90", p90},
        {"latency_ms_p99", p99},
        {"pool_exhausted", exhausted_.load()},
        {"client_cpu_cores", client_cores},
    };
    if (!phases_json.is_null()) {
      j["fault"] = {{"pid", o_.fault_pid},
                    {"kind", o_.fault_kill ? "kill" : "pause"},
                    {"began_s", fault_began_s_},
                    {"ended_s", fault_ended_s_},
                    {"phases", phases_json}};
    }
    std::ofstream out(o_.json_path);
    out << j.dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "load: cannot write %s\n", o_.json_path.c_str());
      return 1;
    }
  }
  if (poll_failed_) return 1;
  if (not_ok_.load() > 0) {
    std::fprintf(stderr, "load: %llu committed txs have a result other than OK:",
                 static_cast<unsigned long long>(not_ok_.load()));
    for (const auto& [code, n] : not_ok_by_code_) {
      std::fprintf(stderr, " %s %llu", code.c_str(), static_cast<unsigned long long>(n));
    }
    std::fprintf(stderr, "\nload: in blocks at height");
    for (const auto& h : not_ok_heights_) std::fprintf(stderr, " %s", h.c_str());
    std::fprintf(stderr, "\n");
    return 1;
  }
  return 0;
}

int Main(int argc, char** argv) {
  Options o;
  CLI::App app{"laurel-bench-load: committed tx/s and commit latency of a running testnet"};
  AddTargetOptions(app, o);
  app.add_option("--mode", o.mode, "open (at --rate) or closed (--window)")
      ->check(CLI::IsMember({"open", "closed"}));
  app.add_option("--rate", o.rate, "open mode: total submit rate, tx/s")
      ->check(CLI::Range(1.0, 1e6));
  app.add_option("--window", o.window, "closed mode: most submitted-but-uncommitted txs");
  app.add_option("--connections", o.connections, "submitting keep-alive connections")
      ->check(CLI::Range(1, 200));
  app.add_option("--samplers", o.samplers, "connections submitting with ?wait=commit")
      ->check(CLI::Range(0, 64));
  app.add_option("--sample-interval-ms", o.sample_interval_ms, "pause between a sampler's txs");
  app.add_option("--duration", o.duration, "seconds of submission")->check(CLI::Range(1.0, 3600.0));
  app.add_option("--warmup", o.warmup, "seconds left out of the rate and latency figures");
  app.add_option("--drain", o.drain, "seconds to wait for the last commits");
  app.add_option("--txs", o.txs, "pre-signed txs (default: enough for the run)");
  app.add_option("--sign-threads", o.sign_threads, "threads that pre-sign")
      ->check(CLI::Range(1, 64));
  app.add_option("--json", o.json_path, "write the figures as JSON to this file");
  app.add_option("--fault-pid", o.fault_pid, "a validator process to pause during the run");
  app.add_option("--fault-at", o.fault_at, "seconds into the run when it is paused");
  app.add_option("--fault-for", o.fault_for, "seconds it stays paused");
  app.add_flag("--fault-kill", o.fault_kill, "kill it (SIGKILL) instead of pausing it");
  CLI11_PARSE(app, argc, argv);

  crypto::Init();
  auto target = LoadTarget(o);
  if (!target.ok()) {
    std::fprintf(stderr, "load: %s\n", target.status().ToString().c_str());
    return 2;
  }
  o.chain_id = target->chain_id;
  if (o.tag.empty()) o.tag = std::to_string(std::time(nullptr));
  if (o.warmup >= o.duration) o.warmup = 0;
  if (o.txs == 0) {
    const double rate = o.mode == "open" ? o.rate : 12000;
    o.txs = static_cast<size_t>(rate * o.duration * 1.2) + o.window + 1000;
  }
  std::printf("load: pre-signing %zu IssueCredential txs (%s, chain %s)...\n", o.txs,
              o.issuer.c_str(), o.chain_id.c_str());
  std::fflush(stdout);
  const auto t0 = Clock::now();
  auto txs = PreSign(o, target->key);
  if (!txs.ok()) {
    std::fprintf(stderr, "load: %s\n", txs.status().ToString().c_str());
    return 1;
  }
  std::printf("load: signed in %.1f s; submitting for %.0f s\n", SecondsSince(t0), o.duration);
  std::fflush(stdout);
  Run run(o, std::move(target->urls), std::move(txs).value());
  return run.Go();
}

}  // namespace
}  // namespace laurel::bench

int main(int argc, char** argv) { return laurel::bench::Main(argc, argv); }

// laurel-bench-verify: gate verification over HTTP (issue 6, figure 3).
//
// 1. Builds --cards distinct member cards for an issuer (default city-fed, the testnet's
//    issuer): each a signed CardBody with a random salt, and the IssueCredential transaction
//    that records its digest. Signing is not part of the measurement.
// 2. Submits the transactions (binary protobuf, keep-alive connections over the --rpc URLs)
//    and waits until every one is committed with result OK (GET /v1/txs/{id}).
// 3. For --duration seconds, --connections keep-alive connections POST /v1/verify with
//    {"code": "LC1:..."} for the cards in turn (each request a different card than the last),
//    as a gate would. Every answer must be 200 with "valid": true; anything else is counted
//    and fails the run.
// Prints requests/s and latency p50/p90/p99 (requests after --warmup); --json writes them.
#include <sodium.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "cli/http_client.h"
#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ed25519.h"
#include "crypto/keyfile.h"
#include "types/card.h"
#include "types/tx.h"

namespace laurel::bench {
namespace {

using cli::HttpConn;
using cli::ParseUrl;
using cli::Url;
constexpr std::string_view kProtobuf = "application/x-protobuf";

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t idx = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(idx), v.end());
  return v[idx];
}

struct Options : TargetOptions {
  uint32_t key_version = 1;
  size_t cards = 20000;
  int connections = 16;
  double duration = 20;
  double warmup = 2;
  double commit_timeout = 300;
  std::string json_path;
};

struct Prepared {
  std::vector<std::string> requests;  // {"code": "LC1:..."}
  std::vector<std::string> txs;       // binary Tx
  std::vector<std::string> tx_ids;    // hex
};

Prepared Prepare(const Options& o, const crypto::PrivateKey& key) {
  Prepared p;
  p.requests.resize(o.cards);
  p.txs.resize(o.cards);
  p.tx_ids.resize(o.cards);
  const uint64_t now = static_cast<uint64_t>(std::time(nullptr));
  std::vector<std::thread> pool;
  constexpr int kThreads = 2;
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t i = t; i < o.cards; i += kThreads) {
        types::CardBody cb;
        cb.chain_id = o.chain_id;
        cb.credential_id = o.issuer + "/GATE/" + o.tag + "/" + std::to_string(i);
        cb.issuer_id = o.issuer;
        cb.key_version = o.key_version;
        cb.type = types::CredentialType::kMember;
        cb.holder_name = "Holder " + std::to_string(i);
        cb.member_no = "M" + std::to_string(1000000 + i);
        cb.salt.resize(types::kCardSaltSize);
        randombytes_buf(cb.salt.data(), cb.salt.size());
        cb.valid_from = now - 3600;
        cb.valid_until = now + 3ull * 365 * 24 * 3600;
        const types::Card card = types::SignCard(cb, key);
        p.requests[i] = nlohmann::json{{"code", types::CardToText(card)}}.dump();

        types::TxBody body;
        body.chain_id = o.chain_id;
        body.nonce.resize(16);
        randombytes_buf(body.nonce.data(), body.nonce.size());
        body.expires_at_height = 1'000'000;  // within the admission bound (node::kMaxExpiryDistance)
        types::IssueCredential ic;
        ic.credential_id = cb.credential_id;
        ic.issuer_id = o.issuer;
        ic.type = cb.type;
        const Hash32 digest = types::CardDigest(card.body);
        ic.card_digest.assign(digest.begin(), digest.end());
        ic.valid_from = cb.valid_from;
        ic.valid_until = cb.valid_until;
        body.action = std::move(ic);
        types::Tx tx = types::MakeTx(body);
        types::SignTx(tx, key);
        const Bytes wire = types::EncodeTx(tx);
        p.txs[i].assign(wire.begin(), wire.end());
        p.tx_ids[i] = HexEncode(types::TxId(tx));
      }
    });
  }
  for (auto& th : pool) th.join();
  return p;
}

// Runs fn(k, conn) on `threads` threads, each with its own connection to urls[k % n].
template <class Fn>
void OnConnections(const std::vector<Url>& urls, int threads, Fn fn) {
  std::vector<std::thread> pool;
  for (int k = 0; k < threads; ++k) {
    pool.emplace_back([&, k] {
      HttpConn conn(urls[k % urls.size()]);
      fn(k, conn);
    });
  }
  for (auto& th : pool) th.join();
}

// Submits every tx, then waits until each is committed with result OK.
Status LoadCards(const Options& o, const std::vector<Url>& urls, const Prepared& p) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::string first_error;
  auto fail = [&](std::string what) {
    failed = true;
    std::lock_guard l(mu);
    if (first_error.empty()) first_error = std::move(what);
  };
  OnConnections(urls, o.connections, [&](int, HttpConn& conn) {
    for (size_t i; !failed && (i = next.fetch_add(1)) < p.txs.size();) {
      for (;;) {
        auto r = conn.Do("POST", "/v1/txs", kProtobuf, p.txs[i]);
        if (!r.ok()) return fail(r.status().ToString());
        if (r->status == 429 || r->status == 503) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          continue;
        }
        if (r->status != 200 && r->status != 202) {
          return fail("POST /v1/txs: HTTP " + std::to_string(r->status) + " " +
                      r->body.substr(0, 200));
        }
        break;
      }
    }
  });
  if (failed) return Status::Unavailable(first_error);
  // Wait for the commits: each connection checks its share, retrying pending ones.
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(o.commit_timeout));
  next = 0;
  OnConnections(urls, o.connections, [&](int, HttpConn& conn) {
    for (size_t i; !failed && (i = next.fetch_add(1)) < p.tx_ids.size();) {
      for (;;) {
        auto r = conn.Do("GET", "/v1/txs/" + p.tx_ids[i], {}, {});
        if (!r.ok()) return fail(r.status().ToString());
        if (r->status == 200 && r->body.find("committed") != std::string::npos) {
          if (r->body.find("\"OK\"") == std::string::npos) {
            return fail("tx " + p.tx_ids[i] + " committed but not OK: " + r->body.substr(0, 200));
          }
          break;
        }
        if (Clock::now() > deadline) return fail("tx " + p.tx_ids[i] + " not committed in time");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  });
  if (failed) return Status::Unavailable(first_error);
  return Status::Ok();
}

int Main(int argc, char** argv) {
  Options o;
  CLI::App app{"laurel-bench-verify: gate verification (POST /v1/verify) of a running testnet"};
  AddTargetOptions(app, o);
  app.add_option("--key-version", o.key_version, "the issuer key's version");
  app.add_option("--cards", o.cards, "distinct cards to issue and verify")
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--connections", o.connections, "keep-alive connections")
      ->check(CLI::Range(1, 200));
  app.add_option("--duration", o.duration, "seconds of verification")
      ->check(CLI::Range(1.0, 3600.0));
  app.add_option("--warmup", o.warmup, "seconds left out of the figures");
  app.add_option("--json", o.json_path, "write the figures as JSON to this file");
  CLI11_PARSE(app, argc, argv);

  crypto::Init();
  auto target = LoadTarget(o);
  if (!target.ok()) {
    std::fprintf(stderr, "verify: %s\n", target.status().ToString().c_str());
    return 2;
  }
  o.chain_id = target->chain_id;
  const std::vector<Url>& urls = target->urls;
  if (o.tag.empty()) o.tag = std::to_string(std::time(nullptr));
  if (o.warmup >= o.duration) o.warmup = 0;

  auto t0 = Clock::now();
  std::printf("verify: building %zu cards and their IssueCredential txs...\n", o.cards);
  std::fflush(stdout);
  const Prepared p = Prepare(o, target->key);
  std::printf("verify: built in %.1f s; issuing them on the ledger...\n", SecondsSince(t0));
  std::fflush(stdout);
  t0 = Clock::now();
  if (Status st = LoadCards(o, urls, p); !st.ok()) {
    std::fprintf(stderr, "verify: loading the cards failed: %s\n", st.ToString().c_str());
    return 1;
  }
  std::printf("verify: %zu cards committed in %.1f s; verifying for %.0f s over %d connections\n",
              o.cards, SecondsSince(t0), o.duration, o.connections);
  std::fflush(stdout);

  std::atomic<size_t> next{0};
  std::atomic<uint64_t> valid{0}, refused{0}, errors{0};
  std::mutex mu;
  std::string first_error;
  std::vector<double> lat_ms;
  const double cpu0 = CpuSeconds();
  const auto start = Clock::now();
  OnConnections(urls, o.connections, [&](int, HttpConn& conn) {
    std::vector<double> mine;
    while (SecondsSince(start) < o.duration) {
      const size_t i = next.fetch_add(1) % p.requests.size();
      const auto r0 = Clock::now();
      auto r = conn.Do("POST", "/v1/verify", "application/json", p.requests[i]);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - r0).count();
      std::string err;
      if (!r.ok()) {
        err = r.status().ToString();
      } else if (r->status != 200) {
        err = "HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 200);
      }
      if (!err.empty()) {
        errors.fetch_add(1);
        std::lock_guard l(mu);
        if (first_error.empty()) first_error = err;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      // protobuf's JSON mapping prints `"valid": true` (with or without the space).
      const bool ok = r->body.find("\"valid\":true") != std::string::npos ||
                      r->body.find("\"valid\": true") != std::string::npos;
      if (ok) {
        valid.fetch_add(1);
      } else {
        refused.fetch_add(1);
        std::lock_guard l(mu);
        if (first_error.empty()) first_error = "refused: " + r->body.substr(0, 300);
      }
      if (std::chrono::duration<double>(r0 - start).count() >= o.warmup) mine.push_back(ms);
    }
    std::lock_guard l(mu);
    lat_ms.insert(lat_ms.end(), mine.begin(), mine.end());
  });
  const double total_s = SecondsSince(start);
  const double client_cores = (CpuSeconds() - cpu0) / total_s;
  const double window_s = std::max(0.001, total_s - o.warmup);
  const double rps = lat_ms.size() / window_s;
  const size_t samples = lat_ms.size();
  const double p50 = Percentile(lat_ms, 0.50), p90 = Percentile(lat_ms, 0.90),
               p99 = Percentile(lat_ms, 0.99);

  std::printf("\n| figure | value |\n|---|---|\n");
  std::printf("| cards / connections / URLs | %zu / %d / %zu |\n", o.cards, o.connections,
              urls.size());
  std::printf("| verify requests/s (%.0f s .. %.1f s) | %.0f |\n", o.warmup, total_s, rps);
  std::printf("| latency p50 / p90 / p99 (%zu requests) | %.2f / %.2f / %.2f ms |\n", samples,
              p50, p90, p99);
  std::printf("| answers valid / refused / errors | %llu / %llu / %llu |\n",
              static_cast<unsigned long long>(valid.load()),
              static_cast<unsigned long long>(refused.load()),
              static_cast<unsigned long long>(errors.load()));
  std::printf("| client CPU | %.2f cores |\n", client_cores);
  if (!first_error.empty()) std::printf("first error: %s\n", first_error.c_str());

  if (!o.json_path.empty()) {
    nlohmann::json j = {
        {"cards", o.cards},          {"connections", o.connections},
        {"urls", o.rpc},             {"duration_s", total_s},
        {"warmup_s", o.warmup},      {"requests_per_s", rps},
        {"latency_samples", samples}, {"latency_ms_p50", p50},
        {"latency_ms_p90", p90},     {"latency_ms_p99", p99},
        {"valid", valid.load()},     {"refused", refused.load()},
        {"errors", errors.load()},   {"first_error", first_error},
        {"client_cpu_cores", client_cores},
    };
    std::ofstream out(o.json_path);
    out << j.dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "verify: cannot write %s\n", o.json_path.c_str());
      return 1;
    }
  }
  return refused.load() == 0 && errors.load() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace laurel::bench

int main(int argc, char** argv) { return laurel::bench::Main(argc, argv); }

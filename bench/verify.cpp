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
//    --batch K: each request is POST /v1/verify:batch with K cards (every item must be VALID).
//    --pipeline D: D requests in flight per connection (HTTP/1.1 pipelining: D requests
//    written before the first answer is read; answers come in order). Plain HTTP only.
//    --save-cards FILE writes the issued cards' requests (one JSON line each) after step 2;
//    --load-cards FILE skips steps 1 and 2 and verifies those cards (already on the ledger).
// Prints requests/s, cards/s and latency p50/p90/p99 (requests after --warmup); --json writes
// them.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
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
  size_t batch = 0;     // 0: POST /v1/verify; K: POST /v1/verify:batch with K cards
  size_t pipeline = 1;  // requests in flight per connection
  std::string save_cards;
  std::string load_cards;
};

// A plain-HTTP keep-alive connection that may have several requests in flight (pipelining):
// Send() writes a request, Read() reads the oldest unanswered answer (Content-Length framed,
// as laurel's server answers).
class PipelinedConn {
 public:
  explicit PipelinedConn(const Url& url) : url_(url) {}
  ~PipelinedConn() { Close(); }
  PipelinedConn(const PipelinedConn&) = delete;
  PipelinedConn& operator=(const PipelinedConn&) = delete;

  Status Connect() {
    Close();
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return Status::IoError(std::string("socket: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(url_.port));
    if (::inet_pton(AF_INET, url_.host.c_str(), &addr.sin_addr) != 1) {
      return Status::InvalidArgument("not an IPv4 address: " + url_.host);
    }
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      return Status::IoError("connect " + url_.text + ": " + std::strerror(errno));
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    buf_.clear();
    return Status::Ok();
  }

  Status Send(const std::string& request) {
    size_t done = 0;
    while (done < request.size()) {
      const ssize_t n = ::send(fd_, request.data() + done, request.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return Status::IoError(std::string("send: ") + std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  Result<cli::HttpResponse> Read() {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (Status st = Fill(); !st.ok()) return st;
    }
    cli::HttpResponse r;
    if (end < 12 || buf_.compare(0, 5, "HTTP/") != 0) return Status::IoError("not an HTTP answer");
    r.status = std::atoi(buf_.c_str() + 9);
    size_t length = 0;
    for (size_t pos = buf_.find("\r\n") + 2; pos < end;) {
      const size_t e = buf_.find("\r\n", pos);
      if (e - pos > 15 && strncasecmp(buf_.c_str() + pos, "content-length:", 15) == 0) {
        length = std::strtoull(buf_.c_str() + pos + 15, nullptr, 10);
      }
      pos = e + 2;
    }
    buf_.erase(0, end + 4);
    while (buf_.size() < length) {
      if (Status st = Fill(); !st.ok()) return st;
    }
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }

 private:
  Status Fill() {
    char tmp[65536];
    const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return Status::IoError("the server closed the connection");
    buf_.append(tmp, static_cast<size_t>(n));
    return Status::Ok();
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  Url url_;
  int fd_ = -1;
  std::string buf_;
};

// How many times `needle` occurs in `hay`.
size_t Count(const std::string& hay, std::string_view needle) {
  size_t n = 0;
  for (size_t pos = hay.find(needle); pos != std::string::npos;
       pos = hay.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

// The VALID decisions in an answer: protobuf's JSON mapping prints `"valid": true` (with or
// without the space); a batch answer has one per VALID item.
size_t ValidCount(const std::string& body) {
  return Count(body, "\"valid\":true") + Count(body, "\"valid\": true");
}

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
        body.expires_at_height =
            1'000'000;  // within the admission bound (node::kMaxExpiryDistance)
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
  app.add_option("--batch", o.batch,
                 "cards per request: POST /v1/verify:batch with this many (0: POST /v1/verify)")
      ->check(CLI::Range(0, 256));
  app.add_option("--pipeline", o.pipeline,
                 "requests in flight per connection (HTTP/1.1 pipelining; plain HTTP only)")
      ->check(CLI::Range(1, 256));
  app.add_option("--save-cards", o.save_cards,
                 "after issuing, write the cards' verify requests to this file (JSON lines)");
  app.add_option("--load-cards", o.load_cards,
                 "verify the cards of this file (from --save-cards) instead of issuing new ones");
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

  if (o.pipeline > 1) {
    for (const Url& u : urls) {
      if (u.tls) {
        std::fprintf(stderr, "verify: --pipeline needs plain http:// URLs\n");
        return 2;
      }
    }
  }
  Prepared p;
  if (!o.load_cards.empty()) {
    std::ifstream in(o.load_cards);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) p.requests.push_back(line);
    }
    if (p.requests.empty()) {
      std::fprintf(stderr, "verify: no cards in %s\n", o.load_cards.c_str());
      return 2;
    }
    o.cards = p.requests.size();
    std::printf("verify: %zu cards from %s\n", o.cards, o.load_cards.c_str());
  } else {
    auto t0 = Clock::now();
    std::printf("verify: building %zu cards and their IssueCredential txs...\n", o.cards);
    std::fflush(stdout);
    p = Prepare(o, target->key);
    std::printf("verify: built in %.1f s; issuing them on the ledger...\n", SecondsSince(t0));
    std::fflush(stdout);
    t0 = Clock::now();
    if (Status st = LoadCards(o, urls, p); !st.ok()) {
      std::fprintf(stderr, "verify: loading the cards failed: %s\n", st.ToString().c_str());
      return 1;
    }
    std::printf("verify: %zu cards committed in %.1f s\n", o.cards, SecondsSince(t0));
    if (!o.save_cards.empty()) {
      std::ofstream out(o.save_cards);
      for (const auto& r : p.requests) out << r << "\n";
      if (!out) {
        std::fprintf(stderr, "verify: cannot write %s\n", o.save_cards.c_str());
        return 1;
      }
    }
  }
  // The request bodies: one card each, or --batch cards each (cards in turn, wrapping).
  const size_t per_request = std::max<size_t>(o.batch, 1);
  const std::string route = o.batch > 0 ? "/v1/verify:batch" : "/v1/verify";
  std::vector<std::string> bodies;
  if (o.batch == 0) {
    bodies = p.requests;
  } else {
    const size_t n = (p.requests.size() + o.batch - 1) / o.batch;
    for (size_t b = 0; b < n; ++b) {
      std::string body = "{\"cards\":[";
      for (size_t k = 0; k < o.batch; ++k) {
        if (k > 0) body += ',';
        body += p.requests[(b * o.batch + k) % p.requests.size()];
      }
      bodies.push_back(body + "]}");
    }
  }
  std::vector<std::string> wire(bodies.size());  // whole HTTP requests, for --pipeline
  if (o.pipeline > 1) {
    for (size_t i = 0; i < bodies.size(); ++i) {
      wire[i] = "POST " + route +
                " HTTP/1.1\r\nHost: laurel\r\nContent-Type: application/json\r\n" +
                "Content-Length: " + std::to_string(bodies[i].size()) + "\r\n\r\n" + bodies[i];
    }
  }
  std::printf(
      "verify: %s with %zu card(s) per request, %zu in flight per connection, for %.0f s "
      "over %d connections\n",
      route.c_str(), per_request, o.pipeline, o.duration, o.connections);
  std::fflush(stdout);

  std::atomic<size_t> next{0};
  std::atomic<uint64_t> valid{0}, refused{0}, errors{0};
  std::mutex mu;
  std::string first_error;
  std::vector<double> lat_ms;
  const double cpu0 = CpuSeconds();
  const auto start = Clock::now();
  // One answer: 200 with `per_request` VALID decisions, else counted (and the first kept).
  auto judge = [&](const Result<cli::HttpResponse>& r) -> bool {
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
      return false;
    }
    const size_t ok = ValidCount(r->body);
    valid.fetch_add(ok);
    if (ok != per_request) {
      refused.fetch_add(per_request > ok ? per_request - ok : 1);
      std::lock_guard l(mu);
      if (first_error.empty()) first_error = "refused: " + r->body.substr(0, 300);
    }
    return true;
  };
  auto keep = [&](std::vector<double>& mine, Clock::time_point r0) {
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - r0).count();
    if (std::chrono::duration<double>(r0 - start).count() >= o.warmup) mine.push_back(ms);
  };
  auto merge = [&](const std::vector<double>& mine) {
    std::lock_guard l(mu);
    lat_ms.insert(lat_ms.end(), mine.begin(), mine.end());
  };
  if (o.pipeline <= 1) {
    OnConnections(urls, o.connections, [&](int, HttpConn& conn) {
      std::vector<double> mine;
      while (SecondsSince(start) < o.duration) {
        const size_t i = next.fetch_add(1) % bodies.size();
        const auto r0 = Clock::now();
        auto r = conn.Do("POST", route, "application/json", bodies[i]);
        if (!judge(r)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          continue;
        }
        keep(mine, r0);
      }
      merge(mine);
    });
  } else {
    std::vector<std::thread> pool;
    for (int k = 0; k < o.connections; ++k) {
      pool.emplace_back([&, k] {
        PipelinedConn conn(urls[k % urls.size()]);
        std::vector<double> mine;
        std::deque<Clock::time_point> sent;  // send times of the requests in flight
        bool connected = false;
        while (SecondsSince(start) < o.duration) {
          if (!connected) {
            sent.clear();
            if (Status st = conn.Connect(); !st.ok()) {
              judge(st);
              std::this_thread::sleep_for(std::chrono::milliseconds(50));
              continue;
            }
            connected = true;
          }
          // Keep `pipeline` requests in flight: the first ones in one write, then one more per
          // answer read.
          std::string out;
          while (sent.size() < o.pipeline) {
            out += wire[next.fetch_add(1) % wire.size()];
            sent.push_back(Clock::now());
          }
          if (!out.empty()) {
            if (Status st = conn.Send(out); !st.ok()) {
              judge(st);
              connected = false;
              continue;
            }
          }
          auto r = conn.Read();
          const auto r0 = sent.front();
          sent.pop_front();
          if (!judge(r)) {
            if (!r.ok()) connected = false;
            continue;
          }
          keep(mine, r0);
        }
        // The requests still in flight are not counted.
        merge(mine);
      });
    }
    for (auto& th : pool) th.join();
  }
  const double total_s = SecondsSince(start);
  const double client_cores = (CpuSeconds() - cpu0) / total_s;
  const double window_s = std::max(0.001, total_s - o.warmup);
  const double rps = lat_ms.size() / window_s;
  const double cards_ps = rps * static_cast<double>(per_request);
  const size_t samples = lat_ms.size();
  const double p50 = Percentile(lat_ms, 0.50), p90 = Percentile(lat_ms, 0.90),
               p99 = Percentile(lat_ms, 0.99);

  std::printf("\n| figure | value |\n|---|---|\n");
  std::printf("| cards / connections / URLs | %zu / %d / %zu |\n", o.cards, o.connections,
              urls.size());
  std::printf("| route / cards per request / in flight per connection | %s / %zu / %zu |\n",
              route.c_str(), per_request, o.pipeline);
  std::printf("| verify requests/s (%.0f s .. %.1f s) | %.0f |\n", o.warmup, total_s, rps);
  std::printf("| cards verified/s | %.0f |\n", cards_ps);
  std::printf("| latency p50 / p90 / p99 (%zu requests) | %.2f / %.2f / %.2f ms |\n", samples, p50,
              p90, p99);
  std::printf("| answers valid / refused / errors | %llu / %llu / %llu |\n",
              static_cast<unsigned long long>(valid.load()),
              static_cast<unsigned long long>(refused.load()),
              static_cast<unsigned long long>(errors.load()));
  std::printf("| client CPU | %.2f cores |\n", client_cores);
  if (!first_error.empty()) std::printf("first error: %s\n", first_error.c_str());

  if (!o.json_path.empty()) {
    nlohmann::json j = {
        {"cards", o.cards},
        {"connections", o.connections},
        {"urls", o.rpc},
        {"duration_s", total_s},
        {"warmup_s", o.warmup},
        {"requests_per_s", rps},
        {"latency_samples", samples},
        {"latency_ms_p50", p50},
        {"latency_ms_p90", p90},
        {"latency_ms_p99", p99},
        {"valid", valid.load()},
        {"refused", refused.load()},
        {"errors", errors.load()},
        {"first_error", first_error},
        {"client_cpu_cores", client_cores},
        {"route", route},
        {"batch", o.batch},
        {"pipeline", o.pipeline},
        {"cards_per_request", per_request},
        {"cards_per_s", cards_ps},
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

// What keeps one client from taking the HTTP API away from the others (docs/api.md, "Limits"):
// who a client is, connection caps, token buckets on the expensive routes, a cap on concurrent
// commit waits, and a bounded pool that runs expensive work off the server's I/O threads.
//
// A client is a group of addresses: an IPv4 address (an IPv4-mapped IPv6 address counts as its
// IPv4 address), or an IPv6 /64 prefix (one host or one subnet hands out a whole /64, so a
// client that owns one could otherwise change its address at will). Connections are capped per
// address, per IPv6 /64 and in total; token buckets and commit waits are per client.
//
// Thread safety: ConnectionCaps, ClientLimiter and WorkPool may be used from any thread.
// TokenBucket is a plain value (its owner locks).
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace laurel::rpc {

using LimitClock = std::chrono::steady_clock;

// An IP address as the 16 bytes of its IPv6 form; IPv4 is held as ::ffff:a.b.c.d and marked v4.
struct IpKey {
  std::array<uint8_t, 16> bytes{};
  bool v4 = false;
  auto operator<=>(const IpKey&) const = default;
};

// An IPv4 address from its 4 bytes (network order).
IpKey IpKeyFromV4(const std::array<uint8_t, 4>& b);
// An IPv6 address from its 16 bytes; an IPv4-mapped one (::ffff:a.b.c.d) is taken as IPv4.
IpKey IpKeyFromV6(const std::array<uint8_t, 16>& b);
// Parses an IPv4 or IPv6 literal ("10.0.0.1", "2001:db8::1", "::ffff:10.0.0.1"); nullopt for
// anything else (names are not resolved).
std::optional<IpKey> ParseIp(std::string_view text);
// The client an address belongs to: an IPv4 address itself; an IPv6 address's /64 (the low 64
// bits zeroed).
IpKey ClientOf(const IpKey& address);
// "10.0.0.1", "2001:db8::/64"-style text for logs and messages.
std::string AddressText(const IpKey& address);

// ---- connections ----------------------------------------------------------------------------

struct ConnectionCapsConfig {
  size_t per_address = 64;   // from one IPv4 or IPv6 address
  size_t per_ipv6_64 = 256;  // from all addresses of one IPv6 /64
  size_t total = 1024;       // from everyone
};

// Why a connection was refused (or kAdmitted).
enum class CapVerdict : uint8_t { kAdmitted = 0, kPerAddress, kPerIpv6Prefix, kTotal };

// Counts open connections per address, per IPv6 /64 and in total.
class ConnectionCaps {
 public:
  explicit ConnectionCaps(ConnectionCapsConfig config) : config_(config) {}

  // Counts one more connection from `address` unless a cap is reached (then counts nothing).
  CapVerdict TryAcquire(const IpKey& address);
  // Uncounts a connection admitted by TryAcquire.
  void Release(const IpKey& address);
  size_t total() const;

 private:
  const ConnectionCapsConfig config_;
  mutable std::mutex mu_;
  std::map<IpKey, size_t> per_address_;
  std::map<IpKey, size_t> per_prefix_;  // IPv6 only, keyed by ClientOf()
  size_t total_ = 0;
};

// ---- request rates ----------------------------------------------------------------------------

// How fast a token bucket refills and how many tokens it holds.
struct BucketRate {
  double per_s = 1;
  double burst = 1;
};

// A token bucket: holds up to `rate.burst` tokens, refilled at `rate.per_s` tokens per second;
// starts full.
class TokenBucket {
 public:
  TokenBucket(BucketRate rate, LimitClock::time_point now);

  // Takes `cost` tokens and returns zero, or takes nothing and returns how long until `cost`
  // tokens will be there. A cost above the burst can never be paid: returns the time to fill
  // the bucket, and takes nothing.
  LimitClock::duration Take(LimitClock::time_point now, double cost = 1);
  // Whether the bucket is full at `now` (an idle client that may be forgotten).
  bool Full(LimitClock::time_point now) const;

 private:
  void Refill(LimitClock::time_point now);

  double rate_;
  double burst_;
  double tokens_;
  LimitClock::time_point last_;
};

struct RateLimitConfig {
  // POST /v1/txs (each request, with or without ?wait=commit); POST /v1/txs:batch spends one
  // token per transaction it carries.
  double tx_per_s = 1000;
  double tx_burst = 2000;
  // GET /v1/blocks?from= (block ranges of up to 1000 blocks / 8 MiB each).
  double block_ranges_per_s = 20;
  double block_ranges_burst = 40;
  // POST /v1/txs?wait=commit answers held open at once.
  size_t commit_waits_per_client = 32;
};

enum class Expense : uint8_t { kSubmitTx, kBlockRange };

// Per-client token buckets for the expensive routes and per-client counts of commit waits.
// Clients idle long enough to have full buckets and no waits are forgotten (so the table stays
// small whatever the number of addresses that ever called).
class ClientLimiter {
 public:
  explicit ClientLimiter(RateLimitConfig config) : config_(config) {}

  // nullopt when `client` may spend `cost` of `e` now (counted), else the whole seconds to wait
  // (at least 1), for a Retry-After header. A cost above the burst is taken as the burst.
  std::optional<uint32_t> Take(const IpKey& client, Expense e, LimitClock::time_point now,
                               double cost = 1);
  // Counts one more commit wait of `client`; false (nothing counted) at the cap.
  bool AcquireWait(const IpKey& client);
  void ReleaseWait(const IpKey& client);
  // Clients currently tracked.
  size_t tracked() const;

  const RateLimitConfig& config() const { return config_; }

 private:
  struct Client {
    TokenBucket tx;
    TokenBucket ranges;
    size_t waits = 0;
  };
  Client& Find(const IpKey& client, LimitClock::time_point now);
  void Sweep(LimitClock::time_point now);

  const RateLimitConfig config_;
  mutable std::mutex mu_;
  std::map<IpKey, Client> clients_;
  size_t sweep_at_ = 1024;
};

// ---- expensive work -----------------------------------------------------------------------------

// A fixed set of threads running queued functions, with a cap on what may wait in the queue.
// It keeps CPU-heavy handlers (signature checks of submitted transactions, block ranges) off
// the server's I/O threads, so that cheap requests (POST /v1/verify) are answered while they
// run, and it refuses work beyond its queue instead of letting it pile up.
struct WorkPoolConfig {
  size_t threads = 2;
  size_t max_queued = 256;
};

class WorkPool {
 public:
  explicit WorkPool(WorkPoolConfig config);
  ~WorkPool();  // Stop()
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Queues `fn`; false (fn dropped) when max_queued functions are already waiting or the pool
  // is stopped.
  bool TryPost(std::function<void()> fn);
  // Drops what is queued, waits for the running functions and joins the threads. Idempotent;
  // must not be called from a pool thread.
  void Stop();

 private:
  void Loop();

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopped_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace laurel::rpc

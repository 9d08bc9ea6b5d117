// The HTTP API's limits as arithmetic: client identity (IPv4, IPv4-mapped, IPv6 /64), connection
// caps, token buckets, commit waits and the bounded work pool.
#include "rpc/limits.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <thread>

namespace laurel::rpc {
namespace {

using namespace std::chrono_literals;

IpKey Ip(const char* text) {
  auto k = ParseIp(text);
  INFO(text);
  REQUIRE(k);
  return *k;
}

TEST_CASE("an IPv4-mapped IPv6 address is the same client as its IPv4 address", "[rpc][limits]") {
  CHECK(Ip("::ffff:10.1.2.3") == Ip("10.1.2.3"));
  CHECK(Ip("::ffff:10.1.2.3").v4);
  CHECK(AddressText(Ip("::ffff:10.1.2.3")) == "10.1.2.3");
  CHECK_FALSE(Ip("2001:db8::1").v4);
  CHECK(AddressText(Ip("2001:db8::1")) == "2001:db8::1");
  CHECK_FALSE(ParseIp("localhost"));
  CHECK_FALSE(ParseIp(""));
  CHECK_FALSE(ParseIp("10.1.2.3:80"));
}

TEST_CASE("an IPv6 client is its /64 and an IPv4 client its address", "[rpc][limits]") {
  CHECK(ClientOf(Ip("2001:db8:1:2:aaaa::1")) == ClientOf(Ip("2001:db8:1:2:ffff:ffff:ffff:ffff")));
  CHECK(ClientOf(Ip("2001:db8:1:2::1")) == Ip("2001:db8:1:2::"));
  CHECK(ClientOf(Ip("2001:db8:1:2::1")) != ClientOf(Ip("2001:db8:1:3::1")));
  CHECK(ClientOf(Ip("10.0.0.1")) == Ip("10.0.0.1"));
  CHECK(ClientOf(Ip("10.0.0.1")) != ClientOf(Ip("10.0.0.2")));
}

TEST_CASE("connections are capped per IPv4 address and an IPv4-mapped address counts as IPv4",
          "[rpc][limits]") {
  ConnectionCaps caps({/*per_address=*/2, /*per_ipv6_64=*/100, /*total=*/100});
  CHECK(caps.TryAcquire(Ip("10.0.0.1")) == CapVerdict::kAdmitted);
  CHECK(caps.TryAcquire(Ip("::ffff:10.0.0.1")) == CapVerdict::kAdmitted);
  CHECK(caps.TryAcquire(Ip("10.0.0.1")) == CapVerdict::kPerAddress);
  CHECK(caps.TryAcquire(Ip("::ffff:10.0.0.1")) == CapVerdict::kPerAddress);
  // Neighbours in the same /24 are separate clients.
  CHECK(caps.TryAcquire(Ip("10.0.0.2")) == CapVerdict::kAdmitted);
  CHECK(caps.total() == 3);
  caps.Release(Ip("::ffff:10.0.0.1"));
  CHECK(caps.TryAcquire(Ip("10.0.0.1")) == CapVerdict::kAdmitted);
  CHECK(caps.total() == 3);
}

TEST_CASE("the addresses of one IPv6 /64 share its cap, each also capped on its own",
          "[rpc][limits]") {
  ConnectionCaps caps({/*per_address=*/2, /*per_ipv6_64=*/3, /*total=*/100});
  CHECK(caps.TryAcquire(Ip("2001:db8:0:1::1")) == CapVerdict::kAdmitted);
  CHECK(caps.TryAcquire(Ip("2001:db8:0:1::1")) == CapVerdict::kAdmitted);
  CHECK(caps.TryAcquire(Ip("2001:db8:0:1::1")) == CapVerdict::kPerAddress);
  CHECK(caps.TryAcquire(Ip("2001:db8:0:1::2")) == CapVerdict::kAdmitted);
  // The /64 is full: a fresh address in it is refused, one in the next /64 is not.
  CHECK(caps.TryAcquire(Ip("2001:db8:0:1:ffff::9")) == CapVerdict::kPerIpv6Prefix);
  CHECK(caps.TryAcquire(Ip("2001:db8:0:2::1")) == CapVerdict::kAdmitted);
  caps.Release(Ip("2001:db8:0:1::1"));
  CHECK(caps.TryAcquire(Ip("2001:db8:0:1:ffff::9")) == CapVerdict::kAdmitted);
  CHECK(caps.total() == 4);
}

TEST_CASE("the total connection cap refuses every address until one is released", "[rpc][limits]") {
  ConnectionCaps caps({/*per_address=*/10, /*per_ipv6_64=*/10, /*total=*/2});
  CHECK(caps.TryAcquire(Ip("10.0.0.1")) == CapVerdict::kAdmitted);
  CHECK(caps.TryAcquire(Ip("2001:db8::1")) == CapVerdict::kAdmitted);
  CHECK(caps.TryAcquire(Ip("10.0.0.3")) == CapVerdict::kTotal);
  CHECK(caps.TryAcquire(Ip("2001:db8:5::1")) == CapVerdict::kTotal);
  // Releasing an address that holds nothing changes nothing.
  caps.Release(Ip("10.9.9.9"));
  CHECK(caps.total() == 2);
  caps.Release(Ip("2001:db8::1"));
  CHECK(caps.TryAcquire(Ip("10.0.0.3")) == CapVerdict::kAdmitted);
}

TEST_CASE("a token bucket gives its burst at once, then tokens at its rate", "[rpc][limits]") {
  const auto t0 = LimitClock::time_point{} + 1000s;
  TokenBucket b({/*per_s=*/10, /*burst=*/3}, t0);
  CHECK(b.Take(t0) == LimitClock::duration::zero());
  CHECK(b.Take(t0) == LimitClock::duration::zero());
  CHECK(b.Take(t0) == LimitClock::duration::zero());
  const auto wait = b.Take(t0);
  CHECK(wait > 99ms);
  CHECK(wait <= 100ms);
  CHECK(b.Take(t0 + 50ms) > LimitClock::duration::zero());    // half a token
  CHECK(b.Take(t0 + 101ms) == LimitClock::duration::zero());  // one token back
  CHECK(b.Take(t0 + 101ms) > LimitClock::duration::zero());
  // Idle time refills up to the burst, no further.
  CHECK_FALSE(b.Full(t0 + 200ms));
  CHECK(b.Full(t0 + 10s));
  for (int i = 0; i < 3; ++i) CHECK(b.Take(t0 + 10s) == LimitClock::duration::zero());
  CHECK(b.Take(t0 + 10s) > LimitClock::duration::zero());
  // A clock read a little in the past takes nothing back.
  CHECK(b.Take(t0 + 9s) > LimitClock::duration::zero());
}

TEST_CASE("a cost above the burst is never paid and waits for a full bucket", "[rpc][limits]") {
  const auto t0 = LimitClock::time_point{} + 1000s;
  TokenBucket b({/*per_s=*/2, /*burst=*/4}, t0);
  const auto wait = b.Take(t0, 5);
  CHECK(wait > LimitClock::duration::zero());
  CHECK(b.Full(t0));  // nothing was taken
}

TEST_CASE("a client over its rate is told the whole seconds to wait, at least one",
          "[rpc][limits]") {
  RateLimitConfig c;
  c.tx_per_s = 0.25;  // one token every 4 s
  c.tx_burst = 1;
  c.block_ranges_per_s = 100;
  c.block_ranges_burst = 1;
  ClientLimiter l(c);
  const auto t0 = LimitClock::time_point{} + 1000s;
  const IpKey a = Ip("10.0.0.1");
  CHECK_FALSE(l.Take(a, Expense::kSubmitTx, t0));
  CHECK(l.Take(a, Expense::kSubmitTx, t0) == 4u);
  CHECK(l.Take(a, Expense::kSubmitTx, t0 + 2500ms) == 2u);  // 1.5 s, rounded up
  // The ranges bucket is separate and 10 ms from a token: still "1 s".
  CHECK_FALSE(l.Take(a, Expense::kBlockRange, t0));
  CHECK(l.Take(a, Expense::kBlockRange, t0) == 1u);
}

TEST_CASE("clients are limited apart, and the addresses of an IPv6 /64 are one client",
          "[rpc][limits]") {
  RateLimitConfig c;
  c.tx_per_s = 1;
  c.tx_burst = 2;
  ClientLimiter l(c);
  const auto t0 = LimitClock::time_point{} + 1000s;
  const IpKey v6a = ClientOf(Ip("2001:db8:0:1::1"));
  const IpKey v6b = ClientOf(Ip("2001:db8:0:1::2"));
  CHECK_FALSE(l.Take(v6a, Expense::kSubmitTx, t0));
  CHECK_FALSE(l.Take(v6b, Expense::kSubmitTx, t0));
  CHECK(l.Take(v6a, Expense::kSubmitTx, t0));  // the /64 spent its burst of 2
  CHECK_FALSE(l.Take(ClientOf(Ip("2001:db8:0:2::1")), Expense::kSubmitTx, t0));
  CHECK_FALSE(l.Take(Ip("10.0.0.1"), Expense::kSubmitTx, t0));
  CHECK_FALSE(l.Take(Ip("10.0.0.1"), Expense::kSubmitTx, t0));
  CHECK(l.Take(Ip("10.0.0.1"), Expense::kSubmitTx, t0));
  CHECK_FALSE(l.Take(Ip("10.0.0.2"), Expense::kSubmitTx, t0));
}

TEST_CASE("commit waits are capped per client and freed when released", "[rpc][limits]") {
  RateLimitConfig c;
  c.commit_waits_per_client = 2;
  ClientLimiter l(c);
  const IpKey a = Ip("10.0.0.1");
  CHECK(l.AcquireWait(a));
  CHECK(l.AcquireWait(a));
  CHECK_FALSE(l.AcquireWait(a));
  CHECK(l.AcquireWait(Ip("10.0.0.2")));
  l.ReleaseWait(a);
  CHECK(l.AcquireWait(a));
  CHECK_FALSE(l.AcquireWait(a));
}

TEST_CASE("idle clients are forgotten, busy ones and ones holding waits are kept",
          "[rpc][limits]") {
  RateLimitConfig c;
  c.tx_per_s = 1000;
  c.tx_burst = 10;
  ClientLimiter l(c);
  const auto t0 = LimitClock::time_point{} + 1000s;
  CHECK(l.AcquireWait(Ip("10.255.255.1")));
  // 1 + 1023 clients: the table reaches its first sweep mark without sweeping.
  for (uint32_t i = 0; i < 1023; ++i) {
    const std::array<uint8_t, 4> b = {10, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    CHECK_FALSE(l.Take(IpKeyFromV4(b), Expense::kSubmitTx, t0));
  }
  CHECK(l.tracked() == 1024);
  // A second later every bucket is full again: the next new client sweeps the idle ones.
  CHECK_FALSE(l.Take(Ip("10.255.255.2"), Expense::kSubmitTx, t0 + 1s));
  CHECK(l.tracked() == 2);
}

TEST_CASE("the work pool runs queued work and refuses work beyond its queue", "[rpc][limits]") {
  WorkPool pool({/*threads=*/1, /*max_queued=*/2});
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> started{0}, done{0};
  auto blocker = [&] {
    ++started;
    released.wait();
    ++done;
  };
  REQUIRE(pool.TryPost(blocker));
  for (int i = 0; i < 200 && started == 0; ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(started == 1);  // the only thread is busy: the next ones queue
  CHECK(pool.TryPost([&] { ++done; }));
  CHECK(pool.TryPost([&] { ++done; }));
  CHECK_FALSE(pool.TryPost([&] { ++done; }));
  release.set_value();
  for (int i = 0; i < 200 && done < 3; ++i) std::this_thread::sleep_for(5ms);
  CHECK(done == 3);
  CHECK(pool.TryPost([&] { ++done; }));
  for (int i = 0; i < 200 && done < 4; ++i) std::this_thread::sleep_for(5ms);
  CHECK(done == 4);
  pool.Stop();
  CHECK_FALSE(pool.TryPost([&] { ++done; }));
}

}  // namespace
}  // namespace laurel::rpc

#include "rpc/limits.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>

namespace laurel::rpc {

IpKey IpKeyFromV4(const std::array<uint8_t, 4>& b) {
  IpKey k;
  k.bytes[10] = 0xff;
  k.bytes[11] = 0xff;
  std::copy(b.begin(), b.end(), k.bytes.begin() + 12);
  k.v4 = true;
  return k;
}

IpKey IpKeyFromV6(const std::array<uint8_t, 16>& b) {
  static constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0,    0,
                                                            0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), b.begin())) {
    return IpKeyFromV4({b[12], b[13], b[14], b[15]});
  }
  IpKey k;
  k.bytes = b;
  return k;
}

std::optional<IpKey> ParseIp(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  const std::string s(text);
  std::array<uint8_t, 4> v4{};
  if (::inet_pton(AF_INET, s.c_str(), v4.data()) == 1) return IpKeyFromV4(v4);
  std::array<uint8_t, 16> v6{};
  if (::inet_pton(AF_INET6, s.c_str(), v6.data()) == 1) return IpKeyFromV6(v6);
  return std::nullopt;
}

IpKey ClientOf(const IpKey& address) {
  if (address.v4) return address;
  IpKey k = address;
  std::fill(k.bytes.begin() + 8, k.bytes.end(), uint8_t{0});
  return k;
}

std::string AddressText(const IpKey& address) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (address.v4) {
    ::inet_ntop(AF_INET, address.bytes.data() + 12, buf, sizeof buf);
  } else {
    ::inet_ntop(AF_INET6, address.bytes.data(), buf, sizeof buf);
  }
  return buf;
}

// ---- ConnectionCaps ---------------------------------------------------------------------------

CapVerdict ConnectionCaps::TryAcquire(const IpKey& address) {
  std::lock_guard lock(mu_);
  if (total_ >= config_.total) return CapVerdict::kTotal;
  auto a = per_address_.find(address);
  if (a != per_address_.end() && a->second >= config_.per_address) return CapVerdict::kPerAddress;
  if (!address.v4) {
    auto p = per_prefix_.find(ClientOf(address));
    if (p != per_prefix_.end() && p->second >= config_.per_ipv6_64) {
      return CapVerdict::kPerIpv6Prefix;
    }
  }
  ++per_address_[address];
  if (!address.v4) ++per_prefix_[ClientOf(address)];
  ++total_;
  return CapVerdict::kAdmitted;
}

void ConnectionCaps::Release(const IpKey& address) {
  std::lock_guard lock(mu_);
  auto a = per_address_.find(address);
  if (a == per_address_.end()) return;  // never admitted: nothing to undo
  if (--a->second == 0) per_address_.erase(a);
  if (!address.v4) {
    auto p = per_prefix_.find(ClientOf(address));
    if (p != per_prefix_.end() && --p->second == 0) per_prefix_.erase(p);
  }
  --total_;
}

size_t ConnectionCaps::total() const {
  std::lock_guard lock(mu_);
  return total_;
}

// ---- TokenBucket ------------------------------------------------------------------------------

TokenBucket::TokenBucket(BucketRate rate, LimitClock::time_point now)
    : rate_(rate.per_s), burst_(rate.burst), tokens_(rate.burst), last_(now) {}

void TokenBucket::Refill(LimitClock::time_point now) {
  if (now <= last_) return;  // a clock read on another thread may be a little older
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
  last_ = now;
}

LimitClock::duration TokenBucket::Take(LimitClock::time_point now, double cost) {
  Refill(now);
  if (cost <= tokens_) {
    tokens_ -= cost;
    return LimitClock::duration::zero();
  }
  const double missing = std::min(cost, burst_) - tokens_;
  const double seconds = rate_ > 0 ? missing / rate_ : 3600.0;
  return std::max<LimitClock::duration>(
      std::chrono::duration_cast<LimitClock::duration>(std::chrono::duration<double>(seconds)),
      LimitClock::duration(1));
}

bool TokenBucket::Full(LimitClock::time_point now) const {
  const double elapsed = now > last_ ? std::chrono::duration<double>(now - last_).count() : 0.0;
  return tokens_ + elapsed * rate_ >= burst_;
}

// ---- ClientLimiter ----------------------------------------------------------------------------

ClientLimiter::Client& ClientLimiter::Find(const IpKey& client, LimitClock::time_point now) {
  auto it = clients_.find(client);
  if (it != clients_.end()) return it->second;
  if (clients_.size() >= sweep_at_) Sweep(now);
  return clients_
      .emplace(
          client,
          Client{TokenBucket({config_.tx_per_s, config_.tx_burst}, now),
                 TokenBucket({config_.block_ranges_per_s, config_.block_ranges_burst}, now), 0})
      .first->second;
}

void ClientLimiter::Sweep(LimitClock::time_point now) {
  for (auto it = clients_.begin(); it != clients_.end();) {
    const Client& c = it->second;
    if (c.waits == 0 && c.tx.Full(now) && c.ranges.Full(now)) {
      it = clients_.erase(it);
    } else {
      ++it;
    }
  }
  // Amortised: the next sweep comes after as many new clients as survived this one.
  sweep_at_ = std::max<size_t>(1024, 2 * clients_.size());
}

std::optional<uint32_t> ClientLimiter::Take(const IpKey& client, Expense e,
                                            LimitClock::time_point now, double cost) {
  std::lock_guard lock(mu_);
  Client& c = Find(client, now);
  TokenBucket& bucket = e == Expense::kSubmitTx ? c.tx : c.ranges;
  const double burst =
      e == Expense::kSubmitTx ? config_.tx_burst : config_.block_ranges_burst;
  const LimitClock::duration wait = bucket.Take(now, std::clamp(cost, 1.0, burst));
  if (wait == LimitClock::duration::zero()) return std::nullopt;
  const double seconds = std::ceil(std::chrono::duration<double>(wait).count());
  return static_cast<uint32_t>(std::clamp(seconds, 1.0, 3600.0));
}

bool ClientLimiter::AcquireWait(const IpKey& client) {
  std::lock_guard lock(mu_);
  Client& c = Find(client, LimitClock::now());
  if (c.waits >= config_.commit_waits_per_client) return false;
  ++c.waits;
  return true;
}

void ClientLimiter::ReleaseWait(const IpKey& client) {
  std::lock_guard lock(mu_);
  auto it = clients_.find(client);
  if (it != clients_.end() && it->second.waits > 0) --it->second.waits;
}

size_t ClientLimiter::tracked() const {
  std::lock_guard lock(mu_);
  return clients_.size();
}

// ---- WorkPool -----------------------------------------------------------------------------------

WorkPool::WorkPool(WorkPoolConfig config) : max_queued_(config.max_queued) {
  threads_.reserve(config.threads);
  for (size_t i = 0; i < config.threads; ++i) threads_.emplace_back([this] { Loop(); });
}

WorkPool::~WorkPool() { Stop(); }

bool WorkPool::TryPost(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (stopped_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(fn));
  }
  cv_.notify_one();
  return true;
}

void WorkPool::Stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    dropped.swap(queue_);
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  // `dropped` is destroyed here, outside the lock: its captures may release other things.
}

void WorkPool::Loop() {
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
      if (stopped_) return;
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      fn();
    } catch (...) {
      // The functions answer their own errors (Guarded); nothing may end a pool thread.
    }
  }
}

}  // namespace laurel::rpc

// Helpers shared by the route files of rpc/ (internal).
#pragma once

#include <charconv>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/metrics.h"
#include "node/node_api.h"
#include "rpc/limits.h"
#include "rpc/router.h"
#include "rpc/routes.h"

namespace laurel::rpc {

// Pagination of list routes: ?limit= (default, maximum) and ?page_token=.
inline constexpr uint64_t kDefaultPageLimit = 100;
inline constexpr uint64_t kMaxPageLimit = 1000;

// Runs `fn`, turning an exception into a 500 so that none escapes into a node thread.
template <class Fn>
void Guarded(const Responder& respond, Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    respond(ErrorResponse(500, "INTERNAL", std::string("internal error: ") + e.what()));
  } catch (...) {
    respond(ErrorResponse(500, "INTERNAL", "internal error"));
  }
}

// ---- limits (rpc/limits.h) ----

// 429 with Retry-After: `retry_after_s`.
HttpResponse TooManyRequests(std::string_view code, std::string_view message,
                             uint32_t retry_after_s);
// Spends `cost` (one, or a batch's transactions) of `e` of the request's client. False after
// answering 429 RATE_LIMITED.
bool SpendOrRefuse(const RouteLimits& limits, const HttpRequest& req, Expense e,
                   const Responder& respond, double cost = 1);
// Runs `fn` on the work pool (at once, on this thread, without one). False after answering 429
// BUSY when the pool's queue is full (or 503 when it is stopped).
bool RunExpensive(const RouteLimits& limits, std::function<void()> fn, const Responder& respond);

// One counted commit wait of a client, released when the last copy goes away.
class WaitSlot {
 public:
  // A slot for the request's client; nullptr after answering 429 TOO_MANY_WAITS. Without a
  // limiter or a client address, a slot that counts nothing.
  static std::shared_ptr<WaitSlot> Acquire(const RouteLimits& limits, const HttpRequest& req,
                                           const Responder& respond);
  WaitSlot(std::shared_ptr<ClientLimiter> limiter, IpKey client)
      : limiter_(std::move(limiter)), client_(client) {}
  ~WaitSlot() {
    if (limiter_) limiter_->ReleaseWait(client_);
  }
  WaitSlot(const WaitSlot&) = delete;
  WaitSlot& operator=(const WaitSlot&) = delete;

 private:
  std::shared_ptr<ClientLimiter> limiter_;
  IpKey client_;
};

// A decimal uint64 with nothing else around it.
inline std::optional<uint64_t> ParseU64(std::string_view s) {
  uint64_t v = 0;
  if (s.empty() || s.size() > 20) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// The RPC layer's metric series.
struct RpcMetrics {
  metrics::Family<metrics::Counter>& verify;          // laurel_verify_total{reason}
  metrics::Family<metrics::Histogram>& rpc_duration;  // {route}
  metrics::Gauge& height;
  metrics::Gauge& round;
  metrics::Gauge& mempool_txs;
  metrics::Gauge& mempool_bytes;
  metrics::Gauge& peers;
  metrics::Gauge& ready;
  metrics::Family<metrics::Counter>& console_requests;  // {status}

  static RpcMetrics Register(metrics::Registry& r);
};

// The ledger read routes (routes_ledger.cpp): verify, credentials, issuers, history.
void AddLedgerRoutes(Router& r, node::NodeApi& node, const RpcMetrics& m);

}  // namespace laurel::rpc

// Helpers shared by the route files of rpc/ (internal).
#pragma once

#include <charconv>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "common/metrics.h"
#include "node/node_api.h"
#include "rpc/router.h"

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

  static RpcMetrics Register(metrics::Registry& r);
};

// The ledger read routes (routes_ledger.cpp): verify, credentials, issuers, history.
void AddLedgerRoutes(Router& r, node::NodeApi& node, const RpcMetrics& m);

}  // namespace laurel::rpc

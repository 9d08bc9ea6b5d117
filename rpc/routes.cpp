#include "rpc/routes.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "rpc/convert.h"
#include "rpc/json_util.h"
#include "types/tx.h"

namespace laurel::rpc {
namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kProtobuf = "application/x-protobuf";

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
std::optional<uint64_t> ParseU64(std::string_view s) {
  uint64_t v = 0;
  if (s.empty() || s.size() > 20) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

HttpResponse PendingResponse(int status, const Hash32& tx_id, node::AdmitCode admission) {
  return JsonResponse(
      status,
      {{"tx_id", HashHex(tx_id)}, {"status", "pending"}, {"admission", AdmitName(admission)}});
}

// ---- POST /v1/txs ----------------------------------------------------------------------

void RespondToAdmission(node::NodeApi& node, const Hash32& tx_id, bool wait,
                        std::chrono::milliseconds timeout, const Responder& respond,
                        const node::AdmitResult& r) {
  using node::AdmitCode;
  switch (r.code) {
    case AdmitCode::kAccepted:
    case AdmitCode::kAlreadyKnown: {
      if (!wait) {
        respond(PendingResponse(202, tx_id, r.code));
        return;
      }
      node.WaitForCommit(
          tx_id, timeout, [tx_id, timeout, respond](std::optional<storage::TxLocation> loc) {
            Guarded(respond, [&] {
              if (loc) {
                respond(JsonResponse(200, CommittedTxJson(tx_id, *loc)));
                return;
              }
              respond(JsonResponse(504, {{"code", "TIMEOUT"},
                                         {"message", "not committed within " +
                                                         std::to_string(timeout.count()) + " ms"},
                                         {"tx_id", HashHex(tx_id)},
                                         {"status", "pending"}}));
            });
          });
      return;
    }
    case AdmitCode::kCommitted: {
      if (auto loc = node.store().GetTxLocation(tx_id)) {
        respond(JsonResponse(200, CommittedTxJson(tx_id, *loc)));
      } else {
        respond(JsonResponse(200, {{"tx_id", HashHex(tx_id)}, {"status", "committed"}}));
      }
      return;
    }
    case AdmitCode::kInvalid:
      respond(JsonResponse(400, {{"code", "INVALID_TX"},
                                 {"message", r.message},
                                 {"tx_code", ledger::TxCodeName(r.tx_code)},
                                 {"tx_id", HashHex(tx_id)}}));
      return;
    case AdmitCode::kMempoolFull: {
      HttpResponse resp = ErrorResponse(
          429, "MEMPOOL_FULL", r.message.empty() ? "mempool full; retry later" : r.message);
      resp.headers.emplace_back("Retry-After", "1");
      respond(std::move(resp));
      return;
    }
    case AdmitCode::kTooLarge:
      respond(ErrorResponse(413, "TX_TOO_LARGE", r.message));
      return;
    case AdmitCode::kNotReady:
      respond(ErrorResponse(503, "NOT_READY", r.message.empty() ? "node is syncing" : r.message));
      return;
  }
  respond(ErrorResponse(500, "INTERNAL", "unknown admission result"));
}

void HandleSubmitTx(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  bool wait = false;
  if (auto w = req.Query("wait")) {
    if (*w == "commit") {
      wait = true;
    } else if (!w->empty() && *w != "none") {
      respond(ErrorResponse(400, "BAD_REQUEST", "wait must be 'commit' or 'none'"));
      return;
    }
  }
  uint64_t timeout_ms = kDefaultCommitWaitMs;
  if (auto t = req.Query("timeout_ms")) {
    auto v = ParseU64(*t);
    if (!v) {
      respond(ErrorResponse(400, "BAD_REQUEST", "timeout_ms must be a non-negative integer"));
      return;
    }
    timeout_ms = std::min(*v, kMaxCommitWaitMs);
  }
  if (!req.has_body_framing) {
    respond(ErrorResponse(411, "LENGTH_REQUIRED", "a Content-Length is required"));
    return;
  }

  Bytes wire;
  if (req.content_type == kJson) {
    auto r = TxWireFromJson(req.body);
    if (!r.ok()) {
      respond(ErrorResponse(400, "MALFORMED_BODY", r.status().message()));
      return;
    }
    wire = std::move(r).value();
  } else if (req.content_type == kProtobuf) {
    wire = ToBytes(req.body);
  } else {
    respond(ErrorResponse(415, "UNSUPPORTED_MEDIA_TYPE",
                          "Content-Type must be application/json or application/x-protobuf"));
    return;
  }
  if (wire.size() > types::kMaxTxBytes) {
    respond(
        ErrorResponse(413, "TX_TOO_LARGE",
                      "a transaction is at most " + std::to_string(types::kMaxTxBytes) + " bytes"));
    return;
  }
  auto tx = types::DecodeTx(wire);
  if (!tx.ok()) {
    respond(ErrorResponse(400, "MALFORMED_BODY", tx.status().message()));
    return;
  }
  const Hash32 tx_id = types::TxId(*tx);
  const std::chrono::milliseconds timeout(timeout_ms);
  node.SubmitTx(std::move(tx).value(), [&node, tx_id, wait, timeout, respond](node::AdmitResult r) {
    Guarded(respond, [&] { RespondToAdmission(node, tx_id, wait, timeout, respond, r); });
  });
}

// ---- GET /v1/txs/{tx_id} ---------------------------------------------------------------

void HandleGetTx(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  auto tx_id = HexDecode32(req.Param("tx_id"));
  if (!tx_id) {
    respond(ErrorResponse(400, "BAD_TX_ID", "tx_id must be 64 hex characters"));
    return;
  }
  if (auto loc = node.store().GetTxLocation(*tx_id)) {
    respond(JsonResponse(200, CommittedTxJson(*tx_id, *loc)));
  } else if (node.IsPending(*tx_id)) {
    respond(JsonResponse(200, {{"tx_id", HashHex(*tx_id)}, {"status", "pending"}}));
  } else {
    respond(ErrorResponse(404, "NOT_FOUND", "unknown transaction " + HashHex(*tx_id)));
  }
}

// ---- GET /v1/blocks/... ----------------------------------------------------------------

void RespondWithBlock(node::NodeApi& node, uint64_t height, const HttpRequest& req,
                      const Responder& respond) {
  auto block = node.store().GetBlock(height);
  if (!block.ok()) {
    respond(ErrorResponse(500, "STORE_ERROR", block.status().ToString()));
    return;
  }
  if (!block->has_value()) {
    respond(ErrorResponse(404, "NOT_FOUND", "no block at height " + std::to_string(height)));
    return;
  }
  if (req.Accepts(kProtobuf)) {
    HttpResponse r;
    r.content_type = std::string(kProtobuf);
    r.body = BlockProtoBytes(**block);
    respond(std::move(r));
    return;
  }
  respond(JsonResponse(200, BlockJson(**block)));
}

void HandleLatestBlock(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  const storage::Store& store = node.store();
  if (store.Empty()) {
    respond(ErrorResponse(404, "NOT_FOUND", "no block committed yet"));
    return;
  }
  RespondWithBlock(node, store.Height(), req, respond);
}

void HandleBlockAt(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  auto height = ParseU64(req.Param("height"));
  if (!height) {
    respond(ErrorResponse(400, "BAD_HEIGHT", "height must be a non-negative integer"));
    return;
  }
  RespondWithBlock(node, *height, req, respond);
}

}  // namespace

const char* AdmitName(node::AdmitCode c) {
  switch (c) {
    case node::AdmitCode::kAccepted:
      return "ACCEPTED";
    case node::AdmitCode::kAlreadyKnown:
      return "ALREADY_KNOWN";
    case node::AdmitCode::kCommitted:
      return "COMMITTED";
    case node::AdmitCode::kInvalid:
      return "INVALID";
    case node::AdmitCode::kMempoolFull:
      return "MEMPOOL_FULL";
    case node::AdmitCode::kTooLarge:
      return "TOO_LARGE";
    case node::AdmitCode::kNotReady:
      return "NOT_READY";
  }
  return "UNKNOWN";
}

Router BuildRouter(node::NodeApi& node) {
  Router r;
  // Each handler gets the node by reference; BuildRouter's caller keeps it alive.
  auto bind = [&node](void (*fn)(node::NodeApi&, const HttpRequest&, const Responder&)) {
    return
        [&node, fn](const HttpRequest& req, const Responder& respond) { fn(node, req, respond); };
  };
  r.Add("POST", "/v1/txs", bind(&HandleSubmitTx));
  r.Add("GET", "/v1/txs/{tx_id}", bind(&HandleGetTx));
  r.Add("GET", "/v1/blocks/latest", bind(&HandleLatestBlock));
  r.Add("GET", "/v1/blocks/{height}", bind(&HandleBlockAt));
  r.Add("GET", "/v1/status", [&node](const HttpRequest&, const Responder& respond) {
    respond(JsonResponse(200, StatusJson(node.Status())));
  });
  r.Add("GET", "/healthz",
        [](const HttpRequest&, const Responder& respond) { respond(TextResponse(200, "ok")); });
  r.Add("GET", "/readyz", [&node](const HttpRequest&, const Responder& respond) {
    if (node.Ready()) {
      respond(TextResponse(200, "ready"));
    } else {
      respond(ErrorResponse(503, "NOT_READY", "node is not ready (syncing)"));
    }
  });
  AddChainRoutes(r, node);
  return r;
}

}  // namespace laurel::rpc

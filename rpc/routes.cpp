#include "rpc/routes.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/metrics.h"
#include "laurel/v1/api.pb.h"
#include "ledger/codes.h"
#include "node/node_metrics.h"
#include "rpc/convert.h"
#include "rpc/json_util.h"
#include "rpc/receipts.h"
#include "rpc/txlog.h"
#include "rpc/routes_internal.h"
#include "types/tx.h"

namespace laurel::rpc {
namespace {

constexpr std::string_view kJson = kJsonMediaType;
constexpr std::string_view kProtobuf = kProtobufMediaType;

HttpResponse PendingResponse(int status, const Hash32& tx_id, node::AdmitCode admission,
                             const HttpRequest& req) {
  auto v = PendingTxView(tx_id);
  v.set_admission(AdmitName(admission));
  return MessageResponse(status, v, req);
}

// ---- POST /v1/txs ----------------------------------------------------------------------

// The error answer of an admission that did not accept the tx (status, code, message); shared
// by POST /v1/txs and each item of POST /v1/txs:batch.
struct Refusal {
  int status;
  std::string code;
  std::string message;
};

Refusal RefusalOf(const node::AdmitResult& r) {
  using node::AdmitCode;
  switch (r.code) {
    case AdmitCode::kInvalid:
      return {400, "INVALID_TX", r.message};
    case AdmitCode::kMempoolFull:
      return {429, "MEMPOOL_FULL", r.message.empty() ? "mempool full; retry later" : r.message};
    case AdmitCode::kSignerQuota:
      return {429, "SIGNER_QUOTA", r.message};
    case AdmitCode::kExpiryTooFar:
      return {400, "EXPIRY_TOO_FAR", r.message};
    case AdmitCode::kTooLarge:
      return {413, "TX_TOO_LARGE", r.message};
    case AdmitCode::kNotReady:
      return {503, "NOT_READY", r.message.empty() ? "node is syncing" : r.message};
    default:
      return {500, "INTERNAL", "unknown admission result"};
  }
}

void RespondToAdmission(node::NodeApi& node, const HttpRequest& req, const Hash32& tx_id,
                        bool wait, std::chrono::milliseconds timeout, const Responder& respond,
                        const node::AdmitResult& r) {
  using node::AdmitCode;
  switch (r.code) {
    case AdmitCode::kAccepted:
    case AdmitCode::kAlreadyKnown: {
      if (!wait) {
        respond(PendingResponse(202, tx_id, r.code, req));
        return;
      }
      node.WaitForCommit(
          tx_id, timeout,
          [tx_id, timeout, respond, req](std::optional<storage::TxLocation> loc) {
            Guarded(respond, [&] {
              if (loc) {
                respond(MessageResponse(200, CommittedTxView(tx_id, *loc), req));
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
        respond(MessageResponse(200, CommittedTxView(tx_id, *loc), req));
      } else {
        auto v = PendingTxView(tx_id);
        v.set_status("committed");
        respond(MessageResponse(200, v, req));
      }
      return;
    }
    default:
      break;
  }
  const Refusal f = RefusalOf(r);
  if (r.code == AdmitCode::kInvalid) {
    respond(JsonResponse(f.status, {{"code", f.code},
                                    {"message", f.message},
                                    {"tx_code", ledger::TxCodeName(r.tx_code)},
                                    {"tx_id", HashHex(tx_id)}}));
    return;
  }
  HttpResponse resp = ErrorResponse(f.status, f.code, f.message);
  if (f.status == 429) resp.headers.emplace_back("Retry-After", "1");
  respond(std::move(resp));
}

// Decodes the body and hands the tx to the node; runs on the work pool (signature checks are
// done inside SubmitTx, on this thread). `slot` is held until the answer is given.
void DecodeAndSubmit(node::NodeApi& node, const HttpRequest& req, bool wait,
                     std::chrono::milliseconds timeout, const Responder& respond,
                     std::shared_ptr<WaitSlot> slot) {
  Bytes wire;
  if (req.content_type == kJson) {
    auto r = TxWireFromJson(req.body);
    if (!r.ok()) {
      respond(ErrorResponse(400, "MALFORMED_BODY", r.status().message()));
      return;
    }
    wire = std::move(r).value();
  } else {
    wire = ToBytes(req.body);
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
  // The request travels with the callbacks (its Accept header decides the answer's form); the
  // body is not needed any more.
  HttpRequest head = req;
  head.body.clear();
  node.SubmitTx(std::move(tx).value(), [&node, head = std::move(head), tx_id, wait, timeout,
                                        respond, slot = std::move(slot)](node::AdmitResult r) {
    Guarded(respond, [&] {
      // The wait slot goes with the commit wait, or is released when this callback goes.
      const Responder answer = [respond, slot](HttpResponse resp) { respond(std::move(resp)); };
      RespondToAdmission(node, head, tx_id, wait, timeout, answer, r);
    });
  });
}

// ?wait= and ?timeout_ms= of the submit routes, and the body's framing and media type. False
// after answering 400/411/415.
bool ParseSubmitRequest(const HttpRequest& req, bool* wait, uint64_t* timeout_ms,
                        const Responder& respond) {
  *wait = false;
  if (auto w = req.Query("wait")) {
    if (*w == "commit") {
      *wait = true;
    } else if (!w->empty() && *w != "none") {
      respond(ErrorResponse(400, "BAD_REQUEST", "wait must be 'commit' or 'none'"));
      return false;
    }
  }
  *timeout_ms = kDefaultCommitWaitMs;
  if (auto t = req.Query("timeout_ms")) {
    auto v = ParseU64(*t);
    if (!v) {
      respond(ErrorResponse(400, "BAD_REQUEST", "timeout_ms must be a non-negative integer"));
      return false;
    }
    *timeout_ms = std::min(*v, kMaxCommitWaitMs);
  }
  if (!req.has_body_framing) {
    respond(ErrorResponse(411, "LENGTH_REQUIRED", "a Content-Length is required"));
    return false;
  }
  if (req.content_type != kJson && req.content_type != kProtobuf) {
    respond(ErrorResponse(415, "UNSUPPORTED_MEDIA_TYPE",
                          "Content-Type must be application/json or application/x-protobuf"));
    return false;
  }
  return true;
}

void HandleSubmitTx(node::NodeApi& node, const RouteLimits& limits, const HttpRequest& req,
                    const Responder& respond) {
  bool wait = false;
  uint64_t timeout_ms = 0;
  if (!ParseSubmitRequest(req, &wait, &timeout_ms, respond)) return;
  if (!SpendOrRefuse(limits, req, Expense::kSubmitTx, respond)) return;
  std::shared_ptr<WaitSlot> slot;
  if (wait) {
    slot = WaitSlot::Acquire(limits, req, respond);
    if (!slot) return;
  }
  const std::chrono::milliseconds timeout(timeout_ms);
  auto shared_req = std::make_shared<const HttpRequest>(req);
  RunExpensive(
      limits,
      [&node, shared_req, wait, timeout, respond, slot]() mutable {
        Guarded(respond, [&] {
          DecodeAndSubmit(node, *shared_req, wait, timeout, respond, std::move(slot));
        });
      },
      respond);
}

// ---- POST /v1/txs:batch ----------------------------------------------------------------

// The answers of one batch, filled in by the node's callbacks (any thread); the last one to
// finish sends the TxBatchResult.
class BatchCollector {
 public:
  BatchCollector(size_t n, HttpRequest head, Responder respond, std::shared_ptr<WaitSlot> slot)
      : items_(n), left_(n), head_(std::move(head)), respond_(std::move(respond)),
        slot_(std::move(slot)) {
    for (size_t i = 0; i < n; ++i) items_[i].set_index(static_cast<uint32_t>(i));
  }

  // Sets item `i` (once) and answers when it was the last.
  void Done(size_t i, ::laurel::v1::TxBatchItem item) {
    bool last = false;
    {
      std::lock_guard lock(mu_);
      item.set_index(static_cast<uint32_t>(i));
      items_[i] = std::move(item);
      last = --left_ == 0;
    }
    if (last) Finish();
  }

 private:
  void Finish() {
    ::laurel::v1::TxBatchResult out;
    bool retry = false;
    for (auto& item : items_) {
      if (item.http_status() / 100 == 2) {
        out.set_accepted(out.accepted() + 1);
      } else {
        out.set_refused(out.refused() + 1);
      }
      retry = retry || item.http_status() == 429;
      *out.add_results() = std::move(item);
    }
    HttpResponse resp = MessageResponse(200, out, head_);
    if (retry) resp.headers.emplace_back("Retry-After", "1");
    respond_(std::move(resp));
    slot_.reset();
  }

  std::mutex mu_;
  std::vector<::laurel::v1::TxBatchItem> items_;
  size_t left_;
  const HttpRequest head_;
  const Responder respond_;
  std::shared_ptr<WaitSlot> slot_;
};

::laurel::v1::TxBatchItem CommittedItem(const Hash32& tx_id, const storage::TxLocation& loc) {
  ::laurel::v1::TxBatchItem item;
  item.set_tx_id(HashHex(tx_id));
  item.set_status("committed");
  item.set_http_status(200);
  item.set_height(loc.height);
  item.set_position(loc.position);
  item.set_result(ledger::TxCodeName(loc.code));
  return item;
}

::laurel::v1::TxBatchItem RefusedItem(const std::string& tx_id, int status, std::string code,
                                      std::string message) {
  ::laurel::v1::TxBatchItem item;
  item.set_tx_id(tx_id);
  item.set_status("refused");
  item.set_http_status(static_cast<uint32_t>(status));
  item.set_code(std::move(code));
  item.set_message(std::move(message));
  return item;
}

// Item `i`'s answer for the node's admission result (and commit wait), as POST /v1/txs gives.
void CollectAdmission(node::NodeApi& node, const std::shared_ptr<BatchCollector>& batch, size_t i,
                      const Hash32& tx_id, bool wait, std::chrono::milliseconds timeout,
                      const node::AdmitResult& r) {
  using node::AdmitCode;
  switch (r.code) {
    case AdmitCode::kAccepted:
    case AdmitCode::kAlreadyKnown: {
      if (!wait) {
        ::laurel::v1::TxBatchItem item;
        item.set_tx_id(HashHex(tx_id));
        item.set_status("pending");
        item.set_http_status(202);
        item.set_admission(AdmitName(r.code));
        batch->Done(i, std::move(item));
        return;
      }
      const std::string admission = AdmitName(r.code);
      node.WaitForCommit(tx_id, timeout,
                         [batch, i, tx_id, timeout, admission](
                             std::optional<storage::TxLocation> loc) {
                           if (loc) {
                             auto item = CommittedItem(tx_id, *loc);
                             item.set_admission(admission);
                             batch->Done(i, std::move(item));
                             return;
                           }
                           auto item = RefusedItem(HashHex(tx_id), 504, "TIMEOUT",
                                                   "not committed within " +
                                                       std::to_string(timeout.count()) + " ms");
                           item.set_status("pending");
                           item.set_admission(admission);
                           batch->Done(i, std::move(item));
                         });
      return;
    }
    case AdmitCode::kCommitted: {
      ::laurel::v1::TxBatchItem item;
      if (auto loc = node.store().GetTxLocation(tx_id)) {
        item = CommittedItem(tx_id, *loc);
      } else {
        item.set_tx_id(HashHex(tx_id));
        item.set_status("committed");
        item.set_http_status(200);
      }
      item.set_admission(AdmitName(r.code));
      batch->Done(i, std::move(item));
      return;
    }
    default:
      break;
  }
  const Refusal f = RefusalOf(r);
  auto item = RefusedItem(HashHex(tx_id), f.status, f.code, f.message);
  if (r.code == AdmitCode::kInvalid) item.set_tx_code(ledger::TxCodeName(r.tx_code));
  batch->Done(i, std::move(item));
}

// Decodes each tx of the batch and hands it to the node, on the work pool. A tx that does not
// decode, or is too large, is answered for itself; the others go on.
void SubmitBatch(node::NodeApi& node, ::laurel::v1::TxBatch batch_msg, const HttpRequest& head,
                 bool wait, std::chrono::milliseconds timeout, const Responder& respond,
                 std::shared_ptr<WaitSlot> slot) {
  const size_t n = static_cast<size_t>(batch_msg.txs_size());
  auto batch = std::make_shared<BatchCollector>(n, head, respond, std::move(slot));
  for (size_t i = 0; i < n; ++i) {
    std::string wire;
    batch_msg.txs(static_cast<int>(i)).SerializeToString(&wire);
    if (wire.size() > types::kMaxTxBytes) {
      batch->Done(i, RefusedItem("", 413, "TX_TOO_LARGE",
                                 "a transaction is at most " +
                                     std::to_string(types::kMaxTxBytes) + " bytes"));
      continue;
    }
    auto tx = types::DecodeTx(ToBytes(wire));
    if (!tx.ok()) {
      batch->Done(i, RefusedItem("", 400, "MALFORMED_BODY", tx.status().message()));
      continue;
    }
    const Hash32 tx_id = types::TxId(*tx);
    node.SubmitTx(std::move(tx).value(),
                  [&node, batch, i, tx_id, wait, timeout](node::AdmitResult r) {
                    try {
                      CollectAdmission(node, batch, i, tx_id, wait, timeout, r);
                    } catch (const std::exception& e) {
                      batch->Done(i, RefusedItem(HashHex(tx_id), 500, "INTERNAL",
                                                 std::string("internal error: ") + e.what()));
                    }
                  });
  }
}

void HandleSubmitBatch(node::NodeApi& node, const RouteLimits& limits, const HttpRequest& req,
                       const Responder& respond) {
  bool wait = false;
  uint64_t timeout_ms = 0;
  if (!ParseSubmitRequest(req, &wait, &timeout_ms, respond)) return;
  ::laurel::v1::TxBatch batch;
  if (auto bad = ParseBody(req, &batch)) {
    respond(std::move(*bad));
    return;
  }
  if (batch.txs_size() == 0) {
    respond(ErrorResponse(400, "EMPTY_BATCH", "a batch needs at least one transaction in txs"));
    return;
  }
  if (static_cast<size_t>(batch.txs_size()) > limits.max_batch_txs) {
    respond(ErrorResponse(413, "TOO_MANY_TXS",
                          "a batch holds at most " + std::to_string(limits.max_batch_txs) +
                              " transactions ([rpc] max_batch_txs); this one has " +
                              std::to_string(batch.txs_size())));
    return;
  }
  if (!SpendOrRefuse(limits, req, Expense::kSubmitTx, respond,
                     static_cast<double>(batch.txs_size()))) {
    return;
  }
  std::shared_ptr<WaitSlot> slot;
  if (wait) {
    slot = WaitSlot::Acquire(limits, req, respond);
    if (!slot) return;
  }
  const std::chrono::milliseconds timeout(timeout_ms);
  HttpRequest head = req;
  head.body.clear();
  auto shared = std::make_shared<std::pair<HttpRequest, ::laurel::v1::TxBatch>>(
      std::move(head), std::move(batch));
  RunExpensive(
      limits,
      [&node, shared, wait, timeout, respond, slot]() mutable {
        Guarded(respond, [&] {
          SubmitBatch(node, std::move(shared->second), shared->first, wait, timeout, respond,
                      std::move(slot));
        });
      },
      respond);
}

// ---- GET /v1/txs/{tx_id} ---------------------------------------------------------------

void HandleGetTx(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  auto tx_id = HexDecode32(req.Param("tx_id"));
  if (!tx_id) {
    respond(ErrorResponse(400, "BAD_TX_ID", "tx_id must be 64 hex characters"));
    return;
  }
  if (auto loc = node.store().GetTxLocation(*tx_id)) {
    respond(MessageResponse(200, CommittedTxView(*tx_id, *loc), req));
  } else if (node.IsPending(*tx_id)) {
    respond(MessageResponse(200, PendingTxView(*tx_id), req));
  } else {
    respond(ErrorResponse(404, "NOT_FOUND", "unknown transaction " + HashHex(*tx_id)));
  }
}

void HandleGetReceipt(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  auto tx_id = HexDecode32(req.Param("tx_id"));
  if (!tx_id) {
    respond(ErrorResponse(400, "BAD_TX_ID", "tx_id must be 64 hex characters"));
    return;
  }
  respond(ReceiptAnswer(node.store(), *tx_id, node.IsPending(*tx_id), req));
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
  respond(MessageResponse(200, BlockViewOf(**block), req));
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

// ---- limits -------------------------------------------------------------------------------------

HttpResponse TooManyRequests(std::string_view code, std::string_view message,
                             uint32_t retry_after_s) {
  HttpResponse r = ErrorResponse(429, code, message);
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return r;
}

namespace {

// 1000 -> "1000", 0.5 -> "0.5".
std::string FormatRate(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// The client the request came from, when limits apply to it.
std::optional<IpKey> ClientOfRequest(const RouteLimits& limits, const HttpRequest& req) {
  if (!limits.clients) return std::nullopt;
  auto ip = ParseIp(req.remote_address);
  if (!ip) return std::nullopt;
  return ClientOf(*ip);
}

}  // namespace

bool SpendOrRefuse(const RouteLimits& limits, const HttpRequest& req, Expense e,
                   const Responder& respond, double cost) {
  const auto client = ClientOfRequest(limits, req);
  if (!client) return true;
  const auto wait = limits.clients->Take(*client, e, LimitClock::now(), cost);
  if (!wait) return true;
  const RateLimitConfig& c = limits.clients->config();
  const std::string what = e == Expense::kSubmitTx
                               ? "POST /v1/txs is limited to " + FormatRate(c.tx_per_s) +
                                     " requests/s (burst " + FormatRate(c.tx_burst) + ")" +
                                     (cost > 1 ? ", a batch counting one per transaction"
                                               : "")
                               : "GET /v1/blocks ranges are limited to " +
                                     FormatRate(c.block_ranges_per_s) + " requests/s (burst " +
                                     FormatRate(c.block_ranges_burst) + ")";
  respond(TooManyRequests(
      "RATE_LIMITED", what + " per client; retry after " + std::to_string(*wait) + " s", *wait));
  return false;
}

bool RunExpensive(const RouteLimits& limits, std::function<void()> fn, const Responder& respond) {
  if (!limits.work) {
    fn();
    return true;
  }
  if (limits.work->TryPost(std::move(fn))) return true;
  respond(TooManyRequests("BUSY", "the node is busy with other requests; retry later", 1));
  return false;
}

std::shared_ptr<WaitSlot> WaitSlot::Acquire(const RouteLimits& limits, const HttpRequest& req,
                                            const Responder& respond) {
  const auto client = ClientOfRequest(limits, req);
  if (!client) return std::make_shared<WaitSlot>(nullptr, IpKey{});
  if (!limits.clients->AcquireWait(*client)) {
    respond(TooManyRequests("TOO_MANY_WAITS",
                            "at most " +
                                std::to_string(limits.clients->config().commit_waits_per_client) +
                                " ?wait=commit requests per client at once",
                            1));
    return nullptr;
  }
  return std::make_shared<WaitSlot>(limits.clients, *client);
}

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
    case node::AdmitCode::kSignerQuota:
      return "SIGNER_QUOTA";
    case node::AdmitCode::kExpiryTooFar:
      return "EXPIRY_TOO_FAR";
  }
  return "UNKNOWN";
}

RpcMetrics RpcMetrics::Register(metrics::Registry& r) {
  return RpcMetrics{
      r.AddCounter("laurel_verify_total", "Gate decisions of POST /v1/verify, by reason.",
                   "reason"),
      r.AddHistogram("laurel_rpc_request_duration_seconds",
                     "HTTP API requests from dispatch to answer, by route pattern.", "route"),
      r.AddGauge("laurel_height", "Height of the last committed and executed block.").Get(),
      r.AddGauge("laurel_round", "Current consensus round.").Get(),
      r.AddGauge("laurel_mempool_txs", "Transactions pending in the mempool.").Get(),
      r.AddGauge("laurel_mempool_bytes", "Bytes of the transactions pending in the mempool.")
          .Get(),
      r.AddGauge("laurel_peers_connected", "Validators connected over P2P.").Get(),
      r.AddGauge("laurel_ready", "1 when the node is ready (as GET /readyz answers 200).").Get(),
      r.AddCounter("laurel_console_requests_total",
                   "Requests for the web console's files (/console/..., /openapi.yaml), by HTTP "
                   "status.",
                   "status"),
  };
}

namespace {

void HandleStatus(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  const node::NodeStatus s = node.Status();
  respond(MessageResponse(200, StatusViewOf(s, s.ready), req));
}

void HandleReady(node::NodeApi& node, const HttpRequest&, const Responder& respond) {
  const node::NodeStatus s = node.Status();
  if (s.ready) {
    respond(TextResponse(200, "ready: synced and in consensus at height " +
                                  std::to_string(s.height)));
    return;
  }
  const std::string why = s.not_ready_reason.empty()
                              ? "not in consensus at height " + std::to_string(s.height)
                              : s.not_ready_reason;
  respond(ErrorResponse(503, "NOT_READY", "not ready: " + why));
}

}  // namespace

Router BuildRouter(node::NodeApi& node, const RouteLimits& limits, const NodeDirectory& directory) {
  Router r;
  // The node's registry when it keeps one, else one owned by the router's handlers.
  std::shared_ptr<metrics::Registry> own;
  metrics::Registry* registry = node.metrics();
  if (registry == nullptr) {
    own = std::make_shared<metrics::Registry>();
    registry = own.get();
  }
  (void)node::NodeMetrics::Register(*registry);  // present even before the node counts
  const RpcMetrics m = RpcMetrics::Register(*registry);

  // Each handler gets the node by reference; BuildRouter's caller keeps it alive.
  auto bind = [&node](void (*fn)(node::NodeApi&, const HttpRequest&, const Responder&)) {
    return
        [&node, fn](const HttpRequest& req, const Responder& respond) { fn(node, req, respond); };
  };
  r.Add("POST", "/v1/txs", [&node, limits](const HttpRequest& req, const Responder& respond) {
    HandleSubmitTx(node, limits, req, respond);
  });
  r.Add("POST", "/v1/txs:batch",
        [&node, limits](const HttpRequest& req, const Responder& respond) {
          HandleSubmitBatch(node, limits, req, respond);
        });
  r.Add("GET", "/v1/txs/{tx_id}", bind(&HandleGetTx));
  r.Add("GET", "/v1/txs/{tx_id}/receipt", bind(&HandleGetReceipt));
  r.Add("GET", "/v1/log", [&node](const HttpRequest& req, const Responder& respond) {
    respond(TxLogHeadAnswer(node.store(), req));
  });
  r.Add("GET", "/v1/log/proof/inclusion", [&node](const HttpRequest& req, const Responder& respond) {
    respond(TxLogInclusionAnswer(node.store(), req));
  });
  r.Add("GET", "/v1/log/proof/consistency",
        [&node](const HttpRequest& req, const Responder& respond) {
          respond(TxLogConsistencyAnswer(node.store(), req));
        });
  r.Add("GET", "/v1/blocks/latest", bind(&HandleLatestBlock));
  r.Add("GET", "/v1/blocks/{height}", bind(&HandleBlockAt));
  r.Add("GET", "/v1/status", bind(&HandleStatus));
  {
    // Fixed at start: the answer is built once.
    ::laurel::v1::NodeList list;
    if (!directory.self_url.empty()) {
      auto* n = list.add_nodes();
      n->set_url(directory.self_url);
      n->set_self(true);
    }
    for (const std::string& u : directory.peer_urls) list.add_nodes()->set_url(u);
    r.Add("GET", "/v1/nodes", [list](const HttpRequest& req, const Responder& respond) {
      respond(MessageResponse(200, list, req));
    });
  }
  AddLedgerRoutes(r, node, m);
  r.Add("GET", "/healthz",
        [](const HttpRequest&, const Responder& respond) { respond(TextResponse(200, "ok")); });
  r.Add("GET", "/readyz", bind(&HandleReady));
  r.Add("GET", "/metrics",
        [&node, registry, own, m](const HttpRequest&, const Responder& respond) {
          const node::NodeStatus s = node.Status();
          m.height.Set(static_cast<double>(s.height));
          m.round.Set(static_cast<double>(s.round));
          m.mempool_txs.Set(static_cast<double>(s.mempool_txs));
          m.mempool_bytes.Set(static_cast<double>(s.mempool_bytes));
          m.peers.Set(s.peers_connected);
          m.ready.Set(s.ready ? 1 : 0);
          HttpResponse resp = TextResponse(200, registry->Render());
          resp.content_type = "text/plain; version=0.0.4";
          respond(std::move(resp));
        });
  AddChainRoutes(r, node, limits);

  // One latency series per route pattern, looked up once here (no lock per request).
  std::map<std::string, metrics::Histogram*> by_route;
  for (const auto& [method, pattern] : r.Routes()) {
    by_route[pattern] = &m.rpc_duration.Get(pattern);
  }
  metrics::Histogram* unmatched = &m.rpc_duration.Get("unmatched");
  // The console's files (rpc/console.h, routes added after this table) by HTTP status: a few
  // fixed series resolved here; another status is counted as "other".
  std::map<int, metrics::Counter*> console_by_status;
  for (int status : {200, 302, 304, 400, 404, 405, 500}) {
    console_by_status[status] = &m.console_requests.Get(std::to_string(status));
  }
  metrics::Counter* console_other = &m.console_requests.Get("other");
  r.SetObserver([by_route = std::move(by_route), unmatched, own,
                 console_by_status = std::move(console_by_status), console_other](
                    const std::string&, const std::string& pattern, int status, double seconds) {
    auto it = by_route.find(pattern);
    (it == by_route.end() ? unmatched : it->second)->Observe(seconds);
    if (pattern.rfind("/console", 0) == 0 || pattern == "/openapi.yaml" || pattern == "/") {
      auto c = console_by_status.find(status);
      (c == console_by_status.end() ? console_other : c->second)->Inc();
    }
  });
  return r;
}

}  // namespace laurel::rpc

// The ledger read routes (docs/api.md): the gate decision, credentials, issuers and their
// histories. Every read goes straight to the committed store (thread-safe reads).
#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "laurel/v1/api.pb.h"
#include "ledger/verify.h"
#include "rpc/convert.h"
#include "rpc/routes_internal.h"

namespace laurel::rpc {
namespace {

namespace pb = ::laurel::v1;

// The page size of ?limit= (default kDefaultPageLimit; 1..kMaxPageLimit, else nullopt).
std::optional<size_t> PageLimit(const HttpRequest& req) {
  auto l = req.Query("limit");
  if (!l) return kDefaultPageLimit;
  auto v = ParseU64(*l);
  if (!v || *v == 0 || *v > kMaxPageLimit) return std::nullopt;
  return static_cast<size_t>(*v);
}

HttpResponse BadLimit() {
  return ErrorResponse(400, "BAD_REQUEST",
                       "limit must be an integer from 1 to " + std::to_string(kMaxPageLimit));
}

// The answer to a store error of a paginated read: a bad token is the client's fault.
HttpResponse PageError(const Status& st) {
  if (st.code() == StatusCode::kInvalidArgument) {
    return ErrorResponse(400, "BAD_PAGE_TOKEN", st.message());
  }
  return ErrorResponse(500, "STORE_ERROR", st.ToString());
}

uint64_t NowUnixSeconds() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// ---- POST /v1/verify ------------------------------------------------------------------

// The committed state a gate decision reads, with the readiness and block time the answer
// reports, so that a gate can judge staleness from the answer itself.
struct DecisionPoint {
  std::unique_ptr<storage::StateSnapshot> snapshot;
  uint64_t height = 0;
  uint64_t block_time_ms = 0;
  bool ready = false;
};

DecisionPoint TakeDecisionPoint(node::NodeApi& node) {
  // One snapshot: the issuer chain and the credential are read as of the same committed
  // height, the one the answer names. The status is read before the snapshot; if a block
  // committed in between, once more, and failing that the block is read.
  DecisionPoint d;
  node::NodeStatus st = node.Status();
  d.snapshot = node.store().Snapshot();
  d.height = d.snapshot->Height();
  if (st.height != d.height) st = node.Status();
  d.block_time_ms = st.last_block_time_ms;
  if (st.height != d.height) {
    auto block = node.store().GetBlock(d.height);
    d.block_time_ms = block.ok() && block->has_value() ? (*block)->time_ms : 0;
  }
  d.ready = st.ready;
  return d;
}

void RespondWithDecision(node::NodeApi& node, const RpcMetrics& m, const HttpRequest& req,
                         const Responder& respond, const DecisionPoint& d, uint64_t now,
                         const ledger::VerifyResult& r) {
  pb::VerifyResponse out;
  out.set_valid(r.valid());
  out.set_reason(ReasonOf(r.reason));
  out.set_message(r.message);
  if (r.credential) *out.mutable_credential() = CredentialViewOf(*r.credential);
  if (r.card) *out.mutable_card() = CardViewOf(*r.card);
  out.set_height(d.height);
  out.set_time(now);
  out.set_chain_id(node.genesis().chain_id);
  out.set_ready(d.ready);
  out.set_block_time_ms(d.block_time_ms);
  m.verify.Get(ledger::VerifyReasonName(r.reason)).Inc();
  respond(MessageResponse(200, out, req));
}

void HandleVerify(node::NodeApi& node, const RpcMetrics& m, const HttpRequest& req,
                  const Responder& respond) {
  pb::VerifyRequest in;
  if (auto error = ParseBody(req, &in)) {
    respond(std::move(*error));
    return;
  }
  const DecisionPoint d = TakeDecisionPoint(node);
  const uint64_t now = NowUnixSeconds();
  const ledger::VerifyResult r =
      ledger::VerifyCard(*d.snapshot, node.genesis().chain_id, in.code(), now);
  RespondWithDecision(node, m, req, respond, d, now, r);
}

// ---- POST /v1/verify/status ------------------------------------------------------------
// The private check: the node gets the credential id and the card digest, never the card. A
// request that cannot name a credential (empty ids, a digest that is not 64 hex characters,
// key version 0) is a client error (400), not a gate decision.

void HandleVerifyStatus(node::NodeApi& node, const RpcMetrics& m, const HttpRequest& req,
                        const Responder& respond) {
  pb::VerifyStatusRequest in;
  if (auto error = ParseBody(req, &in)) {
    respond(std::move(*error));
    return;
  }
  if (in.credential_id().empty() || in.issuer_id().empty()) {
    respond(ErrorResponse(400, "BAD_REQUEST", "credential_id and issuer_id are required"));
    return;
  }
  const auto digest = HexDecode32(in.card_digest());
  if (!digest) {
    respond(ErrorResponse(400, "BAD_REQUEST",
                          "card_digest must be 64 hex characters (the SHA-256 card digest)"));
    return;
  }
  if (in.key_version() == 0) {
    respond(ErrorResponse(400, "BAD_REQUEST", "key_version must be 1 or more"));
    return;
  }
  const DecisionPoint d = TakeDecisionPoint(node);
  const uint64_t now = NowUnixSeconds();
  const ledger::StatusQuery q{in.credential_id(), in.issuer_id(), in.key_version(), *digest};
  RespondWithDecision(node, m, req, respond, d, now, ledger::VerifyStatus(*d.snapshot, q, now));
}

// ---- GET /v1/credentials/{id}[/history] -----------------------------------------------

void HandleCredential(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  const std::string& id = req.Param("id");
  auto c = ledger::ReadCredential(node.store(), id);
  if (!c) {
    respond(ErrorResponse(404, "NOT_FOUND", "unknown credential '" + id + "'"));
    return;
  }
  respond(MessageResponse(200, CredentialViewOf(*c), req));
}

// A history route. 404 for an id the ledger holds no record of and no history for (an empty
// page would hide a typo); rejected transactions naming an id never created still show.
void RespondWithHistory(bool known, const std::string& what, const HttpRequest& req,
                        const Responder& respond,
                        const std::function<Result<storage::HistoryPage>(size_t)>& read) {
  auto limit = PageLimit(req);
  if (!limit) {
    respond(BadLimit());
    return;
  }
  auto page = read(*limit);
  if (!page.ok()) {
    if (!known && page.status().code() == StatusCode::kInvalidArgument &&
        req.Query("page_token").value_or("").empty()) {
      respond(ErrorResponse(404, "NOT_FOUND", "unknown " + what));  // e.g. an id with a NUL
      return;
    }
    respond(PageError(page.status()));
    return;
  }
  if (!known && page->entries.empty() && req.Query("page_token").value_or("").empty()) {
    respond(ErrorResponse(404, "NOT_FOUND", "unknown " + what));
    return;
  }
  respond(MessageResponse(200, HistoryPageOf(*page), req));
}

void HandleCredentialHistory(node::NodeApi& node, const HttpRequest& req,
                             const Responder& respond) {
  const std::string& id = req.Param("id");
  const std::string token = req.Query("page_token").value_or("");
  const storage::Store& store = node.store();
  RespondWithHistory(ledger::ReadCredential(store, id).has_value(), "credential '" + id + "'",
                     req, respond, [&](size_t limit) {
                       return store.CredentialHistory(id, token, limit);
                     });
}

// ---- GET /v1/issuers[/{id}[/history]] --------------------------------------------------

void HandleIssuers(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  auto limit = PageLimit(req);
  if (!limit) {
    respond(BadLimit());
    return;
  }
  auto page = node.store().ListIssuers(req.Query("page_token").value_or(""), *limit);
  if (!page.ok()) {
    respond(PageError(page.status()));
    return;
  }
  pb::IssuerList out;
  for (const auto& i : page->issuers) *out.add_issuers() = IssuerViewOf(i);
  out.set_next_page_token(page->next_page_token);
  respond(MessageResponse(200, out, req));
}

void HandleIssuer(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  const std::string& id = req.Param("id");
  auto i = ledger::ReadIssuer(node.store(), id);
  if (!i) {
    respond(ErrorResponse(404, "NOT_FOUND", "unknown issuer '" + id + "'"));
    return;
  }
  respond(MessageResponse(200, IssuerViewOf(*i), req));
}

void HandleIssuerHistory(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  const std::string& id = req.Param("id");
  const std::string token = req.Query("page_token").value_or("");
  const storage::Store& store = node.store();
  RespondWithHistory(ledger::ReadIssuer(store, id).has_value(), "issuer '" + id + "'", req,
                     respond, [&](size_t limit) { return store.IssuerHistory(id, token, limit); });
}

}  // namespace

void AddLedgerRoutes(Router& r, node::NodeApi& node, const RpcMetrics& m) {
  auto bind = [&node](void (*fn)(node::NodeApi&, const HttpRequest&, const Responder&)) {
    return
        [&node, fn](const HttpRequest& req, const Responder& respond) { fn(node, req, respond); };
  };
  r.Add("POST", "/v1/verify", [&node, m](const HttpRequest& req, const Responder& respond) {
    HandleVerify(node, m, req, respond);
  });
  r.Add("POST", "/v1/verify/status", [&node, m](const HttpRequest& req, const Responder& respond) {
    HandleVerifyStatus(node, m, req, respond);
  });
  r.Add("GET", "/v1/credentials/{id}", bind(&HandleCredential));
  r.Add("GET", "/v1/credentials/{id}/history", bind(&HandleCredentialHistory));
  r.Add("GET", "/v1/issuers", bind(&HandleIssuers));
  r.Add("GET", "/v1/issuers/{id}", bind(&HandleIssuer));
  r.Add("GET", "/v1/issuers/{id}/history", bind(&HandleIssuerHistory));
}

}  // namespace laurel::rpc

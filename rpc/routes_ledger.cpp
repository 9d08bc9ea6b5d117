// The ledger read routes (docs/api.md): the gate decision, credentials, issuers and their
// histories. Every read goes straight to the committed store (thread-safe reads).
#include <array>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "laurel/v1/api.pb.h"
#include "ledger/verify.h"
#include "rpc/convert.h"
#include "rpc/proofs.h"
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

void HandleVerify(node::NodeApi& node, const RpcMetrics& m, const HttpRequest& req,
                  const Responder& respond) {
  pb::VerifyRequest in;
  if (auto error = ParseBody(req, &in)) {
    respond(std::move(*error));
    return;
  }
  const uint64_t now = NowUnixSeconds();
  const std::string& chain_id = node.genesis().chain_id;
  // With ?proof=true the decision reads the state of the newest certified height, and every
  // record it reads (the credential, its issuer chain) is proven.
  std::unique_ptr<ProvenView> proven;
  if (WantsProof(req)) {
    proven = ProvenView::AtCertifiedHeight(node.store());
    if (!proven) {
      respond(NoCertifiedState());
      return;
    }
  }
  // One snapshot: the issuer chain and the credential are read as of the same committed
  // height, the one the answer names.
  const auto snapshot = proven ? nullptr : node.store().Snapshot();
  const uint64_t height = proven ? proven->height() : snapshot->Height();
  const ledger::StateView& state =
      proven ? static_cast<const ledger::StateView&>(*proven) : *snapshot;
  const ledger::VerifyResult r = ledger::VerifyCard(state, chain_id, in.code(), now);
  if (proven && proven->failed()) {
    respond(ProofUnavailable(*proven));
    return;
  }

  pb::VerifyResponse out;
  out.set_valid(r.valid());
  out.set_reason(ReasonOf(r.reason));
  out.set_message(r.message);
  if (r.credential) *out.mutable_credential() = CredentialViewOf(*r.credential);
  if (r.card) *out.mutable_card() = CardViewOf(*r.card);
  out.set_height(height);
  out.set_time(now);
  out.set_chain_id(chain_id);
  if (proven) {
    *out.mutable_proof() = proven->View(
        "the records this decision read (the credential and its issuer chain, or their "
        "absence) as of " + DescribeHeight(*proven) +
        "; the decision itself is recomputed by the verifier from them and the card");
  }
  m.verify.Get(ledger::VerifyReasonName(r.reason)).Inc();
  respond(MessageResponse(200, out, req));
}

// ---- GET /v1/credentials/{id}[/history] -----------------------------------------------

void HandleCredential(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  const std::string& id = req.Param("id");
  if (WantsProof(req)) {
    auto proven = ProvenView::AtCertifiedHeight(node.store());
    if (!proven) {
      respond(NoCertifiedState());
      return;
    }
    auto c = ledger::ReadCredential(*proven, id);
    // The issuer chain too: a card is only as good as every union above it.
    std::optional<ledger::IssuerRecord> issuer;
    if (c) issuer = ledger::ReadIssuer(*proven, c->issuer_id);
    for (size_t depth = 0; issuer && !issuer->parent_id.empty() && depth < ledger::kMaxIssuerDepth;
         ++depth) {
      issuer = ledger::ReadIssuer(*proven, issuer->parent_id);
    }
    if (proven->failed()) {
      respond(ProofUnavailable(*proven));
      return;
    }
    if (!c) {
      // An absence is an answer too, and proven like a record.
      pb::ErrorView e;
      e.set_code("NOT_FOUND");
      e.set_message("unknown credential '" + id + "' (its absence is proven at " +
                    DescribeHeight(*proven) + ")");
      pb::CredentialView v;
      *v.mutable_proof() = proven->View("credential '" + id + "' does not exist as of " +
                                        DescribeHeight(*proven));
      respond(MessageResponse(404, v, req));
      return;
    }
    pb::CredentialView v = CredentialViewOf(*c);
    *v.mutable_proof() = proven->View("credential '" + id + "' and its issuer chain up to the "
                                      "root federation, as of " + DescribeHeight(*proven));
    respond(MessageResponse(200, v, req));
    return;
  }
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
  if (WantsProof(req)) {
    auto proven = ProvenView::AtCertifiedHeight(node.store());
    if (!proven) {
      respond(NoCertifiedState());
      return;
    }
    auto i = ledger::ReadIssuer(*proven, id);
    std::optional<ledger::IssuerRecord> up = i;
    for (size_t depth = 0; up && !up->parent_id.empty() && depth < ledger::kMaxIssuerDepth;
         ++depth) {
      up = ledger::ReadIssuer(*proven, up->parent_id);
    }
    if (proven->failed()) {
      respond(ProofUnavailable(*proven));
      return;
    }
    pb::IssuerView v;
    if (i) v = IssuerViewOf(*i);
    *v.mutable_proof() = proven->View(
        i ? "issuer '" + id + "' and its chain up to the root federation, as of " +
                DescribeHeight(*proven)
          : "issuer '" + id + "' does not exist as of " + DescribeHeight(*proven));
    respond(MessageResponse(i ? 200 : 404, v, req));
    return;
  }
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

// ---- GET /v1/governance -----------------------------------------------------------------

void HandleGovernance(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  std::unique_ptr<ProvenView> proven;
  if (WantsProof(req)) {
    proven = ProvenView::AtCertifiedHeight(node.store());
    if (!proven) {
      respond(NoCertifiedState());
      return;
    }
  }
  const ledger::StateView& state =
      proven ? static_cast<const ledger::StateView&>(*proven) : node.store();
  auto g = ledger::ReadGovernance(state);
  if (proven && proven->failed()) {
    respond(ProofUnavailable(*proven));
    return;
  }
  if (!g) {
    respond(ErrorResponse(503, "NOT_READY", "no governance record yet"));
    return;
  }
  pb::GovernanceView v;
  v.set_chain_id(g->chain_id);
  for (const auto& k : g->admin_keys) v.add_admin_keys(HexEncode(k));
  v.set_threshold(g->threshold);
  for (const auto& val : g->validators) {
    v.add_validator_keys(HexEncode(val.public_key));
    v.add_validator_names(val.name);
  }
  v.set_validators_from_height(g->validators_from_height);
  if (proven) {
    *v.mutable_proof() =
        proven->View("the governance record as of " + DescribeHeight(*proven));
  }
  respond(MessageResponse(200, v, req));
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
  r.Add("GET", "/v1/credentials/{id}", bind(&HandleCredential));
  r.Add("GET", "/v1/credentials/{id}/history", bind(&HandleCredentialHistory));
  r.Add("GET", "/v1/issuers", bind(&HandleIssuers));
  r.Add("GET", "/v1/issuers/{id}", bind(&HandleIssuer));
  r.Add("GET", "/v1/issuers/{id}/history", bind(&HandleIssuerHistory));
  r.Add("GET", "/v1/governance", bind(&HandleGovernance));
}

}  // namespace laurel::rpc

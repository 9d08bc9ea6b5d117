// The ledger read routes (docs/api.md): the gate decision, credentials, issuers and their
// histories. Every read goes straight to the committed store (thread-safe reads).
#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "laurel/v1/api.pb.h"
#include "ledger/verify.h"
#include "rpc/convert.h"
#include "rpc/proofs.h"
#include "rpc/routes_internal.h"
#include "types/presentation.h"

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

// Refuses query parameters a route does not know (a misspelt filter would otherwise be
// ignored and answer about everything). nullopt when all are known.
std::optional<HttpResponse> UnknownQuery(const HttpRequest& req,
                                         std::initializer_list<std::string_view> known) {
  for (const auto& [k, v] : req.query) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      return ErrorResponse(400, "BAD_REQUEST", "unknown query parameter '" + k + "'");
    }
  }
  return std::nullopt;
}

// A time as the API takes it: "YYYY-MM-DD" (00:00 UTC), "YYYY-MM-DDTHH:MM[:SS[.fff]]" with "Z"
// or a "+HH:MM"/"-HH:MM" offset (RFC 3339), or unix seconds. Unix milliseconds, or nullopt.
std::optional<uint64_t> ParseApiTime(std::string_view s) {
  if (!s.empty() && s.size() <= 12 &&
      std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    auto v = ParseU64(s);
    if (!v) return std::nullopt;
    return *v * 1000;
  }
  auto num = [&](size_t pos, size_t len) -> std::optional<int> {
    if (pos + len > s.size()) return std::nullopt;
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  auto y = num(0, 4), mo = num(5, 2), d = num(8, 2);
  if (!y || !mo || !d || s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  if (*y < 1970 || *mo < 1 || *mo > 12 || *d < 1) return std::nullopt;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
  if (*d > kDays[*mo - 1] + (*mo == 2 && leap ? 1 : 0)) return std::nullopt;
  int hh = 0, mm = 0, ss = 0, millis = 0;
  int64_t offset_s = 0;
  size_t pos = 10;
  if (s.size() > 10) {
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
    auto h = num(11, 2), mi = num(14, 2);
    if (!h || !mi || s.size() < 16 || s[13] != ':' || *h > 23 || *mi > 59) return std::nullopt;
    hh = *h;
    mm = *mi;
    pos = 16;
    if (pos < s.size() && s[pos] == ':') {
      auto sec = num(pos + 1, 2);
      if (!sec || *sec > 59) return std::nullopt;
      ss = *sec;
      pos += 3;
      if (pos < s.size() && s[pos] == '.') {
        size_t digits = 0;
        ++pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          if (digits < 3) millis = millis * 10 + (s[pos] - '0');
          ++digits;
          ++pos;
        }
        if (digits == 0 || digits > 9) return std::nullopt;
        for (size_t i = digits; i < 3; ++i) millis *= 10;
      }
    }
    if (pos >= s.size()) return std::nullopt;  // a time of day needs its zone
    if (s[pos] == 'Z' || s[pos] == 'z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      auto oh = num(pos + 1, 2), om = num(pos + 4, 2);
      if (!oh || !om || pos + 6 > s.size() || s[pos + 3] != ':' || *oh > 23 || *om > 59) {
        return std::nullopt;
      }
      offset_s = (*oh * 3600 + *om * 60) * (s[pos] == '+' ? 1 : -1);
      pos += 6;
    } else {
      return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
  }
  // Days from the civil date (H. Hinnant's algorithm).
  const int yy = *y - (*mo <= 2 ? 1 : 0);
  const int era = yy / 400;
  const int yoe = yy - era * 400;
  const int mp = (*mo + 9) % 12;
  const int doy = (153 * mp + 2) / 5 + *d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = static_cast<int64_t>(era) * 146097 + doe - 719468;
  const int64_t secs = days * 86400 + hh * 3600 + mm * 60 + ss - offset_s;
  if (secs < 0) return std::nullopt;
  return static_cast<uint64_t>(secs) * 1000 + static_cast<uint64_t>(millis);
}

// ---- POST /v1/verify?height=H | ?at=TIME ---------------------------------------------------

// The gate decision against the state as of a past height: the records as written at or below
// it (Store::StateAt), validity checked at the block's time (?height) or at the time asked
// (?at, deciding at the last block at or before it).
void HandleVerifyAt(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  if (auto bad = UnknownQuery(req, {"height", "at", "proof"})) {  // proof: false or 0 only
    respond(std::move(*bad));
    return;
  }
  const auto height_q = req.Query("height");
  const auto at_q = req.Query("at");
  if (height_q && at_q) {
    respond(ErrorResponse(400, "BAD_REQUEST", "give either height or at, not both"));
    return;
  }
  pb::VerifyRequest in;
  if (auto error = ParseBody(req, &in)) {
    respond(std::move(*error));
    return;
  }
  const storage::Store& store = node.store();
  const uint64_t tip = store.Height();
  const uint64_t retained = store.RetainedFrom();
  uint64_t height = 0;
  uint64_t check_time_s = 0;
  if (height_q) {
    auto h = ParseU64(*height_q);
    if (!h) {
      respond(ErrorResponse(400, "BAD_HEIGHT", "height must be a non-negative integer"));
      return;
    }
    height = *h;
  } else {
    auto t = ParseApiTime(*at_q);
    if (!t) {
      respond(ErrorResponse(400, "BAD_TIME",
                            "at must be YYYY-MM-DD, an RFC 3339 time such as "
                            "2026-03-01T09:30:00+08:00, or unix seconds"));
      return;
    }
    if (*t > NowUnixSeconds() * 1000 + 1000) {
      respond(ErrorResponse(400, "TIME_IN_FUTURE", "at is later than now"));
      return;
    }
    auto h = store.HeightAtTime(*t);
    if (!h.ok()) {
      respond(ErrorResponse(500, "STORE_ERROR", h.status().ToString()));
      return;
    }
    if (!*h) {
      respond(ErrorResponse(400, "HEIGHT_NOT_RETAINED",
                            "no block this node keeps state for is that old (state is kept from "
                            "height " +
                                std::to_string(retained) + ")"));
      return;
    }
    height = **h;
    check_time_s = *t / 1000;
  }
  if (height > tip) {
    respond(ErrorResponse(400, "HEIGHT_ABOVE_TIP",
                          "height " + std::to_string(height) + " is above the committed height " +
                              std::to_string(tip)));
    return;
  }
  if (height < retained) {
    respond(ErrorResponse(400, "HEIGHT_NOT_RETAINED",
                          "height " + std::to_string(height) +
                              " is below the lowest height this node keeps state for (" +
                              std::to_string(retained) + ")"));
    return;
  }
  auto view = store.StateAt(height);
  auto block = store.GetBlock(height);
  if (!view.ok() || !block.ok() || !block->has_value()) {
    respond(ErrorResponse(500, "STORE_ERROR",
                          !view.ok() ? view.status().ToString()
                                     : "block " + std::to_string(height) + " cannot be read"));
    return;
  }
  const uint64_t block_time_ms = (*block)->time_ms;
  if (height_q) check_time_s = block_time_ms / 1000;
  const std::string& chain_id = node.genesis().chain_id;
  ledger::VerifyResult r = ledger::VerifyCard(**view, chain_id, in.code(), check_time_s);
  // A past moment is an investigation: the card's binding is reported, no presentation asked.
  if (r.card)
    r.holder = r.card->bound() ? ledger::HolderBinding::kBound : ledger::HolderBinding::kUnbound;
  pb::VerifyResponse out;
  out.set_valid(r.valid());
  out.set_reason(ReasonOf(r.reason));
  out.set_message(r.message);
  if (r.credential) *out.mutable_credential() = CredentialViewOf(*r.credential);
  if (r.card) *out.mutable_card() = CardViewOf(*r.card);
  out.set_height(height);
  out.set_time(check_time_s);
  out.set_chain_id(chain_id);
  out.set_ready(node.Status().ready);
  out.set_block_time_ms(block_time_ms);
  out.set_historical(true);
  if (r.holder != ledger::HolderBinding::kNone) out.set_holder(ledger::HolderBindingName(r.holder));
  respond(MessageResponse(200, out, req));
}

// ---- POST /v1/verify ------------------------------------------------------------------

// The committed state a gate decision reads, with the readiness and block time the answer
// reports, so that a gate can judge staleness from the answer itself.
struct DecisionPoint {
  std::unique_ptr<storage::StateSnapshot> snapshot;  // unset when `proven` is set
  std::unique_ptr<ProvenView> proven;                // with ?proof=true
  uint64_t height = 0;
  uint64_t block_time_ms = 0;
  bool ready = false;
  const ledger::StateView& state() const {
    return proven ? static_cast<const ledger::StateView&>(*proven) : *snapshot;
  }
};

// With ?proof=true the decision reads the state of the newest certified height, and every
// record it reads (the credential, its issuer chain) is proven. nullopt (after answering 503)
// when no height is certified yet.
std::optional<DecisionPoint> TakeProvenDecisionPoint(node::NodeApi& node,
                                                     const Responder& respond) {
  DecisionPoint d;
  d.proven = ProvenView::AtCertifiedHeight(node.store());
  if (!d.proven) {
    respond(NoCertifiedState());
    return std::nullopt;
  }
  d.height = d.proven->height();
  auto block = node.store().GetBlock(d.height);
  d.block_time_ms = block.ok() && block->has_value() ? (*block)->time_ms : 0;
  d.ready = node.Status().ready;
  return d;
}

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

// The VerifyResponse of decision `r` made at `d` (counted in laurel_verify_total).
pb::VerifyResponse DecisionView(node::NodeApi& node, const RpcMetrics& m, const DecisionPoint& d,
                                uint64_t now, const ledger::VerifyResult& r) {
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
  if (r.holder != ledger::HolderBinding::kNone) out.set_holder(ledger::HolderBindingName(r.holder));
  if (d.proven) {
    *out.mutable_proof() = d.proven->View(
        "the records this decision read (the credential and its issuer chain, or their "
        "absence) as of " +
        DescribeHeight(*d.proven) +
        "; the decision itself is recomputed by the verifier from them and the card");
  }
  m.verify.Get(ledger::VerifyReasonName(r.reason)).Inc();
  return out;
}

void RespondWithDecision(node::NodeApi& node, const RpcMetrics& m, const HttpRequest& req,
                         const Responder& respond, const DecisionPoint& d, uint64_t now,
                         const ledger::VerifyResult& r) {
  respond(MessageResponse(200, DecisionView(node, m, d, now, r), req));
}

// The gate decision on the state ?proof= asks for: the newest certified height (every record
// `decide` reads proven) or the committed tip. Answers 400 BAD_PROOF, 503 NO_CERTIFIED_STATE /
// PROOF_UNAVAILABLE, or 200 with the decision. POST /v1/verify and /v1/verify/status differ
// only in `decide`.
void Decide(node::NodeApi& node, const RpcMetrics& m, const HttpRequest& req,
            const Responder& respond,
            const std::function<ledger::VerifyResult(const ledger::StateView&, uint64_t)>& decide) {
  const auto proof = ProofAsked(req, respond);
  if (!proof) return;
  std::optional<DecisionPoint> d;
  if (*proof) {
    d = TakeProvenDecisionPoint(node, respond);
    if (!d) return;
  } else {
    d = TakeDecisionPoint(node);
  }
  const uint64_t now = NowUnixSeconds();
  const ledger::VerifyResult r = decide(d->state(), now);
  if (d->proven && d->proven->failed()) {
    respond(ProofUnavailable(*d->proven));
    return;
  }
  RespondWithDecision(node, m, req, respond, *d, now, r);
}

// What one VerifyRequest asks, its fields checked: the card text and the holder policy.
struct VerifyAsk {
  std::string code;
  std::optional<std::string> presentation;
  ledger::HolderPolicy policy;

  ledger::VerifyResult Decide(const ledger::StateView& state, const std::string& chain_id,
                              uint64_t now) const {
    return ledger::ApplyHolderCheck(ledger::VerifyCard(state, chain_id, code, now), presentation,
                                    policy, now);
  }
};

// The request's fields, or InvalidArgument naming the first bad one (POST /v1/verify answers it
// 400 BAD_REQUEST; POST /v1/verify:batch, that item).
Result<VerifyAsk> ParseVerifyAsk(const pb::VerifyRequest& in) {
  VerifyAsk ask;
  ask.policy.gate_id = in.gate_id();
  if (!in.gate_nonce().empty()) {
    auto nonce = HexDecode(in.gate_nonce());
    if (!nonce || nonce->size() < types::kMinNonceBytes || nonce->size() > types::kMaxNonceBytes) {
      return Status::InvalidArgument("gate_nonce must be 8 to 32 bytes in hex");
    }
    ask.policy.nonce = std::move(*nonce);
  }
  if (ask.policy.gate_id.size() > types::kMaxGateIdBytes) {
    return Status::InvalidArgument("gate_id must be at most 64 bytes");
  }
  for (const int t : in.require_binding()) {
    if (t != pb::MEMBER && t != pb::MODEL_WORKER) {
      return Status::InvalidArgument("require_binding takes MEMBER or MODEL_WORKER");
    }
    ask.policy.require_binding.push_back(static_cast<types::CredentialType>(t));
  }
  if (!in.presentation().empty()) ask.presentation = in.presentation();
  ask.code = in.code();
  return ask;
}

void HandleVerify(node::NodeApi& node, const RpcMetrics& m, const HttpRequest& req,
                  const Responder& respond) {
  if (req.Query("height") || req.Query("at")) {  // a past state
    const auto proof = ProofAsked(req, respond);
    if (!proof) return;
    if (*proof) {
      respond(ErrorResponse(400, "BAD_REQUEST",
                            "proof is given for the newest certified height, not with height "
                            "or at"));
      return;
    }
    HandleVerifyAt(node, req, respond);
    return;
  }
  if (auto bad = UnknownQuery(req, {"proof"})) {
    respond(std::move(*bad));
    return;
  }
  pb::VerifyRequest in;
  if (auto error = ParseBody(req, &in)) {
    respond(std::move(*error));
    return;
  }
  auto ask = ParseVerifyAsk(in);
  if (!ask.ok()) {
    respond(ErrorResponse(400, "BAD_REQUEST", ask.status().message()));
    return;
  }
  const std::string& chain_id = node.genesis().chain_id;
  Decide(node, m, req, respond, [&](const ledger::StateView& state, uint64_t now) {
    return ask->Decide(state, chain_id, now);
  });
}

// ---- POST /v1/verify:batch -------------------------------------------------------------
// Many cards of one gate controller (several lanes) in one request: each item is decided
// exactly as POST /v1/verify decides it, all on one snapshot of the committed state and one
// clock reading, on the I/O thread that read the request (as POST /v1/verify is: a decision
// is a few reads and one signature check, no work worth handing over). An item whose fields
// POST /v1/verify would refuse is answered 400 for itself; the others go on.

void HandleVerifyBatch(node::NodeApi& node, const RpcMetrics& m, const HttpRequest& req,
                       const Responder& respond) {
  if (auto bad = UnknownQuery(req, {})) {
    respond(std::move(*bad));
    return;
  }
  if (req.body.size() > kMaxVerifyBatchBytes) {
    respond(ErrorResponse(413, "PAYLOAD_TOO_LARGE",
                          "a verify batch is at most " + std::to_string(kMaxVerifyBatchBytes) +
                              " bytes; this one has " + std::to_string(req.body.size()) +
                              " (split it)"));
    return;
  }
  pb::VerifyBatchRequest in;
  if (auto error = ParseBody(req, &in)) {
    respond(std::move(*error));
    return;
  }
  if (in.cards_size() == 0) {
    respond(ErrorResponse(400, "EMPTY_BATCH", "a verify batch needs at least one card in cards"));
    return;
  }
  if (static_cast<size_t>(in.cards_size()) > kMaxVerifyBatchCards) {
    respond(ErrorResponse(413, "TOO_MANY_CARDS",
                          "a verify batch holds at most " + std::to_string(kMaxVerifyBatchCards) +
                              " cards; this one has " + std::to_string(in.cards_size()) +
                              " (split it)"));
    return;
  }
  const std::string& chain_id = node.genesis().chain_id;
  const DecisionPoint d = TakeDecisionPoint(node);
  const uint64_t now = NowUnixSeconds();
  pb::VerifyBatchResult out;
  out.mutable_results()->Reserve(in.cards_size());
  for (int i = 0; i < in.cards_size(); ++i) {
    pb::VerifyBatchItem* item = out.add_results();
    item->set_index(static_cast<uint32_t>(i));
    auto ask = ParseVerifyAsk(in.cards(i));
    if (!ask.ok()) {
      item->set_http_status(400);
      item->set_code("BAD_REQUEST");
      item->set_message(ask.status().message());
      out.set_errors(out.errors() + 1);
      continue;
    }
    item->set_http_status(200);
    *item->mutable_verdict() = DecisionView(node, m, d, now, ask->Decide(d.state(), chain_id, now));
    if (item->verdict().valid()) {
      out.set_valid(out.valid() + 1);
    } else {
      out.set_refused(out.refused() + 1);
    }
  }
  respond(MessageResponse(200, out, req));
}

// ---- POST /v1/verify/status ------------------------------------------------------------
// The private check: the node gets the credential id and the card digest, never the card. A
// request that cannot name a credential (empty ids, a digest that is not 64 hex characters,
// key version 0) is a client error (400), not a gate decision. With ?proof=true the records
// the decision read (the issuer chain and the credential, or their absence) are proven, as for
// POST /v1/verify.

void HandleVerifyStatus(node::NodeApi& node, const RpcMetrics& m, const HttpRequest& req,
                        const Responder& respond) {
  if (auto bad = UnknownQuery(req, {"proof"})) {
    respond(std::move(*bad));
    return;
  }
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
  const ledger::StatusQuery q{in.credential_id(), in.issuer_id(), in.key_version(), *digest};
  Decide(node, m, req, respond, [&](const ledger::StateView& state, uint64_t now) {
    return ledger::VerifyStatus(state, q, now);
  });
}

// ---- GET /v1/credentials/{id}[/history] -----------------------------------------------

// Reads (and so proves) every issuer above `issuer` up to the root federation.
void ReadIssuerChain(const ProvenView& proven, std::optional<ledger::IssuerRecord> issuer) {
  for (size_t depth = 0; issuer && !issuer->parent_id.empty() && depth < ledger::kMaxIssuerDepth;
       ++depth) {
    issuer = ledger::ReadIssuer(proven, issuer->parent_id);
  }
}

// 404 NOT_FOUND for `what` ("credential 'x'"), with the proof of its absence.
void RespondProvenAbsent(const ProvenView& proven, const std::string& what, const HttpRequest& req,
                         const Responder& respond) {
  pb::ErrorView e;
  e.set_code("NOT_FOUND");
  e.set_message("unknown " + what + " (its absence is proven at " + DescribeHeight(proven) + ")");
  *e.mutable_proof() = proven.View(what + " does not exist as of " + DescribeHeight(proven));
  respond(MessageResponse(404, e, req));
}

// The proven answer of one record (?proof=true): `read` reads it, and what it rests on,
// through the view of the newest certified height; `view_of` makes its answer. 503 when no
// height is certified or a read cannot be proven; 404 with the proof of its absence; else 200
// with the proof of "<what> and <rests_on>, as of height …".
template <typename Record, typename ViewOf>
void RespondProvenRecord(node::NodeApi& node, const HttpRequest& req, const Responder& respond,
                         const std::string& what, const std::string& rests_on,
                         const std::function<std::optional<Record>(const ProvenView&)>& read,
                         ViewOf view_of) {
  auto proven = ProvenView::AtCertifiedHeight(node.store());
  if (!proven) {
    respond(NoCertifiedState());
    return;
  }
  const std::optional<Record> record = read(*proven);
  if (proven->failed()) {
    respond(ProofUnavailable(*proven));
    return;
  }
  if (!record) {  // an absence is an answer too, and proven like a record
    RespondProvenAbsent(*proven, what, req, respond);
    return;
  }
  auto v = view_of(*record);
  *v.mutable_proof() =
      proven->View(what + " and " + rests_on + ", as of " + DescribeHeight(*proven));
  respond(MessageResponse(200, v, req));
}

void HandleCredential(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  const std::string& id = req.Param("id");
  const auto proof = ProofAsked(req, respond);
  if (!proof) return;
  if (*proof) {
    RespondProvenRecord<ledger::CredentialRecord>(
        node, req, respond, "credential '" + id + "'", "its issuer chain up to the root federation",
        [&](const ProvenView& proven) {
          auto c = ledger::ReadCredential(proven, id);
          // The issuer chain too: a card is only as good as every union above it.
          if (c) ReadIssuerChain(proven, ledger::ReadIssuer(proven, c->issuer_id));
          return c;
        },
        CredentialViewOf);
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
  RespondWithHistory(ledger::ReadCredential(store, id).has_value(), "credential '" + id + "'", req,
                     respond,
                     [&](size_t limit) { return store.CredentialHistory(id, token, limit); });
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
  const auto proof = ProofAsked(req, respond);
  if (!proof) return;
  if (*proof) {
    RespondProvenRecord<ledger::IssuerRecord>(
        node, req, respond, "issuer '" + id + "'", "its chain up to the root federation",
        [&](const ProvenView& proven) {
          auto i = ledger::ReadIssuer(proven, id);
          ReadIssuerChain(proven, i);
          return i;
        },
        IssuerViewOf);
    return;
  }
  auto i = ledger::ReadIssuer(node.store(), id);
  if (!i) {
    respond(ErrorResponse(404, "NOT_FOUND", "unknown issuer '" + id + "'"));
    return;
  }
  respond(MessageResponse(200, IssuerViewOf(*i), req));
}

// Everything concerning the issuer and everything its key signed; ?signed_by=me: only what
// its key signed (also on its children's records).
void HandleIssuerHistory(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  const std::string& id = req.Param("id");
  const std::string token = req.Query("page_token").value_or("");
  storage::IssuerHistoryScope scope = storage::IssuerHistoryScope::kAll;
  if (auto by = req.Query("signed_by")) {
    if (*by != "me") {
      respond(ErrorResponse(400, "BAD_FILTER", "signed_by must be 'me' (what this issuer signed)"));
      return;
    }
    scope = storage::IssuerHistoryScope::kSignedBy;
  }
  const storage::Store& store = node.store();
  RespondWithHistory(ledger::ReadIssuer(store, id).has_value(), "issuer '" + id + "'", req, respond,
                     [&](size_t limit) { return store.IssuerHistoryOf(id, scope, token, limit); });
}

// An enum filter value: its API spelling (any case), else nullopt.
template <typename E>
std::optional<E> ParseFilter(std::string_view text,
                             std::initializer_list<std::pair<std::string_view, E>> names) {
  std::string upper(text);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& [name, value] : names) {
    if (upper == name) return value;
  }
  return std::nullopt;
}

// GET /v1/issuers/{id}/credentials?status=&type=&level=&limit=&page_token=
void HandleIssuerCredentials(node::NodeApi& node, const HttpRequest& req,
                             const Responder& respond) {
  using types::CredentialStatus;
  using types::CredentialType;
  using types::Level;
  if (auto bad = UnknownQuery(req, {"status", "type", "level", "limit", "page_token"})) {
    respond(std::move(*bad));
    return;
  }
  storage::CredentialFilter f;
  if (auto v = req.Query("status")) {
    f.status = ParseFilter<CredentialStatus>(*v, {{"ACTIVE", CredentialStatus::kActive},
                                                  {"SUSPENDED", CredentialStatus::kSuspended},
                                                  {"REVOKED", CredentialStatus::kRevoked}});
    if (!f.status) {
      respond(ErrorResponse(400, "BAD_FILTER", "status must be ACTIVE, SUSPENDED or REVOKED"));
      return;
    }
  }
  if (auto v = req.Query("type")) {
    f.type = ParseFilter<CredentialType>(
        *v, {{"MEMBER", CredentialType::kMember}, {"MODEL_WORKER", CredentialType::kModelWorker}});
    if (!f.type) {
      respond(ErrorResponse(400, "BAD_FILTER", "type must be MEMBER or MODEL_WORKER"));
      return;
    }
  }
  if (auto v = req.Query("level")) {
    f.level = ParseFilter<Level>(*v, {{"NATIONAL", Level::kNational},
                                      {"PROVINCIAL", Level::kProvincial},
                                      {"MUNICIPAL", Level::kMunicipal},
                                      {"DISTRICT", Level::kDistrict},
                                      {"ENTERPRISE", Level::kEnterprise}});
    if (!f.level) {
      respond(ErrorResponse(400, "BAD_FILTER",
                            "level must be NATIONAL, PROVINCIAL, MUNICIPAL, DISTRICT or "
                            "ENTERPRISE (model-worker cards)"));
      return;
    }
    if (f.type == CredentialType::kMember) {
      respond(ErrorResponse(400, "BAD_FILTER", "MEMBER cards have no level"));
      return;
    }
  }
  auto limit = PageLimit(req);
  if (!limit) {
    respond(BadLimit());
    return;
  }
  const std::string& id = req.Param("id");
  const storage::Store& store = node.store();
  if (!ledger::ReadIssuer(store, id)) {
    respond(ErrorResponse(404, "NOT_FOUND", "unknown issuer '" + id + "'"));
    return;
  }
  auto page = store.ListIssuerCredentials(id, f, req.Query("page_token").value_or(""), *limit);
  if (!page.ok()) {
    respond(PageError(page.status()));
    return;
  }
  pb::CredentialList out;
  out.set_issuer_id(id);
  for (const auto& c : page->credentials) *out.add_credentials() = CredentialViewOf(c);
  out.set_next_page_token(page->next_page_token);
  out.set_height(page->height);
  respond(MessageResponse(200, out, req));
}

// GET /v1/issuers/{id}/stats
void HandleIssuerStats(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  if (auto bad = UnknownQuery(req, {})) {
    respond(std::move(*bad));
    return;
  }
  const std::string& id = req.Param("id");
  if (!ledger::ReadIssuer(node.store(), id)) {
    respond(ErrorResponse(404, "NOT_FOUND", "unknown issuer '" + id + "'"));
    return;
  }
  auto counts = node.store().IssuerStats(id);
  if (!counts.ok()) {
    respond(ErrorResponse(500, "STORE_ERROR", counts.status().ToString()));
    return;
  }
  pb::IssuerStatsView out;
  out.set_issuer_id(id);
  out.set_height(counts->height);
  *out.mutable_own() = CountsOf(counts->own);
  *out.mutable_including_descendants() = CountsOf(counts->subtree);
  respond(MessageResponse(200, out, req));
}

// GET /v1/stats
void HandleChainStats(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  if (auto bad = UnknownQuery(req, {})) {
    respond(std::move(*bad));
    return;
  }
  auto counts = node.store().ChainStats();
  if (!counts.ok()) {
    respond(ErrorResponse(500, "STORE_ERROR", counts.status().ToString()));
    return;
  }
  respond(MessageResponse(200, ChainStatsOf(*counts), req));
}

// ---- GET /v1/governance -----------------------------------------------------------------

void HandleGovernance(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  const auto proof = ProofAsked(req, respond);
  if (!proof) return;
  std::unique_ptr<ProvenView> proven;
  if (*proof) {
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
    *v.mutable_proof() = proven->View("the governance record as of " + DescribeHeight(*proven));
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
  r.Add("POST", "/v1/verify:batch", [&node, m](const HttpRequest& req, const Responder& respond) {
    HandleVerifyBatch(node, m, req, respond);
  });
  r.Add("POST", "/v1/verify/status", [&node, m](const HttpRequest& req, const Responder& respond) {
    HandleVerifyStatus(node, m, req, respond);
  });
  r.Add("GET", "/v1/credentials/{id}", bind(&HandleCredential));
  r.Add("GET", "/v1/credentials/{id}/history", bind(&HandleCredentialHistory));
  r.Add("GET", "/v1/issuers", bind(&HandleIssuers));
  r.Add("GET", "/v1/issuers/{id}", bind(&HandleIssuer));
  r.Add("GET", "/v1/issuers/{id}/history", bind(&HandleIssuerHistory));
  r.Add("GET", "/v1/issuers/{id}/credentials", bind(&HandleIssuerCredentials));
  r.Add("GET", "/v1/issuers/{id}/stats", bind(&HandleIssuerStats));
  r.Add("GET", "/v1/stats", bind(&HandleChainStats));
  r.Add("GET", "/v1/governance", bind(&HandleGovernance));
}

}  // namespace laurel::rpc

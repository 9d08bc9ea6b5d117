// Routes for auditors: the genesis document and committed blocks in ranges with their proofs.
//
// GET /v1/genesis          the genesis document as the genesis file holds it (ledger/genesis_io.h)
// GET /v1/epochs           laurel.v1.EpochList: every epoch's validator set, first and last
//                          height, and the state certificate that proves each change
// GET /v1/blocks?from=H&limit=N
//     laurel.v1.BlockRange (proto/laurel/v1/chain.proto): blocks H.. (at most N, default 100,
//     at most 1000, and at most kMaxRangeBytes of stored blocks but always at least one), each
//     with its state certificate when the node has one, and the tip height. Binary protobuf
//     when the client accepts application/x-protobuf, else protobuf's JSON mapping.
// GET /v1/evidence?after=S&limit=N
//     the consensus evidence this node recorded (node/evidence_log.h), oldest first: records
//     with seq > S (default 0), at most N (default 100, at most 1000), as JSON
//     {"evidence": [...], "total", "next_after", "more"}; page on with after=next_after.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "gate/bundle.h"
#include "laurel/v1/chain.pb.h"
#include "ledger/genesis_io.h"
#include "node/epochs.h"
#include "node/wire.h"
#include "rpc/convert.h"
#include "rpc/json_util.h"
#include "rpc/proofs.h"
#include "rpc/routes.h"
#include "rpc/routes_internal.h"

namespace laurel::rpc {
namespace {

namespace pb = ::laurel::v1;

constexpr uint64_t kDefaultRangeBlocks = 100;
constexpr uint64_t kMaxRangeBlocks = 1000;
constexpr size_t kMaxRangeBytes = size_t{8} << 20;

// The decimal query parameter `name` (`fallback` when absent), at least `min` (0 or 1); nullopt
// after answering 400 BAD_REQUEST.
std::optional<uint64_t> QueryNumber(const HttpRequest& req, const char* name, uint64_t fallback,
                                    uint64_t min, const Responder& respond) {
  const auto q = req.Query(name);
  if (!q) return fallback;
  const auto v = ParseU64(*q);
  if (!v || *v < min) {
    respond(ErrorResponse(400, "BAD_REQUEST",
                          std::string(name) + (min > 0 ? " must be a positive integer"
                                                       : " must be a non-negative integer")));
    return std::nullopt;
  }
  return v;
}

void FillCertificate(const node::StateCertificate& c, pb::StateCertificate* out) {
  out->set_epoch(c.data.epoch);
  if (c.data.next_validators != Hash32{}) out->set_next_validators(HexEncode(c.data.next_validators));
  out->set_height(c.data.height);
  out->set_block_id(HexEncode(c.data.block_id));
  out->set_state_root(HexEncode(c.data.state_root));
  out->set_tx_root(HexEncode(c.data.tx_root));
  out->set_time_ms(c.data.time_ms);
  for (const auto& [signer, sig] : c.signatures) {
    auto* s = out->add_signatures();
    s->set_signer(signer);
    s->set_signature(HexEncode(sig));
  }
}

void HandleGenesis(node::NodeApi& node, const HttpRequest&, const Responder& respond) {
  auto json = ledger::GenesisToJson(node.genesis());
  if (!json.ok()) {
    respond(ErrorResponse(500, "INTERNAL", json.status().ToString()));
    return;
  }
  HttpResponse r;
  r.body = std::move(json).value();
  respond(std::move(r));
}

void HandleEpochs(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  const storage::Store& store = node.store();
  auto records = store.ListConsensusRecords(node::kEpochRecordPrefix);
  if (!records.ok()) {
    respond(ErrorResponse(500, "STORE_ERROR", records.status().ToString()));
    return;
  }
  std::vector<node::Epoch> epochs;
  for (const auto& [name, value] : *records) {
    auto e = node::DecodeEpoch(value);
    if (!e.ok()) {
      respond(ErrorResponse(500, "STORE_ERROR", "epoch record: " + e.status().ToString()));
      return;
    }
    epochs.push_back(std::move(e).value());
  }
  pb::EpochList list;
  for (size_t i = 0; i < epochs.size(); ++i) {
    const node::Epoch& e = epochs[i];
    pb::EpochView* v = list.add_epochs();
    v->set_epoch(e.epoch);
    v->set_start_height(e.start_height);
    v->set_root_block_id(HexEncode(e.root_id));
    v->set_validators_hash(HexEncode(node::ValidatorSetHash(e.validators)));
    for (const auto& val : e.validators) {
      pb::ValidatorView* vv = v->add_validators();
      vv->set_public_key(HexEncode(val.public_key));
      vv->set_name(val.name);
      vv->set_address(val.address);
    }
    if (i + 1 < epochs.size()) {
      const uint64_t end = epochs[i + 1].start_height - 1;
      v->set_end_height(end);
      auto cert = store.GetStateCertificate(end);
      if (cert.ok() && cert->has_value()) {
        auto c = node::DecodeStateCertificate(**cert);
        if (c.ok()) FillCertificate(*c, v->mutable_end_certificate());
      }
    }
    list.set_current_epoch(e.epoch);
  }
  respond(MessageResponse(200, list, req));
}

void HandleBlockRange(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  const auto from = QueryNumber(req, "from", 0, 0, respond);
  if (!from) return;
  const auto limit = QueryNumber(req, "limit", kDefaultRangeBlocks, 1, respond);
  if (!limit) return;
  const storage::Store& store = node.store();
  if (store.Empty()) {
    respond(ErrorResponse(404, "NOT_FOUND", "no block committed yet"));
    return;
  }
  const uint64_t tip = store.Height();
  pb::BlockRange range;
  range.set_tip_height(tip);
  size_t bytes = 0;
  const uint64_t max_blocks = std::min(*limit, kMaxRangeBlocks);
  uint64_t h = *from;
  for (; h <= tip && static_cast<uint64_t>(range.blocks_size()) < max_blocks; ++h) {
    auto rec = store.GetBlock(h);
    if (!rec.ok()) {
      respond(ErrorResponse(500, "STORE_ERROR", rec.status().ToString()));
      return;
    }
    if (!rec->has_value()) {
      respond(ErrorResponse(
          500, "STORE_ERROR",
          "no block at height " + std::to_string(h) + " below the tip " + std::to_string(tip)));
      return;
    }
    const std::string stored = BlockProtoBytes(**rec);
    bytes += stored.size();
    if (range.blocks_size() > 0 && bytes > kMaxRangeBytes) break;
    pb::ChainBlock* cb = range.add_blocks();
    if (!cb->mutable_block()->ParseFromString(stored)) {
      respond(ErrorResponse(500, "INTERNAL",
                            "stored block " + std::to_string(h) + " does not re-encode"));
      return;
    }
    auto cert = store.GetStateCertificate(h);
    if (!cert.ok()) {
      respond(ErrorResponse(500, "STORE_ERROR", cert.status().ToString()));
      return;
    }
    if (cert->has_value()) {
      // A certificate that does not decode is served as absent: the auditor then reports the
      // height as uncertified instead of trusting it.
      auto c = node::DecodeStateCertificate(**cert);
      if (c.ok()) FillCertificate(*c, cb->mutable_state_certificate());
    }
  }
  range.set_next_height(h);
  respond(MessageResponse(200, range, req));
}

void HandleEvidence(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  const auto after = QueryNumber(req, "after", 0, 0, respond);
  if (!after) return;
  const auto limit = QueryNumber(req, "limit", kDefaultPageLimit, 1, respond);
  if (!limit) return;
  auto page = node.ListEvidence(*after, static_cast<size_t>(std::min(*limit, kMaxPageLimit)));
  if (!page.ok()) {
    respond(ErrorResponse(500, "STORE_ERROR", page.status().ToString()));
    return;
  }
  nlohmann::json list = nlohmann::json::array();
  for (const std::string& rec : page->records) list.push_back(nlohmann::json::parse(rec));
  respond(JsonResponse(200, {{"evidence", std::move(list)},
                             {"total", page->total},
                             {"next_after", page->next_after},
                             {"more", page->more}}));
}

}  // namespace

// GET /v1/gate/bundle[?since=H]: the gate bundle of the newest certified height (gate/bundle.h,
// docs/spec/state.md §14), gzip of laurel.v1.GateBundle; with since, the delta over the bundle
// of height H.
void HandleGateBundle(node::NodeApi& node, const HttpRequest& req, const Responder& respond) {
  uint64_t since = 0;
  if (auto s = req.Query("since")) {
    auto v = ParseU64(*s);
    if (!v) {
      respond(ErrorResponse(400, "BAD_REQUEST", "since must be a height (a decimal number)"));
      return;
    }
    since = *v;
  }
  const storage::Store& store = node.store();
  auto proven = ProvenView::AtCertifiedHeight(store);
  if (!proven) {
    respond(NoCertifiedState());
    return;
  }
  const uint64_t height = proven->height();
  if (since != 0 && since >= height) {
    respond(ErrorResponse(409, "NOTHING_NEWER",
                          "since " + std::to_string(since) +
                              " is not below the newest certified height " +
                              std::to_string(height) + "; the bundle held is current"));
    return;
  }
  auto snapshot = store.StateAt(height);
  if (!snapshot.ok()) {
    respond(ErrorResponse(503, "PROOF_UNAVAILABLE",
                          "cannot read the state of height " + std::to_string(height) + ": " +
                              snapshot.status().message()));
    return;
  }
  gate::BundleSource src;
  src.chain_id = node.genesis().chain_id;
  src.height = height;
  src.time_ms = proven->time_ms();
  src.certificate = proven->certificate();
  {
    pb::GateBundle tmp;
    AddEpochChanges(store, proven->epoch(), tmp.mutable_epoch_changes());
    for (const auto& e : tmp.epoch_changes()) src.epoch_changes.push_back(e);
  }
  const storage::StateSnapshot& snap = **snapshot;
  src.read = [&snap](const std::string& key) { return snap.GetState(key); };
  src.prove = [&store, height](const std::string& key) { return store.ProveState(height, key); };
  // A delta patches the records the gate holds: those of `since`, when still readable (else
  // it carries whole records).
  std::unique_ptr<storage::StateSnapshot> before;
  if (since != 0) {
    if (auto s = store.StateAt(since); s.ok()) before = std::move(s).value();
  }
  if (before) {
    src.read_since = [&before](const std::string& key) { return before->GetState(key); };
  }
  auto bundle = gate::BuildBundle(src, since);
  if (!bundle.ok()) {
    respond(ErrorResponse(503, "PROOF_UNAVAILABLE",
                          "cannot build the gate bundle of height " + std::to_string(height) +
                              ": " + bundle.status().message()));
    return;
  }
  HttpResponse r;
  r.content_type = std::string(gate::kBundleMediaType);
  r.body = gate::EncodeBundle(*bundle);
  r.headers.emplace_back("X-Laurel-Height", std::to_string(height));
  respond(std::move(r));
}

void AddChainRoutes(Router& r, node::NodeApi& node, const RouteLimits& limits) {
  r.Add("GET", "/v1/genesis", [&node](const HttpRequest& req, const Responder& respond) {
    HandleGenesis(node, req, respond);
  });
  r.Add("GET", "/v1/epochs", [&node](const HttpRequest& req, const Responder& respond) {
    Guarded(respond, [&] { HandleEpochs(node, req, respond); });
  });
  // A range reads and encodes up to kMaxRangeBytes: rate-limited per client, and run on the
  // work pool so that it does not hold an I/O thread.
  r.Add("GET", "/v1/blocks", [&node, limits](const HttpRequest& req, const Responder& respond) {
    if (!SpendOrRefuse(limits, req, Expense::kBlockRange, respond)) return;
    RunExpensive(
        limits,
        [&node, req, respond] { Guarded(respond, [&] { HandleBlockRange(node, req, respond); }); },
        respond);
  });
  // Reads <data>/evidence.jsonl: on the work pool.
  r.Add("GET", "/v1/evidence", [&node, limits](const HttpRequest& req, const Responder& respond) {
    RunExpensive(
        limits,
        [&node, req, respond] { Guarded(respond, [&] { HandleEvidence(node, req, respond); }); },
        respond);
  });
  // Reads every issuer and status list record: rate-limited like a block range, on the pool.
  r.Add("GET", "/v1/gate/bundle",
        [&node, limits](const HttpRequest& req, const Responder& respond) {
          if (!SpendOrRefuse(limits, req, Expense::kBlockRange, respond)) return;
          RunExpensive(
              limits,
              [&node, req, respond] {
                Guarded(respond, [&] { HandleGateBundle(node, req, respond); });
              },
              respond);
        });
}

}  // namespace laurel::rpc

#include "rpc/proofs.h"

#include <ctime>

#include "node/epochs.h"
#include "node/wire.h"
#include "rpc/convert.h"

namespace laurel::rpc {

namespace pb = ::laurel::v1;

namespace {
constexpr uint64_t kCertificateLookBack = 256;

std::string Utc(uint64_t time_ms) {
  const std::time_t t = static_cast<std::time_t>(time_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}
}  // namespace

std::optional<bool> ProofAsked(const HttpRequest& req, const Responder& respond) {
  auto p = req.Query("proof");
  if (!p || *p == "false" || *p == "0") return false;
  if (*p == "true" || *p == "1") return true;
  // The value quoted with anything outside printable ASCII escaped, and cut short.
  std::string quoted;
  for (unsigned char ch : p->substr(0, 32)) {
    if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
      quoted += static_cast<char>(ch);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      quoted += std::string("\\x") + kHex[ch >> 4] + kHex[ch & 15];
    }
  }
  if (p->size() > 32) quoted += "...";
  respond(ErrorResponse(400, "BAD_PROOF",
                        "proof must be true or 1 (answer with a proof) or false or 0 (without), "
                        "not '" +
                            quoted + "'"));
  return std::nullopt;
}

std::unique_ptr<ProvenView> ProvenView::AtCertifiedHeight(const storage::Store& store) {
  if (store.Empty()) return nullptr;
  const uint64_t tip = store.Height();
  for (uint64_t h = tip; h > 0 && h + kCertificateLookBack > tip; --h) {
    if (auto v = AtHeight(store, h)) return v;
  }
  return nullptr;
}

std::unique_ptr<ProvenView> ProvenView::AtHeight(const storage::Store& store, uint64_t h) {
  if (store.Empty() || h > store.Height()) return nullptr;
  auto cert = store.GetStateCertificate(h);
  if (!cert.ok() || !cert->has_value()) return nullptr;
  auto c = node::DecodeStateCertificate(**cert);
  if (!c.ok() || c->data.height != h) return nullptr;
  return std::unique_ptr<ProvenView>(
      new ProvenView(store, h, **cert, c->data.epoch, c->data.time_ms, c->data.state_root));
}

std::optional<std::string> ProvenView::GetState(std::string_view key) const {
  auto p = store_.ProveState(height_, key);
  if (!p.ok()) {
    failed_ = true;
    tree_not_kept_ = p.status().code() == StatusCode::kNotFound;
    failure_ = p.status().message();
    return std::nullopt;
  }
  if (p->root != root_) {
    // Our own tree disagrees with the certificate we stored: never serve that as a proof.
    failed_ = true;
    failure_ = "this node's state root at height " + std::to_string(height_) +
               " differs from its certificate";
    return std::nullopt;
  }
  auto value = p->value;
  bool seen = false;
  for (const auto& q : proofs_) seen |= q.key == p->key;
  if (!seen) proofs_.push_back(std::move(p).value());
  return value;
}

pb::StateProofView ProvenView::View(const std::string& proven) const {
  pb::StateProofView v;
  v.set_height(height_);
  v.set_time_ms(time_ms_);
  v.set_state_root(HexEncode(root_));
  v.set_certificate(HexEncode(certificate_));
  for (const auto& p : proofs_) {
    auto* r = v.add_records();
    r->set_key(p.key);
    if (p.value) r->set_value(HexEncode(AsBytes(*p.value)));
    for (const auto& s : p.proof.siblings) r->add_siblings(HexEncode(s));
    if (p.proof.leaf) {
      r->set_leaf_key_hash(HexEncode(p.proof.leaf->key_hash));
      r->set_leaf_value_hash(HexEncode(p.proof.leaf->value_hash));
    }
  }
  v.set_proven(proven);
  AddEpochChanges(store_, epoch_, v.mutable_epoch_changes());
  return v;
}

void AddEpochChanges(const storage::Store& store, uint64_t epoch,
                     google::protobuf::RepeatedPtrField<pb::EpochChangeView>* out) {
  // The node keeps every epoch it has seen begin, and the certificate of each epoch's last
  // block.
  for (uint64_t e = 1; e <= epoch; ++e) {
    auto rec = store.GetConsensusRecord(node::EpochRecordName(e));
    auto ep = rec.ok() && rec->has_value() ? node::DecodeEpoch(**rec)
                                           : Result<node::Epoch>(Status::NotFound("epoch"));
    auto cert = ep.ok() && ep->start_height > 0
                    ? store.GetStateCertificate(ep->start_height - 1)
                    : Result<std::optional<Bytes>>(Status::NotFound("certificate"));
    auto* ch = out->Add();
    ch->set_epoch(e);
    if (!ep.ok() || !cert.ok() || !cert->has_value()) continue;  // the verifier refuses it
    ch->set_start_height(ep->start_height);
    ch->set_certificate(HexEncode(**cert));
    for (const auto& val : ep->validators) {
      auto* vv = ch->add_validators();
      vv->set_public_key(HexEncode(val.public_key));
      vv->set_name(val.name);
      vv->set_address(val.address);
    }
  }
}

HttpResponse NoCertificateAt(const storage::Store& store, uint64_t height,
                             const std::string& elsewhere, const std::string& why_not_later) {
  const bool recent = store.Height() < height + 3;
  HttpResponse r = ErrorResponse(
      503, "NO_CERTIFICATE",
      "this node holds no state certificate of height " + std::to_string(height) +
          (recent ? " yet: it forms from the validators' attestations just after the commit; "
                    "retry shortly"
                  : ": it synced that block without one; " + elsewhere) +
          " (a later height's certificate cannot stand in: " + why_not_later + ")");
  if (recent) r.headers.emplace_back("Retry-After", "1");
  return r;
}

HttpResponse NoCertifiedState() {
  return ErrorResponse(503, "NO_CERTIFIED_STATE",
                       "no recent height carries a state certificate yet; retry shortly");
}

HttpResponse ProofUnavailable(const ProvenView& v) {
  return ErrorResponse(503, "PROOF_UNAVAILABLE",
                       "cannot prove at height " + std::to_string(v.height()) + ": " + v.failure());
}

std::string DescribeHeight(const ProvenView& v) {
  return "height " + std::to_string(v.height()) + " (" + Utc(v.time_ms_) + "), state root " +
         HexEncode(v.root_);
}

}  // namespace laurel::rpc

#include "rpc/convert.h"

#include <google/protobuf/util/json_util.h>

#include "laurel/v1/state.pb.h"
#include "laurel/v1/tx.pb.h"
#include "ledger/codes.h"
#include "rpc/json_print.h"

namespace laurel::rpc {
namespace {

namespace pb = ::laurel::v1;

google::protobuf::util::JsonPrintOptions PrintOptions() {
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  print.always_print_primitive_fields = true;
  return print;
}

// The laurel enums share their numbering with the proto enums (types/tx.h mirrors tx.proto).
pb::CredentialType PbType(types::CredentialType t) { return static_cast<pb::CredentialType>(t); }
pb::Level PbLevel(types::Level l) { return static_cast<pb::Level>(l); }

}  // namespace

std::string HashHex(const Hash32& h) { return HexEncode(h); }

std::string MessageJson(const google::protobuf::Message& m) {
  std::string out;
  // The fast printer writes the same JSON (tests/unit/rpc/json_print_test.cpp); what it does
  // not handle goes to the library.
  out.reserve(512);
  if (AppendMessageJson(m, &out)) return out;
  out.clear();
  const auto st = google::protobuf::util::MessageToJsonString(m, &out, PrintOptions());
  // Printing a well-formed message only fails on invalid UTF-8 in a string field (e.g. a
  // holder name read from a card): fall back to an error document rather than throwing.
  if (!st.ok()) {
    return R"({"code":"INTERNAL","message":"response is not printable as JSON"})";
  }
  return out;
}

bool WantsProtobuf(const HttpRequest& req) {
  if (req.Accepts(kProtobufMediaType)) return true;
  // An Accept that names a media type decides; an absent one, or one that only says "*/*" (as
  // curl and many libraries send), states no preference: the answer follows the request body.
  std::string_view rest = req.accept;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view entry = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    entry = entry.substr(0, entry.find(';'));
    const size_t first = entry.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    entry = entry.substr(first, entry.find_last_not_of(" \t") - first + 1);
    if (entry != "*/*") return false;
  }
  return req.content_type == kProtobufMediaType;
}

HttpResponse MessageResponse(int status, const google::protobuf::Message& m,
                             const HttpRequest& req) {
  HttpResponse r;
  r.status = status;
  if (WantsProtobuf(req)) {
    r.content_type = std::string(kProtobufMediaType);
    r.body = m.SerializeAsString();
  } else {
    r.content_type = std::string(kJsonMediaType);
    r.body = MessageJson(m);
  }
  return r;
}

std::optional<HttpResponse> ParseBody(const HttpRequest& req, google::protobuf::Message* m) {
  if (!req.has_body_framing) {
    return ErrorResponse(411, "LENGTH_REQUIRED", "a Content-Length is required");
  }
  if (req.content_type == kJsonMediaType) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    const auto st = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(req.body.data(), req.body.size()), m, options);
    if (!st.ok()) {
      return ErrorResponse(400, "MALFORMED_BODY",
                           "body is not a " + m->GetDescriptor()->full_name() +
                               " in JSON: " + std::string(st.message()));
    }
    return std::nullopt;
  }
  if (req.content_type == kProtobufMediaType) {
    if (!m->ParseFromString(req.body)) {
      return ErrorResponse(400, "MALFORMED_BODY",
                           "body is not a binary " + m->GetDescriptor()->full_name());
    }
    return std::nullopt;
  }
  return ErrorResponse(415, "UNSUPPORTED_MEDIA_TYPE",
                       "Content-Type must be application/json or application/x-protobuf");
}

Result<Bytes> TxWireFromJson(std::string_view json) {
  pb::Tx tx;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto st = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &tx, options);
  if (!st.ok()) {
    return Status::InvalidArgument("body is not a laurel.v1.Tx in JSON: " +
                                   std::string(st.message()));
  }
  std::string out;
  if (!tx.SerializeToString(&out)) return Status::InvalidArgument("cannot serialize the Tx");
  return ToBytes(out);
}

pb::TxStatusView CommittedTxView(const Hash32& tx_id, const storage::TxLocation& loc) {
  pb::TxStatusView v;
  v.set_tx_id(HashHex(tx_id));
  v.set_status("committed");
  v.set_height(loc.height);
  v.set_position(loc.position);
  v.set_result(ledger::TxCodeName(loc.code));
  return v;
}

pb::TxStatusView PendingTxView(const Hash32& tx_id) {
  pb::TxStatusView v;
  v.set_tx_id(HashHex(tx_id));
  v.set_status("pending");
  return v;
}

pb::StatusView StatusViewOf(const node::NodeStatus& s, bool ready) {
  pb::StatusView v;
  v.set_chain_id(s.chain_id);
  v.set_node_name(s.node_name);
  v.set_public_key(HexEncode(s.public_key));
  v.set_height(s.height);
  v.set_last_block_id(HashHex(s.last_block_id));
  v.set_last_block_time_ms(s.last_block_time_ms);
  v.set_state_root(HashHex(s.state_root));
  v.set_round(s.round);
  v.set_epoch(s.epoch);
  v.set_validator(s.validator);
  v.set_validators(s.validators);
  v.set_peers_connected(s.peers_connected);
  v.set_syncing(s.syncing);
  v.set_ready(ready);
  v.set_mempool_txs(s.mempool_txs);
  v.set_mempool_bytes(s.mempool_bytes);
  v.set_certified_height(s.certified_height);
  return v;
}

pb::BlockView BlockViewOf(const storage::BlockRecord& b) {
  pb::BlockView v;
  v.set_height(b.height);
  v.set_block_id(HashHex(b.block_id));
  v.set_parent_id(HashHex(b.parent_id));
  v.set_time_ms(b.time_ms);
  v.set_state_root(HashHex(b.state_root));
  v.set_tx_root(HashHex(b.tx_root));
  v.set_tx_count(static_cast<uint32_t>(b.txs.size()));
  for (size_t i = 0; i < b.txs.size(); ++i) {
    const types::Tx& tx = b.txs[i];
    pb::BlockTxView* t = v.add_txs();
    t->set_tx_id(HashHex(types::TxId(tx)));
    t->set_position(static_cast<uint32_t>(i));
    if (i < b.results.size()) t->set_result(ledger::TxCodeName(b.results[i]));
    t->set_body(ToString(tx.body));
    pb::TxBody body;
    if (body.ParseFromArray(tx.body.data(), static_cast<int>(tx.body.size()))) {
      *t->mutable_decoded_body() = std::move(body);
    }
    for (const auto& s : tx.signatures) {
      pb::Signature* sig = t->add_signatures();
      sig->set_public_key(ToString(s.public_key));
      sig->set_signature(ToString(s.signature));
    }
  }
  v.set_header(ToString(b.header));
  v.set_certificate(ToString(b.certificate));
  return v;
}

pb::CredentialView CredentialViewOf(const ledger::CredentialRecord& c) {
  pb::CredentialView v;
  v.set_credential_id(c.credential_id);
  v.set_type(PbType(c.type));
  v.set_level(PbLevel(c.level));
  v.set_issuer_id(c.issuer_id);
  v.set_key_version(c.key_version);
  v.set_card_digest(HexEncode(c.card_digest));
  v.set_valid_from(c.valid_from);
  v.set_valid_until(c.valid_until);
  v.set_status(static_cast<pb::CredentialStatus>(c.status));
  v.set_status_reason(c.status_reason);
  if (c.status_authority != ledger::Authority::kNone) {
    v.set_status_set_by(ledger::AuthorityName(c.status_authority));
  }
  v.set_status_index(c.status_index);
  v.set_created_height(c.created_height);
  v.set_updated_height(c.updated_height);
  return v;
}

pb::CardView CardViewOf(const types::CardBody& b) {
  pb::CardView v;
  v.set_credential_id(b.credential_id);
  v.set_issuer_id(b.issuer_id);
  v.set_key_version(b.key_version);
  v.set_type(PbType(b.type));
  v.set_level(PbLevel(b.level));
  v.set_holder_name(b.holder_name);
  v.set_member_no(b.member_no);
  v.set_valid_from(b.valid_from);
  v.set_valid_until(b.valid_until);
  v.set_chain_id(b.chain_id);
  if (b.bound()) v.set_holder_key(HexEncode(b.holder_key));
  return v;
}

pb::IssuerView IssuerViewOf(const ledger::IssuerRecord& r) {
  pb::IssuerView v;
  v.set_issuer_id(r.issuer_id);
  v.set_name(r.name);
  v.set_parent_id(r.parent_id);
  for (const auto& g : r.grants) {
    pb::GrantView* gv = v.add_grants();
    gv->set_type(PbType(g.type));
    for (types::Level l : g.levels) gv->add_levels(PbLevel(l));
  }
  v.set_can_delegate(r.can_delegate);
  v.set_status(static_cast<pb::IssuerStatus>(r.status));
  v.set_status_reason(r.status_reason);
  if (r.status_authority != ledger::Authority::kNone) {
    v.set_status_set_by(ledger::AuthorityName(r.status_authority));
  }
  for (const auto& k : r.keys) {
    pb::IssuerKeyView* kv = v.add_keys();
    kv->set_key_version(k.key_version);
    kv->set_public_key(HexEncode(k.public_key));
    kv->set_from_height(k.from_height);
    kv->set_to_height(k.to_height);
  }
  v.set_current_key_version(r.keys.empty() ? 0 : r.current_key().key_version);
  v.set_created_height(r.created_height);
  v.set_updated_height(r.updated_height);
  return v;
}

pb::HistoryPage HistoryPageOf(const storage::HistoryPage& p) {
  pb::HistoryPage v;
  for (const auto& e : p.entries) {
    pb::HistoryEntryView* ev = v.add_entries();
    ev->set_height(e.height);
    ev->set_position(e.position);
    ev->set_time_ms(e.time_ms);
    ev->set_tx_id(HashHex(e.tx_id));
    ev->set_action(e.action);
    ev->set_signer(HexEncode(e.signer));
    ev->set_result(ledger::TxCodeName(e.code));
    ev->set_credential_id(e.credential_id);
    ev->set_issuer_id(e.issuer_id);
    ev->set_type(PbType(e.type));
    ev->set_level(PbLevel(e.level));
    if (e.new_status != 0) {
      ev->set_new_status(
          e.action == "set_issuer_status"
              ? pb::IssuerStatus_Name(static_cast<pb::IssuerStatus>(e.new_status))
              : pb::CredentialStatus_Name(static_cast<pb::CredentialStatus>(e.new_status)));
    }
    ev->set_reason(e.reason);
    ev->set_valid_from(e.valid_from);
    ev->set_valid_until(e.valid_until);
    ev->set_key_version(e.key_version);
    pb::SignerView* sv = ev->mutable_signed_by();
    if (e.signed_as != ledger::Authority::kNone) sv->set_authority(ledger::AuthorityName(e.signed_as));
    sv->set_issuer_id(e.signer_issuer_id);
    sv->set_key_version(e.signer_key_version);
    for (const auto& k : e.signer_admins) sv->add_admin_keys(HexEncode(k));
  }
  v.set_next_page_token(p.next_page_token);
  return v;
}

pb::VerifyResponse::Reason ReasonOf(ledger::VerifyReason r) {
  using R = pb::VerifyResponse;
  switch (r) {
    case ledger::VerifyReason::kValid:
      return R::VALID;
    case ledger::VerifyReason::kMalformed:
      return R::MALFORMED;
    case ledger::VerifyReason::kWrongChain:
      return R::WRONG_CHAIN;
    case ledger::VerifyReason::kUnknownIssuer:
      return R::UNKNOWN_ISSUER;
    case ledger::VerifyReason::kBadSignature:
      return R::BAD_SIGNATURE;
    case ledger::VerifyReason::kNotOnLedger:
      return R::NOT_ON_LEDGER;
    case ledger::VerifyReason::kDigestMismatch:
      return R::DIGEST_MISMATCH;
    case ledger::VerifyReason::kRevoked:
      return R::REVOKED;
    case ledger::VerifyReason::kSuspended:
      return R::SUSPENDED;
    case ledger::VerifyReason::kExpired:
      return R::EXPIRED;
    case ledger::VerifyReason::kNotYetValid:
      return R::NOT_YET_VALID;
    case ledger::VerifyReason::kIssuerSuspended:
      return R::ISSUER_SUSPENDED;
    case ledger::VerifyReason::kRecordMismatch:
      return R::RECORD_MISMATCH;
    case ledger::VerifyReason::kOutOfScope:
      return R::OUT_OF_SCOPE;
    case ledger::VerifyReason::kUnsafeText:
      return R::UNSAFE_TEXT;
    case ledger::VerifyReason::kPresentationMissing:
      return R::PRESENTATION_MISSING;
    case ledger::VerifyReason::kPresentationExpired:
      return R::PRESENTATION_EXPIRED;
    case ledger::VerifyReason::kBadHolderSignature:
      return R::BAD_HOLDER_SIGNATURE;
    case ledger::VerifyReason::kBindingRequired:
      return R::BINDING_REQUIRED;
  }
  return R::REASON_UNSPECIFIED;
}

namespace {
// Adds `n` to the uint64 field named `name` (an enum spelling) of `m`, when it has one.
void AddCount(google::protobuf::Message* m, const std::string& name, uint64_t n) {
  const auto* f = m->GetDescriptor()->FindFieldByName(name);
  if (f == nullptr || f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_UINT64) return;
  const auto* r = m->GetReflection();
  r->SetUInt64(m, f, r->GetUInt64(*m, f) + n);
}
}  // namespace

pb::CredentialCounts CountsOf(const std::vector<storage::CountCell>& cells) {
  pb::CredentialCounts out;
  pb::StatusCounts* by_status = out.mutable_by_status();
  pb::TypeCounts* by_type = out.mutable_by_type();
  pb::LevelCounts* by_level = out.mutable_by_level();
  uint64_t total = 0;
  for (const auto& c : cells) {
    total += c.count;
    AddCount(by_status, pb::CredentialStatus_Name(static_cast<pb::CredentialStatus>(c.status)),
             c.count);
    AddCount(by_type, pb::CredentialType_Name(PbType(c.type)), c.count);
    AddCount(by_level, pb::Level_Name(PbLevel(c.level)), c.count);
    pb::CountCell* cell = out.add_cells();
    cell->set_status(static_cast<pb::CredentialStatus>(c.status));
    cell->set_type(PbType(c.type));
    cell->set_level(PbLevel(c.level));
    cell->set_count(c.count);
  }
  out.set_total(total);
  return out;
}

pb::ChainStatsView ChainStatsOf(const storage::ChainCounts& c) {
  pb::ChainStatsView out;
  out.set_height(c.height);
  *out.mutable_credentials() = CountsOf(c.credentials);
  pb::IssuerStatusCounts* by_status = out.mutable_issuers_by_status();
  uint64_t issuers = 0;
  for (const auto& [status, n] : c.issuers) {
    issuers += n;
    AddCount(by_status, pb::IssuerStatus_Name(static_cast<pb::IssuerStatus>(status)), n);
  }
  out.set_issuers(issuers);
  out.set_transactions(c.transactions);
  out.set_transactions_ok(c.transactions_ok);
  return out;
}

std::string BlockProtoBytes(const storage::BlockRecord& b) {
  pb::StoredBlock out;
  pb::BlockMeta* meta = out.mutable_meta();
  meta->set_height(b.height);
  meta->set_block_id(ToString(b.block_id));
  meta->set_parent_id(ToString(b.parent_id));
  meta->set_time_ms(b.time_ms);
  meta->set_tx_count(static_cast<uint32_t>(b.txs.size()));
  meta->set_state_root(ToString(b.state_root));
  meta->set_tx_root(ToString(b.tx_root));
  for (const types::Tx& tx : b.txs) {
    pb::Tx* t = out.add_txs();
    t->set_body(ToString(tx.body));
    for (const auto& s : tx.signatures) {
      pb::Signature* sig = t->add_signatures();
      sig->set_public_key(ToString(s.public_key));
      sig->set_signature(ToString(s.signature));
    }
  }
  out.set_header(ToString(b.header));
  out.set_certificate(ToString(b.certificate));
  for (ledger::TxCode c : b.results) out.add_results(static_cast<uint32_t>(c));
  return out.SerializeAsString();
}

}  // namespace laurel::rpc

#include "rpc/convert.h"

#include <google/protobuf/util/json_util.h>

#include "laurel/v1/state.pb.h"
#include "laurel/v1/tx.pb.h"
#include "ledger/codes.h"

namespace laurel::rpc {
namespace {

namespace pb = ::laurel::v1;

std::string B64(ByteView b) { return Base64Encode(b); }
std::string HexOf(ByteView b) { return HexEncode(b); }

}  // namespace

std::string HashHex(const Hash32& h) { return HexEncode(h); }

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

nlohmann::json CommittedTxJson(const Hash32& tx_id, const storage::TxLocation& loc) {
  return {{"tx_id", HashHex(tx_id)},
          {"status", "committed"},
          {"height", loc.height},
          {"position", loc.position},
          {"result", ledger::TxCodeName(loc.code)}};
}

nlohmann::json StatusJson(const node::NodeStatus& s) {
  return {{"chain_id", s.chain_id},
          {"node_name", s.node_name},
          {"public_key", HexOf(s.public_key)},
          {"height", s.height},
          {"last_block_id", HashHex(s.last_block_id)},
          {"last_block_time_ms", s.last_block_time_ms},
          {"state_root", HashHex(s.state_root)},
          {"round", s.round},
          {"epoch", s.epoch},
          {"validators", s.validators},
          {"peers_connected", s.peers_connected},
          {"syncing", s.syncing},
          {"mempool_txs", s.mempool_txs},
          {"mempool_bytes", s.mempool_bytes},
          {"certified_height", s.certified_height}};
}

nlohmann::json BlockJson(const storage::BlockRecord& b) {
  nlohmann::json txs = nlohmann::json::array();
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  for (size_t i = 0; i < b.txs.size(); ++i) {
    const types::Tx& tx = b.txs[i];
    nlohmann::json t;
    t["tx_id"] = HashHex(types::TxId(tx));
    t["position"] = i;
    t["result"] = i < b.results.size() ? ledger::TxCodeName(b.results[i]) : nlohmann::json(nullptr);
    t["body"] = B64(tx.body);
    pb::TxBody body;
    if (body.ParseFromArray(tx.body.data(), static_cast<int>(tx.body.size()))) {
      std::string body_json;
      if (google::protobuf::util::MessageToJsonString(body, &body_json, print).ok()) {
        nlohmann::json parsed = nlohmann::json::parse(body_json, nullptr, false);
        if (!parsed.is_discarded()) t["decoded_body"] = std::move(parsed);
      }
    }
    nlohmann::json sigs = nlohmann::json::array();
    for (const auto& s : tx.signatures) {
      sigs.push_back({{"public_key", B64(s.public_key)}, {"signature", B64(s.signature)}});
    }
    t["signatures"] = std::move(sigs);
    txs.push_back(std::move(t));
  }
  return {{"height", b.height},
          {"block_id", HashHex(b.block_id)},
          {"parent_id", HashHex(b.parent_id)},
          {"time_ms", b.time_ms},
          {"state_root", HashHex(b.state_root)},
          {"tx_root", HashHex(b.tx_root)},
          {"tx_count", b.txs.size()},
          {"txs", std::move(txs)},
          {"header", B64(b.header)},
          {"certificate", B64(b.certificate)}};
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

#include "rpc/receipts.h"

#include "crypto/merkle.h"
#include "ledger/executor.h"
#include "node/wire.h"
#include "rpc/convert.h"
#include "rpc/proofs.h"

namespace laurel::rpc {

namespace pb = ::laurel::v1;

HttpResponse ReceiptAnswer(const storage::Store& store, const Hash32& tx_id, bool pending,
                           const HttpRequest& req) {
  const auto loc = store.GetTxLocation(tx_id);
  if (!loc) {
    return ErrorResponse(
        404, "NOT_FOUND",
        pending ? "transaction " + HashHex(tx_id) + " is pending: it has a receipt once committed"
                : "unknown transaction " + HashHex(tx_id));
  }
  auto block = store.GetBlock(loc->height);
  if (!block.ok()) return ErrorResponse(500, "STORE_ERROR", block.status().ToString());
  if (!block->has_value()) {
    return ErrorResponse(500, "INTERNAL",
                         "the tx index names height " + std::to_string(loc->height) +
                             ", which this node does not hold");
  }
  const storage::BlockRecord& b = **block;
  if (loc->position >= b.txs.size() || b.results.size() != b.txs.size() ||
      types::TxId(b.txs[loc->position]) != tx_id) {
    return ErrorResponse(500, "INTERNAL",
                         "the tx index and block " + std::to_string(b.height) + " disagree");
  }
  std::vector<Hash32> leaves;
  leaves.reserve(b.txs.size());
  for (size_t i = 0; i < b.txs.size(); ++i) {
    leaves.push_back(
        crypto::MerkleLeafHash(ledger::TxRootLeaf(types::TxId(b.txs[i]), b.results[i])));
  }
  if (crypto::MerkleRoot(leaves) != b.tx_root) {
    return ErrorResponse(500, "INTERNAL",
                         "block " + std::to_string(b.height) + "'s tx_root is not its leaves'");
  }

  auto cert_bytes = store.GetStateCertificate(b.height);
  if (!cert_bytes.ok()) return ErrorResponse(500, "STORE_ERROR", cert_bytes.status().ToString());
  if (!cert_bytes->has_value()) {
    return NoCertificateAt(store, b.height, "ask another node", "each tx_root is one block's");
  }
  auto cert = node::DecodeStateCertificate(**cert_bytes);
  if (!cert.ok() || cert->data.height != b.height || cert->data.block_id != b.block_id ||
      cert->data.tx_root != b.tx_root || cert->data.time_ms != b.time_ms) {
    return ErrorResponse(500, "INTERNAL",
                         "this node's state certificate of height " + std::to_string(b.height) +
                             " does not match its block");
  }

  pb::ReceiptView v;
  v.set_tx_id(HashHex(tx_id));
  v.set_tx(HexEncode(types::EncodeTx(b.txs[loc->position])));
  v.set_height(b.height);
  v.set_position(loc->position);
  v.set_code(static_cast<uint32_t>(b.results[loc->position]));
  v.set_result(ledger::TxCodeName(b.results[loc->position]));
  v.set_tx_count(static_cast<uint32_t>(b.txs.size()));
  for (const auto& h : crypto::MerkleInclusionProof(leaves, loc->position)) {
    v.add_audit_path(HexEncode(h));
  }
  v.set_tx_root(HexEncode(b.tx_root));
  v.set_block_id(HexEncode(b.block_id));
  v.set_time_ms(b.time_ms);
  v.set_certificate(HexEncode(**cert_bytes));
  AddEpochChanges(store, cert->data.epoch, v.mutable_epoch_changes());
  return MessageResponse(200, v, req);
}

}  // namespace laurel::rpc

// Transaction receipts (GET /v1/txs/{tx_id}/receipt, docs/api.md "Receipts"): a committed
// transaction with the RFC 6962 audit path of its leaf in its block's tx_root and the state
// certificate of that height, which signs the tx_root. Checked by verifier::CheckReceipt.
#pragma once

#include "laurel/v1/api.pb.h"
#include "rpc/router.h"
#include "storage/store.h"

namespace laurel::rpc {

// The receipt of a committed transaction, or the error answer: 404 NOT_FOUND (not committed
// here), 503 NO_CERTIFICATE (this node holds no state certificate of the transaction's height:
// not formed yet just after the commit, or never received by a node that synced that block; a
// later height's certificate cannot stand in, since each tx_root is one block's), 500 when the
// node's own block and certificate disagree (never served as a receipt).
HttpResponse ReceiptAnswer(const storage::Store& store, const Hash32& tx_id, bool pending,
                           const HttpRequest& req);

}  // namespace laurel::rpc

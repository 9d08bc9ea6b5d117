// The transaction log routes (docs/api.md "Transaction log", docs/spec/state.md §12):
// GET /v1/log (the head; ?proof=true proves the state record "l" under a state certificate),
// GET /v1/log/proof/inclusion (?index= or ?tx=, optional ?size=) and
// GET /v1/log/proof/consistency (?first=, optional ?second=). Proofs are computed from the
// stored complete subtrees (crypto/merkle_log.h): O(log n) look-ups.
#pragma once

#include "rpc/router.h"
#include "storage/store.h"

namespace laurel::rpc {

HttpResponse TxLogHeadAnswer(const storage::Store& store, const HttpRequest& req);
HttpResponse TxLogInclusionAnswer(const storage::Store& store, const HttpRequest& req);
HttpResponse TxLogConsistencyAnswer(const storage::Store& store, const HttpRequest& req);

}  // namespace laurel::rpc

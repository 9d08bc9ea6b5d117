// Checking a transaction receipt (GET /v1/txs/{id}/receipt) on the client, trusting no node:
// only the genesis validator set (docs/spec/state.md §11).
#pragma once

#include <string>

#include "cli/cli_util.h"
#include "cli/rpc_client.h"
#include "ledger/executor.h"
#include "verifier/verifier.h"

namespace laurel::cli {

struct ReceiptCheck {
  bool ok = false;
  std::string why;        // when !ok: what failed
  std::string statement;  // when ok: "proven: tx … committed at height H position P with
                          // result R, by validators a,b,c"
  std::string detail;     // when ok: the block, its time and what the transaction was
  verifier::ProvenReceipt receipt;
};

// verifier::CheckReceipt against the genesis set, then the receipt's `result` name must be
// the name of its certified code.
ReceiptCheck CheckReceiptAnswer(const Json& receipt, const ledger::Genesis& genesis);

}  // namespace laurel::cli

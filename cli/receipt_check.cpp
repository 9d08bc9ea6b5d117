#include "cli/receipt_check.h"

#include <nlohmann/json.hpp>

#include "cli/proof_check.h"
#include "ledger/codes.h"
#include "types/tx.h"

namespace laurel::cli {
namespace {

ReceiptCheck Refuse(std::string why) {
  ReceiptCheck c;
  c.why = std::move(why);
  return c;
}

}  // namespace

ReceiptCheck CheckReceiptAnswer(const Json& receipt, const ledger::Genesis& genesis) {
  if (!receipt.is_object()) return Refuse("the receipt is not a JSON object");
  auto r = verifier::CheckReceipt(nlohmann::json::parse(receipt.dump()), ValidatorSetOf(genesis));
  if (!r.ok()) return Refuse(r.status().message());
  const std::string name = r->code <= ledger::kMaxTxCode
                               ? ledger::TxCodeName(static_cast<ledger::TxCode>(r->code))
                               : "code " + std::to_string(r->code);
  if (!receipt.contains("result") || !receipt["result"].is_string() ||
      receipt["result"].get<std::string>() != name) {
    return Refuse("the receipt's result '" +
                  Printable(receipt.contains("result") && receipt["result"].is_string()
                                ? receipt["result"].get<std::string>()
                                : std::string(),
                            64) +
                  "' is not " + name + ", the name of its certified code " +
                  std::to_string(r->code));
  }
  std::string signers;
  for (const auto& n : r->signers) signers += (signers.empty() ? "" : ",") + n;
  ReceiptCheck ok;
  ok.ok = true;
  ok.statement = "proven: tx " + HexEncode(r->tx_id) + " committed at height " +
                 std::to_string(r->height) + " position " + std::to_string(r->position) +
                 " with result " + name + ", by validators " + signers;
  auto body = types::DecodeTxBody(r->body);
  ok.detail = "block " + HexEncode(r->block_id) + " (" + FormatUnixTime(r->time_ms / 1000) + ", " +
              std::to_string(r->tx_count) + " tx), " + std::to_string(r->signers.size()) + " of " +
              std::to_string(r->validators) + " validators" +
              (r->epoch > 0 ? " of epoch " + std::to_string(r->epoch) : "") + "; " +
              (body.ok() ? std::string(types::ActionName(body->action)) + " on chain '" +
                               Printable(body->chain_id, 64) + "'"
                         : std::string("a body that does not decode")) +
              ", " + std::to_string(r->signer_keys.size()) + " signature(s)";
  ok.receipt = std::move(r).value();
  return ok;
}

}  // namespace laurel::cli

#include "node/batch_check.h"

#include <algorithm>

#include "crypto/ed25519.h"
#include "crypto/sha256.h"

namespace laurel::node {

Hash32 SigDigest(const types::Tx& tx, const Hash32& tx_id) {
  crypto::Sha256 h;
  h.Update(std::string_view("laurel/verified/v1")).Update(tx_id);
  for (const auto& s : tx.signatures) h.Update(s.public_key).Update(s.signature);
  return h.Finish();
}

BatchCheckPolicy::BatchCheckPolicy(uint32_t me, uint32_t n, Limits limits)
    : me_(me), n_(n), limits_(limits), eager_until_(n, 0) {}

bool BatchCheckPolicy::Designated(uint32_t author, uint32_t me, uint32_t n) {
  if (n == 0 || author >= n || me >= n || me == author) return false;
  const uint32_t f = (n - 1) / 3;
  const uint32_t after = (me + n - author) % n;  // 1 for the next validator, n-1 for the previous
  return after >= 1 && after <= f;
}

bool BatchCheckPolicy::CheckOnReceipt(uint32_t author, uint64_t now_ms) const {
  if (Designated(author, me_, n_)) return true;
  // An author this policy does not know (another epoch's numbering): check rather than hold.
  if (author >= eager_until_.size()) return true;
  return now_ms < eager_until_[author];
}

void BatchCheckPolicy::OnNoProofInTime(uint32_t author, uint64_t now_ms) {
  if (author < eager_until_.size()) {
    eager_until_[author] = std::max(eager_until_[author], now_ms + limits_.eager_ms);
  }
}

Result<std::vector<Hash32>> CheckBatchTxs(const std::vector<Bytes>& txs, bool verify_signatures,
                                          std::vector<Hash32>* tx_ids) {
  std::vector<Hash32> digests;
  if (verify_signatures) digests.reserve(txs.size());
  if (tx_ids != nullptr) {
    tx_ids->clear();
    tx_ids->reserve(txs.size());
  }
  for (size_t i = 0; i < txs.size(); ++i) {
    auto tx = types::DecodeTx(txs[i]);
    if (!tx.ok() || types::EncodeTx(*tx) != txs[i]) {
      return Status::InvalidArgument("transaction " + std::to_string(i) +
                                     " is not a canonical encoding");
    }
    if (tx_ids != nullptr) tx_ids->push_back(types::TxId(*tx));
    if (!verify_signatures) continue;
    if (tx->signatures.empty()) {
      return Status::InvalidArgument("transaction " + std::to_string(i) + " is not signed");
    }
    for (const auto& s : tx->signatures) {
      if (!crypto::VerifyWithDomain(s.public_key, types::kTxSignDomain, tx->body, s.signature)) {
        return Status::InvalidArgument("transaction " + std::to_string(i) +
                                       " carries a signature that does not verify");
      }
    }
    digests.push_back(SigDigest(*tx, types::TxId(*tx)));
  }
  return digests;
}

}  // namespace laurel::node

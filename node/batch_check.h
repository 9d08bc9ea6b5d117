// Checking peers' batches, and who checks them (docs/spec/batches.md §2.1).
//
// A validator's acknowledgement of a batch attests that every transaction in it is a canonical
// encoding whose every signature verifies. A proof of availability (f+1 acknowledgements, at
// least one of them honest) therefore stands for its batch's signatures, and execution does
// not verify them again. The author checked its transactions at admission; f validators more
// make a proof, so a batch is checked on receipt only by the f validators that follow its author
// in validator order (its designated checkers). The others hold it and wait for its proof. When
// none comes within `defer_ms` (a designated checker is down, slow or Byzantine), they check and
// acknowledge it themselves, and check that author's batches on receipt for `eager_ms` after.
// With n = 3f+1 validators each transaction's signatures are verified f+1 times in the network
// instead of n times.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "types/tx.h"

namespace laurel::node {

// Identifies a transaction together with its exact signatures: what "verified" means.
Hash32 SigDigest(const types::Tx& tx, const Hash32& tx_id);

class BatchCheckPolicy {
 public:
  struct Limits {
    uint64_t defer_ms = 200;     // a held batch waits this long for its proof
    uint64_t eager_ms = 10'000;  // then its author's batches are checked on receipt this long
  };
  BatchCheckPolicy() = default;
  BatchCheckPolicy(uint32_t me, uint32_t n, Limits limits);

  // Whether `me` is one of the f validators after `author` (mod n), f = (n - 1) / 3.
  static bool Designated(uint32_t author, uint32_t me, uint32_t n);
  // Check `author`'s batch on receipt (designated, or `author` recently left a batch unproven),
  // or hold it until its proof.
  bool CheckOnReceipt(uint32_t author, uint64_t now_ms) const;
  // A held batch of `author` got no proof within defer_ms.
  void OnNoProofInTime(uint32_t author, uint64_t now_ms);
  const Limits& limits() const { return limits_; }

 private:
  uint32_t me_ = 0;
  uint32_t n_ = 0;
  Limits limits_;
  std::vector<uint64_t> eager_until_;  // by author
};

// The check an acknowledgement attests: every transaction is a canonical encoding and, when
// `verify_signatures`, carries at least one signature and all of them verify. Ok with the
// transactions' SigDigests (empty when the signatures were not verified), or the first problem.
// `tx_ids`, when given, receives every transaction's id (in batch order; cleared first).
Result<std::vector<Hash32>> CheckBatchTxs(const std::vector<Bytes>& txs, bool verify_signatures,
                                          std::vector<Hash32>* tx_ids = nullptr);

}  // namespace laurel::node

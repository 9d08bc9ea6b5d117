// A seeded generator of transaction sequences for tests: valid transactions across every
// action (governance k-of-n and delegated issuer registration, issue, suspend, reinstate,
// revoke, renew, key rotation, issuer status) mixed with deliberately invalid ones (wrong
// chain, bad or missing signatures, duplicates, unknown ids, illegal transitions, ...).
//
// Deterministic: the same seed and options give the same genesis and, as long as the
// executed results fed back through Observe are the same, the same blocks. Block h depends
// only on (seed, results of blocks 1..h-1), so a process can rebuild the generator after a
// restart by replaying NextBlock/Observe over the blocks it already stored.
//
// Usage per block: txs = NextBlock(height); execute; Observe(codes). Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ledger/codes.h"
#include "ledger/executor.h"
#include "types/tx.h"

namespace laurel::test {

struct TxGenOptions {
  size_t txs_per_block = 20;
  // Fraction of transactions that are deliberately invalid.
  double invalid_fraction = 0.3;
  size_t admins = 4;
  uint32_t threshold = 3;
  uint64_t genesis_time_ms = 1'700'000'000'000;
};

struct TxGenStats {
  uint64_t txs = 0;
  uint64_t ok = 0;
  uint64_t rejected = 0;
  // Transactions whose result differed from what the generator intended (it predicts from its
  // own model of the state, so this should stay near zero; see Mismatches()).
  uint64_t unexpected = 0;
  std::map<ledger::TxCode, uint64_t> by_code;
  std::map<std::string, uint64_t> ok_by_action;
};

class TxGen {
 public:
  explicit TxGen(uint64_t seed, TxGenOptions options = {});
  ~TxGen();
  TxGen(const TxGen&) = delete;
  TxGen& operator=(const TxGen&) = delete;

  const ledger::Genesis& genesis() const;
  const std::string& chain_id() const;

  // The transactions of block `height` (1 for the first block after genesis). With
  // `sign == false` signatures are left as placeholders of the right size (same bodies, same
  // generator state): for replaying quickly when only the model matters.
  std::vector<types::Tx> NextBlock(uint64_t height, bool sign = true);
  // Feeds back the result codes of the block last returned by NextBlock, one per tx.
  void Observe(std::span<const ledger::TxCode> codes);
  void Observe(const ledger::BlockResult& result);

  const TxGenStats& stats() const;
  // Up to 20 descriptions of transactions whose result was not the intended one.
  const std::vector<std::string>& Mismatches() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "txs=.. ok=.. rejected=.. unexpected=.. codes{...}" for test logs.
std::string Describe(const TxGenStats& s);

}  // namespace laurel::test

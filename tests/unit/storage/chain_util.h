// Driving a store with the executor, block by block, as a node does (shared by the
// determinism test, the crash test and the crash writer).
#pragma once

#include <string>
#include <vector>

#include "crypto/sha256.h"
#include "ledger/executor.h"
#include "storage/store.h"

namespace laurel::storage::test {

inline uint64_t BlockTimeMs(const ledger::Genesis& g, uint64_t height) {
  return g.genesis_time_ms + height * 1000;
}

// A block record for `txs` at `height` with a made-up but deterministic id.
inline BlockRecord MakeBlockRecord(uint64_t height, const Hash32& parent_id, uint64_t time_ms,
                                   std::vector<types::Tx> txs) {
  BlockRecord b;
  b.height = height;
  b.parent_id = parent_id;
  b.time_ms = time_ms;
  crypto::Sha256 h;
  std::string head("laurel/test-block\0", 18);
  AppendU64BE(head, height);
  h.Update(head).Update(parent_id);
  for (const auto& tx : txs) h.Update(types::TxId(tx));
  b.block_id = h.Finish();
  b.header = Bytes(b.block_id.begin(), b.block_id.end());
  b.txs = std::move(txs);
  return b;
}

inline Status CommitGenesis(Store& store, const ledger::Genesis& g) {
  LAUREL_RETURN_IF_ERROR(ledger::ValidateGenesis(g));
  BlockRecord b = MakeBlockRecord(0, Hash32{}, g.genesis_time_ms, {});
  return store.CommitBlock(b, ledger::ExecuteGenesis(g));
}

// Executes `txs` on top of the store's tip and commits them as the next block.
inline Result<ledger::BlockResult> ExecuteAndCommit(
    Store& store, const ledger::Executor& exec, const ledger::Genesis& g, const Hash32& parent_id,
    std::vector<types::Tx> txs, Hash32* block_id_out = nullptr,
    Store::Durability durability = Store::Durability::kSynced) {
  const uint64_t height = store.Height() + 1;
  const ledger::BlockContext ctx{height, BlockTimeMs(g, height), store.StateRoot()};
  ledger::BlockResult result = exec.ExecuteBlock(store, ctx, txs);
  BlockRecord b = MakeBlockRecord(height, parent_id, ctx.time_ms, std::move(txs));
  LAUREL_RETURN_IF_ERROR(store.CommitBlock(b, result, durability));
  if (block_id_out) *block_id_out = b.block_id;
  return result;
}

}  // namespace laurel::storage::test

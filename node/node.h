// laureld's node: wires the store, the ledger executor, the consensus engine, the mempool and
// the P2P transport, and serves NodeApi to the HTTP API.
//
// Threads: one event loop thread runs the consensus engine, the mempool, execution and sync
// (an implicit strand: no locks inside); the transport has its own I/O thread and posts every
// frame to the loop; transaction signature checks run on the caller's thread (RPC) or on a
// small verification pool (gossip), never on the loop. NodeApi methods are thread-safe.
//
// Durability: a committed block's effects reach RocksDB in one synced batch before anything
// that depends on them (attestations, replies to waiting clients) leaves the node; the
// consensus safety record is synced before a vote or timeout is sent.
//
// A node whose executed state root disagrees with a state certificate of 2f+1 validators
// stops at once with a critical log line (exit code 70): its state cannot be trusted.
#pragma once

#include <memory>

#include "common/status.h"
#include "crypto/ed25519.h"
#include "ledger/executor.h"
#include "node/config.h"
#include "node/node_api.h"

namespace laurel::node {

class Node final : public NodeApi {
 public:
  // Opens (or creates) the store under config.data_dir and commits genesis on an empty one;
  // refuses a store whose genesis differs, and a key that is not a validator's.
  static Result<std::unique_ptr<Node>> Open(NodeConfig config, ledger::Genesis genesis,
                                            crypto::PrivateKey key);
  ~Node() override;

  // Starts the transport, the event loop and consensus.
  laurel::Status Start();
  // Stops everything; idempotent.
  void Stop();

  // NodeApi
  void SubmitTx(types::Tx tx, std::function<void(AdmitResult)> done) override;
  void WaitForCommit(const Hash32& tx_id, std::chrono::milliseconds timeout,
                     std::function<void(std::optional<storage::TxLocation>)> done) override;
  bool IsPending(const Hash32& tx_id) const override;
  NodeStatus Status() const override;
  const storage::Store& store() const override;
  bool Ready() const override;
  const ledger::Genesis& genesis() const override;
  metrics::Registry* metrics() const override;
  Result<EvidencePage> ListEvidence(uint64_t after, size_t limit) const override;

  uint16_t p2p_port() const;

 private:
  class Impl;
  explicit Node(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace laurel::node

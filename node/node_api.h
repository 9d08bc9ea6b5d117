// What the node offers its HTTP API (rpc/): submit transactions, wait for their commit, and
// read status. Reads of blocks, transactions, state and history go straight to the Store.
//
// Thread safety: every method may be called from any thread (the RPC server's threads); the
// node posts work to its own event loop and answers through the callbacks, which run on a
// node thread — a callback must not block.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "ledger/codes.h"
#include "ledger/executor.h"
#include "node/evidence_log.h"
#include "storage/store.h"
#include "types/tx.h"

namespace laurel::metrics {
class Registry;
}  // namespace laurel::metrics

namespace laurel::node {

// Why the mempool refused a transaction (or kAccepted).
enum class AdmitCode : uint8_t {
  kAccepted = 0,
  kAlreadyKnown,    // already pending: accepted earlier (idempotent resubmission)
  kCommitted,       // already committed (see the tx index)
  kInvalid,         // fails a check (stateless, or the state rules); `tx_code` says which
  kMempoolFull,     // count or byte cap reached; try again later
  kTooLarge,        // over the per-transaction size limit
  kNotReady,        // the node is still syncing
  kSignerQuota,     // a signing key already holds its fair share of the mempool; retry later
  kExpiryTooFar,    // expires_at_height more than kMaxExpiryDistance ahead
};
const char* AdmitCodeName(AdmitCode c);  // "ACCEPTED", "ALREADY_KNOWN", ...

struct AdmitResult {
  AdmitCode code = AdmitCode::kAccepted;
  ledger::TxCode tx_code = ledger::TxCode::kOk;  // for kInvalid
  Hash32 tx_id{};
  std::string message;  // human-readable reason
};

struct NodeStatus {
  std::string chain_id;
  std::string node_name;
  Bytes public_key;
  uint64_t height = 0;          // last committed and executed height
  Hash32 last_block_id{};
  uint64_t last_block_time_ms = 0;
  Hash32 state_root{};
  uint64_t round = 0;           // consensus round
  uint64_t epoch = 0;
  bool validator = false;       // votes in the current epoch (false: a full node)
  uint32_t validators = 0;
  uint32_t peers_connected = 0;
  bool syncing = false;
  uint64_t mempool_txs = 0;
  uint64_t mempool_bytes = 0;
  uint64_t certified_height = 0;  // highest height with a state certificate
  // Whether the node is ready (node/readiness.h: synced, heard from a quorum of peers,
  // committing), and if not, why ("syncing: height 12 of 80", "no commit for 45 s", ...).
  bool ready = false;
  std::string not_ready_reason;
};

class NodeApi {
 public:
  virtual ~NodeApi() = default;

  // Admission of one transaction (decode already done by the caller). `done` runs once.
  virtual void SubmitTx(types::Tx tx, std::function<void(AdmitResult)> done) = 0;
  // Calls `done` with the tx location once `tx_id` is committed (at once if it already is),
  // or with nullopt when `timeout` passes first.
  virtual void WaitForCommit(const Hash32& tx_id, std::chrono::milliseconds timeout,
                             std::function<void(std::optional<storage::TxLocation>)> done) = 0;
  // Whether `tx_id` is pending in this node's mempool.
  virtual bool IsPending(const Hash32& tx_id) const = 0;
  virtual NodeStatus Status() const = 0;
  // Committed data (thread-safe reads).
  virtual const storage::Store& store() const = 0;
  // The genesis this node was started with (immutable).
  virtual const ledger::Genesis& genesis() const = 0;
  // Status().ready: the node has caught up with its peers and takes part in consensus.
  virtual bool Ready() const = 0;
  // The node's metrics registry (see node/node_metrics.h), or nullptr when it keeps none; the
  // RPC layer adds its own series to it and serves it at /metrics.
  virtual metrics::Registry* metrics() const { return nullptr; }
  // The consensus evidence this node recorded (node/evidence_log.h, <data>/evidence.jsonl),
  // records with seq > `after`, oldest first, at most `limit`: GET /v1/evidence. Without a
  // data folder (or by default), no records.
  virtual Result<EvidencePage> ListEvidence(uint64_t after, size_t limit) const {
    (void)after;
    (void)limit;
    return EvidencePage{};
  }
};

}  // namespace laurel::node

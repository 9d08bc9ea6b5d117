// The chain auditor behind `laurel audit` (docs/auditor.md): checks a node's committed chain
// from genesis with no trust in the node that serves it.
//
// For every height, in order: the height sequence and the parent hash links; that the block id
// reproduces from the stored header and the payload rebuilt from the txs; the proposer's
// signature, the QCs of the commit proof and the 2-chain commit rule against the validator set
// of the height's epoch (node/commit_proof.h, the checks block sync applies; epochs as
// node/epochs.h derives them: a block whose execution changes the validator list ends its
// epoch, and its state certificate must name the next set); every transaction signature;
// then it re-executes the block with ledger::Executor on an in-memory store grown from
// ExecuteGenesis and compares the state root, the tx root and every result code with the
// stored ones and with the height's state certificate, whose 2f+1 signatures it verifies.
//
// Contract: Check() takes consecutive heights starting at next_height(); the first failure is
// returned and the auditor must not be fed again afterwards. Signatures are verified on up to
// `threads` threads inside Check(); otherwise not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "ledger/executor.h"
#include "node/wire.h"
#include "storage/store.h"

namespace laurel::v1 {
class ChainBlock;
}

namespace laurel::cli {

// One committed block as a node serves it: the stored record and the height's state
// certificate when the node has one.
struct AuditBlock {
  storage::BlockRecord record;
  std::optional<node::StateCertificate> certificate;
};

// The first thing found wrong, at a height.
struct AuditFailure {
  uint64_t height = 0;
  std::string what;
};

struct AuditTotals {
  uint64_t blocks = 0;     // heights checked, genesis included
  uint64_t txs = 0;        // transactions re-executed
  uint64_t certified = 0;  // heights whose state certificate was checked
  uint64_t epochs = 0;     // epoch changes found (validator set changes)
  uint64_t last_certified = 0;
  uint64_t height = 0;  // the last height checked
  Hash32 block_id{};    // ... its id
  Hash32 state_root{};  // ... and the state root after it
};

// Whether most of the audited chain lacks state certificates: fewer than half of the heights
// after genesis (genesis never has one) carried a certificate, none at all included. Such an
// audit still checked every block's commit proof and re-executed it, but for most heights no
// quorum's signature confirms the state it computed (docs/auditor.md, "Limits").
bool FewCertificates(const AuditTotals& t);

// The AuditBlock of a laurel.v1.ChainBlock. kInvalidArgument when the record is malformed
// (hash sizes, counts, unknown result codes, certificate fields).
Result<AuditBlock> AuditBlockFromProto(const v1::ChainBlock& m);

// Where a passed audit stopped, enough to continue from there (`laurel audit --checkpoint`):
// the audited tip, the totals so far, and the epoch of the next height. The audit state itself
// (the re-executed ledger) is the store the auditor ran on.
struct AuditResumePoint {
  uint64_t height = 0;
  Hash32 block_id{};
  Hash32 state_root{};
  uint64_t epoch = 0;               // the epoch of height + 1
  uint64_t epoch_start_height = 1;  // its first height
  Hash32 epoch_root_id{};           // the block before it
  AuditTotals totals;
  // The transaction log's head in the re-executed state at `height` (the state record "l",
  // docs/spec/state.md §12).
  uint64_t log_size = 0;
  Hash32 log_root{};
};

class ChainAuditor {
 public:
  // `genesis` must be valid (ledger::ValidateGenesis). The audit state is re-executed into
  // `store` (a fresh memory store when null; a RocksDB store to keep it for a checkpoint).
  explicit ChainAuditor(ledger::Genesis genesis, unsigned threads = 2,
                        std::unique_ptr<storage::Store> store = nullptr);
  ~ChainAuditor();
  ChainAuditor(const ChainAuditor&) = delete;
  ChainAuditor& operator=(const ChainAuditor&) = delete;

  // Checks `blocks`, which must start at next_height() (the first call at height 0). Calls
  // `progress` after each height. The first failure, or nullopt.
  std::optional<AuditFailure> Check(std::vector<AuditBlock> blocks,
                                    const std::function<void(const AuditTotals&)>& progress = {});
  // At the end of the chain: a failure when blocks are still waiting for a commit proof.
  std::optional<AuditFailure> Finish() const;

  // Continues a passed audit: `store` (given to the constructor) must hold exactly the state
  // after p.height, with the block p.block_id there and the state root p.state_root;
  // kCorruption naming the difference otherwise. Before the first Check().
  Status ResumeAt(const AuditResumePoint& p);
  // The resume point after the last checked height. Meaningful when !proof_pending().
  AuditResumePoint ResumePoint() const;

  uint64_t next_height() const;
  // Whether some checked blocks are committed only by a descendant not yet seen.
  bool proof_pending() const;
  const AuditTotals& totals() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace laurel::cli

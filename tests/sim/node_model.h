// The node layer of the random-mode simulator (simulator.h): what node/node_loop.cpp wires
// around each engine, modelled with the real state machines.
//
// Each honest instance gets a Mempool and a PayloadBook that is the engine's PayloadSource (Pull
// with the branch from the highest QC's block and the ChainView, as Node::Impl::Pull does; a
// peer's proposal is noted before the engine sees it and handled after, own proposals are
// noted as sent, commits leave the mempool), and a SyncTracker fed by Hello messages. Committed
// blocks are "executed" into the instance's set of committed tx ids (payloads are EncodePayload
// of synthetic transactions whose signatures are never checked). Clients submit transactions to
// random honest instances over virtual time; the instance admits and gossips them (one gossip
// message per transaction, with the network's delays, drops and partitions). A crash loses the
// mempool, the book and the tracker; the committed set is durable, like the ledger.
//
// With Scenario::byzantine_node, Byzantine key 0 also lies: Hellos claiming height 2^62 (and a
// forged answer when it is asked for blocks), fake proposals signed with its key in rounds
// ~2^40 listing transactions pending in honest mempools, and streams of block variants for its
// own rounds.
//
// Invariants (violations go to NodeHost::Violation): an honest instance never executes a tx id
// it already committed from a block an honest key proposed (DUPLICATE); a lying Hello or a
// forged sync answer never makes an honest tracker syncing(), apply blocks or restart the
// engine; and at the end (Finish), every transaction an honest instance admitted from a client
// before GST + kAdmitWindowMs is committed on every honest instance, unless the mempool refused
// it (counted) or every honest mempool holding it crashed (counted).
//
// Batch mode (Options::batches, docs/spec/batches.md): transactions are disseminated as digest
// batches instead of gossip. Each honest instance runs the real BatchStore and BatchFetcher: it
// cuts the transactions clients submitted to it into batches (every kBatchEveryMs or
// kBatchMaxTxs), pushes them to every peer over the simulated network, the peers store them and
// send back an acknowledgement signed with their validator key, f+1 acknowledgements make a
// proof of availability that the author broadcasts (again and again until the batch executed or
// expired), and the payload source proposes a version-2 payload of the proofs it holds that are
// neither in the branch it extends nor committed (executed or not). Committed blocks execute in
// order with ResolveBatchPayload; a batch that is not held is fetched with the BatchFetcher
// (requests and answers are simulated messages, timeouts in virtual time), so a missing batch
// delays that instance's execution, not consensus. A node answers a request from its batch store
// or, for a batch it executed, from its committed transactions (standing for block sync). A
// proof whose batch already executed at a lower height is skipped (the digest names the same
// transactions). A crash loses the batch store, the fetcher, the proofs and the unbatched
// transactions; the committed chain, what it executed and the executed transactions stay.
//
// With Options::batch_byzantine (and Byzantine key 0), that key's instance also acts as a batch
// author (kByz* bits, combinable): it withholds its batches, pushing them to fewer than f+1
// validators (counting the Byzantine keys, which all acknowledge) or to exactly f+1; it answers
// fetch requests with wrong bytes or "not held"; its proposals carry proofs with a bad
// signature, expired proofs and proofs of batches already executed; and it pushes two batches
// under one batch id to two halves of the honest validators.
//
// Batch-mode invariants: every honest instance executes the same transaction sequence at every
// height it executed (EXECUTION SAFETY); no transaction of an honest batch executes twice
// (DUPLICATE); no transaction of a batch without a proof of availability executes (UNPROVEN);
// and at the end every honest instance has executed every block it committed (EXECUTION STALL:
// a withheld batch must not stop execution), besides admission liveness as above. A block whose
// batch no honest validator can serve any more (every honest holder crashed before executing
// it: the stores are in memory) is counted, and then the stall check does not apply.
//
// Thread safety: none; the simulator is single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "consensus/engine.h"

namespace laurel::sim {

// What the node layer needs from the cluster (implemented by the simulator's Cluster).
class NodeHost {
 public:
  virtual ~NodeHost() = default;
  virtual uint64_t HostNow() const = 0;
  virtual uint64_t HostRand(uint64_t n) = 0;
  virtual bool HostAfterGst() const = 0;
  virtual uint64_t HostGstMs() const = 0;
  virtual size_t HostInstances() const = 0;
  virtual uint32_t HostKey(int inst) const = 0;  // the instance's validator index
  virtual bool HostByzantine(int inst) const = 0;
  // The instance's engine, or nullptr while it is down.
  virtual consensus::Engine* HostEngine(int inst) = 0;
  // The instance's durable committed chain: height and last block id (genesis when empty), and
  // the certificates of its last block (false when none).
  virtual uint64_t HostLedgerHeight(int inst) const = 0;
  virtual consensus::BlockId HostLedgerTip(int inst) const = 0;
  virtual bool HostLastCommit(int inst, consensus::CommittedBlock* out) const = 0;
  virtual const consensus::ValidatorSet& HostValidators() const = 0;
  virtual const crypto::PrivateKey& HostSigningKey(uint32_t key) const = 0;
  // Whether a message from a to b gets through now (partitions, pre-GST drops), and its delay.
  virtual bool HostDeliverable(int a, int b) = 0;
  virtual uint64_t HostDelay() = 0;
  // Sends a consensus message from instance `from` through the simulated network.
  virtual void HostSend(int from, const consensus::Outbound& o) = 0;
  // Carries out what an engine input of instance `inst` returned, as after any other input (a
  // failed write halts the node instead).
  virtual void HostOutputs(int inst, const Status& st, consensus::Outputs& out) = 0;
  // Schedules NodeLayer::OnEvent(inst, event) at virtual time `at`.
  virtual void HostSchedule(uint64_t at, int inst, std::shared_ptr<const struct NodeEvent> ev) = 0;
  virtual void HostViolation(bool safety, const std::string& what) = 0;
};

struct NodeEvent;  // defined in node_model.cpp

class NodeLayer {
 public:
  // Limits of each honest mempool (small, so that a long partition fills it).
  static constexpr size_t kMempoolMaxTxs = 600;
  static constexpr size_t kBlockMaxTxs = 100;
  // Transactions admitted from clients before GST + this must commit.
  static constexpr uint64_t kAdmitWindowMs = 2000;

  struct Options {
    uint32_t txs_per_s = 0;
    uint32_t byzantine_keys = 0;  // keys 0..byzantine_keys-1 (Scenario::twins)
    bool byzantine_node = false;
    uint8_t mutation = 0;  // Scenario::node_mutation (0 = none)
    bool batches = false;  // Scenario::batches
    uint8_t batch_byzantine = 0;  // Scenario::batch_byzantine (kByz* bits)
  };
  // Batch mode: cut a batch every kBatchEveryMs or at kBatchMaxTxs transactions; a batch expires
  // kBatchExpiry heights above the author's executed height; a fetch waits kFetchTimeoutMs per
  // peer.
  static constexpr uint64_t kBatchEveryMs = 50;
  static constexpr size_t kBatchMaxTxs = 50;
  static constexpr uint64_t kBatchExpiry = 60;
  static constexpr uint64_t kFetchTimeoutMs = 600;
  // Scenario::batch_byzantine bits (Byzantine key 0's batch behaviours).
  static constexpr uint8_t kByzWithholdShort = 1;  // pushes to f validators in all: no proof
  static constexpr uint8_t kByzWithholdProved = 2;  // pushes to exactly f+1: one honest holder
  static constexpr uint8_t kByzBadAnswers = 4;      // fetch answers: wrong bytes or "not held"
  static constexpr uint8_t kByzBadProofs = 8;       // proposals with bad, expired, executed proofs
  static constexpr uint8_t kByzEquivocate = 16;     // two batches under one batch id
  // Scenario::node_mutation values of batch mode (each must be caught).
  static constexpr uint8_t kMutFetchUnchecked = 3;  // fetched bytes stored without the digest check
  static constexpr uint8_t kMutNoProofCheck = 4;    // proofs neither verified nor required
  static constexpr uint8_t kMutReexecute = 5;       // proofs of executed batches not skipped
  NodeLayer(NodeHost& host, const Options& options);
  ~NodeLayer();

  // Schedules client submissions, Hellos and the Byzantine behaviours. Call once at start.
  void Begin();
  // The PayloadSource of instance `inst` (its engine is built with it), when the layer has one
  // for it (every honest instance; in batch mode with kByzBadProofs also Byzantine key 0's).
  bool HasSource(int inst) const;
  consensus::PayloadSource& Source(int inst);
  // The instance crashed: mempool, book and tracker are lost; the committed set stays.
  void OnCrash(int inst);
  // Around the engine's handling of a consensus message from a peer.
  std::vector<Hash32> BeforeMessage(int inst, const consensus::Message& m);
  void AfterMessage(int inst, const consensus::Message& m, const std::vector<Hash32>& ids,
                    const Status& st);
  // The engine's outputs, after the cluster checked its commits and before it sends: own
  // proposals are noted, commits executed; a Byzantine instance adds its block variants.
  void OnOutputs(int inst, const consensus::Outputs& out);
  void OnEvent(int inst, const NodeEvent& ev);

  // Every owed transaction is committed on every honest instance (and the window is over).
  bool Done() const;
  // Checks admission liveness (at the end of the run); a summary for the violation text.
  void Finish();
  std::string Summary() const;
  // Batch mode's counters (for the tests).
  struct BatchStats {
    uint64_t executed_txs = 0;     // by all honest instances together
    uint64_t fetched = 0;          // batches obtained by fetching
    uint64_t archive_answers = 0;  // fetch answers from executed batches
    uint64_t skipped_invalid = 0;  // proofs skipped at execution (bad or expired)
    uint64_t skipped_executed = 0;  // proofs skipped as their batch had executed
    uint64_t unavailable_blocks = 0;  // stalls on a batch no honest node holds (crashes)
    uint64_t signers_lost = 0;  // stalls on a batch held only by honest non-signers (crashes)
    uint64_t byz_proofs = 0;
    uint64_t byz_withheld_proved_executed = 0;  // withheld batches executed on every honest node
    uint64_t byz_equivocated_executed = 0;
    uint64_t byz_wrong_answers = 0;
  };
  BatchStats Batches() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace laurel::sim

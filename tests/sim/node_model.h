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
  };
  NodeLayer(NodeHost& host, const Options& options);
  ~NodeLayer();

  // Schedules client submissions, Hellos and the Byzantine behaviours. Call once at start.
  void Begin();
  // The PayloadSource of honest instance `inst` (its engine is built with it).
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

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace laurel::sim

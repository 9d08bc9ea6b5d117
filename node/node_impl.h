// Internal to node/: the Node's implementation class, shared by node.cpp (start-up and
// NodeApi), node_loop.cpp (consensus, execution, attestations, admission) and node_sync.cpp.
// It is the wiring: sockets, timers, the store and the executor. What to decide is left to the
// state machines it feeds - PayloadBook, SyncTracker, AttestationBook (and the Mempool) - whose
// outputs it carries out.
#pragma once

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "consensus/codec.h"
#include "consensus/engine.h"
#include "crypto/sha256.h"
#include "node/attestation_book.h"
#include "node/batch_check.h"
#include "node/batch_fetcher.h"
#include "node/batch_log.h"
#include "node/batch_store.h"
#include "node/epochs.h"
#include "node/evidence_log.h"
#include "node/inbound_queue.h"
#include "node/mempool.h"
#include "node/net/transport.h"
#include "node/node.h"
#include "node/node_metrics.h"
#include "node/payload.h"
#include "node/payload_book.h"
#include "node/proof_pool.h"
#include "node/readiness.h"
#include "node/restore_fence.h"
#include "node/serve_budget.h"
#include "node/sync_tracker.h"
#include "node/wire.h"

namespace laurel::node {

namespace asio = boost::asio;
namespace cs = laurel::consensus;
using std::chrono::milliseconds;

namespace detail {

inline constexpr std::string_view kSafetyRecord = kSafetyRecordName;
inline constexpr size_t kSyncFrameSlack = size_t{64} * 1024;  // room left in a sync frame
inline constexpr int kExitStateMismatch = 70;
// Peer slots: every key this node exchanges frames with (configured peers and the validators of
// the epochs it has seen) gets a slot for the lifetime of the process; block sync and Hello
// speak of slots, consensus of the current epoch's validator indices.
inline constexpr uint32_t kMaxPeerSlots = 256;
inline constexpr uint32_t kNotValidator = UINT32_MAX;
// The exit code when the store cannot be written (an I/O error: a full or failing disk), be it
// the consensus store (safety record, saved blocks) or a committed block: the node stops rather
// than sign or apply anything its disk does not hold.
inline constexpr int kExitStorageFailure = 74;

class SystemClock final : public cs::Clock {
 public:
  uint64_t NowMs() const override {
    return static_cast<uint64_t>(std::chrono::duration_cast<milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  }
};

// The consensus safety record, kept in the store's consensus column family; a Put is synced
// when `sync` says so (always, except under the canary that breaks persist-before-send).
class StoreSafetyStore final : public cs::SafetyStore {
 public:
  explicit StoreSafetyStore(storage::Store& store) : store_(store) {}
  Result<std::optional<Bytes>> Get() override { return store_.GetConsensusRecord(kSafetyRecord); }
  Status Put(ByteView record, bool sync) override {
    return store_.PutConsensusRecord(kSafetyRecord, record, sync);
  }

 private:
  storage::Store& store_;
};

// Uncommitted blocks the engine saved before voting or proposing: one synced consensus record
// each, "blk/" || u64be(height) || id, pruned once their height is committed.
class StoreBlockStore final : public cs::BlockStore {
 public:
  explicit StoreBlockStore(storage::Store& store) : store_(store) {}
  Status Save(const cs::Block& b) override {
    std::string name = "blk/";
    AppendU64BE(name, b.height);
    name.append(reinterpret_cast<const char*>(b.id.data()), b.id.size());
    cs::Writer w;
    cs::EncodeBlock(w, b);
    LAUREL_RETURN_IF_ERROR(store_.PutConsensusRecord(name, w.Take()));
    saved_.emplace(b.height, std::move(name));
    return Status::Ok();
  }
  // The saved blocks above `height` (for recovery); forgets and deletes the others.
  Result<std::vector<cs::Block>> LoadAbove(uint64_t height) {
    LAUREL_ASSIGN_OR_RETURN(auto records, store_.ListConsensusRecords("blk/"));
    std::vector<cs::Block> out;
    std::vector<std::string> stale;
    for (auto& [name, value] : records) {
      cs::Reader r(value);
      auto b = cs::DecodeBlock(r);
      if (!b.ok() || b->height <= height) {
        stale.push_back(name);
        continue;
      }
      saved_.emplace(b->height, name);
      out.push_back(std::move(b).value());
    }
    LAUREL_RETURN_IF_ERROR(store_.DeleteConsensusRecords(stale));
    return out;
  }
  // Deletes the records of blocks at or below the committed height.
  Status Prune(uint64_t committed_height) {
    std::vector<std::string> names;
    while (!saved_.empty() && saved_.begin()->first <= committed_height) {
      names.push_back(saved_.begin()->second);
      saved_.erase(saved_.begin());
    }
    return store_.DeleteConsensusRecords(names);
  }

 private:
  storage::Store& store_;
  std::multimap<uint64_t, std::string> saved_;
};

inline std::string Hex8(const Hash32& h) { return HexEncode(ByteView(h.data(), 4)); }

// Milliseconds of the steady clock: the time the node's state machines are given.
inline uint64_t SteadyNowMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

inline uint64_t SteadyNowUs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// Peer-triggered log lines: true at most once a second per `last_ms` (a static of the caller).
inline bool EverySecond(std::atomic<int64_t>& last_ms) {
  const auto now = static_cast<int64_t>(SteadyNowMs());
  int64_t prev = last_ms.load();
  if (now - prev < 1000) return false;
  return last_ms.compare_exchange_strong(prev, now);
}

}  // namespace detail

using detail::EverySecond;
using detail::Hex8;
using detail::kMaxPeerSlots;
using detail::kNotValidator;
using detail::SteadyNowMs;
using detail::SteadyNowUs;
using detail::StoreBlockStore;
using detail::StoreSafetyStore;
using detail::SystemClock;

class Node::Impl final : public cs::PayloadSource {
 public:
  Impl(NodeConfig config, ledger::Genesis genesis, crypto::PrivateKey key,
       std::unique_ptr<storage::Store> store)
      : config_(std::move(config)),
        genesis_(std::move(genesis)),
        key_(std::move(key)),
        store_(std::move(store)),
        executor_(genesis_.chain_id,
                  [this](const types::Tx& tx, const Hash32& id) {
                    // A version-2 block's transactions come from batches with proofs of
                    // availability, which attest their signatures (batch_check.h).
                    return executing_proven_ || verified_.count(SigDigest(tx, id)) > 0;
                  }),
        checker_(genesis_.chain_id),
        safety_store_(*store_),
        block_store_(*store_),
        mempool_({config_.mempool_max_txs, config_.mempool_max_bytes,
                  config_.mempool_max_txs_per_signer, config_.mempool_max_bytes_per_signer}),
        payload_(mempool_, {config_.block_max_txs, config_.block_max_bytes}),
        genesis_block_(cs::GenesisBlock(0, genesis_.chain_id)),
        work_(asio::make_work_guard(loop_)),
        round_timer_(loop_),
        payload_timer_(loop_),
        hello_timer_(loop_),
        gossip_timer_(loop_),
        sync_timer_(loop_),
        batch_timer_(loop_),
        fetch_timer_(loop_),
        verify_pool_(2) {
    if (config_.quorum_store) payload_.UseProofs(&proofs_);
  }

  laurel::Status Init();
  laurel::Status Start();
  void Stop();

  // NodeApi, from any thread.
  void SubmitTx(types::Tx tx, std::function<void(AdmitResult)> done);
  void WaitForCommit(const Hash32& tx_id, milliseconds timeout,
                     std::function<void(std::optional<storage::TxLocation>)> done);
  bool IsPending(const Hash32& tx_id) const {
    std::lock_guard lock(pending_mu_);
    return pending_ids_.count(tx_id) > 0;
  }
  NodeStatus Status() const;
  const storage::Store& store() const { return *store_; }
  bool Ready() const { return Status().ready; }
  const ledger::Genesis& genesis() const { return genesis_; }
  const std::string& evidence_path() const { return evidence_.path(); }  // immutable
  uint16_t p2p_port() const { return transport_ ? transport_->listen_port() : 0; }

  // cs::PayloadSource, on the loop.
  std::optional<Bytes> Pull(cs::Round round, uint64_t height) override;

 private:
  // ---- loop-thread work ----
  void OnFrame(const crypto::PublicKey& peer, Bytes frame);
  // Serves queued peer frames (inbound_queue.h), a batch at a time, on the loop.
  void DrainInbound();
  void HandleFrame(const crypto::PublicKey& peer, const Bytes& frame);
  void Dispatch(uint32_t from, const WireMessage& m);
  void Handle(cs::Outputs& out);
  // Checks, counts, persists and logs one piece of consensus evidence (evidence_log.h).
  void RecordEvidence(const cs::Evidence& e);
  void ArmTimer(const cs::TimerRequest& t);
  void LogRoundTimeout(const cs::Engine::RoundView& v);
  void CommitFromConsensus(const cs::CommittedBlock& cb);
  // The transactions a version-2 (batch digest) block executes, as ResolveBatchPayload says,
  // decoded: a transaction that does not decode to its canonical encoding is left out (the
  // same on every node: the digest fixes the bytes). `batches` lists the proofs' infos.
  struct BlockTxs {
    std::vector<types::Tx> txs;
    std::vector<BatchInfo> batches;  // every proof of the payload (used or skipped)
  };
  // Executes and commits a block; returns this node's result (the attestation's fields).
  // `resolved`: a version-2 block's transactions (nullptr: the payload is read as version 1).
  StateAttestation ApplyBlock(
      const cs::Block& block, const cs::QuorumCert& block_qc, const cs::QuorumCert& commit_qc,
      storage::Store::Durability durability = storage::Store::Durability::kSynced,
      const BlockTxs* resolved = nullptr);

  // ---- quorum store (node_batches.cpp, docs/spec/batches.md) ----
  // A new epoch: a batch store and fetcher of its validators; the old proofs are void.
  void ResetBatchesForEpoch();
  // At start: the batches and executed-batch marks on disk (BatchLog) back into memory; this
  // node's own batches are pushed to each validator again as it connects (PushReloaded), so
  // that a proof forms anew if the one made before the restart is gone with every pool.
  laurel::Status LoadBatches();
  void PushReloaded(uint32_t validator);
  std::vector<crypto::PublicKey> KeysOfEpoch(uint64_t epoch) const;
  // An admitted transaction goes into this node's next batch (cut every 5 ms or when full).
  void AddToBatch(Bytes wire);
  void FlushBatch();
  // A batch stored here (this node's own: from == my_index_) is written to disk before it is
  // acknowledged to `from`, or sent to the validators: queued, and written with the others
  // queued meanwhile in one synced write on disk_pool_ (PersistBatches), one write at a time;
  // OnBatchesPersisted (on the loop) then acks or sends those still held.
  struct UnpersistedBatch {
    BatchInfo info;
    uint32_t from = 0;
  };
  // Sends this node's batch, on disk now, to validators `to` (every other one when empty).
  void PushOwnBatch(const Batch& b, uint64_t num_bytes, const std::vector<uint32_t>& to = {});
  // Own batches without a proof are pushed again to the validators that have not acknowledged
  // them (batches.md §6, "A batch without its proof").
  void ExpectProof(const BatchInfo& info);
  void ArmRepushTimer();
  void PersistThenSend(const BatchInfo& info, uint32_t from);
  void PersistBatches();
  bool StillHeld(const UnpersistedBatch& u) const;
  void OnBatchesPersisted(const laurel::Status& st, std::vector<UnpersistedBatch> written);
  // A peer's batch, its transactions checked off the loop (OnFrame); `verified`: the
  // SigDigests of those whose signatures verified; `tx_ids`: every transaction's id.
  void OnBatch(uint32_t validator, const Batch& b, const std::vector<Hash32>& verified,
               std::vector<Hash32> tx_ids, bool held);
  // Peers' batches by the transactions they carry, so that a validator does not batch again a
  // transaction a client also sent to another validator (docs/spec/batches.md §6): noted when
  // a peer's batch is stored, forgotten once it left the batch store (PruneBatchedTxs).
  void NoteBatchedTxs(const Hash32& digest, std::vector<Hash32> tx_ids);
  void PruneBatchedTxs();
  // The author of a peer's batch held here, with a proof of availability and not executed,
  // that carries `tx_id`; nullopt when there is none.
  std::optional<uint32_t> ProvenBatchOf(const Hash32& tx_id) const;
  // Stage timings of this node's own batches (laurel_batch_stage_seconds): a proposal that
  // carries `digests` was made or seen; `digest` executed in a committed block.
  void NoteOwnBatchesProposed(const std::vector<Hash32>& digests);
  void NoteOwnBatchExecuted(const Hash32& digest);
  void ArmHeldTimer();
  void OnHeldBatchChecked(const Hash32& digest, const Result<std::vector<Hash32>>& checked);
  // Acknowledges a checked batch to its author: at once if it is on disk, else once written.
  void AckBatch(const BatchInfo& info, uint32_t author);
  void OnBadBatch(uint32_t validator, const std::string& why);
  void OnBatchAck(uint32_t validator, const BatchAck& ack);
  void OnBatchRequest(uint32_t slot, const BatchRequestMsg& m);
  void OnBatchResponse(uint32_t validator, const BatchResponseMsg& m);
  void OnProof(uint32_t validator, const ProofOfAvailability& p);
  void OnOwnProof(const ProofOfAvailability& p);
  void OnFetcherOutputs(BatchFetcher::Outputs& out);
  void ArmFetchTimer();
  // Resolves a version-2 block with `lookup` (the batch store, or batches that came with a
  // synced block): ok, or kUnavailable with `missing` listing the usable proofs whose batch is
  // not held, or kCorruption when the payload does not decode (executed empty then).
  laurel::Status ResolveBlock(const cs::Block& block,
                              const std::function<const Batch*(const Hash32&)>& lookup,
                              BlockTxs* out, std::vector<ProofOfAvailability>* missing) const;
  // Applies the committed blocks waiting in order; a version-2 block whose batches are not all
  // held waits (fetches started) without blocking the loop. `may_switch_epoch`: not inside
  // Handle (which switches the epoch itself after its commits).
  void DrainCommits(bool may_switch_epoch);
  // The batches of a synced version-2 block, checked against its proofs' digests (sync).
  Result<std::vector<Batch>> SyncedBatches(const SyncBlock& sb) const;
  // For serving: the transactions of each used proof of the stored version-2 block (empty when
  // the stored transactions do not split as the proofs say).
  std::vector<std::vector<Bytes>> StoredBatchTxs(const cs::Block& block,
                                                 const std::vector<types::Tx>& txs) const;
  // A state certificate that came with a synced block: kept when 2f+1 of its epoch's
  // validators signed exactly `own` (this node's result); a quorum that signed another result
  // halts the node, as the attestation book does.
  void AdoptSyncedCertificate(const StateCertificate& c, const StateAttestation& own);
  // Stores the certificates the attestation book formed; halts on a mismatch.
  void OnAttestationOutputs(AttestationBook::Outputs& out);
  // On the caller's thread: signatures and state rules of a client's tx, then AdmitLocal.
  void CheckAndAdmit(types::Tx tx, AdmitResult r, size_t wire_bytes,
                     std::function<void(AdmitResult)> done);
  void AdmitLocal(types::Tx tx, Hash32 tx_id, size_t wire_bytes, uint64_t expires_at_height,
                  const std::function<void(AdmitResult)>& done);
  struct GossipedTx {
    types::Tx tx;
    size_t wire_bytes = 0;
    uint64_t expires_at_height = 0;
  };
  void AdmitGossip(std::vector<GossipedTx> txs);
  void PayloadMaybeReady();
  void FlushGossip();
  void ScheduleHello();
  SyncTracker::Tip LocalTip() const { return {store_->Height(), last_block_id_}; }
  // Executes what the sync tracker decided: logs demotions, applies blocks, sends the request
  // and arms its timer, restarts consensus. `source`: the peer whose answer `out` is (logs).
  void OnSyncOutputs(SyncTracker::Outputs& out, uint32_t source);
  // Whether peer `slot` may be served one more request of `kind` ("batch", "sync", "fetch",
  // the metric's label) under `budget`; if not, the refusal is counted and logged (at most
  // once a second per `log_gate`).
  bool TakeServeBudget(ServeBudget& budget, uint32_t slot, const char* kind,
                       std::atomic<int64_t>& log_gate);
  void ServeSync(uint32_t from, const SyncRequestMsg& req);
  void ServeFetch(uint32_t from, const FetchRequestMsg& req);
  Result<SyncBlock> SyncBlockAt(uint64_t height) const;
  laurel::Status RestartEngine();
  Result<cs::RecoveryData> RecoveryFromStore();
  // The restore fence (restore_fence.h): loaded in Init; lifted by a committed block.
  laurel::Status LoadRestoreFence();
  void MaybeLiftRestoreFence(const cs::Block& block, const cs::QuorumCert& block_qc);
  // Sends to a validator of the current epoch (by index).
  void SendTo(uint32_t index, const WireMessage& m);
  // Sends to a peer slot.
  void SendToSlot(uint32_t slot, const WireMessage& m);

  // ---- epochs (node.cpp) ----
  // Loads the epoch records (writing epoch 0 on a new store) and finishes an epoch change a
  // crash interrupted (the tip's state names another set than the last record).
  laurel::Status LoadEpochs();
  laurel::Status AddEpoch(Epoch e);  // persists it (synced) and builds its validator set
  // Makes the current epoch the one consensus, attestations and the transport work in.
  void EnterCurrentEpoch();
  // After a block is executed: whether it ended the epoch (the state names another validator
  // list); if so records the next epoch and returns true.
  bool MaybeEndEpoch(uint64_t height, const cs::BlockId& block_id);
  // Switches consensus to the current epoch (on the loop, after a block ended the epoch).
  void SwitchEpoch();
  const cs::ValidatorSet* SetOfEpoch(uint64_t epoch) const;
  // The epoch of the next height to commit.
  uint64_t NextHeightEpoch() const { return epochs_.current().epoch; }
  laurel::Status VerifySyncBlock(const SyncBlock& sb) const;
  uint32_t SlotOf(const crypto::PublicKey& key);  // assigns one if new (kMaxPeerSlots: full)
  bool is_validator() const { return my_index_ != kNotValidator; }
  // The current epoch's validator index of a peer slot, or kNotValidator.
  uint32_t ValidatorOfSlot(uint32_t slot) const {
    if (slot >= peer_keys_.size()) return kNotValidator;
    auto it = index_of_.find(peer_keys_[slot]);
    return it == index_of_.end() ? kNotValidator : it->second;
  }
  void UpdateStatus();
  [[noreturn]] void Halt(const std::string& why, int exit_code = detail::kExitStateMismatch);
  // Halts on an I/O error of the store (kExitStorageFailure), naming its path and what was being
  // written: the consensus store (safety record, saved blocks) or a committed block. Other
  // errors are the peer's or the engine's refusal, logged (rate-limited) by the caller.
  // A full disk (disk_space.h) does not halt: the loop stands still (StandStillOnFullDisk).
  void HaltOnStorageError(const laurel::Status& st, const std::string& during);
  // Logs the one DISK FULL line, stops the transport and blocks the loop thread until the data
  // folder has kDiskResumeFreeBytes free, then restarts the process from the store
  // (node_disk.cpp). Reads, /readyz and refusals keep being served by the HTTP API meanwhile.
  [[noreturn]] void StandStillOnFullDisk(const laurel::Status& st, const std::string& during);

  NodeConfig config_;
  ledger::Genesis genesis_;
  crypto::PrivateKey key_;
  std::unique_ptr<storage::Store> store_;
  ledger::Executor executor_;  // loop only: consults verified_
  ledger::Executor checker_;   // stateless checks from any thread (no cache)
  StoreSafetyStore safety_store_;
  StoreBlockStore block_store_;
  SystemClock clock_;
  Mempool mempool_;
  PayloadBook payload_;  // uses mempool_
  std::unordered_set<Hash32, HashKey> verified_;

  cs::Block genesis_block_;
  // Epochs (epochs.h): the history, one validator set per epoch, and the current epoch's view.
  EpochHistory epochs_;
  std::vector<std::unique_ptr<cs::ValidatorSet>> sets_;  // by epoch
  cs::DirectSignatureChecker sig_checker_;
  const cs::ValidatorSet* validators_ = nullptr;    // the current epoch's
  std::vector<crypto::PublicKey> validator_keys_;   // the current epoch's, by index
  std::map<crypto::PublicKey, uint32_t> index_of_;  // the current epoch's
  uint32_t my_index_ = kNotValidator;               // in the current epoch
  bool epoch_switch_pending_ = false;  // a committed block ended the epoch; switch after Handle
  std::optional<RestoreFence> fence_;  // set: restored from a backup, signs nothing yet
  bool fence_clock_behind_ = false;    // a committed block proved this clock behind: keep fence
  // Consensus evidence seen (evidence_log.h), appended to <data>/evidence.jsonl.
  EvidenceLog evidence_{config_.data_dir.empty() ? std::string()
                                                 : config_.data_dir + "/evidence.jsonl"};
  uint64_t started_ms_ = 0;  // wall clock at Init (the fence's wait starts here)
  // Attestations of the previous epoch's last heights, until they are certified.
  std::unique_ptr<AttestationBook> prev_attestations_;
  uint64_t prev_attestations_epoch_ = 0;
  std::vector<crypto::PublicKey> peer_keys_;  // by slot
  std::map<crypto::PublicKey, uint32_t> slot_of_;
  std::unique_ptr<cs::Engine> engine_;
  std::unique_ptr<net::Transport> transport_;
  std::unique_ptr<net::FaultFileWatcher> fault_watcher_;  // [fault_injection] only

  asio::io_context loop_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread loop_thread_;
  asio::steady_timer round_timer_;
  asio::steady_timer payload_timer_;
  asio::steady_timer hello_timer_;
  asio::steady_timer gossip_timer_;
  asio::steady_timer sync_timer_;
  asio::steady_timer batch_timer_;
  asio::steady_timer fetch_timer_;
  asio::thread_pool verify_pool_;

  // Frames from peers waiting for the loop (all but transaction batches).
  InboundQueue inbound_{InboundQueue::Limits{}};

  // Gossip.
  std::vector<Bytes> gossip_out_;
  bool gossip_scheduled_ = false;

  // Quorum store (node_batches.cpp).
  std::unique_ptr<BatchStore> batch_store_;  // from EnterCurrentEpoch on
  std::unique_ptr<BatchFetcher> fetcher_;
  // Per-peer budgets of the batch fetches, block-sync requests and block fetches this node
  // answers (serve_budget.h).
  ServeBudget batch_serve_budget_{ServeBudget::Limits{1024, size_t{64} << 20, 1000}};
  ServeBudget sync_serve_budget_{ServeBudget::Limits{64, size_t{1} << 30, 1000}};
  ServeBudget fetch_serve_budget_{ServeBudget::Limits{32, size_t{8} << 20, 1000}};
  ProofPool proofs_;
  std::unordered_map<Hash32, Hash32, HashKey> batched_tx_;  // tx id -> a peer batch's digest
  std::unordered_map<Hash32, std::vector<Hash32>, HashKey> batch_tx_ids_;  // digest -> tx ids
  std::vector<Bytes> batch_out_;  // admitted, not yet in a batch
  size_t batch_out_bytes_ = 0;
  bool batch_scheduled_ = false;
  uint64_t next_batch_id_ = 0;  // from the wall clock at start: ids increase across restarts
  bool fetch_timer_armed_ = false;
  // Committed by consensus, not yet executed (a version-2 block waits for its batches).
  std::deque<cs::CommittedBlock> waiting_commits_;
  bool draining_ = false;
  std::atomic<int> batch_checks_{0};  // peers' batches queued on verify_pool_
  // Who checks which peers' batches on receipt (batch_check.h); read on verify_pool_ too.
  std::mutex check_policy_mu_;
  BatchCheckPolicy check_policy_;
  // Peers' batches held unchecked until their proof: digest -> deadline (steady ms).
  std::unordered_map<Hash32, uint64_t, HashKey> held_batches_;
  asio::steady_timer held_timer_{loop_};
  bool held_timer_armed_ = false;
  bool executing_proven_ = false;  // ApplyBlock runs a version-2 block's resolved transactions
  // Peers' batches whose signatures went into verified_: digest -> (expiry, SigDigests).
  std::unordered_map<Hash32, std::pair<uint64_t, std::vector<Hash32>>, HashKey> batch_sigs_;
  // This node's batches not yet executed: digest -> (expiry height, tx ids).
  std::unordered_map<Hash32, std::pair<uint64_t, std::vector<Hash32>>, HashKey> own_batches_;
  // When this node's own batches (made since start, this epoch) passed each stage, in steady
  // microseconds, for laurel_batch_stage_seconds; forgotten with own_batches_.
  struct OwnBatchTimes {
    uint64_t cut_us = 0;
    uint64_t proof_us = 0;
    uint64_t proposed_us = 0;
  };
  std::unordered_map<Hash32, OwnBatchTimes, HashKey> own_batch_times_;
  std::optional<uint64_t> waiting_since_ms_;  // the front block's wait began
  // Batches on disk, and the recently executed ones (digest -> height: to refuse their proofs
  // and to serve a peer that lags), from Init on.
  std::unique_ptr<BatchLog> batch_log_;
  // This node's batches reloaded at start and not yet executed or expired.
  std::vector<Hash32> reloaded_own_;
  // This node's batches pushed and still without a proof: digest -> when to push again and the
  // interval after that (steady ms). Dropped once proved, executed, expired or in another epoch.
  struct Repush {
    uint64_t at_ms = 0;
    uint64_t every_ms = 0;
    uint64_t num_bytes = 0;
  };
  std::unordered_map<Hash32, Repush, HashKey> repush_;
  asio::steady_timer repush_timer_{loop_};
  bool repush_timer_armed_ = false;
  // Batches stored, waiting for their synced write before their ack (or push, for own).
  std::vector<UnpersistedBatch> unpersisted_;
  bool persist_scheduled_ = false;
  bool persist_in_flight_ = false;
  asio::thread_pool disk_pool_{1};  // the batch writes, off the loop

  // Waiting clients.
  struct Waiter {
    std::function<void(std::optional<storage::TxLocation>)> done;
    std::unique_ptr<asio::steady_timer> timer;
    bool fired = false;
  };
  std::unordered_map<Hash32, std::vector<std::shared_ptr<Waiter>>, HashKey> waiters_;

  // State attestations and certificates (attestation_book.h).
  std::unique_ptr<AttestationBook> attestations_;  // from Init on

  // Block sync (node_sync.cpp); the decisions are the tracker's (sync_tracker.h). syncing_
  // mirrors sync_->syncing() for other threads (admission answers NOT_READY while it holds).
  std::unique_ptr<SyncTracker> sync_;  // from Init on
  std::atomic<bool> syncing_{false};

  Hash32 last_block_id_{};
  uint64_t last_block_time_ms_ = 0;
  std::atomic<bool> running_{false};  // consensus engine started and not stopped
  std::optional<std::chrono::steady_clock::time_point> last_commit_at_;  // loop only
  std::atomic<uint64_t> height_{0};
  std::atomic<uint32_t> peers_connected_{0};
  mutable std::mutex status_mu_;
  NodeStatus status_;               // as of the last UpdateStatus
  ReadinessFacts readiness_facts_;  // as of the last UpdateStatus; judged at each Status()
  std::optional<std::chrono::steady_clock::time_point> status_last_commit_at_;
  mutable std::mutex pending_mu_;
  std::unordered_set<Hash32, HashKey> pending_ids_;
  bool stopped_ = false;
  std::atomic<bool> stop_requested_{false};  // Stop() began (read by a loop standing still)
  std::atomic<bool> disk_full_{false};       // standing still on a full disk
  std::string disk_full_reason_;             // guarded by status_mu_; why, while disk_full_
  std::string clock_problem_logged_;         // loop only: the clock warning last logged

  // Metrics: each event is one relaxed atomic add on a series resolved in advance (the
  // rejection series in Init()).
  metrics::Registry metrics_;
  NodeMetrics node_metrics_ = NodeMetrics::Register(metrics_);
  std::array<metrics::Counter*, ledger::kMaxTxCode + 1> rejected_by_tx_code_{};
  std::array<metrics::Counter*, 10> by_admit_code_{};  // rejected or resubmitted, by AdmitCode
  void CountAdmission(const AdmitResult& r);

 public:
  metrics::Registry* metrics() { return &metrics_; }
};

}  // namespace laurel::node

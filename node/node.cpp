#include "node/node.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <future>

#include "node/commit_proof.h"
#include "node/disk_space.h"
#include "node/readiness.h"
#include "node/node_impl.h"

namespace laurel::node {

using namespace detail;

namespace {
// A validator's registered "host:port" as a dial address (nullopt when it is not one).
std::optional<net::PeerAddress> ParsePeerAddress(const std::string& s) {
  auto hp = ParseHostPort(s);
  if (!hp.ok()) return std::nullopt;
  return net::PeerAddress{hp->host, hp->port};
}
}  // namespace

const char* AdmitCodeName(AdmitCode c) {
  switch (c) {
    case AdmitCode::kAccepted:
      return "ACCEPTED";
    case AdmitCode::kAlreadyKnown:
      return "ALREADY_KNOWN";
    case AdmitCode::kCommitted:
      return "COMMITTED";
    case AdmitCode::kInvalid:
      return "INVALID";
    case AdmitCode::kMempoolFull:
      return "MEMPOOL_FULL";
    case AdmitCode::kTooLarge:
      return "TOO_LARGE";
    case AdmitCode::kNotReady:
      return "NOT_READY";
    case AdmitCode::kSignerQuota:
      return "SIGNER_QUOTA";
    case AdmitCode::kExpiryTooFar:
      return "EXPIRY_TOO_FAR";
  }
  return "UNKNOWN";
}

// ---------------------------------------------------------------------------------------------
// Start-up

Status Node::Impl::Init() {
  if (store_->Empty()) {
    const ledger::BlockResult r = ledger::ExecuteGenesis(genesis_);
    storage::BlockRecord rec;
    rec.height = 0;
    rec.block_id = genesis_block_.id;
    rec.time_ms = genesis_.genesis_time_ms;
    rec.header = EncodeStoredHeader(genesis_block_, /*keep_payload=*/false);
    LAUREL_RETURN_IF_ERROR(store_->CommitBlock(rec, r));
    spdlog::info("[node] committed genesis chain_id={} state_root={}", genesis_.chain_id,
                 HexEncode(r.state_root));
  } else {
    LAUREL_ASSIGN_OR_RETURN(auto g, store_->GetBlock(0));
    if (!g || g->block_id != genesis_block_.id) {
      return Status::InvalidArgument("the store under " + config_.data_dir +
                                     " belongs to another chain (genesis block id differs)");
    }
    // A store written before the transaction log has no head record "l" (written at genesis
    // since): its state roots do not cover a log, so it cannot be continued. The same rule as
    // for a state format change: refuse to start rather than diverge (docs/operator.md).
    if (!store_->GetState(ledger::kTxLogKey)) {
      return Status::InvalidArgument(
          "the store under " + config_.data_dir +
          " was written by a release before the transaction log (no state record 'l'); its "
          "state roots differ from this release's, so this release cannot continue that "
          "chain. To start a new chain: stop every validator, move " + config_.data_dir +
          " aside (keep it to read the old chain with the release that wrote it), and start "
          "all validators on this release with a new genesis (docs/operator.md, "
          "\"Upgrades\"); or run the release that wrote it");
    }
  }
  for (uint32_t c = 1; c <= ledger::kMaxTxCode; ++c) {  // kOk (0) is never a rejection
    rejected_by_tx_code_[c] =
        &node_metrics_.rejected.Get(ledger::TxCodeName(static_cast<ledger::TxCode>(c)));
  }
  for (AdmitCode c : {AdmitCode::kMempoolFull, AdmitCode::kTooLarge, AdmitCode::kNotReady,
                      AdmitCode::kSignerQuota, AdmitCode::kExpiryTooFar}) {
    by_admit_code_.at(static_cast<size_t>(c)) = &node_metrics_.rejected.Get(AdmitCodeName(c));
  }
  // A resubmission is answered as success (202 or 200), so it is not counted as a rejection.
  for (AdmitCode c : {AdmitCode::kAlreadyKnown, AdmitCode::kCommitted}) {
    by_admit_code_.at(static_cast<size_t>(c)) = &node_metrics_.resubmitted.Get(AdmitCodeName(c));
  }
  for (const auto& p : config_.peers) {
    crypto::PublicKey k;
    if (p.public_key.size() != k.size()) return Status::InvalidArgument("bad peer key");
    std::copy(p.public_key.begin(), p.public_key.end(), k.begin());
    SlotOf(k);
  }
  // Block sync speaks of peer slots: the tracker is sized for all of them, and this node is
  // none of them.
  sync_ = std::make_unique<SyncTracker>(
      SyncTracker::Validators{.count = kMaxPeerSlots, .my_index = kMaxPeerSlots},
      SyncTracker::Verifier{[this](const SyncBlock& sb) { return VerifySyncBlock(sb); },
                            CommitQcCoversBlock});
  LAUREL_RETURN_IF_ERROR(LoadEpochs());
  EnterCurrentEpoch();
  batch_log_ = std::make_unique<BatchLog>(*store_, genesis_.chain_id);
  LAUREL_RETURN_IF_ERROR(LoadBatches());
  height_ = store_->Height();
  LAUREL_ASSIGN_OR_RETURN(auto tip, store_->GetBlock(store_->Height()));
  if (!tip) return Status::Corruption("the store's tip block is missing");
  last_block_id_ = tip->block_id;
  last_block_time_ms_ = tip->time_ms;
  LAUREL_RETURN_IF_ERROR(LoadRestoreFence());
  UpdateStatus();
  return Status::Ok();
}

Status Node::Impl::LoadRestoreFence() {
  started_ms_ = clock_.NowMs();
  LAUREL_ASSIGN_OR_RETURN(auto raw, store_->GetConsensusRecord(kRestoreFenceRecord));
  if (!raw) return Status::Ok();
  LAUREL_ASSIGN_OR_RETURN(RestoreFence f, DecodeRestoreFence(*raw));
  fence_ = f;
  spdlog::warn(
      "[restore] restored from a backup of height {} (its last voted round {}): signing nothing "
      "and following by block sync until a block stamped {} ms from now is committed; then "
      "the safety record is raised past it and consensus starts",
      f.backup_height, f.backup_last_voted_round, kProposerClockAheadMs + f.wait_ms);
  return Status::Ok();
}

void Node::Impl::MaybeLiftRestoreFence(const cs::Block& block, const cs::QuorumCert& block_qc) {
  if (!fence_) return;
  if (!fence_clock_behind_ && FenceClockBehind(clock_.NowMs(), block.timestamp_ms)) {
    fence_clock_behind_ = true;
    spdlog::error(
        "[restore] block {} at height {} is stamped {} s after this node's clock: the clock is "
        "behind the validators' by more than {} s, so the restore fence cannot tell how long "
        "this process has waited and stays up. Fix the clock (NTP), then restart laureld. "
        "本机时钟落后于其他验证节点超过 {} 秒，恢复隔离保持不变：请校正时钟（NTP）后重启 laureld。",
        Hex8(block.id), block.height, (block.timestamp_ms - clock_.NowMs()) / 1000,
        kProposerClockAheadMs / 1000, kProposerClockAheadMs / 1000);
  }
  if (fence_clock_behind_) return;
  if (epoch_switch_pending_ || block.epoch != epochs_.current().epoch) return;
  // Only at the newest block proven: see FenceClockBehind.
  if (sync_ && sync_->proven_height() > block.height) return;
  if (!FenceLiftsAt(*fence_, started_ms_, block.timestamp_ms)) return;
  auto stored = store_->GetConsensusRecord(kSafetyRecord);
  laurel::Status st = stored.status();
  if (st.ok()) {
    auto raised = RaiseSafetyRecord(*stored, *fence_, block.epoch, block.round, block_qc);
    st = raised.status();
    if (st.ok()) st = store_->PutConsensusRecord(kSafetyRecord, *raised);  // synced
    // Unsynced: a fence that comes back after a crash only delays signing again.
    if (st.ok()) st = store_->DeleteConsensusRecords({std::string(kRestoreFenceRecord)});
  }
  if (!st.ok()) {
    HaltOnStorageError(st, "lifting the restore fence");
    Halt("cannot lift the restore fence: " + st.ToString());
  }
  spdlog::warn(
      "[restore] block {} at height {} (round {}) is stamped {} ms after this start: the "
      "fence is lifted, votes resume above round {}",
      Hex8(block.id), block.height, block.round, block.timestamp_ms - started_ms_,
      std::max(block.round, fence_->backup_last_voted_round) + 1);
  fence_.reset();
  // Consensus starts now, unless a sync is under way (it restarts consensus when caught up).
  asio::post(loop_, [this] {
    if (engine_ || sync_->syncing()) return;
    const laurel::Status rs = RestartEngine();
    if (!rs.ok()) {
      HaltOnStorageError(rs, "starting consensus after the restore fence");
      Halt("cannot start consensus after the restore fence: " + rs.ToString());
    }
    UpdateStatus();
  });
}

// ---------------------------------------------------------------------------------------------
// Epochs (docs/spec/consensus.md §13)

uint32_t Node::Impl::SlotOf(const crypto::PublicKey& key) {
  if (key == key_.public_key()) return kMaxPeerSlots;
  if (auto it = slot_of_.find(key); it != slot_of_.end()) return it->second;
  if (peer_keys_.size() >= kMaxPeerSlots) {
    spdlog::error("[p2p] more than {} peers known: {} gets no slot", kMaxPeerSlots, HexEncode(key));
    return kMaxPeerSlots;
  }
  const auto slot = static_cast<uint32_t>(peer_keys_.size());
  peer_keys_.push_back(key);
  slot_of_[key] = slot;
  return slot;
}

Status Node::Impl::AddEpoch(Epoch e) {
  LAUREL_RETURN_IF_ERROR(store_->PutConsensusRecord(EpochRecordName(e.epoch), EncodeEpoch(e)));
  const uint64_t n = e.epoch;
  auto set =
      std::make_unique<cs::ValidatorSet>(n, ValidatorKeys(e.validators), e.root_id, &sig_checker_);
  LAUREL_RETURN_IF_ERROR(epochs_.Add(std::move(e)));
  sets_.push_back(std::move(set));
  return Status::Ok();
}

Status Node::Impl::LoadEpochs() {
  LAUREL_ASSIGN_OR_RETURN(auto records, store_->ListConsensusRecords(kEpochRecordPrefix));
  // Names are "epoch/" || u64be(epoch): name order is epoch order.
  std::sort(records.begin(), records.end());
  for (const auto& [name, value] : records) {
    LAUREL_ASSIGN_OR_RETURN(Epoch e, DecodeEpoch(value));
    if (name != EpochRecordName(e.epoch)) {
      return Status::Corruption("epoch record " + HexEncode(AsBytes(name)) + " names epoch " +
                                std::to_string(e.epoch));
    }
    auto set = std::make_unique<cs::ValidatorSet>(e.epoch, ValidatorKeys(e.validators), e.root_id,
                                                  &sig_checker_);
    if (laurel::Status st = epochs_.Add(std::move(e)); !st.ok()) {
      return Status::Corruption("epoch records: " + st.message());
    }
    sets_.push_back(std::move(set));
  }
  auto gov = ledger::ReadGovernance(*store_);
  if (!gov) return Status::Corruption("store has no governance record");
  if (epochs_.empty()) {
    if (store_->Height() > 0 && gov->validators != genesis_.validators) {
      // Written by a version without epochs, after a validator set change that the running
      // consensus never applied: no boundary can be derived that every node agrees on.
      return Status::InvalidArgument(
          "the store under " + config_.data_dir +
          " changed its validator set before epochs existed (height " +
          std::to_string(gov->validators_from_height) +
          "); this version cannot tell which blocks each set decided. Start a new chain "
          "(docs/operator.md, upgrading)");
    }
    LAUREL_RETURN_IF_ERROR(AddEpoch(Epoch{0, 1, genesis_block_.id, genesis_.validators}));
  }
  // A crash between committing an epoch's last block and recording the next epoch: the tip's
  // state names the next set. (Nothing is committed in an epoch after its last block.)
  if (gov->validators != epochs_.current().validators) {
    const uint64_t tip = store_->Height();
    LAUREL_ASSIGN_OR_RETURN(auto rec, store_->GetBlock(tip));
    if (!rec) return Status::Corruption("the store's tip block is missing");
    spdlog::warn("[epoch] completing the change to epoch {} after block {} (interrupted)",
                 epochs_.current().epoch + 1, tip);
    LAUREL_RETURN_IF_ERROR(
        AddEpoch(Epoch{epochs_.current().epoch + 1, tip + 1, rec->block_id, gov->validators}));
  }
  return Status::Ok();
}

void Node::Impl::EnterCurrentEpoch() {
  const Epoch& e = epochs_.current();
  validators_ = sets_.at(e.epoch).get();
  validator_keys_ = ValidatorKeys(e.validators);
  index_of_.clear();
  for (uint32_t i = 0; i < validator_keys_.size(); ++i) {
    index_of_[validator_keys_[i]] = i;
    SlotOf(validator_keys_[i]);
  }
  auto me = index_of_.find(key_.public_key());
  my_index_ = me == index_of_.end() ? kNotValidator : me->second;
  ResetBatchesForEpoch();
  // The previous epoch's last heights may still gather attestations (the epoch-change proof).
  if (attestations_) {
    prev_attestations_ = std::move(attestations_);
    prev_attestations_epoch_ = e.epoch - 1;
  }
  attestations_ = std::make_unique<AttestationBook>(genesis_.chain_id, validators_->quorum());
  if (transport_) {
    // New validators become peers (with the address they registered); removed ones stay
    // connected until restart but are no longer heard in consensus.
    for (const auto& v : e.validators) {
      crypto::PublicKey k{};
      std::copy_n(v.public_key.begin(), k.size(), k.begin());
      transport_->AddPeer(k, ParsePeerAddress(v.address));
    }
  }
  spdlog::info("[epoch] epoch {} from height {}: {} validators, this node {}", e.epoch,
               e.start_height, validator_keys_.size(),
               is_validator() ? "is validator " + std::to_string(my_index_)
                              : std::string("follows without voting (not in the set)"));
}

bool Node::Impl::MaybeEndEpoch(uint64_t height, const cs::BlockId& block_id) {
  auto gov = ledger::ReadGovernance(*store_);
  if (!gov || gov->validators == epochs_.current().validators) return false;
  const uint64_t next = epochs_.current().epoch + 1;
  // A crash point for the tests (tests/integration/test_epochs.py): the epoch's last block is
  // committed and the record of the next epoch not yet written; the restart must finish it.
  if (const char* c = std::getenv("LAUREL_TEST_CRASH_AT_EPOCH_END"); c != nullptr && *c == '1') {
    spdlog::critical("[epoch] LAUREL_TEST_CRASH_AT_EPOCH_END: exiting after block {} ({})", height,
                     Hex8(block_id));
    spdlog::default_logger()->flush();
    ::_exit(86);
  }
  laurel::Status st = AddEpoch(Epoch{next, height + 1, block_id, gov->validators});
  if (!st.ok()) {
    HaltOnStorageError(st, "recording epoch " + std::to_string(next));
    Halt("cannot record epoch " + std::to_string(next) + ": " + st.ToString());
  }
  spdlog::info("[epoch] block {} at height {} ends epoch {}: the validator set changed",
               Hex8(block_id), height, next - 1);
  return true;
}

void Node::Impl::SwitchEpoch() {
  epoch_switch_pending_ = false;
  engine_.reset();
  running_ = false;
  round_timer_.cancel();
  payload_timer_.cancel();
  EnterCurrentEpoch();
  payload_.ResetForEpoch();
  laurel::Status st = RestartEngine();
  if (!st.ok()) {
    HaltOnStorageError(st, "starting consensus of epoch " + std::to_string(NextHeightEpoch()));
    Halt("cannot start consensus of epoch " + std::to_string(NextHeightEpoch()) + ": " +
         st.ToString());
  }
}

const cs::ValidatorSet* Node::Impl::SetOfEpoch(uint64_t epoch) const {
  return epoch < sets_.size() ? sets_[epoch].get() : nullptr;
}

Status Node::Impl::VerifySyncBlock(const SyncBlock& sb) const {
  // A block is decided by the epoch of its height: one of an epoch that had ended below its
  // height (a "commit" of the old set above its last block) or of an epoch not begun is refused.
  const Epoch* e = epochs_.ForHeight(sb.block.height);
  if (e == nullptr || e->epoch != sb.block.epoch) {
    return Status::InvalidArgument("block at height " + std::to_string(sb.block.height) +
                                   " is of epoch " + std::to_string(sb.block.epoch) + "; height " +
                                   std::to_string(sb.block.height) + " belongs to epoch " +
                                   (e ? std::to_string(e->epoch) : std::string("?")));
  }
  LAUREL_RETURN_IF_ERROR(VerifyCommittedBlock(*SetOfEpoch(e->epoch), sb));
  // A version-2 block comes with its batches' transactions (or this node holds them): checked
  // against the proofs' digests before anything executes.
  if (IsBatchPayload(sb.block.payload)) LAUREL_RETURN_IF_ERROR(SyncedBatches(sb).status());
  return Status::Ok();
}

Status Node::Impl::Start() {
  net::TransportOptions opts;
  opts.listen_host = config_.p2p_listen.host;
  opts.listen_port = config_.p2p_listen.port;
  opts.max_frame_size = config_.max_frame_bytes;
  opts.send_queue_bytes = std::max<size_t>(64u << 20, config_.max_frame_bytes + 4);
  const P2pLimitsConfig& limits = config_.p2p_limits;
  opts.handshake_timeout = std::chrono::milliseconds(limits.handshake_timeout_ms);
  opts.max_pending_handshakes = limits.max_pending_handshakes;
  opts.max_pending_handshakes_per_ip = limits.max_pending_handshakes_per_ip;
  opts.reserved_peer_handshakes = limits.reserved_peer_handshakes;
  opts.write_stall_timeout = std::chrono::milliseconds(limits.write_stall_timeout_ms);
  // The configured peers (validators of any epoch, or full nodes) and the current validators
  // at the addresses they registered; a configured address wins.
  for (const auto& v : epochs_.current().validators) {
    crypto::PublicKey k{};
    std::copy_n(v.public_key.begin(), k.size(), k.begin());
    if (auto addr = ParsePeerAddress(v.address))
      opts.peers[k] = *addr;
    else
      opts.accept_only.push_back(k);
  }
  for (const auto& p : config_.peers) {
    crypto::PublicKey k;
    std::copy(p.public_key.begin(), p.public_key.end(), k.begin());
    opts.peers[k] = net::PeerAddress{p.address.host, p.address.port};
  }
  // A node that votes in no epoch yet (joining, or a full node) dials every peer: nobody dials
  // it.
  opts.dial_all_peers = !is_validator();
  opts.on_receive = [this](const crypto::PublicKey& peer, Bytes payload) {
    OnFrame(peer, std::move(payload));
  };
  opts.on_connection = [this](const crypto::PublicKey& peer, bool up) {
    asio::post(loop_, [this, peer, up] {
      const uint32_t slot = SlotOf(peer);
      if (up) {
        peers_connected_++;
        SendToSlot(slot, HelloMsg{store_->Height()});
        if (const uint32_t v = ValidatorOfSlot(slot); v != kNotValidator) PushReloaded(v);
      } else {
        if (peers_connected_ > 0) peers_connected_--;
        if (slot < kMaxPeerSlots) sync_->OnPeerDisconnected(slot);
      }
      UpdateStatus();
    });
  };
  LAUREL_RETURN_IF_ERROR(CheckFaultInjection(config_));
  opts.fault_injection = !config_.fault_injection_file.empty();
  if (opts.fault_injection) {
    // Metrics are thread-safe; the series of a peer is made at its first faulted frame.
    opts.on_fault = [this](const crypto::PublicKey& peer, const net::FaultDecision& d) {
      const std::string label = HexEncode(ByteView(peer).first(4));
      if (d.drop) {
        node_metrics_.fault_dropped.Get(label).Inc();
        return;
      }
      node_metrics_.fault_delayed.Get(label).Inc();
      if (d.reordered) node_metrics_.fault_reordered.Get(label).Inc();
    };
  }
  transport_ = std::make_unique<net::Transport>(key_, std::move(opts));
  LAUREL_RETURN_IF_ERROR(transport_->Start());
  if (!config_.fault_injection_file.empty()) {
    spdlog::warn("[node] fault injection is on (test networks only): P2P frame rules from {}",
                 config_.fault_injection_file);
    fault_watcher_ = std::make_unique<net::FaultFileWatcher>(
        config_.fault_injection_file,
        [t = transport_.get()](net::LinkFaults rules) { return t->SetLinkFaults(std::move(rules)); });
    LAUREL_RETURN_IF_ERROR(fault_watcher_->Start());
  }
  loop_thread_ = std::thread([this] { loop_.run(); });
  std::promise<laurel::Status> started;
  auto fut = started.get_future();
  asio::post(loop_, [this, &started] {
    laurel::Status st = RestartEngine();
    ScheduleHello();
    started.set_value(st);
  });
  LAUREL_RETURN_IF_ERROR(fut.get());
  spdlog::info("[node] started name={} epoch={} index={} validators={} height={} p2p={}:{}",
               config_.name, epochs_.current().epoch,
               is_validator() ? std::to_string(my_index_) : std::string("none (full node)"),
               validator_keys_.size(), store_->Height(), config_.p2p_listen.host,
               transport_->listen_port());
  return Status::Ok();
}

void Node::Impl::Stop() {
  if (stopped_) return;
  stopped_ = true;
  stop_requested_ = true;
  running_ = false;
  if (fault_watcher_) fault_watcher_->Stop();
  if (transport_) transport_->Stop();
  verify_pool_.join();
  disk_pool_.join();
  work_.reset();
  loop_.stop();
  if (loop_thread_.joinable()) loop_thread_.join();
}

Result<cs::RecoveryData> Node::Impl::RecoveryFromStore() {
  const uint64_t h = store_->Height();
  cs::RecoveryData rd;
  const Epoch& e = epochs_.current();
  if (h == 0) {
    rd = cs::GenesisRecovery(genesis_block_);
  } else if (h + 1 == e.start_height) {
    // The epoch's first round: its root is the previous epoch's last block, with no QC of
    // this epoch yet (the root QC is unsigned, as at genesis).
    cs::Block root;
    root.epoch = e.epoch;
    root.round = 0;
    root.height = h;
    root.id = e.root_id;
    root.qc = cs::GenesisQc(root);
    LAUREL_ASSIGN_OR_RETURN(auto tip, store_->GetBlock(h));
    if (tip) root.timestamp_ms = tip->time_ms;  // the epoch's blocks do not go back in time
    rd = cs::GenesisRecovery(root);
  } else {
    LAUREL_ASSIGN_OR_RETURN(SyncBlock sb, SyncBlockAt(h));
    rd = cs::RecoveryData{sb.block, sb.block_qc, sb.commit_qc, {}};
  }
  LAUREL_ASSIGN_OR_RETURN(rd.blocks, block_store_.LoadAbove(h));
  return rd;
}

Status Node::Impl::RestartEngine() {
  if (!is_validator() || fence_) {
    // A full node follows by block sync only; it signs nothing. So does a validator restored
    // from a backup until its fence lifts (restore_fence.h).
    engine_.reset();
    running_ = true;
    return Status::Ok();
  }
  LAUREL_ASSIGN_OR_RETURN(cs::RecoveryData rd, RecoveryFromStore());
  cs::EngineConfig ec;
  ec.my_index = my_index_;
  ec.round_timeout_base_ms = config_.round_timeout_ms;
  ec.round_timeout_max_ms = config_.max_round_timeout_ms;
  ec.payload_wait_ms = config_.payload_wait_ms;
  // A node further behind catches up by block sync, not by fetching ancestor chains.
  ec.max_fetch_gap = 2 * ec.fetch_batch;
  engine_ = std::make_unique<cs::Engine>(ec, *validators_, key_, safety_store_, block_store_,
                                         clock_, *this, std::move(rd));
  cs::Outputs out;
  LAUREL_RETURN_IF_ERROR(engine_->Start(out));
  if (engine_->record_tc_unverified()) {
    spdlog::warn(
        "[consensus] the safety record's TC (round {}) does not verify: written by an "
        "older version (timeout sign-bytes v1). Resuming in round {} from it; it is not "
        "sent to peers",
        engine_->safety_record().last_tc->round, engine_->current_round());
  }
  running_ = true;
  Handle(out);
  return Status::Ok();
}

static_assert(kMaxClockOffsetMs == cs::Engine::kMaxBlockTimeAheadMs &&
                  kMaxClockOffsetMs == cs::Engine::kMaxBlockTimeBehindMs,
              "readiness's clock bound is the engine's voting bound");

void Node::Impl::Halt(const std::string& why, int exit_code) {
  spdlog::critical("[node] HALT: {}", why);
  spdlog::default_logger()->flush();
  std::fflush(stderr);
  ::_exit(exit_code);
}

void Node::Impl::HaltOnStorageError(const laurel::Status& st, const std::string& during) {
  if (st.code() != StatusCode::kIoError) return;
  const std::optional<uint64_t> free = FreeBytes(config_.data_dir);
  if (IsDiskFull(st, free)) StandStillOnFullDisk(st, during);
  Halt("cannot write to the store at " + config_.data_dir + "/db (" + during +
           "): " + st.ToString() + "; " +
           (free ? std::to_string(*free) : std::string("unknown")) + " bytes free" +
           "; stopping before anything the disk does not hold is signed or applied. Fix the disk "
           "(free space, or replace it), then restart: the safety record and the committed "
           "blocks on disk are intact.",
       kExitStorageFailure);
}

NodeStatus Node::Impl::Status() const {
  std::lock_guard lock(status_mu_);
  NodeStatus s = status_;
  ReadinessFacts f = readiness_facts_;
  f.running = running_.load();
  if (disk_full_) f.store_error = disk_full_reason_;
  if (status_last_commit_at_) {
    f.ms_since_commit =
        static_cast<uint64_t>(std::chrono::duration_cast<milliseconds>(
                                  std::chrono::steady_clock::now() - *status_last_commit_at_)
                                  .count());
  }
  Readiness r = AssessReadiness(f);
  s.ready = r.ready;
  s.not_ready_reason = std::move(r.reason);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Node (the public face)

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() {
  if (impl_) impl_->Stop();
}

Result<std::unique_ptr<Node>> Node::Open(NodeConfig config, ledger::Genesis genesis,
                                         crypto::PrivateKey key) {
  LAUREL_RETURN_IF_ERROR(ledger::ValidateGenesis(genesis));
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return Status::IoError("cannot create " + config.data_dir + ": " + ec.message());
  LAUREL_ASSIGN_OR_RETURN(auto store, storage::OpenRocksStore(config.data_dir + "/db"));
  auto impl = std::make_unique<Impl>(std::move(config), std::move(genesis), std::move(key),
                                     std::move(store));
  LAUREL_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Status Node::Start() { return impl_->Start(); }
void Node::Stop() { impl_->Stop(); }
void Node::SubmitTx(types::Tx tx, std::function<void(AdmitResult)> done) {
  impl_->SubmitTx(std::move(tx), std::move(done));
}
void Node::WaitForCommit(const Hash32& tx_id, std::chrono::milliseconds timeout,
                         std::function<void(std::optional<storage::TxLocation>)> done) {
  impl_->WaitForCommit(tx_id, timeout, std::move(done));
}
bool Node::IsPending(const Hash32& tx_id) const { return impl_->IsPending(tx_id); }
NodeStatus Node::Status() const { return impl_->Status(); }
const storage::Store& Node::store() const { return impl_->store(); }
bool Node::Ready() const { return impl_->Ready(); }
const ledger::Genesis& Node::genesis() const { return impl_->genesis(); }
metrics::Registry* Node::metrics() const { return impl_->metrics(); }
Result<EvidencePage> Node::ListEvidence(uint64_t after, size_t limit) const {
  // The file is only appended to (by the loop, a whole line per write): reading it from
  // another thread sees whole records, and a last line still being written is left out.
  const std::string& path = impl_->evidence_path();
  if (path.empty()) return EvidencePage{};
  return ReadEvidencePage(path, after, limit);
}

void Node::Impl::CountAdmission(const AdmitResult& r) {
  if (r.code == AdmitCode::kAccepted) {
    node_metrics_.admitted.Inc();
    return;
  }
  metrics::Counter* c = nullptr;
  if (r.code == AdmitCode::kInvalid) {
    const auto code = static_cast<size_t>(r.tx_code);
    if (code < rejected_by_tx_code_.size()) c = rejected_by_tx_code_[code];
  } else if (static_cast<size_t>(r.code) < by_admit_code_.size()) {
    c = by_admit_code_[static_cast<size_t>(r.code)];
  }
  if (c != nullptr) c->Inc();
}
uint16_t Node::p2p_port() const { return impl_->p2p_port(); }

}  // namespace laurel::node

#include "node/node.h"

#include <unistd.h>

#include <filesystem>
#include <future>

#include "node/commit_proof.h"
#include "node/node_impl.h"

namespace laurel::node {

using namespace detail;

const char* AdmitCodeName(AdmitCode c) {
  switch (c) {
    case AdmitCode::kAccepted: return "ACCEPTED";
    case AdmitCode::kAlreadyKnown: return "ALREADY_KNOWN";
    case AdmitCode::kCommitted: return "COMMITTED";
    case AdmitCode::kInvalid: return "INVALID";
    case AdmitCode::kMempoolFull: return "MEMPOOL_FULL";
    case AdmitCode::kTooLarge: return "TOO_LARGE";
    case AdmitCode::kNotReady: return "NOT_READY";
    case AdmitCode::kSignerQuota: return "SIGNER_QUOTA";
    case AdmitCode::kExpiryTooFar: return "EXPIRY_TOO_FAR";
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
  auto gov = ledger::ReadGovernance(*store_);
  if (!gov) return Status::Corruption("store has no governance record");
  for (const auto& v : gov->validators) {
    crypto::PublicKey k;
    std::copy(v.public_key.begin(), v.public_key.end(), k.begin());
    index_of_[k] = static_cast<uint32_t>(validator_keys_.size());
    validator_keys_.push_back(k);
  }
  auto me = index_of_.find(key_.public_key());
  if (me == index_of_.end()) {
    return Status::PermissionDenied("this node's key " + HexEncode(key_.public_key()) +
                                    " is not in the validator set");
  }
  my_index_ = me->second;
  validators_ = std::make_unique<cs::ValidatorSet>(0, validator_keys_, genesis_block_.id,
                                                   &sig_checker_);
  sync_ = std::make_unique<SyncTracker>(
      SyncTracker::Validators{.count = static_cast<uint32_t>(validator_keys_.size()),
                              .my_index = my_index_},
      SyncTracker::Verifier{
          [this](const SyncBlock& sb) { return VerifyCommittedBlock(*validators_, sb); },
          CommitQcCoversBlock});
  attestations_ = std::make_unique<AttestationBook>(genesis_.chain_id, validators_->quorum());
  height_ = store_->Height();
  LAUREL_ASSIGN_OR_RETURN(auto tip, store_->GetBlock(store_->Height()));
  if (!tip) return Status::Corruption("the store's tip block is missing");
  last_block_id_ = tip->block_id;
  last_block_time_ms_ = tip->time_ms;
  UpdateStatus();
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
  for (const auto& p : config_.peers) {
    crypto::PublicKey k;
    if (p.public_key.size() != k.size()) return Status::InvalidArgument("bad peer key");
    std::copy(p.public_key.begin(), p.public_key.end(), k.begin());
    if (!index_of_.count(k)) {
      return Status::InvalidArgument("configured peer " + HexEncode(k) +
                                     " is not in the validator set");
    }
    opts.peers[k] = net::PeerAddress{p.address.host, p.address.port};
  }
  opts.on_receive = [this](const crypto::PublicKey& peer, Bytes payload) {
    OnFrame(peer, std::move(payload));
  };
  opts.on_connection = [this](const crypto::PublicKey& peer, bool up) {
    asio::post(loop_, [this, peer, up] {
      auto it = index_of_.find(peer);
      if (up) {
        peers_connected_++;
        if (it != index_of_.end()) SendTo(it->second, HelloMsg{store_->Height()});
      } else {
        if (peers_connected_ > 0) peers_connected_--;
        if (it != index_of_.end()) sync_->OnPeerDisconnected(it->second);
      }
      UpdateStatus();
    });
  };
  transport_ = std::make_unique<net::Transport>(key_, std::move(opts));
  LAUREL_RETURN_IF_ERROR(transport_->Start());
  loop_thread_ = std::thread([this] { loop_.run(); });
  std::promise<laurel::Status> started;
  auto fut = started.get_future();
  asio::post(loop_, [this, &started] {
    laurel::Status st = RestartEngine();
    ScheduleHello();
    started.set_value(st);
  });
  LAUREL_RETURN_IF_ERROR(fut.get());
  spdlog::info("[node] started name={} index={} validators={} height={} p2p={}:{}", config_.name,
               my_index_, validator_keys_.size(), store_->Height(), config_.p2p_listen.host,
               transport_->listen_port());
  return Status::Ok();
}

void Node::Impl::Stop() {
  if (stopped_) return;
  stopped_ = true;
  running_ = false;
  if (transport_) transport_->Stop();
  verify_pool_.join();
  work_.reset();
  loop_.stop();
  if (loop_thread_.joinable()) loop_thread_.join();
}

Result<cs::RecoveryData> Node::Impl::RecoveryFromStore() {
  const uint64_t h = store_->Height();
  cs::RecoveryData rd;
  if (h == 0) {
    rd = cs::GenesisRecovery(genesis_block_);
  } else {
    LAUREL_ASSIGN_OR_RETURN(SyncBlock sb, SyncBlockAt(h));
    rd = cs::RecoveryData{sb.block, sb.block_qc, sb.commit_qc, {}};
  }
  LAUREL_ASSIGN_OR_RETURN(rd.blocks, block_store_.LoadAbove(h));
  return rd;
}

Status Node::Impl::RestartEngine() {
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

void Node::Impl::Halt(const std::string& why, int exit_code) {
  spdlog::critical("[node] HALT: {}", why);
  spdlog::default_logger()->flush();
  std::fflush(stderr);
  ::_exit(exit_code);
}

void Node::Impl::HaltOnStorageError(const laurel::Status& st, const std::string& during) {
  if (st.code() != StatusCode::kIoError) return;
  Halt("cannot write to the store at " + config_.data_dir + "/db (" + during +
           "): " + st.ToString() +
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
  if (status_last_commit_at_) {
    f.ms_since_commit = static_cast<uint64_t>(std::chrono::duration_cast<milliseconds>(
        std::chrono::steady_clock::now() - *status_last_commit_at_).count());
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

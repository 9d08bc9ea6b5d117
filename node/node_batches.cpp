// Quorum store (docs/spec/batches.md): this node's admitted transactions leave it once, in its
// batches; peers store a batch and acknowledge it; f+1 acknowledgements make a proof of
// availability, broadcast so that any leader can propose it; a committed block's proofs are
// resolved to their batches' transactions, fetching a missing batch first (the commit waits
// for it, the loop does not). The decisions are the state machines' (BatchStore, BatchFetcher,
// ProofPool, PayloadBook); this file carries them out.
#include "node/node_impl.h"

namespace laurel::node {

using namespace detail;

namespace {
std::atomic<int64_t> g_batch_refused_log{0};
std::atomic<int64_t> g_ack_refused_log{0};
std::atomic<int64_t> g_proof_refused_log{0};
std::atomic<int64_t> g_request_refused_log{0};
std::atomic<int64_t> g_repush_log{0};

constexpr uint64_t kBatchCutMs = 5;
constexpr size_t kBatchCutTxs = 1000;
// A batch expires this many heights above the committed height it was made at (the store
// refuses more than BatchStore::Limits::max_expiry_distance).
constexpr uint64_t kBatchExpiryHeights = 500;
// A transaction a client sent to this validator too is left to a peer's proven batch only while
// that batch has at least this many heights to go before it expires (ProvenBatchOf).
constexpr uint64_t kMinDeferHeights = 64;
constexpr uint64_t kFetchTimeoutMs = 300;
constexpr uint64_t kFetchTickMs = 100;
constexpr uint64_t kHeldTickMs = 50;  // held batches past their deadline are checked this often
// An own batch without its proof this long after its push is pushed again to the validators
// that have not acknowledged it; the interval doubles up to kRepushMaxMs. (A proof takes about
// 20 ms at half load: bench/results/latency-2026-12-06.md.)
constexpr uint64_t kRepushFirstMs = 1000;
constexpr uint64_t kRepushMaxMs = 8000;
constexpr uint64_t kRepushTickMs = 250;
}  // namespace

std::vector<crypto::PublicKey> Node::Impl::KeysOfEpoch(uint64_t epoch) const {
  std::vector<crypto::PublicKey> keys;
  const cs::ValidatorSet* set = SetOfEpoch(epoch);
  if (set == nullptr) return keys;
  keys.reserve(set->size());
  for (uint32_t i = 0; i < set->size(); ++i) keys.push_back(set->key(i));
  return keys;
}

void Node::Impl::ResetBatchesForEpoch() {
  const uint64_t epoch = epochs_.current().epoch;
  if (next_batch_id_ == 0) next_batch_id_ = clock_.NowMs() * 1000;
  // This node's batches of the old epoch are void: their transactions still pending go into
  // the new epoch's batches.
  if (batch_store_) {
    for (auto& [digest, own] : own_batches_) {
      for (const Hash32& id : own.second) {
        if (const types::Tx* tx = mempool_.Find(id)) batch_out_.push_back(types::EncodeTx(*tx));
      }
    }
    own_batches_.clear();
    own_batch_times_.clear();
    repush_.clear();
    batch_out_bytes_ = 0;
    for (const Bytes& w : batch_out_) batch_out_bytes_ += w.size();
  }
  // The old epoch's batches on disk are void too (a delete lost in a crash: LoadBatches drops
  // a batch of another epoch).
  if (batch_log_) {
    if (laurel::Status st = batch_log_->DropBatches(); !st.ok()) {
      HaltOnStorageError(st, "deleting the batches of epoch " + std::to_string(epoch - 1));
      spdlog::error("[batch] cannot delete the old epoch's batches: {}", st.ToString());
    }
  }
  reloaded_own_.clear();
  batch_store_ = std::make_unique<BatchStore>(genesis_.chain_id, epoch, validator_keys_, my_index_,
                                              BatchStore::Limits{});
  fetcher_ = std::make_unique<BatchFetcher>(my_index_, kFetchTimeoutMs);
  proofs_.Clear();
  for (const auto& [digest, sigs] : batch_sigs_) {
    for (const Hash32& d : sigs.second) verified_.erase(d);
  }
  batch_sigs_.clear();
  held_batches_.clear();
  batched_tx_.clear();
  batch_tx_ids_.clear();
  {
    std::lock_guard lock(check_policy_mu_);
    check_policy_ = BatchCheckPolicy(my_index_, static_cast<uint32_t>(validator_keys_.size()),
                                     BatchCheckPolicy::Limits{});
  }
  waiting_commits_.clear();
  waiting_since_ms_.reset();
}

laurel::Status Node::Impl::LoadBatches() {
  const uint64_t h = store_->Height();
  LAUREL_ASSIGN_OR_RETURN(auto loaded, batch_log_->Load(epochs_.current().epoch, h));
  // Proofs of executed batches are refused until they expire, as before the restart.
  size_t marks = 0;
  for (const auto& [digest, e] : batch_log_->executed()) {
    if (e.expires_at_height <= h + 1) continue;
    BatchInfo info;
    info.digest = digest;
    info.expires_at_height = e.expires_at_height;
    proofs_.OnExecuted(info);
    ++marks;
  }
  size_t own = 0;
  size_t refused = 0;
  for (const Batch& b : loaded.batches) {
    // As when it arrived: its author pushed it (this node, for its own), within the quota.
    auto info = batch_store_->Insert(b.author, b, h);
    if (!info.ok()) {
      ++refused;
      spdlog::warn("[batch] batch {} on disk not reloaded: {}",
                   Hex8(BatchDigest(genesis_.chain_id, b)), info.status().ToString());
      continue;
    }
    std::vector<Hash32> ids;
    ids.reserve(b.txs.size());
    for (const Bytes& w : b.txs) {
      if (auto tx = types::DecodeTx(w); tx.ok()) ids.push_back(types::TxId(*tx));
    }
    if (b.author != my_index_) {
      NoteBatchedTxs(info->digest, std::move(ids));
      continue;
    }
    if (!is_validator()) continue;
    ++own;
    own_batches_[info->digest] = {info->expires_at_height, std::move(ids)};
    reloaded_own_.push_back(info->digest);
    // Its acknowledgements were in memory: this node's own counts again, the peers' come back
    // when it is pushed to them again (PushReloaded).
    BatchAck ack{*info, my_index_, key_.Sign(BatchAckSignBytes(genesis_.chain_id, *info))};
    if (auto proof = batch_store_->AddAck(ack); proof.ok() && *proof) {
      node_metrics_.batch_proofs.Get("made").Inc();
      (void)proofs_.Add(**proof, h);
    }
    ExpectProof(*info);
  }
  if (!loaded.batches.empty() || loaded.dropped > 0 || marks > 0) {
    spdlog::info(
        "[batch] from disk: {} batches reloaded ({} of this node's, {} refused), {} records "
        "dropped, {} executed batches remembered",
        loaded.batches.size() - refused, own, refused, loaded.dropped, marks);
  }
  return laurel::Status::Ok();
}

void Node::Impl::PushReloaded(uint32_t validator) {
  if (validator == my_index_ || !batch_store_) return;
  std::erase_if(reloaded_own_, [this](const Hash32& d) { return !batch_store_->Has(d); });
  for (const Hash32& d : reloaded_own_) {
    const Bytes frame = EncodeWire(BatchMsg{*batch_store_->Get(d)});
    (void)transport_->Send(validator_keys_[validator], frame);
  }
}

// ---------------------------------------------------------------------------------------------
// This node's batches

void Node::Impl::AddToBatch(Bytes wire) {
  batch_out_bytes_ += wire.size();
  batch_out_.push_back(std::move(wire));
  const size_t max_txs = std::min(kBatchCutTxs, config_.block_max_txs);
  const size_t max_bytes =
      std::min<size_t>({kMaxBatchBytes, config_.block_max_bytes / 2, config_.max_frame_bytes / 2});
  if (batch_out_.size() >= max_txs || batch_out_bytes_ >= max_bytes) {
    FlushBatch();
  } else if (!batch_scheduled_) {
    batch_scheduled_ = true;
    batch_timer_.expires_after(milliseconds(kBatchCutMs));
    batch_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) FlushBatch();
    });
  }
}

void Node::Impl::FlushBatch() {
  batch_scheduled_ = false;
  if (batch_out_.empty() || !batch_store_) return;
  if (!is_validator()) {
    // Not a validator (any more): the transactions go to the validators as gossip.
    for (Bytes& w : batch_out_) gossip_out_.push_back(std::move(w));
    batch_out_.clear();
    batch_out_bytes_ = 0;
    FlushGossip();
    return;
  }
  const size_t max_txs = std::min(kBatchCutTxs, config_.block_max_txs);
  const size_t max_bytes =
      std::min<size_t>({kMaxBatchBytes, config_.block_max_bytes / 2, config_.max_frame_bytes / 2});
  while (!batch_out_.empty()) {
    size_t n = 0;
    size_t bytes = 0;
    while (n < batch_out_.size() && n < max_txs &&
           (n == 0 || bytes + batch_out_[n].size() <= max_bytes)) {
      bytes += batch_out_[n].size();
      ++n;
    }
    Batch b;
    b.epoch = epochs_.current().epoch;
    b.author = my_index_;
    b.batch_id = next_batch_id_;
    b.expires_at_height = store_->Height() + kBatchExpiryHeights;
    b.txs.assign(std::make_move_iterator(batch_out_.begin()),
                 std::make_move_iterator(batch_out_.begin() + static_cast<ptrdiff_t>(n)));
    auto info = batch_store_->Insert(my_index_, b, store_->Height());
    if (!info.ok()) {
      // This node's own share of the store is full (its batches wait for blocks): try again
      // shortly, the transactions kept in order.
      for (size_t i = 0; i < n; ++i) batch_out_[i] = std::move(b.txs[i]);
      if (EverySecond(g_batch_refused_log)) {
        spdlog::warn("[batch] cannot make a batch yet: {}", info.status().ToString());
      }
      batch_scheduled_ = true;
      batch_timer_.expires_after(milliseconds(20));
      batch_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) FlushBatch();
      });
      return;
    }
    ++next_batch_id_;
    batch_out_.erase(batch_out_.begin(), batch_out_.begin() + static_cast<ptrdiff_t>(n));
    batch_out_bytes_ -= bytes;
    // Remembered until executed or expired, so that an expired batch's transactions still
    // pending go into a new batch.
    std::vector<Hash32> ids;
    ids.reserve(b.txs.size());
    for (const Bytes& w : b.txs) {
      if (auto tx = types::DecodeTx(w); tx.ok()) ids.push_back(types::TxId(*tx));
    }
    own_batches_[info->digest] = {info->expires_at_height, std::move(ids)};
    own_batch_times_[info->digest].cut_us = SteadyNowUs();
    node_metrics_.batches.Get("made").Inc();
    // Sent once on disk (PersistBatches): a peer's acknowledgement may be the last copy but
    // this one.
    PersistThenSend(*info, my_index_);
  }
}

void Node::Impl::PushOwnBatch(const Batch& b, uint64_t num_bytes, const std::vector<uint32_t>& to) {
  const Bytes frame = EncodeWire(BatchMsg{b});
  auto push = [&](uint32_t i) {
    if (i == my_index_ || i >= validator_keys_.size()) return;
    if (transport_->Send(validator_keys_[i], frame).ok()) {
      node_metrics_.batch_bytes.Get("sent").Inc(static_cast<double>(num_bytes));
    }
  };
  if (to.empty()) {
    for (uint32_t i = 0; i < validator_keys_.size(); ++i) push(i);
  } else {
    for (uint32_t i : to) push(i);
  }
}

void Node::Impl::ExpectProof(const BatchInfo& info) {
  if (batch_store_ == nullptr || batch_store_->awaiting_acks(info.digest).empty()) return;
  repush_[info.digest] = {SteadyNowMs() + kRepushFirstMs, kRepushFirstMs, info.num_bytes};
  ArmRepushTimer();
}

// A push can be lost without the link going down: a peer's check queue is full (a push beyond
// it is dropped), the author's share of the peer's store is full (the peer executes behind the
// author), or a frame is lost. A batch without a proof is never proposed: its transactions
// would wait for its expiry (500 heights: about 17 s at saturation, 100 s on an idle chain). So
// it is pushed again, to the validators whose ack it lacks; a holder answers with its ack again
// (BatchStore::Insert keeps a batch it holds).
void Node::Impl::ArmRepushTimer() {
  if (repush_timer_armed_ || repush_.empty()) return;
  repush_timer_armed_ = true;
  repush_timer_.expires_after(milliseconds(kRepushTickMs));
  repush_timer_.async_wait([this](const boost::system::error_code& ec) {
    repush_timer_armed_ = false;
    if (ec || !batch_store_) return;
    const uint64_t now = SteadyNowMs();
    for (auto it = repush_.begin(); it != repush_.end();) {
      const std::vector<uint32_t> to = batch_store_->awaiting_acks(it->first);
      if (to.empty()) {
        it = repush_.erase(it);  // proved, executed, expired or dropped
        continue;
      }
      Repush& r = it->second;
      if (r.at_ms <= now) {
        const Batch* b = batch_store_->Get(it->first);
        PushOwnBatch(*b, r.num_bytes, to);
        node_metrics_.batches.Get("pushed_again").Inc();
        if (EverySecond(g_repush_log)) {
          spdlog::warn(
              "[batch] batch {} has no proof of availability {} ms after its last push: pushed "
              "again to the {} validators that have not acknowledged it",
              Hex8(it->first), r.every_ms, to.size());
        }
        r.every_ms = std::min(r.every_ms * 2, kRepushMaxMs);
        r.at_ms = now + r.every_ms;
      }
      ++it;
    }
    ArmRepushTimer();
  });
}

void Node::Impl::PersistThenSend(const BatchInfo& info, uint32_t from) {
  unpersisted_.push_back({info, from});
  if (persist_scheduled_ || persist_in_flight_) return;
  persist_scheduled_ = true;
  // Posted: the batches already queued on the loop join this write.
  asio::post(loop_, [this] { PersistBatches(); });
}

void Node::Impl::PersistBatches() {
  persist_scheduled_ = false;
  if (persist_in_flight_ || unpersisted_.empty()) return;
  std::vector<UnpersistedBatch> pending = std::move(unpersisted_);
  unpersisted_.clear();
  // A batch gone meanwhile (another epoch, executed or expired) needs no record and no ack.
  std::erase_if(pending, [this](const UnpersistedBatch& u) { return !StillHeld(u); });
  std::vector<std::pair<const Batch*, Hash32>> batches;
  batches.reserve(pending.size());
  for (const UnpersistedBatch& u : pending) {
    batches.emplace_back(batch_store_->Get(u.info.digest), u.info.digest);
  }
  auto records = batch_log_->Records(batches);
  if (records.empty()) {
    OnBatchesPersisted(laurel::Status::Ok(), std::move(pending));
    return;
  }
  // The write runs on disk_pool_, so the loop goes on meanwhile (votes, proposals, commits);
  // the batches stored during it share the next write. Synced with batch_fsync (the default);
  // else it is in the write-ahead log (a kill -9 keeps it) and on disk with the next commit.
  persist_in_flight_ = true;
  asio::post(disk_pool_, [this, sync = config_.batch_fsync, records = std::move(records),
                          pending = std::move(pending)]() mutable {
    laurel::Status st = store_->PutConsensusRecords(records, sync);
    asio::post(loop_, [this, st = std::move(st), pending = std::move(pending)]() mutable {
      persist_in_flight_ = false;
      OnBatchesPersisted(st, std::move(pending));
      PersistBatches();
    });
  });
}

bool Node::Impl::StillHeld(const UnpersistedBatch& u) const {
  return batch_store_ && u.info.epoch == epochs_.current().epoch &&
         batch_store_->Has(u.info.digest);
}

void Node::Impl::OnBatchesPersisted(const laurel::Status& st,
                                    std::vector<UnpersistedBatch> written) {
  if (!st.ok()) {
    HaltOnStorageError(st, "writing batches");
    spdlog::error("[batch] cannot write {} batches: {}; not acknowledged, not sent", written.size(),
                  st.ToString());
    for (const UnpersistedBatch& u : written) {
      if (u.from != my_index_ || !StillHeld(u)) continue;
      // This node's own: dropped, its transactions go into a new batch.
      std::vector<Bytes> txs = batch_store_->Get(u.info.digest)->txs;
      batch_store_->OnExecuted(u.info.digest);
      own_batches_.erase(u.info.digest);
      own_batch_times_.erase(u.info.digest);
      for (Bytes& w : txs) AddToBatch(std::move(w));
    }
    return;
  }
  // On disk now, even those executed meanwhile: they leave it when they expire.
  std::vector<std::pair<Hash32, uint64_t>> on_disk;
  on_disk.reserve(written.size());
  for (const UnpersistedBatch& u : written) {
    on_disk.emplace_back(u.info.digest, u.info.expires_at_height);
  }
  batch_log_->Written(on_disk);
  for (const UnpersistedBatch& u : written) {
    if (!StillHeld(u)) continue;
    BatchAck ack{u.info, my_index_, key_.Sign(BatchAckSignBytes(genesis_.chain_id, u.info))};
    if (u.from != my_index_) {
      SendTo(u.from, BatchAckMsg{ack});
      node_metrics_.batch_acks.Get("sent").Inc();
      continue;
    }
    if (auto t = own_batch_times_.find(u.info.digest); t != own_batch_times_.end()) {
      node_metrics_.batch_stages.Get("persisted")
          .Observe(static_cast<double>(SteadyNowUs() - t->second.cut_us) / 1e6);
    }
    PushOwnBatch(*batch_store_->Get(u.info.digest), u.info.num_bytes);
    // This node stores its own batch: its own acknowledgement counts.
    auto proof = batch_store_->AddAck(ack);
    if (proof.ok() && *proof) OnOwnProof(**proof);
    ExpectProof(u.info);
  }
}

void Node::Impl::OnOwnProof(const ProofOfAvailability& p) {
  node_metrics_.batch_proofs.Get("made").Inc();
  if (auto t = own_batch_times_.find(p.info.digest); t != own_batch_times_.end()) {
    t->second.proof_us = SteadyNowUs();
    node_metrics_.batch_stages.Get("proof").Observe(
        static_cast<double>(t->second.proof_us - t->second.cut_us) / 1e6);
  }
  (void)proofs_.Add(p, store_->Height());
  const Bytes frame = EncodeWire(ProofMsg{p});
  for (uint32_t i = 0; i < validator_keys_.size(); ++i) {
    if (i != my_index_) (void)transport_->Send(validator_keys_[i], frame);
  }
  PayloadMaybeReady();
}

// ---------------------------------------------------------------------------------------------
// Peers' batches, acknowledgements and proofs

void Node::Impl::OnBadBatch(uint32_t validator, const std::string& why) {
  node_metrics_.batches.Get("refused").Inc();
  if (EverySecond(g_batch_refused_log)) {
    spdlog::warn("[batch] batch from validator {} refused: {}", validator, why);
  }
}

void Node::Impl::OnBatch(uint32_t validator, const Batch& b, const std::vector<Hash32>& verified,
                         std::vector<Hash32> tx_ids, bool held) {
  // Only its author pushes a batch (BatchStore::Insert checks sender == author).
  auto info = batch_store_->Insert(validator, b, store_->Height());
  if (!info.ok()) {
    node_metrics_.batches.Get("refused").Inc();
    if (EverySecond(g_batch_refused_log)) {
      spdlog::warn("[batch] batch from validator {} refused: {}", validator,
                   info.status().ToString());
    }
    return;
  }
  if (batch_log_->ExecutedAt(info->digest)) {
    // Pushed again (by an author that restarted before it saw the block): executed here, so
    // neither kept nor acknowledged.
    batch_store_->OnExecuted(info->digest);
    return;
  }
  node_metrics_.batches.Get("received").Inc();
  node_metrics_.batch_bytes.Get("received").Inc(static_cast<double>(info->num_bytes));
  NoteBatchedTxs(info->digest, std::move(tx_ids));
  if (held) {
    // Not one of its designated checkers: kept (and served) unchecked until its proof comes;
    // checked and acknowledged here if it does not come in time. Not acknowledged, so not on
    // disk either.
    node_metrics_.batches.Get("held").Inc();
    if (!proofs_.Has(info->digest) && !proofs_.WasExecuted(info->digest)) {
      held_batches_.emplace(info->digest, SteadyNowMs() + check_policy_.limits().defer_ms);
      ArmHeldTimer();
    }
  } else {
    if (!verified.empty() && batch_sigs_.count(info->digest) == 0) {
      verified_.insert(verified.begin(), verified.end());
      batch_sigs_[info->digest] = {info->expires_at_height, verified};
    }
    if (is_validator()) AckBatch(*info, validator);
  }
  if (fetcher_->IsWanted(info->digest)) {
    fetcher_->Cancel(info->digest);
    DrainCommits(/*may_switch_epoch=*/true);
  }
}

void Node::Impl::NoteOwnBatchesProposed(const std::vector<Hash32>& digests) {
  if (own_batch_times_.empty()) return;
  const uint64_t now = SteadyNowUs();
  for (const Hash32& d : digests) {
    auto t = own_batch_times_.find(d);
    if (t == own_batch_times_.end() || t->second.proof_us == 0 || t->second.proposed_us != 0) {
      continue;
    }
    t->second.proposed_us = now;
    node_metrics_.batch_stages.Get("proposed")
        .Observe(static_cast<double>(now - t->second.proof_us) / 1e6);
  }
}

void Node::Impl::NoteOwnBatchExecuted(const Hash32& digest) {
  auto t = own_batch_times_.find(digest);
  if (t == own_batch_times_.end()) return;
  const uint64_t now = SteadyNowUs();
  if (t->second.proposed_us != 0) {
    node_metrics_.batch_stages.Get("committed")
        .Observe(static_cast<double>(now - t->second.proposed_us) / 1e6);
  }
  node_metrics_.batch_stages.Get("total").Observe(static_cast<double>(now - t->second.cut_us) /
                                                  1e6);
  own_batch_times_.erase(t);
}

void Node::Impl::NoteBatchedTxs(const Hash32& digest, std::vector<Hash32> tx_ids) {
  if (tx_ids.empty() || batch_tx_ids_.count(digest) != 0) return;
  for (const Hash32& id : tx_ids) batched_tx_[id] = digest;
  batch_tx_ids_.emplace(digest, std::move(tx_ids));
}

void Node::Impl::PruneBatchedTxs() {
  for (auto it = batch_tx_ids_.begin(); it != batch_tx_ids_.end();) {
    if (batch_store_ && batch_store_->Has(it->first)) {
      ++it;
      continue;
    }
    for (const Hash32& id : it->second) {
      if (auto t = batched_tx_.find(id); t != batched_tx_.end() && t->second == it->first) {
        batched_tx_.erase(t);
      }
    }
    it = batch_tx_ids_.erase(it);
  }
}

std::optional<uint32_t> Node::Impl::ProvenBatchOf(const Hash32& tx_id) const {
  const auto it = batched_tx_.find(tx_id);
  if (it == batched_tx_.end() || !batch_store_) return std::nullopt;
  const Hash32& d = it->second;
  const Batch* b = batch_store_->Get(d);
  if (b == nullptr || !proofs_.Has(d) || proofs_.WasExecuted(d)) return std::nullopt;
  // A batch close to its expiry may never be proposed (a Byzantine author can push one that
  // expires a few heights on): only one with room left holds the transaction for this node.
  if (b->expires_at_height <= store_->Height() + kMinDeferHeights) return std::nullopt;
  return b->author;
}

void Node::Impl::ArmHeldTimer() {
  if (held_timer_armed_ || held_batches_.empty()) return;
  held_timer_armed_ = true;
  held_timer_.expires_after(milliseconds(kHeldTickMs));
  held_timer_.async_wait([this](const boost::system::error_code& ec) {
    held_timer_armed_ = false;
    if (ec || !batch_store_) return;
    const uint64_t now = SteadyNowMs();
    for (auto it = held_batches_.begin(); it != held_batches_.end();) {
      const Hash32 d = it->first;
      const Batch* b = batch_store_->Get(d);
      if (b == nullptr || proofs_.Has(d) || proofs_.WasExecuted(d)) {
        it = held_batches_.erase(it);  // proven, executed or dropped: nothing to check
        continue;
      }
      if (it->second > now) {
        ++it;
        continue;
      }
      // No proof in time: a designated checker is down, slow or Byzantine. Check it here (and
      // this author's next batches on receipt for a while) so that a proof can form.
      {
        std::lock_guard lock(check_policy_mu_);
        check_policy_.OnNoProofInTime(b->author, now);
      }
      node_metrics_.batches.Get("checked_late").Inc();
      it = held_batches_.erase(it);
      asio::post(verify_pool_, [this, d, txs = b->txs] {
        auto checked = CheckBatchTxs(txs, /*verify_signatures=*/true);
        asio::post(loop_,
                   [this, d, checked = std::move(checked)] { OnHeldBatchChecked(d, checked); });
      });
    }
    ArmHeldTimer();
  });
}

void Node::Impl::OnHeldBatchChecked(const Hash32& digest,
                                    const Result<std::vector<Hash32>>& checked) {
  const Batch* b = batch_store_ ? batch_store_->Get(digest) : nullptr;
  if (b == nullptr) return;  // executed, expired or another epoch meanwhile
  if (!checked.ok()) {
    // Never acknowledged: without this node's ack (and the other honest ones') it gets no proof.
    OnBadBatch(b->author, checked.status().message());
    return;
  }
  if (batch_sigs_.count(digest) == 0) {
    verified_.insert(checked->begin(), checked->end());
    batch_sigs_[digest] = {b->expires_at_height, *checked};
  }
  if (is_validator()) AckBatch(InfoOf(genesis_.chain_id, *b), b->author);
}

void Node::Impl::AckBatch(const BatchInfo& info, uint32_t author) {
  // The acknowledgement promises that this node serves the batch until it executed or
  // expired, restarts included: on disk first (PersistBatches), unless it is already.
  if (!batch_log_->Holds(info.digest)) {
    PersistThenSend(info, author);
    return;
  }
  BatchAck ack{info, my_index_, key_.Sign(BatchAckSignBytes(genesis_.chain_id, info))};
  SendTo(author, BatchAckMsg{ack});
  node_metrics_.batch_acks.Get("sent").Inc();
}

void Node::Impl::OnBatchAck(uint32_t validator, const BatchAck& ack) {
  if (ack.signer != validator) {
    node_metrics_.batch_acks.Get("refused").Inc();
    if (EverySecond(g_ack_refused_log)) {
      spdlog::warn("[batch] ack in the name of validator {} sent by validator {}: refused",
                   ack.signer, validator);
    }
    return;
  }
  auto proof = batch_store_->AddAck(ack);
  if (!proof.ok()) {
    // Acks that arrive after the proof was made (f+1 of n answer first) are expected.
    if (proof.status().code() == StatusCode::kAlreadyExists) return;
    node_metrics_.batch_acks.Get("refused").Inc();
    if (EverySecond(g_ack_refused_log)) {
      spdlog::warn("[batch] ack from validator {} refused: {}", validator,
                   proof.status().ToString());
    }
    return;
  }
  node_metrics_.batch_acks.Get("received").Inc();
  if (*proof) OnOwnProof(**proof);
}

void Node::Impl::OnProof(uint32_t validator, const ProofOfAvailability& p) {
  const Hash32& d = p.info.digest;
  if (proofs_.Has(d) || proofs_.WasExecuted(d)) return;
  laurel::Status st = VerifyProof(genesis_.chain_id, epochs_.current().epoch, validator_keys_, p);
  if (st.ok()) st = proofs_.Add(p, store_->Height());
  if (!st.ok()) {
    if (st.code() == StatusCode::kAlreadyExists) return;
    node_metrics_.batch_proofs.Get("refused").Inc();
    if (EverySecond(g_proof_refused_log)) {
      spdlog::warn("[batch] proof of availability from validator {} refused: {}", validator,
                   st.ToString());
    }
    return;
  }
  node_metrics_.batch_proofs.Get("received").Inc();
  if (held_batches_.erase(d) > 0) node_metrics_.batches.Get("proven_unchecked").Inc();
  PayloadMaybeReady();
}

void Node::Impl::OnBatchRequest(uint32_t slot, const BatchRequestMsg& m) {
  if (!TakeServeBudget(batch_serve_budget_, slot, "batch", g_request_refused_log)) return;
  BatchResponseMsg resp;
  resp.info = m.info;
  if (const Batch* b = batch_store_->Get(m.info.digest)) {
    resp.batch = *b;
  } else if (auto at = batch_log_->ExecutedAt(m.info.digest)) {
    // Executed here already: rebuilt from the committed block that executed it.
    {
      if (auto sb = SyncBlockAt(*at); sb.ok()) {
        auto proofs = DecodeBatchPayload(sb->block.payload);
        const auto keys = KeysOfEpoch(sb->block.epoch);
        size_t k = 0;
        if (proofs.ok()) {
          for (const auto& p : *proofs) {
            if (p.info.expires_at_height <= sb->block.height ||
                !VerifyProof(genesis_.chain_id, sb->block.epoch, keys, p).ok()) {
              continue;
            }
            if (k >= sb->batches.size()) break;
            if (p.info.digest == m.info.digest) {
              Batch b{p.info.epoch, p.info.author, p.info.batch_id, p.info.expires_at_height,
                      sb->batches[k]};
              if (InfoOf(genesis_.chain_id, b) == m.info) resp.batch = std::move(b);
              break;
            }
            ++k;
          }
        }
      }
    }
  }
  if (resp.batch) {
    size_t bytes = 0;
    for (const Bytes& w : resp.batch->txs) bytes += w.size();
    batch_serve_budget_.Spent(slot, bytes);
  }
  SendToSlot(slot, resp);
}

void Node::Impl::OnBatchResponse(uint32_t validator, const BatchResponseMsg& m) {
  BatchFetcher::Outputs out;
  fetcher_->OnResponse(validator, m, *batch_store_, store_->Height(), SteadyNowMs(), out);
  OnFetcherOutputs(out);
}

void Node::Impl::OnFetcherOutputs(BatchFetcher::Outputs& out) {
  for (const auto& r : out.requests) {
    SendTo(r.to, BatchRequestMsg{r.info});
    node_metrics_.batch_fetch_requests.Inc();
  }
  if (!out.fetched.empty()) {
    node_metrics_.batches.Get("fetched").Inc(static_cast<double>(out.fetched.size()));
    DrainCommits(/*may_switch_epoch=*/true);
  }
  ArmFetchTimer();
}

void Node::Impl::ArmFetchTimer() {
  if (fetch_timer_armed_ || !fetcher_ || fetcher_->wanted() == 0) return;
  fetch_timer_armed_ = true;
  fetch_timer_.expires_after(milliseconds(kFetchTickMs));
  fetch_timer_.async_wait([this](const boost::system::error_code& ec) {
    fetch_timer_armed_ = false;
    if (ec || !fetcher_) return;
    BatchFetcher::Outputs out;
    fetcher_->OnTick(SteadyNowMs(), out);
    OnFetcherOutputs(out);
    DrainCommits(/*may_switch_epoch=*/true);
    // Peers that executed the batch dropped it; a node that lags that far catches up by block
    // sync, which carries the transactions (node_sync.cpp).
    if (waiting_since_ms_ && SteadyNowMs() - *waiting_since_ms_ > 2000) {
      SyncTracker::Outputs s;
      sync_->Poll(LocalTip(), SteadyNowMs(), s);
      OnSyncOutputs(s, kMaxPeerSlots);
    }
    ArmFetchTimer();
  });
}

// ---------------------------------------------------------------------------------------------
// Committed blocks with proofs

laurel::Status Node::Impl::ResolveBlock(const cs::Block& block,
                                        const std::function<const Batch*(const Hash32&)>& lookup,
                                        BlockTxs* out,
                                        std::vector<ProofOfAvailability>* missing) const {
  auto proofs = DecodeBatchPayload(block.payload);
  if (!proofs.ok()) return proofs.status();
  const auto keys = KeysOfEpoch(block.epoch);
  out->batches.clear();
  out->txs.clear();
  for (const auto& p : *proofs) out->batches.push_back(p.info);
  missing->clear();
  for (const auto& p : *proofs) {
    if (p.info.expires_at_height > block.height && lookup(p.info.digest) == nullptr &&
        VerifyProof(genesis_.chain_id, block.epoch, keys, p).ok()) {
      missing->push_back(p);
    }
  }
  if (!missing->empty()) {
    return laurel::Status::Unavailable(std::to_string(missing->size()) + " batches not held");
  }
  auto r = ResolveBatchPayload(*proofs, genesis_.chain_id, block.epoch, keys, block.height, lookup);
  if (!r.ok()) return laurel::Status::Internal(r.status().message());
  out->txs.reserve(r->txs.size());
  for (const Bytes& wire : r->txs) {
    // Only a transaction's canonical encoding executes (as in a version-1 payload); the
    // digest fixes the bytes, so every node leaves out the same ones.
    auto tx = types::DecodeTx(wire);
    if (!tx.ok() || types::EncodeTx(*tx) != wire) continue;
    out->txs.push_back(std::move(tx).value());
  }
  return laurel::Status::Ok();
}

void Node::Impl::DrainCommits(bool may_switch_epoch) {
  if (draining_) return;
  draining_ = true;
  while (!waiting_commits_.empty() && !epoch_switch_pending_) {
    const uint64_t h = store_->Height();
    if (waiting_commits_.front().block.height <= h) {  // applied by block sync meanwhile
      waiting_commits_.pop_front();
      waiting_since_ms_.reset();
      continue;
    }
    if (waiting_commits_.front().block.height != h + 1 ||
        waiting_commits_.front().block.epoch != NextHeightEpoch()) {
      waiting_commits_.clear();
      waiting_since_ms_.reset();
      break;
    }
    if (!IsBatchPayload(waiting_commits_.front().block.payload)) {
      cs::CommittedBlock cb = std::move(waiting_commits_.front());
      waiting_commits_.pop_front();
      ApplyBlock(cb.block, cb.block_qc, cb.commit_qc);
      continue;
    }
    BlockTxs txs;
    std::vector<ProofOfAvailability> missing;
    const laurel::Status st = ResolveBlock(
        waiting_commits_.front().block, [this](const Hash32& d) { return batch_store_->Get(d); },
        &txs, &missing);
    if (st.code() == StatusCode::kUnavailable) {
      const uint64_t now = SteadyNowMs();
      if (!waiting_since_ms_) {
        waiting_since_ms_ = now;
        spdlog::info("[batch] block at height {} waits for {} batches; fetching",
                     waiting_commits_.front().block.height, missing.size());
      }
      BatchFetcher::Outputs out;
      for (const auto& p : missing) {
        if (fetcher_->IsWanted(p.info.digest)) continue;
        if (auto w = fetcher_->Want(p, now, out); !w.ok()) {
          spdlog::warn("[batch] cannot fetch batch {}: {}", Hex8(p.info.digest), w.ToString());
        }
      }
      draining_ = false;
      OnFetcherOutputs(out);
      return;
    }
    if (!st.ok() && st.code() != StatusCode::kCorruption) {
      Halt("cannot resolve the batches of block " + Hex8(waiting_commits_.front().block.id) +
           " at height " + std::to_string(h + 1) + ": " + st.ToString());
    }
    cs::CommittedBlock cb = std::move(waiting_commits_.front());
    waiting_commits_.pop_front();
    waiting_since_ms_.reset();
    if (!st.ok()) {
      spdlog::warn(
          "[node] block {} at height {} has a malformed batch payload ({}): executed "
          "empty",
          Hex8(cb.block.id), cb.block.height, st.message());
    }
    ApplyBlock(cb.block, cb.block_qc, cb.commit_qc, storage::Store::Durability::kSynced,
               st.ok() ? &txs : nullptr);
  }
  draining_ = false;
  if (may_switch_epoch && epoch_switch_pending_) SwitchEpoch();
}

Result<std::vector<Batch>> Node::Impl::SyncedBatches(const SyncBlock& sb) const {
  std::vector<Batch> out;
  auto proofs = DecodeBatchPayload(sb.block.payload);
  if (!proofs.ok()) {
    if (!sb.batches.empty()) {
      return Status::InvalidArgument("synced block at height " + std::to_string(sb.block.height) +
                                     " carries batches but no proofs");
    }
    return out;  // executed empty
  }
  const auto keys = KeysOfEpoch(sb.block.epoch);
  size_t k = 0;
  for (const auto& p : *proofs) {
    if (p.info.expires_at_height <= sb.block.height ||
        !VerifyProof(genesis_.chain_id, sb.block.epoch, keys, p).ok()) {
      continue;  // skipped by execution
    }
    if (sb.batches.empty()) {
      if (batch_store_ && batch_store_->Has(p.info.digest)) continue;
      return Status::InvalidArgument("synced block at height " + std::to_string(sb.block.height) +
                                     " comes without the transactions of batch " +
                                     HexEncode(p.info.digest));
    }
    if (k >= sb.batches.size()) {
      return Status::InvalidArgument("synced block at height " + std::to_string(sb.block.height) +
                                     " carries " + std::to_string(sb.batches.size()) +
                                     " batches, fewer than its usable proofs");
    }
    Batch b{p.info.epoch, p.info.author, p.info.batch_id, p.info.expires_at_height,
            sb.batches[k++]};
    if (!(InfoOf(genesis_.chain_id, b) == p.info)) {
      return Status::InvalidArgument("synced block at height " + std::to_string(sb.block.height) +
                                     ": the transactions of batch " + HexEncode(p.info.digest) +
                                     " do not match its digest");
    }
    out.push_back(std::move(b));
  }
  if (k != sb.batches.size()) {
    return Status::InvalidArgument("synced block at height " + std::to_string(sb.block.height) +
                                   " carries more batches than its usable proofs");
  }
  return out;
}

std::vector<std::vector<Bytes>> Node::Impl::StoredBatchTxs(
    const cs::Block& block, const std::vector<types::Tx>& txs) const {
  auto proofs = DecodeBatchPayload(block.payload);
  if (!proofs.ok()) return {};
  std::vector<Bytes> wires;
  wires.reserve(txs.size());
  for (const auto& tx : txs) wires.push_back(types::EncodeTx(tx));
  auto split = SplitBatchTxs(*proofs, genesis_.chain_id, block.epoch, KeysOfEpoch(block.epoch),
                             block.height, wires);
  if (!split.ok()) {
    spdlog::error("[sync] cannot serve the batches of block {} at height {}: {}", Hex8(block.id),
                  block.height, split.status().ToString());
    return {};
  }
  return std::move(split).value();
}

}  // namespace laurel::node

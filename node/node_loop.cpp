// The node's event loop: P2P dispatch, consensus outputs, execution of committed blocks,
// state attestations, transaction admission and gossip.
#include <sys/statvfs.h>

#include "node/commit_proof.h"
#include "node/node_impl.h"

namespace laurel::node {

using namespace detail;

namespace {
template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::atomic<int64_t> g_bad_frame_log{0};
std::atomic<int64_t> g_engine_err_log{0};
std::atomic<int64_t> g_inbound_drop_log{0};
constexpr int kInboundBatch = 16;

constexpr uint8_t kTxBatchKind = 12;
constexpr uint8_t kBatchKind = 17;
// Peers' batches being checked off the loop at once; beyond it a batch frame is dropped (its
// author's push is lost; a proof naming it is fetched from a signer).
constexpr int kMaxBatchChecks = 64;
}  // namespace

void Node::Impl::SendTo(uint32_t index, const WireMessage& m) {
  if (index >= validator_keys_.size() || index == my_index_) return;
  auto it = slot_of_.find(validator_keys_[index]);
  if (it != slot_of_.end()) SendToSlot(it->second, m);
}

void Node::Impl::SendToSlot(uint32_t slot, const WireMessage& m) {
  if (slot >= peer_keys_.size()) return;
  Bytes frame = EncodeWire(m);
  if (frame.size() > config_.max_frame_bytes) {
    // Never dropped silently: replies are sized to fit, so this is a bug worth a log line.
    spdlog::error(
        "[p2p] a {}-byte message to peer {} is over the frame limit ({} bytes); "
        "not sent",
        frame.size(), slot, config_.max_frame_bytes);
    return;
  }
  (void)transport_->Send(peer_keys_[slot], std::move(frame));
}

void Node::Impl::OnFrame(const crypto::PublicKey& peer, Bytes frame) {
  if (!frame.empty() && frame[0] == kTxBatchKind) {
    // Transaction batches are verified off the loop.
    asio::post(verify_pool_, [this, frame = std::move(frame)] {
      auto m = DecodeWire(frame);
      if (!m.ok() || !std::holds_alternative<TxBatchMsg>(*m)) return;
      std::vector<GossipedTx> good;
      // One consistent view for the batch: commits go on beside admission, and rules read
      // across records (an issuer and its credentials) must see them at one height.
      const auto view = store_->Snapshot();
      const uint64_t next = view->Height() + 1;
      for (const Bytes& wire : std::get<TxBatchMsg>(*m).txs) {
        auto tx = types::DecodeTx(wire);
        if (!tx.ok()) continue;
        // A copy of a transaction this node already holds or has committed (it came first from
        // a client, another peer or a proposal) is dropped before its signatures are checked:
        // each node verifies each transaction once.
        const Hash32 id = types::TxId(*tx);
        if (IsPending(id)) continue;
        if (auto loc = store_->GetTxLocation(id); loc && ledger::ConsumesTxId(loc->code)) continue;
        // What could not succeed on the current state is not admitted (nor gossiped further):
        // a Byzantine validator cannot fill honest mempools with unauthorised transactions.
        types::TxBody body;
        if (checker_.CheckAdmission(*view, *tx, next, &body) != ledger::TxCode::kOk) continue;
        if (body.expires_at_height > next + kMaxExpiryDistance) continue;
        good.push_back({std::move(tx).value(), wire.size(), body.expires_at_height});
      }
      if (!good.empty()) {
        asio::post(loop_,
                   [this, good = std::move(good)]() mutable { AdmitGossip(std::move(good)); });
      }
    });
    return;
  }
  if (!frame.empty() && frame[0] == kBatchKind) {
    // A peer's batch: its transactions must be canonical encodings (else it is refused, so no
    // honest validator acknowledges it). Its designated checkers verify its signatures here,
    // off the loop, and refuse it if one fails; the others hold it until its proof
    // (batch_check.h). Execution skips what was verified (verified_) or proven.
    if (batch_checks_.fetch_add(1) >= kMaxBatchChecks) {
      batch_checks_.fetch_sub(1);
      node_metrics_.inbound_dropped.Inc();
      return;
    }
    asio::post(verify_pool_, [this, peer, frame = std::move(frame)] {
      auto m = DecodeWire(frame);
      std::string bad;
      std::vector<Hash32> verified;
      std::vector<Hash32> tx_ids;
      bool held = false;
      if (!m.ok() || !std::holds_alternative<BatchMsg>(*m)) {
        bad = m.ok() ? "not a batch" : m.status().ToString();
      } else {
        const Batch& b = std::get<BatchMsg>(*m).batch;
        {
          std::lock_guard lock(check_policy_mu_);
          held = !check_policy_.CheckOnReceipt(b.author, SteadyNowMs());
        }
        auto checked = CheckBatchTxs(b.txs, !held, &tx_ids);
        if (checked.ok()) {
          verified = std::move(checked).value();
        } else {
          bad = checked.status().message();
        }
      }
      batch_checks_.fetch_sub(1);
      std::optional<Batch> batch;
      if (bad.empty()) batch = std::move(std::get<BatchMsg>(*m).batch);
      asio::post(loop_,
                 [this, peer, batch = std::move(batch), bad = std::move(bad),
                  verified = std::move(verified), tx_ids = std::move(tx_ids), held]() mutable {
                   const uint32_t v = ValidatorOfSlot(SlotOf(peer));
                   if (v == kNotValidator || !batch_store_) return;
                   if (!batch) {
                     OnBadBatch(v, bad);
                     return;
                   }
                   OnBatch(v, *batch, verified, std::move(tx_ids), held);
                 });
    });
    return;
  }
  // Every other frame waits in its peer's bounded queue; the loop serves the peers in turn
  // (inbound_queue.h), so a flood from one peer delays the others by one frame, not by the flood.
  switch (inbound_.Push(peer, std::move(frame))) {
    case InboundQueue::PushResult::kQueued:
      return;
    case InboundQueue::PushResult::kQueuedWake:
      asio::post(loop_, [this] { DrainInbound(); });
      return;
    case InboundQueue::PushResult::kDropped:
      node_metrics_.inbound_dropped.Inc();
      if (EverySecond(g_inbound_drop_log)) {
        spdlog::warn(
            "[p2p] peer {} sends faster than this node handles: its queue is full "
            "({} frames dropped so far)",
            Hex8(peer), inbound_.dropped());
      }
      return;
  }
}

void Node::Impl::DrainInbound() {
  // A batch at a time, so that timers and other work on the loop are not held up.
  for (int i = 0; i < kInboundBatch; ++i) {
    auto f = inbound_.Pop();
    if (!f) return;  // the next frame schedules a drain again
    HandleFrame(f->first, f->second);
  }
  asio::post(loop_, [this] { DrainInbound(); });
}

void Node::Impl::HandleFrame(const crypto::PublicKey& peer, const Bytes& frame) {
  const uint32_t from = SlotOf(peer);
  if (from >= kMaxPeerSlots) return;
  auto m = DecodeWire(frame);
  if (!m.ok()) {
    if (EverySecond(g_bad_frame_log)) {
      auto vi = index_of_.find(peer);
      spdlog::warn(
          "[p2p] undecodable message from {} {}: {}", vi != index_of_.end() ? "validator" : "peer",
          vi != index_of_.end() ? std::to_string(vi->second) : Hex8(peer), m.status().ToString());
    }
    return;
  }
  Dispatch(from, *m);
}

void Node::Impl::Dispatch(uint32_t from, const WireMessage& m) {
  std::visit(
      Overloaded{
          [&](const cs::Message& msg) {
            if (!engine_) return;
            // Consensus is heard from the current epoch's validators only (by their index).
            auto vi = index_of_.find(peer_keys_[from]);
            if (vi == index_of_.end()) return;
            const uint32_t validator = vi->second;
            // A proposal's transactions are noted before the engine sees it (payload_book.h).
            const auto* p = std::get_if<cs::ProposalMsg>(&msg);
            const std::vector<Hash32> ids = p != nullptr
                                                ? payload_.NoteProposal(p->block, height_.load())
                                                : std::vector<Hash32>{};
            cs::Outputs out;
            laurel::Status st = engine_->OnMessage(validator, msg, out);
            HaltOnStorageError(st, "handling a consensus message");
            payload_.PruneNoted([this](const cs::BlockId& id) { return engine_->HasBlock(id); });
            if (!st.ok() && EverySecond(g_engine_err_log)) {
              spdlog::debug("[consensus] message from {} refused: {}", validator, st.ToString());
            }
            // Verified: signed by the round's leader with a valid QC (or already in the tree).
            if (p != nullptr) {
              const bool verified = st.ok() || engine_->HasBlock(p->block.id);
              payload_.OnProposalHandled(p->block, ids, verified, engine_->current_round());
              if (verified) NoteOwnBatchesProposed(ids);
            }
            Handle(out);
          },
          [&](const FetchRequestMsg& f) { ServeFetch(from, f); },
          [&](const FetchResponseMsg& f) {
            if (!engine_) return;
            cs::Outputs out;
            HaltOnStorageError(engine_->OnFetchedBlocks(f.blocks, out), "saving fetched blocks");
            Handle(out);
          },
          [&](const TxBatchMsg&) {},  // handled off the loop
          [&](const SyncRequestMsg& s) { ServeSync(from, s); },
          [&](const SyncResponseMsg& s) {
            SyncTracker::Outputs out;
            sync_->OnSyncResponse(from, s, LocalTip(), SteadyNowMs(), out);
            OnSyncOutputs(out, from);
          },
          [&](const AttestationMsg& a) {
            // Signed by the validator it names, in the epoch of its height; kept by the book
            // of that epoch (the current one, or the previous one for its last heights).
            const StateAttestation& att = a.attestation;
            AttestationBook* book = nullptr;
            if (att.epoch == epochs_.current().epoch) {
              book = attestations_.get();
            } else if (prev_attestations_ && att.epoch == prev_attestations_epoch_) {
              book = prev_attestations_.get();
            }
            const Epoch* e = epochs_.Get(att.epoch);
            if (book == nullptr || e == nullptr || att.height < e->start_height) return;
            if (auto end = epochs_.EndHeight(att.epoch); end && att.height > *end) return;
            const cs::ValidatorSet* set = SetOfEpoch(att.epoch);
            if (att.signer >= set->size() || set->key(att.signer) != peer_keys_[from]) return;
            if (!book->Wants(att.height, store_->Height())) return;  // before the signature
            const Bytes msg = AttestationSignBytes(genesis_.chain_id, att);
            if (!crypto::Verify(peer_keys_[from], msg, att.signature)) return;
            AttestationBook::Outputs out;
            book->Add(att, store_->Height(), out);
            OnAttestationOutputs(out);
          },
          [&](const HelloMsg& h) {
            // A claim: it may start a sync request, nothing more (sync_tracker.h).
            SyncTracker::Outputs out;
            sync_->OnHello(from, h.height, LocalTip(), SteadyNowMs(), out);
            OnSyncOutputs(out, from);
          },
          // Digest batches (docs/spec/batches.md, node_batches.cpp): heard from the current
          // epoch's validators; a batch request from any peer (a full node fetches too).
          [&](const BatchMsg&) {},  // checked off the loop (OnFrame)
          [&](const BatchAckMsg& a) {
            if (const uint32_t v = ValidatorOfSlot(from); v != kNotValidator) OnBatchAck(v, a.ack);
          },
          [&](const BatchRequestMsg& q) { OnBatchRequest(from, q); },
          [&](const BatchResponseMsg& r) {
            if (const uint32_t v = ValidatorOfSlot(from); v != kNotValidator) OnBatchResponse(v, r);
          },
          [&](const ProofMsg& p) {
            if (const uint32_t v = ValidatorOfSlot(from); v != kNotValidator) OnProof(v, p.proof);
          },
      },
      m);
}

void Node::Impl::Handle(cs::Outputs& out) {
  for (const auto& s : out.sends) {
    // Our own proposal: remember its transactions for the proposals that will extend it.
    if (const auto* p = std::get_if<cs::ProposalMsg>(&s.message);
        p != nullptr && p->block.proposer == my_index_) {
      payload_.NoteOwnProposal(p->block);
    }
    const Bytes wire = EncodeWire(WireMessage(s.message));
    if (s.to == cs::kBroadcast) {
      transport_->Broadcast(wire);
    } else if (s.to < validator_keys_.size() && s.to != my_index_) {
      (void)transport_->Send(validator_keys_[s.to], wire);
    }
  }
  for (const auto& f : out.fetches) {
    const Bytes wire = EncodeWire(FetchRequestMsg{f.id, f.count});
    size_t asked = 0;
    for (uint32_t p : f.peers) {
      if (p == my_index_ || p >= validator_keys_.size()) continue;
      if (transport_->Send(validator_keys_[p], wire).ok() && ++asked == 2) break;
    }
    if (asked == 0) transport_->Broadcast(wire);
  }
  for (const auto& t : out.timers) ArmTimer(t);
  for (const auto& c : out.commits) CommitFromConsensus(c);
  // A committed block ended the epoch: this engine is done (its later blocks are void).
  if (epoch_switch_pending_) SwitchEpoch();
  for (const auto& e : out.evidence) RecordEvidence(e);
  if (engine_) mempool_.SetRound(engine_->current_round());
  UpdateStatus();
}

void Node::Impl::RecordEvidence(const cs::Evidence& e) {
  // The engine's evidence is of the epoch whose set it runs with: the current one.
  if (e.signer >= validator_keys_.size()) return;
  const int64_t now_ms = static_cast<int64_t>(clock_.NowMs());
  auto recorded = evidence_.Record(e, validator_keys_[e.signer], now_ms);
  if (!recorded.ok() && recorded.status().code() != StatusCode::kIoError) {
    spdlog::error("[consensus] evidence refused: {}", recorded.status().ToString());
    return;
  }
  if (!recorded.ok()) {
    spdlog::error("[consensus] evidence not persisted: {}", recorded.status().ToString());
  } else if (!*recorded) {
    return;  // recorded before
  }
  node_metrics_.evidence.Get(EvidenceKindLabel(e.kind)).Inc();
  const std::string& json = evidence_.recent().back();
  if (e.kind == cs::Evidence::Kind::kWrongLeader) {
    spdlog::warn(
        "[consensus] PROPOSAL OUT OF TURN by validator {} in round {}: block {}; "
        "evidence {}",
        e.signer, e.round, HexEncode(e.first), json);
    return;
  }
  spdlog::warn("[consensus] EQUIVOCATION by validator {} in round {}: {} vs {} ({}); evidence {}",
               e.signer, e.round, HexEncode(e.first), HexEncode(e.second),
               e.kind == cs::Evidence::Kind::kProposal ? "proposals" : "votes", json);
}

void Node::Impl::LogRoundTimeout(const cs::Engine::RoundView& v) {
  // Rare in a healthy network (one line per node per lost round), and what an operator needs
  // to tell which validator a stall waited for.
  std::string leader = v.leader ? "validator " + std::to_string(*v.leader) : "unknown";
  if (v.leader && *v.leader == my_index_) leader += " (this node)";
  const char* seen = v.proposed        ? "proposed by this node"
                     : v.proposal_seen ? "proposal received"
                                       : "no proposal received";
  spdlog::info(
      "[consensus] round {} timed out: leader {}, {}, {}; highest QC round {}, {} "
      "timeout votes so far",
      v.round, leader, seen, v.voted ? "voted" : "not voted", v.high_qc_round, v.timeout_votes);
}

void Node::Impl::ArmTimer(const cs::TimerRequest& t) {
  auto& timer = t.kind == cs::TimerKind::kRound ? round_timer_ : payload_timer_;
  const uint64_t now = clock_.NowMs();
  timer.expires_after(milliseconds(t.at_ms > now ? t.at_ms - now : 0));
  timer.async_wait([this, kind = t.kind, round = t.round](const boost::system::error_code& ec) {
    if (ec || !engine_) return;
    // A round timer that fires for the current round is a round timeout (a re-armed timer is
    // cancelled, and one for a past round changes nothing).
    if (kind == cs::TimerKind::kRound && round == engine_->current_round()) {
      node_metrics_.timeouts.Inc();
      LogRoundTimeout(engine_->DescribeRound());
    }
    cs::Outputs out;
    HaltOnStorageError(engine_->OnTimer(kind, round, out), "signing a timeout");
    Handle(out);
  });
}

std::optional<Bytes> Node::Impl::Pull(cs::Round round, uint64_t height) {
  // Our pending gossip goes out before the proposal (one ordered connection per peer), so
  // peers know its transactions as proposed ones, not as new ones to propose again.
  FlushGossip();
  // The branch this proposal extends: the highest QC's block down to the last committed one;
  // and what the engine committed that this node has not executed yet.
  if (!engine_) return payload_.Pull(round, {});
  PayloadBook::ChainView view;
  view.root_id = engine_->committed_root().id;
  view.root_height = engine_->committed_root().height;
  view.executed_height = store_->Height();
  view.height = height;
  view.block = [this](const cs::BlockId& id) -> std::optional<cs::Block> {
    auto blocks = engine_->GetBlocks(id, 1);
    if (blocks.empty()) return std::nullopt;
    return std::move(blocks.front());
  };
  std::optional<Bytes> payload =
      payload_.Pull(round, engine_->UncommittedBranch(engine_->high_qc().block_id()), view);
  if (payload && !own_batch_times_.empty() && IsBatchPayload(*payload)) {
    if (auto proofs = DecodeBatchPayload(*payload); proofs.ok()) {
      std::vector<Hash32> digests;
      digests.reserve(proofs->size());
      for (const auto& p : *proofs) digests.push_back(p.info.digest);
      NoteOwnBatchesProposed(digests);
    }
  }
  return payload;
}

void Node::Impl::PayloadMaybeReady() {
  if (!engine_) return;
  const std::optional<cs::Round> r = payload_.TakeReadyRound();
  if (!r) return;
  cs::Outputs out;
  HaltOnStorageError(engine_->OnPayloadReady(*r, out), "proposing");
  Handle(out);
}

// ---------------------------------------------------------------------------------------------
// Execution and attestation

void Node::Impl::CommitFromConsensus(const cs::CommittedBlock& cb) {
  // Above an epoch's last block, the old set's commits are void (docs/spec/consensus.md §13).
  if (epoch_switch_pending_ || cb.block.epoch != NextHeightEpoch()) return;
  const uint64_t h = store_->Height();
  if (cb.block.height <= h) {
    auto stored = store_->GetBlock(cb.block.height);
    if (stored.ok() && *stored && (*stored)->block_id != cb.block.id) {
      Halt("consensus committed block " + HexEncode(cb.block.id) + " at height " +
           std::to_string(cb.block.height) + " but the store holds " +
           HexEncode((*stored)->block_id));
    }
    return;
  }
  // A block waiting for its batches holds the later ones back, in order.
  const uint64_t next = waiting_commits_.empty() ? h + 1 : waiting_commits_.back().block.height + 1;
  if (cb.block.height < next) return;
  if (cb.block.height != next) {
    spdlog::warn("[node] commit of height {} while the store is at {}: syncing", cb.block.height,
                 h);
    SyncTracker::Outputs out;
    sync_->Poll(LocalTip(), SteadyNowMs(), out);
    OnSyncOutputs(out, kMaxPeerSlots);
    return;
  }
  waiting_commits_.push_back(cb);
  DrainCommits(/*may_switch_epoch=*/false);
}

StateAttestation Node::Impl::ApplyBlock(const cs::Block& block, const cs::QuorumCert& block_qc,
                                        const cs::QuorumCert& commit_qc,
                                        storage::Store::Durability durability,
                                        const BlockTxs* resolved) {
  std::vector<types::Tx> txs;
  bool keep_payload = true;  // a version-2 or a non-canonical payload is kept with the block
  if (resolved != nullptr) {
    txs = resolved->txs;
  } else {
    auto decoded = DecodePayload(block.payload);
    keep_payload = !decoded.has_value();
    if (decoded) {
      txs = std::move(*decoded);
    } else {
      spdlog::warn("[node] block {} at height {} has a non-canonical payload: executed empty",
                   Hex8(block.id), block.height);
    }
  }
  const ledger::BlockContext ctx{block.height, block.timestamp_ms, store_->StateRoot()};
  // Resolved transactions come from batches whose proofs verified: f+1 validators, one of them
  // honest, checked their signatures (batch_check.h).
  executing_proven_ = resolved != nullptr;
  const ledger::BlockResult result = executor_.ExecuteBlock(*store_, ctx, txs);
  executing_proven_ = false;

  storage::BlockRecord rec;
  rec.height = block.height;
  rec.block_id = block.id;
  rec.parent_id = block.parent_id;
  rec.time_ms = block.timestamp_ms;
  rec.header = EncodeStoredHeader(block, keep_payload);
  rec.certificate = EncodeCommitProof(block_qc, commit_qc);
  rec.txs = std::move(txs);
  // In the same write: the executed batches are marked and leave the disk, and so do the
  // expired ones (node/batch_log.h).
  const std::vector<BatchInfo> no_batches;
  batch_log_->AddToCommit(block.height, resolved != nullptr ? resolved->batches : no_batches, &rec);
  const laurel::Status st = store_->CommitBlock(rec, result, durability);
  if (!st.ok()) {
    // A disk that fails is not a state this node cannot vouch for: exit 74, not 70.
    HaltOnStorageError(
        st, "committing block " + Hex8(block.id) + " at height " + std::to_string(block.height));
    Halt("cannot commit block at height " + std::to_string(block.height) + ": " + st.ToString());
  }
  height_ = block.height;
  last_commit_at_ = std::chrono::steady_clock::now();
  node_metrics_.commits.Inc();
  if (auto pst = block_store_.Prune(block.height); !pst.ok()) {
    HaltOnStorageError(pst, "pruning saved blocks");
    spdlog::error("[node] cannot prune saved blocks: {}", pst.ToString());
  }
  // State tree versions beyond the kept window, every 64 heights (one larger batch is cheaper
  // than a small one per block).
  if (const uint64_t kept = config_.state_versions_kept;
      kept > 0 && block.height >= kept && block.height % 64 == 0) {
    if (auto pst = store_->PruneStateTree(block.height - kept + 1); !pst.ok()) {
      HaltOnStorageError(pst, "pruning the state tree");
      spdlog::error("[node] cannot prune the state tree: {}", pst.ToString());
    }
  }
  last_block_id_ = block.id;
  last_block_time_ms_ = block.timestamp_ms;
  // Batches: the executed ones (and skipped proofs) are done; expired ones dropped. This
  // node's own batches that expired unexecuted give their pending transactions to a new batch.
  if (resolved != nullptr) {
    for (const BatchInfo& info : resolved->batches) {
      batch_store_->OnExecuted(info.digest);
      proofs_.OnExecuted(info);
      fetcher_->Cancel(info.digest);
      NoteOwnBatchExecuted(info.digest);
      own_batches_.erase(info.digest);
    }
  }
  batch_store_->OnCommitted(block.height);
  proofs_.OnCommitted(block.height);
  PruneBatchedTxs();
  // Signatures verified with peers' batches: an executed transaction's mark went above; an
  // expired batch's marks go now.
  for (auto it = batch_sigs_.begin(); it != batch_sigs_.end();) {
    const bool executed = resolved != nullptr &&
                          std::any_of(resolved->batches.begin(), resolved->batches.end(),
                                      [&](const BatchInfo& i) { return i.digest == it->first; });
    if (!executed && it->second.first > block.height + 1) {
      ++it;
      continue;
    }
    if (!executed) {
      for (const Hash32& d : it->second.second) verified_.erase(d);
    }
    it = batch_sigs_.erase(it);
  }
  for (auto it = own_batches_.begin(); it != own_batches_.end();) {
    if (it->second.first > block.height + 1) {
      ++it;
      continue;
    }
    for (const Hash32& id : it->second.second) {
      if (const types::Tx* tx = mempool_.Find(id)) AddToBatch(types::EncodeTx(*tx));
    }
    own_batch_times_.erase(it->first);
    it = own_batches_.erase(it);
  }

  std::vector<Hash32> ids;
  ids.reserve(result.outcomes.size());
  for (size_t i = 0; i < result.outcomes.size(); ++i) {
    const auto& o = result.outcomes[i];
    // A pending transaction leaves the mempool when its id is spent, or when this very copy
    // (same signatures) was executed. A copy with other signatures (a forged one that failed
    // BAD_SIGNATURE, a Byzantine proposer's) must not take the genuine one out of the pool.
    const types::Tx* pending = mempool_.Find(o.tx_id);
    if (pending == nullptr || ledger::ConsumesTxId(o.code) ||
        pending->signatures == rec.txs[i].signatures) {
      ids.push_back(o.tx_id);
    }
    verified_.erase(SigDigest(rec.txs[i], o.tx_id));
  }
  for (const Hash32& id : mempool_.EvictExpired(block.height + 1)) ids.push_back(id);
  mempool_.Remove(ids);
  payload_.OnCommitted(block.height, ids);
  {
    std::lock_guard lock(pending_mu_);
    for (const auto& id : ids) pending_ids_.erase(id);
  }
  for (const auto& o : result.outcomes) {
    const Hash32& id = o.tx_id;
    auto w = waiters_.find(id);
    if (w == waiters_.end()) continue;
    auto loc = store_->GetTxLocation(id);
    // Spent, or executed in this block and refused without spending its id: either way the
    // waiter has its answer.
    if (!loc || (!ledger::ConsumesTxId(loc->code) && loc->height != block.height)) continue;
    for (auto& waiter : w->second) {
      if (waiter->fired) continue;
      waiter->fired = true;
      waiter->timer->cancel();
      waiter->done(loc);
    }
    waiters_.erase(w);
  }
  if (block.height % 100 == 0 || !result.outcomes.empty()) {
    spdlog::info("[node] committed height={} id={} txs={} round={} state_root={}", block.height,
                 Hex8(block.id), result.outcomes.size(), block.round, Hex8(result.state_root));
  }

  // The epoch's last block: the state names the next set, which the attestation names too
  // (the state certificate of this height is the epoch-change proof).
  const uint64_t epoch = epochs_.current().epoch;
  if (MaybeEndEpoch(block.height, block.id)) epoch_switch_pending_ = true;
  MaybeLiftRestoreFence(block, block_qc);

  StateAttestation a;
  a.epoch = epoch;
  a.height = block.height;
  a.block_id = block.id;
  a.state_root = result.state_root;
  a.tx_root = result.tx_root;
  a.time_ms = block.timestamp_ms;
  if (epoch_switch_pending_) a.next_validators = ValidatorSetHash(epochs_.current().validators);
  if (is_validator()) {
    a.signer = my_index_;
    a.signature = key_.Sign(AttestationSignBytes(genesis_.chain_id, a));
    transport_->Broadcast(EncodeWire(AttestationMsg{a}));
  }
  // A full node's own result is checked against the validators' certificate all the same.
  AttestationBook::Outputs certified;
  attestations_->AddOwn(a, store_->Height(), certified, is_validator());
  OnAttestationOutputs(certified);
  if (!epoch_switch_pending_) PayloadMaybeReady();
  return a;
}

void Node::Impl::AdoptSyncedCertificate(const StateCertificate& c, const StateAttestation& own) {
  const cs::ValidatorSet* set = SetOfEpoch(c.data.epoch);
  if (set == nullptr || c.data.height != own.height || c.data.epoch != own.epoch) return;
  // Not a certificate: ignored (the peer may be Byzantine).
  if (!VerifyStateCertificate(*set, genesis_.chain_id, c).ok()) return;
  const Bytes msg = AttestationSignBytes(genesis_.chain_id, c.data);
  StateAttestation mine = own;
  mine.signer = 0;
  mine.signature = {};
  if (AttestationSignBytes(genesis_.chain_id, mine) != msg) {
    Halt("state mismatch at height " + std::to_string(own.height) + ": 2f+1 validators of epoch " +
         std::to_string(c.data.epoch) + " certified state root " + HexEncode(c.data.state_root) +
         ", this node computed " + HexEncode(own.state_root));
  }
  if (const laurel::Status st = store_->PutStateCertificate(own.height, EncodeStateCertificate(c));
      !st.ok()) {
    // A disk that fails halts the node (74) before RocksDB is written to again.
    HaltOnStorageError(st, "storing the state certificate of height " + std::to_string(own.height));
    spdlog::error("[node] cannot store state certificate {}: {}", own.height, st.ToString());
  }
}

void Node::Impl::OnAttestationOutputs(AttestationBook::Outputs& out) {
  if (out.mismatch) Halt(*out.mismatch);
  for (const StateCertificate& c : out.certified) {
    const uint64_t height = c.data.height;
    const laurel::Status st = store_->PutStateCertificate(height, EncodeStateCertificate(c));
    if (!st.ok()) {
      // A disk that fails halts the node (74) before RocksDB is written to again.
      HaltOnStorageError(st, "storing the state certificate of height " + std::to_string(height));
      spdlog::error("[node] cannot store state certificate {}: {}", height, st.ToString());
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Admission and gossip

void Node::Impl::SubmitTx(types::Tx tx, std::function<void(AdmitResult)> done) {
  done = [this, done = std::move(done)](AdmitResult r) {
    CountAdmission(r);
    done(std::move(r));
  };
  AdmitResult r;
  r.tx_id = types::TxId(tx);
  const size_t wire_bytes = types::EncodeTx(tx).size();
  if (wire_bytes > types::kMaxTxBytes) {
    r.code = AdmitCode::kTooLarge;
    r.message = "transaction over " + std::to_string(types::kMaxTxBytes) + " bytes";
    return done(r);
  }
  if (disk_full_.load()) {
    r.code = AdmitCode::kNotReady;
    r.message = "the node's disk is full: it takes no transactions until space is freed";
    return done(r);
  }
  if (syncing_.load()) {
    r.code = AdmitCode::kNotReady;
    r.message = "the node is catching up with its peers";
    return done(r);
  }
  // Signatures and the state rules are checked on the caller's thread: the RPC server runs
  // submissions on its bounded work pool, off the I/O threads that answer gates. (Not on
  // verify_pool_: that would queue peers' gossip behind a client's flood, and gossip that
  // arrives after its proposal's in-flight window would be proposed again.)
  CheckAndAdmit(std::move(tx), std::move(r), wire_bytes, std::move(done));
}

void Node::Impl::CheckAndAdmit(types::Tx tx, AdmitResult r, size_t wire_bytes,
                               std::function<void(AdmitResult)> done) {
  // A resubmission of a committed transaction is answered as such before the state rules,
  // which it would now fail (its own effects are in the state: CREDENTIAL_EXISTS, ...).
  if (auto loc = store_->GetTxLocation(r.tx_id); loc && ledger::ConsumesTxId(loc->code)) {
    r.code = AdmitCode::kCommitted;
    r.message = "already committed at height " + std::to_string(loc->height);
    return done(r);
  }
  // Signatures are verified once per transaction per node; then the state rules (signer
  // authorised, issuer active, scope, ...): what cannot succeed is refused here and never
  // gossiped or proposed. Execution checks everything again.
  // One consistent view (see OnFrame): a commit between two reads must not mix two heights.
  const auto view = store_->Snapshot();
  const uint64_t next = view->Height() + 1;
  types::TxBody body;
  const ledger::TxCode code = checker_.CheckAdmission(*view, tx, next, &body);
  if (code != ledger::TxCode::kOk) {
    r.code = AdmitCode::kInvalid;
    r.tx_code = code;
    r.message = std::string("transaction rejected: ") + ledger::TxCodeName(code);
    return done(r);
  }
  if (body.expires_at_height > next + kMaxExpiryDistance) {
    r.code = AdmitCode::kExpiryTooFar;
    r.message = "expires_at_height " + std::to_string(body.expires_at_height) + " is more than " +
                std::to_string(kMaxExpiryDistance) + " blocks after the next height " +
                std::to_string(next);
    return done(r);
  }
  asio::post(loop_, [this, tx = std::move(tx), id = r.tx_id, wire_bytes,
                     expires = body.expires_at_height, done = std::move(done)]() mutable {
    AdmitLocal(std::move(tx), id, wire_bytes, expires, std::move(done));
  });
}

void Node::Impl::AdmitLocal(types::Tx tx, Hash32 tx_id, size_t wire_bytes,
                            uint64_t expires_at_height,
                            const std::function<void(AdmitResult)>& done) {
  AdmitResult r;
  r.tx_id = tx_id;
  if (auto loc = store_->GetTxLocation(tx_id); loc && ledger::ConsumesTxId(loc->code)) {
    r.code = AdmitCode::kCommitted;
    r.message = "already committed at height " + std::to_string(loc->height);
    return done(r);
  }
  if (config_.quorum_store && is_validator()) {
    // A client that sent it to another validator too (retrying after a timeout or a node that
    // stopped): pending there, in a batch with a proof of availability that a block will carry.
    // Batched here as well, it would be in the chain twice (the later copy as DUPLICATE_TX).
    if (auto author = ProvenBatchOf(tx_id)) {
      r.code = AdmitCode::kAlreadyKnown;
      r.message = "already pending in a batch of validator " + std::to_string(*author);
      return done(r);
    }
  }
  const Hash32 digest = SigDigest(tx, tx_id);
  Bytes wire = types::EncodeTx(tx);
  const Bytes first_signer = tx.signatures.front().public_key;
  switch (mempool_.Add(tx_id, std::move(tx), wire_bytes, expires_at_height)) {
    case Mempool::AddResult::kKnown:
      r.code = AdmitCode::kAlreadyKnown;
      r.message = "already pending";
      return done(r);
    case Mempool::AddResult::kFull:
      r.code = AdmitCode::kMempoolFull;
      r.message = "mempool full (" + std::to_string(mempool_.size()) + " transactions)";
      return done(r);
    case Mempool::AddResult::kSignerQuota:
      r.code = AdmitCode::kSignerQuota;
      r.message = "a signing key of this transaction already has its share of the mempool (" +
                  std::to_string(mempool_.limits().max_txs_per_signer) + " transactions, " +
                  std::to_string(mempool_.limits().max_bytes_per_signer) +
                  " bytes; this key holds " + std::to_string(mempool_.SignerCount(first_signer)) +
                  "); retry once some have committed";
      return done(r);
    case Mempool::AddResult::kAdded:
      break;
  }
  verified_.insert(digest);
  payload_.OnAdmitted(tx_id);
  {
    std::lock_guard lock(pending_mu_);
    pending_ids_.insert(tx_id);
  }
  if (config_.quorum_store && is_validator()) {
    // Quorum store: the transaction leaves this node once, in its next batch.
    AddToBatch(std::move(wire));
    r.code = AdmitCode::kAccepted;
    done(r);
    PayloadMaybeReady();
    return;
  }
  gossip_out_.push_back(std::move(wire));
  if (gossip_out_.size() >= 1000) {
    FlushGossip();
  } else if (!gossip_scheduled_) {
    gossip_scheduled_ = true;
    gossip_timer_.expires_after(milliseconds(5));
    gossip_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) FlushGossip();
    });
  }
  r.code = AdmitCode::kAccepted;
  done(r);
  PayloadMaybeReady();
}

void Node::Impl::FlushGossip() {
  gossip_scheduled_ = false;
  if (gossip_out_.empty()) return;
  TxBatchMsg batch;
  batch.txs = std::move(gossip_out_);
  gossip_out_.clear();
  transport_->Broadcast(EncodeWire(batch));
}

void Node::Impl::AdmitGossip(std::vector<GossipedTx> txs) {
  for (auto& g : txs) {
    const Hash32 id = types::TxId(g.tx);
    if (mempool_.Contains(id)) continue;
    if (auto loc = store_->GetTxLocation(id); loc && ledger::ConsumesTxId(loc->code)) continue;
    if (config_.quorum_store && is_validator() && ProvenBatchOf(id)) continue;
    const Hash32 digest = SigDigest(g.tx, id);
    if (mempool_.Add(id, std::move(g.tx), g.wire_bytes, g.expires_at_height) !=
        Mempool::AddResult::kAdded) {
      continue;
    }
    verified_.insert(digest);
    payload_.OnAdmitted(id);
    // Quorum store: gossip comes from full nodes (validators send batches); a validator puts
    // what it admitted into its batches.
    if (config_.quorum_store && is_validator()) {
      if (const types::Tx* tx = mempool_.Find(id)) AddToBatch(types::EncodeTx(*tx));
    }
    std::lock_guard lock(pending_mu_);
    pending_ids_.insert(id);
  }
  PayloadMaybeReady();
}

void Node::Impl::WaitForCommit(const Hash32& tx_id, milliseconds timeout,
                               std::function<void(std::optional<storage::TxLocation>)> done) {
  // The loop stands still on a full disk: answer from the store now rather than never.
  if (disk_full_.load()) {
    auto loc = store_->GetTxLocation(tx_id);
    return done(loc && ledger::ConsumesTxId(loc->code) ? loc : std::nullopt);
  }
  asio::post(loop_, [this, tx_id, timeout, done = std::move(done)]() mutable {
    if (auto loc = store_->GetTxLocation(tx_id); loc && ledger::ConsumesTxId(loc->code)) {
      return done(loc);
    }
    auto w = std::make_shared<Waiter>();
    w->done = std::move(done);
    w->timer = std::make_unique<asio::steady_timer>(loop_, timeout);
    w->timer->async_wait([this, w, tx_id](const boost::system::error_code& ec) {
      if (ec || w->fired) return;
      w->fired = true;
      auto it = waiters_.find(tx_id);
      if (it != waiters_.end()) {
        auto& v = it->second;
        v.erase(std::remove(v.begin(), v.end(), w), v.end());
        if (v.empty()) waiters_.erase(it);
      }
      w->done(std::nullopt);
    });
    waiters_[tx_id].push_back(std::move(w));
  });
}

void Node::Impl::ScheduleHello() {
  transport_->Broadcast(EncodeWire(HelloMsg{store_->Height()}));
  hello_timer_.expires_after(milliseconds(1000));
  hello_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) ScheduleHello();
  });
}

void Node::Impl::UpdateStatus() {
  NodeStatus s;
  s.chain_id = genesis_.chain_id;
  s.node_name = config_.name;
  s.public_key.assign(key_.public_key().begin(), key_.public_key().end());
  s.height = store_->Height();
  s.state_root = store_->StateRoot();
  s.round = engine_ ? engine_->current_round() : 0;
  s.epoch = epochs_.empty() ? 0 : epochs_.current().epoch;
  s.validator = is_validator();
  s.validators = static_cast<uint32_t>(validator_keys_.size());
  s.peers_connected = peers_connected_.load();
  s.syncing = syncing_.load();
  s.mempool_txs = mempool_.size();
  s.mempool_bytes = mempool_.bytes();
  s.certified_height = std::max(attestations_ ? attestations_->certified_height() : 0,
                                prev_attestations_ ? prev_attestations_->certified_height() : 0);
  s.last_block_id = last_block_id_;
  s.last_block_time_ms = last_block_time_ms_;
  node_metrics_.certified_height.Set(static_cast<double>(s.certified_height));
  node_metrics_.restore_fenced.Set(fence_ ? 1 : 0);
  if (struct statvfs fs{}; ::statvfs(config_.data_dir.c_str(), &fs) == 0) {
    node_metrics_.store_free_bytes.Set(static_cast<double>(fs.f_bavail) *
                                       static_cast<double>(fs.f_frsize));
  }
  ReadinessFacts f;
  f.syncing = s.syncing;
  f.height = s.height;
  f.sync_gap = kSyncGap;
  // "Behind" by proof only: a peer's claimed height cannot make this node unready.
  f.best_peer_height = std::max(s.height, sync_ ? sync_->proven_height() : 0);
  f.peers_heard = sync_ ? sync_->peers_heard() : 0;
  // A validator needs a quorum of its peers; a full node one peer to follow.
  f.peers_needed = !validators_     ? 0
                   : is_validator() ? static_cast<uint32_t>(validators_->quorum()) - 1
                                    : 1;
  // The local clock against the chain's: the block just committed carries its proposer's
  // clock, and a block reaches every node within a round, so a large difference is this clock.
  if (!f.syncing && last_commit_at_ &&
      std::chrono::steady_clock::now() - *last_commit_at_ < std::chrono::seconds(5)) {
    f.clock_offset_ms =
        static_cast<int64_t>(clock_.NowMs()) - static_cast<int64_t>(last_block_time_ms_);
    node_metrics_.clock_offset.Set(static_cast<double>(*f.clock_offset_ms) / 1000.0);
    const std::string problem = ClockOffsetProblem(f.clock_offset_ms);
    if (problem.empty() != clock_problem_logged_.empty()) {
      if (problem.empty()) {
        spdlog::info("[node] clock back within {} s of the chain's ({} ms) / 时钟已恢复正常",
                     kMaxClockOffsetMs / 1000, *f.clock_offset_ms);
      } else {
        spdlog::warn("[node] {}", problem);
      }
      clock_problem_logged_ = problem;
    }
  }
  std::lock_guard lock(status_mu_);
  status_ = std::move(s);
  readiness_facts_ = f;
  status_last_commit_at_ = last_commit_at_;
}

}  // namespace laurel::node

#include "consensus/engine.h"

#include <algorithm>
#include <deque>

namespace laurel::consensus {

RecoveryData GenesisRecovery(const Block& genesis) {
  const QuorumCert qc = GenesisQc(genesis);
  return RecoveryData{genesis, qc, qc, {}};
}

bool VerifyEvidence(const Evidence& e, const PublicKey& key) {
  auto proposal_ok = [&](const BlockId& id, const Signature& sig) {
    return crypto::VerifyWithDomain(key, kProposalDomain, ProposalSignBytes(e.epoch, e.round, id),
                                    sig);
  };
  switch (e.kind) {
    case Evidence::Kind::kWrongLeader:
      return proposal_ok(e.first, e.first_sig);
    case Evidence::Kind::kProposal:
      return e.first != e.second && proposal_ok(e.first, e.first_sig) &&
             proposal_ok(e.second, e.second_sig);
    case Evidence::Kind::kVote:
      return e.first != e.second && e.first_vote.block_id == e.first &&
             e.second_vote.block_id == e.second && e.first_vote.round == e.round &&
             e.second_vote.round == e.round && e.first_vote.epoch == e.epoch &&
             e.second_vote.epoch == e.epoch &&
             crypto::VerifyWithDomain(key, kVoteDomain, VoteSignBytes(e.first_vote),
                                      e.first_sig) &&
             crypto::VerifyWithDomain(key, kVoteDomain, VoteSignBytes(e.second_vote),
                                      e.second_sig);
  }
  return false;
}

Engine::Engine(const EngineConfig& config, const ValidatorSet& validators,
               const crypto::PrivateKey& key, SafetyStore& store, BlockStore& blocks,
               const Clock& clock, PayloadSource& payload, RecoveryData recovery, TestHooks hooks)
    : config_(config),
      validators_(validators),
      key_(key),
      clock_(clock),
      payload_(payload),
      block_store_(blocks),
      recovered_blocks_(std::move(recovery.blocks)),
      hooks_(hooks),
      safety_(key, config.my_index, validators.epoch(), validators.genesis_id(), store, hooks),
      tree_(std::move(recovery.root)),
      high_qc_(recovery.root_qc),
      high_commit_qc_(recovery.commit_qc),
      root_qc_(std::move(recovery.root_qc)) {
}

Status Engine::Start(Outputs& out) {
  Block genesis;
  genesis.epoch = validators_.epoch();
  genesis.id = validators_.genesis_id();
  LAUREL_RETURN_IF_ERROR(safety_.Load(GenesisQc(genesis)));
  // Re-insert saved uncommitted blocks, parents first (they were verified when first seen).
  std::sort(recovered_blocks_.begin(), recovered_blocks_.end(),
            [](const Block& a, const Block& b) { return a.height < b.height; });
  for (const Block& b : recovered_blocks_) {
    const Block* parent = tree_.Get(b.parent_id);
    // A saved block of an earlier epoch (above that epoch's last block) is void.
    if (parent != nullptr && b.epoch == validators_.epoch() && !tree_.Contains(b.id) &&
        CheckExtends(b, *parent).ok() &&
        validators_.LeadsRound(b, *parent)) {
      tree_.Insert(b);
      InsertQc(b.qc, config_.my_index, out);
    }
  }
  recovered_blocks_.clear();
  // The record's QC may be above what the recovery data knows (blocks are not persisted).
  InsertQc(safety_.record().one_chain_qc, config_.my_index, out);
  if (const auto& tc = safety_.record().last_tc) {
    // A record written before the timeout sign-bytes covered the genesis id holds a TC that no
    // longer verifies. It is this node's own (verified when it was stored), so the node still
    // resumes in the round it justifies, but it is never sent: peers would refuse every message
    // carrying it. The next TC this node learns replaces it.
    InsertTc(*tc, out);
    high_tc_unverified_ = !validators_.VerifyTc(*tc).ok();
  }
  TryCommit(out);
  return SyncRound(out);
}

SyncInfo Engine::CurrentSyncInfo() const {
  if (high_tc_unverified_) return SyncInfo{high_qc_, high_commit_qc_, std::nullopt};
  return SyncInfo{high_qc_, high_commit_qc_, high_tc_};
}

const TimeoutCert* Engine::TcForRound(Round round) const {
  if (high_tc_ && high_tc_->round + 1 == round) return &*high_tc_;
  return nullptr;
}

// ---- Inputs ----

Status Engine::OnMessage(uint32_t from, const Message& msg, Outputs& out) {
  LAUREL_RETURN_IF_ERROR(safety_.FlushDeferred());
  if (const auto* p = std::get_if<ProposalMsg>(&msg)) return ProcessProposal(from, *p, out);
  if (const auto* v = std::get_if<VoteMsg>(&msg)) return ProcessVote(from, *v, out);
  if (const auto* t = std::get_if<TimeoutMsg>(&msg)) return ProcessTimeout(from, *t, out);
  const auto& s = std::get<SyncMsg>(msg);
  LAUREL_RETURN_IF_ERROR(ProcessSyncInfo(from, s.sync, out));
  return SyncRound(out);
}

Status Engine::OnTimer(TimerKind kind, Round round, Outputs& out) {
  LAUREL_RETURN_IF_ERROR(safety_.FlushDeferred());
  if (round != current_round_) return Status::Ok();  // stale timer
  if (kind == TimerKind::kPayload) {
    payload_deadline_round_ = round;
    return TryPropose(out);
  }
  return LocalTimeout(out);
}

Status Engine::OnPayloadReady(Round round, Outputs& out) {
  LAUREL_RETURN_IF_ERROR(safety_.FlushDeferred());
  if (round != current_round_) return Status::Ok();
  return TryPropose(out);
}

Status Engine::OnFetchedBlocks(const std::vector<Block>& blocks, Outputs& out) {
  LAUREL_RETURN_IF_ERROR(safety_.FlushDeferred());
  Status first_error;
  const Block* lowest_orphan = nullptr;
  // A reply lists a block and then its ancestors: taken lowest first, each parent is in the
  // tree before its child's QC is looked at, so nothing in the batch is fetched again.
  std::vector<const Block*> ordered;
  ordered.reserve(blocks.size());
  for (const Block& b : blocks) ordered.push_back(&b);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const Block* x, const Block* y) { return x->height < y->height; });
  for (const Block* bp : ordered) {
    const Block& b = *bp;
    requested_.erase(b.id);
    if (tree_.Contains(b.id) || orphan_ids_.count(b.id) != 0 || b.height <= tree_.root().height) {
      continue;
    }
    Status st = validators_.VerifyBlock(b);
    if (!st.ok()) {
      if (first_error.ok()) first_error = st;
      continue;
    }
    // The block's QC certifies its parent: fetched below (lowest orphan first, within the
    // gap), not here, or a node far behind would walk the whole chain back block by block.
    InsertQc(b.qc, config_.my_index, out, /*fetch_missing=*/false);
    if (tree_.Contains(b.parent_id)) {
      LAUREL_RETURN_IF_ERROR(InsertBlocks(b, out));
    } else {
      AddOrphan(b);
      if (lowest_orphan == nullptr || b.height < lowest_orphan->height) lowest_orphan = &b;
    }
  }
  // Ancestors are fetched batch after batch down to the tree, unless the gap is over
  // max_fetch_gap blocks: then the host's block sync (committed blocks with their proofs, in
  // order) is the cheaper way back, and peers are not asked for long chains they must rebuild.
  const bool gap_ok = config_.max_fetch_gap == 0 || lowest_orphan == nullptr ||
                      lowest_orphan->height <= tree_.root().height + config_.max_fetch_gap;
  if (lowest_orphan != nullptr && gap_ok && !tree_.Contains(lowest_orphan->parent_id) &&
      lowest_orphan->height > tree_.root().height + 1) {
    std::vector<uint32_t> peers;
    for (const auto& [signer, sig] : lowest_orphan->qc.signatures) peers.push_back(signer);
    Fetch(lowest_orphan->parent_id, std::move(peers), out);
  }
  TryCommit(out);
  LAUREL_RETURN_IF_ERROR(SyncRound(out));
  LAUREL_RETURN_IF_ERROR(TryPropose(out));
  return first_error;
}

Engine::RoundView Engine::DescribeRound() const {
  RoundView v;
  v.round = current_round_;
  if (const Block* parent = tree_.Get(high_qc_.block_id())) {
    v.leader = validators_.Leader(current_round_, parent);
  }
  v.proposed = proposed_round_ >= current_round_;
  const auto seen = proposals_seen_.lower_bound({current_round_, 0});
  v.proposal_seen = seen != proposals_seen_.end() && seen->first.first == current_round_;
  const auto& last_vote = safety_.record().last_vote;
  v.voted = last_vote.has_value() && last_vote->data.round == current_round_;
  v.high_qc_round = high_qc_.round();
  if (auto t = timeouts_.find(current_round_); t != timeouts_.end()) {
    v.timeout_votes = t->second.size();
  }
  return v;
}

std::vector<BlockId> Engine::UncommittedBranch(const BlockId& id) const {
  std::vector<BlockId> res;
  const Block* b = tree_.Get(id);
  while (b != nullptr && b->id != tree_.root().id) {
    res.push_back(b->id);
    b = tree_.Get(b->parent_id);
  }
  return res;
}

std::vector<Block> Engine::GetBlocks(const BlockId& id, uint32_t count) const {
  std::vector<Block> res;
  const Block* b = tree_.Get(id);
  while (b != nullptr && res.size() < count) {
    res.push_back(*b);
    if (b->id == tree_.root().id) break;
    b = tree_.Get(b->parent_id);
  }
  return res;
}

// ---- Certificates and rounds ----

bool Engine::QcUseful(const QuorumCert& qc) const {
  if (qc.round() > high_qc_.round()) return true;
  const bool commit_qc = !qc.signatures.empty() && (qc.data.parent_round + 1 == qc.data.round ||
                                                    hooks_.break_commit_consecutive);
  return commit_qc && qc.data.parent_round > high_commit_qc_.data.parent_round;
}

void Engine::InsertQc(const QuorumCert& qc, uint32_t from, Outputs& out, bool fetch_missing) {
  const bool commit_qc = !qc.signatures.empty() && (qc.data.parent_round + 1 == qc.data.round ||
                                                    hooks_.break_commit_consecutive);
  if (commit_qc && qc.data.parent_round > high_commit_qc_.data.parent_round) {
    high_commit_qc_ = qc;
  }
  if (qc.round() > high_qc_.round()) high_qc_ = qc;
  if (fetch_missing && qc.round() > tree_.root().round && !tree_.Contains(qc.block_id()) &&
      orphan_ids_.count(qc.block_id()) == 0) {
    std::vector<uint32_t> peers;
    for (const auto& [signer, sig] : qc.signatures) peers.push_back(signer);
    if (from != config_.my_index) peers.push_back(from);
    Fetch(qc.block_id(), std::move(peers), out);
  }
}

void Engine::InsertTc(const TimeoutCert& tc, Outputs& out) {
  if (!high_tc_ || tc.round > high_tc_->round) {
    high_tc_ = tc;
    high_tc_unverified_ = false;
  }
  InsertQc(tc.high_qc, config_.my_index, out);
}

Status Engine::ProcessSyncInfo(uint32_t from, const SyncInfo& s, Outputs& out) {
  if (QcUseful(s.highest_commit_qc)) {
    LAUREL_RETURN_IF_ERROR(validators_.VerifyQc(s.highest_commit_qc));
    InsertQc(s.highest_commit_qc, from, out);
  }
  if (QcUseful(s.highest_qc)) {
    LAUREL_RETURN_IF_ERROR(validators_.VerifyQc(s.highest_qc));
    InsertQc(s.highest_qc, from, out);
  }
  if (s.highest_tc && (!high_tc_ || s.highest_tc->round > high_tc_->round)) {
    LAUREL_RETURN_IF_ERROR(validators_.VerifyTc(*s.highest_tc));
    InsertTc(*s.highest_tc, out);
  }
  TryCommit(out);
  SendSyncIfBehind(from, s, out);
  return Status::Ok();
}

void Engine::SendSyncIfBehind(uint32_t from, const SyncInfo& theirs, Outputs& out) {
  if (from == config_.my_index || from >= validators_.size()) return;
  const Round their_round =
      std::max(theirs.highest_qc.round(), theirs.highest_tc ? theirs.highest_tc->round : 0) + 1;
  if (their_round >= current_round_) return;
  auto& sent = sync_sent_[from];
  if (sent >= current_round_) return;  // once per peer per round
  sent = current_round_;
  out.sends.push_back({from, SyncMsg{CurrentSyncInfo()}});
}

Status Engine::SyncRound(Outputs& out) {
  Round r = high_qc_.round() + 1;
  if (high_tc_) r = std::max(r, high_tc_->round + 1);
  // Entered through a timeout certificate: no QC of the round before.
  const bool by_tc = high_tc_ && high_tc_->round + 1 == r && high_qc_.round() + 1 < r;
  return AdvanceRound(r, by_tc, out);
}

Status Engine::AdvanceRound(Round round, bool by_tc, Outputs& out) {
  if (round <= current_round_) return Status::Ok();
  current_round_ = round;
  tc_streak_ = by_tc ? tc_streak_ + 1 : 0;
  // A node that follows the rounds through QCs never times out: it asks again now and then
  // for what it still misses (a fetch reply lost across a partition must not strand it).
  if (round % kRefetchEveryRounds == 0) {
    requested_.clear();
    RefetchMissing(out);
  }
  timed_out_current_ = false;
  ScheduleRoundTimer(out);
  // Votes and timeouts below the previous round can no longer form anything we need.
  votes_.erase(votes_.begin(), votes_.lower_bound(round > 1 ? round - 1 : 0));
  timeouts_.erase(timeouts_.begin(), timeouts_.lower_bound(round));
  return TryPropose(out);
}

void Engine::ScheduleRoundTimer(Outputs& out) {
  // The base for a round entered through a QC and for the first f+1 rounds in a row entered
  // through a TC (as many as f stopped validators can fail in a row after a timeout: the round
  // whose votes go to one of them, then their own rounds); doubled for each further one
  // (docs/spec/consensus.md §4).
  const uint64_t free_rounds = validators_.max_faulty() + 1;
  const uint64_t exp =
      tc_streak_ > free_rounds ? std::min<uint64_t>(tc_streak_ - free_rounds, 16) : 0;
  const uint64_t ms = std::min(config_.round_timeout_base_ms << exp, config_.round_timeout_max_ms);
  out.timers.push_back({TimerKind::kRound, current_round_, clock_.NowMs() + ms});
}

Status Engine::LocalTimeout(Outputs& out) {
  requested_.clear();  // let fetches that went unanswered be asked again ...
  RefetchMissing(out);  // ... and ask them now: a lost reply must not strand an orphan chain
  ScheduleRoundTimer(out);
  auto t = safety_.SignTimeout(current_round_, high_qc_, TcForRound(current_round_));
  if (!t.ok()) {
    if (t.status().code() == StatusCode::kIoError) return t.status();
    // Not allowed to time out (e.g. restarted below our own record): share what we know.
    out.sends.push_back({kBroadcast, SyncMsg{CurrentSyncInfo()}});
    return Status::Ok();
  }
  timed_out_current_ = true;
  out.sends.push_back({kBroadcast, TimeoutMsg{*t, CurrentSyncInfo()}});
  return AddTimeout(*t, out);
}

// ---- Messages ----

Status Engine::ProcessProposal(uint32_t from, const ProposalMsg& m, Outputs& out) {
  LAUREL_RETURN_IF_ERROR(ProcessSyncInfo(from, m.sync, out));
  const Block& b = m.block;
  if (b.height <= tree_.root().height) return SyncRound(out);
  if (tree_.Contains(b.id)) {
    LAUREL_RETURN_IF_ERROR(SyncRound(out));
    return MaybeVote(*tree_.Get(b.id), out);
  }
  // A proposer already proven to equivocate in this round (two verified blocks) gets no more
  // signature checks there: a stream of variants costs a map lookup each, not a verification.
  if (auto seen = proposals_seen_.find({b.round, b.proposer});
      seen != proposals_seen_.end() && seen->second.equivocated && b.id != seen->second.id &&
      b.id != seen->second.second_id) {
    return Status::InvalidArgument("another proposal by validator " + std::to_string(b.proposer) +
                                   " in round " + std::to_string(b.round) +
                                   ", which already equivocated there: dropped unverified");
  }
  LAUREL_RETURN_IF_ERROR(validators_.VerifyBlock(b));
  const bool first_of_round = NoteProposal(b, out);
  InsertQc(b.qc, from, out);
  TryCommit(out);
  LAUREL_RETURN_IF_ERROR(SyncRound(out));
  const bool our_vote = safety_.record().last_vote &&
                        safety_.record().last_vote->data.block_id == b.id;
  if (!first_of_round && !our_vote) {
    // An honest leader sends one block per round; an equivocating one's pair is evidence, and
    // both are kept (either may be certified). Beyond that a variant is not a block to save
    // (each save is a synced write): a leader streaming variants must not stall this loop.
    // Should one gain a QC, the QC names it and it is fetched like any block. (The block this
    // node voted for is always let through, so its stored vote can be re-sent.)
    return Status::InvalidArgument("another proposal by validator " +
                                    std::to_string(b.proposer) + " in round " +
                                    std::to_string(b.round) + ": kept as evidence only");
  }
  if (!tree_.Contains(b.parent_id)) {
    AddOrphan(b);
    return Status::Ok();  // InsertQc asked for the parent
  }
  LAUREL_RETURN_IF_ERROR(InsertBlocks(b, out));
  TryCommit(out);
  return TryPropose(out);
}

bool Engine::NoteProposal(const Block& b, Outputs& out) {
  auto [it, fresh] = proposals_seen_.emplace(std::make_pair(b.round, b.proposer),
                                             ProposalSeen{b.id, {}, false, b.signature});
  if (fresh || it->second.id == b.id) return true;
  if (!it->second.equivocated) {  // one piece of evidence per leader and round is enough
    it->second.equivocated = true;
    it->second.second_id = b.id;
    Evidence e{Evidence::Kind::kProposal, b.proposer, b.round, it->second.id, b.id};
    e.epoch = b.epoch;
    e.first_sig = it->second.sig;
    e.second_sig = b.signature;
    out.evidence.push_back(e);
    return true;
  }
  return it->second.second_id == b.id;
}

Status Engine::ProcessVote(uint32_t from, const VoteMsg& m, Outputs& out) {
  LAUREL_RETURN_IF_ERROR(ProcessSyncInfo(from, m.sync, out));
  LAUREL_RETURN_IF_ERROR(validators_.VerifyVote(m.vote));
  LAUREL_RETURN_IF_ERROR(AddVote(m.vote, out));
  return SyncRound(out);
}

Status Engine::ProcessTimeout(uint32_t from, const TimeoutMsg& m, Outputs& out) {
  LAUREL_RETURN_IF_ERROR(ProcessSyncInfo(from, m.sync, out));
  LAUREL_RETURN_IF_ERROR(validators_.VerifyTimeout(m.timeout));
  InsertQc(m.timeout.high_qc, from, out);
  TryCommit(out);
  LAUREL_RETURN_IF_ERROR(SyncRound(out));
  return AddTimeout(m.timeout, out);
}

Status Engine::AddVote(const Vote& v, Outputs& out) {
  const Round r = v.data.round;
  // Memory is bounded per signer: nothing is kept for rounds beyond the window ahead of ours,
  // and at most two blocks per signer and round are counted (an equivocating signer's pair is
  // evidence, reported once; a third block and beyond are dropped).
  if (r > current_round_ + kFutureRounds) return Status::Ok();
  auto [it, fresh] = votes_seen_.emplace(std::make_pair(r, v.signer),
                                         VoteSeen{v.data.block_id, {}, false, v.data, v.signature});
  if (!fresh && it->second.id != v.data.block_id) {
    if (!it->second.equivocated) {
      it->second.equivocated = true;
      it->second.second_id = v.data.block_id;
      Evidence e{Evidence::Kind::kVote, v.signer, r, it->second.id, v.data.block_id};
      e.epoch = v.data.epoch;
      e.first_sig = it->second.sig;
      e.second_sig = v.signature;
      e.first_vote = it->second.data;
      e.second_vote = v.data;
      out.evidence.push_back(e);
    } else if (it->second.second_id != v.data.block_id) {
      return Status::Ok();
    }
  }
  if (r <= high_qc_.round() || r + 1 < current_round_) return Status::Ok();
  VoteAggregate& agg = votes_[r][VoteSignBytes(v.data)];
  agg.data = v.data;
  agg.sigs.emplace(v.signer, v.signature);
  if (agg.sigs.size() < validators_.quorum()) return Status::Ok();
  QuorumCert qc{agg.data, {agg.sigs.begin(), agg.sigs.end()}};
  InsertQc(qc, config_.my_index, out);
  TryCommit(out);
  return SyncRound(out);
}

Status Engine::AddTimeout(const TimeoutVote& t, Outputs& out) {
  if (t.round < current_round_ || t.round > current_round_ + kFutureRounds) return Status::Ok();
  auto& m = timeouts_[t.round];
  m.emplace(t.signer, t);
  if (m.size() >= validators_.quorum() && (!high_tc_ || high_tc_->round < t.round)) {
    TimeoutCert tc;
    tc.epoch = t.epoch;
    tc.round = t.round;
    for (const auto& [signer, tv] : m) {
      tc.entries.push_back({signer, tv.high_qc.round(), tv.signature});
      if (tc.entries.size() == 1 || tv.high_qc.round() > tc.high_qc.round()) {
        tc.high_qc = tv.high_qc;
      }
    }
    InsertTc(tc, out);
    TryCommit(out);
    return SyncRound(out);
  }
  // f+1 timeouts for our round mean at least one honest node gave up on it: join them.
  if (t.round == current_round_ && !timed_out_current_ && m.size() > validators_.max_faulty()) {
    return LocalTimeout(out);
  }
  return Status::Ok();
}

Status Engine::RouteVote(const Vote& v, const Block& b, Outputs& out) {
  // Were b certified in its round, the next round's leader would be elected with b as prev.
  const uint32_t next = validators_.Leader(v.data.round + 1, &b);
  if (next == config_.my_index) return AddVote(v, out);
  out.sends.push_back({next, VoteMsg{v, CurrentSyncInfo()}});
  return Status::Ok();
}

Status Engine::MaybeVote(const Block& b, Outputs& out) {
  if (b.round != current_round_) return Status::Ok();
  // A leader cannot push block time ahead or hold it back: no vote for a block stamped more
  // than kMaxBlockTimeAheadMs after, or kMaxBlockTimeBehindMs before, this node's clock
  // (docs/spec/consensus.md, "Block time"). A block others certified is still inserted and
  // committed: the bound is on voting only, so a node with a wrong clock follows the chain.
  if (!BlockTimeVotable(b.timestamp_ms, clock_.NowMs())) return Status::Ok();
  auto v = safety_.VoteOn(b, TcForRound(b.round));
  if (!v.ok()) {
    if (v.status().code() == StatusCode::kIoError) return v.status();
    return Status::Ok();  // a safety rule forbids this vote
  }
  return RouteVote(*v, b, out);
}

Status Engine::TryPropose(Outputs& out) {
  const Round r = current_round_;
  if (proposed_round_ >= r) return Status::Ok();
  if (!hooks_.break_last_voted_round && r <= safety_.record().last_voted_round) {
    return Status::Ok();  // we already voted or timed out in r
  }
  const Block* parent = tree_.Get(high_qc_.block_id());
  if (parent == nullptr) return Status::Ok();  // fetching; retried when blocks arrive
  if (validators_.Leader(r, parent) != config_.my_index) return Status::Ok();
  Bytes payload;
  if (payload_deadline_round_ != r) {
    std::optional<Bytes> p = payload_.Pull(r, parent->height + 1);
    if (!p) {
      if (payload_timer_round_ != r) {
        payload_timer_round_ = r;
        out.timers.push_back({TimerKind::kPayload, r, clock_.NowMs() + config_.payload_wait_ms});
      }
      return Status::Ok();
    }
    payload = std::move(*p);
  }
  Block b;
  b.epoch = validators_.epoch();
  b.round = r;
  b.height = parent->height + 1;
  b.parent_id = parent->id;
  b.qc = high_qc_;
  b.payload = std::move(payload);
  b.timestamp_ms = std::max(clock_.NowMs(), parent->timestamp_ms);
  b.proposer = config_.my_index;
  SignBlock(b, key_);
  proposed_round_ = r;
  // The leader's own vote is persisted before its proposal leaves.
  auto v = safety_.VoteOn(b, TcForRound(r));
  if (!v.ok()) {
    if (v.status().code() == StatusCode::kIoError) return v.status();
    return Status::Ok();
  }
  NoteProposal(b, out);
  LAUREL_RETURN_IF_ERROR(block_store_.Save(b));
  out.sends.push_back({kBroadcast, ProposalMsg{b, CurrentSyncInfo()}});
  tree_.Insert(b);
  return RouteVote(*v, b, out);
}

// ---- Blocks ----

Status Engine::CheckExtends(const Block& b, const Block& parent) const {
  if (b.height != parent.height + 1) return Status::InvalidArgument("height is not parent + 1");
  if (b.round <= parent.round) return Status::InvalidArgument("round not above parent round");
  if (b.qc.round() != parent.round) return Status::InvalidArgument("QC round is not parent's");
  if (b.qc.data.parent_id != parent.parent_id && parent.round > 0) {
    return Status::InvalidArgument("QC parent does not match the parent's parent");
  }
  if (b.timestamp_ms < parent.timestamp_ms) return Status::InvalidArgument("time goes back");
  return Status::Ok();
}

Status Engine::InsertBlocks(Block first, Outputs& out) {
  Status result;
  std::deque<Block> queue;
  queue.push_back(std::move(first));
  std::vector<BlockId> inserted;
  while (!queue.empty()) {
    Block b = std::move(queue.front());
    queue.pop_front();
    if (tree_.Contains(b.id)) continue;
    const Block* parent = tree_.Get(b.parent_id);
    if (parent == nullptr) continue;
    Status st = CheckExtends(b, *parent);
    if (!st.ok()) {
      if (result.ok()) result = st;
      continue;
    }
    // Canary (h) elects with this node's own round instead of the block's: nodes in different
    // rounds (one catching up, one on time) then disagree on who led the block's round.
    const Round round = hooks_.break_leader_determinism ? current_round_ : b.round;
    if (b.proposer != validators_.Leader(round, parent)) {
      // A signed block from a validator that does not lead its round: no honest node sends
      // one (the election is a function of the block's parent), so it is evidence.
      Evidence e{Evidence::Kind::kWrongLeader, b.proposer, b.round, b.id, {}};
      e.epoch = b.epoch;
      e.first_sig = b.signature;
      out.evidence.push_back(e);
      if (result.ok()) result = Status::InvalidArgument("proposer does not lead round");
      continue;
    }
    const BlockId id = b.id;
    LAUREL_RETURN_IF_ERROR(block_store_.Save(b));
    tree_.Insert(std::move(b));
    requested_.erase(id);
    inserted.push_back(id);
    auto it = orphans_.find(id);
    if (it != orphans_.end()) {
      for (Block& c : it->second) {
        orphan_ids_.erase(c.id);
        queue.push_back(std::move(c));
      }
      orphans_.erase(it);
    }
  }
  for (const BlockId& id : inserted) {
    const Block* b = tree_.Get(id);
    if (b != nullptr) LAUREL_RETURN_IF_ERROR(MaybeVote(*b, out));
  }
  return result;
}

void Engine::RefetchMissing(Outputs& out) {
  auto missing = [&](const BlockId& id) {
    return !tree_.Contains(id) && orphan_ids_.count(id) == 0;
  };
  auto signers = [](const QuorumCert& qc) {
    std::vector<uint32_t> peers;
    for (const auto& [signer, sig] : qc.signatures) peers.push_back(signer);
    return peers;
  };
  if (high_qc_.round() > tree_.root().round && missing(high_qc_.block_id())) {
    Fetch(high_qc_.block_id(), signers(high_qc_), out);
  }
  if (!high_commit_qc_.signatures.empty() && high_commit_qc_.round() > tree_.root().round &&
      missing(high_commit_qc_.block_id())) {
    Fetch(high_commit_qc_.block_id(), signers(high_commit_qc_), out);
  }
  // The missing parents of waiting blocks, lowest first (the one that connects to the tree),
  // a few per timeout.
  std::vector<std::pair<uint64_t, const Block*>> roots;
  for (const auto& [parent_id, children] : orphans_) {
    if (children.empty() || !missing(parent_id)) continue;
    roots.emplace_back(children.front().height, &children.front());
  }
  std::sort(roots.begin(), roots.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t k = 0; k < roots.size() && k < kRefetchPerTimeout; ++k) {
    const Block& child = *roots[k].second;
    if (child.height <= tree_.root().height + 1) continue;
    if (config_.max_fetch_gap != 0 && child.height > tree_.root().height + config_.max_fetch_gap) {
      continue;  // left to the host's block sync
    }
    Fetch(child.parent_id, signers(child.qc), out);
  }
}

void Engine::AddOrphan(const Block& b) {
  // Blocks waiting for a parent are bounded; a flood of unconnectable blocks is dropped.
  if (orphan_ids_.size() >= kMaxOrphans) {
    orphans_.clear();
    orphan_ids_.clear();
  }
  if (!orphan_ids_.insert(b.id).second) return;
  orphans_[b.parent_id].push_back(b);
}

void Engine::Fetch(const BlockId& id, std::vector<uint32_t> peers, Outputs& out) {
  if (!requested_.insert(id).second) return;
  std::sort(peers.begin(), peers.end());
  peers.erase(std::unique(peers.begin(), peers.end()), peers.end());
  peers.erase(std::remove(peers.begin(), peers.end(), config_.my_index), peers.end());
  if (peers.empty()) {
    for (uint32_t i = 0; i < validators_.size(); ++i) {
      if (i != config_.my_index) peers.push_back(i);
    }
  }
  out.fetches.push_back({id, config_.fetch_batch, std::move(peers)});
}

void Engine::TryCommit(Outputs& out) {
  const QuorumCert& cq = high_commit_qc_;
  if (cq.signatures.empty() || cq.data.parent_round <= tree_.root().round) return;
  const Block* b1 = tree_.Get(cq.block_id());
  if (b1 == nullptr) {
    // Held as an orphan: it connects once its ancestors arrive (fetched within the gap, or
    // by the host's block sync); asking for it again would only bring the same blocks back.
    if (orphan_ids_.count(cq.block_id()) != 0) return;
    std::vector<uint32_t> peers;
    for (const auto& [signer, sig] : cq.signatures) peers.push_back(signer);
    Fetch(cq.block_id(), std::move(peers), out);
    return;
  }
  // b1 is in the tree, so its parent b0 descends from the root. (The checks below fail only
  // for a QC whose signed parent differs from the block's, which needs 2f+1 faulty keys.)
  if (b1->parent_id != cq.data.parent_id) return;
  auto path = tree_.PathFromRoot(b1->parent_id);
  if (!path.has_value() || path->empty()) return;
  const QuorumCert commit_qc = cq;
  const QuorumCert b0_qc = b1->qc;
  for (size_t i = 0; i < path->size(); ++i) {
    const QuorumCert& block_qc = i + 1 < path->size() ? (*path)[i + 1]->qc : b0_qc;
    out.commits.push_back({*(*path)[i], block_qc, commit_qc});
  }
  const Block& b0 = *path->back();
  const uint64_t root_height = b0.height;
  const Round root_round = b0.round;
  root_qc_ = b0_qc;
  tree_.PruneTo(commit_qc.data.parent_id);
  for (auto it = orphans_.begin(); it != orphans_.end();) {
    auto& v = it->second;
    v.erase(std::remove_if(v.begin(), v.end(),
                           [&](const Block& b) {
                             if (b.height > root_height) return false;
                             orphan_ids_.erase(b.id);
                             return true;
                           }),
            v.end());
    it = v.empty() ? orphans_.erase(it) : std::next(it);
  }
  proposals_seen_.erase(proposals_seen_.begin(),
                        proposals_seen_.lower_bound(std::make_pair(root_round, 0u)));
  votes_seen_.erase(votes_seen_.begin(), votes_seen_.lower_bound(std::make_pair(root_round, 0u)));
}

}  // namespace laurel::consensus

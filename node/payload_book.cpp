#include "node/payload_book.h"

#include <algorithm>
#include <iterator>
#include <unordered_set>

#include "node/payload.h"

namespace laurel::node {

namespace cs = laurel::consensus;

namespace {
// What a payload carries, by id: transaction ids of a version-1 payload, batch digests of a
// version-2 one (ids of two hash domains: they cannot collide); empty when it decodes as
// neither.
std::vector<Hash32> IdsOfPayload(const Bytes& payload) {
  std::vector<Hash32> ids;
  if (IsBatchPayload(payload)) {
    auto proofs = DecodeBatchPayload(payload);
    if (!proofs.ok()) return ids;
    ids.reserve(proofs->size());
    for (const auto& p : *proofs) ids.push_back(p.info.digest);
    return ids;
  }
  auto txs = DecodePayload(payload);
  if (!txs) return ids;
  ids.reserve(txs->size());
  for (const auto& tx : *txs) ids.push_back(types::TxId(tx));
  return ids;
}
}  // namespace

std::vector<Hash32> PayloadBook::NoteProposal(const cs::Block& block, uint64_t committed_height) {
  std::vector<Hash32> ids;
  if (block.payload.empty() || block.height > committed_height + kMaxNotedHeightsAhead) {
    return ids;
  }
  ids = IdsOfPayload(block.payload);
  if (ids.empty()) return ids;
  block_tx_ids_[block.id] = BlockTxIds{block.height, ids, block.parent_id};
  return ids;
}

void PayloadBook::PruneNoted(const std::function<bool(const cs::BlockId&)>& has_block) {
  if (block_tx_ids_.size() <= kMaxNotedBlocks) return;
  for (auto it = block_tx_ids_.begin(); it != block_tx_ids_.end();) {
    it = has_block(it->first) ? std::next(it) : block_tx_ids_.erase(it);
  }
}

void PayloadBook::OnProposalHandled(const cs::Block& block, const std::vector<Hash32>& ids,
                                    bool verified, cs::Round current_round) {
  if (ids.empty() || !verified || block.round > current_round) return;
  nonempty_round_ = std::max(nonempty_round_, block.round);
  mempool_.SetRound(current_round);
  NoteProposed(ids, block.round);
}

void PayloadBook::NoteProposed(const std::vector<Hash32>& ids, cs::Round round) {
  mempool_.MarkInFlight(ids, round);
  for (const auto& id : ids) proposed_ids_[id] = round;
  if (proposed_ids_.size() > 4 * limits_.block_max_txs) {
    for (auto it = proposed_ids_.begin(); it != proposed_ids_.end();) {
      it = it->second + Mempool::kInFlightRounds <= round ? proposed_ids_.erase(it) : std::next(it);
    }
  }
}

std::optional<Bytes> PayloadBook::Pull(cs::Round round, const std::vector<cs::BlockId>& branch) {
  // Never propose again what the branch this proposal extends already carries: it would only
  // commit as DUPLICATE_TX.
  std::unordered_set<Hash32, HashKey> in_branch;
  bool branch_carries = false;
  for (const auto& id : branch) {
    if (const auto* ids = IdsOf(id, nullptr)) {
      in_branch.insert(ids->begin(), ids->end());
      branch_carries = branch_carries || !ids->empty();
    }
  }
  return Reap(round, in_branch, 0, branch_carries);
}

std::optional<Bytes> PayloadBook::Pull(cs::Round round, const std::vector<cs::BlockId>& branch,
                                       const ChainView& view) {
  std::unordered_set<Hash32, HashKey> exclude;
  bool branch_carries = false;
  for (const auto& id : branch) {
    if (const auto* ids = IdsOf(id, &view)) {
      exclude.insert(ids->begin(), ids->end());
      branch_carries = branch_carries || !ids->empty();
    }
  }
  if (view.root_height > view.executed_height) {
    // Committed by the engine, not yet executed: the root (still in the engine's tree) and its
    // ancestors down to the executed height, followed by parent ids through the noted blocks.
    // A noted block of the same height on another branch (a fork, a forged proposal) says
    // nothing about what committed there.
    cs::BlockId id = view.root_id;
    for (uint64_t h = view.root_height; h > view.executed_height; --h) {
      const std::vector<Hash32>* ids = IdsOf(id, &view);
      const auto it = block_tx_ids_.find(id);
      if (ids == nullptr || it == block_tx_ids_.end() || it->second.height != h) {
        // A committed block whose transactions this node never saw: an empty block rather than
        // the risk of proposing them again.
        mempool_.SetRound(round);
        last_reaped_ids_.clear();
        return Bytes{};
      }
      exclude.insert(ids->begin(), ids->end());
      id = it->second.parent_id;
    }
  }
  return Reap(round, exclude, view.height, branch_carries);
}

const std::vector<Hash32>* PayloadBook::IdsOf(const cs::BlockId& id, const ChainView* view) {
  auto it = block_tx_ids_.find(id);
  if (it != block_tx_ids_.end()) return &it->second.ids;
  if (view == nullptr || !view->block) return nullptr;
  const std::optional<cs::Block> b = view->block(id);
  if (!b) return nullptr;
  BlockTxIds noted{b->height, IdsOfPayload(b->payload), b->parent_id};
  return &block_tx_ids_.emplace(id, std::move(noted)).first->second.ids;
}

std::optional<Bytes> PayloadBook::Reap(cs::Round round,
                                       const std::unordered_set<Hash32, HashKey>& exclude,
                                       uint64_t height, bool branch_carries) {
  mempool_.SetRound(round);
  last_reaped_ids_.clear();
  if (proofs_ != nullptr) {
    auto proofs = proofs_->Take(
        height, [&exclude](const Hash32& d) { return exclude.count(d) > 0; }, limits_.block_max_txs,
        std::min<uint64_t>(limits_.block_max_bytes, kMaxBlockBatchBytes));
    if (!proofs.empty()) {
      for (const auto& p : proofs) last_reaped_ids_.push_back(p.info.digest);
      nonempty_round_ = std::max(nonempty_round_, round);
      waiting_payload_round_ = 0;
      return EncodeBatchPayload(proofs);
    }
    if (round <= nonempty_round_ + 2 || branch_carries) return Bytes{};
    waiting_payload_round_ = round;
    return std::nullopt;
  }
  auto txs = mempool_.Reap(
      limits_.block_max_txs, limits_.block_max_bytes, round,
      exclude.empty() ? std::function<bool(const Hash32&)>()
                      : [&exclude](const Hash32& id) { return exclude.count(id) > 0; },
      &last_reaped_ids_);
  if (!txs.empty()) {
    nonempty_round_ = std::max(nonempty_round_, round);
    waiting_payload_round_ = 0;
    return EncodePayload(txs);
  }
  // Transactions proposed in the last two rounds, or carried by a block of the branch (however
  // many rounds ago: after timeouts), commit only once more blocks follow: propose at once,
  // even empty, rather than wait for new transactions.
  if (round <= nonempty_round_ + 2 || branch_carries) return Bytes{};
  waiting_payload_round_ = round;
  return std::nullopt;
}

void PayloadBook::NoteOwnProposal(const cs::Block& block) {
  if (last_reaped_ids_.empty()) return;
  block_tx_ids_[block.id] = BlockTxIds{block.height, std::move(last_reaped_ids_), block.parent_id};
  last_reaped_ids_.clear();
}

std::optional<cs::Round> PayloadBook::TakeReadyRound() {
  if (waiting_payload_round_ == 0) return std::nullopt;
  if ((proofs_ != nullptr ? proofs_->size() : mempool_.size()) == 0) return std::nullopt;
  const cs::Round r = waiting_payload_round_;
  waiting_payload_round_ = 0;
  return r;
}

void PayloadBook::OnAdmitted(const Hash32& tx_id) {
  if (auto p = proposed_ids_.find(tx_id); p != proposed_ids_.end()) {
    mempool_.MarkInFlight({tx_id}, p->second);
  }
}

void PayloadBook::OnCommitted(uint64_t height, const std::vector<Hash32>& removed) {
  for (auto it = block_tx_ids_.begin(); it != block_tx_ids_.end();) {
    it = it->second.height <= height ? block_tx_ids_.erase(it) : std::next(it);
  }
  for (const auto& id : removed) proposed_ids_.erase(id);
}

void PayloadBook::ResetForEpoch() {
  block_tx_ids_.clear();
  proposed_ids_.clear();
  last_reaped_ids_.clear();
  waiting_payload_round_ = 0;
  nonempty_round_ = 0;
  mempool_.ClearInFlight();
}

}  // namespace laurel::node

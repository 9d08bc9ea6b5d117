// The transactions of proposals, as the node's payload source needs them, as a pure state
// machine in the style of consensus::Engine. It keeps which transactions each uncommitted block
// carries (so that a proposal never carries again one already in the branch it extends), which
// transactions were seen in proposals (so that a copy arriving by gossip afterwards is not
// proposed again), and decides what a leader proposes: transactions, an empty block at once,
// or nothing yet (wait for transactions). It drives the mempool's in-flight marks (the Mempool
// is held by reference; both are plain classes).
//
// Inputs are method calls from the node's loop: a peer's proposal before and after the engine
// handled it, the engine's Pull, this node's own proposal as sent, an admitted transaction, a
// committed block. Outputs are return values (the noted ids, the payload, the round that may
// now be proposed) and the mempool's in-flight marks. No sockets, clocks, threads or logging.
//
// What a Byzantine proposer can and cannot cause: a proposal is noted only up to
// kMaxNotedHeightsAhead above the committed height, and beyond kMaxNotedBlocks noted blocks the
// engine does not hold are dropped, so forged proposals cannot grow this book without bound.
// Noting an unverified proposal is harmless: Pull skips only what the branch it is given
// carries, and the engine puts only verified blocks in a branch. Only a proposal the engine
// verified, of a round the engine has reached, marks transactions in flight: an unverified or
// far-future one cannot keep pending transactions out of every honest proposal.
//
// Invariants: Pull never returns a transaction noted for a block of the branch it is given;
// a commit drops every note at or below its height.
//
// Thread safety: none; the node uses it (and the mempool) from its event loop only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/bytes.h"
#include "consensus/types.h"
#include "node/mempool.h"
#include "node/proof_pool.h"

namespace laurel::node {

// Proposals are noted (tx ids by block id) only up to this many heights above the committed one.
inline constexpr uint64_t kMaxNotedHeightsAhead = 64;
inline constexpr size_t kMaxNotedBlocks = 256;  // beyond it, noted blocks not in the tree go

class PayloadBook {
 public:
  struct Limits {
    size_t block_max_txs = 0;
    size_t block_max_bytes = 0;
  };

  PayloadBook(Mempool& mempool, Limits limits) : mempool_(mempool), limits_(limits) {}

  // Quorum store (docs/spec/batches.md): from now on a proposal carries proofs of availability
  // from `proofs` (a version-2 payload) instead of mempool transactions. Blocks are noted by
  // what they carry either way: transaction ids (version 1) or batch digests (version 2), so
  // the same rules keep a batch out of a proposal whose branch carries it already.
  void UseProofs(ProofPool* proofs) { proofs_ = proofs; }
  bool uses_proofs() const { return proofs_ != nullptr; }

  // A peer's proposal, before the engine sees it (if the engine inserts it and proposes the
  // next block within the same call, that proposal must already skip its transactions). Notes
  // the payload's tx ids under the block id when the payload is canonical and not empty and
  // the block is at most kMaxNotedHeightsAhead above `committed_height`. Returns the noted ids
  // (empty when nothing was noted).
  std::vector<Hash32> NoteProposal(const consensus::Block& block, uint64_t committed_height);
  // After the engine handled a message: while more than kMaxNotedBlocks are noted, the blocks
  // `has_block` (the engine's tree) does not hold are dropped.
  void PruneNoted(const std::function<bool(const consensus::BlockId&)>& has_block);
  // After the engine handled proposal `block`, whose ids NoteProposal returned: `verified` says
  // whether the engine accepted it (or already holds it). Only then, and only when its round is
  // at most `current_round`, are its transactions marked in flight and remembered as proposed.
  void OnProposalHandled(const consensus::Block& block, const std::vector<Hash32>& ids,
                         bool verified, consensus::Round current_round);

  // The payload of this node's proposal for `round`, extending `branch` (the uncommitted blocks
  // from the highest QC's block down to the last committed one): mempool transactions not in
  // flight and not noted for any block of `branch`, up to the block limits. With none, an empty
  // payload while transactions still need blocks to commit (a block of `branch` carries some,
  // or this node saw some proposed in the last two rounds), or nullopt: wait (TakeReadyRound
  // says when to propose). Waiting with a loaded branch would leave its transactions
  // uncommitted until new ones arrive, and after round timeouts none may: every validator's
  // batch quota can be full of batches that only those blocks' commit frees.
  std::optional<Bytes> Pull(consensus::Round round, const std::vector<consensus::BlockId>& branch);

  // What the node knows besides the branch, for a Pull that must not duplicate anything:
  struct ChainView {
    // The engine's committed root, and the height the node has executed. The engine may have
    // committed blocks the node has not executed yet (commits are applied after the engine
    // returns, and Pull runs inside it; or, after a pause, while the node catches up): their
    // transactions are still in the mempool and must not be proposed again.
    consensus::BlockId root_id{};
    uint64_t root_height = 0;
    uint64_t executed_height = 0;
    // A block of the engine's tree by id (nullopt if absent): the payload of a branch block
    // that was never noted (fetched, recovered from disk) is read from it.
    std::function<std::optional<consensus::Block>(const consensus::BlockId&)> block;
    // The height of the proposal being built (proofs whose batch expires too soon are left out).
    uint64_t height = 0;
  };
  // As above, and also never a transaction of a branch block that was not noted (read through
  // view.block), nor of a block between the executed height and the engine's root (followed by
  // parent ids from the root: a block noted at such a height on another branch does not count).
  // When one of those committed blocks was never noted (its transactions are unknown), an empty
  // payload.
  std::optional<Bytes> Pull(consensus::Round round, const std::vector<consensus::BlockId>& branch,
                            const ChainView& view);
  // This node's own proposal as it is sent: the transactions of the last Pull are noted for it.
  void NoteOwnProposal(const consensus::Block& block);
  // The round that waits for a payload, once the mempool holds transactions (then forgotten):
  // the host calls Engine::OnPayloadReady with it.
  std::optional<consensus::Round> TakeReadyRound();

  // A transaction just admitted to the mempool: in flight at once if a proposal carried it.
  void OnAdmitted(const Hash32& tx_id);
  // A block at `height` committed and `removed` left the mempool: notes at or below `height`
  // and the proposal marks of `removed` are dropped.
  void OnCommitted(uint64_t height, const std::vector<Hash32>& removed);

  // A new epoch: the old epoch's uncommitted blocks are void and its rounds gone. Forgets
  // every note, proposal mark and waiting round, and the mempool's in-flight marks.
  void ResetForEpoch();

  size_t noted_blocks() const { return block_tx_ids_.size(); }
  bool IsNoted(const consensus::BlockId& id) const { return block_tx_ids_.count(id) > 0; }
  size_t proposed_ids() const { return proposed_ids_.size(); }
  consensus::Round waiting_round() const { return waiting_payload_round_; }

 private:
  void NoteProposed(const std::vector<Hash32>& ids, consensus::Round round);
  // The noted ids of block `id`, noting them from view.block's payload if need be; nullptr when
  // the block is unknown.
  const std::vector<Hash32>* IdsOf(const consensus::BlockId& id, const ChainView* view);
  std::optional<Bytes> Reap(consensus::Round round,
                            const std::unordered_set<Hash32, HashKey>& exclude, uint64_t height,
                            bool branch_carries);

  Mempool& mempool_;
  Limits limits_;
  ProofPool* proofs_ = nullptr;
  consensus::Round waiting_payload_round_ = 0;
  consensus::Round nonempty_round_ = 0;
  struct BlockTxIds {
    uint64_t height = 0;
    std::vector<Hash32> ids;
    consensus::BlockId parent_id{};  // links committed blocks from the root down (Pull)
  };
  std::unordered_map<Hash32, BlockTxIds, HashKey> block_tx_ids_;
  std::vector<Hash32> last_reaped_ids_;  // of our own proposal being built (Pull -> sent)
  // Transactions seen in recent proposals, by id, with the round.
  std::unordered_map<Hash32, consensus::Round, HashKey> proposed_ids_;
};

}  // namespace laurel::node

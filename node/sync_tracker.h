// Block sync's decisions (docs/spec/consensus.md §6a) as a pure state machine, in the style of
// consensus::Engine: whom to ask for committed blocks, whether an answer is read, which blocks
// are proven and may be applied, when a peer is demoted, and when the node has caught up.
//
// Inputs are method calls: a peer's Hello, a sync answer, the expiry of the request timer, a
// poll when the store fell behind consensus, a peer's disconnection. Each carries the local tip
// (the store's height and last block id) and the time (`now_ms`, any monotonic clock in ms).
// Each appends to an Outputs what the host must do, in this order: apply `apply` (execute and
// commit each block, oldest first: the tracker has already advanced its view of the tip past
// them), log `demotions`, send `request` and call OnRequestTimeout once its timeout_at_ms has
// passed, restart consensus when `restart_engine`. No sockets, clocks, threads or logging.
//
// Claims and proofs. A peer's height (its Hello, the peer_height of its answer) is a claim: it
// only chooses whom to ask. What changes the node's state - syncing(), blocks to apply, an
// engine restart - is what a peer proves: blocks that link to our chain, pass
// Verifier::verify (the signatures: VerifyCommittedBlock) and are covered by a 2-chain commit
// proof (Verifier::proves_commit: CommitQcCoversBlock on a block proves it and every pending
// ancestor it links to).
//
// What a Byzantine peer can cause: a request to itself (only while it has the highest claim of
// the undemoted peers), a wait of kSyncRequestTimeoutMs, and its own demotion: for kDemotionMs
// its claims are ignored and its claimed height is zero. What it cannot cause: syncing(), an
// engine restart, a block applied that does not link to our chain or fails verification, or
// any effect from an answer the node did not ask it for (an answer with no request
// outstanding, or from another peer than the one asked, changes nothing).
//
// Invariants: at most one request is outstanding; `apply` holds consecutive heights from the
// tip + 1, each the parent of the next, verified and proven; syncing() is true only from the
// first applied block to the end of that sync; restart_engine is emitted only when a sync that
// applied blocks ends.
//
// Thread safety: none; the node uses it from its event loop only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "node/wire.h"

namespace laurel::node {

inline constexpr uint64_t kSyncGap = 4;     // blocks behind a peer before block sync starts
inline constexpr uint32_t kSyncBatch = 64;  // blocks per sync request
// How long the height claims of a peer that failed to deliver what it claimed are ignored.
inline constexpr uint64_t kDemotionMs = 30'000;
// How long a peer has to answer a sync request before it is demoted.
inline constexpr uint64_t kSyncRequestTimeoutMs = 3'000;

class SyncTracker {
 public:
  // The store's last committed block.
  struct Tip {
    uint64_t height = 0;
    Hash32 block_id{};
  };
  struct Verifier {
    // OK when the block's signatures hold: proposer, QC of its parent, block QC, commit QC.
    std::function<Status(const SyncBlock&)> verify;
    // Whether the block's commit QC commits this very block (the 2-chain rule).
    std::function<bool(const SyncBlock&)> proves_commit;
  };
  struct Request {
    uint32_t peer = 0;
    uint64_t from_height = 0;
    uint32_t max_blocks = 0;
    uint64_t timeout_at_ms = 0;   // call OnRequestTimeout at or after this time
    bool starts_sync = false;     // the first request of a sync
    uint64_t claimed_height = 0;  // what the peer claims (for the log)
  };
  struct Demotion {
    uint32_t peer = 0;
    std::string reason;
  };
  struct Outputs {
    std::vector<SyncBlock> apply;  // proven blocks, oldest first
    std::vector<Demotion> demotions;
    std::optional<Request> request;
    bool restart_engine = false;  // a sync that applied blocks has caught up
  };

  struct Validators {
    uint32_t count = 0;     // validators, by index 0..count-1
    uint32_t my_index = 0;  // this node
  };

  SyncTracker(Validators validators, Verifier verifier);

  // A peer's Hello: it claims `height`. The claim is kept (unless the peer is demoted) and may
  // start a request; the peer counts as heard.
  void OnHello(uint32_t from, uint64_t height, const Tip& tip, uint64_t now_ms, Outputs& out);
  // A peer's sync answer. Read only when it answers the outstanding request (from the peer
  // asked); its blocks are checked in order. A block below the next wanted height is skipped;
  // one of another height or not linked to our chain, or one that fails verification, demotes
  // the peer and discards the blocks pending proof. Verified blocks wait for a commit proof;
  // once proven they go to `apply`. An answer that delivers nothing new under a claim more
  // than kSyncGap above the tip demotes the peer.
  void OnSyncResponse(uint32_t from, const SyncResponseMsg& resp, const Tip& tip, uint64_t now_ms,
                      Outputs& out);
  // The request timer expired: a request outstanding past its timeout demotes its peer (and
  // another may be asked). Early or stale calls change nothing.
  void OnRequestTimeout(const Tip& tip, uint64_t now_ms, Outputs& out);
  // Decides again whom to ask, or whether the sync has ended: for when the tip moved other than
  // through `apply` (consensus committed a block the store cannot take yet).
  void Poll(const Tip& tip, uint64_t now_ms, Outputs& out);
  // A peer's connection went down: it is no longer heard until its next Hello or answer.
  void OnPeerDisconnected(uint32_t peer);

  // Behind by proof: blocks proven by a peer are being applied.
  bool syncing() const { return syncing_; }
  // The highest height of a block applied with its commit proof.
  uint64_t proven_height() const { return proven_height_; }
  // Peers (not this node) connected and heard since they connected.
  uint32_t peers_heard() const;
  uint64_t peer_height(uint32_t peer) const { return peer < heights_.size() ? heights_[peer] : 0; }
  bool Demoted(uint32_t peer, uint64_t now_ms) const;
  bool request_outstanding() const { return inflight_; }
  size_t pending_blocks() const { return pending_.size(); }

 private:
  void Demote(uint32_t peer, uint64_t now_ms, std::string reason, Outputs& out);
  void Evaluate(const Tip& tip, uint64_t now_ms, Outputs& out);
  bool IsPeer(uint32_t i) const { return i < heights_.size() && i != my_index_; }

  uint32_t my_index_;
  Verifier verifier_;
  std::vector<uint64_t> heights_;  // claimed, by peer
  std::vector<bool> heard_;
  std::vector<uint64_t> demoted_until_ms_;
  bool active_ = false;    // asking peers for blocks (driven by claims)
  bool inflight_ = false;  // a request to peer_ is outstanding
  uint32_t peer_ = 0;
  uint64_t deadline_ms_ = 0;  // of the outstanding request
  uint64_t applied_ = 0;      // blocks applied since active_ became true
  uint64_t proven_height_ = 0;
  bool syncing_ = false;
  std::vector<SyncBlock> pending_;  // verified, linked, waiting for a commit proof
};

}  // namespace laurel::node

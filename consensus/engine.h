// The Jolteon consensus engine (DESIGN §6, docs/spec/consensus.md) as a pure state machine.
//
// Inputs are method calls (a message from a peer, fetched blocks, a timer expiry, "payload
// ready"); each appends what the host must do to an Outputs: messages to send, blocks to
// fetch, timers to arm, blocks committed (in order, exactly once, each with its certificate)
// and equivocation evidence. The engine owns no sockets, threads or clocks: it reads time from
// a Clock, asks a PayloadSource for payloads, signs only through SafetyRules (which persist
// their record through a SafetyStore before returning a signature), and checks signatures
// through the ValidatorSet.
//
// Errors: an input that fails verification returns InvalidArgument and leaves the engine as it
// was (apart from harmless caching); IoError means the safety record could not be persisted,
// and nothing that depends on it was emitted.
//
// Thread safety: none. One engine runs on one thread (an implicit strand).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "common/status.h"
#include "consensus/block_tree.h"
#include "consensus/safety_rules.h"
#include "consensus/test_hooks.h"
#include "consensus/types.h"
#include "consensus/validator_set.h"

namespace laurel::consensus {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual uint64_t NowMs() const = 0;
};

// Supplies block payloads to a leader. Pull returns nullopt while no payload is ready; the host
// then calls Engine::OnPayloadReady when one is. A leader waits at most
// EngineConfig::payload_wait_ms, then proposes an empty payload.
class PayloadSource {
 public:
  virtual ~PayloadSource() = default;
  virtual std::optional<Bytes> Pull(Round round, uint64_t height) = 0;
};

// Durable storage of uncommitted blocks. The engine saves a block before it votes for it or
// proposes it, so that a certified block survives the crash of the nodes that hold it (without
// it no honest leader could extend the highest QC). A RocksDB implementation is one Put per
// block (sync may ride on the safety record's synced write that follows).
class BlockStore {
 public:
  virtual ~BlockStore() = default;
  virtual Status Save(const Block& b) = 0;
};

// Keeps blocks in memory; survives an engine being dropped (the simulator's "disk").
class MemoryBlockStore : public BlockStore {
 public:
  Status Save(const Block& b) override {
    blocks_.emplace(b.id, b);
    ++saves_;
    return Status::Ok();
  }
  // How many Save calls there were (each is one synced write in the node's store).
  uint64_t saves() const { return saves_; }
  // The saved blocks above `height`, dropping the others.
  std::vector<Block> Above(uint64_t height) {
    std::vector<Block> res;
    for (auto it = blocks_.begin(); it != blocks_.end();) {
      if (it->second.height <= height) {
        it = blocks_.erase(it);
      } else {
        res.push_back(it->second);
        ++it;
      }
    }
    return res;
  }

 private:
  std::map<BlockId, Block> blocks_;
  uint64_t saves_ = 0;
};

struct EngineConfig {
  uint32_t my_index = 0;
  uint64_t round_timeout_base_ms = 1000;  // doubled per round in a row after f+1 TCs ...
  uint64_t round_timeout_max_ms = 8000;   // ... up to this cap
  uint64_t payload_wait_ms = 100;
  uint32_t fetch_batch = 64;  // ancestors asked for per fetch
  // Waiting blocks more than this many heights above the committed root get no more ancestor
  // fetches (0: no limit): the host's block sync brings the node back (laureld: 128).
  uint64_t max_fetch_gap = 0;
};

// Where a restarted engine begins: the last committed block (or genesis), the QC that
// certifies it, and the QC that committed it (the genesis QC for genesis).
struct RecoveryData {
  Block root;
  QuorumCert root_qc;
  QuorumCert commit_qc;
  std::vector<Block> blocks;  // uncommitted blocks from the BlockStore, any order
};
RecoveryData GenesisRecovery(const Block& genesis);

enum class TimerKind : uint8_t { kRound, kPayload };
struct TimerRequest {
  TimerKind kind;
  Round round;
  uint64_t at_ms;
};

inline constexpr uint32_t kBroadcast = UINT32_MAX;
struct Outbound {
  uint32_t to;  // a validator index, or kBroadcast (every validator but this one)
  Message message;
};

struct FetchRequest {
  BlockId id;
  uint32_t count;               // the block and up to count-1 of its ancestors
  std::vector<uint32_t> peers;  // who should have it (QC signers, the sender)
};

// A committed block with its certificate: block_qc certifies the block, and commit_qc is the
// QC of a block whose parent is the highest block committed with this one, in the round right
// after it (the 2-chain commit rule). Lower blocks of the same commit are linked to it by
// parent ids.
struct CommittedBlock {
  Block block;
  QuorumCert block_qc;
  QuorumCert commit_qc;
  std::vector<Block> blocks;  // uncommitted blocks from the BlockStore, any order
};

struct Evidence {
  // kProposal, kVote: two blocks signed by one validator in one round (first, second).
  // kWrongLeader: a signed block (first) from a validator that does not lead its round.
  enum class Kind : uint8_t { kProposal, kVote, kWrongLeader };
  Kind kind;
  uint32_t signer;
  Round round;
  BlockId first;
  BlockId second;
  // The signed statements themselves, so that anyone holding the signer's key can check the
  // evidence (VerifyEvidence): for kProposal and kWrongLeader the proposal signatures over
  // ProposalSignBytes(epoch, round, first / second); for kVote the two signed VoteData.
  uint64_t epoch = 0;
  Signature first_sig{};
  Signature second_sig{};
  VoteData first_vote{};   // kVote only
  VoteData second_vote{};  // kVote only
};

// Whether `e` proves misbehaviour by the holder of `key`: both statements verify under it and
// name different blocks of the same round (kWrongLeader: the one proposal verifies; whether its
// signer led the round depends on the parent and is not checked here).
bool VerifyEvidence(const Evidence& e, const PublicKey& key);

inline const char* EvidenceKindName(Evidence::Kind k) {
  switch (k) {
    case Evidence::Kind::kProposal:
      return "two proposals";
    case Evidence::Kind::kVote:
      return "two votes";
    case Evidence::Kind::kWrongLeader:
      return "proposal out of turn";
  }
  return "?";
}

struct Outputs {
  std::vector<Outbound> sends;
  std::vector<FetchRequest> fetches;
  std::vector<TimerRequest> timers;
  std::vector<CommittedBlock> commits;
  std::vector<Evidence> evidence;
};

class Engine {
 public:
  // All references must outlive the engine.
  Engine(const EngineConfig& config, const ValidatorSet& validators, const crypto::PrivateKey& key,
         SafetyStore& store, BlockStore& blocks, const Clock& clock, PayloadSource& payload,
         RecoveryData recovery, TestHooks hooks = {});

  // Loads the safety record and enters the first round. Call once before any other input.
  Status Start(Outputs& out);

  Status OnMessage(uint32_t from, const Message& msg, Outputs& out);
  Status OnFetchedBlocks(const std::vector<Block>& blocks, Outputs& out);
  Status OnTimer(TimerKind kind, Round round, Outputs& out);
  Status OnPayloadReady(Round round, Outputs& out);

  // Serves a peer's fetch: `id` and up to count-1 ancestors from the tree (newest first).
  std::vector<Block> GetBlocks(const BlockId& id, uint32_t count) const;
  // The ids of the blocks from `id` down to (not including) the last committed block: the
  // uncommitted branch a proposal extending `id` builds on. Empty when `id` is not in the tree.
  std::vector<BlockId> UncommittedBranch(const BlockId& id) const;

  Round current_round() const { return current_round_; }
  // Whether the block is in the tree of uncommitted blocks (verified and inserted).
  bool HasBlock(const BlockId& id) const { return tree_.Contains(id); }
  const QuorumCert& high_qc() const { return high_qc_; }
  const QuorumCert& high_commit_qc() const { return high_commit_qc_; }
  const Block& committed_root() const { return tree_.root(); }
  const SafetyRecord& safety_record() const { return safety_.record(); }
  // Whether the highest TC is the safety record's own and does not verify (see high_tc_).
  bool record_tc_unverified() const { return high_tc_unverified_; }
  // The SyncInfo sent with every message (without a TC that does not verify).
  SyncInfo CurrentSyncInfo() const;

  // What this node saw of its current round: the host logs it when the round times out, so an
  // operator can tell a silent leader from a proposal that gathered too few votes.
  struct RoundView {
    Round round = 0;
    std::optional<uint32_t> leader;  // elected over the highest QC's block; none while fetching it
    bool proposed = false;           // this node proposed in the round
    bool proposal_seen = false;      // a verified proposal of the round reached this node
    bool voted = false;              // this node voted in the round
    Round high_qc_round = 0;
    size_t timeout_votes = 0;  // timeout votes gathered for the round so far
  };
  RoundView DescribeRound() const;

 private:
  struct VoteAggregate {
    VoteData data;
    std::map<uint32_t, Signature> sigs;
  };

  Status ProcessSyncInfo(uint32_t from, const SyncInfo& s, Outputs& out);
  Status ProcessProposal(uint32_t from, const ProposalMsg& m, Outputs& out);
  Status ProcessVote(uint32_t from, const VoteMsg& m, Outputs& out);
  Status ProcessTimeout(uint32_t from, const TimeoutMsg& m, Outputs& out);

  bool QcUseful(const QuorumCert& qc) const;
  // `fetch_missing`: fetch the certified block when this node lacks it (not for the QCs inside
  // fetched blocks: their ancestors are fetched lowest first, within max_fetch_gap).
  void InsertQc(const QuorumCert& qc, uint32_t from, Outputs& out, bool fetch_missing = true);
  void InsertTc(const TimeoutCert& tc, Outputs& out);
  Status SyncRound(Outputs& out);
  Status AdvanceRound(Round round, bool by_tc, Outputs& out);
  void ScheduleRoundTimer(Outputs& out);
  Status LocalTimeout(Outputs& out);
  Status AddVote(const Vote& v, Outputs& out);
  Status AddTimeout(const TimeoutVote& t, Outputs& out);
  // Sends a vote for block b to the next round's leader (or aggregates it, if that is us).
  Status RouteVote(const Vote& v, const Block& b, Outputs& out);
  Status MaybeVote(const Block& b, Outputs& out);
  Status TryPropose(Outputs& out);
  // Inserts `b` (verified, parent in tree) and every waiting descendant; votes on waiting
  // proposals of the current round.
  Status InsertBlocks(Block b, Outputs& out);
  Status CheckExtends(const Block& b, const Block& parent) const;
  void TryCommit(Outputs& out);
  void Fetch(const BlockId& id, std::vector<uint32_t> peers, Outputs& out);
  // Records b as a block of its proposer's round: true for the first and (with evidence,
  // reported once) for a second, different one; false for any further variant.
  bool NoteProposal(const Block& b, Outputs& out);
  void AddOrphan(const Block& b);
  // At a local timeout: fetches again the blocks still missing (the highest QC's and commit
  // QC's blocks, and the parents of waiting blocks), whose first request may have been lost.
  void RefetchMissing(Outputs& out);
  const TimeoutCert* TcForRound(Round round) const;
  void SendSyncIfBehind(uint32_t from, const SyncInfo& theirs, Outputs& out);

  EngineConfig config_;
  const ValidatorSet& validators_;
  const crypto::PrivateKey& key_;
  const Clock& clock_;
  PayloadSource& payload_;
  BlockStore& block_store_;
  std::vector<Block> recovered_blocks_;
  TestHooks hooks_;
  SafetyRules safety_;
  BlockTree tree_;

  QuorumCert high_qc_;
  QuorumCert high_commit_qc_;
  std::optional<TimeoutCert> high_tc_;
  // high_tc_ is the safety record's TC and does not verify (a record of an older version): used
  // to resume, never sent (docs/spec/consensus.md §7).
  bool high_tc_unverified_ = false;
  QuorumCert root_qc_;
  Round current_round_ = 0;
  Round proposed_round_ = 0;
  Round payload_timer_round_ = 0;     // round whose payload wait timer is armed
  Round payload_deadline_round_ = 0;  // round whose payload wait has expired
  bool timed_out_current_ = false;
  uint32_t tc_streak_ = 0;  // rounds in a row, up to the current one, entered through a TC

  std::map<Round, std::map<Bytes, VoteAggregate>> votes_;
  std::map<Round, std::map<uint32_t, TimeoutVote>> timeouts_;
  struct ProposalSeen {
    BlockId id;
    BlockId second_id;         // the other block of an equivocation, once seen
    bool equivocated = false;  // evidence already reported
    Signature sig{};           // the proposer's signature of `id` (for the evidence)
  };
  std::map<std::pair<Round, uint32_t>, ProposalSeen> proposals_seen_;
  struct VoteSeen {
    BlockId id;
    BlockId second_id;         // the other block of an equivocation, once seen
    bool equivocated = false;  // evidence already reported
    VoteData data{};           // the first vote, signed (for the evidence)
    Signature sig{};
  };
  std::map<std::pair<Round, uint32_t>, VoteSeen> votes_seen_;
  // Votes and timeouts for rounds further ahead of the current one are not kept: a signer
  // cannot grow this node's memory with far-future rounds.
  static constexpr Round kFutureRounds = 64;

 public:
  // How far ahead of the local clock a block's time may be for this node to vote for it.
  static constexpr uint64_t kMaxBlockTimeAheadMs = 30'000;
  // How far behind the local clock a block's time may be for this node to vote for it. With
  // the bound ahead, a certified block's time is within 30 s of the clock of every honest
  // validator that voted for it (docs/spec/consensus.md, "Block time").
  static constexpr uint64_t kMaxBlockTimeBehindMs = 30'000;
  // Whether this node's clock (now_ms) lets it vote for a block stamped block_time_ms.
  static constexpr bool BlockTimeVotable(uint64_t block_time_ms, uint64_t now_ms) {
    return block_time_ms <= now_ms + kMaxBlockTimeAheadMs &&
           block_time_ms + kMaxBlockTimeBehindMs >= now_ms;
  }

 private:
  static constexpr size_t kMaxOrphans = 4096;
  static constexpr size_t kRefetchPerTimeout = 4;
  static constexpr Round kRefetchEveryRounds = 16;
  std::map<BlockId, std::vector<Block>> orphans_;  // by missing parent id
  std::set<BlockId> orphan_ids_;
  std::set<BlockId> requested_;
  std::map<uint32_t, Round> sync_sent_;  // peer -> our round when we last sent it SyncInfo
};

}  // namespace laurel::consensus

// Consensus data types of laurel's Jolteon engine (docs/spec/consensus.md) and their canonical
// sign-bytes. These are plain structs: no wire encoding lives here except the compact,
// bounds-checked binary codec used for the persisted safety record (codec.h).
//
// Every signature in consensus is Ed25519 over `domain || sign-bytes`, where the domain is one
// of the k*Domain constants below (each ends in a NUL byte) and the sign-bytes are fixed-width
// big-endian fields. The layouts are documented, with golden vectors, in the "Signed layouts"
// section of docs/spec/consensus.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "crypto/ed25519.h"

namespace laurel::consensus {

using Round = uint64_t;
using BlockId = Hash32;
using crypto::PublicKey;
using crypto::Signature;

inline constexpr std::string_view kBlockIdDomain{"laurel/block/v2\0", 16};
inline constexpr std::string_view kProposalDomain{"laurel/proposal/v1\0", 19};
inline constexpr std::string_view kVoteDomain{"laurel/vote/v1\0", 15};
inline constexpr std::string_view kTimeoutDomain{"laurel/timeout/v2\0", 18};
inline constexpr std::string_view kGenesisDomain{"laurel/genesis/v1\0", 18};

// What a vote signs: the voted block and its parent (the block its QC certifies). Because the
// parent's round is signed, a QC alone shows whether it certifies a block whose parent is in
// the immediately preceding round (the 2-chain commit rule).
struct VoteData {
  uint64_t epoch = 0;
  Round round = 0;
  BlockId block_id{};
  Round parent_round = 0;
  BlockId parent_id{};
  bool operator==(const VoteData&) const = default;
};

// A quorum certificate: 2f+1 signatures over the same VoteData. Signatures are sorted by
// strictly increasing signer index. The genesis QC has no signatures.
struct QuorumCert {
  VoteData data;
  std::vector<std::pair<uint32_t, Signature>> signatures;

  Round round() const { return data.round; }
  const BlockId& block_id() const { return data.block_id; }
  bool operator==(const QuorumCert&) const = default;
};

// A proposed block. `id` is derived (ComputeBlockId) and cached; `signature` is the proposer's
// signature over ProposalSignBytes. The payload enters the id through its SHA-256.
struct Block {
  uint64_t epoch = 0;
  Round round = 0;
  uint64_t height = 0;
  BlockId parent_id{};
  QuorumCert qc;  // certifies the parent: qc.block_id() == parent_id
  Bytes payload;
  uint64_t timestamp_ms = 0;
  uint32_t proposer = 0;  // validator index
  Signature signature{};
  BlockId id{};
};

struct Vote {
  VoteData data;
  uint32_t signer = 0;
  Signature signature{};
  bool operator==(const Vote&) const = default;
};

// A timeout for `round`, carrying the signer's highest QC. Only (genesis id, epoch, round,
// high_qc.round) is signed, so timeouts with equal rounds aggregate into one TC. The genesis id
// (which the chain id determines) binds the signature to one chain; the epoch and genesis id are
// not carried: the verifier supplies its own.
struct TimeoutVote {
  uint64_t epoch = 0;
  Round round = 0;
  QuorumCert high_qc;
  uint32_t signer = 0;
  Signature signature{};
};

struct TimeoutEntry {
  uint32_t signer = 0;
  Round hqc_round = 0;
  Signature signature{};
  bool operator==(const TimeoutEntry&) const = default;
};

// 2f+1 timeouts for one round. `high_qc` is the QC of the highest hqc_round among the entries,
// so whoever holds the TC also holds the QC the next proposal must extend.
struct TimeoutCert {
  uint64_t epoch = 0;
  Round round = 0;
  QuorumCert high_qc;
  std::vector<TimeoutEntry> entries;  // strictly increasing signer

  Round MaxHqcRound() const;
  bool operator==(const TimeoutCert&) const = default;
};

// Carried by every message so that a lagging node can jump forward.
struct SyncInfo {
  QuorumCert highest_qc;
  QuorumCert highest_commit_qc;  // the QC that proved the highest commit the sender knows
  std::optional<TimeoutCert> highest_tc;
};

struct ProposalMsg {
  Block block;
  SyncInfo sync;
};
struct VoteMsg {
  Vote vote;
  SyncInfo sync;
};
struct TimeoutMsg {
  TimeoutVote timeout;
  SyncInfo sync;
};
struct SyncMsg {
  SyncInfo sync;
};
using Message = std::variant<ProposalMsg, VoteMsg, TimeoutMsg, SyncMsg>;

// Round of a message (the round it is about; for SyncMsg the highest certified round).
Round MessageRound(const Message& m);

// ---- Canonical sign-bytes (without the domain prefix). ----

// epoch u64 | round u64 | height u64 | parent_id [32] | qc.round u64 | SHA-256(payload) [32] |
// timestamp_ms u64 | proposer u32
Bytes BlockHeaderBytes(const Block& b);
// SHA-256(kBlockIdDomain || BlockHeaderBytes(b)).
BlockId ComputeBlockId(const Block& b);
// epoch u64 | round u64 | block_id [32]
Bytes ProposalSignBytes(uint64_t epoch, Round round, const BlockId& id);
// epoch u64 | round u64 | block_id [32] | parent_round u64 | parent_id [32]
Bytes VoteSignBytes(const VoteData& d);
// genesis_id [32] | epoch u64 | round u64 | hqc_round u64. Votes and proposals need no genesis
// id: they sign block ids, which chain back to it through parent ids.
Bytes TimeoutSignBytes(const BlockId& genesis_id, uint64_t epoch, Round round, Round hqc_round);

// Fills b.id and b.signature for the given proposer key.
void SignBlock(Block& b, const crypto::PrivateKey& key);
Vote SignVote(const VoteData& d, uint32_t signer, const crypto::PrivateKey& key);
TimeoutVote SignTimeout(const BlockId& genesis_id, uint64_t epoch, Round round,
                        const QuorumCert& hqc, uint32_t signer, const crypto::PrivateKey& key);

// The VoteData a vote for `b` signs.
VoteData VoteDataFor(const Block& b);

// Genesis: height 0, round 0, id = SHA-256(kGenesisDomain || chain_id); its QC is the genesis QC
// (no signatures, VoteData {epoch, 0, genesis id, 0, genesis id}).
Block GenesisBlock(uint64_t epoch, std::string_view chain_id);
QuorumCert GenesisQc(const Block& genesis);

// A short printable form for logs and failure reports ("r=5 h=4 id=ab12cd34").
std::string ShortId(const BlockId& id);

}  // namespace laurel::consensus

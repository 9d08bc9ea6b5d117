#include "consensus/types.h"

#include <algorithm>

#include "crypto/sha256.h"

namespace laurel::consensus {
namespace {

void PutU64(Bytes& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>((v >> (8 * i)) & 0xff));
}
void PutU32(Bytes& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>((v >> (8 * i)) & 0xff));
}
void PutFixed(Bytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }

}  // namespace

Round TimeoutCert::MaxHqcRound() const {
  Round m = 0;
  for (const auto& e : entries) m = std::max(m, e.hqc_round);
  return m;
}

Round MessageRound(const Message& m) {
  struct V {
    Round operator()(const ProposalMsg& p) const { return p.block.round; }
    Round operator()(const VoteMsg& v) const { return v.vote.data.round; }
    Round operator()(const TimeoutMsg& t) const { return t.timeout.round; }
    Round operator()(const SyncMsg& s) const { return s.sync.highest_qc.round(); }
  };
  return std::visit(V{}, m);
}

Bytes BlockHeaderBytes(const Block& b) {
  Bytes out;
  out.reserve(8 * 5 + 32 * 2 + 4 + 8 + 4 * (1 + b.qc.signatures.size()));
  PutU64(out, b.epoch);
  PutU64(out, b.round);
  PutU64(out, b.height);
  PutFixed(out, b.parent_id);
  PutU64(out, b.qc.round());
  // The signers of the embedded QC: the leader of the next round is elected among them
  // (ValidatorSet::Leader), so every node must see the same set for a given block id.
  PutU32(out, static_cast<uint32_t>(b.qc.signatures.size()));
  for (const auto& entry : b.qc.signatures) PutU32(out, entry.first);
  PutFixed(out, crypto::Sha256Of(ByteView(b.payload)));
  PutU64(out, b.timestamp_ms);
  PutU32(out, b.proposer);
  return out;
}

BlockId ComputeBlockId(const Block& b) {
  return crypto::TaggedHash(kBlockIdDomain, BlockHeaderBytes(b));
}

Bytes ProposalSignBytes(uint64_t epoch, Round round, const BlockId& id) {
  Bytes out;
  PutU64(out, epoch);
  PutU64(out, round);
  PutFixed(out, id);
  return out;
}

Bytes VoteSignBytes(const VoteData& d) {
  Bytes out;
  out.reserve(8 * 3 + 64);
  PutU64(out, d.epoch);
  PutU64(out, d.round);
  PutFixed(out, d.block_id);
  PutU64(out, d.parent_round);
  PutFixed(out, d.parent_id);
  return out;
}

Bytes TimeoutSignBytes(const BlockId& genesis_id, uint64_t epoch, Round round, Round hqc_round) {
  Bytes out;
  out.reserve(32 + 8 * 3);
  PutFixed(out, genesis_id);
  PutU64(out, epoch);
  PutU64(out, round);
  PutU64(out, hqc_round);
  return out;
}

void SignBlock(Block& b, const crypto::PrivateKey& key) {
  b.id = ComputeBlockId(b);
  b.signature =
      crypto::SignWithDomain(key, kProposalDomain, ProposalSignBytes(b.epoch, b.round, b.id));
}

Vote SignVote(const VoteData& d, uint32_t signer, const crypto::PrivateKey& key) {
  Vote v;
  v.data = d;
  v.signer = signer;
  v.signature = crypto::SignWithDomain(key, kVoteDomain, VoteSignBytes(d));
  return v;
}

TimeoutVote SignTimeout(const BlockId& genesis_id, uint64_t epoch, Round round,
                        const QuorumCert& hqc, uint32_t signer, const crypto::PrivateKey& key) {
  TimeoutVote t;
  t.epoch = epoch;
  t.round = round;
  t.high_qc = hqc;
  t.signer = signer;
  t.signature = crypto::SignWithDomain(key, kTimeoutDomain,
                                       TimeoutSignBytes(genesis_id, epoch, round, hqc.round()));
  return t;
}

VoteData VoteDataFor(const Block& b) {
  return VoteData{b.epoch, b.round, b.id, b.qc.round(), b.parent_id};
}

Block GenesisBlock(uint64_t epoch, std::string_view chain_id) {
  Block g;
  g.epoch = epoch;
  g.id = crypto::TaggedHash(kGenesisDomain, AsBytes(chain_id));
  g.qc = QuorumCert{VoteData{epoch, 0, g.id, 0, g.id}, {}};
  return g;
}

QuorumCert GenesisQc(const Block& genesis) {
  return QuorumCert{VoteData{genesis.epoch, 0, genesis.id, 0, genesis.id}, {}};
}

std::string ShortId(const BlockId& id) { return HexEncode(ByteView(id.data(), 4)); }

}  // namespace laurel::consensus

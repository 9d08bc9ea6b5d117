#include "consensus/validator_set.h"

#include <string>

namespace laurel::consensus {

bool DirectSignatureChecker::Check(const PublicKey& key, std::string_view domain, ByteView message,
                                   const Signature& signature) {
  return crypto::VerifyWithDomain(key, domain, message, signature);
}

ValidatorSet::ValidatorSet(uint64_t epoch, std::vector<PublicKey> keys, BlockId genesis_id,
                           SignatureChecker* checker, const LeaderElection* election)
    : epoch_(epoch),
      keys_(std::move(keys)),
      genesis_id_(genesis_id),
      checker_(checker),
      election_(election) {
  LAUREL_CHECK(!keys_.empty(), "empty validator set");
  LAUREL_CHECK(checker_ != nullptr, "no signature checker");
}

uint32_t ElectLeader(Round round, const Block* prev, uint32_t n) {
  const bool steady = prev != nullptr && prev->round + 1 == round && !prev->qc.signatures.empty() &&
                      prev->qc.data.round + 1 == prev->round;
  if (steady) {
    // The signers of prev's QC (strictly increasing in a valid QC) but prev's proposer.
    auto eligible = [&](uint32_t signer) { return signer < n && signer != prev->proposer; };
    uint64_t count = 0;
    for (const auto& entry : prev->qc.signatures) count += eligible(entry.first) ? 1 : 0;
    if (count > 0) {
      uint64_t pick = round % count;
      for (const auto& entry : prev->qc.signatures) {
        if (!eligible(entry.first)) continue;
        if (pick-- == 0) return entry.first;
      }
    }
  }
  return static_cast<uint32_t>(round % n);
}

uint32_t ValidatorSet::Leader(Round round, const Block* prev) const {
  const auto n = static_cast<uint32_t>(keys_.size());
  if (election_ != nullptr) return election_->Leader(round, prev) % n;
  return ElectLeader(round, prev, n);
}

bool ValidatorSet::CheckSig(uint32_t signer, std::string_view domain, ByteView msg,
                            const Signature& sig) const {
  if (signer >= keys_.size()) return false;
  return checker_->Check(keys_[signer], domain, msg, sig);
}

Status ValidatorSet::VerifyVote(const Vote& v) const {
  if (v.data.epoch != epoch_) return Status::InvalidArgument("vote for another epoch");
  if (v.signer >= keys_.size()) return Status::InvalidArgument("vote signer out of range");
  if (v.data.round <= v.data.parent_round) {
    return Status::InvalidArgument("vote round not above its parent round");
  }
  if (!CheckSig(v.signer, kVoteDomain, VoteSignBytes(v.data), v.signature)) {
    return Status::InvalidArgument("bad vote signature");
  }
  return Status::Ok();
}

Status ValidatorSet::VerifyQc(const QuorumCert& qc) const {
  if (qc.data.epoch != epoch_ && !(accept_other_epoch_qcs_ && !qc.signatures.empty())) {
    return Status::InvalidArgument("QC for another epoch");
  }
  if (qc.signatures.empty()) {
    const VoteData genesis{epoch_, 0, genesis_id_, 0, genesis_id_};
    if (qc.data == genesis) return Status::Ok();
    return Status::InvalidArgument("QC without signatures is not the genesis QC");
  }
  if (qc.data.round <= qc.data.parent_round) {
    return Status::InvalidArgument("QC round not above its parent round");
  }
  if (qc.signatures.size() < quorum()) return Status::InvalidArgument("QC below quorum");
  const Bytes msg = VoteSignBytes(qc.data);
  for (size_t i = 0; i < qc.signatures.size(); ++i) {
    const auto& [signer, sig] = qc.signatures[i];
    if (i > 0 && signer <= qc.signatures[i - 1].first) {
      return Status::InvalidArgument("QC signers not strictly increasing");
    }
    if (!CheckSig(signer, kVoteDomain, msg, sig)) {
      return Status::InvalidArgument("bad QC signature by " + std::to_string(signer));
    }
  }
  return Status::Ok();
}

Status ValidatorSet::VerifyTimeout(const TimeoutVote& t) const {
  if (t.epoch != epoch_) return Status::InvalidArgument("timeout for another epoch");
  if (t.high_qc.round() >= t.round) return Status::InvalidArgument("timeout hqc not below round");
  if (!CheckSig(t.signer, kTimeoutDomain,
                TimeoutSignBytes(genesis_id_, t.epoch, t.round, t.high_qc.round()), t.signature)) {
    return Status::InvalidArgument("bad timeout signature");
  }
  return VerifyQc(t.high_qc);
}

Status ValidatorSet::VerifyTc(const TimeoutCert& tc) const {
  if (tc.epoch != epoch_) return Status::InvalidArgument("TC for another epoch");
  if (tc.entries.size() < quorum()) return Status::InvalidArgument("TC below quorum");
  for (size_t i = 0; i < tc.entries.size(); ++i) {
    const TimeoutEntry& e = tc.entries[i];
    if (i > 0 && e.signer <= tc.entries[i - 1].signer) {
      return Status::InvalidArgument("TC signers not strictly increasing");
    }
    if (e.hqc_round >= tc.round) return Status::InvalidArgument("TC entry hqc not below round");
    if (!CheckSig(e.signer, kTimeoutDomain,
                  TimeoutSignBytes(genesis_id_, tc.epoch, tc.round, e.hqc_round), e.signature)) {
      return Status::InvalidArgument("bad TC signature by " + std::to_string(e.signer));
    }
  }
  if (tc.high_qc.round() != tc.MaxHqcRound()) {
    return Status::InvalidArgument("TC high QC is not the highest signed hqc round");
  }
  return VerifyQc(tc.high_qc);
}

Status ValidatorSet::VerifyBlock(const Block& b) const {
  if (b.epoch != epoch_) return Status::InvalidArgument("block for another epoch");
  if (b.height == 0 || b.round == 0) return Status::InvalidArgument("block at height/round 0");
  if (ComputeBlockId(b) != b.id) return Status::InvalidArgument("block id mismatch");
  if (b.proposer >= keys_.size()) return Status::InvalidArgument("proposer out of range");
  if (b.qc.block_id() != b.parent_id) return Status::InvalidArgument("QC does not certify parent");
  if (b.qc.round() >= b.round) return Status::InvalidArgument("block round not above its QC");
  if (!CheckSig(b.proposer, kProposalDomain, ProposalSignBytes(b.epoch, b.round, b.id),
                b.signature)) {
    return Status::InvalidArgument("bad proposal signature");
  }
  return VerifyQc(b.qc);
}

Status ValidatorSet::VerifySyncInfo(const SyncInfo& s) const {
  LAUREL_RETURN_IF_ERROR(VerifyQc(s.highest_qc));
  LAUREL_RETURN_IF_ERROR(VerifyQc(s.highest_commit_qc));
  if (s.highest_tc) LAUREL_RETURN_IF_ERROR(VerifyTc(*s.highest_tc));
  return Status::Ok();
}

}  // namespace laurel::consensus

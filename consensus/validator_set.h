// The validator set of one epoch: keys by index, the quorum size, the leader of each round, and
// verification of every signed consensus object against the set.
//
// Verification never aborts on bad input: it returns InvalidArgument naming what is wrong.
// Signature checks go through a SignatureChecker so that a host may memoise them (the
// simulator verifies each distinct signature once) or run them elsewhere.
//
// Thread safety: const methods are safe to call concurrently if the checker is.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "consensus/types.h"

namespace laurel::consensus {

class SignatureChecker {
 public:
  virtual ~SignatureChecker() = default;
  // True iff `signature` is a valid Ed25519 signature by `key` over `domain || message`.
  virtual bool Check(const PublicKey& key, std::string_view domain, ByteView message,
                     const Signature& signature) = 0;
};

// Checks every signature with crypto::VerifyWithDomain.
class DirectSignatureChecker : public SignatureChecker {
 public:
  bool Check(const PublicKey& key, std::string_view domain, ByteView message,
             const Signature& signature) override;
};

// Which validator leads a round, when a host replaces the built-in rule (the simulator's
// scripted leader tables). `prev` is as for ValidatorSet::Leader.
class LeaderElection {
 public:
  virtual ~LeaderElection() = default;
  virtual uint32_t Leader(Round round, const Block* prev) const = 0;
};

// The built-in election of ValidatorSet::Leader for n validators (a pure function; exposed so
// that a scripted election can fall back to it).
uint32_t ElectLeader(Round round, const Block* prev, uint32_t n);

class ValidatorSet {
 public:
  // `checker` and `election` (optional; round-robin when null) must outlive the set.
  ValidatorSet(uint64_t epoch, std::vector<PublicKey> keys, BlockId genesis_id,
               SignatureChecker* checker, const LeaderElection* election = nullptr);

  uint64_t epoch() const { return epoch_; }
  size_t size() const { return keys_.size(); }
  // The number of faults tolerated, f = (n - 1) / 3, and the quorum n - f (>= 2f + 1).
  size_t max_faulty() const { return (keys_.size() - 1) / 3; }
  size_t quorum() const { return keys_.size() - max_faulty(); }
  const PublicKey& key(uint32_t index) const { return keys_.at(index); }
  // The epoch's root block id: the genesis block for the first epoch, else the previous epoch's
  // last block (docs/spec/consensus.md §13). Timeouts sign it.
  const BlockId& genesis_id() const { return genesis_id_; }
  const LeaderElection* election() const { return election_; }
  // The leader of `round` (docs/spec/consensus.md §4a). `prev` is the block a proposal for
  // `round` extends: the parent named by its QC, or nullptr when unknown. The rule is a pure
  // function of (round, prev), so every node that checks a proposal computes the same leader:
  //  - steady state: prev was proposed in round-1 and certifies its own parent from round-2
  //    (prev.qc.round == prev.round-1). The leader is among the signers of prev.qc (who voted
  //    one round earlier) other than prev's proposer: signers[round mod count]. A validator that
  //    stopped voting is not elected, and no validator leads two rounds in a row.
  //  - otherwise (after a timeout, at genesis, or prev unknown): round-robin, round mod n.
  uint32_t Leader(Round round, const Block* prev = nullptr) const;
  // Whether `b` was proposed by the leader of its round, given its parent.
  bool LeadsRound(const Block& b, const Block& parent) const {
    return b.proposer == Leader(b.round, &parent);
  }

  Status VerifyVote(const Vote& v) const;
  Status VerifyTimeout(const TimeoutVote& t) const;  // also verifies t.high_qc
  Status VerifyQc(const QuorumCert& qc) const;       // the genesis QC is valid without signatures
  Status VerifyTc(const TimeoutCert& tc) const;      // also verifies tc.high_qc
  // Checks the id, the proposer's signature and the QC. Whether the proposer leads the round
  // depends on the parent (Leader): the engine checks it when the parent is known (LeadsRound).
  Status VerifyBlock(const Block& b) const;
  Status VerifySyncInfo(const SyncInfo& s) const;

  // Mutation canary only (the simulator's epoch mutation 2): signed QCs of other epochs verify.
  void set_accept_other_epoch_qcs_for_canary(bool on) { accept_other_epoch_qcs_ = on; }

 private:
  bool CheckSig(uint32_t signer, std::string_view domain, ByteView msg, const Signature& sig) const;

  uint64_t epoch_;
  std::vector<PublicKey> keys_;
  BlockId genesis_id_;
  SignatureChecker* checker_;
  const LeaderElection* election_;
  bool accept_other_epoch_qcs_ = false;
};

}  // namespace laurel::consensus

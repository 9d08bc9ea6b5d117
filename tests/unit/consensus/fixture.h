// Shared helpers for the consensus unit tests: four validators with fixed keys, and builders
// for signed blocks, QCs and TCs.
#pragma once

#include <vector>

#include "consensus/engine.h"

namespace laurel::consensus::test {

inline const std::vector<crypto::PrivateKey>& TestKeys() {
  static const std::vector<crypto::PrivateKey> keys = [] {
    std::vector<crypto::PrivateKey> k;
    for (uint8_t i = 0; i < 4; ++i)
      k.push_back(crypto::PrivateKey::FromSeed(Bytes(32, i + 1)).value());
    return k;
  }();
  return keys;
}

struct Fixture {
  Block genesis = GenesisBlock(1, "unit");
  DirectSignatureChecker checker;
  ValidatorSet vs{1, Keys(), genesis.id, &checker};

  static std::vector<PublicKey> Keys() {
    std::vector<PublicKey> v;
    for (const auto& k : TestKeys()) v.push_back(k.public_key());
    return v;
  }
  QuorumCert GQc() const { return GenesisQc(genesis); }

  // A block of `round` extending the block certified by `qc` (parent given for the height).
  Block MakeBlock(Round round, const Block& parent, const QuorumCert& qc, uint8_t tag = 0) const {
    Block b;
    b.epoch = 1;
    b.round = round;
    b.height = parent.height + 1;
    b.parent_id = parent.id;
    b.qc = qc;
    b.payload = {tag};
    b.timestamp_ms = 1000 + round;
    b.proposer = vs.Leader(round, &parent);
    SignBlock(b, TestKeys()[b.proposer]);
    return b;
  }
  QuorumCert MakeQc(const Block& b, std::vector<uint32_t> signers = {0, 1, 2}) const {
    QuorumCert qc{VoteDataFor(b), {}};
    for (uint32_t s : signers) {
      qc.signatures.push_back({s, SignVote(qc.data, s, TestKeys()[s]).signature});
    }
    return qc;
  }
  TimeoutCert MakeTc(Round round, const std::vector<QuorumCert>& hqcs) const {
    TimeoutCert tc;
    tc.epoch = 1;
    tc.round = round;
    for (uint32_t s = 0; s < hqcs.size(); ++s) {
      const TimeoutVote t = SignTimeout(genesis.id, 1, round, hqcs[s], s, TestKeys()[s]);
      tc.entries.push_back({s, hqcs[s].round(), t.signature});
      if (s == 0 || hqcs[s].round() > tc.high_qc.round()) tc.high_qc = hqcs[s];
    }
    return tc;
  }
};

}  // namespace laurel::consensus::test

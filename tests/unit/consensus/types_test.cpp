#include <catch2/catch.hpp>

#include "consensus/codec.h"
#include "tests/unit/consensus/fixture.h"

using namespace laurel;
using namespace laurel::consensus;
using namespace laurel::consensus::test;

namespace {
Hash32 Filled(uint8_t v) {
  Hash32 h;
  h.fill(v);
  return h;
}
std::string WithDomain(std::string_view domain, const Bytes& b) {
  Bytes all(domain.begin(), domain.end());
  all.insert(all.end(), b.begin(), b.end());
  return HexEncode(all);
}
// The key of the golden vectors: seed 0x01 * 32 (validator 0 of the fixture).
const crypto::PrivateKey& GoldenKey() { return TestKeys()[0]; }
}  // namespace

// The vectors below are the ones in docs/spec/consensus.md, "Signed layouts".
TEST_CASE("vote sign-bytes match the golden vector", "[types][golden]") {
  const VoteData d{1, 7, Filled(0xaa), 6, Filled(0xbb)};
  CHECK(WithDomain(kVoteDomain, VoteSignBytes(d)) ==
        "6c617572656c2f766f74652f76310000000000000000010000000000000007aa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa00"
        "00000000000006bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
        "bbbbbbbbbbbbbb");
  CHECK(HexEncode(SignVote(d, 0, GoldenKey()).signature) ==
        "587b430203d828e87b4772bab22a47cef7a06159fcf49c00442fcf47ddff2d66"
        "b559638da2b31b1209f0f12fae6feb8af956a20b4383445e2d1b2fe213fced04");
}

TEST_CASE("timeout sign-bytes match the golden vector", "[types][golden]") {
  // The genesis id of chain "laurel-test" (the genesis vector below).
  const BlockId genesis_id = GenesisBlock(1, "laurel-test").id;
  CHECK(WithDomain(kTimeoutDomain, TimeoutSignBytes(genesis_id, 1, 9, 7)) ==
        "6c617572656c2f74696d656f75742f76320007fe1a8012978f90a39efb0a34d0"
        "6b8dfd9500bf643975ff807704c3812dd2f30000000000000001000000000000"
        "00090000000000000007");
  const TimeoutVote t =
      SignTimeout(genesis_id, 1, 9, QuorumCert{VoteData{1, 7, {}, 6, {}}, {}}, 0, GoldenKey());
  CHECK(HexEncode(t.signature) ==
        "cd24d349d63ba4e5374ef7703b6bb0b8aa0d4c80241193007be53d0a3b48bec9"
        "ac35e93f06debdac50de471f50e4c685ad56a72827a5741cd6393e27a368630c");
}

TEST_CASE("block id and proposal sign-bytes match the golden vector", "[types][golden]") {
  Block b;
  b.epoch = 1;
  b.round = 7;
  b.height = 5;
  b.parent_id = Filled(0xbb);
  b.qc.data = VoteData{1, 6, Filled(0xbb), 5, Filled(0xcc)};
  // The QC's signers are part of the id (not their signatures).
  b.qc.signatures = {{0, Signature{}}, {1, Signature{}}, {3, Signature{}}};
  b.payload = {'h', 'i'};
  b.timestamp_ms = 1700000000000;
  b.proposer = 3;
  CHECK(WithDomain(kBlockIdDomain, BlockHeaderBytes(b)) ==
        "6c617572656c2f626c6f636b2f76320000000000000000010000000000000007"
        "0000000000000005bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
        "bbbbbbbbbbbbbbbb000000000000000600000003000000000000000100000003"
        "8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4"
        "0000018bcfe5680000000003");
  CHECK(HexEncode(ComputeBlockId(b)) ==
        "f6cef7b024ca9a6892b182d910b8551ce364aff0f4ce77741512122ddd89a6d0");
  SignBlock(b, GoldenKey());
  CHECK(WithDomain(kProposalDomain, ProposalSignBytes(1, 7, b.id)) ==
        "6c617572656c2f70726f706f73616c2f76310000000000000000010000000000"
        "000007f6cef7b024ca9a6892b182d910b8551ce364aff0f4ce77741512122ddd"
        "89a6d0");
  CHECK(HexEncode(b.signature) ==
        "5c5ec90b1e95d4911bd7067a87cdd5608196f20429dcf8e1b5976e7fbd671150"
        "f8791a91ac202851916bb97c75fb4716748f0a2562fd5ec3d915b116fae1850b");
  // Another signer set is another block.
  Block other = b;
  other.qc.signatures = {{0, Signature{}}, {1, Signature{}}, {2, Signature{}}};
  CHECK(ComputeBlockId(other) != b.id);
}

TEST_CASE("the genesis id is the tagged hash of the chain id", "[types][golden]") {
  CHECK(HexEncode(GenesisBlock(1, "laurel-test").id) ==
        "07fe1a8012978f90a39efb0a34d06b8dfd9500bf643975ff807704c3812dd2f3");
}

TEST_CASE("a QC verifies and forged, duplicate or short signature sets are rejected",
          "[types][qc]") {
  Fixture fx;
  const Block b1 = fx.MakeBlock(1, fx.genesis, fx.GQc());
  QuorumCert qc = fx.MakeQc(b1);
  CHECK(fx.vs.VerifyQc(qc).ok());
  CHECK(fx.vs.VerifyQc(fx.GQc()).ok());

  QuorumCert forged = qc;
  forged.signatures[1].second[5] ^= 1;
  CHECK_FALSE(fx.vs.VerifyQc(forged).ok());

  QuorumCert dup = qc;
  dup.signatures[2] = dup.signatures[1];  // the same signer twice
  CHECK_FALSE(fx.vs.VerifyQc(dup).ok());

  QuorumCert wrong_signer = qc;
  wrong_signer.signatures[2].first = 3;  // valid signature of 2 claimed by 3
  CHECK_FALSE(fx.vs.VerifyQc(wrong_signer).ok());

  QuorumCert out_of_range = qc;
  out_of_range.signatures[2].first = 99;
  CHECK_FALSE(fx.vs.VerifyQc(out_of_range).ok());

  QuorumCert short_qc = qc;
  short_qc.signatures.pop_back();
  CHECK_FALSE(fx.vs.VerifyQc(short_qc).ok());

  QuorumCert other_data = qc;
  other_data.data.round = 2;
  CHECK_FALSE(fx.vs.VerifyQc(other_data).ok());

  QuorumCert fake_genesis{VoteData{1, 0, Filled(1), 0, Filled(1)}, {}};
  CHECK_FALSE(fx.vs.VerifyQc(fake_genesis).ok());
}

TEST_CASE("a TC verifies only with a quorum of valid timeouts and its highest QC", "[types][tc]") {
  Fixture fx;
  const Block b1 = fx.MakeBlock(1, fx.genesis, fx.GQc());
  const QuorumCert q1 = fx.MakeQc(b1);
  TimeoutCert tc = fx.MakeTc(2, {q1, fx.GQc(), q1});
  CHECK(fx.vs.VerifyTc(tc).ok());
  CHECK(tc.MaxHqcRound() == 1);

  TimeoutCert lowered = tc;
  lowered.entries[0].hqc_round = 0;  // claims a lower hqc round than signed
  CHECK_FALSE(fx.vs.VerifyTc(lowered).ok());

  TimeoutCert wrong_high = tc;
  wrong_high.high_qc = fx.GQc();  // not the highest
  CHECK_FALSE(fx.vs.VerifyTc(wrong_high).ok());

  TimeoutCert dup = tc;
  dup.entries[1] = dup.entries[0];
  CHECK_FALSE(fx.vs.VerifyTc(dup).ok());

  TimeoutCert short_tc = tc;
  short_tc.entries.pop_back();
  CHECK_FALSE(fx.vs.VerifyTc(short_tc).ok());
}

TEST_CASE("a timeout or TC signed for another chain does not verify, even with the same keys",
          "[types][tc]") {
  Fixture fx;  // chain "unit"
  const Block other_genesis = GenesisBlock(1, "unit-other");
  const ValidatorSet other{1, Fixture::Keys(), other_genesis.id, &fx.checker};
  const ValidatorSet same{1, Fixture::Keys(), fx.genesis.id, &fx.checker};
  // A QC of a real block verifies under either set (only the genesis QC names the genesis), so
  // the timeout signature is the only thing that tells the chains apart.
  const Block b1 = fx.MakeBlock(1, fx.genesis, fx.GQc());
  const QuorumCert q1 = fx.MakeQc(b1);
  REQUIRE(other.VerifyQc(q1).ok());

  const TimeoutVote t = SignTimeout(fx.genesis.id, 1, 2, q1, 1, TestKeys()[1]);
  CHECK(fx.vs.VerifyTimeout(t).ok());
  CHECK(same.VerifyTimeout(t).ok());
  const Status st = other.VerifyTimeout(t);
  CHECK(st.code() == StatusCode::kInvalidArgument);
  CHECK(st.message() == "bad timeout signature");
  // Signed for the other chain: valid there only.
  const TimeoutVote t_other = SignTimeout(other_genesis.id, 1, 2, q1, 1, TestKeys()[1]);
  CHECK(other.VerifyTimeout(t_other).ok());
  CHECK_FALSE(fx.vs.VerifyTimeout(t_other).ok());

  const TimeoutCert tc = fx.MakeTc(2, {q1, q1, q1});
  CHECK(fx.vs.VerifyTc(tc).ok());
  const Status tst = other.VerifyTc(tc);
  CHECK(tst.code() == StatusCode::kInvalidArgument);
  CHECK(tst.message() == "bad TC signature by 0");

  // The safety rules sign for the chain they were given.
  MemorySafetyStore store;
  SafetyRules rules{TestKeys()[3], 3, 1, other_genesis.id, store};
  REQUIRE(rules.Load(GenesisQc(other_genesis)).ok());
  auto signed_other = rules.SignTimeout(2, q1, nullptr);
  REQUIRE(signed_other.ok());
  CHECK(other.VerifyTimeout(*signed_other).ok());
  CHECK_FALSE(fx.vs.VerifyTimeout(*signed_other).ok());
}

TEST_CASE("blocks from the wrong proposer or with a bad id are rejected", "[types]") {
  Fixture fx;
  Block b1 = fx.MakeBlock(1, fx.genesis, fx.GQc());
  CHECK(fx.vs.VerifyBlock(b1).ok());
  CHECK(fx.vs.LeadsRound(b1, fx.genesis));
  // Signed by a validator that does not lead round 1: a well-formed block (VerifyBlock), but
  // not the leader's (LeadsRound, checked by the engine once the parent is known).
  Block wrong = b1;
  wrong.proposer = 2;
  SignBlock(wrong, TestKeys()[2]);
  CHECK(fx.vs.VerifyBlock(wrong).ok());
  CHECK_FALSE(fx.vs.LeadsRound(wrong, fx.genesis));
  Block forged = b1;
  forged.proposer = 2;  // claims validator 2, signed by 1's key
  forged.id = ComputeBlockId(forged);
  forged.signature = crypto::SignWithDomain(TestKeys()[1], kProposalDomain,
                                            ProposalSignBytes(1, 1, forged.id));
  CHECK_FALSE(fx.vs.VerifyBlock(forged).ok());
  Block tampered = b1;
  tampered.payload.push_back(7);
  CHECK_FALSE(fx.vs.VerifyBlock(tampered).ok());
}

TEST_CASE("block encoding round-trips and rejects every truncation", "[types][codec]") {
  Fixture fx;
  const Block b1 = fx.MakeBlock(1, fx.genesis, fx.GQc());
  const Block b2 = fx.MakeBlock(2, b1, fx.MakeQc(b1), 9);
  Writer w;
  EncodeBlock(w, b2);
  const Bytes enc = w.Take();
  Reader r(enc);
  auto dec = DecodeBlock(r);
  REQUIRE(dec.ok());
  CHECK(r.done());
  CHECK(dec->id == b2.id);
  CHECK(dec->qc == b2.qc);
  CHECK(fx.vs.VerifyBlock(*dec).ok());
  for (size_t len = 0; len < enc.size(); ++len) {
    Reader rr(ByteView(enc.data(), len));
    CHECK_FALSE(DecodeBlock(rr).ok());
  }
}

TEST_CASE("the leader of a round is a function of the block it extends", "[types][leader]") {
  Fixture fx;  // four validators, 0..3
  const Block b1 = fx.MakeBlock(1, fx.genesis, fx.GQc());
  // Round-robin while there is no steady chain: at genesis, and without prev.
  CHECK(fx.vs.Leader(1, &fx.genesis) == 1);
  CHECK(fx.vs.Leader(2, &b1) == 2);  // b1 carries the genesis QC (no signers)
  CHECK(fx.vs.Leader(7, nullptr) == 3);

  // b2 (round 2) certifies b1 (round 1) with signers {0, 2, 3}: the leader of round 3 is one of
  // them but b2's proposer, chosen by the round; validator 1, absent, is not elected.
  const Block b2 = fx.MakeBlock(2, b1, fx.MakeQc(b1, {0, 2, 3}));
  const uint32_t l3 = fx.vs.Leader(3, &b2);
  CHECK(l3 != b2.proposer);
  CHECK(l3 != 1);
  // signers but b2's proposer (2), in index order: {0, 3}; round 3 mod 2 = 1 -> 3.
  CHECK(b2.proposer == 2);
  CHECK(l3 == 3);
  for (Round r = 3; r < 3 + 40; ++r) {
    Block prev = b2;
    prev.round = r - 1;
    prev.qc.data.round = r - 2;
    const uint32_t l = fx.vs.Leader(r, &prev);
    CHECK(l != 1);
    CHECK(l != prev.proposer);
  }
  // Not steady: prev is not of the round before (a timeout came between) -> round-robin.
  CHECK(fx.vs.Leader(4, &b2) == 0);
  // Not steady: prev's QC is not of the round before prev -> round-robin.
  const Block b4 = fx.MakeBlock(4, b2, fx.MakeQc(b2, {0, 1, 2}));  // round 3 timed out
  CHECK(fx.vs.Leader(5, &b4) == 1);
  // Same inputs, same answer: the election reads nothing but (round, prev).
  for (int i = 0; i < 3; ++i) CHECK(fx.vs.Leader(3, &b2) == l3);
  // The signers are part of prev's id: another set is another block, not another leader for
  // the same block.
  Block other = b2;
  other.qc = fx.MakeQc(b1, {0, 1, 3});
  CHECK(ComputeBlockId(other) != b2.id);
}

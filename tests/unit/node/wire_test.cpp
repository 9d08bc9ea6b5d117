#include <catch2/catch.hpp>
#include <random>

#include "node/payload.h"
#include "node/wire.h"

using namespace laurel;
using namespace laurel::node;
namespace cs = laurel::consensus;

namespace {
crypto::PrivateKey Key(uint8_t tag) { return crypto::PrivateKey::FromSeed(Bytes(32, tag)).value(); }

cs::Block SomeBlock() {
  const cs::Block g = cs::GenesisBlock(0, "wire-test");
  cs::Block b;
  b.round = 1;
  b.height = 1;
  b.parent_id = g.id;
  b.qc = cs::GenesisQc(g);
  b.payload = {1, 2, 3};
  b.timestamp_ms = 42;
  b.proposer = 1;
  cs::SignBlock(b, Key(1));
  return b;
}

types::Tx SomeTx(uint8_t n) {
  types::TxBody body{"c", Bytes(16, n), 10,
                     types::RotateIssuerKey{"fed", Bytes(32, n)}};
  types::Tx tx = types::MakeTx(body);
  types::SignTx(tx, Key(n));
  return tx;
}
}  // namespace

TEST_CASE("every wire message round-trips through its encoding", "[wire]") {
  const cs::Block b = SomeBlock();
  const cs::Vote v = cs::SignVote(cs::VoteDataFor(b), 2, Key(2));
  cs::SyncInfo sync{b.qc, b.qc, std::nullopt};
  cs::TimeoutCert tc;
  tc.round = 3;
  tc.high_qc = b.qc;
  tc.entries.push_back({1, 0, cs::Signature{}});
  cs::SyncInfo sync_tc{b.qc, b.qc, tc};
  StateAttestation a{2, 7, b.id, b.id, b.id, 99, b.id, 3, {}};
  a.signature = Key(3).Sign(AttestationSignBytes("c", a));

  std::vector<WireMessage> msgs = {
      cs::Message(cs::ProposalMsg{b, sync}),
      cs::Message(cs::VoteMsg{v, sync_tc}),
      cs::Message(cs::TimeoutMsg{cs::SignTimeout(b.parent_id, 0, 2, b.qc, 1, Key(1)), sync}),
      cs::Message(cs::SyncMsg{sync_tc}),
      FetchRequestMsg{b.id, 5},
      FetchResponseMsg{{b, b}},
      TxBatchMsg{{Bytes{1, 2}, Bytes{}}},
      SyncRequestMsg{10, 64},
      SyncResponseMsg{12, {SyncBlock{b, b.qc, b.qc, std::nullopt},
                           SyncBlock{b, b.qc, b.qc, StateCertificate{a, {{1, a.signature}}}}}},
      AttestationMsg{a},
      HelloMsg{77},
  };
  for (const auto& m : msgs) {
    const Bytes wire = EncodeWire(m);
    auto back = DecodeWire(wire);
    INFO("kind index " << m.index());
    REQUIRE(back.ok());
    CHECK(back->index() == m.index());
    CHECK(EncodeWire(*back) == wire);
  }
  auto back = DecodeWire(EncodeWire(cs::Message(cs::ProposalMsg{b, sync})));
  const auto& p = std::get<cs::ProposalMsg>(std::get<cs::Message>(*back));
  CHECK(p.block.id == b.id);
  CHECK(p.block.payload == b.payload);
}

TEST_CASE("truncated, extended and random wire bytes are refused without a crash",
          "[wire][badinput]") {
  const Bytes wire = EncodeWire(cs::Message(cs::ProposalMsg{SomeBlock(), {}}));
  for (size_t n = 0; n < wire.size(); ++n) {
    CHECK_FALSE(DecodeWire(ByteView(wire.data(), n)).ok());
  }
  Bytes longer = wire;
  longer.push_back(0);
  CHECK_FALSE(DecodeWire(longer).ok());
  CHECK_FALSE(DecodeWire(Bytes{200}).ok());
  const uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 20000; ++i) {
    Bytes b(rng() % 300);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    if (!b.empty()) b[0] = static_cast<uint8_t>(rng() % 20);
    (void)DecodeWire(b);  // must not crash, hang or allocate unboundedly
  }
  // A huge declared list length is refused, not allocated.
  Bytes batch = {12, 0xff, 0xff, 0xff, 0xff};
  CHECK_FALSE(DecodeWire(batch).ok());
}

TEST_CASE("a payload round-trips, and only its canonical encoding decodes", "[payload]") {
  const std::vector<types::Tx> txs = {SomeTx(1), SomeTx(2), SomeTx(3)};
  const Bytes p = EncodePayload(txs);
  auto back = DecodePayload(p);
  REQUIRE(back.has_value());
  REQUIRE(back->size() == 3);
  CHECK(types::TxId((*back)[2]) == types::TxId(txs[2]));
  CHECK(EncodePayload({}).empty());
  CHECK(DecodePayload({})->empty());
  CHECK_FALSE(DecodePayload(Bytes{0, 0, 0, 0}).has_value());  // zero count is not canonical
  Bytes trailing = p;
  trailing.push_back(0);
  CHECK_FALSE(DecodePayload(trailing).has_value());
  for (size_t n = 1; n < p.size(); n += 7) {
    CHECK_FALSE(DecodePayload(ByteView(p.data(), n)).has_value());
  }
}

TEST_CASE("stored headers and commit proofs round-trip", "[wire]") {
  const cs::Block b = SomeBlock();
  bool kept = true;
  auto stripped = DecodeStoredHeader(EncodeStoredHeader(b, false), &kept);
  REQUIRE(stripped.ok());
  CHECK_FALSE(kept);
  CHECK(stripped->payload.empty());
  auto full = DecodeStoredHeader(EncodeStoredHeader(b, true), &kept);
  REQUIRE(full.ok());
  CHECK(kept);
  CHECK(full->id == b.id);
  cs::QuorumCert q1;
  cs::QuorumCert q2;
  REQUIRE(DecodeCommitProof(EncodeCommitProof(b.qc, b.qc), &q1, &q2).ok());
  CHECK(q1 == b.qc);
  CHECK(q2 == b.qc);
  CHECK_FALSE(DecodeCommitProof(Bytes{1, 2, 3}, &q1, &q2).ok());
}

TEST_CASE("a state certificate round-trips and refuses trailing bytes", "[wire][badinput]") {
  StateCertificate c;
  c.data.height = 5;
  c.signatures = {{0, crypto::Signature{}}, {2, crypto::Signature{}}};
  Bytes enc = EncodeStateCertificate(c);
  auto back = DecodeStateCertificate(enc);
  REQUIRE(back.ok());
  CHECK(back->data.height == 5);
  CHECK(back->signatures.size() == 2);
  enc.push_back(1);
  CHECK_FALSE(DecodeStateCertificate(enc).ok());
}

// Found by fuzz/records: flag 0 says the payload was stripped, yet a payload was accepted (and
// ignored), so two byte strings decoded to the same stored header.
TEST_CASE("a stored header flagged stripped but carrying a payload is refused",
          "[wire][badinput]") {
  cs::Block b = SomeBlock();
  REQUIRE_FALSE(b.payload.empty());
  Bytes bytes = EncodeStoredHeader(b, /*keep_payload=*/true);
  bool kept = false;
  REQUIRE(DecodeStoredHeader(bytes, &kept).ok());
  CHECK(kept);
  bytes[0] = 0;  // "stripped", with the payload still in it
  CHECK_FALSE(DecodeStoredHeader(bytes, &kept).ok());
  auto stripped = DecodeStoredHeader(EncodeStoredHeader(b, false), &kept);
  REQUIRE(stripped.ok());
  CHECK_FALSE(kept);
  CHECK(stripped->payload.empty());
}

// Digest batches (node/batch.h), the batch store (node/batch_store.h), their wire messages
// (node/wire.h) and version-2 payloads (node/payload.h), with the inputs a Byzantine validator
// can send.
#include "node/batch_store.h"

#include <catch2/catch.hpp>
#include <random>

#include "node/batch_fetcher.h"
#include "node/payload.h"
#include "node/wire.h"

using namespace laurel;
using namespace laurel::node;

namespace {
constexpr char kChain[] = "batch-test 工会";

crypto::PrivateKey Key(uint8_t tag) {
  return crypto::PrivateKey::FromSeed(Bytes(32, static_cast<uint8_t>(tag + 1))).value();
}
std::vector<crypto::PublicKey> Keys(size_t n = 4) {
  std::vector<crypto::PublicKey> k;
  for (size_t i = 0; i < n; ++i) k.push_back(Key(static_cast<uint8_t>(i)).public_key());
  return k;
}

Batch MakeBatch(uint32_t author, uint64_t id, uint64_t expires, size_t txs = 3,
                size_t tx_bytes = 100) {
  Batch b;
  b.epoch = 1;
  b.author = author;
  b.batch_id = id;
  b.expires_at_height = expires;
  for (size_t i = 0; i < txs; ++i) {
    b.txs.push_back(Bytes(tx_bytes, static_cast<uint8_t>(author * 31 + id * 7 + i)));
  }
  return b;
}

BatchAck Ack(const BatchInfo& info, uint32_t signer) {
  BatchAck a{info, signer, {}};
  a.signature = Key(static_cast<uint8_t>(signer)).Sign(BatchAckSignBytes(kChain, info));
  return a;
}

ProofOfAvailability Proof(const BatchInfo& info, std::vector<uint32_t> signers) {
  ProofOfAvailability p;
  p.info = info;
  for (uint32_t s : signers) p.signatures.emplace_back(s, Ack(info, s).signature);
  return p;
}

BatchStore Store(uint32_t me = 0, BatchStore::Limits limits = {}) {
  return BatchStore(kChain, 1, Keys(), me, limits);
}
}  // namespace

TEST_CASE("a batch's digest covers every field and every transaction byte", "[batch]") {
  const Batch b = MakeBatch(1, 5, 20);
  const Hash32 d = BatchDigest(kChain, b);
  CHECK(BatchDigest(kChain, b) == d);
  CHECK(BatchDigest("other-chain", b) != d);
  Batch c = b;
  c.epoch = 2;
  CHECK(BatchDigest(kChain, c) != d);
  c = b;
  c.author = 2;
  CHECK(BatchDigest(kChain, c) != d);
  c = b;
  c.batch_id = 6;
  CHECK(BatchDigest(kChain, c) != d);
  c = b;
  c.expires_at_height = 21;
  CHECK(BatchDigest(kChain, c) != d);
  c = b;
  c.txs[2].back() ^= 1;
  CHECK(BatchDigest(kChain, c) != d);
  c = b;
  std::swap(c.txs[0], c.txs[1]);
  CHECK(BatchDigest(kChain, c) != d);
  // The length prefixes keep the split between transactions in the digest.
  c = b;
  c.txs[0].push_back(c.txs[1].front());
  c.txs[1].erase(c.txs[1].begin());
  CHECK(BatchDigest(kChain, c) != d);
  const BatchInfo i = InfoOf(kChain, b);
  CHECK(i.digest == d);
  CHECK(i.num_txs == 3);
  CHECK(i.num_bytes == 300);
}

TEST_CASE("the batch store keeps valid batches and refuses the rest, changing nothing",
          "[batch][badinput]") {
  BatchStore s = Store();
  const Batch b = MakeBatch(1, 1, 20);
  auto info = s.Insert(1, b, 5);
  REQUIRE(info.ok());
  CHECK(s.Has(info->digest));
  REQUIRE(s.Get(info->digest) != nullptr);
  CHECK(*s.Get(info->digest) == b);
  CHECK(s.Insert(1, b, 5).ok());  // again: held already, nothing counted twice
  CHECK(s.size() == 1);
  CHECK(s.batches_of(1) == 1);
  CHECK(s.bytes_of(1) == 300);

  auto refused = [&](uint32_t sender, const Batch& x, uint64_t committed, std::string_view why) {
    const size_t before = s.size();
    const size_t bytes = s.bytes_of(x.author);
    auto r = s.Insert(sender, x, committed);
    INFO(std::string(why));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find(why) != std::string::npos);
    CHECK(s.size() == before);
    CHECK(s.bytes_of(x.author) == bytes);
  };
  refused(2, MakeBatch(1, 2, 20), 5, "pushed by validator 2");
  Batch other_epoch = MakeBatch(1, 2, 20);
  other_epoch.epoch = 2;
  refused(1, other_epoch, 5, "epoch");
  refused(7, MakeBatch(7, 1, 20), 5, "not a validator");
  refused(1, MakeBatch(1, 2, 20, 0), 5, "empty batch");
  refused(1, MakeBatch(1, 2, 6), 5, "expired");
  refused(1, MakeBatch(1, 2, 5 + 1001), 5, "more than 1000");
  refused(1, MakeBatch(1, 2, 20, kMaxBatchTxCount + 1, 1), 5, "at most");
  // Batch id 1 of validator 1 names b: a different batch under that id is refused.
  Batch twin = MakeBatch(1, 1, 20);
  twin.txs.pop_back();
  refused(1, twin, 5, "already names another batch");
}

TEST_CASE("each author's batches and bytes are bounded, one author cannot evict another's",
          "[batch][badinput]") {
  BatchStore::Limits limits;
  limits.max_batches_per_author = 3;
  limits.max_bytes_per_author = 1000;
  BatchStore s = Store(0, limits);
  REQUIRE(s.Insert(2, MakeBatch(2, 1, 50), 1).ok());
  for (uint64_t id = 1; id <= 3; ++id) REQUIRE(s.Insert(1, MakeBatch(1, id, 50), 1).ok());
  auto over = s.Insert(1, MakeBatch(1, 4, 50), 1);
  REQUIRE_FALSE(over.ok());
  CHECK(over.status().code() == StatusCode::kUnavailable);
  CHECK(s.batches_of(1) == 3);
  CHECK(s.batches_of(2) == 1);  // untouched
  // Bytes: author 3 fits 3 batches of 300 bytes, not a fourth of 300.
  BatchStore t = Store(0, limits);
  REQUIRE(t.Insert(3, MakeBatch(3, 1, 50, 3, 300), 1).ok());
  auto big = t.Insert(3, MakeBatch(3, 2, 50, 1, 200), 1);
  CHECK_FALSE(big.ok());
  CHECK(t.bytes_of(3) == 900);
  // Room comes back once a batch executed.
  const Hash32 first = InfoOf(kChain, MakeBatch(1, 1, 50)).digest;
  s.OnExecuted(first);
  CHECK_FALSE(s.Has(first));
  CHECK(s.Insert(1, MakeBatch(1, 4, 50), 1).ok());
  CHECK(s.batches_of(1) == 3);
}

// A node whose execution lags holds its share of an author's later batches; the batch its next
// block needs must still be taken when fetched (else it never executes again).
TEST_CASE("a fetched batch is kept even when its author's share of the store is full",
          "[batch]") {
  BatchStore::Limits limits;
  limits.max_batches_per_author = 2;
  BatchStore s = Store(0, limits);
  REQUIRE(s.Insert(1, MakeBatch(1, 2, 50), 1).ok());
  REQUIRE(s.Insert(1, MakeBatch(1, 3, 50), 1).ok());
  const Batch needed = MakeBatch(1, 1, 50);
  CHECK(s.Insert(1, needed, 1).status().code() == StatusCode::kUnavailable);  // pushed: refused
  auto fetched = s.InsertFetched(InfoOf(kChain, needed), needed, 1);
  REQUIRE(fetched.ok());
  CHECK(s.Has(fetched->digest));
  CHECK(s.batches_of(1) == 2);  // not counted
  s.OnExecuted(fetched->digest);
  CHECK(s.batches_of(1) == 2);
  CHECK(s.size() == 2);
  CHECK(s.OnCommitted(60) == 2);
  CHECK(s.batches_of(1) == 0);
  CHECK(s.bytes_of(1) == 0);
}

// A Byzantine author pushed A to some validators and B (same id) to others, and both have proofs:
// a node holding A must still take B when a committed block needs it.
TEST_CASE("a fetched batch is kept even when its batch id names another batch here",
          "[batch][badinput]") {
  BatchStore s = Store();
  const Batch a = MakeBatch(1, 9, 50, 3);
  const Batch b = MakeBatch(1, 9, 50, 4);
  REQUIRE(s.Insert(1, a, 1).ok());
  CHECK_FALSE(s.Insert(1, b, 1).ok());  // pushed: refused
  auto fetched = s.InsertFetched(InfoOf(kChain, b), b, 1);
  REQUIRE(fetched.ok());
  CHECK(s.Has(InfoOf(kChain, a).digest));
  CHECK(s.Has(fetched->digest));
  s.OnExecuted(fetched->digest);  // A's id stays taken
  CHECK_FALSE(s.Insert(1, b, 1).ok());
  s.OnExecuted(InfoOf(kChain, a).digest);
  CHECK(s.size() == 0);
}

// The expiry distance bounds what a peer can push; a fetched batch is named by a proof that f+1
// validators signed (each checked the distance against its own height), and a committed block
// needs it: the fetching node's height must not refuse it, or that block never executes.
TEST_CASE("a fetched batch is kept whatever its distance to the expiry height", "[batch]") {
  BatchStore s = Store();
  const Batch far = MakeBatch(1, 1, 5 + 1000 + 40);
  CHECK_FALSE(s.Insert(1, far, 5).ok());  // pushed: more than 1000 heights ahead, refused
  auto fetched = s.InsertFetched(InfoOf(kChain, far), far, 5);
  REQUIRE(fetched.ok());
  CHECK(s.Has(fetched->digest));
  CHECK(s.batches_of(1) == 0);  // outside the quota, like every fetched batch
  // Expired stays refused: no block above the committed height can execute it.
  const Batch expired = MakeBatch(1, 2, 6);
  CHECK_FALSE(s.InsertFetched(InfoOf(kChain, expired), expired, 5).ok());
  CHECK(s.OnCommitted(5 + 1000 + 39) == 1);
  CHECK(s.size() == 0);
}

TEST_CASE("batches are dropped once no further block can execute them", "[batch]") {
  BatchStore s = Store();
  const auto a = s.Insert(1, MakeBatch(1, 1, 10), 1);
  const auto b = s.Insert(2, MakeBatch(2, 1, 12), 1);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(s.OnCommitted(8) == 0);  // the next block, 9, may still execute both
  CHECK(s.OnCommitted(9) == 1);  // block 10 is at a's expiry
  CHECK_FALSE(s.Has(a->digest));
  CHECK(s.Has(b->digest));
  CHECK(s.batches_of(1) == 0);
  CHECK(s.bytes_of(1) == 0);
  // Its id is free again (the author's next batches use higher ids anyway).
  CHECK(s.OnCommitted(20) == 1);
  CHECK(s.size() == 0);
}

TEST_CASE("a fetched batch must match the digest asked for", "[batch][badinput]") {
  BatchStore s = Store();
  const Batch b = MakeBatch(2, 4, 30);
  const BatchInfo want = InfoOf(kChain, b);
  Batch substitute = b;
  substitute.txs[0][0] ^= 0xff;  // other transactions under the same author and id
  auto r = s.InsertFetched(want, substitute, 3);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("digest") != std::string::npos);
  CHECK(s.size() == 0);
  BatchInfo lied = want;
  lied.num_bytes += 1;  // right digest, wrong info
  CHECK_FALSE(s.InsertFetched(lied, b, 3).ok());
  CHECK(s.size() == 0);
  auto ok = s.InsertFetched(want, b, 3);
  REQUIRE(ok.ok());
  CHECK(*s.Get(want.digest) == b);
}

TEST_CASE("acks: only valid signatures of validators on this node's own batch count, once each",
          "[batch][badinput]") {
  BatchStore s = Store(/*me=*/0);
  const auto info = s.Insert(0, MakeBatch(0, 1, 40), 2);
  REQUIRE(info.ok());
  // A forged ack: validator 2's index, signed by key 3.
  BatchAck forged{*info, 2, Key(3).Sign(BatchAckSignBytes(kChain, *info))};
  auto r = s.AddAck(forged);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("bad signature") != std::string::npos);
  // Signed over another chain's bytes.
  BatchAck other_chain{*info, 2, Key(2).Sign(BatchAckSignBytes("other", *info))};
  CHECK_FALSE(s.AddAck(other_chain).ok());
  // A signer outside the set.
  BatchAck outsider{*info, 9, Key(9).Sign(BatchAckSignBytes(kChain, *info))};
  CHECK_FALSE(s.AddAck(outsider).ok());
  // An info that is not the stored one (validly signed).
  BatchInfo bent = *info;
  bent.expires_at_height += 1;
  CHECK_FALSE(s.AddAck(Ack(bent, 2)).ok());
  CHECK(s.acks_of(info->digest) == 0);
  // A batch of another author, held here: not this node's to collect.
  const auto theirs = s.Insert(1, MakeBatch(1, 1, 40), 2);
  REQUIRE(theirs.ok());
  CHECK_FALSE(s.AddAck(Ack(*theirs, 2)).ok());

  // n = 4, f = 1: the second distinct ack makes the proof.
  auto first = s.AddAck(Ack(*info, 0));
  REQUIRE(first.ok());
  CHECK_FALSE(first->has_value());
  auto again = s.AddAck(Ack(*info, 0));
  CHECK_FALSE(again.ok());  // one per signer
  CHECK(s.acks_of(info->digest) == 1);
  auto second = s.AddAck(Ack(*info, 3));
  REQUIRE(second.ok());
  REQUIRE(second->has_value());
  const ProofOfAvailability& p = **second;
  CHECK(p.info == *info);
  REQUIRE(p.signatures.size() == 2);
  CHECK(p.signatures[0].first == 0);
  CHECK(p.signatures[1].first == 3);
  CHECK(VerifyProof(kChain, 1, Keys(), p).ok());
  CHECK_FALSE(s.AddAck(Ack(*info, 2)).ok());  // the proof is made once
}

TEST_CASE("an own batch awaits the acks of exactly the validators that have not sent one",
          "[batch][badinput]") {
  BatchStore s = Store(/*me=*/1);
  const auto info = s.Insert(1, MakeBatch(1, 1, 40), 2);
  REQUIRE(info.ok());
  CHECK(s.awaiting_acks(info->digest) == std::vector<uint32_t>{0, 2, 3});
  // Its own ack, then a forged one in validator 3's name: only the valid ack counts.
  REQUIRE(s.AddAck(Ack(*info, 1)).ok());
  CHECK(s.awaiting_acks(info->digest) == std::vector<uint32_t>{0, 2, 3});
  BatchAck forged{*info, 3, Key(2).Sign(BatchAckSignBytes(kChain, *info))};
  CHECK_FALSE(s.AddAck(forged).ok());
  CHECK(s.awaiting_acks(info->digest) == std::vector<uint32_t>{0, 2, 3});
  // A peer's batch held here, an unknown digest: nothing to push again.
  const auto theirs = s.Insert(2, MakeBatch(2, 1, 40), 2);
  REQUIRE(theirs.ok());
  CHECK(s.awaiting_acks(theirs->digest).empty());
  CHECK(s.awaiting_acks(Hash32{}).empty());
  // The (f+1)-th ack makes the proof: none awaited any more, nor once it is executed.
  auto proof = s.AddAck(Ack(*info, 3));
  REQUIRE(proof.ok());
  REQUIRE(proof->has_value());
  CHECK(s.awaiting_acks(info->digest).empty());
  const auto later = s.Insert(1, MakeBatch(1, 2, 40), 2);
  REQUIRE(later.ok());
  CHECK(s.awaiting_acks(later->digest).size() == 3);
  s.OnExecuted(later->digest);
  CHECK(s.awaiting_acks(later->digest).empty());
}

TEST_CASE("a proof of availability needs f+1 distinct valid signers of the epoch",
          "[batch][badinput]") {
  const BatchInfo info = InfoOf(kChain, MakeBatch(1, 1, 40));
  const auto keys = Keys();
  CHECK(VerifyProof(kChain, 1, keys, Proof(info, {1, 2})).ok());
  CHECK(VerifyProof(kChain, 1, keys, Proof(info, {0, 1, 2, 3})).ok());
  CHECK_FALSE(VerifyProof(kChain, 1, keys, Proof(info, {1})).ok());      // f signers
  CHECK_FALSE(VerifyProof(kChain, 1, keys, Proof(info, {2, 2})).ok());   // a repeated signer
  CHECK_FALSE(VerifyProof(kChain, 1, keys, Proof(info, {2, 1})).ok());   // out of order
  CHECK_FALSE(VerifyProof(kChain, 2, keys, Proof(info, {1, 2})).ok());   // another epoch
  CHECK_FALSE(VerifyProof("other", 1, keys, Proof(info, {1, 2})).ok());  // another chain
  ProofOfAvailability forged = Proof(info, {1, 2});
  forged.signatures[1].second = Ack(info, 3).signature;  // validator 3's signature as 2's
  const Status st = VerifyProof(kChain, 1, keys, forged);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("validator 2") != std::string::npos);
  ProofOfAvailability bent = Proof(info, {1, 2});
  bent.info.num_txs += 1;  // signatures over other info
  CHECK_FALSE(VerifyProof(kChain, 1, keys, bent).ok());
  ProofOfAvailability outsider = Proof(info, {1, 2});
  outsider.signatures.emplace_back(4, Key(4).Sign(BatchAckSignBytes(kChain, info)));
  CHECK_FALSE(VerifyProof(kChain, 1, keys, outsider).ok());
  // n = 7, f = 2: three signers.
  const auto seven = Keys(7);
  CHECK_FALSE(VerifyProof(kChain, 1, seven, Proof(info, {1, 2})).ok());
  CHECK(VerifyProof(kChain, 1, seven, Proof(info, {1, 2, 6})).ok());
}

TEST_CASE("batch wire messages round-trip, malformed ones are refused with a clear error",
          "[batch][wire][badinput]") {
  const Batch b = MakeBatch(2, 9, 70);
  const BatchInfo info = InfoOf(kChain, b);
  const std::vector<WireMessage> msgs = {BatchMsg{b},
                                         BatchAckMsg{Ack(info, 1)},
                                         BatchRequestMsg{info},
                                         BatchResponseMsg{info, b},
                                         BatchResponseMsg{info, std::nullopt},
                                         ProofMsg{Proof(info, {0, 1})}};
  for (const auto& m : msgs) {
    const Bytes wire = EncodeWire(m);
    auto back = DecodeWire(wire);
    INFO("kind index " << m.index());
    REQUIRE(back.ok());
    CHECK(back->index() == m.index());
    CHECK(EncodeWire(*back) == wire);
    for (size_t n = 0; n < wire.size(); n += 13) {
      CHECK_FALSE(DecodeWire(ByteView(wire.data(), n)).ok());
    }
    Bytes longer = wire;
    longer.push_back(0);
    auto trailing = DecodeWire(longer);
    REQUIRE_FALSE(trailing.ok());
    CHECK(trailing.status().message().find("trailing") != std::string::npos);
  }
  CHECK(std::get<BatchMsg>(*DecodeWire(EncodeWire(BatchMsg{b}))).batch == b);
  // Declared counts over the caps are refused, not allocated.
  Bytes huge = {17};
  for (int i = 0; i < 28; ++i) huge.push_back(0);  // epoch, author, batch id, expiry
  for (int i = 0; i < 4; ++i) huge.push_back(0xff);
  auto r = DecodeWire(huge);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("too many transactions") != std::string::npos);
  Bytes bad_flag = EncodeWire(BatchResponseMsg{info, std::nullopt});
  bad_flag.back() = 2;
  auto f = DecodeWire(bad_flag);
  REQUIRE_FALSE(f.ok());
  CHECK(f.status().message().find("bad batch flag") != std::string::npos);
  // A proof with more signatures than any validator set is refused before allocation.
  Bytes many_sigs = EncodeWire(ProofMsg{Proof(info, {0, 1})});
  many_sigs.resize(1 + 72);  // kind, info
  for (int i = 0; i < 4; ++i) many_sigs.push_back(0xff);
  auto ms = DecodeWire(many_sigs);
  REQUIRE_FALSE(ms.ok());
  CHECK(ms.status().message().find("too many signatures") != std::string::npos);
}

TEST_CASE("a synced block carries its batches' transactions, bad counts are refused",
          "[batch][wire][badinput]") {
  const Batch b = MakeBatch(2, 9, 70);
  SyncResponseMsg s;
  s.peer_height = 5;
  SyncBlock sb;
  sb.batches = {b.txs, {Bytes{7}}};
  s.blocks.push_back(sb);
  s.blocks.push_back(SyncBlock{});  // no batches: flags 0
  const Bytes wire = EncodeWire(s);
  auto back = DecodeWire(wire);
  REQUIRE(back.ok());
  const auto& got = std::get<SyncResponseMsg>(*back);
  REQUIRE(got.blocks.size() == 2);
  CHECK(got.blocks[0].batches == sb.batches);
  CHECK(got.blocks[1].batches.empty());
  CHECK(EncodeWire(*back) == wire);
  for (size_t n = 0; n < wire.size(); n += 7) {
    CHECK_FALSE(DecodeWire(ByteView(wire.data(), n)).ok());
  }
}

TEST_CASE("version-2 payloads: round trip, canonical only, never read as version 1",
          "[batch][payload][badinput]") {
  const Batch b1 = MakeBatch(1, 1, 50);
  const Batch b2 = MakeBatch(2, 1, 50);
  const std::vector<ProofOfAvailability> proofs = {Proof(InfoOf(kChain, b1), {1, 2}),
                                                   Proof(InfoOf(kChain, b2), {0, 2, 3})};
  const Bytes p = EncodeBatchPayload(proofs);
  CHECK(IsBatchPayload(p));
  auto back = DecodeBatchPayload(p);
  REQUIRE(back.ok());
  CHECK(*back == proofs);
  CHECK_FALSE(DecodePayload(p).has_value());  // version-1 readers see a non-canonical payload
  CHECK_FALSE(IsBatchPayload(EncodePayload({})));
  // Malformed forms, each with its error.
  auto err = [](const Bytes& x) { return DecodeBatchPayload(x).status().message(); };
  CHECK(err(Bytes{1, 2, 3}).find("not a version-2") != std::string::npos);
  CHECK(err(EncodeBatchPayload({})).find("no batches") != std::string::npos);
  CHECK(err(EncodeBatchPayload({proofs[0], proofs[0]})).find("twice") != std::string::npos);
  Bytes trailing = p;
  trailing.push_back(0);
  CHECK(err(trailing).find("trailing") != std::string::npos);
  for (size_t n = 0; n < p.size(); n += 11) {
    CHECK_FALSE(DecodeBatchPayload(ByteView(p.data(), n)).ok());
  }
  std::vector<ProofOfAvailability> many(kMaxPayloadBatches + 1, proofs[0]);
  for (size_t i = 0; i < many.size(); ++i) many[i].info.digest[0] = static_cast<uint8_t>(i);
  CHECK(err(EncodeBatchPayload(many)).find("at most") != std::string::npos);
  const uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 5000; ++i) {
    Bytes x = p;
    x[rng() % x.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    auto d = DecodeBatchPayload(x);
    if (d.ok()) CHECK(EncodeBatchPayload(*d) == x);
  }
}

TEST_CASE("resolving a version-2 payload is deterministic, unusable proofs are skipped",
          "[batch][payload]") {
  const auto keys = Keys();
  const Batch b1 = MakeBatch(1, 1, 50);
  const Batch b2 = MakeBatch(2, 1, 50);
  const Batch expired = MakeBatch(3, 1, 10);
  const Batch unproved = MakeBatch(0, 1, 50);
  std::vector<ProofOfAvailability> proofs = {
      Proof(InfoOf(kChain, b1), {1, 2}), Proof(InfoOf(kChain, unproved), {3}),
      Proof(InfoOf(kChain, expired), {1, 3}), Proof(InfoOf(kChain, b2), {0, 1})};
  BatchStore s = Store(3);
  auto lookup = [&](const Hash32& d) { return s.Get(d); };
  // b2 is missing: nothing executes, the missing digest is named.
  REQUIRE(s.Insert(1, b1, 5).ok());
  REQUIRE(s.Insert(3, expired, 5).ok());
  auto missing = ResolveBatchPayload(proofs, kChain, 1, keys, 10, lookup);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == StatusCode::kUnavailable);
  CHECK(missing.status().message().find(HexEncode(InfoOf(kChain, b2).digest)) != std::string::npos);
  // Once fetched: b1 then b2, in payload order; the f-signer proof and the expired batch
  // (height 10 >= its expiry) are skipped, whether or not their batches are held.
  REQUIRE(s.InsertFetched(InfoOf(kChain, b2), b2, 5).ok());
  auto r = ResolveBatchPayload(proofs, kChain, 1, keys, 10, lookup);
  REQUIRE(r.ok());
  std::vector<Bytes> want = b1.txs;
  want.insert(want.end(), b2.txs.begin(), b2.txs.end());
  CHECK(r->txs == want);
  CHECK(r->used == std::vector<Hash32>{InfoOf(kChain, b1).digest, InfoOf(kChain, b2).digest});
  CHECK(r->skipped.size() == 2);
  // A node that never held the skipped batches resolves the same transactions.
  BatchStore t = Store(2);
  REQUIRE(t.InsertFetched(InfoOf(kChain, b2), b2, 5).ok());
  REQUIRE(t.InsertFetched(InfoOf(kChain, b1), b1, 5).ok());
  auto r2 =
      ResolveBatchPayload(proofs, kChain, 1, keys, 10, [&](const Hash32& d) { return t.Get(d); });
  REQUIRE(r2.ok());
  CHECK(r2->txs == r->txs);
}

TEST_CASE("the fetcher asks the author, then each signer, only the asked peer's answer counts",
          "[batch][fetch][badinput]") {
  const Batch b = MakeBatch(0, 3, 60);
  const BatchInfo info = InfoOf(kChain, b);
  const ProofOfAvailability p = Proof(info, {0, 1, 3});
  BatchStore store = Store(/*me=*/2);
  BatchFetcher f(/*me=*/2, /*timeout_ms=*/500);
  BatchFetcher::Outputs out;
  REQUIRE(f.Want(p, 1000, out).ok());
  REQUIRE(out.requests.size() == 1);
  CHECK(out.requests[0].to == 0);  // the author first
  CHECK(out.requests[0].info == info);
  CHECK(f.Want(p, 1000, out).ok());  // wanted already: nothing more asked
  CHECK(out.requests.size() == 1);

  // The author withholds: "not held" -> validator 1 is asked.
  out = {};
  f.OnResponse(0, BatchResponseMsg{info, std::nullopt}, store, 5, 1010, out);
  REQUIRE(out.requests.size() == 1);
  CHECK(out.requests[0].to == 1);
  // Validator 3 answers unasked, even with the right bytes: ignored.
  out = {};
  f.OnResponse(3, BatchResponseMsg{info, b}, store, 5, 1020, out);
  CHECK(out.requests.empty());
  CHECK(out.fetched.empty());
  CHECK_FALSE(store.Has(info.digest));
  // Validator 1 substitutes other transactions: refused, validator 3 asked next.
  Batch substitute = b;
  substitute.txs[1][0] ^= 1;
  out = {};
  f.OnResponse(1, BatchResponseMsg{info, substitute}, store, 5, 1030, out);
  CHECK_FALSE(store.Has(info.digest));
  REQUIRE(out.requests.size() == 1);
  CHECK(out.requests[0].to == 3);
  // Validator 3 stays silent: after the timeout the author is asked again (round robin).
  out = {};
  f.OnTick(1529, out);
  CHECK(out.requests.empty());
  f.OnTick(1530, out);
  REQUIRE(out.requests.size() == 1);
  CHECK(out.requests[0].to == 0);
  out = {};
  f.OnTick(2030, out);
  REQUIRE(out.requests.size() == 1);
  CHECK(out.requests[0].to == 1);
  // Validator 1 now answers honestly: held, done.
  out = {};
  f.OnResponse(1, BatchResponseMsg{info, b}, store, 5, 2040, out);
  REQUIRE(out.fetched.size() == 1);
  CHECK(out.fetched[0] == info.digest);
  CHECK(*store.Get(info.digest) == b);
  CHECK(f.wanted() == 0);
  out = {};
  f.OnTick(10000, out);
  CHECK(out.requests.empty());
}

// Two Byzantine keys of n = 7: the author withholds its batch and signer 1 never answers, the
// honest holder is signer 3. In the fixed order every batch waits a timeout on signer 1 before
// the holder is asked; a node whose execution lags then falls further behind at every block.
TEST_CASE("the fetcher asks first the peers that did not fail it and still asks every candidate",
          "[batch][fetch][badinput]") {
  BatchStore store = Store(/*me=*/2);
  BatchFetcher f(/*me=*/2, /*timeout_ms=*/500);
  const Batch a = MakeBatch(0, 1, 60);
  BatchFetcher::Outputs out;
  REQUIRE(f.Want(Proof(InfoOf(kChain, a), {0, 1, 3}), 0, out).ok());
  REQUIRE(out.requests.size() == 1);
  CHECK(out.requests[0].to == 0);  // nobody failed yet: the author first
  out = {};
  f.OnResponse(0, BatchResponseMsg{InfoOf(kChain, a), std::nullopt}, store, 5, 10, out);
  REQUIRE(out.requests.size() == 1);
  CHECK(out.requests[0].to == 1);
  out = {};
  f.OnTick(510, out);  // signer 1 is silent
  REQUIRE(out.requests.size() == 1);
  CHECK(out.requests[0].to == 3);
  out = {};
  f.OnResponse(3, BatchResponseMsg{InfoOf(kChain, a), a}, store, 5, 520, out);
  REQUIRE(out.fetched.size() == 1);

  // The next batch of that author: the holder that delivered is asked first.
  const Batch b = MakeBatch(0, 2, 60);
  out = {};
  REQUIRE(f.Want(Proof(InfoOf(kChain, b), {0, 1, 3}), 600, out).ok());
  REQUIRE(out.requests.size() == 1);
  CHECK(out.requests[0].to == 3);
  // Should it fail too, the others are still asked, in their order.
  out = {};
  f.OnTick(1100, out);
  REQUIRE(out.requests.size() == 1);
  CHECK(out.requests[0].to == 0);
  out = {};
  f.OnResponse(0, BatchResponseMsg{InfoOf(kChain, b), std::nullopt}, store, 5, 1110, out);
  REQUIRE(out.requests.size() == 1);
  CHECK(out.requests[0].to == 1);
}

TEST_CASE("the fetcher never asks itself and bounds how many batches it fetches at once",
          "[batch][fetch][badinput]") {
  BatchFetcher f(/*me=*/1, 100);
  BatchFetcher::Outputs out;
  // This node is the only signer besides the author: only the author is a candidate.
  const BatchInfo info = InfoOf(kChain, MakeBatch(0, 1, 60));
  REQUIRE(f.Want(Proof(info, {0, 1}), 0, out).ok());
  f.OnTick(100, out);
  f.OnTick(200, out);
  REQUIRE(out.requests.size() == 3);
  for (const auto& r : out.requests) CHECK(r.to == 0);
  // An own batch with only its own signature: nobody to ask.
  ProofOfAvailability own = Proof(InfoOf(kChain, MakeBatch(1, 1, 60)), {1});
  CHECK_FALSE(f.Want(own, 0, out).ok());
  for (size_t i = 1; i < BatchFetcher::kMaxWanted; ++i) {
    REQUIRE(f.Want(Proof(InfoOf(kChain, MakeBatch(2, i, 60)), {2, 3}), 0, out).ok());
  }
  CHECK(f.wanted() == BatchFetcher::kMaxWanted);
  auto over = f.Want(Proof(InfoOf(kChain, MakeBatch(3, 1, 60)), {2, 3}), 0, out);
  CHECK(over.code() == StatusCode::kUnavailable);
  f.Cancel(info.digest);
  CHECK(f.Want(Proof(InfoOf(kChain, MakeBatch(3, 1, 60)), {2, 3}), 0, out).ok());
}

// A Byzantine author (validator 0 of 4, f = 1) sends its batch to some validators only.
// Honest validators ack what they store; a proof needs f+1 = 2 acks. For every choice of
// recipients: no proof unless an honest validator holds the batch, and with a proof every
// honest validator obtains it through the fetcher (the author withholding from them, a
// Byzantine-free set of signers answering honestly) and resolves the same transactions.
TEST_CASE(
    "a withholding author: a proof implies an honest holder, and every honest node "
    "fetches and executes the same transactions",
    "[batch][fetch]") {
  const auto keys = Keys();
  const Batch b = MakeBatch(0, 1, 60);
  const BatchInfo info = InfoOf(kChain, b);
  for (uint32_t recipients = 0; recipients < 8; ++recipients) {  // subsets of {1, 2, 3}
    INFO("recipients mask " << recipients);
    std::vector<BatchStore> stores;
    for (uint32_t v = 0; v < 4; ++v) stores.push_back(Store(v));
    REQUIRE(stores[0].Insert(0, b, 5).ok());
    std::optional<ProofOfAvailability> proof;
    auto ack = [&](uint32_t signer) {
      auto r = stores[0].AddAck(Ack(info, signer));
      REQUIRE(r.ok());
      if (r->has_value()) proof = **r;
    };
    ack(0);  // the author acks its own batch (it holds it)
    std::vector<uint32_t> holders;
    for (uint32_t v = 1; v < 4; ++v) {
      if ((recipients >> (v - 1) & 1) == 0) continue;
      REQUIRE(stores[v].Insert(0, b, 5).ok());
      holders.push_back(v);
      if (!proof) ack(v);
    }
    if (holders.empty()) {
      CHECK_FALSE(proof.has_value());  // only the author's own ack: never proposable
      continue;
    }
    REQUIRE(proof.has_value());
    REQUIRE(VerifyProof(kChain, 1, keys, *proof).ok());
    // Every honest node without the batch fetches it; the author answers "not held".
    for (uint32_t v = 1; v < 4; ++v) {
      if (stores[v].Has(info.digest)) continue;
      BatchFetcher f(v, 500);
      BatchFetcher::Outputs out;
      REQUIRE(f.Want(*proof, 0, out).ok());
      uint64_t now = 0;
      for (int step = 0; step < 10 && f.wanted() > 0; ++step) {
        REQUIRE_FALSE(out.requests.empty());
        const BatchFetcher::Request req = out.requests.back();
        out = {};
        std::optional<Batch> answer;
        if (req.to != 0) {
          if (const Batch* held = stores[req.to].Get(req.info.digest)) answer = *held;
        }
        now += 10;
        f.OnResponse(req.to, BatchResponseMsg{req.info, answer}, stores[v], 5, now, out);
      }
      CHECK(f.wanted() == 0);
      CHECK(stores[v].Has(info.digest));
    }
    const std::vector<ProofOfAvailability> payload = {*proof};
    std::optional<std::vector<Bytes>> first;
    for (uint32_t v = 1; v < 4; ++v) {
      auto r = ResolveBatchPayload(payload, kChain, 1, keys, 10,
                                   [&](const Hash32& d) { return stores[v].Get(d); });
      REQUIRE(r.ok());
      CHECK(r->txs == b.txs);
      if (!first) first = r->txs;
      CHECK(r->txs == *first);
    }
  }
}

// docs/spec/batches.md §2, recomputed independently with Python's hashlib and cryptography.
TEST_CASE("batch digest and ack sign-bytes golden vectors", "[batch][golden]") {
  Batch b;
  b.epoch = 1;
  b.author = 2;
  b.batch_id = 7;
  b.expires_at_height = 100;
  const ByteView union_name = AsBytes(std::string_view("工会"));
  b.txs = {Bytes{'h', 'i'}, Bytes(union_name.begin(), union_name.end())};
  const BatchInfo info = InfoOf("laurel-test", b);
  CHECK(HexEncode(info.digest) ==
        "8683a9bed4cda558d14714ed44a23c84fc60e2c176cf3b3fda530b32d0b33d24");
  CHECK(info.num_bytes == 8);
  CHECK(HexEncode(BatchAckSignBytes("laurel-test", info)) ==
        "6c617572656c2f62617463682d61636b2f7631000000000b6c617572656c2d74657374000000000000"
        "000100000002000000000000000700000000000000640000000200000000000000088683a9bed4cda5"
        "58d14714ed44a23c84fc60e2c176cf3b3fda530b32d0b33d24");
  const auto key = crypto::PrivateKey::FromSeed(Bytes(32, 1)).value();
  CHECK(HexEncode(key.Sign(BatchAckSignBytes("laurel-test", info))) ==
        "f45f4aa20e803f7d119ef501288c08065a167a35b160a98bf30e70e27b2200830c996d01249e8a101556"
        "2135685ba118936fab175213717fc26744ce8057f709");
}

TEST_CASE("a stored version-2 block's transactions split into its batches and match their digests",
          "[batch][payload][badinput]") {
  const Batch b1 = MakeBatch(1, 1, 50, 3);
  const Batch b2 = MakeBatch(2, 1, 50, 2);
  const Batch expired = MakeBatch(3, 1, 10, 4);
  ProofOfAvailability bad_sigs = Proof(InfoOf(kChain, MakeBatch(0, 9, 50)), {1, 2});
  bad_sigs.signatures[0].second[0] ^= 1;
  const std::vector<ProofOfAvailability> proofs = {Proof(InfoOf(kChain, b1), {1, 2}), bad_sigs,
                                                   Proof(InfoOf(kChain, expired), {0, 3}),
                                                   Proof(InfoOf(kChain, b2), {0, 1})};
  // Executed at height 20: the proof with a bad signature and the expired batch are skipped.
  std::vector<Bytes> txs = b1.txs;
  txs.insert(txs.end(), b2.txs.begin(), b2.txs.end());
  auto split = SplitBatchTxs(proofs, kChain, 1, Keys(), 20, txs);
  REQUIRE(split.ok());
  REQUIRE(split->size() == 2);
  CHECK((*split)[0] == b1.txs);
  CHECK((*split)[1] == b2.txs);
  // It agrees with what execution resolves from the batches themselves.
  auto resolved = ResolveBatchPayload(proofs, kChain, 1, Keys(), 20, [&](const Hash32& d) {
    return d == InfoOf(kChain, b1).digest ? &b1 : d == InfoOf(kChain, b2).digest ? &b2 : nullptr;
  });
  REQUIRE(resolved.ok());
  CHECK(resolved->txs == txs);
  // A changed byte, a missing transaction, an extra one: refused, naming what is wrong.
  std::vector<Bytes> changed = txs;
  changed[1][0] ^= 1;
  auto e1 = SplitBatchTxs(proofs, kChain, 1, Keys(), 20, changed);
  REQUIRE_FALSE(e1.ok());
  CHECK(e1.status().message().find("do not hash to its digest") != std::string::npos);
  std::vector<Bytes> shorter(txs.begin(), txs.end() - 1);
  auto e2 = SplitBatchTxs(proofs, kChain, 1, Keys(), 20, shorter);
  REQUIRE_FALSE(e2.ok());
  CHECK(e2.status().message().find("end inside batch") != std::string::npos);
  std::vector<Bytes> longer = txs;
  longer.push_back(Bytes{1});
  auto e3 = SplitBatchTxs(proofs, kChain, 1, Keys(), 20, longer);
  REQUIRE_FALSE(e3.ok());
  CHECK(e3.status().message().find("beyond its batches") != std::string::npos);
}

TEST_CASE("a version-2 block executes at most kMaxBlockBatchBytes of batches, on every node alike",
          "[batch][payload][badinput]") {
  // A Byzantine leader's block of many large, properly proven batches: votes do not look at
  // batches, so it can commit; what executes must still fit one block-sync frame.
  const size_t tx_bytes = 64 << 10;  // 64 KiB transactions, 15 per batch: 960 KiB batches
  std::vector<Batch> batches;
  std::vector<ProofOfAvailability> proofs;
  for (uint32_t i = 0; i < 5; ++i) {
    batches.push_back(MakeBatch(i % 4, 1 + i, 50, 15, tx_bytes));
    const uint32_t a = (i + 1) % 4, b = (i + 2) % 4;
    proofs.push_back(Proof(InfoOf(kChain, batches.back()), {std::min(a, b), std::max(a, b)}));
  }
  // A small batch after the cap still fits and executes: the cap skips a proof, not the rest.
  batches.push_back(MakeBatch(1, 9, 50, 2, 100));
  proofs.push_back(Proof(InfoOf(kChain, batches.back()), {0, 2}));
  auto lookup = [&](const Hash32& d) -> const Batch* {
    for (const auto& b : batches) {
      if (InfoOf(kChain, b).digest == d) return &b;
    }
    return nullptr;
  };
  auto r = ResolveBatchPayload(proofs, kChain, 1, Keys(), 20, lookup);
  REQUIRE(r.ok());
  size_t bytes = 0;
  for (const auto& tx : r->txs) bytes += tx.size();
  CHECK(bytes <= kMaxBlockBatchBytes);
  // The first three fit in 3 MiB, the fourth and fifth do not; the small one does.
  CHECK(r->used.size() == 3 + 1);
  CHECK(r->skipped.size() == 2);
  CHECK(r->used.back() == InfoOf(kChain, batches.back()).digest);
  // Block sync splits the same transactions by the same rule.
  auto split = SplitBatchTxs(proofs, kChain, 1, Keys(), 20, r->txs);
  REQUIRE(split.ok());
  CHECK(split->size() == 4);
}

// The proof pool (node/proof_pool.h) and the payload book's quorum-store mode: what a leader
// proposes from proofs of availability.
#include "node/proof_pool.h"

#include <catch2/catch.hpp>

#include "node/payload.h"
#include "node/payload_book.h"

using namespace laurel;
using namespace laurel::node;
namespace cs = laurel::consensus;

namespace {

// A proof whose signatures are not checked here (the pool takes verified proofs).
ProofOfAvailability P(uint8_t n, uint32_t author, uint64_t expires, uint32_t txs = 10,
                      uint64_t bytes = 1000) {
  ProofOfAvailability p;
  p.info.epoch = 1;
  p.info.author = author;
  p.info.batch_id = n;
  p.info.expires_at_height = expires;
  p.info.num_txs = txs;
  p.info.num_bytes = bytes;
  p.info.digest.fill(n);
  p.signatures.emplace_back(0, crypto::Signature{});
  return p;
}

std::vector<uint8_t> Digests(const std::vector<ProofOfAvailability>& ps) {
  std::vector<uint8_t> out;
  for (const auto& p : ps) out.push_back(p.info.digest[0]);
  return out;
}

std::vector<uint8_t> Carried(const std::optional<Bytes>& payload) {
  REQUIRE(payload);
  REQUIRE(IsBatchPayload(*payload));
  auto ps = DecodeBatchPayload(*payload);
  REQUIRE(ps.ok());
  return Digests(*ps);
}

cs::Block Block(uint8_t n, uint64_t height, cs::Round round,
                const std::vector<ProofOfAvailability>& proofs) {
  cs::Block b;
  b.id.fill(0xB0);
  b.id[0] = n;
  b.height = height;
  b.round = round;
  b.payload = EncodeBatchPayload(proofs);
  return b;
}

}  // namespace

TEST_CASE("the proof pool keeps verified proofs once, oldest first, within its caps",
          "[batch][proofpool]") {
  ProofPool pool({/*max_proofs=*/4, /*max_per_author=*/2, /*expiry_margin=*/2});
  CHECK(pool.Add(P(1, 0, 100), 10).ok());
  CHECK(pool.Add(P(2, 1, 100), 10).ok());
  CHECK(pool.Add(P(1, 0, 100), 10).code() == StatusCode::kAlreadyExists);
  CHECK(pool.Add(P(3, 0, 100), 10).ok());
  // An author over its share is refused, and nothing is evicted for it.
  CHECK(pool.Add(P(4, 0, 100), 10).code() == StatusCode::kUnavailable);
  CHECK(pool.of_author(0) == 2);
  CHECK(pool.Add(P(5, 2, 100), 10).ok());
  CHECK(pool.Add(P(6, 3, 100), 10).code() == StatusCode::kUnavailable);  // pool full
  CHECK(pool.size() == 4);
  // Expired on arrival: refused.
  CHECK(pool.Add(P(7, 3, 11), 10).code() == StatusCode::kInvalidArgument);
  CHECK(Digests(pool.Take(10, {}, 1000, 1 << 20)) == std::vector<uint8_t>{1, 2, 3, 5});
}

TEST_CASE("Take leaves out excluded proofs, batches about to expire and what is over the limits",
          "[batch][proofpool]") {
  ProofPool pool;
  REQUIRE(pool.Add(P(1, 0, 100, 10, 100), 0).ok());
  REQUIRE(pool.Add(P(2, 1, 13, 10, 100), 0).ok());  // expires soon
  REQUIRE(pool.Add(P(3, 2, 100, 50, 100), 0).ok());
  REQUIRE(pool.Add(P(4, 3, 100, 10, 5000), 0).ok());
  auto none = [](const Hash32&) { return false; };
  CHECK(Digests(pool.Take(10, none, 1000, 1 << 20)) == std::vector<uint8_t>{1, 2, 3, 4});
  // At height 11 the batch expiring at 13 is within the margin (2): left out.
  CHECK(Digests(pool.Take(11, none, 1000, 1 << 20)) == std::vector<uint8_t>{1, 3, 4});
  // Limits: 30 transactions leave out the 50-transaction batch, 1000 bytes the 5000-byte one.
  CHECK(Digests(pool.Take(0, none, 30, 1000)) == std::vector<uint8_t>{1, 2});
  auto not_one = [](const Hash32& d) { return d[0] == 1; };
  CHECK(Digests(pool.Take(0, not_one, 1000, 1 << 20)) == std::vector<uint8_t>{2, 3, 4});
}

TEST_CASE("an executed batch leaves the pool and is refused until it expires, and expiry drops proofs",
          "[batch][proofpool]") {
  ProofPool pool;
  REQUIRE(pool.Add(P(1, 0, 50), 0).ok());
  REQUIRE(pool.Add(P(2, 0, 20), 0).ok());
  pool.OnExecuted(P(1, 0, 50).info);
  CHECK_FALSE(pool.Has(P(1, 0, 50).info.digest));
  CHECK(pool.WasExecuted(P(1, 0, 50).info.digest));
  // A late copy of its proof (another peer's broadcast) is not proposed again.
  CHECK(pool.Add(P(1, 0, 50), 5).code() == StatusCode::kInvalidArgument);
  CHECK(pool.OnCommitted(19) == 1);  // batch 2 expires at 20 <= 19 + 1
  CHECK(pool.size() == 0);
  pool.OnCommitted(49);  // the executed mark of batch 1 expires too
  CHECK_FALSE(pool.WasExecuted(P(1, 0, 50).info.digest));
}

TEST_CASE("expiry drops exactly the proofs and marks due, among many with equal heights",
          "[batch][proofpool]") {
  ProofPool pool;
  // Batches 1..40 of authors 0..3, expiring at heights 30, 40, 50, 60 in turn.
  for (uint8_t n = 1; n <= 40; ++n) {
    REQUIRE(pool.Add(P(n, n % 4, 30 + 10 * (n % 4)), 0).ok());
  }
  // Some execute (one twice), and leave the pool at once.
  for (uint8_t n : {4, 8, 5, 5, 13, 2}) pool.OnExecuted(P(n, n % 4, 30 + 10 * (n % 4)).info);
  CHECK(pool.size() == 35);
  CHECK(pool.OnCommitted(28) == 0);
  CHECK(pool.OnCommitted(29) == 8);  // expiring at 30: 10 of author 0, less 4 and 8
  CHECK(pool.of_author(0) == 0);
  CHECK(pool.WasExecuted(P(4, 0, 30).info.digest) == false);  // its mark expired with it
  CHECK(pool.WasExecuted(P(5, 1, 40).info.digest));
  CHECK(pool.OnCommitted(39) == 8);  // author 1: 10, less 5 and 13
  CHECK_FALSE(pool.WasExecuted(P(5, 1, 40).info.digest));
  CHECK(pool.WasExecuted(P(2, 2, 50).info.digest));
  CHECK(pool.of_author(2) == 9);
  CHECK(pool.OnCommitted(100) == 19);
  CHECK(pool.size() == 0);
  CHECK_FALSE(pool.WasExecuted(P(2, 2, 50).info.digest));
  // Clear forgets marks too: an executed batch's proof is taken again in a new epoch.
  pool.OnExecuted(P(41, 1, 500).info);
  pool.Clear();
  CHECK(pool.Add(P(41, 1, 500), 100).ok());
}

TEST_CASE("in quorum-store mode a leader proposes proofs not in the branch it extends",
          "[batch][proofpool][payload]") {
  Mempool mempool({1000, 1 << 20});
  ProofPool pool;
  PayloadBook book(mempool, {100, 1 << 20});
  book.UseProofs(&pool);
  // Nothing to propose yet: the leader waits, and is told when a proof arrives.
  CHECK_FALSE(book.Pull(5, {}));
  CHECK_FALSE(book.TakeReadyRound());
  REQUIRE(pool.Add(P(1, 0, 100), 0).ok());
  REQUIRE(pool.Add(P(2, 1, 100), 0).ok());
  REQUIRE(pool.Add(P(3, 2, 100), 0).ok());
  CHECK(book.TakeReadyRound() == cs::Round{5});
  // A peer's proposal carrying batch 1 is noted by digest; a proposal extending it leaves 1 out.
  const cs::Block peer = Block(1, 1, 6, {P(1, 0, 100)});
  CHECK(book.NoteProposal(peer, 0).size() == 1);
  CHECK(Carried(book.Pull(7, {peer.id})) == std::vector<uint8_t>{2, 3});
  // Our own proposal is noted as sent: the next one extending both carries nothing new.
  book.NoteOwnProposal(Block(2, 2, 7, {P(2, 1, 100), P(3, 2, 100)}));
  const auto next = book.Pull(8, {Block(2, 2, 7, {}).id, peer.id});
  REQUIRE(next);
  CHECK(next->empty());  // empty at once: the last proposals still need blocks to commit
  // A proposal on another branch (not extending them) may carry them all.
  CHECK(Carried(book.Pull(9, {})) == std::vector<uint8_t>{1, 2, 3});
  // Batches committed but not executed yet (the engine's root above the executed height) are
  // left out too, followed from the root by parent ids.
  PayloadBook::ChainView view;
  view.root_id = peer.id;
  view.root_height = 1;
  view.executed_height = 0;
  view.height = 2;
  CHECK(Carried(book.Pull(10, {}, view)) == std::vector<uint8_t>{2, 3});
}

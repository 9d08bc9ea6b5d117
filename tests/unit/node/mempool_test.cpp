#include <catch2/catch.hpp>

#include "node/mempool.h"

using namespace laurel;
using namespace laurel::node;

namespace {
Hash32 Id(uint8_t n) {
  Hash32 h{};
  h[0] = n;
  return h;
}
types::Tx Tx(uint8_t n) { return types::Tx{Bytes(10, n), {}}; }
constexpr uint64_t kNever = UINT64_MAX;
// A tx signed by the keys with these first bytes (signatures are not checked here).
types::Tx SignedTx(uint8_t n, std::initializer_list<uint8_t> keys) {
  types::Tx tx{Bytes(10, n), {}};
  for (uint8_t k : keys) tx.signatures.push_back({Bytes(32, k), Bytes(64, 0)});
  return tx;
}
}  // namespace

TEST_CASE("one signing key cannot take more than its share of the mempool", "[mempool]") {
  Mempool::Limits limits;
  limits.max_txs = 100;
  limits.max_txs_per_signer = 3;
  limits.max_bytes_per_signer = 1000;
  Mempool m(limits);
  for (uint8_t i = 1; i <= 3; ++i) {
    REQUIRE(m.Add(Id(i), SignedTx(i, {7}), 10, kNever) == Mempool::AddResult::kAdded);
  }
  CHECK(m.Add(Id(4), SignedTx(4, {7}), 10, kNever) == Mempool::AddResult::kSignerQuota);
  // Another key still gets in, and so does key 7 once one of its transactions left.
  CHECK(m.Add(Id(5), SignedTx(5, {8}), 10, kNever) == Mempool::AddResult::kAdded);
  // Extra signatures do not dodge the quota: every signing key is charged.
  CHECK(m.Add(Id(6), SignedTx(6, {9, 7}), 10, kNever) == Mempool::AddResult::kSignerQuota);
  CHECK(m.SignerCount(Bytes(32, 7)) == 3);
  m.Remove({Id(1)});
  CHECK(m.SignerCount(Bytes(32, 7)) == 2);
  CHECK(m.Add(Id(4), SignedTx(4, {7}), 10, kNever) == Mempool::AddResult::kAdded);
  // The byte share too.
  CHECK(m.Add(Id(7), SignedTx(7, {10}), 1001, kNever) == Mempool::AddResult::kSignerQuota);
  CHECK(m.Add(Id(8), SignedTx(8, {10}), 600, kNever) == Mempool::AddResult::kAdded);
  CHECK(m.Add(Id(9), SignedTx(9, {10}), 600, kNever) == Mempool::AddResult::kSignerQuota);
  CHECK(m.size() == 5);
}

TEST_CASE("expired transactions are evicted, and only those", "[mempool]") {
  Mempool m({100, 100000});
  REQUIRE(m.Add(Id(1), SignedTx(1, {1}), 10, 5) == Mempool::AddResult::kAdded);
  REQUIRE(m.Add(Id(2), SignedTx(2, {1}), 10, 7) == Mempool::AddResult::kAdded);
  REQUIRE(m.Add(Id(3), SignedTx(3, {1}), 10, 5) == Mempool::AddResult::kAdded);
  REQUIRE(m.Add(Id(4), SignedTx(4, {1}), 10, kNever) == Mempool::AddResult::kAdded);
  CHECK(m.EvictExpired(5).empty());  // expires_at_height 5 may still commit at height 5
  auto gone = m.EvictExpired(6);
  CHECK(gone.size() == 2);
  CHECK_FALSE(m.Contains(Id(1)));
  CHECK_FALSE(m.Contains(Id(3)));
  CHECK(m.Contains(Id(2)));
  CHECK(m.bytes() == 20);
  CHECK(m.SignerCount(Bytes(32, 1)) == 2);
  m.Remove({Id(2)});
  CHECK(m.EvictExpired(100).empty());  // removed ones leave the expiry index too
  CHECK(m.size() == 1);
}

TEST_CASE("the mempool admits once, in order, within its caps", "[mempool]") {
  Mempool m({3, 1000});
  CHECK(m.Add(Id(1), Tx(1), 100, kNever) == Mempool::AddResult::kAdded);
  CHECK(m.Add(Id(1), Tx(1), 100, kNever) == Mempool::AddResult::kKnown);
  CHECK(m.Add(Id(2), Tx(2), 100, kNever) == Mempool::AddResult::kAdded);
  CHECK(m.Add(Id(3), Tx(3), 100, kNever) == Mempool::AddResult::kAdded);
  CHECK(m.Add(Id(4), Tx(4), 100, kNever) == Mempool::AddResult::kFull);  // count cap
  CHECK(m.size() == 3);
  CHECK(m.bytes() == 300);
  Mempool small({10, 250});
  CHECK(small.Add(Id(1), Tx(1), 200, kNever) == Mempool::AddResult::kAdded);
  CHECK(small.Add(Id(2), Tx(2), 100, kNever) == Mempool::AddResult::kFull);  // byte cap
}

TEST_CASE("reaping takes the oldest first and skips transactions in flight", "[mempool]") {
  Mempool m({100, 1 << 20});
  for (uint8_t i = 1; i <= 5; ++i) REQUIRE(m.Add(Id(i), Tx(i), 10, kNever) == Mempool::AddResult::kAdded);
  m.SetRound(10);
  auto first = m.Reap(2, 1 << 20, 10);
  REQUIRE(first.size() == 2);
  CHECK(first[0].body == Tx(1).body);
  CHECK(first[1].body == Tx(2).body);
  m.MarkInFlight({Id(3)}, 10);
  auto second = m.Reap(10, 1 << 20, 10);
  REQUIRE(second.size() == 2);  // 4 and 5: 1-3 are in flight
  CHECK(second[0].body == Tx(4).body);
  CHECK(m.AnyInFlight());
  // After kInFlightRounds without a commit, they may be proposed again.
  m.SetRound(10 + Mempool::kInFlightRounds);
  CHECK(m.Reap(10, 1 << 20, 13).size() == 5);
  m.Remove({Id(1), Id(2), Id(9)});
  CHECK(m.size() == 3);
  CHECK_FALSE(m.Contains(Id(1)));
  CHECK(m.Contains(Id(3)));
}

TEST_CASE("reaping respects the block byte limit", "[mempool]") {
  Mempool m({100, 1 << 20});
  for (uint8_t i = 1; i <= 5; ++i) REQUIRE(m.Add(Id(i), Tx(i), 100, kNever) == Mempool::AddResult::kAdded);
  CHECK(m.Reap(10, 250, 1).size() == 2);  // 104 bytes each with the length prefix
}

TEST_CASE("a far-future proposal round cannot mark pending transactions in flight for good",
          "[mempool]") {
  // A validator broadcasting a proposal at round ~2^62 naming pending tx ids must not keep them
  // out of every honest proposal: such a mark would only expire once rounds reached it.
  Mempool m({100, 100000});
  for (uint8_t i = 1; i <= 3; ++i) REQUIRE(m.Add(Id(i), Tx(i), 10, kNever) == Mempool::AddResult::kAdded);
  m.SetRound(5);
  m.MarkInFlight({Id(1), Id(2)}, uint64_t{1} << 62);
  CHECK(m.Reap(10, 100000, 6).size() == 3);
  // A mark at a round the node has reached does hold (until it expires).
  Mempool n({100, 100000});
  for (uint8_t i = 1; i <= 3; ++i) REQUIRE(n.Add(Id(i), Tx(i), 10, kNever) == Mempool::AddResult::kAdded);
  n.SetRound(5);
  n.MarkInFlight({Id(1)}, 5);
  CHECK(n.Reap(10, 100000, 6).size() == 2);
}

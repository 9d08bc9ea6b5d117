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
}  // namespace

TEST_CASE("the mempool admits once, in order, within its caps", "[mempool]") {
  Mempool m({3, 1000});
  CHECK(m.Add(Id(1), Tx(1), 100) == Mempool::AddResult::kAdded);
  CHECK(m.Add(Id(1), Tx(1), 100) == Mempool::AddResult::kKnown);
  CHECK(m.Add(Id(2), Tx(2), 100) == Mempool::AddResult::kAdded);
  CHECK(m.Add(Id(3), Tx(3), 100) == Mempool::AddResult::kAdded);
  CHECK(m.Add(Id(4), Tx(4), 100) == Mempool::AddResult::kFull);  // count cap
  CHECK(m.size() == 3);
  CHECK(m.bytes() == 300);
  Mempool small({10, 250});
  CHECK(small.Add(Id(1), Tx(1), 200) == Mempool::AddResult::kAdded);
  CHECK(small.Add(Id(2), Tx(2), 100) == Mempool::AddResult::kFull);  // byte cap
}

TEST_CASE("reaping takes the oldest first and skips transactions in flight", "[mempool]") {
  Mempool m({100, 1 << 20});
  for (uint8_t i = 1; i <= 5; ++i) REQUIRE(m.Add(Id(i), Tx(i), 10) == Mempool::AddResult::kAdded);
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
  for (uint8_t i = 1; i <= 5; ++i) REQUIRE(m.Add(Id(i), Tx(i), 100) == Mempool::AddResult::kAdded);
  CHECK(m.Reap(10, 250, 1).size() == 2);  // 104 bytes each with the length prefix
}

#include "node/serve_budget.h"

#include <catch2/catch.hpp>

using laurel::node::ServeBudget;

TEST_CASE("a peer over its request budget is refused until its window ends", "[serve_budget]") {
  ServeBudget b(ServeBudget::Limits{3, size_t{1} << 20, 1000});
  CHECK(b.Take(2, 5000));
  CHECK(b.Take(2, 5100));
  CHECK(b.Take(2, 5200));
  CHECK_FALSE(b.Take(2, 5300));
  CHECK_FALSE(b.Take(2, 5999));
  // Another peer has a budget of its own.
  CHECK(b.Take(0, 5300));
  CHECK(b.Take(7, 5300));
  // The window ended: served again.
  CHECK(b.Take(2, 6000));
  CHECK(b.Take(2, 6001));
  CHECK(b.Take(2, 6002));
  CHECK_FALSE(b.Take(2, 6003));
}

TEST_CASE("a peer whose answers reached the byte budget is refused", "[serve_budget]") {
  ServeBudget b(ServeBudget::Limits{100, 1000, 1000});
  REQUIRE(b.Take(1, 0));
  b.Spent(1, 600);
  REQUIRE(b.Take(1, 10));
  b.Spent(1, 600);  // 1,200 bytes: the last answer went over, the next request is refused
  CHECK_FALSE(b.Take(1, 20));
  CHECK(b.Take(0, 20));
  CHECK(b.Take(1, 1000));
}

TEST_CASE("a clock that goes back starts a new window rather than refusing for ever",
          "[serve_budget]") {
  ServeBudget b(ServeBudget::Limits{1, 1000, 1000});
  REQUIRE(b.Take(0, 10000));
  CHECK_FALSE(b.Take(0, 10500));
  CHECK(b.Take(0, 20));
}

// The simulator suites run by ctest: random fault schedules, the Twins enumeration, replay
// determinism, and a check that the simulator can fail (a broken rule is caught).
//
// Volume (measured on the 2-core machine, see docs/spec/consensus.md): 4,000 random schedules
// in 8 test cases and 10,000 Twins scenarios in 4, so that ctest -j2 spreads them.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>

#include "tests/sim/simulator.h"

using namespace laurel::sim;

namespace {

// Runs scenarios [first, first + count); fails on the first violation, printing its replay.
void RunRange(bool twins, uint64_t first, uint64_t count) {
  uint64_t max_height = 0;
  uint64_t crashes = 0;
  for (uint64_t k = first; k < first + count; ++k) {
    const Scenario s =
        twins ? TwinsScenario(k, Canary::kNone) : RandomScenario(k, 0, Canary::kNone);
    const Outcome out = Run(s);
    max_height = std::max(max_height, out.max_height);
    crashes += out.crashes;
    if (!out.ok) {
      std::printf("FAILED scenario: %s\n  %s\n  replay: %s\n", Describe(s).c_str(),
                  out.violation.c_str(), ReplayCommand(s).c_str());
      FAIL_CHECK(Describe(s) << "\n" << out.violation << "\nreplay: " << ReplayCommand(s));
      return;
    }
  }
  std::printf(
      "%s scenarios %llu..%llu ok (max height %llu, %llu crashes)\n", twins ? "twins" : "random",
      static_cast<unsigned long long>(first), static_cast<unsigned long long>(first + count - 1),
      static_cast<unsigned long long>(max_height), static_cast<unsigned long long>(crashes));
  CHECK(max_height > 0);
}

}  // namespace

TEST_CASE("random fault schedules 1-500 keep agreement, certificates and liveness", "[sim]") {
  RunRange(false, 1, 500);
}
TEST_CASE("random fault schedules 501-1000 keep agreement, certificates and liveness", "[sim]") {
  RunRange(false, 501, 500);
}
TEST_CASE("random fault schedules 1001-1500 keep agreement, certificates and liveness", "[sim]") {
  RunRange(false, 1001, 500);
}
TEST_CASE("random fault schedules 1501-2000 keep agreement, certificates and liveness", "[sim]") {
  RunRange(false, 1501, 500);
}
TEST_CASE("random fault schedules 2001-2500 keep agreement, certificates and liveness", "[sim]") {
  RunRange(false, 2001, 500);
}
TEST_CASE("random fault schedules 2501-3000 keep agreement, certificates and liveness", "[sim]") {
  RunRange(false, 2501, 500);
}
TEST_CASE("random fault schedules 3001-3500 keep agreement, certificates and liveness", "[sim]") {
  RunRange(false, 3001, 500);
}
TEST_CASE("random fault schedules 3501-4000 keep agreement, certificates and liveness", "[sim]") {
  RunRange(false, 3501, 500);
}

TEST_CASE("twins enumeration 0-2499 (n=4 plus a twin, 6 rounds) stays safe and live", "[twins]") {
  RunRange(true, 0, 2500);
}
TEST_CASE("twins enumeration 2500-4999 (n=4 plus a twin, 6 rounds) stays safe and live",
          "[twins]") {
  RunRange(true, 2500, 2500);
}
TEST_CASE("twins enumeration 5000-7499 (n=4 plus a twin, 6 rounds) stays safe and live",
          "[twins]") {
  RunRange(true, 5000, 2500);
}
TEST_CASE("twins enumeration 7500-9999 (n=4 plus a twin, 6 rounds) stays safe and live",
          "[twins]") {
  RunRange(true, 7500, 2500);
}

TEST_CASE("a scenario replays exactly from its seed", "[sim]") {
  for (uint64_t seed : {7ULL, 13ULL, 44ULL}) {
    const Scenario s = RandomScenario(seed, 0, Canary::kNone);
    const Outcome a = Run(s);
    const Outcome b = Run(RandomScenario(seed, s.n, Canary::kNone));
    INFO(Describe(s));
    CHECK(a.events == b.events);
    CHECK(a.max_height == b.max_height);
    CHECK(a.virtual_ms == b.virtual_ms);
    CHECK(a.crashes == b.crashes);
  }
  const Outcome t1 = Run(TwinsScenario(12345, Canary::kNone));
  const Outcome t2 = Run(TwinsScenario(12345, Canary::kNone));
  CHECK(t1.events == t2.events);
}

TEST_CASE("the twins enumeration covers partitions into 2 and 3 groups over 6 rounds", "[twins]") {
  const Scenario s = TwinsScenario(3, Canary::kNone);
  REQUIRE(s.round_groups.size() == 6);
  REQUIRE(s.round_leaders.size() == 6);
  CHECK(TwinsSpaceSize() > 1000000);
  bool two = false;
  bool three = false;
  for (uint64_t k = 0; k < 200; ++k) {
    for (const auto& g : TwinsScenario(k, Canary::kNone).round_groups) {
      const int groups = 1 + *std::max_element(g.begin(), g.end());
      two = two || groups == 2;
      three = three || groups == 3;
      CHECK(g[0] != g[4]);  // the twins are always separated
    }
  }
  CHECK(two);
  CHECK(three);
}

TEST_CASE("the simulator catches a broken last_voted_round check", "[sim][canary]") {
  uint64_t caught_after = 0;
  for (uint64_t k = 1; k <= 400 && caught_after == 0; ++k) {
    const Outcome out = Run(RandomScenario(k, 0, Canary::kLastVotedRound));
    if (!out.ok && out.safety_violation) caught_after = k;
  }
  std::printf("last-voted-round canary caught after %llu scenarios\n",
              static_cast<unsigned long long>(caught_after));
  CHECK(caught_after > 0);
}

// Directed scenarios: scripted schedules (leaders, partitions, Byzantine equivocation and stale
// QCs, crash points) run against the real engine. With every rule in place each must stay safe
// and live, and the engine must behave as the script expects (e.g. refuse the stale block);
// with the rule it targets broken, each must end in a safety violation.
TEST_CASE("directed scenarios stay safe and live with every safety rule in place",
          "[sim][directed]") {
  REQUIRE(DirectedCount() == 3);
  for (uint64_t d = 1; d <= DirectedCount(); ++d) {
    const Scenario s = DirectedScenario(d, Canary::kNone);
    const Outcome out = Run(s);
    INFO(Describe(s) << "\n" << out.violation << "\nreplay: " << ReplayCommand(s));
    CHECK(out.ok);
    CHECK(out.max_height >= 3);
  }
}

TEST_CASE("each directed scenario catches the canary it is built for", "[sim][directed][canary]") {
  for (uint64_t d = 1; d <= DirectedCount(); ++d) {
    const Scenario s = DirectedScenario(d, DirectedTarget(d));
    const Outcome out = Run(s);
    INFO(Describe(s) << "\n" << out.violation);
    CHECK_FALSE(out.ok);
    CHECK(out.safety_violation);
    CHECK(out.violation.find("SAFETY: conflicting commits at height 1") != std::string::npos);
  }
}

TEST_CASE("directed scenarios replay exactly", "[sim][directed]") {
  for (uint64_t d = 1; d <= DirectedCount(); ++d) {
    const Outcome a = Run(DirectedScenario(d, Canary::kNone));
    const Outcome b = Run(DirectedScenario(d, Canary::kNone));
    CHECK(a.events == b.events);
    CHECK(a.max_height == b.max_height);
  }
}

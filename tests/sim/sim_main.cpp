// laurel-sim: runs simulator scenarios from the command line (soak runs, canaries, replays).
//
//   laurel-sim --random [--seed S] [--seeds N] [--n 4|7] [--canary a|b|c|d] [--verbose]
//   laurel-sim --twins  [--seed I] [--seeds N] [--canary ...]
//   laurel-sim --directed [--seed K] [--seeds N] [--canary ...]   scripted scenarios 1..3
//   laurel-sim --canaries [--max M]   each canary in turn; exit 1 if one is not caught
//     (first the directed scenarios, the one built for that canary first, then random and
//     Twins scenarios alternately; every scenario run counts)
//
// --seeds N runs scenarios S, S+1, ..., S+N-1 (LAUREL_SIM_SEEDS sets the default N). Without a
// canary a run fails (exit 1) on the first violation, printing the scenario and its replay.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tests/sim/simulator.h"

using namespace laurel::sim;

namespace {

struct Options {
  bool twins = false;
  bool directed = false;
  bool canaries = false;
  uint64_t seed = 1;
  uint64_t seeds = 100;
  uint32_t n = 0;
  uint64_t max = 20000;
  Canary canary = Canary::kNone;
  bool verbose = false;
};

Scenario Make(const Options& o, uint64_t k, Canary c) {
  if (o.directed) return DirectedScenario(k, c);
  if (o.twins) return TwinsScenario(k, c);
  return RandomScenario(k, o.n, c);
}

// Runs scenarios until one fails; returns how many ran (0 if none failed within `limit`).
uint64_t HuntCanary(const Options& o, Canary c, uint64_t limit, std::string* found) {
  // Directed scenarios first, the ones built for this canary before the others.
  std::vector<uint64_t> directed;
  for (uint64_t d = 1; d <= DirectedCount(); ++d) {
    if (DirectedTarget(d) == c) directed.push_back(d);
  }
  for (uint64_t d = 1; d <= DirectedCount(); ++d) {
    if (DirectedTarget(d) != c) directed.push_back(d);
  }
  uint64_t ran = 0;
  for (uint64_t d : directed) {
    if (ran == limit) return 0;
    ++ran;
    const Scenario s = DirectedScenario(d, c);
    const Outcome out = Run(s);
    if (!out.ok && out.safety_violation) {
      *found = Describe(s) + "\n    " + out.violation + "\n    replay: " + ReplayCommand(s);
      return ran;
    }
  }
  for (uint64_t k = 0; ran < limit; ++k) {
    ++ran;
    // Alternate random and Twins scenarios so both kinds of adversary get a chance.
    Scenario s =
        (k % 2 == 0) ? RandomScenario(o.seed + k / 2, o.n, c) : TwinsScenario(o.seed + k / 2, c);
    Outcome out = Run(s);
    if (!out.ok && out.safety_violation) {
      *found = Describe(s) + "\n    " + out.violation + "\n    replay: " + ReplayCommand(s);
      return ran;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const char* env = std::getenv("LAUREL_SIM_SEEDS")) o.seeds = std::strtoull(env, nullptr, 10);
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value after %s\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--twins")
      o.twins = true;
    else if (a == "--directed")
      o.directed = true;
    else if (a == "--random")
      o.twins = false;
    else if (a == "--canaries")
      o.canaries = true;
    else if (a == "--verbose")
      o.verbose = true;
    else if (a == "--seed")
      o.seed = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--seeds")
      o.seeds = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--n")
      o.n = static_cast<uint32_t>(std::strtoul(next().c_str(), nullptr, 10));
    else if (a == "--max")
      o.max = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--canary") {
      if (!ParseCanary(next(), &o.canary)) {
        std::fprintf(stderr, "unknown canary\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto secs = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };

  if (o.canaries) {
    int missed = 0;
    for (Canary c :
         {Canary::kCommitRule, Canary::kLastVotedRound, Canary::kPersist, Canary::kTcCondition}) {
      const double start = secs();
      std::string found;
      const uint64_t k = HuntCanary(o, c, o.max, &found);
      if (k == 0) {
        ++missed;
        std::printf("canary %-20s NOT CAUGHT in %llu scenarios (%.1fs)\n", CanaryName(c),
                    static_cast<unsigned long long>(o.max), secs() - start);
      } else {
        std::printf("canary %-20s caught after %llu scenarios (%.1fs)\n    %s\n", CanaryName(c),
                    static_cast<unsigned long long>(k), secs() - start, found.c_str());
      }
      std::fflush(stdout);
    }
    return missed == 0 ? 0 : 1;
  }

  uint64_t failures = 0;
  uint64_t events = 0;
  uint64_t crashes = 0;
  if (o.directed) {
    o.seed = std::max<uint64_t>(o.seed, 1);
    o.seeds = std::min(o.seeds, DirectedCount() + 1 - std::min(o.seed, DirectedCount() + 1));
  }
  for (uint64_t k = o.seed; k < o.seed + o.seeds; ++k) {
    Scenario s = Make(o, k, o.canary);
    Outcome out = Run(s);
    events += out.events;
    crashes += out.crashes;
    if (o.verbose || !out.ok) {
      std::printf(
          "%s: %s\n    height=%llu events=%llu virtual_ms=%llu crashes=%llu evidence=%llu\n",
          out.ok ? "ok" : "FAIL", Describe(s).c_str(),
          static_cast<unsigned long long>(out.max_height),
          static_cast<unsigned long long>(out.events),
          static_cast<unsigned long long>(out.virtual_ms),
          static_cast<unsigned long long>(out.crashes),
          static_cast<unsigned long long>(out.evidence));
    }
    if (!out.ok) {
      std::printf("    %s\n    replay: %s\n", out.violation.c_str(), ReplayCommand(s).c_str());
      ++failures;
      if (o.canary == Canary::kNone) break;
    }
  }
  std::printf(
      "%llu scenarios (%s), %llu failed, %llu events, %llu crashes, %.1fs, %.1f scenarios/s\n",
      static_cast<unsigned long long>(o.seeds),
      o.directed ? "directed"
      : o.twins  ? "twins"
                 : "random",
      static_cast<unsigned long long>(failures), static_cast<unsigned long long>(events),
      static_cast<unsigned long long>(crashes), secs(), o.seeds / secs());
  return failures == 0 ? 0 : 1;
}

// laurel-sim: runs simulator scenarios from the command line (soak runs, canaries, replays).
//
//   laurel-sim --random [--seed S] [--seeds N] [--n 4|7] [--io-errors RATE] [--canary a..h|NAME]
//              [--verbose] [--node] [--txs-per-s R] [--node-mutation 1|2]
//     --io-errors sets every scenario's io_error_rate (otherwise drawn from the seed; 0: none)
//     --node adds the node layer (mempools, payload books, sync trackers, client transactions):
//     NodeScenario; --txs-per-s and --node-mutation set its rate and mutation
//     --batches: the node layer in batch mode (digest batches, acknowledgements, proofs of
//     availability, version-2 payloads, fetching; docs/spec/batches.md): BatchScenario, where
//     seeds with Byzantine keys draw Byzantine key 0's batch behaviours; --batch-byzantine B
//     sets them (bits: 1 withholds below f+1 holders, 2 withholds at exactly f+1, 4 answers
//     fetches with wrong bytes or "not held", 8 proposes bad, expired and executed proofs,
//     16 equivocates under one batch id); --node-mutation 3|4|5 breaks batch mode on purpose
//     (3 fetched bytes unchecked, 4 proofs not required, 5 executed batches not skipped)
//   --epoch-every K (random and twins): the block at every height divisible by K ends its
//     validator-set epoch and consensus restarts on it (docs/spec/consensus.md §13);
//     --epoch-mutation 1 keeps the old epoch's commits above its last block, 2 accepts QCs of
//     other epochs (both must be caught); --crash-at-epoch-end crashes the leader of each
//     epoch's last block right after its proposal
//   laurel-sim --twins  [--seed I] [--seeds N] [--canary ...] [--epoch-every K]
//   laurel-sim --adversarial [--seed S] [--seeds N] [--canary ...]
//   laurel-sim --directed [--seed K] [--seeds N] [--canary ...]   scripted scenarios 1..3
//   laurel-sim --canaries [--max M] [--modes adversarial,random,twins] [--canary ...]
//     each canary (or the one given) in turn: first the search — the listed modes in turn,
//     scenario after scenario, until a safety violation or M scenarios (every scenario run
//     counts) — then, reported apart, the directed scenarios. Exit 1 if the search misses one.
//
// --seeds N runs scenarios S, S+1, ..., S+N-1 (LAUREL_SIM_SEEDS sets the default N). Without a
// canary a run fails (exit 1) on the first violation, printing the scenario and its replay.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "tests/sim/simulator.h"

using namespace laurel::sim;

namespace {

struct Options {
  std::string mode = "random";
  bool canaries = false;
  uint64_t seed = 1;
  uint64_t seeds = 100;
  uint32_t n = 0;
  uint64_t max = 20000;
  std::vector<std::string> modes = {"adversarial", "random", "twins"};
  Canary canary = Canary::kNone;
  bool verbose = false;
  double io_errors = -1;   // random mode: < 0 = as drawn from the seed
  bool node = false;       // random mode with the node layer (NodeScenario)
  bool batches = false;    // the node layer in batch mode (BatchScenario)
  int batch_byzantine = -1;  // < 0: as drawn from the seed
  uint32_t txs_per_s = 0;  // overrides the node layer's drawn rate (random mode)
  uint8_t node_mutation = 0;
  uint64_t epoch_every = 0;
  uint8_t epoch_mutation = 0;
  bool crash_at_epoch_end = false;
};

Scenario Make(const std::string& mode, uint64_t k, uint32_t n, Canary c, double io_errors = -1) {
  if (mode == "directed") return DirectedScenario(k, c);
  if (mode == "twins") return TwinsScenario(k, c);
  if (mode == "adversarial") return AdversarialScenario(k, c);
  Scenario s = RandomScenario(k, n, c);
  if (io_errors >= 0) s.io_error_rate = io_errors;
  return s;
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Hunt {
  uint64_t ran = 0;                // scenarios run, all modes
  std::vector<uint64_t> per_mode;  // scenarios run per mode
  bool caught = false;
  std::string mode;         // the mode that caught it
  uint64_t mode_count = 0;  // scenarios of that mode run, the catching one included
  std::string found;        // scenario, violation, replay
  double secs = 0;
};

std::string Report(const Scenario& s, const Outcome& out) {
  return Describe(s) + "\n      " + out.violation + "\n      replay: " + ReplayCommand(s);
}

// The search: the modes in turn (scenario k of the hunt is scenario seed + k / modes of mode
// k % modes) until a safety violation or `limit` scenarios.
Hunt Search(const Options& o, Canary c, uint64_t limit) {
  Hunt h;
  h.per_mode.assign(o.modes.size(), 0);
  const double t0 = Now();
  for (uint64_t k = 0; k < limit; ++k) {
    const size_t m = k % o.modes.size();
    const Scenario s = Make(o.modes[m], o.seed + k / o.modes.size(), o.n, c);
    const Outcome out = Run(s);
    ++h.ran;
    ++h.per_mode[m];
    if (CatchesCanary(c, out)) {
      h.caught = true;
      h.mode = o.modes[m];
      h.mode_count = h.per_mode[m];
      h.found = Report(s, out);
      break;
    }
  }
  h.secs = Now() - t0;
  return h;
}

// The directed scenarios that end in a safety violation with canary c.
std::vector<std::string> DirectedCatches(Canary c, std::string* detail) {
  std::vector<std::string> names;
  for (uint64_t d = 1; d <= DirectedCount(); ++d) {
    const Scenario s = DirectedScenario(d, c);
    const Outcome out = Run(s);
    if (CatchesCanary(c, out)) {
      names.push_back(DirectedName(d));
      if (detail->empty()) *detail = Report(s, out);
    }
  }
  return names;
}

int RunCanaries(const Options& o) {
  std::vector<Canary> list = AllCanaries();
  if (o.canary != Canary::kNone) list = {o.canary};
  std::printf(
      "canaries: search = %s in turn, at most %llu scenarios per canary; directed "
      "scenarios reported apart\n",
      [&] {
        std::string m;
        for (const auto& x : o.modes) m += (m.empty() ? "" : ",") + x;
        return m;
      }()
          .c_str(),
      static_cast<unsigned long long>(o.max));
  int missed = 0;
  int directed_caught = 0;
  uint64_t total = 0;
  const double t0 = Now();
  for (Canary c : list) {
    const Hunt h = Search(o, c, o.max);
    total += h.ran;
    std::string detail;
    const std::vector<std::string> directed = DirectedCatches(c, &detail);
    std::string dnames;
    for (const auto& n : directed) dnames += (dnames.empty() ? "" : ", ") + n;
    if (!directed.empty()) ++directed_caught;
    std::ostringstream counts;
    for (size_t m = 0; m < o.modes.size(); ++m) {
      counts << (m ? " " : "") << o.modes[m] << "=" << h.per_mode[m];
    }
    if (h.caught) {
      std::printf(
          "canary (%c) %-20s caught by search after %5llu scenarios (%s #%llu; %s) in "
          "%.1fs; directed: %s\n      %s\n",
          CanaryLetter(c), CanaryName(c), static_cast<unsigned long long>(h.ran), h.mode.c_str(),
          static_cast<unsigned long long>(h.mode_count), counts.str().c_str(), h.secs,
          dnames.empty() ? "not caught" : dnames.c_str(), h.found.c_str());
    } else {
      ++missed;
      std::printf(
          "canary (%c) %-20s NOT CAUGHT by search in %llu scenarios (%s) in %.1fs; "
          "directed: %s\n",
          CanaryLetter(c), CanaryName(c), static_cast<unsigned long long>(h.ran),
          counts.str().c_str(), h.secs, dnames.empty() ? "not caught" : dnames.c_str());
    }
    std::fflush(stdout);
  }
  const double secs = Now() - t0;
  std::printf(
      "%zu canaries: %zu caught by search, %d by directed scenarios; %llu search "
      "scenarios in %.1fs (%.1f scenarios/s)\n",
      list.size(), list.size() - missed, directed_caught, static_cast<unsigned long long>(total),
      secs, static_cast<double>(total) / secs);
  return missed == 0 ? 0 : 1;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : s + ",") {
    if (ch == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  return out;
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
    if (a == "--twins" || a == "--directed" || a == "--random" || a == "--adversarial")
      o.mode = a.substr(2);
    else if (a == "--canaries")
      o.canaries = true;
    else if (a == "--node")
      o.node = true;
    else if (a == "--batches")
      o.batches = true;
    else if (a == "--batch-byzantine")
      o.batch_byzantine = static_cast<int>(std::strtoul(next().c_str(), nullptr, 10) & 31);
    else if (a == "--txs-per-s")
      o.txs_per_s = static_cast<uint32_t>(std::strtoul(next().c_str(), nullptr, 10));
    else if (a == "--node-mutation")
      o.node_mutation = static_cast<uint8_t>(std::strtoul(next().c_str(), nullptr, 10));
    else if (a == "--epoch-every")
      o.epoch_every = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--crash-at-epoch-end")
      o.crash_at_epoch_end = true;
    else if (a == "--epoch-mutation")
      o.epoch_mutation = static_cast<uint8_t>(std::strtoul(next().c_str(), nullptr, 10));
    else if (a == "--verbose")
      o.verbose = true;
    else if (a == "--seed")
      o.seed = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--seeds")
      o.seeds = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--n")
      o.n = static_cast<uint32_t>(std::strtoul(next().c_str(), nullptr, 10));
    else if (a == "--io-errors")
      o.io_errors = std::strtod(next().c_str(), nullptr);
    else if (a == "--max")
      o.max = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--modes") {
      o.modes = Split(next());
      for (const auto& m : o.modes) {
        if (m != "adversarial" && m != "random" && m != "twins") {
          std::fprintf(stderr, "unknown search mode %s\n", m.c_str());
          return 2;
        }
      }
      if (o.modes.empty()) {
        std::fprintf(stderr, "no search mode\n");
        return 2;
      }
    } else if (a == "--canary") {
      if (!ParseCanary(next(), &o.canary)) {
        std::fprintf(stderr, "unknown canary\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (o.canaries) return RunCanaries(o);

  const double t0 = Now();
  uint64_t failures = 0;
  uint64_t events = 0;
  uint64_t crashes = 0;
  uint64_t io_errors = 0;
  if (o.mode == "directed") {
    o.seed = std::max<uint64_t>(o.seed, 1);
    o.seeds = std::min(o.seeds, DirectedCount() + 1 - std::min(o.seed, DirectedCount() + 1));
  }
  for (uint64_t k = o.seed; k < o.seed + o.seeds; ++k) {
    Scenario s = Make(o.mode, k, o.n, o.canary, o.io_errors);
    if (o.mode == "random" && (o.node || o.batches || o.txs_per_s > 0)) {
      s = o.batches ? BatchScenario(k, o.n) : NodeScenario(k, o.n);
      if (o.batches && o.batch_byzantine >= 0) s.batch_byzantine = static_cast<uint8_t>(o.batch_byzantine);
      s.canary = o.canary;
      if (o.io_errors >= 0) s.io_error_rate = o.io_errors;
      if (o.txs_per_s > 0) s.txs_per_s = o.txs_per_s;
      s.node_mutation = o.node_mutation;
    }
    if (o.mode != "directed" && o.mode != "adversarial") {
      s.epoch_every = o.epoch_every;
      s.epoch_mutation = o.epoch_mutation;
      s.crash_at_epoch_end = o.crash_at_epoch_end;
    }
    Outcome out = Run(s);
    events += out.events;
    crashes += out.crashes;
    io_errors += out.io_errors;
    if (o.verbose || !out.ok) {
      std::printf(
          "%s: %s\n    height=%llu events=%llu virtual_ms=%llu crashes=%llu evidence=%llu "
          "io_errors=%llu\n",
          out.ok ? "ok" : "FAIL", Describe(s).c_str(),
          static_cast<unsigned long long>(out.max_height),
          static_cast<unsigned long long>(out.events),
          static_cast<unsigned long long>(out.virtual_ms),
          static_cast<unsigned long long>(out.crashes),
          static_cast<unsigned long long>(out.evidence),
          static_cast<unsigned long long>(out.io_errors));
    }
    if (!out.node_summary.empty() && (o.verbose || !out.ok)) {
      std::printf("    %s\n", out.node_summary.c_str());
    }
    if (!out.ok) {
      std::printf("    %s\n    replay: %s\n", out.violation.c_str(), ReplayCommand(s).c_str());
      ++failures;
      if (o.canary == Canary::kNone) break;
    }
  }
  const double secs = Now() - t0;
  std::printf(
      "%llu scenarios (%s), %llu failed, %llu events, %llu crashes, %llu injected I/O errors, "
      "%.1fs, %.1f scenarios/s\n",
      static_cast<unsigned long long>(o.seeds), o.mode.c_str(),
      static_cast<unsigned long long>(failures), static_cast<unsigned long long>(events),
      static_cast<unsigned long long>(crashes), static_cast<unsigned long long>(io_errors), secs,
      static_cast<double>(o.seeds) / secs);
  return failures == 0 ? 0 : 1;
}

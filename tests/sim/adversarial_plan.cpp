#include "tests/sim/adversarial_plan.h"

#include <algorithm>
#include <random>
#include <sstream>

namespace laurel::sim::adversarial {

const char* TacticName(Tactic t) {
  switch (t) {
    case Tactic::kLock:
      return "lock";
    case Tactic::kLate:
      return "late";
    case Tactic::kGap:
      return "gap";
    case Tactic::kDouble:
      return "double";
  }
  return "?";
}

uint64_t Mix(uint64_t seed) { return seed * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL; }

namespace {

// Sides for the fork strategy: both forks reach an honest engine, and the sides differ.
void DrawSides(Plan& p, std::mt19937_64& r) {
  while (true) {
    bool a = false, b = false, only = false;
    for (uint32_t i = 1; i < kN; ++i) {
      p.side[i] = kBoth;
      if (p.signer && i == kSigner) continue;  // no engine: not on a side
      p.side[i] = static_cast<uint8_t>(r() % 3);
      a = a || p.side[i] != 1;
      b = b || p.side[i] != 0;
      only = only || p.side[i] != kBoth;
    }
    if (a && b && only) return;
  }
}

}  // namespace

Plan MakePlan(uint64_t seed) {
  std::mt19937_64 r(Mix(seed));
  auto u = [&] { return static_cast<double>(r() >> 11) * 0x1.0p-53; };
  auto pick = [&](std::initializer_list<double> v) { return *(v.begin() + r() % v.size()); };
  Plan p;
  p.split = u() < 0.7;
  if (p.split) {
    for (uint32_t k = 0; k < kPlanRounds; ++k) {
      p.leaders.push_back(u() < 0.9 ? kByz : static_cast<uint32_t>(1 + r() % (kN - 1)));
    }
    p.signer = u() < 0.7;
    p.weight[kProposal] = pick({0.3, 1, 1});
    p.weight[kVote] = pick({0.3, 1, 1});
    p.faulty_first = pick({1, 10});
    p.timer = pick({0.1, 0.3});
    p.patience = static_cast<uint32_t>(pick({3, 8, 15}));
    p.byz = pick({0.3, 0.6});
    p.w_timeout = 1;
    p.w_reveal = pick({0.5, 1});
    p.w_vote = 0.3;
    p.follow_timeouts = u() < 0.5;
    p.reveal_commits = u() < 0.7;
    p.fork = true;
    DrawSides(p, r);
    p.leak = pick({0, 0, 0.02});
    p.switch_round = 2 + r() % 4;
    if (u() < 0.3) {
      p.victim = static_cast<int>(1 + r() % (kN - 1));
      p.crash_after_vote = pick({0.5, 1.0});
    }
    // The tactic: which message orders the split is built from.
    p.tactic = static_cast<Tactic>(r() % 4);
    switch (p.tactic) {
      case Tactic::kLock:  // fork A certified and committed, then fork B from below it
        p.equivocate = static_cast<uint32_t>(pick({1, 2}));
        p.hedge = u() < 0.9;
        break;
      case Tactic::kLate:  // blocks arrive after their round timed out
        p.equivocate = 1;
        if (p.signer) {  // one honest node per side
          p.side[2] = static_cast<uint8_t>(r() % 2);
          p.side[3] = static_cast<uint8_t>(1 - p.side[2]);
        }
        p.late_propose = true;
        p.pre_timeout = pick({0.5, 0.8});
        p.hedge = u() < 0.5;
        break;
      case Tactic::kGap:  // the forks take turns, round by round
        p.alternate = true;
        p.equivocate = static_cast<uint32_t>(pick({1, 2}));
        p.late_propose = u() < 0.3;
        p.hedge = u() < 0.7;
        break;
      case Tactic::kDouble:  // two blocks per round, and crashes right after votes
        p.equivocate = 2;
        // The victim sees both forks if some honest node does.
        p.victim = static_cast<int>(1 + r() % (kN - 1));
        for (uint32_t i = 1; i < kN; ++i) {
          if (p.side[i] == kBoth && !(p.signer && i == kSigner)) p.victim = static_cast<int>(i);
        }
        p.crash_after_vote = pick({0.5, 1.0});
        p.signer_crash = pick({0.5, 1.0});
        p.hedge = u() < 0.5;
        break;
    }
    if (p.victim >= 0) {
      p.max_crashes =
          static_cast<uint32_t>(p.tactic == Tactic::kDouble ? 2 + r() % 4 : 1 + r() % 4);
      p.lose_blocks = u() < 0.5;
    }
    return p;
  }
  const double byz_lead = pick({0.25, 0.5, 0.75, 1.0});
  for (uint32_t k = 0; k < kPlanRounds; ++k) {
    p.leaders.push_back(u() < byz_lead ? kByz : static_cast<uint32_t>(1 + r() % (kN - 1)));
  }
  p.signer = u() < 1.0 / 3;
  p.steps = static_cast<uint32_t>(pick({150, 300, 500}));
  for (double& w : p.weight) w = pick({0.1, 1, 1, 4});
  p.faulty_first = pick({1, 1, 10});
  p.drop = pick({0, 0, 0.05, 0.2});
  p.timer = pick({0.03, 0.1, 0.3});
  p.patience = static_cast<uint32_t>(pick({0, 5, 15, 40}));
  p.byz = pick({0.1, 0.3, 0.6});
  p.equivocate = static_cast<uint32_t>(pick({1, 2, 3}));
  p.w_timeout = pick({0.2, 1, 1});
  p.w_reveal = pick({0.3, 1});
  p.w_vote = pick({0.2, 1});
  p.follow_timeouts = u() < 0.5;
  p.hedge = u() < 0.3;
  p.pre_timeout = pick({0, 0, 0.3});
  p.late_propose = u() < 0.2;
  p.reveal_commits = u() < 0.3;
  p.fork = u() < 0.5;
  if (p.fork) {
    DrawSides(p, r);
    p.leak = pick({0.02, 0.2, 1});
    p.switch_round = 2 + r() % 5;
    p.equivocate = std::max<uint32_t>(p.equivocate, 2);
  }
  p.crash_after_send = pick({0, 0, 0.05, 0.2});
  if (u() < 0.4) {
    p.victim = static_cast<int>(1 + r() % (kN - 1));
    p.crash_after_vote = pick({0.3, 0.6, 1.0});
  }
  p.lose_blocks = u() < 0.5;
  p.max_crashes = p.crash_after_send > 0 || p.victim >= 0 ? static_cast<uint32_t>(1 + r() % 6) : 0;
  p.signer_crash = pick({0, 0.3, 0.6});
  if (u() < 0.3) {
    p.isolated = static_cast<int>(1 + r() % (kN - 1));
    p.iso_from = 1 + r() % kPlanRounds;
    p.iso_to = p.iso_from + r() % 4;
  }
  return p;
}

std::string DescribePlan(const Plan& p) {
  std::ostringstream os;
  os << "family=" << (p.split ? "split" : "chaos");
  if (p.split) os << " tactic=" << TacticName(p.tactic);
  os << " leaders=";
  for (uint32_t l : p.leaders) os << l;
  os << " strategy=" << (p.fork ? "fork" : "random");
  if (p.fork) {
    os << " sides=";
    for (uint32_t i = 1; i < kN; ++i) {
      os << (p.signer && i == kSigner ? '-' : p.side[i] == 0 ? 'A' : p.side[i] == 1 ? 'B' : '*');
    }
    os << " leak=" << p.leak;
    if (p.alternate) {
      os << " alternate";
    } else {
      os << " switch=r" << p.switch_round;
    }
  }
  os << " signer_host=" << p.signer << " steps=" << p.steps << " weights(p,v,t,s,f)=";
  for (int k = 0; k < kKinds; ++k) os << (k ? "," : "") << p.weight[k];
  os << " faulty_first=" << p.faulty_first;
  os << " drop=" << p.drop << " timer=" << p.timer << " patience=" << p.patience << " byz=" << p.byz
     << " moves(t,r,v)=" << p.w_timeout << "," << p.w_reveal << "," << p.w_vote
     << " follow_timeouts=" << p.follow_timeouts << " late_propose=" << p.late_propose
     << " reveal_commits=" << p.reveal_commits << " equivocate=" << p.equivocate
     << " crash_after_send=" << p.crash_after_send << " lose_blocks=" << p.lose_blocks
     << " max_crashes=" << p.max_crashes;
  if (p.victim >= 0) os << " victim=" << p.victim << "@" << p.crash_after_vote;
  if (p.signer) {
    os << " signer_crash=" << p.signer_crash << " hedge=" << p.hedge
       << " pre_timeout=" << p.pre_timeout;
  }
  if (p.isolated >= 0) os << " isolated=" << p.isolated << "@r" << p.iso_from << "-" << p.iso_to;
  return os.str();
}

}  // namespace laurel::sim::adversarial

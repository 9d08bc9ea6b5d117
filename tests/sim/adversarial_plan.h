// The plan of an adversarial scenario (adversarial.cpp): everything its adversary decides up
// front, drawn from the seed alone — who leads, which kinds of message it delivers first, its
// strategy and tactic, which faults it injects.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/sim/script.h"

namespace laurel::sim::adversarial {

using consensus::Round;
using script::kByz;
using script::kN;

inline constexpr uint32_t kPlanRounds = 10;  // the leader table; round-robin after it
inline constexpr uint32_t kSigner = 1;       // the compromised host, when the plan has one
inline constexpr uint8_t kBoth = 2;          // side (or fork) of a node (block) on both sides

// Kinds of pending message, for the delivery weights.
enum Kind : uint8_t { kProposal, kVote, kTimeout, kSync, kFetch, kKinds };

// The split family's tactics (MakePlan): which message orders its fork strategy is built from.
//   lock:   fork A is certified and committed on its side, then fork B grows from below it;
//   late:   key 0's blocks arrive after their round timed out at the receivers;
//   gap:    the forks take turns round by round, so that every QC skips a round;
//   double: two blocks per round, and crashes right after votes.
enum class Tactic : uint8_t { kLock, kLate, kGap, kDouble };
const char* TacticName(Tactic t);

struct Plan {
  bool split = false;             // the family: "split" or "chaos" (MakePlan)
  Tactic tactic = Tactic::kLock;  // split family
  std::vector<uint32_t> leaders;
  bool signer = false;  // key 1 is a compromised host
  uint32_t steps = 300;
  double weight[kKinds] = {1, 1, 1, 1, 1};  // delivery weight per kind of message
  double faulty_first = 1;                  // delivery weight factor for what the faulty keys send
  double drop = 0;
  double timer = 0.1;     // weight of "fire a timer" against 1 for "deliver"
  uint32_t patience = 0;  // a node's round timer fires only after this many moves in the round
  double byz = 0.2;       // weight of a move of key 0
  uint32_t equivocate = 1;
  // Weights of key 0's moves other than proposing (which comes first in a round it leads).
  double w_timeout = 1, w_reveal = 1, w_vote = 1;
  // Key 0 (and the compromised host) time out in a round only once an honest node did.
  bool follow_timeouts = false;
  // The compromised host times out in the round it last voted in before voting in a later one.
  bool hedge = false;
  double pre_timeout = 0;  // it times out in a round right before voting in it
  // Key 0 proposes in a round only once an honest node timed out in it: its block arrives
  // after the round's timeouts (a delayed proposal).
  bool late_propose = false;
  bool reveal_commits = false;  // key 0 reveals only QCs that commit something
  bool fork = false;
  uint8_t side[kN] = {kBoth, kBoth, kBoth, kBoth};  // fork strategy: A = 0, B = 1, or both
  double leak = 1;         // fork strategy: delivery weight factor between the sides
  Round switch_round = 3;  // fork strategy: key 0 grows fork A below this round, then fork B
  bool alternate = false;  // fork strategy: ... or fork A in odd rounds and fork B in even ones
  double crash_after_send = 0;
  int victim = -1;              // an honest key that crashes right after its votes ...
  double crash_after_vote = 0;  // ... with this probability
  bool lose_blocks = false;
  uint32_t max_crashes = 0;
  double signer_crash = 0;  // the compromised host crashes after a vote
  int isolated = -1;        // an honest key cut off for rounds [iso_from, iso_to]
  Round iso_from = 0;
  Round iso_to = 0;
};

// Two families: "chaos" (3 seeds in 10), every knob drawn independently; "split" (7 in 10), the
// fork strategy on a clean network — key 0 leads nearly every round, nodes wait a little before
// timing out, few crashes, a compromised host in 7 plans in 10 — with one of the tactics.
Plan MakePlan(uint64_t seed);
// The plan as key=value fields, for Describe().
std::string DescribePlan(const Plan& p);
// The seed's mix, shared by the plan and the adversary's own random stream.
uint64_t Mix(uint64_t seed);

}  // namespace laurel::sim::adversarial

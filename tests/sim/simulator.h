// A deterministic whole-cluster simulator for the consensus engine.
//
// (The "directed" and "adversarial" modes run a scripted cluster instead: script.h.)
//
// N engines (plus Twins: a second engine for each Byzantine key, sharing its private key but
// not its safety store) run in one thread against a virtual clock. The network delays, drops,
// duplicates and reorders messages and can be partitioned, by time (random scenarios) or by
// message round (Twins scenarios). Nodes crash and restart from their synced safety record and
// their durable committed ledger; "crash points" crash a node right after it sent a vote,
// timeout or proposal; a write to a node's disk may fail (I/O error), which halts the node. A
// Byzantine key may also craft proposals that extend a stale QC.
//
// Invariants are checked on every commit: honest nodes never commit different blocks at one
// height, each node commits exactly once and in order, and every commit carries a valid
// certificate (QC signatures verified against the validator set). After GST, with at most f
// faulty keys, every honest node must commit new blocks within a bounded virtual time.
//
// Every run is a pure function of its Scenario, and every Scenario is a pure function of
// (mode, seed or index, options): a failure replays exactly from what Describe() prints.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "consensus/test_hooks.h"
#include "consensus/validator_set.h"
#include "crypto/ed25519.h"

namespace laurel::sim {

// The mutation canaries, (a)..(h) in consensus/test_hooks.h.
enum class Canary : uint8_t {
  kNone,
  kCommitRule,        // (a)
  kLastVotedRound,    // (b)
  kPersist,           // (c)
  kTcCondition,       // (d)
  kObserveQc,         // (e)
  kTimeoutLastVoted,  // (f)
  kTimeoutOneChain,   // (g)
  kLeaderDeterminism, // (h)
};
const char* CanaryName(Canary c);
char CanaryLetter(Canary c);               // 'a'..'h'
const std::vector<Canary>& AllCanaries();  // (a)..(g) in order
// Accepts a name or a letter.
bool ParseCanary(const std::string& s, Canary* out);
consensus::TestHooks HooksFor(Canary c);

struct Scenario {
  std::string mode = "random";  // "random", "twins", "directed" or "adversarial"
  uint64_t seed = 1;  // random: the seed; twins: the enumeration index; directed: the number
  uint32_t n = 4;
  uint32_t twins = 0;  // Byzantine keys 0..twins-1, each run by two engines
  // Byzantine keys also propose on other certified blocks (forks, stale QCs), and the network
  // adversary assembles QCs from the votes it sees and reveals them selectively.
  bool adversary = false;
  double drop = 0;
  double dup = 0;
  uint32_t max_delay_ms = 20;
  // Random mode: time-based partitions before GST.
  uint32_t partition_changes = 0;
  uint32_t random_crashes = 0;
  double crash_after_send = 0;  // probability of a crash point after a vote/timeout/proposal
  uint32_t max_down = 1;        // nodes down at once
  uint64_t gst_ms = 5000;
  // Random mode: the probability that a write to a node's disk (a Put of its safety record, a
  // block Save) fails with IoError, before GST and while fewer than max_down nodes are down.
  // The engine must return the error; the node then halts, and restarts like a crashed one.
  double io_error_rate = 0;
  // Twins mode: per round 1..R, the group of each instance and the leading key.
  std::vector<std::vector<uint8_t>> round_groups;
  std::vector<uint32_t> round_leaders;
  uint64_t liveness_ms = 30000;  // after GST, every honest node must commit within this
  Canary canary = Canary::kNone;
  // Random mode: the node layer (node_model.h) when non-zero: clients submit this many
  // transactions per second of virtual time, to honest nodes' mempools.
  uint32_t txs_per_s = 0;
  // With the node layer and twins > 0: Byzantine key 0 also lies about its height, forges
  // far-future proposals listing pending transactions, and streams block variants.
  bool byzantine_node = false;
  // Checks that the node layer's invariants can fail: 1 = the payload source ignores the branch
  // and the chain view (DUPLICATE), 2 = sync answers are believed unverified (SYNC).
  uint8_t node_mutation = 0;
  // With the node layer: transactions travel in digest batches with proofs of availability
  // (node_model.h, docs/spec/batches.md) instead of gossip and version-1 payloads.
  bool batches = false;
  // Batch mode with twins > 0: Byzantine key 0's batch behaviours (NodeLayer::kByz* bits).
  uint8_t batch_byzantine = 0;
  // Validator-set epochs (docs/spec/consensus.md §13) when non-zero: the committed block at
  // every height divisible by this ends its epoch (standing in for a committed validator-set
  // change; the keys stay the same), and consensus restarts on it in the next epoch. A node
  // that hears of a later epoch is brought up to its start from an honest node's ledger (block
  // sync). Not with the node layer.
  uint64_t epoch_every = 0;
  // 1: the host keeps applying the old epoch's commits above its last block; 2: the sets of
  // later epochs accept signed QCs of other epochs. Both must be caught (1: conflicting
  // commits; 2: the new epoch stalls on an old epoch's high QC).
  uint8_t epoch_mutation = 0;
  // The proposer of every epoch's last block crashes right after sending it (within max_down,
  // before GST).
  bool crash_at_epoch_end = false;
};

std::string Describe(const Scenario& s);

// The random scenario of `seed`. n_override: 0 = pick 4 or 7 from the seed. io_error_rate is
// drawn last (a quarter of the seeds get one), so the other draws of a seed never depend on it.
Scenario RandomScenario(uint64_t seed, uint32_t n_override, Canary canary);
// The random scenario of `seed` with the node layer: txs_per_s drawn from the seed (25, 100 or
// 250: at 250 a partition before GST fills the mempools).
Scenario NodeScenario(uint64_t seed, uint32_t n_override);
// NodeScenario with digest batches; when the seed drew Byzantine keys, key 0's batch behaviours
// are drawn from the seed too (every kByz* bit with probability 1/2, at least one).
Scenario BatchScenario(uint64_t seed, uint32_t n_override);
// Number of Twins scenarios in the enumeration space, and scenario number `index` of it
// (n = 4 plus one twin; per round 1..6: a partition of the 5 instances into 2 or 3 groups that
// separates the twins, and a leader).
uint64_t TwinsSpaceSize();
Scenario TwinsScenario(uint64_t index, Canary canary);

// Directed scenarios (directed.cpp), numbered from 1: scripted leader schedules, partitions,
// Byzantine messages and crash points, each built so that one canary becomes a safety
// violation; with no canary each must stay safe and live.
uint64_t DirectedCount();
const char* DirectedName(uint64_t index);
Canary DirectedTarget(uint64_t index);  // the canary the scenario is built to catch
Scenario DirectedScenario(uint64_t index, Canary canary);

// Adversarial scenarios (adversarial.cpp): a randomized adversary with full control of the
// network and of Byzantine key 0 (which leads most rounds, equivocates, proposes on stale QCs,
// delays its blocks past the round's timeouts, withholds and reveals the QCs and TCs it
// assembles) drives real engines for keys 1..3, with crash points; in most plans key 1 is a
// compromised host whose votes and timeouts are signed only through its SafetyRules (those
// plans check safety only). Scenario `seed` is a pure function of the seed.
Scenario AdversarialScenario(uint64_t seed, Canary canary);
std::string DescribeAdversarialPlan(uint64_t seed);

struct Outcome {
  bool ok = true;
  std::string violation;  // empty when ok
  bool safety_violation = false;
  // Evidence named an honest validator (e.g. honest nodes disagreed on a round's leader).
  bool election_violation = false;
  uint64_t events = 0;
  uint64_t virtual_ms = 0;
  uint64_t max_height = 0;  // highest honest committed height
  uint64_t crashes = 0;
  uint64_t evidence = 0;
  uint64_t io_errors = 0;    // failed writes injected (io_error_rate)
  uint64_t epoch_changes = 0;  // instances that moved to a next epoch (Scenario::epoch_every)
  uint64_t boundary_crashes = 0;  // leaders crashed right after proposing an epoch's last block
  std::string node_summary;  // the node layer's counters, when it ran
  // Batch mode (NodeLayer::Batches()).
  uint64_t batch_executed_txs = 0;
  uint64_t batch_fetched = 0;
  uint64_t batch_skipped_invalid = 0;
  uint64_t batch_skipped_executed = 0;
  uint64_t batch_unavailable_blocks = 0;  // instances stalled on a batch no honest node holds
  uint64_t batch_signers_lost = 0;        // ... that only honest non-signers hold
  uint64_t batch_byz_proofs = 0;
  uint64_t batch_withheld_executed = 0;  // withheld (f+1 holders) batches executed everywhere
  uint64_t batch_equivocated_executed = 0;
  uint64_t batch_wrong_answers = 0;
};

Outcome Run(const Scenario& s);  // any mode
// Whether `out` shows canary c: a violation of the invariant c breaks. Safety for (a)-(g); for
// (h) also an election that is not a function of the proposal (evidence against an honest
// validator: honest nodes disagreed on who led a round).
bool CatchesCanary(Canary c, const Outcome& out);
Outcome RunDirected(const Scenario& s);
Outcome RunAdversarial(const Scenario& s);

// The command line that replays `s` with laurel-sim.
std::string ReplayCommand(const Scenario& s);

// Verifies each distinct (key, domain, message, signature) once per run: a scenario checks
// the same QC signatures many times.
class MemoChecker : public consensus::SignatureChecker {
 public:
  bool Check(const consensus::PublicKey& key, std::string_view domain, ByteView message,
             const consensus::Signature& signature) override;

 private:
  std::map<Hash32, bool> memo_;
};

// Leaders from a table for rounds 1..size(); after it round-robin (the validator set reduces
// the answer modulo n) or, given n, the built-in election (consensus::ElectLeader).
class TableElection : public consensus::LeaderElection {
 public:
  explicit TableElection(std::vector<uint32_t> table, uint32_t elect_after_n = 0)
      : table_(std::move(table)), elect_after_n_(elect_after_n) {}
  uint32_t Leader(consensus::Round round, const consensus::Block* prev) const override;

 private:
  std::vector<uint32_t> table_;
  uint32_t elect_after_n_;
};

// n deterministic keys from seeds (tag, 0, ..., 0, i).
std::vector<crypto::PrivateKey> MakeKeys(uint8_t tag, size_t n);

}  // namespace laurel::sim

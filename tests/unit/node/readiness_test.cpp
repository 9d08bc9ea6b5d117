// The readiness rule behind GET /readyz: each condition on its own makes a node not ready, with
// a reason that names it.
#include "node/readiness.h"

#include <catch2/catch.hpp>

namespace laurel::node {
namespace {

// A validator of a 4-node chain that is caught up, hears its peers and committed just now.
ReadinessFacts Healthy() {
  ReadinessFacts f;
  f.running = true;
  f.height = 100;
  f.best_peer_height = 101;
  f.sync_gap = 4;
  f.peers_heard = 2;
  f.peers_needed = 2;
  f.ms_since_commit = 200;
  return f;
}

TEST_CASE("a caught-up validator that hears a quorum and commits is ready", "[node]") {
  const Readiness r = AssessReadiness(Healthy());
  CHECK(r.ready);
  CHECK(r.reason.empty());
}

TEST_CASE("a node that has not started its consensus engine is not ready", "[node]") {
  ReadinessFacts f = Healthy();
  f.running = false;
  CHECK_FALSE(AssessReadiness(f).ready);
  CHECK(AssessReadiness(f).reason == "not started");
}

TEST_CASE("a syncing node is not ready and says how far it has come", "[node]") {
  ReadinessFacts f = Healthy();
  f.syncing = true;
  f.height = 12;
  f.best_peer_height = 80;
  const Readiness r = AssessReadiness(f);
  CHECK_FALSE(r.ready);
  CHECK(r.reason == "syncing: height 12 of 80");
}

TEST_CASE("a node that has heard fewer than quorum-1 peers is not ready", "[node]") {
  ReadinessFacts f = Healthy();
  f.peers_heard = 1;
  const Readiness r = AssessReadiness(f);
  CHECK_FALSE(r.ready);
  CHECK(r.reason == "no peers: heard from 1 of the 2 needed");
  // A freshly restarted node with no peers at all, however recent its last commit.
  f.peers_heard = 0;
  f.ms_since_commit.reset();
  CHECK(AssessReadiness(f).reason == "no peers: heard from 0 of the 2 needed");
}

TEST_CASE("a lone validator needs no peers", "[node]") {
  ReadinessFacts f = Healthy();
  f.peers_heard = 0;
  f.peers_needed = 0;
  f.best_peer_height = 0;
  CHECK(AssessReadiness(f).ready);
}

TEST_CASE(
    "a node further behind its best peer than the sync gap is not ready before its sync "
    "starts",
    "[node]") {
  ReadinessFacts f = Healthy();
  f.best_peer_height = f.height + f.sync_gap;
  CHECK(AssessReadiness(f).ready);
  f.best_peer_height = f.height + f.sync_gap + 1;
  const Readiness r = AssessReadiness(f);
  CHECK_FALSE(r.ready);
  CHECK(r.reason == "syncing: height 100 of 105");
}

TEST_CASE("a node without a recent commit is not ready", "[node]") {
  ReadinessFacts f = Healthy();
  f.ms_since_commit.reset();
  CHECK(AssessReadiness(f).reason == "no commit since start");
  f.ms_since_commit = kReadyCommitWindowMs;
  CHECK(AssessReadiness(f).ready);
  f.ms_since_commit = 45'500;
  const Readiness r = AssessReadiness(f);
  CHECK_FALSE(r.ready);
  CHECK(r.reason == "no commit for 45 s");
}

TEST_CASE("a node whose store cannot be written is not ready, before any other reason",
          "[node]") {
  ReadinessFacts f = Healthy();
  f.running = false;  // the disk-full reason wins over every other one
  f.syncing = true;
  f.store_error = "disk full: cannot write to the store at /d/db; 0 bytes free";
  const Readiness r = AssessReadiness(f);
  CHECK_FALSE(r.ready);
  CHECK(r.reason == f.store_error);
}

TEST_CASE("a validator whose clock is more than 30 s off the chain's is not ready, and says so",
          "[node]") {
  ReadinessFacts f = Healthy();
  for (int64_t ok : {int64_t{0}, int64_t{30'000}, int64_t{-30'000}, int64_t{1'200}}) {
    f.clock_offset_ms = ok;
    CHECK(AssessReadiness(f).ready);
  }
  f.clock_offset_ms = 300'000;
  Readiness r = AssessReadiness(f);
  CHECK_FALSE(r.ready);
  CHECK(r.reason.rfind("clock 300 s ahead of the chain", 0) == 0);
  CHECK(r.reason.find("NTP") != std::string::npos);
  f.clock_offset_ms = -30'001;
  r = AssessReadiness(f);
  CHECK_FALSE(r.ready);
  CHECK(r.reason.rfind("clock 30 s behind the chain", 0) == 0);
  f.clock_offset_ms = std::nullopt;  // not committing: nothing to compare with
  CHECK(AssessReadiness(f).ready);
}

}  // namespace
}  // namespace laurel::node

#include "node/sync_tracker.h"

#include <catch2/catch.hpp>
#include <set>

using namespace laurel;
using namespace laurel::node;

namespace {

// Block ids of our chain (fork 0) and of a foreign one.
Hash32 Id(uint64_t height, uint8_t fork = 0) {
  Hash32 h{};
  for (int i = 0; i < 8; ++i) h[i] = static_cast<uint8_t>(height >> (8 * i));
  h[31] = static_cast<uint8_t>(0xA0 + fork);
  return h;
}

SyncBlock Block(uint64_t height, uint8_t fork = 0) {
  SyncBlock sb;
  sb.block.height = height;
  sb.block.id = Id(height, fork);
  sb.block.parent_id = Id(height - 1, fork);
  return sb;
}

SyncResponseMsg Answer(uint64_t peer_height, uint64_t from, uint64_t to, uint8_t fork = 0) {
  SyncResponseMsg r;
  r.peer_height = peer_height;
  for (uint64_t h = from; h <= to; ++h) r.blocks.push_back(Block(h, fork));
  return r;
}

// Four validators; this node is 0. Blocks verify and prove their own commit unless named in
// `unverifiable` / `unproven`; the tip moves as the host would apply `apply`.
struct Cluster {
  std::set<uint64_t> unverifiable;
  std::set<uint64_t> unproven;
  SyncTracker t{{.count = 4, .my_index = 0},
                SyncTracker::Verifier{
                    [this](const SyncBlock& sb) {
                      return unverifiable.count(sb.block.height)
                                 ? Status::InvalidArgument("bad proposer signature")
                                 : Status::Ok();
                    },
                    [this](const SyncBlock& sb) { return unproven.count(sb.block.height) == 0; }}};
  SyncTracker::Tip tip{0, Id(0)};
  uint64_t now = 5'000'000;
  uint64_t restarts = 0;

  SyncTracker::Outputs Execute(SyncTracker::Outputs out) {
    for (const SyncBlock& sb : out.apply) {
      REQUIRE(sb.block.height == tip.height + 1);
      REQUIRE(sb.block.parent_id == tip.block_id);
      tip = {sb.block.height, sb.block.id};
    }
    if (out.restart_engine) ++restarts;
    return out;
  }
  SyncTracker::Outputs Hello(uint32_t from, uint64_t height) {
    SyncTracker::Outputs out;
    t.OnHello(from, height, tip, now, out);
    return Execute(std::move(out));
  }
  SyncTracker::Outputs Respond(uint32_t from, const SyncResponseMsg& r) {
    SyncTracker::Outputs out;
    t.OnSyncResponse(from, r, tip, now, out);
    return Execute(std::move(out));
  }
  SyncTracker::Outputs Timeout() {
    SyncTracker::Outputs out;
    t.OnRequestTimeout(tip, now, out);
    return Execute(std::move(out));
  }
};

}  // namespace

TEST_CASE("a Hello height is a claim: the peer is asked for blocks, nothing more", "[sync]") {
  Cluster c;
  auto out = c.Hello(2, 1000);
  REQUIRE(out.request);
  CHECK(out.request->peer == 2);
  CHECK(out.request->from_height == 1);
  CHECK(out.request->max_blocks == kSyncBatch);
  CHECK(out.request->starts_sync);
  CHECK(out.request->timeout_at_ms == c.now + kSyncRequestTimeoutMs);
  CHECK(c.t.peer_height(2) == 1000);
  CHECK_FALSE(c.t.syncing());
  CHECK(c.t.proven_height() == 0);
  // More Hellos while the request is outstanding ask nothing more.
  CHECK_FALSE(c.Hello(2, 2000).request);
  CHECK_FALSE(c.Hello(3, 5000).request);
  CHECK(c.t.request_outstanding());
}

TEST_CASE("a lying Hello never sets syncing and never restarts the engine", "[sync][byzantine]") {
  Cluster c;
  // The liar never answers: demoted once the request times out.
  REQUIRE(c.Hello(3, 1'000'000).request);
  c.now += kSyncRequestTimeoutMs;
  auto out = c.Timeout();
  REQUIRE(out.demotions.size() == 1);
  CHECK(out.demotions[0].peer == 3);
  CHECK_FALSE(out.request);
  CHECK_FALSE(out.restart_engine);
  CHECK(c.t.peer_height(3) == 0);
  // Its next claims are ignored while it is demoted.
  CHECK_FALSE(c.Hello(3, 2'000'000).request);
  CHECK(c.t.peer_height(3) == 0);
  // Another liar answers, but with no block under its claim: demoted too.
  REQUIRE(c.Hello(1, 500).request);
  out = c.Respond(1, Answer(500, 1, 0));
  REQUIRE(out.demotions.size() == 1);
  CHECK(out.demotions[0].peer == 1);
  CHECK(out.apply.empty());
  CHECK_FALSE(out.restart_engine);
  CHECK_FALSE(c.t.syncing());
  CHECK(c.restarts == 0);
  CHECK(c.t.proven_height() == 0);
}

TEST_CASE("a claim within kSyncGap of our height asks for nothing", "[sync]") {
  Cluster c;
  CHECK_FALSE(c.Hello(1, kSyncGap).request);
  CHECK(c.Hello(1, kSyncGap + 1).request);
}

TEST_CASE("the highest claim of the peers not demoted is asked", "[sync]") {
  Cluster c;
  c.Hello(1, 50);  // asked first: the only claim
  c.Hello(2, 90);
  c.now += kSyncRequestTimeoutMs;
  auto out = c.Timeout();  // peer 1 demoted; peer 2 has the highest claim
  REQUIRE(out.request);
  CHECK(out.request->peer == 2);
  CHECK_FALSE(out.request->starts_sync);  // the same sync goes on
}

TEST_CASE("proven blocks are applied in order and a sync that applied them restarts consensus",
          "[sync]") {
  Cluster c;
  REQUIRE(c.Hello(1, 100).request);
  auto out = c.Respond(1, Answer(100, 1, kSyncBatch));
  CHECK(out.apply.size() == kSyncBatch);
  CHECK(c.tip.height == kSyncBatch);
  CHECK(c.t.syncing());
  CHECK(c.t.proven_height() == kSyncBatch);
  REQUIRE(out.request);
  CHECK(out.request->peer == 1);
  CHECK(out.request->from_height == kSyncBatch + 1);
  CHECK_FALSE(out.restart_engine);
  out = c.Respond(1, Answer(100, kSyncBatch + 1, 100));
  CHECK(c.tip.height == 100);
  CHECK_FALSE(out.request);
  CHECK(out.restart_engine);
  CHECK_FALSE(c.t.syncing());
  CHECK(c.t.proven_height() == 100);
  CHECK(c.restarts == 1);
}

TEST_CASE("blocks below the wanted height are skipped", "[sync]") {
  Cluster c;
  c.tip = {10, Id(10)};
  REQUIRE(c.Hello(1, 20).request->from_height == 11);
  auto out = c.Respond(1, Answer(20, 5, 20));
  CHECK(out.demotions.empty());
  CHECK(out.apply.size() == 10);
  CHECK(c.tip.height == 20);
}

TEST_CASE("verified blocks wait for a commit proof before they are applied", "[sync]") {
  Cluster c;
  c.unproven = {1, 2};
  REQUIRE(c.Hello(1, 20).request);
  auto out = c.Respond(1, Answer(20, 1, 2));
  CHECK(out.apply.empty());
  CHECK_FALSE(c.t.syncing());
  CHECK(c.t.pending_blocks() == 2);
  REQUIRE(out.request);
  CHECK(out.request->from_height == 3);  // after what is pending
  out = c.Respond(1, Answer(20, 3, 3));
  CHECK(out.apply.size() == 3);  // block 3's proof covers its pending ancestors
  CHECK(c.tip.height == 3);
  CHECK(c.t.pending_blocks() == 0);
  CHECK(c.t.syncing());
}

TEST_CASE("an unrequested or foreign sync answer is ignored", "[sync][byzantine]") {
  Cluster c;
  // Nothing asked: an answer changes nothing.
  auto out = c.Respond(1, Answer(10, 1, 10));
  CHECK(out.apply.empty());
  CHECK_FALSE(out.request);
  CHECK(c.t.peer_height(1) == 0);
  CHECK(c.t.peers_heard() == 0);
  CHECK(c.tip.height == 0);
  // Peer 2 is asked; peer 3's answer does not count, nor close the request.
  REQUIRE(c.Hello(2, 10).request);
  out = c.Respond(3, Answer(10, 1, 10));
  CHECK(out.apply.empty());
  CHECK(out.demotions.empty());
  CHECK(c.t.request_outstanding());
  CHECK(c.tip.height == 0);
  CHECK_FALSE(c.t.syncing());
  // The asked peer's answer does.
  out = c.Respond(2, Answer(10, 1, 10));
  CHECK(out.apply.size() == 10);
  // A second answer to the same, already answered request is ignored.
  out = c.Respond(2, Answer(20, 11, 20));
  CHECK(out.apply.empty());
  CHECK(c.tip.height == 10);
}

TEST_CASE("a block not linked to our chain demotes the peer and discards what is pending",
          "[sync][byzantine]") {
  Cluster c;
  c.unproven = {1, 2, 3};
  REQUIRE(c.Hello(1, 50).request);
  c.Hello(2, 40);
  c.Respond(1, Answer(50, 1, 2));
  REQUIRE(c.t.pending_blocks() == 2);
  // Block 3 of another chain: its parent is not our pending block 2.
  auto out = c.Respond(1, Answer(50, 3, 3, /*fork=*/1));
  REQUIRE(out.demotions.size() == 1);
  CHECK(out.demotions[0].peer == 1);
  CHECK(out.apply.empty());
  CHECK(c.t.pending_blocks() == 0);
  CHECK(c.t.peer_height(1) == 0);
  CHECK(c.t.Demoted(1, c.now));
  // The next request goes to the other claim, from our tip (the pending blocks are gone).
  REQUIRE(out.request);
  CHECK(out.request->peer == 2);
  CHECK(out.request->from_height == 1);
  // A block of the wrong height is as bad.
  out = c.Respond(2, Answer(40, 2, 2));
  REQUIRE(out.demotions.size() == 1);
  CHECK(out.demotions[0].peer == 2);
  CHECK_FALSE(c.t.syncing());
  CHECK(c.restarts == 0);
}

TEST_CASE("an unverifiable block demotes the peer and discards what is pending",
          "[sync][byzantine]") {
  Cluster c;
  c.unproven = {1};
  c.unverifiable = {2};
  REQUIRE(c.Hello(1, 50).request);
  auto out = c.Respond(1, Answer(50, 1, 3));
  REQUIRE(out.demotions.size() == 1);
  CHECK(out.demotions[0].peer == 1);
  CHECK(out.demotions[0].reason.find("unverifiable") != std::string::npos);
  CHECK(out.apply.empty());  // block 3 would have proven block 1: it is never looked at
  CHECK(c.t.pending_blocks() == 0);
  CHECK(c.tip.height == 0);
  CHECK_FALSE(c.t.syncing());
}

TEST_CASE("demotion expires after 30 s of input time", "[sync][byzantine]") {
  Cluster c;
  REQUIRE(c.Hello(1, 100).request);
  c.now += kSyncRequestTimeoutMs;
  const uint64_t demoted_at = c.now;
  REQUIRE(c.Timeout().demotions.size() == 1);
  c.now = demoted_at + kDemotionMs - 1;
  CHECK(c.t.Demoted(1, c.now));
  CHECK_FALSE(c.Hello(1, 100).request);
  CHECK(c.t.peer_height(1) == 0);
  c.now = demoted_at + kDemotionMs;
  CHECK_FALSE(c.t.Demoted(1, c.now));
  auto out = c.Hello(1, 100);
  REQUIRE(out.request);
  CHECK(out.request->peer == 1);
  CHECK(c.t.peer_height(1) == 100);
}

TEST_CASE("a request timeout counts only once the request's deadline has passed", "[sync]") {
  Cluster c;
  auto first = c.Hello(1, 100).request;
  REQUIRE(first);
  c.now = first->timeout_at_ms - 1;
  CHECK(c.Timeout().demotions.empty());
  CHECK(c.t.request_outstanding());
  // Answered: a timer that fires afterwards (a stale one) changes nothing.
  auto second = c.Respond(1, Answer(100, 1, 10)).request;
  REQUIRE(second);
  c.now = first->timeout_at_ms;
  CHECK(c.Timeout().demotions.empty());
  CHECK_FALSE(c.t.Demoted(1, c.now));
  c.now = second->timeout_at_ms;
  CHECK(c.Timeout().demotions.size() == 1);
  CHECK(c.t.Demoted(1, c.now));
}

TEST_CASE("a sync that applied nothing ends without restarting consensus", "[sync]") {
  Cluster c;
  REQUIRE(c.Hello(1, 10).request);
  // Consensus meanwhile brought the store to the claimed height.
  c.tip = {10, Id(10)};
  auto out = c.Respond(1, Answer(10, 1, 10));
  CHECK(out.apply.empty());
  CHECK(out.demotions.empty());
  CHECK_FALSE(out.request);
  CHECK_FALSE(out.restart_engine);
  CHECK_FALSE(c.t.syncing());
}

TEST_CASE("a peer counts as heard from its Hello or answer until it disconnects", "[sync]") {
  Cluster c;
  c.Hello(1, 0);
  c.Hello(2, 0);
  c.Hello(0, 99);  // this node's own index is not a peer
  CHECK(c.t.peers_heard() == 2);
  CHECK(c.t.peer_height(0) == 0);
  c.t.OnPeerDisconnected(1);
  CHECK(c.t.peers_heard() == 1);
  REQUIRE(c.Hello(3, 10).request);
  c.t.OnPeerDisconnected(3);
  c.Respond(3, Answer(10, 1, 10));
  CHECK(c.t.peers_heard() == 2);
}

TEST_CASE("a sync whose claims all failed ends, dropping pending blocks, without a restart",
          "[sync][byzantine]") {
  Cluster c;
  c.unproven = {1};
  REQUIRE(c.Hello(1, 10).request);
  auto out = c.Respond(1, Answer(10, 1, 1));  // block 1 pending; asked again
  REQUIRE(out.request);
  CHECK(c.t.pending_blocks() == 1);
  c.now += kSyncRequestTimeoutMs;
  out = c.Timeout();  // demoted: no claim is left
  CHECK_FALSE(out.request);
  CHECK_FALSE(out.restart_engine);
  CHECK(c.t.pending_blocks() == 0);
  CHECK_FALSE(c.t.syncing());
  // Poll with no claim left asks nothing; a new claim starts a new sync.
  out = {};
  c.t.Poll(c.tip, c.now, out);
  CHECK_FALSE(out.request);
  out = c.Hello(2, 10);
  REQUIRE(out.request);
  CHECK(out.request->starts_sync);
  CHECK(out.request->from_height == 1);
  // Poll while a request is outstanding asks nothing more.
  out = {};
  c.t.Poll(c.tip, c.now, out);
  CHECK_FALSE(out.request);
}

// Found by fuzz/sync: blocks left pending (verified, not yet proven) while consensus committed
// the same heights by itself were still counted, so the next wanted height skipped past the
// new tip and a block linked only to the stale pending ones could be applied above it.
TEST_CASE("pending blocks the tip has moved past are dropped, not applied or counted",
          "[sync][byzantine]") {
  Cluster c;
  c.unproven = {1, 2};
  REQUIRE(c.Hello(1, 20).request);
  REQUIRE(c.Respond(1, Answer(20, 1, 2)).request);  // 1, 2 pending; asked from 3
  REQUIRE(c.t.pending_blocks() == 2);
  // Consensus commits 1 and 2 itself (the store's tip moves without `apply`).
  c.tip = {2, Id(2)};
  // The honest peer answers the request from 3: block 3 extends the new tip and is applied.
  auto out = c.Respond(1, Answer(20, 3, 3));
  CHECK(out.demotions.empty());
  CHECK(out.apply.size() == 1);
  CHECK(c.tip.height == 3);
  CHECK(c.t.pending_blocks() == 0);

  // Pending blocks, then the tip jumps past them: a block linked to the stale pending one is
  // not applied, and the next request starts above the new tip.
  Cluster d;
  d.unproven = {1};
  REQUIRE(d.Hello(1, 20).request);
  REQUIRE(d.Respond(1, Answer(20, 1, 1)).request);
  d.tip = {2, Id(2)};
  SyncResponseMsg stale;
  stale.peer_height = 20;
  SyncBlock b4 = Block(4, 1);
  b4.block.parent_id = Id(1);  // the pending block, not the tip
  stale.blocks.push_back(b4);
  out = d.Respond(1, stale);  // Execute REQUIREs every applied block to extend the tip
  CHECK(out.apply.empty());
  CHECK(d.tip.height == 2);
  SyncTracker::Outputs poll;
  d.now += kDemotionMs + 1;
  d.t.Poll(d.tip, d.now, poll);
  if (poll.request) CHECK(poll.request->from_height == 3);
}

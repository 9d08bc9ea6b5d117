#include "node/inbound_queue.h"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace laurel;
using laurel::node::InboundQueue;
using Push = InboundQueue::PushResult;

namespace {
crypto::PublicKey Key(uint8_t b) {
  crypto::PublicKey k{};
  k.fill(b);
  return k;
}
Bytes Frame(uint8_t peer, uint32_t seq, size_t size = 8) {
  Bytes f(size, peer);
  f[1] = static_cast<uint8_t>(seq);
  f[2] = static_cast<uint8_t>(seq >> 8);
  return f;
}
}  // namespace

TEST_CASE("a flooding peer gets one turn in n and its overflow is dropped", "[inbound]") {
  InboundQueue q({/*max_frames=*/100, /*max_bytes=*/1 << 20});
  // Peer 9 floods 1,000 frames; its queue keeps 100, the rest is dropped and counted.
  CHECK(q.Push(Key(9), Frame(9, 0)) == Push::kQueuedWake);
  for (uint32_t i = 1; i < 1000; ++i) {
    const Push r = q.Push(Key(9), Frame(9, i));
    CHECK(r == (i < 100 ? Push::kQueued : Push::kDropped));
  }
  CHECK(q.dropped() == 900);
  // Then two honest peers send one frame each: they are served within the next three frames,
  // not after the flood.
  CHECK(q.Push(Key(1), Frame(1, 0)) == Push::kQueued);
  CHECK(q.Push(Key(2), Frame(2, 0)) == Push::kQueued);
  std::vector<uint8_t> order;
  for (int i = 0; i < 4; ++i) {
    auto f = q.Pop();
    REQUIRE(f.has_value());
    order.push_back(f->first[0]);
  }
  CHECK(std::count(order.begin(), order.begin() + 3, 1) == 1);
  CHECK(std::count(order.begin(), order.begin() + 3, 2) == 1);
  CHECK(order[3] == 9);
  // The flood's frames come out in order, and the queue then reports empty once.
  size_t rest = 0;
  uint32_t expect = 0;
  bool in_order = true;
  // Two of peer 9's frames were served above (one among the first three, one fourth).
  expect = 2;
  while (auto f = q.Pop()) {
    in_order &= f->second[1] == static_cast<uint8_t>(expect);
    ++expect;
    ++rest;
  }
  CHECK(in_order);
  CHECK(rest == 98);
  CHECK(q.queued() == 0);
  // Empty: the next frame asks for a drain again.
  CHECK(q.Push(Key(1), Frame(1, 1)) == Push::kQueuedWake);
}

TEST_CASE("the inbound queue bounds bytes per peer but always takes one frame", "[inbound]") {
  InboundQueue q({/*max_frames=*/1000, /*max_bytes=*/100});
  CHECK(q.Push(Key(1), Frame(1, 0, 500)) == Push::kQueuedWake);  // alone: over the cap, kept
  CHECK(q.Push(Key(1), Frame(1, 1, 10)) == Push::kDropped);
  CHECK(q.Push(Key(2), Frame(2, 0, 60)) == Push::kQueued);        // another peer's own budget
  CHECK(q.Push(Key(2), Frame(2, 1, 40)) == Push::kQueued);
  CHECK(q.Push(Key(2), Frame(2, 2, 4)) == Push::kDropped);
  CHECK(q.dropped() == 2);
  CHECK(q.queued() == 3);
  REQUIRE(q.Pop().has_value());
  REQUIRE(q.Pop().has_value());
  REQUIRE(q.Pop().has_value());
  CHECK_FALSE(q.Pop().has_value());
}

#include "node/net/frame_codec.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

using namespace laurel;
using namespace laurel::net;

namespace {

Bytes Payload(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

Bytes Concat(const std::vector<Bytes>& parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes Frame(const Bytes& payload, uint32_t max = kDefaultMaxFrameSize) {
  auto f = EncodeFrame(payload, max);
  REQUIRE(f.ok());
  return *f;
}

// A fresh seed per run, or the one in LAUREL_TEST_SEED to replay a failure.
uint64_t TestSeed(const char* what) {
  const char* env = std::getenv("LAUREL_TEST_SEED");
  const uint64_t seed = env != nullptr ? std::stoull(env) : std::random_device{}();
  std::cout << what << " seed=" << seed << " (replay with LAUREL_TEST_SEED=" << seed << ")\n";
  return seed;
}

}  // namespace

TEST_CASE("frame header is the payload length as u32 big-endian", "[frame]") {
  CHECK(EncodeFrameHeader(0) == std::array<uint8_t, 4>{0, 0, 0, 0});
  CHECK(EncodeFrameHeader(0x01020304) == std::array<uint8_t, 4>{1, 2, 3, 4});
  const Bytes f = Frame(ToBytes("abc"));
  CHECK(f == Bytes{0, 0, 0, 3, 'a', 'b', 'c'});
}

TEST_CASE("encoding refuses a payload above the cap and accepts one exactly at it", "[frame]") {
  CHECK(EncodeFrame(Payload(16, 1), 16).ok());
  auto too_big = EncodeFrame(Payload(17, 1), 16);
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("decoder returns frames whole however the stream is split", "[frame]") {
  const std::vector<Bytes> payloads = {Payload(1, 1), Payload(300, 2), Bytes{}, Payload(5, 3),
                                       Payload(70000, 4)};
  std::vector<Bytes> frames;
  frames.reserve(payloads.size());
  for (const auto& p : payloads) frames.push_back(Frame(p));
  const Bytes stream = Concat(frames);

  for (size_t chunk :
       {size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{5}, size_t{1000}, stream.size()}) {
    INFO("chunk=" << chunk);
    FrameDecoder dec;
    std::vector<Bytes> got;
    for (size_t pos = 0; pos < stream.size(); pos += chunk) {
      const size_t n = std::min(chunk, stream.size() - pos);
      REQUIRE(dec.Feed(ByteView(stream).subspan(pos, n), got).ok());
    }
    CHECK(got == payloads);
    CHECK(dec.buffered() == 0);
  }
}

TEST_CASE("decoder holds a partial frame until its last byte arrives", "[frame]") {
  const Bytes f = Frame(Payload(10, 9));
  FrameDecoder dec;
  std::vector<Bytes> got;
  REQUIRE(dec.Feed(ByteView(f).first(f.size() - 1), got).ok());
  CHECK(got.empty());
  CHECK(dec.buffered() == f.size() - 1);
  REQUIRE(dec.Feed(ByteView(f).last(1), got).ok());
  REQUIRE(got.size() == 1);
  CHECK(got[0] == Payload(10, 9));
}

TEST_CASE("decoder returns several merged frames from one read, zero-length ones included",
          "[frame]") {
  const Bytes stream = Concat({Frame({}), Frame({}), Frame(ToBytes("x")), Frame({})});
  FrameDecoder dec;
  std::vector<Bytes> got;
  REQUIRE(dec.Feed(stream, got).ok());
  REQUIRE(got.size() == 4);
  CHECK(got[0].empty());
  CHECK(got[1].empty());
  CHECK(got[2] == ToBytes("x"));
  CHECK(got[3].empty());
}

TEST_CASE("a zero-length frame completes on its header alone", "[frame]") {
  FrameDecoder dec;
  std::vector<Bytes> got;
  REQUIRE(dec.Feed(Bytes{0, 0, 0, 0}, got).ok());
  REQUIRE(got.size() == 1);
  CHECK(got[0].empty());
}

TEST_CASE("decoder accepts a frame of exactly the cap and rejects cap plus one", "[frame]") {
  constexpr uint32_t kCap = 1000;
  {
    FrameDecoder dec(kCap);
    std::vector<Bytes> got;
    REQUIRE(dec.Feed(Frame(Payload(kCap, 5), kCap), got).ok());
    REQUIRE(got.size() == 1);
    CHECK(got[0].size() == kCap);
  }
  {
    FrameDecoder dec(kCap);
    std::vector<Bytes> got;
    const auto header = EncodeFrameHeader(kCap + 1);
    // The error is known from the header alone: nothing of the payload is needed or buffered.
    const Status st = dec.Feed(header, got);
    CHECK(st.code() == StatusCode::kInvalidArgument);
    CHECK(got.empty());
    CHECK(dec.failed());
    CHECK(dec.buffered() <= kFrameHeaderSize);
  }
}

TEST_CASE("decoder rejects the largest u32 length under the default 4 MiB cap", "[frame]") {
  FrameDecoder dec;
  std::vector<Bytes> got;
  CHECK_FALSE(dec.Feed(Bytes{0xff, 0xff, 0xff, 0xff}, got).ok());
  FrameDecoder at_cap;
  const auto h = EncodeFrameHeader(kDefaultMaxFrameSize);
  CHECK(at_cap.Feed(h, got).ok());
  FrameDecoder over_cap;
  const auto h1 = EncodeFrameHeader(kDefaultMaxFrameSize + 1);
  CHECK_FALSE(over_cap.Feed(h1, got).ok());
}

TEST_CASE("frames before an oversized header are delivered and the decoder stays failed",
          "[frame]") {
  constexpr uint32_t kCap = 8;
  Bytes stream = Concat({Frame(ToBytes("ok"), kCap), Frame(ToBytes("fine"), kCap)});
  const auto bad = EncodeFrameHeader(kCap + 1);
  stream.insert(stream.end(), bad.begin(), bad.end());
  FrameDecoder dec(kCap);
  std::vector<Bytes> got;
  CHECK_FALSE(dec.Feed(stream, got).ok());
  REQUIRE(got.size() == 2);
  CHECK(got[1] == ToBytes("fine"));
  // Poisoned: even a valid frame afterwards is not decoded.
  got.clear();
  CHECK_FALSE(dec.Feed(Frame(ToBytes("ok"), kCap), got).ok());
  CHECK(got.empty());
}

TEST_CASE("random byte streams never crash the decoder and never exceed the cap",
          "[frame][badinput]") {
  const uint64_t seed = TestSeed("frame codec random bytes");
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 2000; ++round) {
    const uint32_t cap = static_cast<uint32_t>(rng() % 600);
    FrameDecoder dec(cap);
    std::vector<Bytes> got;
    size_t fed = 0;
    size_t returned = 0;
    bool failed = false;
    const int reads = static_cast<int>(rng() % 20);
    for (int r = 0; r < reads; ++r) {
      Bytes chunk(rng() % 300);
      // Mostly small lengths in headers so that some frames actually complete.
      for (auto& b : chunk) b = static_cast<uint8_t>(rng() % 4 == 0 ? rng() : rng() % 3);
      const Status st = dec.Feed(chunk, got);
      fed += chunk.size();
      if (!st.ok()) {
        REQUIRE(st.code() == StatusCode::kInvalidArgument);
        failed = true;
      }
      REQUIRE(dec.failed() == failed);
    }
    for (const auto& f : got) {
      REQUIRE(f.size() <= cap);
      returned += f.size() + kFrameHeaderSize;
    }
    REQUIRE(returned <= fed);
    if (!failed) REQUIRE(returned + dec.buffered() == fed);
  }
}

TEST_CASE("random frame sequences round-trip through random splits", "[frame][badinput]") {
  const uint64_t seed = TestSeed("frame codec round-trip");
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 300; ++round) {
    std::vector<Bytes> payloads(rng() % 10);
    Bytes stream;
    for (auto& p : payloads) {
      p = Payload(rng() % 2000, static_cast<uint8_t>(rng()));
      const Bytes f = Frame(p);
      stream.insert(stream.end(), f.begin(), f.end());
    }
    FrameDecoder dec;
    std::vector<Bytes> got;
    size_t pos = 0;
    while (pos < stream.size()) {
      const size_t n = std::min<size_t>(1 + rng() % 700, stream.size() - pos);
      REQUIRE(dec.Feed(ByteView(stream).subspan(pos, n), got).ok());
      pos += n;
    }
    REQUIRE(got == payloads);
  }
}

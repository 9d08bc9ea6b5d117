// Transport tests over real sockets on 127.0.0.1 (ephemeral ports).
#include "node/net/transport.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "node/net/frame_codec.h"
#include "node/net/tls.h"

using namespace laurel;
using namespace laurel::net;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

crypto::PrivateKey Key(uint8_t n) {
  Bytes seed(crypto::kSeedSize, n);
  seed[0] = 0x5a;
  auto k = crypto::PrivateKey::FromSeed(seed);
  REQUIRE(k.ok());
  return *k;
}

// A port the kernel just handed out and released; the transport rebinds it with SO_REUSEADDR.
uint16_t FreePort() {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

// Holds a node's I/O thread inside its receive callback, as a paused process would, from the
// frame `mark` on until Release() (at the latest when the hold goes out of scope, so that a
// failed check cannot hang the test). Install with node.on_receive_hook = hold.Hook().
class IoThreadHold {
 public:
  explicit IoThreadHold(std::string mark) : mark_(std::move(mark)) {}
  ~IoThreadHold() { Release(); }
  IoThreadHold(const IoThreadHold&) = delete;
  IoThreadHold& operator=(const IoThreadHold&) = delete;

  // The hook; `also` runs first for every frame.
  std::function<void(const crypto::PublicKey&, const Bytes&)> Hook(
      std::function<void(const Bytes&)> also = nullptr) {
    return [this, also](const crypto::PublicKey&, const Bytes& p) {
      if (also) also(p);
      if (AsStringView(p) != mark_) return;
      std::unique_lock<std::mutex> lock(mu_);
      held_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return released_; });
    };
  }
  // Whether the thread was caught within `timeout`.
  bool WaitHeld(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return held_; });
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }

 private:
  const std::string mark_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  bool released_ = false;
};

struct Received {
  crypto::PublicKey from;
  Bytes payload;
};

// A transport plus what its callbacks saw.
class Node {
 public:
  Node(const crypto::PrivateKey& key, uint16_t port) : key_(key), port_(port) {
    options_.listen_port = port;
  }

  void AddPeer(const Node& other) { options_.peers[other.pk()] = {"127.0.0.1", other.port_}; }
  TransportOptions& options() { return options_; }

  void Start() {
    TransportOptions o = options_;
    o.on_receive = [this](const crypto::PublicKey& from, Bytes payload) {
      if (on_receive_hook) on_receive_hook(from, payload);
      std::lock_guard<std::mutex> lock(mu_);
      received_.push_back({from, std::move(payload)});
    };
    o.on_connection = [this](const crypto::PublicKey& peer, bool up) {
      if (on_connection_hook) on_connection_hook(peer, up);
      std::lock_guard<std::mutex> lock(mu_);
      connection_events_.emplace_back(peer, up);
    };
    transport_ = std::make_unique<Transport>(key_, std::move(o));
    const Status st = transport_->Start();
    INFO(st.ToString());
    REQUIRE(st.ok());
    REQUIRE(transport_->listen_port() == port_);
  }
  // The transport's I/O thread calls back into this object: stop it before any member dies.
  ~Node() { Stop(); }
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  void Stop() {
    if (transport_) transport_->Stop();
    transport_.reset();
  }

  Transport& t() { return *transport_; }
  const crypto::PublicKey& pk() const { return key_.public_key(); }
  uint16_t port() const { return port_; }

  std::vector<Received> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  size_t ReceivedCount() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_.size();
  }
  bool Got(const crypto::PublicKey& from, const Bytes& payload) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& r : received_) {
      if (r.from == from && r.payload == payload) return true;
    }
    return false;
  }
  std::vector<std::pair<crypto::PublicKey, bool>> connection_events() {
    std::lock_guard<std::mutex> lock(mu_);
    return connection_events_;
  }

  // Run on the transport's I/O thread before recording; set before Start().
  std::function<void(const crypto::PublicKey&, const Bytes&)> on_receive_hook;
  std::function<void(const crypto::PublicKey&, bool)> on_connection_hook;

 private:
  crypto::PrivateKey key_;
  uint16_t port_;
  TransportOptions options_;
  std::unique_ptr<Transport> transport_;
  std::mutex mu_;
  std::vector<Received> received_;
  std::vector<std::pair<crypto::PublicKey, bool>> connection_events_;
};

void Mesh(const std::vector<Node*>& nodes) {
  for (Node* a : nodes) {
    for (Node* b : nodes) {
      if (a != b) a->AddPeer(*b);
    }
  }
}

bool Connected(Node& a, Node& b) { return a.t().IsConnected(b.pk()) && b.t().IsConnected(a.pk()); }

// Sends a fresh frame a -> b and waits for it: proves the link works right now.
bool LinkWorks(Node& a, Node& b, const std::string& tag) {
  const Bytes payload = ToBytes("probe " + tag);
  if (!WaitFor([&] { return a.t().Send(b.pk(), payload).ok(); })) return false;
  return WaitFor([&] { return b.Got(a.pk(), payload); });
}

// After a link was lost: it comes back and carries a new frame from a to b (sent again until one
// arrives, since a frame sent before the link is up may be dropped).
bool CarriesAgain(Node& a, Node& b) {
  if (!WaitFor([&] { return Connected(a, b); })) return false;
  return WaitFor([&] {
    (void)a.t().Send(b.pk(), ToBytes("after"));
    return b.Got(a.pk(), ToBytes("after"));
  });
}

// Starts a and b, waits for their link, and has `from` send `to` the frame that `hold` (installed
// on `to`) holds its I/O thread at.
void StartAndHold(Node& a, Node& b, Node& from, Node& to, IoThreadHold& hold,
                  const std::string& mark) {
  a.Start();
  b.Start();
  REQUIRE(WaitFor([&] { return Connected(a, b); }));
  REQUIRE(from.t().Send(to.pk(), ToBytes(mark)).ok());
  REQUIRE(hold.WaitHeld());
}

// A TLS client driven by the test: it completes a genuine handshake with `key` and then writes
// whatever bytes the test wants, bypassing the transport's framing.
class RawTlsClient {
 public:
  explicit RawTlsClient(const crypto::PrivateKey& key) : RawTlsClient(Context(key)) {}
  explicit RawTlsClient(std::shared_ptr<asio::ssl::context> tls) : tls_(std::move(tls)) {
    stream_ = std::make_unique<asio::ssl::stream<tcp::socket>>(io_, *tls_);
  }

  static std::shared_ptr<asio::ssl::context> Context(const crypto::PrivateKey& key) {
    auto ctx = MakeTlsContext(key);
    REQUIRE(ctx.ok());
    return *ctx;
  }

  SSL* native() { return stream_->native_handle(); }

  // Connects and handshakes; returns the server's key, or nullopt on failure.
  std::optional<crypto::PublicKey> Connect(uint16_t port) {
    boost::system::error_code ec;
    stream_->next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (ec) return std::nullopt;
    stream_->set_verify_mode(asio::ssl::verify_peer, ec);
    stream_->set_verify_callback([](bool, asio::ssl::verify_context&) { return true; }, ec);
    stream_->handshake(asio::ssl::stream_base::client, ec);
    if (ec) return std::nullopt;
    return PeerPublicKey(stream_->native_handle());
  }

  bool Write(ByteView bytes) {
    boost::system::error_code ec;
    asio::write(*stream_, asio::buffer(bytes.data(), bytes.size()), ec);
    return !ec;
  }

  // True if the server closes the connection within the timeout (any data before is ignored).
  bool WaitClosed(std::chrono::milliseconds timeout) {
    bool closed = false;
    std::array<uint8_t, 1024> buf{};
    std::function<void()> read = [&] {
      stream_->async_read_some(asio::buffer(buf), [&](boost::system::error_code ec, size_t) {
        if (ec) {
          closed = true;
          return;
        }
        read();
      });
    };
    read();
    io_.run_for(timeout);
    return closed;
  }

 private:
  asio::io_context io_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::unique_ptr<asio::ssl::stream<tcp::socket>> stream_;
};

// Idle TCP connections that send nothing, from chosen loopback source addresses, as an
// idle-connection flood holds them.
class IdleFlood {
 public:
  void Open(const std::string& source, uint16_t port, int n) {
    for (int i = 0; i < n; ++i) {
      auto s = std::make_unique<tcp::socket>(io_);
      s->open(tcp::v4());
      s->bind(tcp::endpoint(asio::ip::make_address(source), 0));
      boost::system::error_code ec;
      s->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
      REQUIRE_FALSE(ec);
      sockets_.push_back(std::move(s));
    }
  }
  // How many of the connections the server has not closed (a read would block).
  size_t StillOpen() {
    size_t open = 0;
    for (auto& s : sockets_) {
      s->non_blocking(true);
      std::array<uint8_t, 64> buf{};
      boost::system::error_code ec;
      s->read_some(asio::buffer(buf), ec);
      if (ec == asio::error::would_block) ++open;
    }
    return open;
  }

 private:
  asio::io_context io_;
  std::vector<std::unique_ptr<tcp::socket>> sockets_;
};

// Keeps the noise of expected handshake failures out of the test output.
struct QuietLogs {
  QuietLogs() { spdlog::set_level(spdlog::level::err); }
  ~QuietLogs() { spdlog::set_level(spdlog::level::info); }
};

}  // namespace

TEST_CASE("three transports form a full mesh and exchange frames both ways with peer identity",
          "[transport]") {
  QuietLogs quiet;
  Node a(Key(1), FreePort()), b(Key(2), FreePort()), c(Key(3), FreePort());
  std::vector<Node*> nodes = {&a, &b, &c};
  Mesh(nodes);
  for (Node* n : nodes) n->Start();

  REQUIRE(WaitFor([&] {
    for (Node* n : nodes) {
      if (n->t().stats().connected_peers != 2) return false;
    }
    return true;
  }));

  for (Node* from : nodes) {
    for (Node* to : nodes) {
      if (from == to) continue;
      const Status st = from->t().Send(
          to->pk(), ToBytes("from " + HexEncode(from->pk()) + " to " + HexEncode(to->pk())));
      REQUIRE(st.ok());
    }
  }
  REQUIRE(WaitFor([&] {
    for (Node* n : nodes) {
      if (n->ReceivedCount() != 2) return false;
    }
    return true;
  }));
  for (Node* to : nodes) {
    for (const auto& r : to->received()) {
      // The callback reports the authenticated sender, and the payload names that sender.
      CHECK(AsStringView(r.payload) == "from " + HexEncode(r.from) + " to " + HexEncode(to->pk()));
    }
  }

  // Broadcast reaches both other nodes; a zero-length frame is a frame.
  CHECK(a.t().Broadcast({}) == 2);
  REQUIRE(WaitFor([&] { return b.Got(a.pk(), {}) && c.Got(a.pk(), {}); }));

  // One connection per pair: nobody established more than two, and no flapping happened.
  std::this_thread::sleep_for(200ms);
  for (Node* n : nodes) {
    const TransportStats s = n->t().stats();
    CHECK(s.connected_peers == 2);
    CHECK(s.connections_established == 2);
    CHECK(s.handshake_failures == 0);
    CHECK(s.frames_out == (n == &a ? 4u : 2u));  // a also broadcast
    for (const auto& [peer, up] : n->connection_events()) CHECK(up);
  }
  for (Node* n : nodes) n->Stop();
}

TEST_CASE("frames to one peer arrive in the order they were sent", "[transport]") {
  QuietLogs quiet;
  Node a(Key(1), FreePort()), b(Key(2), FreePort());
  Mesh({&a, &b});
  a.Start();
  b.Start();
  REQUIRE(WaitFor([&] { return Connected(a, b); }));
  constexpr int kFrames = 500;
  for (int i = 0; i < kFrames; ++i) {
    std::string s = std::to_string(i);
    s.resize(1 + (i * 37) % 3000, '.');
    REQUIRE(b.t().Send(a.pk(), ToBytes(s)).ok());
  }
  REQUIRE(WaitFor([&] { return a.ReceivedCount() == kFrames; }));
  const auto got = a.received();
  for (int i = 0; i < kFrames; ++i) {
    const std::string s = ToString(got[i].payload);
    REQUIRE(s.substr(0, s.find('.')) == std::to_string(i));
    REQUIRE(got[i].from == b.pk());
  }
  CHECK(b.t().stats().frames_out == kFrames);
  CHECK(a.t().stats().frames_in == kFrames);
}

TEST_CASE("Send refuses unknown peers, oversized payloads and disconnected peers", "[transport]") {
  QuietLogs quiet;
  Node a(Key(1), FreePort());
  const crypto::PublicKey absent = Key(9).public_key();
  a.options().peers[absent] = {"127.0.0.1", FreePort()};  // nobody listens there
  a.options().max_frame_size = 100;
  a.options().send_queue_bytes = 1000;
  a.Start();
  CHECK(a.t().Send(Key(8).public_key(), ToBytes("x")).code() == StatusCode::kNotFound);
  CHECK(a.t().Send(absent, Bytes(101)).code() == StatusCode::kInvalidArgument);
  CHECK(a.t().Send(absent, Bytes(100)).code() == StatusCode::kUnavailable);
  CHECK(a.t().stats().send_disconnected_drops == 1);
  CHECK(a.t().Broadcast(ToBytes("x")) == 0);
  a.Stop();
}

TEST_CASE("a full send queue refuses the frame and counts the drop", "[transport]") {
  QuietLogs quiet;
  Node a(Key(1), FreePort()), b(Key(2), FreePort());
  Mesh({&a, &b});
  a.options().max_frame_size = 1000;
  a.options().send_queue_bytes = 1004;  // exactly one max-size frame
  // Holding a's I/O thread inside a callback keeps its queue from draining.
  IoThreadHold hold("block");
  a.on_receive_hook = hold.Hook();
  StartAndHold(a, b, b, a, hold, "block");
  CHECK(a.t().Send(b.pk(), Bytes(1000, 1)).ok());
  const Status refused = a.t().Send(b.pk(), Bytes(1, 2));
  CHECK(refused.code() == StatusCode::kUnavailable);
  CHECK(a.t().stats().send_queue_full_drops == 1);
  hold.Release();
  // The queued frame goes out once the thread is free; the refused one never does.
  REQUIRE(WaitFor([&] { return b.Got(a.pk(), Bytes(1000, 1)); }));
  std::this_thread::sleep_for(100ms);
  CHECK_FALSE(b.Got(a.pk(), Bytes(1, 2)));
  a.Stop();
  b.Stop();
}

TEST_CASE("a peer that stops reading is disconnected after the stall timeout, then reconnects",
          "[transport]") {
  QuietLogs quiet;
  Node a(Key(1), FreePort()), b(Key(2), FreePort());
  Mesh({&a, &b});
  a.options().max_frame_size = 1u << 20;
  a.options().send_queue_bytes = 64u << 20;
  a.options().write_stall_timeout = 300ms;
  b.options().write_stall_timeout = 0ms;  // only a's rule is under test here
  // b's I/O thread is held inside a callback: it reads nothing, like a paused process.
  IoThreadHold hold("hold");
  b.on_receive_hook = hold.Hook();
  StartAndHold(a, b, a, b, hold, "hold");
  // Far more than the kernel's socket buffers hold: the writes stop making progress.
  // (Loopback socket buffers can take tens of MB; the queue refuses what exceeds 64 MB.)
  for (int i = 0; i < 128; ++i) (void)a.t().Send(b.pk(), Bytes(1u << 20, static_cast<uint8_t>(i)));
  REQUIRE(WaitFor([&] { return a.t().stats().stalled_disconnects == 1; }, 5s));
  CHECK_FALSE(a.t().IsConnected(b.pk()));
  // The stale queue was discarded, not kept for the peer to replay.
  CHECK(a.t().stats().send_disconnected_drops > 0);
  hold.Release();
  // Once b reads again the link comes back and carries new frames.
  REQUIRE(CarriesAgain(a, b));
  CHECK(a.t().stats().stalled_disconnects == 1);
  a.Stop();
  b.Stop();
}

TEST_CASE("a node whose I/O was frozen drops its links' backlog instead of replaying it",
          "[transport]") {
  QuietLogs quiet;
  Node a(Key(1), FreePort()), b(Key(2), FreePort());
  Mesh({&a, &b});
  a.options().max_frame_size = 1u << 20;
  a.options().send_queue_bytes = 64u << 20;
  a.options().write_stall_timeout = 0ms;  // a keeps everything it queued: b's rule is under test
  b.options().write_stall_timeout = 300ms;
  std::atomic<int> big_frames{0};
  IoThreadHold hold("hold");
  b.on_receive_hook = hold.Hook([&](const Bytes& p) {
    if (p.size() == (1u << 20)) ++big_frames;
  });
  StartAndHold(a, b, a, b, hold, "hold");
  for (int i = 0; i < 16; ++i)
    REQUIRE(a.t().Send(b.pk(), Bytes(1u << 20, static_cast<uint8_t>(i))).ok());
  std::this_thread::sleep_for(1500ms);  // b is "paused" five windows long
  hold.Release();
  // b notices it was frozen, closes the link unread, and reconnects.
  REQUIRE(WaitFor([&] { return b.t().stats().stalled_disconnects == 1; }, 5s));
  REQUIRE(CarriesAgain(a, b));
  // The 16 MB sent while it was frozen were not all replayed.
  CHECK(big_frames.load() < 16);
  a.Stop();
  b.Stop();
}

TEST_CASE("a slow reader that keeps making progress is not disconnected", "[transport]") {
  QuietLogs quiet;
  Node a(Key(1), FreePort()), b(Key(2), FreePort());
  Mesh({&a, &b});
  a.options().max_frame_size = 1u << 20;
  a.options().send_queue_bytes = 64u << 20;
  a.options().write_stall_timeout = 500ms;
  // b reads slowly: 100 ms per frame, well inside the stall window each time.
  b.on_receive_hook = [&](const crypto::PublicKey&, const Bytes& p) {
    if (p.size() == (1u << 20)) std::this_thread::sleep_for(100ms);
  };
  a.Start();
  b.Start();
  REQUIRE(WaitFor([&] { return Connected(a, b); }));
  for (int i = 0; i < 24; ++i)
    REQUIRE(a.t().Send(b.pk(), Bytes(1u << 20, static_cast<uint8_t>(i))).ok());
  REQUIRE(WaitFor([&] { return b.Got(a.pk(), Bytes(1u << 20, 23)); }, 20s));
  CHECK(a.t().stats().stalled_disconnects == 0);
  CHECK(a.t().stats().send_disconnected_drops == 0);
  a.Stop();
  b.Stop();
}

TEST_CASE("a node whose key is not in the allow-list is refused at the handshake", "[transport]") {
  QuietLogs quiet;
  Node a(Key(1), FreePort()), b(Key(2), FreePort());
  Mesh({&a, &b});
  Node stranger(Key(7), FreePort());
  stranger.AddPeer(a);
  stranger.options().dial_all_peers = true;  // dial a whatever the key order
  // If the stranger ever believes it is connected, it tries to get a frame through. (The hook
  // runs on the stranger's I/O thread, which starts after its transport exists.)
  stranger.on_connection_hook = [&](const crypto::PublicKey& peer, bool up) {
    if (up) (void)stranger.t().Send(peer, ToBytes("let me in"));
  };
  a.Start();
  b.Start();
  stranger.Start();

  REQUIRE(WaitFor([&] { return a.t().stats().handshake_failures >= 2; }));
  REQUIRE(WaitFor([&] { return Connected(a, b); }));
  CHECK(LinkWorks(b, a, "after stranger"));
  const TransportStats s = a.t().stats();
  CHECK(s.connections_established == 1);  // b only
  CHECK(s.connected_peers == 1);
  for (const auto& r : a.received()) CHECK(r.from == b.pk());
  CHECK_FALSE(a.Got(stranger.pk(), ToBytes("let me in")));
  CHECK_FALSE(a.t().IsConnected(stranger.pk()));
  // The refused dialer keeps backing off rather than hammering: a few attempts, not hundreds.
  CHECK(s.handshake_failures < 20);
  stranger.Stop();
  a.Stop();
  b.Stop();
}

TEST_CASE("a dialer refuses a server that presents a key other than the one it dialed",
          "[transport]") {
  QuietLogs quiet;
  Node a(Key(1), FreePort()), b(Key(2), FreePort());
  // a believes that a key it knows lives at b's address; b admits a (as a full node).
  const crypto::PublicKey expected = Key(0xff).public_key();
  a.options().peers[expected] = {"127.0.0.1", b.port()};
  a.options().dial_all_peers = true;
  b.options().accept_only = {a.pk()};
  a.Start();
  b.Start();
  REQUIRE(WaitFor([&] { return a.t().stats().handshake_failures >= 1; }));
  std::this_thread::sleep_for(200ms);
  CHECK_FALSE(a.t().IsConnected(expected));
  CHECK(a.t().stats().connections_established == 0);
  CHECK(b.t().stats().frames_in == 0);
  a.Stop();
  b.Stop();
}

TEST_CASE("an oversized frame closes only that connection and the others keep working",
          "[transport]") {
  QuietLogs quiet;
  Node a(Key(1), FreePort()), b(Key(2), FreePort());
  Mesh({&a, &b});
  const crypto::PrivateKey raw_key = Key(5);
  a.options().accept_only = {raw_key.public_key()};
  a.options().max_frame_size = 1024;
  a.Start();
  b.Start();
  REQUIRE(WaitFor([&] { return Connected(a, b); }));

  RawTlsClient raw(raw_key);
  const auto server_key = raw.Connect(a.port());
  REQUIRE(server_key.has_value());
  CHECK(*server_key == a.pk());
  // A well-formed frame first: it arrives attributed to the raw client's key.
  auto ok_frame = EncodeFrame(ToBytes("hello"), 1024);
  REQUIRE(ok_frame.ok());
  REQUIRE(raw.Write(*ok_frame));
  REQUIRE(WaitFor([&] { return a.Got(raw_key.public_key(), ToBytes("hello")); }));
  CHECK(a.t().IsConnected(raw_key.public_key()));

  // Exactly the cap is fine; cap + 1 ends the connection.
  auto at_cap = EncodeFrame(Bytes(1024, 7), 1024);
  REQUIRE(at_cap.ok());
  REQUIRE(raw.Write(*at_cap));
  REQUIRE(WaitFor([&] { return a.Got(raw_key.public_key(), Bytes(1024, 7)); }));
  const auto header = EncodeFrameHeader(1025);
  REQUIRE(raw.Write(header));
  CHECK(raw.WaitClosed(5s));
  REQUIRE(WaitFor([&] { return !a.t().IsConnected(raw_key.public_key()); }));
  CHECK(a.t().stats().frame_errors == 1);

  // The validator link is untouched.
  CHECK(Connected(a, b));
  CHECK(LinkWorks(a, b, "a to b"));
  CHECK(LinkWorks(b, a, "b to a"));
  CHECK(a.t().stats().connections_established == 2);  // b and the raw client, no reconnect
  a.Stop();
  b.Stop();
}

TEST_CASE("garbage bytes on the listening port are dropped without harm", "[transport]") {
  QuietLogs quiet;
  Node a(Key(1), FreePort()), b(Key(2), FreePort());
  Mesh({&a, &b});
  a.options().handshake_timeout = 500ms;
  a.Start();
  b.Start();
  REQUIRE(WaitFor([&] { return Connected(a, b); }));

  const char* env = std::getenv("LAUREL_TEST_SEED");
  const uint64_t seed = env != nullptr ? std::stoull(env) : std::random_device{}();
  std::cout << "transport garbage seed=" << seed << " (replay with LAUREL_TEST_SEED)\n";
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);

  std::vector<Bytes> inputs = {ToBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Bytes{0, 0, 0, 4},
                               Bytes{0x16, 0x03, 0x01, 0xff, 0xff}, Bytes{}};
  for (int i = 0; i < 6; ++i) {
    Bytes r(1 + rng() % 4000);
    for (auto& x : r) x = static_cast<uint8_t>(rng());
    inputs.push_back(std::move(r));
  }
  for (const Bytes& garbage : inputs) {
    asio::io_context io;
    tcp::socket s(io);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), a.port()));
    boost::system::error_code ec;
    if (!garbage.empty()) asio::write(s, asio::buffer(garbage), ec);
    // The server closes on us: after a TLS alert at most, or on the handshake deadline when
    // the bytes are merely an incomplete record (or nothing at all).
    std::array<uint8_t, 512> buf{};
    bool closed = false;
    std::function<void()> read = [&] {
      s.async_read_some(asio::buffer(buf), [&](boost::system::error_code rec, size_t) {
        if (rec) {
          closed = true;
          return;
        }
        read();
      });
    };
    read();
    io.run_for(3s);
    CHECK(closed);
  }
  CHECK(a.t().stats().handshake_failures >= inputs.size());
  CHECK(a.t().stats().frames_in == 0);
  CHECK(Connected(a, b));
  CHECK(LinkWorks(b, a, "after garbage"));
  a.Stop();
  b.Stop();
}

TEST_CASE("a peer that restarts is reconnected automatically", "[transport]") {
  QuietLogs quiet;
  // Restart the dialed side (the larger key) and the dialing side (the smaller key) in turn.
  for (const bool restart_smaller : {false, true}) {
    DYNAMIC_SECTION("restart the " << (restart_smaller ? "smaller" : "larger") << " key") {
      Node n1(Key(1), FreePort()), n2(Key(2), FreePort());
      Node* small = n1.pk() < n2.pk() ? &n1 : &n2;
      Node* large = small == &n1 ? &n2 : &n1;
      Mesh({&n1, &n2});
      n1.Start();
      n2.Start();
      REQUIRE(WaitFor([&] { return Connected(n1, n2); }));
      Node* stay = restart_smaller ? large : small;
      Node* bounce = restart_smaller ? small : large;

      bounce->Stop();
      REQUIRE(WaitFor([&] { return !stay->t().IsConnected(bounce->pk()); }));
      std::this_thread::sleep_for(300ms);  // the dialer meets a refused port and backs off
      bounce->Start();
      REQUIRE(WaitFor([&] { return Connected(n1, n2); }, 10s));
      CHECK(LinkWorks(*stay, *bounce, "stay to bounce"));
      CHECK(LinkWorks(*bounce, *stay, "bounce to stay"));
      const auto events = stay->connection_events();
      REQUIRE(events.size() == 3);
      CHECK(events[0].second);
      CHECK_FALSE(events[1].second);
      CHECK(events[2].second);
      n1.Stop();
      n2.Stop();
    }
  }
}

TEST_CASE("the listener speaks only TLS 1.3 and demands an allowed client certificate",
          "[transport]") {
  QuietLogs quiet;
  Node a(Key(1), FreePort());
  const crypto::PrivateKey allowed = Key(5);
  a.options().accept_only = {allowed.public_key()};
  a.Start();

  {
    RawTlsClient ok(allowed);
    REQUIRE(ok.Connect(a.port()) == a.pk());
    CHECK(SSL_version(ok.native()) == TLS1_3_VERSION);
    REQUIRE(WaitFor([&] { return a.t().IsConnected(allowed.public_key()); }));
  }
  REQUIRE(WaitFor([&] { return !a.t().IsConnected(allowed.public_key()); }));
  const uint64_t failures_before = a.t().stats().handshake_failures;

  {  // The right key, but offering TLS 1.2 only.
    auto ctx = RawTlsClient::Context(allowed);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    RawTlsClient old(ctx);
    CHECK_FALSE(old.Connect(a.port()).has_value());
  }
  {  // No client certificate at all. Under TLS 1.3 the client may finish its side of the
     // handshake before the server rejects it, so look at what the server does.
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls);
    RawTlsClient anonymous(ctx);
    if (anonymous.Connect(a.port()).has_value()) {
      const auto frame = EncodeFrame(ToBytes("anonymous"));
      REQUIRE(frame.ok());
      (void)anonymous.Write(*frame);
      CHECK(anonymous.WaitClosed(5s));
    }
  }
  REQUIRE(WaitFor([&] { return a.t().stats().handshake_failures >= failures_before + 2; }));
  CHECK(a.t().stats().connections_established == 1);
  CHECK(a.t().stats().frames_in == 0);
  a.Stop();
}

TEST_CASE("an idle-connection flood from other addresses does not keep a validator out",
          "[transport][dos]") {
  QuietLogs quiet;
  Node n1(Key(1), FreePort()), n2(Key(2), FreePort());
  Node& dialer = n1.pk() < n2.pk() ? n1 : n2;  // the smaller key dials
  Node& server = &dialer == &n1 ? n2 : n1;
  Mesh({&n1, &n2});
  server.options().max_pending_handshakes = 8;
  server.options().max_pending_handshakes_per_ip = 2;
  server.options().reserved_peer_handshakes = 2;
  // Long enough that a flood holding every slot would outlast the test.
  server.options().handshake_timeout = 30s;
  server.Start();

  // 20 addresses x 3 idle connections: 2 per address admitted until the 8 shared slots are
  // taken, every other one closed on accept.
  IdleFlood flood;
  for (int a = 2; a < 22; ++a) flood.Open("127.0.0." + std::to_string(a), server.port(), 3);
  REQUIRE(WaitFor([&] { return server.t().stats().handshakes_refused >= 52; }));
  CHECK(server.t().stats().handshakes_refused == 52);

  // The validator dials from 127.0.0.1, a configured peer's address: a reserved slot.
  dialer.Start();
  REQUIRE(WaitFor([&] { return Connected(n1, n2); }, 5s));
  CHECK(LinkWorks(dialer, server, "during the flood"));
  CHECK(flood.StillOpen() == 8);  // the flood still holds every shared slot
  n1.Stop();
  n2.Stop();
}

TEST_CASE("connections from one address beyond its pending-handshake cap are closed at once",
          "[transport][dos]") {
  QuietLogs quiet;
  Node a(Key(1), FreePort());
  a.options().max_pending_handshakes_per_ip = 2;
  a.options().handshake_timeout = 30s;
  a.Start();
  IdleFlood one;
  one.Open("127.0.0.2", a.port(), 5);
  REQUIRE(WaitFor([&] { return a.t().stats().handshakes_refused == 3; }));
  REQUIRE(WaitFor([&] { return one.StillOpen() == 2; }, 2s));
  // Another address is not affected by the first one's flood.
  IdleFlood other;
  other.Open("127.0.0.3", a.port(), 2);
  std::this_thread::sleep_for(200ms);
  CHECK(other.StillOpen() == 2);
  CHECK(a.t().stats().handshakes_refused == 3);
  a.Stop();
}

// ---- fault injection (node/net/fault_injection.h) ----------------------------------------------

namespace {

LinkFaults AllLinks(LinkFault f) {
  LinkFaults r;
  r.links.push_back(f);
  return r;
}

}  // namespace

TEST_CASE("SetLinkFaults is refused by a transport built without fault injection",
          "[transport][faults]") {
  QuietLogs quiet;
  Node a(Key(1), FreePort()), b(Key(2), FreePort());
  Mesh({&a, &b});
  a.Start();
  b.Start();
  REQUIRE(WaitFor([&] { return Connected(a, b); }));
  LinkFault drop_all;
  drop_all.loss = 1.0;
  const Status st = a.t().SetLinkFaults(AllLinks(drop_all));
  CHECK(st.code() == StatusCode::kPermissionDenied);
  // Nothing changed: frames still flow.
  CHECK(LinkWorks(a, b, "after refusal"));
  CHECK(a.t().stats().fault_dropped == 0);
}

TEST_CASE("fault injection loses frames on one link only, and the rules change at run time",
          "[transport][faults]") {
  QuietLogs quiet;
  Node a(Key(1), FreePort()), b(Key(2), FreePort()), c(Key(3), FreePort());
  Mesh({&a, &b, &c});
  a.options().fault_injection = true;
  std::mutex mu;
  std::map<crypto::PublicKey, int> dropped_to;  // on_fault's report, by peer
  a.options().on_fault = [&](const crypto::PublicKey& peer, const FaultDecision& d) {
    std::lock_guard<std::mutex> lock(mu);
    if (d.drop) ++dropped_to[peer];
  };
  a.Start();
  b.Start();
  c.Start();
  REQUIRE(WaitFor([&] { return Connected(a, b) && Connected(a, c); }));
  LinkFault to_b;
  to_b.peer = b.pk();
  to_b.loss = 1.0;
  REQUIRE(a.t().SetLinkFaults(AllLinks(to_b)).ok());
  for (int i = 0; i < 50; ++i) {
    REQUIRE(a.t().Send(b.pk(), ToBytes("lost " + std::to_string(i))).ok());  // a lossy network
  }
  CHECK(LinkWorks(a, c, "c unaffected"));
  CHECK(a.t().Broadcast(ToBytes("bcast")) == 2);
  REQUIRE(WaitFor([&] { return c.Got(a.pk(), ToBytes("bcast")); }));
  std::this_thread::sleep_for(200ms);
  CHECK(b.ReceivedCount() == 0);
  CHECK(a.t().stats().fault_dropped == 51);
  {
    std::lock_guard<std::mutex> lock(mu);
    CHECK(dropped_to[b.pk()] == 51);
    CHECK(dropped_to.count(c.pk()) == 0);
  }
  CHECK(Connected(a, b));  // loss does not close the link

  // b -> a is not a's outgoing link: untouched.
  CHECK(LinkWorks(b, a, "reverse"));

  // Cleared: a -> b works again, without a restart.
  REQUIRE(a.t().SetLinkFaults(LinkFaults{}).ok());
  CHECK(LinkWorks(a, b, "healed"));
}

TEST_CASE("fault injection delays frames by the configured delay", "[transport][faults]") {
  QuietLogs quiet;
  Node a(Key(1), FreePort()), b(Key(2), FreePort());
  Mesh({&a, &b});
  a.options().fault_injection = true;
  std::mutex mu;
  std::chrono::steady_clock::time_point got_at{};
  b.on_receive_hook = [&](const crypto::PublicKey&, const Bytes&) {
    std::lock_guard<std::mutex> lock(mu);
    got_at = std::chrono::steady_clock::now();
  };
  a.Start();
  b.Start();
  REQUIRE(WaitFor([&] { return Connected(a, b); }));
  LinkFault slow;  // every peer
  slow.delay_ms = 300;
  slow.jitter_ms = 100;
  REQUIRE(a.t().SetLinkFaults(AllLinks(slow)).ok());
  const auto sent_at = std::chrono::steady_clock::now();
  REQUIRE(a.t().Send(b.pk(), ToBytes("late")).ok());
  REQUIRE(WaitFor([&] { return b.ReceivedCount() == 1; }));
  std::lock_guard<std::mutex> lock(mu);
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(got_at - sent_at);
  CHECK(waited >= 300ms);
  CHECK(waited < 2000ms);
  CHECK(a.t().stats().fault_delayed == 1);
}

TEST_CASE("fault injection reorders frames but delivers every one", "[transport][faults]") {
  QuietLogs quiet;
  Node a(Key(1), FreePort()), b(Key(2), FreePort());
  Mesh({&a, &b});
  a.options().fault_injection = true;
  std::atomic<int> reported_delayed{0}, reported_reordered{0};
  a.options().on_fault = [&](const crypto::PublicKey& peer, const FaultDecision& d) {
    if (peer != b.pk() || d.drop) return;
    ++reported_delayed;
    if (d.reordered) ++reported_reordered;
  };
  a.Start();
  b.Start();
  REQUIRE(WaitFor([&] { return Connected(a, b); }));
  LinkFault shuffle;
  shuffle.peer = b.pk();
  shuffle.reorder = 0.5;
  shuffle.delay_ms = 5;
  REQUIRE(a.t().SetLinkFaults(AllLinks(shuffle)).ok());
  constexpr int kFrames = 200;
  for (int i = 0; i < kFrames; ++i) REQUIRE(a.t().Send(b.pk(), ToBytes(std::to_string(i))).ok());
  REQUIRE(WaitFor([&] { return b.ReceivedCount() == kFrames; }));
  std::vector<int> order;
  for (const auto& r : b.received()) order.push_back(std::stoi(ToString(r.payload)));
  std::vector<int> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < kFrames; ++i) REQUIRE(sorted[i] == i);  // each exactly once
  CHECK_FALSE(std::is_sorted(order.begin(), order.end()));
  CHECK(a.t().stats().fault_dropped == 0);
  // Every frame waited its 5 ms; about half were held back beyond it.
  const TransportStats st = a.t().stats();
  CHECK(st.fault_delayed == kFrames);
  CHECK(st.fault_reordered > kFrames / 4);
  CHECK(st.fault_reordered < kFrames * 3 / 4);
  CHECK(reported_delayed == kFrames);
  CHECK(reported_reordered == static_cast<int>(st.fault_reordered));
}

TEST_CASE("a transport with frames held back stops at once", "[transport][faults]") {
  QuietLogs quiet;
  Node a(Key(1), FreePort()), b(Key(2), FreePort());
  Mesh({&a, &b});
  a.options().fault_injection = true;
  a.Start();
  b.Start();
  REQUIRE(WaitFor([&] { return Connected(a, b); }));
  LinkFault slow;
  slow.delay_ms = 60000;
  REQUIRE(a.t().SetLinkFaults(AllLinks(slow)).ok());
  for (int i = 0; i < 10; ++i) REQUIRE(a.t().Send(b.pk(), ToBytes("held")).ok());
  std::this_thread::sleep_for(50ms);
  const auto t0 = std::chrono::steady_clock::now();
  a.Stop();
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK(b.ReceivedCount() == 0);
}

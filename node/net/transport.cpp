#include "node/net/transport.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <shared_mutex>
#include <thread>

#include "node/net/frame_codec.h"
#include "node/net/handshake_slots.h"
#include "node/net/tls.h"

namespace laurel::net {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
using SharedPayload = std::shared_ptr<const Bytes>;

constexpr size_t kReadBufferSize = size_t{64} * 1024;
// Most bytes one partial write may take (asio's own default for async_write).
constexpr size_t kWriteChunk = size_t{64} * 1024;
// A connection that lived this long resets the dial back-off; a shorter one (for example a
// server that admits the TCP connection and then rejects our certificate) does not.
constexpr auto kStableConnection = std::chrono::seconds(1);
constexpr auto kLogInterval = std::chrono::seconds(1);
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

std::string ShortKey(const crypto::PublicKey& k) { return HexEncode(ByteView(k).first(4)); }

// An address as the handshake slots key it: IPv4-mapped IPv6 as IPv4.
std::string AddressKey(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

// At most one log line per interval for one kind of peer-triggered event; counts the rest.
// Used on the I/O thread only.
class LogLimiter {
 public:
  // True if a line may be written now; `suppressed` gets the number skipped since the last one.
  bool Allow(uint64_t& suppressed) {
    const auto now = Clock::now();
    if (logged_once_ && now - last_ < kLogInterval) {
      ++suppressed_;
      return false;
    }
    logged_once_ = true;
    last_ = now;
    suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }

 private:
  bool logged_once_ = false;
  Clock::time_point last_;
  uint64_t suppressed_ = 0;
};

struct Connection {
  Connection(asio::io_context& io, ssl::context& tls, bool dialed, uint32_t max_frame)
      : stream(io, tls),
        timer(io),
        we_dialed(dialed),
        decoder(max_frame),
        read_buf(kReadBufferSize) {}

  ssl::stream<tcp::socket> stream;
  asio::steady_timer timer;  // connect + handshake deadline, then the write-stall check
  const bool we_dialed;
  // Dialed: the key we expect. Accepted: the verified key, set once established.
  crypto::PublicKey peer_key{};
  bool established = false;
  bool closed = false;
  bool writing = false;
  FrameDecoder decoder;
  Bytes read_buf;
  std::array<uint8_t, kFrameHeaderSize> out_header{};
  SharedPayload out_payload;
  Clock::time_point last_write_progress;  // a write began or flushed a record
  Clock::time_point established_at;
  std::string remote = "?";
  // Inbound, until the handshake ends: the source address and the slot it holds.
  std::string source;
  HandshakeSlots::Slot slot = HandshakeSlots::Slot::kNone;
};
using ConnPtr = std::shared_ptr<Connection>;

struct PeerState {
  PeerState(asio::io_context& io, const crypto::PublicKey& k) : key(k), dial_timer(io) {}

  const crypto::PublicKey key;
  std::optional<PeerAddress> address;
  bool we_dial = false;

  // Shared with Send() on other threads.
  std::mutex mu;
  bool connected = false;
  std::deque<SharedPayload> queue;
  size_t queued_bytes = 0;

  // I/O thread only.
  ConnPtr conn;
  asio::steady_timer dial_timer;
  bool dial_in_flight = false;  // a dial is scheduled, connecting or handshaking
  std::chrono::milliseconds backoff{0};
};

}  // namespace

class Transport::Impl {
 public:
  Impl(const crypto::PrivateKey& key, TransportOptions options)
      : key_(key),
        opts_(std::move(options)),
        acceptor_(io_),
        accept_retry_(io_),
        resolver_(io_),
        slots_(HandshakeLimits{opts_.max_pending_handshakes, opts_.max_pending_handshakes_per_ip,
                               opts_.reserved_peer_handshakes}),
        rng_(std::random_device{}()) {
    const crypto::PublicKey& own = key_.public_key();
    for (const auto& [pk, addr] : opts_.peers) {
      if (pk == own) continue;
      auto ps = std::make_unique<PeerState>(io_, pk);
      ps->address = addr;
      ps->we_dial = opts_.dial_all_peers || own < pk;
      ps->backoff = opts_.backoff_min;
      peers_.emplace(pk, std::move(ps));
    }
    for (const auto& pk : opts_.accept_only) {
      if (pk == own || peers_.count(pk) != 0) continue;
      auto ps = std::make_unique<PeerState>(io_, pk);
      ps->backoff = opts_.backoff_min;
      peers_.emplace(pk, std::move(ps));
    }
  }

  ~Impl() { Stop(); }

  Status Start() {
    std::lock_guard<std::mutex> lock(lifecycle_mu_);
    if (started_) return Status::AlreadyExists("transport already started");
    started_ = true;
    if (opts_.send_queue_bytes < size_t{opts_.max_frame_size} + kFrameHeaderSize) {
      return Status::InvalidArgument("send_queue_bytes must hold one max-size frame");
    }
    if (opts_.backoff_min.count() <= 0 || opts_.backoff_max < opts_.backoff_min ||
        opts_.handshake_timeout.count() <= 0 || opts_.max_pending_handshakes == 0 ||
        opts_.max_pending_handshakes_per_ip == 0) {
      return Status::InvalidArgument("bad back-off, handshake timeout or pending limit");
    }
    LAUREL_ASSIGN_OR_RETURN(tls_, MakeTlsContext(key_));

    error_code ec;
    const auto addr = asio::ip::make_address(opts_.listen_host, ec);
    if (ec) return Status::InvalidArgument("bad listen address " + opts_.listen_host);
    const tcp::endpoint ep(addr, opts_.listen_port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      error_code ignored;
      acceptor_.close(ignored);
      return Status::IoError("cannot listen on " + opts_.listen_host + ":" +
                             std::to_string(opts_.listen_port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint(ec).port();

    work_.emplace(io_.get_executor());
    asio::post(io_, [this] {
      NotePeerAddresses();
      Accept();
      for (auto& [pk, ps] : peers_) {
        if (ps->we_dial && ps->address) Dial(*ps);
      }
    });
    thread_ = std::thread([this] { Run(); });
    spdlog::info("net: listening key={} addr={}:{} peers={}", ShortKey(key_.public_key()),
                 opts_.listen_host, port_.load(), peers_.size());
    return Status::Ok();
  }

  void Stop() {
    std::lock_guard<std::mutex> lock(lifecycle_mu_);
    if (!started_ || stopped_) return;
    stopped_ = true;
    LAUREL_CHECK(!thread_.joinable() || std::this_thread::get_id() != thread_.get_id(),
                 "Transport::Stop called from its own I/O thread (a callback)");
    stopping_ = true;
    if (!thread_.joinable()) return;  // Start failed before the thread existed
    asio::post(io_, [this] { CloseAll(); });
    work_.reset();
    // Every socket, timer and the resolver are closed or cancelled, and no handler re-arms once
    // stopping_ is set, so run() returns when the aborted handlers have drained.
    thread_.join();
  }

  void AddPeer(const crypto::PublicKey& key, std::optional<PeerAddress> address) {
    if (key == key_.public_key()) return;
    asio::post(io_, [this, key, address = std::move(address)] {
      if (stopping_ || Find(key) != nullptr) return;
      auto ps = std::make_unique<PeerState>(io_, key);
      ps->address = address;
      ps->we_dial = address.has_value() && (opts_.dial_all_peers || key_.public_key() < key);
      ps->backoff = opts_.backoff_min;
      PeerState* raw = ps.get();
      {
        std::unique_lock lock(peers_mu_);
        peers_.emplace(key, std::move(ps));
      }
      if (raw->address) {
        error_code ec;
        const auto a = asio::ip::make_address(raw->address->host, ec);
        if (!ec) peer_addresses_.insert(AddressKey(a));
      }
      spdlog::info("net: peer added key={}", ShortKey(key));
      if (raw->we_dial) Dial(*raw);
    });
  }

  uint16_t listen_port() const { return port_; }
  const crypto::PublicKey& public_key() const { return key_.public_key(); }

  Status Send(const crypto::PublicKey& peer, ByteView payload) {
    PeerState* ps = Find(peer);
    if (ps == nullptr) return Status::NotFound("peer " + ShortKey(peer) + " is not allowed");
    if (payload.size() > opts_.max_frame_size) {
      return Status::InvalidArgument("payload of " + std::to_string(payload.size()) +
                                     " bytes exceeds max_frame_size");
    }
    return EnqueueOrFault(*ps, std::make_shared<const Bytes>(payload.begin(), payload.end()));
  }

  size_t Broadcast(ByteView payload) {
    if (payload.size() > opts_.max_frame_size) return 0;
    auto shared = std::make_shared<const Bytes>(payload.begin(), payload.end());
    size_t accepted = 0;
    std::shared_lock peers_lock(peers_mu_);
    for (auto& [pk, ps] : peers_) {
      {
        std::lock_guard<std::mutex> lock(ps->mu);
        if (!ps->connected) continue;
      }
      if (EnqueueOrFault(*ps, shared).ok()) ++accepted;
    }
    return accepted;
  }

  bool IsConnected(const crypto::PublicKey& peer) const {
    PeerState* ps = Find(peer);
    if (ps == nullptr) return false;
    std::lock_guard<std::mutex> lock(ps->mu);
    return ps->connected;
  }

  std::vector<crypto::PublicKey> ConnectedPeers() const {
    std::vector<crypto::PublicKey> out;
    std::shared_lock peers_lock(peers_mu_);
    for (const auto& [pk, ps] : peers_) {
      std::lock_guard<std::mutex> lock(ps->mu);
      if (ps->connected) out.push_back(pk);
    }
    return out;
  }

  TransportStats stats() const {
    TransportStats s;
    s.connected_peers = connected_count_;
    s.frames_in = frames_in_;
    s.frames_out = frames_out_;
    s.bytes_in = bytes_in_;
    s.bytes_out = bytes_out_;
    s.send_queue_full_drops = queue_full_drops_;
    s.send_disconnected_drops = disconnected_drops_;
    s.handshake_failures = handshake_failures_;
    s.frame_errors = frame_errors_;
    s.connections_established = established_;
    s.handshakes_refused = handshakes_refused_;
    s.stalled_disconnects = stalled_disconnects_;
    s.fault_dropped = fault_dropped_;
    s.fault_delayed = fault_delayed_;
    s.fault_reordered = fault_reordered_;
    return s;
  }

  Status SetLinkFaults(LinkFaults rules) {
    if (!opts_.fault_injection) {
      return Status::PermissionDenied("this transport was built without fault injection");
    }
    auto shared = rules.links.empty() ? nullptr : std::make_shared<const LinkFaults>(std::move(rules));
    std::lock_guard<std::mutex> lock(faults_mu_);
    faults_ = std::move(shared);
    return Status::Ok();
  }

 private:
  PeerState* Find(const crypto::PublicKey& k) const {
    std::shared_lock lock(peers_mu_);
    auto it = peers_.find(k);
    return it == peers_.end() ? nullptr : it->second.get();
  }

  void Run() {
    // Handlers use error_code overloads and catch callback exceptions, so nothing should reach
    // here; if something does, log it and keep the transport alive rather than terminate.
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("net: unexpected exception on the I/O thread what={}", e.what());
      }
    }
  }

  // Enqueue, after the fault-injection rules (transport.h, "Fault injection") had their say.
  Status EnqueueOrFault(PeerState& ps, SharedPayload payload) {
    if (!opts_.fault_injection) return Enqueue(ps, std::move(payload));
    FaultDecision d;
    {
      std::lock_guard<std::mutex> lock(faults_mu_);
      const LinkFault* f = faults_ ? faults_->For(ps.key) : nullptr;
      if (f == nullptr || !f->Covers(*payload)) return Enqueue(ps, std::move(payload));
      std::uniform_real_distribution<double> u(0.0, 1.0);
      const double a = u(fault_rng_), b = u(fault_rng_), c = u(fault_rng_), e = u(fault_rng_);
      d = Decide(*f, a, b, c, e);
    }
    {
      std::lock_guard<std::mutex> lock(ps.mu);
      if (!ps.connected) {
        ++disconnected_drops_;
        return Status::Unavailable("peer " + ShortKey(ps.key) + " is not connected");
      }
    }
    if (d.drop || d.delay.count() > 0) {
      if (opts_.on_fault) opts_.on_fault(ps.key, d);
    }
    if (d.drop) {
      ++fault_dropped_;
      return Status::Ok();
    }
    if (d.delay.count() <= 0) return Enqueue(ps, std::move(payload));
    ++fault_delayed_;
    if (d.reordered) ++fault_reordered_;
    asio::post(io_, [this, p = &ps, payload = std::move(payload), delay = d.delay]() mutable {
      if (stopping_) return;
      auto timer = std::make_shared<asio::steady_timer>(io_, delay);
      fault_timers_.insert(timer);
      timer->async_wait([this, p, payload = std::move(payload), timer](error_code ec) mutable {
        fault_timers_.erase(timer);
        if (ec || stopping_) return;
        (void)Enqueue(*p, std::move(payload));
      });
    });
    return Status::Ok();
  }

  Status Enqueue(PeerState& ps, SharedPayload payload) {
    const size_t cost = payload->size() + kFrameHeaderSize;
    {
      std::lock_guard<std::mutex> lock(ps.mu);
      if (!ps.connected) {
        ++disconnected_drops_;
        return Status::Unavailable("peer " + ShortKey(ps.key) + " is not connected");
      }
      if (ps.queued_bytes + cost > opts_.send_queue_bytes) {
        ++queue_full_drops_;
        return Status::Unavailable("send queue to peer " + ShortKey(ps.key) + " is full");
      }
      ps.queue.push_back(std::move(payload));
      ps.queued_bytes += cost;
    }
    asio::post(io_, [this, p = &ps] { StartWrite(*p); });
    return Status::Ok();
  }

  // ---- Everything below runs on the I/O thread. ----

  void Accept() {
    if (stopping_) return;
    auto conn = std::make_shared<Connection>(io_, *tls_, false, opts_.max_frame_size);
    acceptor_.async_accept(conn->stream.next_layer(), [this, conn](error_code ec) {
      if (stopping_) return;
      if (ec) {
        // Typically EMFILE or ECONNABORTED; retry after a pause rather than spin.
        uint64_t suppressed = 0;
        if (accept_log_.Allow(suppressed)) {
          spdlog::warn("net: accept failed err={} suppressed={}", ec.message(), suppressed);
        }
        accept_retry_.expires_after(kAcceptRetryDelay);
        accept_retry_.async_wait([this](error_code tec) {
          if (!tec) Accept();
        });
        return;
      }
      error_code remote_ec;
      const auto remote = conn->stream.next_layer().remote_endpoint(remote_ec);
      if (remote_ec) {  // the client already went away
        error_code ignored;
        conn->stream.next_layer().close(ignored);
        Accept();
        return;
      }
      conn->remote = remote.address().to_string() + ":" + std::to_string(remote.port());
      conn->source = AddressKey(remote.address());
      const bool from_peer = peer_addresses_.count(conn->source) != 0;
      conn->slot = slots_.TryAcquire(conn->source, from_peer);
      if (conn->slot == HandshakeSlots::Slot::kNone) {
        ++handshakes_refused_;
        uint64_t suppressed = 0;
        if (accept_log_.Allow(suppressed)) {
          spdlog::warn(
              "net: too many pending handshakes, closing remote={} from_this_address={} "
              "shared_in_use={} suppressed={}",
              conn->remote, slots_.shared_from(conn->source), slots_.shared_in_use(), suppressed);
        }
        error_code ignored;
        conn->stream.next_layer().close(ignored);
      } else {
        pending_.insert(conn);
        Handshake(conn);
      }
      Accept();
    });
  }

  // The configured peers' addresses, for the reserved handshake slots: IP literals at once,
  // names when they resolve (a dial adds what it resolved as well).
  void NotePeerAddresses() {
    for (const auto& [pk, ps] : peers_) {
      if (!ps->address) continue;
      error_code ec;
      const auto a = asio::ip::make_address(ps->address->host, ec);
      if (!ec) {
        peer_addresses_.insert(AddressKey(a));
        continue;
      }
      resolver_.async_resolve(ps->address->host, std::to_string(ps->address->port),
                              [this](error_code rec, const tcp::resolver::results_type& results) {
                                if (rec || stopping_) return;
                                for (const auto& r : results) {
                                  peer_addresses_.insert(AddressKey(r.endpoint().address()));
                                }
                              });
    }
  }

  void ReleaseSlot(Connection& conn) {
    slots_.Release(conn.source, conn.slot);
    conn.slot = HandshakeSlots::Slot::kNone;
  }

  void Dial(PeerState& ps) {
    if (stopping_) return;
    ps.dial_in_flight = true;
    auto conn = std::make_shared<Connection>(io_, *tls_, true, opts_.max_frame_size);
    conn->peer_key = ps.key;
    conn->remote = ps.address->host + ":" + std::to_string(ps.address->port);
    pending_.insert(conn);
    ArmHandshakeTimer(conn);
    resolver_.async_resolve(
        ps.address->host, std::to_string(ps.address->port),
        [this, conn](error_code ec, const tcp::resolver::results_type& results) {
          if (conn->closed) return;
          if (ec) {
            Close(conn, "resolve failed: " + ec.message());
            return;
          }
          for (const auto& r : results) peer_addresses_.insert(AddressKey(r.endpoint().address()));
          asio::async_connect(conn->stream.next_layer(), results,
                              [this, conn](error_code cec, const tcp::endpoint&) {
                                if (conn->closed) return;
                                if (cec) {
                                  Close(conn, "connect failed: " + cec.message());
                                  return;
                                }
                                Handshake(conn);
                              });
        });
  }

  void ScheduleDial(PeerState& ps) {
    ps.dial_in_flight = true;
    const auto d = ps.backoff;
    ps.backoff = std::min(2 * d, opts_.backoff_max);
    std::uniform_int_distribution<int64_t> jitter(d.count() / 2, d.count());
    ps.dial_timer.expires_after(std::chrono::milliseconds(jitter(rng_)));
    ps.dial_timer.async_wait([this, p = &ps](error_code ec) {
      if (ec || stopping_) return;
      Dial(*p);
    });
  }

  void ArmHandshakeTimer(const ConnPtr& conn) {
    conn->timer.expires_after(opts_.handshake_timeout);
    conn->timer.async_wait([this, conn](error_code ec) {
      if (ec || conn->closed || conn->established) return;
      ++handshake_failures_;
      LogHandshakeFailure(*conn, "timed out");
      Close(conn, "handshake timed out");
    });
  }

  void Handshake(const ConnPtr& conn) {
    error_code ignored;
    conn->stream.next_layer().set_option(tcp::no_delay(true), ignored);
    conn->stream.next_layer().set_option(asio::socket_base::keep_alive(true), ignored);
    if (!conn->we_dialed) ArmHandshakeTimer(conn);
    error_code ec;
    if (conn->we_dialed) {
      // The server must be exactly the peer we meant to reach.
      conn->stream.set_verify_mode(ssl::verify_peer, ec);
      const crypto::PublicKey expected = conn->peer_key;
      conn->stream.set_verify_callback(
          [expected](bool, ssl::verify_context& vctx) {
            return VerifyPeerCertificate(vctx.native_handle(),
                                         [&expected](const auto& k) { return k == expected; });
          },
          ec);
    } else {
      // Any client whose key is in the allow-list (never our own key: it is not in peers_).
      conn->stream.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
      conn->stream.set_verify_callback(
          [this](bool, ssl::verify_context& vctx) {
            return VerifyPeerCertificate(vctx.native_handle(),
                                         [this](const auto& k) { return Find(k) != nullptr; });
          },
          ec);
    }
    if (ec) {
      Close(conn, "cannot configure TLS verification: " + ec.message());
      return;
    }
    conn->stream.async_handshake(
        conn->we_dialed ? ssl::stream_base::client : ssl::stream_base::server,
        [this, conn](error_code hec) { OnHandshake(conn, hec); });
  }

  void OnHandshake(const ConnPtr& conn, error_code ec) {
    if (conn->closed) return;
    if (ec) {
      ++handshake_failures_;
      LogHandshakeFailure(*conn, ec.message());
      Close(conn, "handshake failed");
      return;
    }
    // Bind the identity from the certificate actually used in the handshake; the verify
    // callback already enforced the same rule, this guards against it being bypassed.
    const auto key = PeerPublicKey(conn->stream.native_handle());
    if (!key || Find(*key) == nullptr || (conn->we_dialed && *key != conn->peer_key)) {
      ++handshake_failures_;
      LogHandshakeFailure(*conn, "peer key not allowed");
      Close(conn, "peer key not allowed");
      return;
    }
    conn->peer_key = *key;
    Admit(conn);
  }

  void LogHandshakeFailure(const Connection& conn, const std::string& why) {
    uint64_t suppressed = 0;
    if (handshake_log_.Allow(suppressed)) {
      spdlog::warn("net: handshake failed remote={} role={} err={} suppressed={}", conn.remote,
                   conn.we_dialed ? "client" : "server", why, suppressed);
    }
  }

  void Admit(const ConnPtr& conn) {
    conn->timer.cancel();
    pending_.erase(conn);
    ReleaseSlot(*conn);
    PeerState& ps = *Find(conn->peer_key);
    if (conn->we_dialed) ps.dial_in_flight = false;
    conn->established = true;
    conn->established_at = Clock::now();
    ++established_;

    if (ps.conn) {
      // Both ends apply the same rule, so they keep the same connection.
      const crypto::PublicKey& own = key_.public_key();
      const crypto::PublicKey& old_dialer = ps.conn->we_dialed ? own : ps.key;
      const crypto::PublicKey& new_dialer = conn->we_dialed ? own : ps.key;
      if (!(new_dialer == old_dialer || new_dialer < old_dialer)) {
        Close(conn, "duplicate connection");
        return;
      }
      ConnPtr old = std::move(ps.conn);
      ps.conn = conn;
      Close(old, "replaced by a newer connection");
    } else {
      ps.conn = conn;
      {
        std::lock_guard<std::mutex> lock(ps.mu);
        ps.connected = true;
      }
      ++connected_count_;
      uint64_t suppressed = 0;
      if (conn_log_.Allow(suppressed)) {
        spdlog::info("net: peer connected peer={} remote={} dialed={} suppressed={}",
                     ShortKey(ps.key), conn->remote, conn->we_dialed, suppressed);
      }
      if (opts_.on_connection) InvokeCallback([&] { opts_.on_connection(ps.key, true); });
    }
    Read(conn);
    StartWrite(ps);
    ArmStallTimer(conn);
  }

  // While the connection lives, checks every quarter window for the two stalls of "Stalled
  // peers" (transport.h): a write stuck longer than write_stall_timeout (the peer stopped
  // reading), or this check itself running a window late (this process was frozen: stopped,
  // suspended, starved). Either closes the connection; in the second case what the peer sent
  // meanwhile is still unread in the socket and is dropped with it, so a node that wakes up
  // catches up by block sync rather than replaying seconds of stale traffic.
  void ArmStallTimer(const ConnPtr& conn) {
    const auto window = opts_.write_stall_timeout;
    if (window.count() <= 0 || conn->closed) return;
    const auto interval = std::max(window / 4, std::chrono::milliseconds(1));
    const auto due = Clock::now() + interval;
    conn->timer.expires_at(due);
    conn->timer.async_wait([this, conn, window, due](error_code ec) {
      if (ec || conn->closed) return;
      const auto now = Clock::now();
      const auto ms = [](Clock::duration d) {
        return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
      };
      if (now - due >= window) {
        Close(conn, "this node was frozen for " + ms(now - due) + " ms: dropping the backlog");
        ++stalled_disconnects_;  // after Close: a reader of the count sees the close done
        return;
      }
      if (conn->writing && now - conn->last_write_progress >= window) {
        Close(conn, "stalled: no write progress in " + ms(now - conn->last_write_progress) + " ms");
        ++stalled_disconnects_;
        return;
      }
      ArmStallTimer(conn);
    });
  }

  void Read(const ConnPtr& conn) {
    conn->stream.async_read_some(
        asio::buffer(conn->read_buf), [this, conn](error_code ec, size_t n) {
          if (conn->closed) return;
          if (ec) {
            Close(conn, ec == asio::error::eof ? std::string("closed by peer") : ec.message());
            return;
          }
          std::vector<Bytes> frames;
          const Status st = conn->decoder.Feed(ByteView(conn->read_buf).first(n), frames);
          for (auto& f : frames) {
            ++frames_in_;
            bytes_in_ += f.size();
            if (opts_.on_receive && !stopping_) {
              InvokeCallback([&] { opts_.on_receive(conn->peer_key, std::move(f)); });
            }
          }
          if (!st.ok()) {
            ++frame_errors_;
            uint64_t suppressed = 0;
            if (frame_log_.Allow(suppressed)) {
              spdlog::warn("net: bad frame, closing peer={} remote={} err={} suppressed={}",
                           ShortKey(conn->peer_key), conn->remote, st.message(), suppressed);
            }
            Close(conn, "bad frame");
            return;
          }
          if (!conn->closed) Read(conn);
        });
  }

  void StartWrite(PeerState& ps) {
    const ConnPtr conn = ps.conn;
    if (!conn || conn->writing || conn->closed) return;
    SharedPayload item;
    {
      std::lock_guard<std::mutex> lock(ps.mu);
      if (ps.queue.empty()) return;
      item = std::move(ps.queue.front());
      ps.queue.pop_front();
      ps.queued_bytes -= item->size() + kFrameHeaderSize;
    }
    conn->writing = true;
    conn->last_write_progress = Clock::now();
    conn->out_header = EncodeFrameHeader(static_cast<uint32_t>(item->size()));
    conn->out_payload = std::move(item);
    const std::array<asio::const_buffer, 2> bufs = {asio::buffer(conn->out_header),
                                                    asio::buffer(*conn->out_payload)};
    // The completion condition runs after every partial write (each flushed TLS record): it is
    // the progress clock of the stall check. It then asks for the rest, as transfer_all would.
    const auto progress = [conn](const error_code& ec, size_t) -> size_t {
      conn->last_write_progress = Clock::now();
      return ec ? 0 : kWriteChunk;
    };
    asio::async_write(conn->stream, bufs, progress, [this, conn, p = &ps](error_code ec, size_t) {
      conn->writing = false;
      const size_t size = conn->out_payload->size();
      conn->out_payload.reset();
      if (conn->closed) return;
      if (ec) {
        Close(conn, "write failed: " + ec.message());
        return;
      }
      ++frames_out_;
      bytes_out_ += size;
      StartWrite(*p);
    });
  }

  // Closes one connection and settles what follows: peer disconnected, redial with back-off.
  // Idempotent. Takes the pointer by value because callers pass ps.conn, which this resets.
  void Close(ConnPtr conn,  // NOLINT(performance-unnecessary-value-param): see above
             const std::string& reason) {
    if (conn->closed) return;
    conn->closed = true;
    error_code ignored;
    conn->timer.cancel();
    conn->stream.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    conn->stream.next_layer().close(ignored);
    const bool was_pending = pending_.erase(conn) > 0;
    ReleaseSlot(*conn);
    if (!conn->we_dialed && !conn->established) return;  // an unidentified inbound connection
    PeerState& ps = *Find(conn->peer_key);
    if (was_pending && conn->we_dialed) ps.dial_in_flight = false;
    if (ps.conn == conn) {
      ps.conn.reset();
      size_t discarded = 0;
      {
        std::lock_guard<std::mutex> lock(ps.mu);
        ps.connected = false;
        discarded = ps.queue.size();
        ps.queue.clear();
        ps.queued_bytes = 0;
      }
      disconnected_drops_ += discarded;
      --connected_count_;
      if (Clock::now() - conn->established_at >= kStableConnection) {
        ps.backoff = opts_.backoff_min;
      }
      uint64_t suppressed = 0;
      if (!stopping_ && conn_log_.Allow(suppressed)) {
        spdlog::info(
            "net: peer disconnected peer={} remote={} reason={} discarded={} "
            "suppressed={}",
            ShortKey(ps.key), conn->remote, reason, discarded, suppressed);
      }
      if (!stopping_ && opts_.on_connection) {
        InvokeCallback([&] { opts_.on_connection(ps.key, false); });
      }
    }
    if (!stopping_ && ps.we_dial && ps.address && !ps.conn && !ps.dial_in_flight) {
      ScheduleDial(ps);
    }
  }

  void CloseAll() {
    error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
    resolver_.cancel();
    for (const auto& t : fault_timers_) t->cancel();  // held frames are dropped
    const auto pending = pending_;  // Close() edits pending_
    for (const auto& c : pending) Close(c, "stopping");
    for (auto& [pk, ps] : peers_) {
      ps->dial_timer.cancel();
      if (ps->conn) Close(ps->conn, "stopping");
    }
  }

  template <typename F>
  void InvokeCallback(F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      spdlog::error("net: callback threw what={}", e.what());
    } catch (...) {
      spdlog::error("net: callback threw a non-standard exception");
    }
  }

  const crypto::PrivateKey key_;
  const TransportOptions opts_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  tcp::resolver resolver_;
  std::shared_ptr<ssl::context> tls_;
  // Built in the constructor; AddPeer inserts (on the I/O thread, under a unique lock), nothing
  // is ever erased. Other threads read under a shared lock; the I/O thread reads without one.
  std::map<crypto::PublicKey, std::unique_ptr<PeerState>> peers_;
  mutable std::shared_mutex peers_mu_;

  // I/O thread only.
  std::set<ConnPtr> pending_;  // connecting or handshaking
  HandshakeSlots slots_;       // inbound connections in their handshake
  std::set<std::string> peer_addresses_;
  std::set<std::shared_ptr<asio::steady_timer>> fault_timers_;  // frames held by fault injection
  std::mt19937_64 rng_;
  LogLimiter accept_log_, handshake_log_, frame_log_, conn_log_;

  std::mutex lifecycle_mu_;
  bool started_ = false;
  bool stopped_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<uint16_t> port_{0};
  std::thread thread_;

  std::atomic<size_t> connected_count_{0};
  std::atomic<uint64_t> frames_in_{0}, frames_out_{0}, bytes_in_{0}, bytes_out_{0};
  std::atomic<uint64_t> queue_full_drops_{0}, disconnected_drops_{0};
  std::atomic<uint64_t> handshake_failures_{0}, frame_errors_{0}, established_{0};
  std::atomic<uint64_t> handshakes_refused_{0};
  std::atomic<uint64_t> stalled_disconnects_{0};
  std::atomic<uint64_t> fault_dropped_{0}, fault_delayed_{0}, fault_reordered_{0};

  std::mutex faults_mu_;  // guards faults_ and fault_rng_
  std::shared_ptr<const LinkFaults> faults_;
  std::mt19937_64 fault_rng_{std::random_device{}()};
};

Transport::Transport(const crypto::PrivateKey& key, TransportOptions options)
    : impl_(std::make_unique<Impl>(key, std::move(options))) {}
Transport::~Transport() = default;
Status Transport::Start() { return impl_->Start(); }
void Transport::Stop() { impl_->Stop(); }
uint16_t Transport::listen_port() const { return impl_->listen_port(); }
const crypto::PublicKey& Transport::public_key() const { return impl_->public_key(); }
Status Transport::Send(const crypto::PublicKey& peer, ByteView payload) {
  return impl_->Send(peer, payload);
}
size_t Transport::Broadcast(ByteView payload) { return impl_->Broadcast(payload); }
bool Transport::IsConnected(const crypto::PublicKey& peer) const {
  return impl_->IsConnected(peer);
}
std::vector<crypto::PublicKey> Transport::ConnectedPeers() const { return impl_->ConnectedPeers(); }
TransportStats Transport::stats() const { return impl_->stats(); }
Status Transport::SetLinkFaults(LinkFaults rules) { return impl_->SetLinkFaults(std::move(rules)); }
void Transport::AddPeer(const crypto::PublicKey& key, std::optional<PeerAddress> address) {
  impl_->AddPeer(key, std::move(address));
}

}  // namespace laurel::net

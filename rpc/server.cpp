#include "rpc/server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "node/node_api.h"
#include "rpc/console.h"
#include "rpc/routes_admin.h"
#include "rpc/limits.h"
#include "rpc/router.h"
#include "rpc/routes.h"

namespace laurel::rpc {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;

// After an answer that closes the connection, how long and how much we keep reading (and
// discarding) so that the client sees the answer instead of a reset caused by unread bytes.
constexpr milliseconds kDrainTime{2000};
constexpr size_t kDrainBytes = 8 << 20;

// Closed by Stop(): a node callback that fires afterwards must not touch the io_context.
struct Gate {
  std::mutex mu;
  bool open = true;
};

// The address a connection comes from, as the limits key it.
IpKey KeyOf(const net::ip::address& a) {
  if (a.is_v4()) return IpKeyFromV4(a.to_v4().to_bytes());
  return IpKeyFromV6(a.to_v6().to_bytes());
}

// One counted connection; released when the session goes away.
class ConnectionTicket {
 public:
  ConnectionTicket(std::shared_ptr<ConnectionCaps> caps, IpKey a)
      : caps_(std::move(caps)), address_(a) {}
  ~ConnectionTicket() { caps_->Release(address_); }
  ConnectionTicket(const ConnectionTicket&) = delete;
  ConnectionTicket& operator=(const ConnectionTicket&) = delete;

  const IpKey& address() const { return address_; }

 private:
  std::shared_ptr<ConnectionCaps> caps_;
  IpKey address_;
};

// What every session shares; immutable after start.
struct Shared {
  RpcConfig config;
  Router router;
  std::shared_ptr<Gate> gate;
};

// The answer to a connection over a cap, written before closing it.
const std::string& OverCapacityAnswer(CapVerdict why) {
  static const auto kMake = [](std::string_view message) {
    const std::string body =
        R"({"code":"TOO_MANY_CONNECTIONS","message":")" + std::string(message) + R"("})";
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
           "Retry-After: 1\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  };
  static const std::string kPerAddress = kMake("too many connections from this address");
  static const std::string kPerPrefix = kMake("too many connections from this IPv6 /64");
  static const std::string kTotal = kMake("too many connections");
  switch (why) {
    case CapVerdict::kPerAddress:
      return kPerAddress;
    case CapVerdict::kPerIpv6Prefix:
      return kPerPrefix;
    case CapVerdict::kAdmitted:
    case CapVerdict::kTotal:
      break;
  }
  return kTotal;
}

// What a client that speaks plain HTTP to the TLS port gets before the connection closes.
const std::string& PlainHttpOnTlsAnswer() {
  static const std::string kAnswer = [] {
    const std::string body =
        R"({"code":"TLS_REQUIRED","message":"this port speaks HTTPS (TLS 1.3); use https://"})";
    return "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  }();
  return kAnswer;
}

// One connection. kTls: the stream is TLS over TCP; the session first looks at the client's
// first bytes (a plain HTTP request gets a clear 400 in plain text), then completes the TLS
// handshake, then serves HTTP/1.1 exactly as on a plain connection.
template <bool kTls>
class Session : public std::enable_shared_from_this<Session<kTls>> {
  using Stream = std::conditional_t<kTls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

 public:
  Session(tcp::socket&& socket, net::ssl::context* tls, std::shared_ptr<const Shared> shared,
          std::unique_ptr<ConnectionTicket> ticket)
      : stream_(MakeStream(std::move(socket), tls)),
        guard_(stream_.get_executor()),
        shared_(std::move(shared)),
        ticket_(std::move(ticket)),
        remote_address_(AddressText(ticket_->address())) {}

  void Start() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->DetectTls();
      } else {
        self->DoRead();
      }
    });
  }

 private:
  using std::enable_shared_from_this<Session<kTls>>::shared_from_this;
  using std::enable_shared_from_this<Session<kTls>>::weak_from_this;

  static Stream MakeStream(tcp::socket&& socket, net::ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls);
    } else {
      (void)tls;
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  // TLS only: a client hello, or else the plain-HTTP answer and close. A handshake that fails
  // (garbage, an old protocol version, a client that goes away) just closes the connection.
  void DetectTls() {
    Tcp().expires_after(milliseconds(config().read_timeout_ms));
    beast::async_detect_ssl(Tcp(), buffer_,
                            [self = shared_from_this()](beast::error_code ec, bool tls) {
                              if (ec) {
                                self->CloseNow();
                                return;
                              }
                              if (!tls) {
                                self->RefusePlainHttp();
                                return;
                              }
                              self->Handshake();
                            });
  }

  void Handshake() {
    if constexpr (kTls) {
      stream_.async_handshake(net::ssl::stream_base::server, buffer_.data(),
                              [self = shared_from_this()](beast::error_code ec, size_t used) {
                                if (ec) {
                                  self->CloseNow();
                                  return;
                                }
                                self->buffer_.consume(used);
                                self->DoRead();
                              });
    }
  }

  void RefusePlainHttp() {
    Tcp().expires_after(milliseconds(config().write_timeout_ms));
    net::async_write(Tcp().socket(), net::buffer(PlainHttpOnTlsAnswer()),
                     [self = shared_from_this()](beast::error_code, size_t) {
                       beast::error_code ignored;
                       self->Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
                       self->drained_ = 0;
                       self->Tcp().expires_after(kDrainTime);
                       self->DrainPlain();
                     });
  }

  // Reads and discards the plain request's bytes (below TLS) so that the client sees the
  // answer instead of a reset.
  void DrainPlain() {
    drain_buffer_.resize(size_t{16} * 1024);
    Tcp().socket().async_read_some(net::buffer(drain_buffer_),
                                   [self = shared_from_this()](beast::error_code ec, size_t n) {
                                     self->drained_ += n;
                                     if (ec || self->drained_ >= kDrainBytes) {
                                       self->CloseNow();
                                       return;
                                     }
                                     self->DrainPlain();
                                   });
  }

  void CloseNow() {
    beast::error_code ignored;
    Tcp().socket().close(ignored);
  }

  struct ReplyState {
    std::atomic<bool> used{false};
    std::weak_ptr<Session> session;
    std::shared_ptr<Gate> gate;
    uint64_t seq = 0;
  };

  const RpcConfig& config() const { return shared_->config; }

  void DoRead() {
    parser_.emplace();
    parser_->body_limit(config().max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(config().max_header_bytes));
    Tcp().expires_after(milliseconds(config().read_timeout_ms));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec) {
      OnReadError(ec);
      return;
    }
    try {
      const auto& msg = parser_->get();
      version_ = msg.version();
      keep_alive_ = msg.keep_alive();
      HttpRequest req;
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      const beast::string_view content_type = msg[http::field::content_type];
      req.content_type = MediaType(std::string_view(content_type.data(), content_type.size()));
      req.accept = std::string(msg[http::field::accept]);
      req.has_body_framing = msg.find(http::field::content_length) != msg.end() || msg.chunked();
      req.body = parser_->release().body();
      req.remote_address = remote_address_;

      auto state = std::make_shared<ReplyState>();
      state->session = weak_from_this();
      state->gate = shared_->gate;
      state->seq = ++seq_;
      awaiting_ = true;
      // The timer keeps the session alive while a handler (or the node) works on the answer;
      // the responder itself holds only a weak reference.
      guard_.expires_after(milliseconds(config().handler_timeout_ms));
      guard_.async_wait([self = shared_from_this(), seq = seq_](beast::error_code tec) {
        if (tec) return;
        self->Deliver(seq, ErrorResponse(500, "INTERNAL", "the handler did not answer"));
      });
      shared_->router.Dispatch(std::move(req),
                               [state](HttpResponse r) { Reply(state, std::move(r)); });
    } catch (const std::exception& e) {
      Deliver(seq_, ErrorResponse(500, "INTERNAL", std::string("internal error: ") + e.what()));
    } catch (...) {
      Deliver(seq_, ErrorResponse(500, "INTERNAL", "internal error"));
    }
  }

  // Runs on any thread: hands the answer to the session's strand.
  static void Reply(const std::shared_ptr<ReplyState>& state, HttpResponse r) {
    if (state->used.exchange(true)) return;
    std::lock_guard lock(state->gate->mu);
    if (!state->gate->open) return;
    std::shared_ptr<Session> self = state->session.lock();
    if (!self) return;
    net::post(self->stream_.get_executor(), [self, seq = state->seq, r = std::move(r)]() mutable {
      self->Deliver(seq, std::move(r));
    });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::end_of_stream) {
      beast::error_code ignored;
      Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
      return;
    }
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      Write(
          ErrorResponse(413, "PAYLOAD_TOO_LARGE",
                        "request body over " + std::to_string(config().max_body_bytes) + " bytes"),
          true);
      return;
    }
    if (ec == http::error::header_limit) {
      Write(ErrorResponse(431, "HEADERS_TOO_LARGE", "request header block too large"), true);
      return;
    }
    // Bytes that are not HTTP/1.x get an answer; timeouts, resets and a client that went away
    // mid-message just close.
    if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
        ec != http::error::partial_message) {
      Write(ErrorResponse(400, "BAD_REQUEST", "malformed HTTP request: " + ec.message()), true);
      return;
    }
    beast::error_code ignored;
    Tcp().socket().close(ignored);
  }

  void Deliver(uint64_t seq, HttpResponse r) {
    if (!awaiting_ || seq != seq_) return;  // a late answer for an abandoned request
    awaiting_ = false;
    guard_.cancel();
    Write(std::move(r), !keep_alive_);
  }

  void Write(HttpResponse r, bool close) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version_ == 10 ? 10 : 11);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::server, "laurel");
    res->set(http::field::content_type, r.content_type);
    for (auto& [name, value] : r.headers) res->set(name, value);
    res->body() = std::move(r.body);
    res->keep_alive(!close);
    res->prepare_payload();
    Tcp().expires_after(milliseconds(config().write_timeout_ms));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, close](beast::error_code ec, size_t) {
                        self->OnWrite(ec, close);
                      });
  }

  void OnWrite(beast::error_code ec, bool close) {
    if (ec) {
      beast::error_code ignored;
      Tcp().socket().close(ignored);
      return;
    }
    if (close) {
      if constexpr (kTls) {
        // TLS: close_notify, then the socket (a client that never answers it: the timer).
        Tcp().expires_after(kDrainTime);
        stream_.async_shutdown(
            [self = shared_from_this()](beast::error_code) { self->CloseNow(); });
        return;
      }
      beast::error_code ignored;
      Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
      drained_ = 0;
      Tcp().expires_after(kDrainTime);
      Drain();
      return;
    }
    DoRead();
  }

  // Reads and discards until the client closes, the budget is spent or the timer fires.
  void Drain() {
    drain_buffer_.resize(size_t{16} * 1024);
    stream_.async_read_some(net::buffer(drain_buffer_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ >= kDrainBytes) {
                                beast::error_code ignored;
                                self->Tcp().socket().close(ignored);
                                return;
                              }
                              self->Drain();
                            });
  }

  Stream stream_;
  net::steady_timer guard_;
  std::shared_ptr<const Shared> shared_;
  std::unique_ptr<ConnectionTicket> ticket_;
  const std::string remote_address_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::vector<char> drain_buffer_;
  size_t drained_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool awaiting_ = false;
  uint64_t seq_ = 0;
};

Status ValidateConfig(const RpcConfig& c) {
  if (c.threads < 1 || c.threads > 64) return Status::InvalidArgument("rpc: threads must be 1..64");
  if (c.max_body_bytes < 1) return Status::InvalidArgument("rpc: max_body_bytes must be > 0");
  if (c.max_header_bytes < 1024 || c.max_header_bytes > (1u << 20)) {
    return Status::InvalidArgument("rpc: max_header_bytes must be 1 KiB..1 MiB");
  }
  if (c.read_timeout_ms < 1 || c.write_timeout_ms < 1 || c.handler_timeout_ms < 1) {
    return Status::InvalidArgument("rpc: timeouts must be > 0");
  }
  if (c.max_connections_per_ip < 1 || c.max_connections_per_ipv6_64 < 1 || c.max_connections < 1) {
    return Status::InvalidArgument("rpc: connection caps must be > 0");
  }
  // NaN fails every comparison, so the checks are written to refuse it.
  if (!(c.tx_rate > 0) || !(c.tx_burst >= 1) || !(c.block_range_rate > 0) ||
      !(c.block_range_burst >= 1)) {
    return Status::InvalidArgument("rpc: rates must be > 0 and bursts >= 1");
  }
  if (c.max_commit_waits_per_client < 1) {
    return Status::InvalidArgument("rpc: max_commit_waits_per_client must be > 0");
  }
  if (c.work_threads < 1 || c.work_threads > 64 || c.work_queue < 1) {
    return Status::InvalidArgument("rpc: work_threads must be 1..64 and work_queue > 0");
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return Status::InvalidArgument("rpc: tls_cert and tls_key go together (both or neither)");
  }
  return Status::Ok();
}

// The OpenSSL error queue as one line (and emptied).
std::string OpenSslErrors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// A TLS 1.3-only server context with the certificate chain and key of the config.
Result<std::unique_ptr<net::ssl::context>> MakeTlsContext(const RpcConfig& c) {
  auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
  SSL_CTX* raw = ctx->native_handle();
  ERR_clear_error();
  if (SSL_CTX_set_min_proto_version(raw, TLS1_3_VERSION) != 1) {
    return Status::InvalidArgument("rpc: TLS 1.3 is not available: " + OpenSslErrors());
  }
  SSL_CTX_set_options(raw, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_use_certificate_chain_file(raw, c.tls_cert.c_str()) != 1) {
    return Status::InvalidArgument("rpc: tls_cert " + c.tls_cert +
                                   ": cannot load a PEM certificate chain: " + OpenSslErrors());
  }
  if (SSL_CTX_use_PrivateKey_file(raw, c.tls_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Status::InvalidArgument("rpc: tls_key " + c.tls_key +
                                   ": cannot load a PEM private key: " + OpenSslErrors());
  }
  if (SSL_CTX_check_private_key(raw) != 1) {
    return Status::InvalidArgument("rpc: tls_key " + c.tls_key + " does not match tls_cert " +
                                   c.tls_cert);
  }
  return ctx;
}

}  // namespace

struct RpcServer::Impl {
  std::unique_ptr<net::ssl::context> tls;  // set when the listener speaks TLS
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  tcp::acceptor acceptor{net::make_strand(ioc)};
  std::shared_ptr<Shared> shared;
  std::shared_ptr<ConnectionCaps> caps;
  RouteLimits limits;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  std::mutex stop_mu;
  bool stopped = false;

  void DoAccept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      OnAccept(ec, std::move(socket));
    });
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) {
      try {
        Admit(std::move(socket));
      } catch (const std::exception&) {
        // Allocation failure for one connection: drop it, keep accepting.
      }
    }
    DoAccept();
  }

  void Admit(tcp::socket socket) {
    beast::error_code ec;
    const tcp::endpoint peer = socket.remote_endpoint(ec);
    if (ec) return;
    const IpKey address = KeyOf(peer.address());
    if (const CapVerdict v = caps->TryAcquire(address); v != CapVerdict::kAdmitted) {
      // Best effort and never blocking: the socket buffer takes this small answer at once.
      socket.non_blocking(true, ec);
      socket.write_some(net::buffer(OverCapacityAnswer(v)), ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
      socket.close(ec);
      return;
    }
    auto ticket = std::make_unique<ConnectionTicket>(caps, address);
    if (tls) {
      std::make_shared<Session<true>>(std::move(socket), tls.get(), shared, std::move(ticket))
          ->Start();
    } else {
      std::make_shared<Session<false>>(std::move(socket), nullptr, shared, std::move(ticket))
          ->Start();
    }
  }

  void Run() {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (...) {
        // Handlers catch their own exceptions; this is a last resort that keeps serving.
      }
    }
  }
};

RpcServer::RpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RpcServer::~RpcServer() { Stop(); }

uint16_t RpcServer::port() const { return impl_->port; }

Result<std::unique_ptr<RpcServer>> RpcServer::Start(const RpcConfig& config, node::NodeApi& node) {
  LAUREL_RETURN_IF_ERROR(ValidateConfig(config));
  auto impl = std::make_unique<Impl>();
  if (!config.tls_cert.empty()) {
    auto tls = MakeTlsContext(config);
    if (!tls.ok()) return tls.status();
    impl->tls = std::move(tls).value();
  }

  beast::error_code ec;
  tcp::endpoint endpoint;
  const net::ip::address address = net::ip::make_address(config.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, config.port);
  } else {
    tcp::resolver resolver(impl->ioc);
    auto results = resolver.resolve(config.host, std::to_string(config.port), ec);
    if (ec || results.empty()) {
      return Status::InvalidArgument("rpc: cannot resolve host '" + config.host +
                                     "': " + ec.message());
    }
    endpoint = results.begin()->endpoint();
  }

  tcp::acceptor& acc = impl->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IoError("rpc: cannot listen on " + config.host + ":" +
                           std::to_string(config.port) + ": " + ec.message());
  }
  impl->port = acc.local_endpoint(ec).port();
  if (ec) return Status::IoError("rpc: " + ec.message());

  RateLimitConfig rates;
  rates.tx_per_s = config.tx_rate;
  rates.tx_burst = config.tx_burst;
  rates.block_ranges_per_s = config.block_range_rate;
  rates.block_ranges_burst = config.block_range_burst;
  rates.commit_waits_per_client = config.max_commit_waits_per_client;
  impl->limits.clients = std::make_shared<ClientLimiter>(rates);
  impl->limits.work =
      std::make_shared<WorkPool>(WorkPoolConfig{config.work_threads, config.work_queue});
  impl->limits.max_batch_txs = config.max_batch_txs;
  impl->caps = std::make_shared<ConnectionCaps>(ConnectionCapsConfig{
      config.max_connections_per_ip, config.max_connections_per_ipv6_64, config.max_connections});

  auto shared = std::make_shared<Shared>();
  shared->config = config;
  shared->router =
      BuildRouter(node, impl->limits, NodeDirectory{config.public_url, config.peer_public_urls});
  if (!config.console_dir.empty()) {
    if (Status st = AddConsoleRoutes(shared->router, config.console_dir); !st.ok()) return st;
  }
  if (!config.backup_dir.empty()) {
    AddAdminRoutes(shared->router, node, config.backup_dir, impl->limits.work);
  }
  shared->gate = std::make_shared<Gate>();
  impl->shared = std::move(shared);

  impl->DoAccept();
  Impl* raw = impl.get();
  for (size_t i = 0; i < config.threads; ++i) impl->threads.emplace_back([raw] { raw->Run(); });
  return std::unique_ptr<RpcServer>(new RpcServer(std::move(impl)));
}

void RpcServer::Stop() {
  std::lock_guard lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  {
    std::lock_guard gate_lock(impl_->shared->gate->mu);
    impl_->shared->gate->open = false;
  }
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  // After the I/O threads: nothing queues work any more. A function still running finishes
  // (its answer is dropped at the closed gate); queued ones are dropped.
  impl_->limits.work->Stop();
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace laurel::rpc

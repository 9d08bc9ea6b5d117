// The node's HTTP/1.1 API server (docs/api.md): Boost.Beast on a multi-threaded io_context,
// serving the routes of rpc/routes.h. This header keeps Boost out of its includers (pimpl).
//
// Behaviour:
// - Each connection is a session on its own strand; requests on one connection are answered in
//   order, one at a time (keep-alive; pipelined requests wait in the read buffer and are handled
//   one after the other, never in parallel). Handlers that wait on the
//   node (POST /v1/txs?wait=commit) hold no server thread: the session stays idle until the
//   node's callback posts the answer back to its strand.
// - Limits: a request body over max_body_bytes is answered 413 and the connection closed; a
//   header block over max_header_bytes, 431; a request that does not arrive completely within
//   read_timeout_ms (or an idle keep-alive connection) is closed; bytes that are not HTTP are
//   answered 400 and the connection closed. Connections beyond max_connections_per_ip from one
//   address, max_connections_per_ipv6_64 from one IPv6 /64, or max_connections in total, are
//   answered 503 with Retry-After and closed at once (rpc/limits.h).
// - Expensive requests (POST /v1/txs, GET /v1/blocks ranges) spend per-client tokens and run
//   on a bounded pool of work_threads, so the I/O threads stay free for cheap requests such as
//   POST /v1/verify; over a client's rate, its commit-wait cap or the pool's queue, the answer
//   is 429 with Retry-After (docs/api.md, "Limits").
// - No exception leaves a handler: one that escapes is answered 500.
//
// Thread safety: port() may be called from any thread. Stop() (also run by the destructor)
// must not be called from a handler or a node callback; it closes the listener, stops the
// threads and waits for them; answers that arrive from the node afterwards are dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace laurel::node {
class NodeApi;
}  // namespace laurel::node

namespace laurel::rpc {

struct RpcConfig {
  std::string host = "127.0.0.1";  // an IP literal or a name to resolve
  uint16_t port = 0;               // 0: an ephemeral port (see RpcServer::port())
  size_t threads = 2;              // io_context threads, 1..64
  size_t max_body_bytes = 1 << 20;
  // POST /v1/txs:batch: at most this many transactions per request (413 TOO_MANY_TXS above).
  size_t max_batch_txs = 1000;
  size_t max_header_bytes = size_t{16} * 1024;
  uint32_t read_timeout_ms = 10'000;   // a whole request, and a keep-alive idle period
  uint32_t write_timeout_ms = 10'000;  // a whole response
  // How long a session waits for a handler's answer before answering 500 itself; above the
  // longest ?wait=commit (60 s) so that the handler's own 504 arrives first.
  uint32_t handler_timeout_ms = 70'000;
  size_t max_connections_per_ip = 64;        // one IPv4 or IPv6 address
  size_t max_connections_per_ipv6_64 = 256;  // all addresses of one IPv6 /64
  size_t max_connections = 1024;
  // Per client (an IPv4 address or an IPv6 /64): POST /v1/txs requests per second and burst,
  // GET /v1/blocks ranges per second and burst, and ?wait=commit answers held at once.
  double tx_rate = 1000;
  double tx_burst = 2000;
  double block_range_rate = 20;
  double block_range_burst = 40;
  size_t max_commit_waits_per_client = 32;
  // Threads that run the expensive requests, and how many such requests may wait for them.
  size_t work_threads = 2;
  size_t work_queue = 256;
  // The web console's folder (rpc/console.h): empty, the default, serves no console.
  std::string console_dir;
  // Where POST /v1/admin/backup writes (rpc/routes_admin.h): empty, the default, has no route.
  std::string backup_dir;
  // HTTPS: PEM files of the certificate chain and its private key. Both empty (the default):
  // plain HTTP. Set: the listener speaks HTTP/1.1 over TLS 1.3 only; a plain HTTP request is
  // answered 400 TLS_REQUIRED in plain text and closed, a failed handshake (an older TLS
  // version, garbage) closes the connection. Start() fails on unreadable or mismatched files.
  std::string tls_cert;
  std::string tls_key;
  // GET /v1/nodes (rpc/routes.h NodeDirectory): this node's public API URL and its peers'.
  std::string public_url;
  std::vector<std::string> peer_public_urls;
};

class RpcServer {
 public:
  // Binds host:port, starts the threads and begins accepting. `node` must outlive the server.
  // kInvalidArgument for a bad config, host or console_dir; kIoError if the address cannot be bound.
  static Result<std::unique_ptr<RpcServer>> Start(const RpcConfig& config, node::NodeApi& node);

  ~RpcServer();
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  // The bound port (the ephemeral one when config.port was 0).
  uint16_t port() const;
  // Idempotent. See the thread-safety note above.
  void Stop();

 private:
  struct Impl;
  explicit RpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace laurel::rpc

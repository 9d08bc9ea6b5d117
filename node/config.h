// The node's configuration (docs/operator.md), read from one TOML file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace laurel::node {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

struct PeerConfig {
  Bytes public_key;
  HostPort address;
};

// ---- Limits on the ports ([rpc.limits], [p2p.limits]; docs/operator.md, "Limits") ----------
// Kept apart from the other settings; the defaults are those of rpc::RpcConfig and
// net::TransportOptions.

struct RpcLimitsConfig {
  size_t max_connections = 1024;
  size_t max_connections_per_ip = 64;
  size_t max_connections_per_ipv6_64 = 256;
  double tx_rate = 1000;  // POST /v1/txs per second per client
  double tx_burst = 2000;
  double block_range_rate = 20;  // GET /v1/blocks ranges per second per client
  double block_range_burst = 40;
  size_t max_commit_waits_per_client = 32;
  size_t work_threads = 2;
  size_t work_queue = 256;
};

struct P2pLimitsConfig {
  uint32_t handshake_timeout_ms = 5000;
  size_t max_pending_handshakes = 64;
  size_t max_pending_handshakes_per_ip = 4;
  size_t reserved_peer_handshakes = 16;
  // A link whose writes make no progress, or that this node left unread, for this long is
  // closed (net::TransportOptions::write_stall_timeout); 0 disables.
  uint32_t write_stall_timeout_ms = 2000;
};

// ---------------------------------------------------------------------------------------------

struct NodeConfig {
  std::string name = "node";
  std::string data_dir;  // absolute after loading
  std::string genesis;   // absolute after loading
  std::string key_file;  // absolute after loading

  HostPort p2p_listen{"127.0.0.1", 8800};
  std::vector<PeerConfig> peers;
  uint32_t max_frame_bytes = 4u << 20;

  HostPort rpc_listen{"127.0.0.1", 8700};
  uint32_t rpc_threads = 2;
  uint32_t rpc_max_body_bytes = 1u << 20;
  // [rpc] max_batch_txs: transactions per POST /v1/txs:batch request (1..100000).
  uint32_t rpc_max_batch_txs = 1000;
  // [rpc] console_dir: the web console's folder, served at /console/ (rpc/console.h); empty
  // (the default) serves none. Relative to the config file's folder.
  std::string rpc_console_dir;
  // [rpc] tls_cert, tls_key: PEM files (relative to the config file's folder); both set, the
  // API speaks HTTPS (TLS 1.3 only); both empty (the default), plain HTTP.
  std::string rpc_tls_cert;
  std::string rpc_tls_key;
  // [rpc] public_url, peer_public_urls: the API URLs gates reach this node and the other nodes
  // at, served by GET /v1/nodes (http:// or https://, no path); empty by default.
  std::string rpc_public_url;
  std::vector<std::string> rpc_peer_public_urls;

  uint64_t round_timeout_ms = 1500;
  uint64_t max_round_timeout_ms = 10000;
  uint64_t payload_wait_ms = 200;
  // [consensus] quorum_store: disseminate admitted transactions as digest batches and propose
  // proofs of availability (docs/spec/batches.md) instead of the transactions, so that each
  // transaction crosses the network once. Every validator of a chain should run with the same
  // setting (what a node executes does not depend on it: it resolves a batch proposal whatever
  // its own switch). Default on; off gives the version-1 path (gossip, full proposals).
  bool quorum_store = true;
  // [consensus] batch_fsync: a batch is written before this validator acknowledges (or sends)
  // it. true (default): synced, so the acknowledgement's promise survives a power loss (e.g. of
  // validators hosted in one building); false: in the store's write-ahead log only, so it
  // survives a crash of the process (kill -9) and reaches the disk with the next block commit's
  // synced write (docs/spec/batches.md §6 has the measured cost of each).
  bool batch_fsync = true;

  size_t mempool_max_txs = 200000;
  size_t mempool_max_bytes = 256u << 20;
  size_t mempool_max_txs_per_signer = 50000;  // fair share of one signing key
  size_t mempool_max_bytes_per_signer = 64u << 20;
  size_t block_max_txs = 4000;
  size_t block_max_bytes = 3u << 20;
  // Heights whose state tree is kept for proofs (the newest ones); 0 keeps every height.
  uint64_t state_versions_kept = 10000;

  std::string log_level = "info";

  RpcLimitsConfig rpc_limits;
  P2pLimitsConfig p2p_limits;

  // [admin] backup_dir: where POST /v1/admin/backup (loopback clients only) writes backups
  // (docs/operator.md, "Backup and restore"); empty (the default) disables the route.
  // Relative to the config file's folder.
  std::string backup_dir;

  // [fault_injection] file: a JSON file of frame delay/loss/reorder rules for this node's
  // outgoing P2P links, re-read whenever it changes (node/net/fault_injection.h; docs/testing.md).
  // For test networks only: honoured only when allow_fault_injection is set, which only the
  // command line does (laureld --allow-fault-injection). Relative to the config file's folder.
  std::string fault_injection_file;
  bool allow_fault_injection = false;  // never read from the file
};

// A config with a [fault_injection] section is refused (kPermissionDenied, saying why) unless
// fault injection was allowed on the command line: a production node must never drop or delay
// its own traffic because of a stray config section.
Status CheckFaultInjection(const NodeConfig& c);

// Checks a public API URL: "http://" or "https://", a host, an optional ":port", nothing else
// (no path, query, spaces or control characters).
Status CheckPublicUrl(std::string_view url);
// Parses "host:port" (host may be an IPv4 literal or a name).
Result<HostPort> ParseHostPort(std::string_view s);
// Reads and checks the file; relative paths are resolved against the file's folder. Errors
// name the key that is wrong.
Result<NodeConfig> LoadNodeConfig(const std::string& path);

}  // namespace laurel::node

#include "node/config.h"

#include <filesystem>
#include <toml.hpp>

namespace laurel::node {

namespace fs = std::filesystem;

Result<HostPort> ParseHostPort(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) {
    return Status::InvalidArgument("expected host:port, got '" + std::string(s) + "'");
  }
  const std::string port_s(s.substr(colon + 1));
  char* end = nullptr;
  const long port = std::strtol(port_s.c_str(), &end, 10);
  if (*end != '\0' || port < 0 || port > 65535) {
    return Status::InvalidArgument("bad port in '" + std::string(s) + "'");
  }
  return HostPort{std::string(s.substr(0, colon)), static_cast<uint16_t>(port)};
}

Status CheckPublicUrl(std::string_view url) {
  std::string_view rest = url;
  if (rest.substr(0, 7) == "http://") {
    rest.remove_prefix(7);
  } else if (rest.substr(0, 8) == "https://") {
    rest.remove_prefix(8);
  } else {
    return Status::InvalidArgument("'" + std::string(url) + "' is not an http:// or https:// URL");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || rest.front() == ':') {
    return Status::InvalidArgument("'" + std::string(url) + "' names no host");
  }
  for (const char ch : rest) {
    const auto u = static_cast<unsigned char>(ch);
    const bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                    u == '.' || u == '-' || u == ':' || u == '[' || u == ']';
    if (!ok) {
      return Status::InvalidArgument("'" + std::string(url) +
                                     "': only a host and a port (no path, query or spaces)");
    }
  }
  return Status::Ok();
}

namespace {

std::string Resolve(const fs::path& base, const std::string& p) {
  if (p.empty()) return p;
  fs::path path(p);
  if (path.is_relative()) path = base / path;
  return path.lexically_normal().string();
}

template <typename T>
void Get(const toml::value& table, const char* key, T& out) {
  if (table.is_table() && table.contains(key)) out = toml::find<T>(table, key);
}

// ---- Limits on the ports ([rpc.limits], [p2p.limits]) ---------------------------------------

// A number of the table as a double (TOML writes 1000 and 1000.0 differently).
Status GetNumber(const toml::value& table, const char* key, double& out, const std::string& path) {
  if (!table.is_table() || !table.contains(key)) return Status::Ok();
  const toml::value& v = toml::find(table, key);
  if (v.is_integer()) {
    out = static_cast<double>(v.as_integer());
  } else if (v.is_floating()) {
    out = v.as_floating();
  } else {
    return Status::InvalidArgument(path + ": rpc.limits." + key + " must be a number");
  }
  return Status::Ok();
}

const toml::value* SubTable(const toml::value& root, const char* section) {
  if (!root.contains(section)) return nullptr;
  const toml::value& s = toml::find(root, section);
  if (!s.is_table() || !s.contains("limits")) return nullptr;
  return &toml::find(s, "limits");
}

// Reads the limits blocks; toml11 throws on a value of the wrong type (caught by the caller).
Status LoadPortLimits(const toml::value& root, const std::string& path, NodeConfig& c) {
  if (const toml::value* t = SubTable(root, "rpc")) {
    RpcLimitsConfig& l = c.rpc_limits;
    Get(*t, "max_connections", l.max_connections);
    Get(*t, "max_connections_per_ip", l.max_connections_per_ip);
    Get(*t, "max_connections_per_ipv6_64", l.max_connections_per_ipv6_64);
    LAUREL_RETURN_IF_ERROR(GetNumber(*t, "tx_rate", l.tx_rate, path));
    LAUREL_RETURN_IF_ERROR(GetNumber(*t, "tx_burst", l.tx_burst, path));
    LAUREL_RETURN_IF_ERROR(GetNumber(*t, "block_range_rate", l.block_range_rate, path));
    LAUREL_RETURN_IF_ERROR(GetNumber(*t, "block_range_burst", l.block_range_burst, path));
    Get(*t, "max_commit_waits_per_client", l.max_commit_waits_per_client);
    Get(*t, "work_threads", l.work_threads);
    Get(*t, "work_queue", l.work_queue);
    if (l.max_connections == 0 || l.max_connections_per_ip == 0 ||
        l.max_connections_per_ipv6_64 == 0 || l.max_commit_waits_per_client == 0 ||
        l.work_queue == 0) {
      return Status::InvalidArgument(path + ": rpc.limits: caps must be > 0");
    }
    if (!(l.tx_rate > 0) || !(l.tx_burst >= 1) || !(l.block_range_rate > 0) ||
        !(l.block_range_burst >= 1)) {
      return Status::InvalidArgument(path + ": rpc.limits: rates must be > 0 and bursts >= 1");
    }
    if (l.work_threads == 0 || l.work_threads > 64) {
      return Status::InvalidArgument(path + ": rpc.limits.work_threads must be 1..64");
    }
  }
  if (const toml::value* t = SubTable(root, "p2p")) {
    P2pLimitsConfig& l = c.p2p_limits;
    Get(*t, "handshake_timeout_ms", l.handshake_timeout_ms);
    Get(*t, "max_pending_handshakes", l.max_pending_handshakes);
    Get(*t, "max_pending_handshakes_per_ip", l.max_pending_handshakes_per_ip);
    Get(*t, "reserved_peer_handshakes", l.reserved_peer_handshakes);
    Get(*t, "write_stall_timeout_ms", l.write_stall_timeout_ms);
    if (l.handshake_timeout_ms == 0 || l.max_pending_handshakes == 0 ||
        l.max_pending_handshakes_per_ip == 0) {
      return Status::InvalidArgument(
          path + ": p2p.limits: handshake_timeout_ms and the pending caps must be > 0");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<NodeConfig> LoadNodeConfig(const std::string& path) {
  NodeConfig c;
  try {
    const toml::value root = toml::parse(path);
    const fs::path base = fs::absolute(fs::path(path)).parent_path();
    Get(root, "name", c.name);
    Get(root, "data_dir", c.data_dir);
    Get(root, "genesis", c.genesis);
    Get(root, "key_file", c.key_file);
    if (c.data_dir.empty() || c.genesis.empty() || c.key_file.empty()) {
      return Status::InvalidArgument(path + ": data_dir, genesis and key_file are required");
    }
    c.data_dir = Resolve(base, c.data_dir);
    c.genesis = Resolve(base, c.genesis);
    c.key_file = Resolve(base, c.key_file);

    if (root.contains("p2p")) {
      const auto& p2p = toml::find(root, "p2p");
      std::string listen;
      Get(p2p, "listen", listen);
      if (!listen.empty()) {
        auto hp = ParseHostPort(listen);
        if (!hp.ok())
          return Status::InvalidArgument(path + ": p2p.listen: " + hp.status().message());
        c.p2p_listen = *hp;
      }
      std::vector<std::string> peers;
      Get(p2p, "peers", peers);
      for (const auto& p : peers) {
        const auto at = p.find('@');
        if (at == std::string::npos) {
          return Status::InvalidArgument(path + ": p2p.peers: expected <key hex>@host:port, got '" +
                                         p + "'");
        }
        auto key = HexDecode(p.substr(0, at));
        if (!key || key->size() != 32) {
          return Status::InvalidArgument(path + ": p2p.peers: bad public key in '" + p + "'");
        }
        auto hp = ParseHostPort(p.substr(at + 1));
        if (!hp.ok())
          return Status::InvalidArgument(path + ": p2p.peers: " + hp.status().message());
        c.peers.push_back(PeerConfig{*key, *hp});
      }
      Get(p2p, "max_frame_bytes", c.max_frame_bytes);
    }
    if (root.contains("rpc")) {
      const auto& rpc = toml::find(root, "rpc");
      std::string listen;
      Get(rpc, "listen", listen);
      if (!listen.empty()) {
        auto hp = ParseHostPort(listen);
        if (!hp.ok())
          return Status::InvalidArgument(path + ": rpc.listen: " + hp.status().message());
        c.rpc_listen = *hp;
      }
      Get(rpc, "threads", c.rpc_threads);
      Get(rpc, "max_body_bytes", c.rpc_max_body_bytes);
      Get(rpc, "max_batch_txs", c.rpc_max_batch_txs);
      if (c.rpc_max_batch_txs == 0 || c.rpc_max_batch_txs > 100000) {
        return Status::InvalidArgument(path + ": rpc.max_batch_txs must be 1..100000");
      }
      Get(rpc, "console_dir", c.rpc_console_dir);
      if (!c.rpc_console_dir.empty()) c.rpc_console_dir = Resolve(base, c.rpc_console_dir);
      Get(rpc, "tls_cert", c.rpc_tls_cert);
      Get(rpc, "tls_key", c.rpc_tls_key);
      if (c.rpc_tls_cert.empty() != c.rpc_tls_key.empty()) {
        return Status::InvalidArgument(path + ": rpc.tls_cert and rpc.tls_key go together");
      }
      c.rpc_tls_cert = Resolve(base, c.rpc_tls_cert);
      c.rpc_tls_key = Resolve(base, c.rpc_tls_key);
      Get(rpc, "public_url", c.rpc_public_url);
      Get(rpc, "peer_public_urls", c.rpc_peer_public_urls);
      if (!c.rpc_public_url.empty()) {
        if (Status st = CheckPublicUrl(c.rpc_public_url); !st.ok()) {
          return Status::InvalidArgument(path + ": rpc.public_url: " + st.message());
        }
      }
      for (const auto& u : c.rpc_peer_public_urls) {
        if (Status st = CheckPublicUrl(u); !st.ok()) {
          return Status::InvalidArgument(path + ": rpc.peer_public_urls: " + st.message());
        }
      }
    }
    if (root.contains("consensus")) {
      const auto& cs = toml::find(root, "consensus");
      Get(cs, "round_timeout_ms", c.round_timeout_ms);
      Get(cs, "max_round_timeout_ms", c.max_round_timeout_ms);
      Get(cs, "payload_wait_ms", c.payload_wait_ms);
      Get(cs, "quorum_store", c.quorum_store);
      Get(cs, "batch_fsync", c.batch_fsync);
    }
    if (root.contains("mempool")) {
      const auto& mp = toml::find(root, "mempool");
      Get(mp, "max_txs", c.mempool_max_txs);
      Get(mp, "max_bytes", c.mempool_max_bytes);
      Get(mp, "max_txs_per_signer", c.mempool_max_txs_per_signer);
      Get(mp, "max_bytes_per_signer", c.mempool_max_bytes_per_signer);
    }
    if (root.contains("block")) {
      const auto& b = toml::find(root, "block");
      Get(b, "max_txs", c.block_max_txs);
      Get(b, "max_bytes", c.block_max_bytes);
    }
    if (root.contains("state")) Get(toml::find(root, "state"), "versions_kept", c.state_versions_kept);
    if (root.contains("log")) Get(toml::find(root, "log"), "level", c.log_level);
    if (root.contains("admin")) {
      Get(toml::find(root, "admin"), "backup_dir", c.backup_dir);
      if (!c.backup_dir.empty()) c.backup_dir = Resolve(base, c.backup_dir);
    }
    if (root.contains("fault_injection")) {
      const auto& fi = toml::find(root, "fault_injection");
      Get(fi, "file", c.fault_injection_file);
      if (c.fault_injection_file.empty()) {
        return Status::InvalidArgument(path + ": fault_injection.file is required in a "
                                              "[fault_injection] section");
      }
      c.fault_injection_file = Resolve(base, c.fault_injection_file);
    }
    LAUREL_RETURN_IF_ERROR(LoadPortLimits(root, path, c));
  } catch (const std::exception& e) {
    // toml11 reports syntax and type errors as exceptions: this is the process edge.
    return Status::InvalidArgument(std::string("config ") + path + ": " + e.what());
  }
  if (c.rpc_threads == 0 || c.rpc_threads > 64) {
    return Status::InvalidArgument(path + ": rpc.threads must be 1..64");
  }
  if (c.block_max_bytes + 1024 > c.max_frame_bytes) {
    return Status::InvalidArgument(path + ": block.max_bytes must be below p2p.max_frame_bytes");
  }
  if (c.round_timeout_ms <= c.payload_wait_ms) {
    return Status::InvalidArgument(path +
                                   ": consensus.round_timeout_ms must exceed payload_wait_ms");
  }
  return c;
}

Status CheckFaultInjection(const NodeConfig& c) {
  if (c.fault_injection_file.empty() || c.allow_fault_injection) return Status::Ok();
  return Status::PermissionDenied(
      "the config has a [fault_injection] section (frame delay/loss/reorder for test "
      "networks), which laureld honours only when started with --allow-fault-injection; "
      "remove the section, or add the flag on a test network");
}

}  // namespace laurel::node

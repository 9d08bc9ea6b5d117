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
        if (!hp.ok()) return Status::InvalidArgument(path + ": p2p.listen: " + hp.status().message());
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
        if (!hp.ok()) return Status::InvalidArgument(path + ": p2p.peers: " + hp.status().message());
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
        if (!hp.ok()) return Status::InvalidArgument(path + ": rpc.listen: " + hp.status().message());
        c.rpc_listen = *hp;
      }
      Get(rpc, "threads", c.rpc_threads);
      Get(rpc, "max_body_bytes", c.rpc_max_body_bytes);
    }
    if (root.contains("consensus")) {
      const auto& cs = toml::find(root, "consensus");
      Get(cs, "round_timeout_ms", c.round_timeout_ms);
      Get(cs, "max_round_timeout_ms", c.max_round_timeout_ms);
      Get(cs, "payload_wait_ms", c.payload_wait_ms);
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
    if (root.contains("log")) Get(toml::find(root, "log"), "level", c.log_level);
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
    return Status::InvalidArgument(path + ": consensus.round_timeout_ms must exceed payload_wait_ms");
  }
  return c;
}

}  // namespace laurel::node

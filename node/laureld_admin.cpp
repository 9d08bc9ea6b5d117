#include "node/laureld_admin.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "node/backup.h"
#include "node/config.h"
#include "node/restore_fence.h"

namespace laurel::node {
namespace {

struct Reply {
  int status = 0;
  std::string body;
};

// One HTTP/1.1 POST with "Connection: close" to host:port; the answer is read to EOF.
Result<Reply> Post(const std::string& host, uint16_t port, const std::string& target,
                   const std::string& body) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port_text = std::to_string(port);
  if (getaddrinfo(host.c_str(), port_text.c_str(), &hints, &res) != 0 || res == nullptr) {
    return Status::InvalidArgument("cannot resolve " + host);
  }
  int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    freeaddrinfo(res);
    if (fd >= 0) close(fd);
    return Status::Unavailable("cannot connect to http://" + host + ":" + port_text +
                               " (is the node running?)");
  }
  freeaddrinfo(res);
  const std::string req =
      "POST " + target + " HTTP/1.1\r\nHost: " + host + ":" + port_text +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n" + body;
  for (size_t sent = 0; sent < req.size();) {
    const ssize_t n = send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      close(fd);
      return Status::IoError("cannot send the request");
    }
    sent += static_cast<size_t>(n);
  }
  std::string in;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) in.append(buf, static_cast<size_t>(n));
  close(fd);
  Reply r;
  if (in.rfind("HTTP/1.", 0) != 0 || in.size() < 12) return Status::IoError("not an HTTP answer");
  r.status = std::atoi(in.c_str() + 9);
  const size_t head_end = in.find("\r\n\r\n");
  if (head_end != std::string::npos) r.body = in.substr(head_end + 4);
  return r;
}

}  // namespace

int RunBackupCommand(const std::string& config_path, const std::string& rpc_url,
                     const std::string& name, const std::string& to) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!to.empty() && fs::exists(to, ec)) {
    std::fprintf(stderr, "laureld backup: %s already exists; not overwriting\n", to.c_str());
    return 1;
  }
  std::string host = "127.0.0.1";
  uint16_t port = 8700;
  if (!rpc_url.empty()) {
    std::string_view u = rpc_url;
    if (u.rfind("http://", 0) == 0) u.remove_prefix(7);
    while (!u.empty() && u.back() == '/') u.remove_suffix(1);
    auto hp = ParseHostPort(u);
    if (!hp.ok()) {
      std::fprintf(stderr, "laureld backup: --rpc: %s\n", hp.status().ToString().c_str());
      return 2;
    }
    host = hp->host;
    port = hp->port;
  } else {
    auto c = LoadNodeConfig(config_path);
    if (!c.ok()) {
      std::fprintf(stderr, "laureld backup: %s\n", c.status().ToString().c_str());
      return 2;
    }
    if (c->backup_dir.empty()) {
      std::fprintf(stderr,
                   "laureld backup: %s has no [admin] backup_dir: the node makes no backups "
                   "(docs/operator.md)\n",
                   config_path.c_str());
      return 2;
    }
    // A node listening on every interface is asked on loopback (the route answers only there).
    host = (c->rpc_listen.host == "0.0.0.0" || c->rpc_listen.host.empty()) ? "127.0.0.1"
           : c->rpc_listen.host == "::"                                    ? "::1"
                                                                           : c->rpc_listen.host;
    port = c->rpc_listen.port;
  }
  nlohmann::json body = nlohmann::json::object();
  if (!name.empty()) body["name"] = name;
  auto r = Post(host, port, "/v1/admin/backup", body.dump());
  if (!r.ok()) {
    std::fprintf(stderr, "laureld backup: %s\n", r.status().ToString().c_str());
    return 1;
  }
  if (r->status != 200) {
    std::fprintf(stderr, "laureld backup: the node answered %d: %s\n", r->status, r->body.c_str());
    if (r->status == 404) {
      std::fprintf(stderr, "laureld backup: the node has no [admin] backup_dir\n");
    }
    return 1;
  }
  if (to.empty()) {
    std::cout << r->body;
    return 0;
  }
  auto j = nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.contains("dir") || !j["dir"].is_string()) {
    std::fprintf(stderr, "laureld backup: unexpected answer: %s\n", r->body.c_str());
    return 1;
  }
  const std::string made = j["dir"].get<std::string>();
  fs::rename(made, to, ec);
  if (ec) {  // another file system: copy, check, then delete the node's copy
    ec.clear();
    fs::copy(made, to, fs::copy_options::recursive, ec);
    auto copied =
        ec ? Result<BackupManifest>(Status::IoError(ec.message())) : ReadBackupManifest(to);
    if (!copied.ok()) {
      fs::remove_all(to, ec);
      std::fprintf(stderr, "laureld backup: cannot copy %s to %s: %s (the backup stays in %s)\n",
                   made.c_str(), to.c_str(), copied.status().ToString().c_str(), made.c_str());
      return 1;
    }
    fs::remove_all(made, ec);
  }
  j["dir"] = to;
  std::cout << j.dump() << "\n";
  return 0;
}

int RunRestoreCommand(const std::string& from, const std::string& data_dir,
                      uint64_t fence_wait_ms) {
  auto m = RestoreBackup(from, data_dir, fence_wait_ms);
  if (!m.ok()) {
    std::fprintf(stderr, "laureld restore: %s\n", m.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "restored height %llu (block %s, state root %s) into %s\n"
      "a validator started from it signs nothing until a block stamped %llu ms after its start "
      "is committed (last voted round in the backup: %llu)\n",
      static_cast<unsigned long long>(m->height), HexEncode(m->block_id).c_str(),
      HexEncode(m->state_root).c_str(), data_dir.c_str(),
      static_cast<unsigned long long>(kProposerClockAheadMs + fence_wait_ms),
      static_cast<unsigned long long>(m->last_voted_round));
  return 0;
}

}  // namespace laurel::node

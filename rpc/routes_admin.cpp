#include "rpc/routes_admin.h"

#include <arpa/inet.h>
#include <ifaddrs.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "node/backup.h"

namespace laurel::rpc {
namespace {

// Backup names: one path segment of [A-Za-z0-9._-], not starting with '.', at most 100.
bool GoodBackupName(const std::string& n) {
  if (n.empty() || n.size() > 100 || n[0] == '.') return false;
  for (char c : n) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string DefaultBackupName(uint64_t height) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return "laurel-" + std::to_string(height) + "-" + buf;
}

void HandleBackup(node::NodeApi& node, const std::string& backup_dir, const HttpRequest& req,
                  const Responder& respond) {
  if (!IsThisMachineAddress(req.remote_address)) {
    respond(ErrorResponse(403, "FORBIDDEN", "backups are made only for clients on this machine"));
    return;
  }
  std::string name;
  if (!req.body.empty()) {
    const auto j = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      respond(ErrorResponse(400, "BAD_REQUEST", "the body must be a JSON object"));
      return;
    }
    if (j.contains("name")) {
      if (!j["name"].is_string()) {
        respond(ErrorResponse(400, "BAD_REQUEST", "name must be a string"));
        return;
      }
      name = j["name"].get<std::string>();
      if (!GoodBackupName(name)) {
        respond(ErrorResponse(400, "BAD_REQUEST",
                              "name must be 1-100 of A-Z a-z 0-9 . _ - and not start with '.'"));
        return;
      }
    }
  }
  if (name.empty()) name = DefaultBackupName(node.store().Height());
  std::error_code ec;
  std::filesystem::create_directories(backup_dir, ec);
  if (ec) {
    respond(ErrorResponse(500, "IO_ERROR", "cannot create " + backup_dir + ": " + ec.message()));
    return;
  }
  const std::string dir = backup_dir + "/" + name;
  auto m = node::CreateBackup(node.store(), dir);
  if (!m.ok()) {
    if (m.status().code() == StatusCode::kAlreadyExists) {
      respond(ErrorResponse(409, "ALREADY_EXISTS", "a backup named " + name + " exists"));
    } else {
      respond(ErrorResponse(500, "IO_ERROR", m.status().ToString()));
    }
    return;
  }
  auto j = nlohmann::ordered_json::parse(node::ManifestToJson(*m));
  j["dir"] = dir;
  HttpResponse resp;
  resp.body = j.dump() + "\n";
  respond(std::move(resp));
}

}  // namespace

bool IsLoopbackAddress(std::string_view remote_address) {
  std::string a(remote_address);
  if (a.rfind("::ffff:", 0) == 0) a = a.substr(7);
  in_addr v4{};
  if (inet_pton(AF_INET, a.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, a.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

bool IsThisMachineAddress(std::string_view remote_address) {
  if (IsLoopbackAddress(remote_address)) return true;
  std::string a(remote_address);
  if (a.rfind("::ffff:", 0) == 0) a = a.substr(7);
  ifaddrs* list = nullptr;
  if (a.empty() || getifaddrs(&list) != 0) return false;
  bool found = false;
  for (ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (i->ifa_addr->sa_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, text,
                sizeof text);
    } else {
      continue;
    }
    found = a == text;
  }
  freeifaddrs(list);
  return found;
}

void AddAdminRoutes(Router& r, node::NodeApi& node, std::string backup_dir,
                    std::shared_ptr<WorkPool> work) {
  r.Add(
      "POST", "/v1/admin/backup",
      [&node, dir = std::move(backup_dir), work](const HttpRequest& req, const Responder& respond) {
        if (!work) {
          HandleBackup(node, dir, req, respond);
          return;
        }
        if (!work->TryPost([&node, dir, req, respond] { HandleBackup(node, dir, req, respond); })) {
          respond(ErrorResponse(503, "BUSY", "the node is busy; try again"));
        }
      });
}

}  // namespace laurel::rpc

#include "rpc/console.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

namespace laurel::rpc {
namespace {

constexpr std::string_view kIndex = "/console/index.html";

// Pages load their scripts and styles from this origin only; the gate page's camera frames and
// the card's QR image are drawn from data:/blob: URLs it makes itself.
constexpr std::string_view kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

HttpResponse Redirect() {
  HttpResponse resp;
  resp.status = 302;
  resp.content_type = "text/plain; charset=utf-8";
  resp.body = "see /console/index.html\n";
  resp.headers.emplace_back("Location", std::string(kIndex));
  return resp;
}

HttpResponse ServeFile(const std::filesystem::path& dir, const std::string& name) {
  if (!IsConsoleFileName(name)) {
    return ErrorResponse(404, "NOT_FOUND", "no console file '" + name + "'");
  }
  std::ifstream in(dir / name, std::ios::binary);
  if (!in) return ErrorResponse(404, "NOT_FOUND", "no console file '" + name + "'");
  std::ostringstream body;
  body << in.rdbuf();
  if (in.bad()) return ErrorResponse(500, "INTERNAL", "cannot read console file '" + name + "'");
  HttpResponse resp;
  resp.status = 200;
  resp.content_type = ConsoleContentType(name);
  resp.body = std::move(body).str();
  resp.headers.emplace_back("X-Content-Type-Options", "nosniff");
  resp.headers.emplace_back("Content-Security-Policy", std::string(kCsp));
  resp.headers.emplace_back("Cache-Control", "no-cache");
  resp.headers.emplace_back("Referrer-Policy", "no-referrer");
  return resp;
}

}  // namespace

bool IsConsoleFileName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string ConsoleContentType(std::string_view name) {
  if (EndsWith(name, ".html")) return "text/html; charset=utf-8";
  if (EndsWith(name, ".js") || EndsWith(name, ".mjs")) return "text/javascript; charset=utf-8";
  if (EndsWith(name, ".css")) return "text/css; charset=utf-8";
  if (EndsWith(name, ".json")) return "application/json";
  if (EndsWith(name, ".yaml")) return "application/yaml; charset=utf-8";
  if (EndsWith(name, ".svg")) return "image/svg+xml";
  if (EndsWith(name, ".png")) return "image/png";
  if (EndsWith(name, ".ico")) return "image/x-icon";
  if (EndsWith(name, ".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

Status AddConsoleRoutes(Router& r, const std::string& dir) {
  std::error_code ec;
  const std::filesystem::path root(dir);
  if (!std::filesystem::is_directory(root, ec) ||
      !std::filesystem::is_regular_file(root / "index.html", ec)) {
    return Status::InvalidArgument("rpc.console_dir '" + dir +
                                   "' is not a folder holding the console (index.html)");
  }
  for (const char* p : {"/", "/console", "/console/"}) {
    r.Add("GET", p, [](const HttpRequest&, const Responder& respond) { respond(Redirect()); });
  }
  r.Add("GET", "/console/{file}", [root](const HttpRequest& req, const Responder& respond) {
    respond(ServeFile(root, req.Param("file")));
  });
  r.Add("GET", "/openapi.yaml", [root](const HttpRequest&, const Responder& respond) {
    respond(ServeFile(root, "openapi.yaml"));
  });
  return Status::Ok();
}

}  // namespace laurel::rpc

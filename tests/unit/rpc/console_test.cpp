// The console's static files (rpc/console.h): served from the configured folder only, with
// their media types and security headers; names that could leave the folder are 404.
#include "rpc/console.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

namespace laurel::rpc {
namespace {

namespace fs = std::filesystem;

HttpResponse Get(const Router& router, std::string target) {
  HttpRequest req;
  req.method = "GET";
  req.target = std::move(target);
  HttpResponse out;
  router.Dispatch(std::move(req), [&](HttpResponse r) { out = std::move(r); });
  return out;
}

std::string Header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

struct ConsoleDir {
  fs::path root;
  fs::path dir;
  ConsoleDir() {
    root = fs::temp_directory_path() / ("laurel-console-test-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(reinterpret_cast<uintptr_t>(this)));
    dir = root / "console";
    fs::create_directories(dir);
    Write(dir / "index.html", "<!doctype html><title>laurel 控制台</title>");
    Write(dir / "app.js", "console.log(1);");
    Write(dir / "openapi.yaml", "openapi: 3.1.0\n");
    Write(root / "secret.key", "{\"seed\": \"...\"}");
  }
  ~ConsoleDir() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  static void Write(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
  }
};

TEST_CASE("console file names stay inside the folder", "[rpc][console]") {
  CHECK(IsConsoleFileName("index.html"));
  CHECK(IsConsoleFileName("vendor-1.2.js"));
  CHECK_FALSE(IsConsoleFileName(""));
  CHECK_FALSE(IsConsoleFileName(".."));
  CHECK_FALSE(IsConsoleFileName(".hidden"));
  CHECK_FALSE(IsConsoleFileName("../secret.key"));
  CHECK_FALSE(IsConsoleFileName("a/b"));
  CHECK_FALSE(IsConsoleFileName("a\\b"));
  CHECK_FALSE(IsConsoleFileName(std::string("a\0b", 3)));
  CHECK_FALSE(IsConsoleFileName(std::string(129, 'a')));
}

TEST_CASE("the console is served from its folder with types and headers", "[rpc][console]") {
  ConsoleDir d;
  Router r;
  REQUIRE(AddConsoleRoutes(r, d.dir.string()).ok());

  const HttpResponse index = Get(r, "/console/index.html");
  CHECK(index.status == 200);
  CHECK(index.content_type == "text/html; charset=utf-8");
  CHECK(index.body == "<!doctype html><title>laurel 控制台</title>");
  CHECK(Header(index, "X-Content-Type-Options") == "nosniff");
  CHECK(Header(index, "Content-Security-Policy").find("default-src 'self'") != std::string::npos);

  CHECK(Get(r, "/console/app.js").content_type == "text/javascript; charset=utf-8");
  const HttpResponse spec = Get(r, "/openapi.yaml");
  CHECK(spec.status == 200);
  CHECK(spec.content_type == "application/yaml; charset=utf-8");
  CHECK(spec.body == "openapi: 3.1.0\n");

  for (const char* t : {"/", "/console", "/console/"}) {
    INFO(t);
    const HttpResponse redirect = Get(r, t);
    CHECK(redirect.status == 302);
    CHECK(Header(redirect, "Location") == "/console/index.html");
  }
}

TEST_CASE("the console refuses names outside its folder and missing files", "[rpc][console]") {
  ConsoleDir d;
  Router r;
  REQUIRE(AddConsoleRoutes(r, d.dir.string()).ok());
  for (const char* t :
       {"/console/..%2Fsecret.key", "/console/%2E%2E%2Fsecret.key", "/console/.hidden",
        "/console/missing.js", "/console/..", "/console/..%5Csecret.key"}) {
    INFO(t);
    const HttpResponse resp = Get(r, t);
    CHECK(resp.status == 404);
    CHECK(nlohmann::json::parse(resp.body)["code"] == "NOT_FOUND");
    CHECK(resp.body.find("seed") == std::string::npos);
  }
  // A path with more segments matches no console route.
  CHECK(Get(r, "/console/../secret.key").status == 404);
}

TEST_CASE("a console folder without index.html is a configuration error", "[rpc][console]") {
  ConsoleDir d;
  Router r;
  const Status missing = AddConsoleRoutes(r, (d.root / "nope").string());
  CHECK(missing.code() == StatusCode::kInvalidArgument);
  CHECK(missing.message().find("console_dir") != std::string::npos);
  fs::remove(d.dir / "index.html");
  CHECK_FALSE(AddConsoleRoutes(r, d.dir.string()).ok());
  CHECK(r.Routes().empty());
}

TEST_CASE("docs/console.md documents exactly the console's routes", "[rpc][console][docs]") {
  ConsoleDir d;
  Router r;
  REQUIRE(AddConsoleRoutes(r, d.dir.string()).ok());
  std::set<std::string> served;
  for (const auto& [method, pattern] : r.Routes()) served.insert(method + " " + pattern);
  std::ifstream in(std::string(LAUREL_TEST_DATA_DIR) + "/../../docs/console.md");
  REQUIRE(in.good());
  std::set<std::string> documented;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("### ", 0) != 0) continue;
    std::istringstream words(line.substr(4));
    std::string method, pattern;
    words >> method >> pattern;
    if (!pattern.empty() && pattern.front() == '/') documented.insert(method + " " + pattern);
  }
  CHECK(documented == served);
  CHECK(served.size() == 5);
}

}  // namespace
}  // namespace laurel::rpc

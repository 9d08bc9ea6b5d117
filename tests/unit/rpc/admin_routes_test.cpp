// The operator's backup route (rpc/routes_admin.h) and the console's request counter: loopback
// clients only, names that stay inside the backup folder, errors that leave nothing behind.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "rpc/console.h"
#include "rpc/routes.h"
#include "rpc/routes_admin.h"
#include "tests/unit/rpc/rpc_test_util.h"

namespace laurel::rpc::test {
namespace {

namespace fs = std::filesystem;

HttpResponse Call(const Router& router, std::string method, std::string target, std::string remote,
                  std::string body = {}) {
  HttpRequest req;
  req.method = std::move(method);
  req.target = std::move(target);
  req.remote_address = std::move(remote);
  req.body = std::move(body);
  req.content_type = "application/json";
  HttpResponse out;
  out.status = 0;
  router.Dispatch(std::move(req), [&](HttpResponse r) { out = std::move(r); });
  return out;
}

struct TempDir {
  fs::path path =
      fs::temp_directory_path() / ("laurel-admin-test-" + std::to_string(::getpid()) + "-" +
                                   std::to_string(reinterpret_cast<uintptr_t>(this)));
  TempDir() { fs::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

TEST_CASE("only loopback addresses count as loopback", "[rpc][admin]") {
  for (const char* a : {"127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"}) {
    INFO(a);
    CHECK(IsLoopbackAddress(a));
  }
  for (const char* a : {"", "10.0.0.1", "128.0.0.1", "::ffff:10.0.0.1", "2001:db8::1",
                        "::", "localhost", "127.0.0.1x"}) {
    INFO(a);
    CHECK_FALSE(IsLoopbackAddress(a));
  }
}

TEST_CASE("the backup route refuses other machines and bad names, and writes nothing then",
          "[rpc][admin]") {
  TempDir t;
  FakeNode node;
  Router router;
  AddAdminRoutes(router, node, (t.path / "backups").string(), nullptr);

  // TEST-NET-2: documentation addresses, never one of this machine's.
  CHECK_FALSE(IsThisMachineAddress("198.51.100.7"));
  CHECK(IsThisMachineAddress("127.0.0.1"));
  auto r = Call(router, "POST", "/v1/admin/backup", "198.51.100.7", R"({"name":"b1"})");
  CHECK(r.status == 403);
  CHECK(r.body.find("FORBIDDEN") != std::string::npos);
  for (const char* body : {R"({"name":"../b1"})", R"({"name":".hidden"})", R"({"name":"a/b"})",
                           R"({"name":""})", R"({"name":7})", "[1]", "{"}) {
    INFO(body);
    r = Call(router, "POST", "/v1/admin/backup", "127.0.0.1", body);
    CHECK(r.status == 400);
  }
  CHECK_FALSE(fs::exists(t.path / "backups"));
  // The fake node's store keeps no files: the node answers the failure and leaves no folder.
  r = Call(router, "POST", "/v1/admin/backup", "::1", R"({"name":"b1"})");
  CHECK(r.status == 500);
  CHECK(r.body.find("checkpoint") != std::string::npos);
  CHECK_FALSE(fs::exists(t.path / "backups" / "b1"));
  // GET is not a backup.
  CHECK(Call(router, "GET", "/v1/admin/backup", "127.0.0.1").status == 405);
}

TEST_CASE("console file requests are counted by status", "[rpc][admin][console]") {
  TempDir t;
  fs::create_directories(t.path / "console");
  std::ofstream(t.path / "console" / "index.html") << "<!doctype html><title>x</title>";
  metrics::Registry registry;
  FakeNode node;
  node.registry = &registry;
  Router router = BuildRouter(node);
  REQUIRE(AddConsoleRoutes(router, (t.path / "console").string()).ok());
  CHECK(Call(router, "GET", "/console/index.html", "127.0.0.1").status == 200);
  CHECK(Call(router, "GET", "/console/index.html", "127.0.0.1").status == 200);
  CHECK(Call(router, "GET", "/console/missing.js", "127.0.0.1").status == 404);
  CHECK(Call(router, "GET", "/console/", "127.0.0.1").status == 302);
  // API requests are not console requests.
  CHECK(Call(router, "GET", "/healthz", "127.0.0.1").status == 200);
  const std::string text = registry.Render();
  INFO(text);
  CHECK(text.find("laurel_console_requests_total{status=\"200\"} 2\n") != std::string::npos);
  CHECK(text.find("laurel_console_requests_total{status=\"404\"} 1\n") != std::string::npos);
  CHECK(text.find("laurel_console_requests_total{status=\"302\"} 1\n") != std::string::npos);
}

}  // namespace
}  // namespace laurel::rpc::test

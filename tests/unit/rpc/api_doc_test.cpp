// docs/api.md and the route table cannot drift: every route BuildRouter serves has a
// "### METHOD /pattern" section in the document, and every such section names a served route.
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "rpc/routes.h"
#include "rpc/routes_admin.h"
#include "tests/unit/rpc/rpc_test_util.h"

namespace laurel::rpc::test {
namespace {

// LAUREL_TEST_DATA_DIR is <source>/tests/data.
const std::string kApiDoc = std::string(LAUREL_TEST_DATA_DIR) + "/../../docs/api.md";

// "METHOD /pattern" of every line "### METHOD /pattern" (anything after the pattern ignored).
std::set<std::string> DocumentedRoutes(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::set<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("### ", 0) != 0) continue;
    std::istringstream words(line.substr(4));
    std::string method, pattern;
    words >> method >> pattern;
    if (method.empty() || pattern.empty() || pattern.front() != '/') continue;
    if (method != "GET" && method != "POST" && method != "PUT" && method != "DELETE") continue;
    INFO(line);
    CHECK(out.insert(method + " " + pattern).second);  // documented once
  }
  return out;
}

TEST_CASE("docs/api.md documents exactly the routes the server serves", "[rpc][docs]") {
  FakeNode node;
  Router router = BuildRouter(node);
  // The operator's route, served when [admin] backup_dir is set, is documented too.
  AddAdminRoutes(router, node, "/nonexistent-backup-dir", nullptr);
  std::set<std::string> served;
  for (const auto& [method, pattern] : router.Routes()) served.insert(method + " " + pattern);
  const std::set<std::string> documented = DocumentedRoutes(kApiDoc);
  for (const auto& r : served) {
    INFO("served but not documented in docs/api.md: " << r);
    CHECK(documented.count(r) == 1);
  }
  for (const auto& r : documented) {
    INFO("documented in docs/api.md but not served: " << r);
    CHECK(served.count(r) == 1);
  }
  CHECK(served.size() >= 14);
}

}  // namespace
}  // namespace laurel::rpc::test

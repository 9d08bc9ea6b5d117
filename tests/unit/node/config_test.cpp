#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "node/config.h"

using namespace laurel;
using namespace laurel::node;
namespace fs = std::filesystem;

namespace {
struct TempFile {
  fs::path dir;
  fs::path path;
  explicit TempFile(const std::string& text) {
    char tmpl[] = "/tmp/laurel-config-XXXXXX";
    dir = mkdtemp(tmpl);
    path = dir / "node.toml";
    std::ofstream(path) << text;
  }
  ~TempFile() { fs::remove_all(dir); }
};
const std::string kKey(64, 'a');
}  // namespace

TEST_CASE("a node config is read with relative paths resolved against its folder", "[config]") {
  TempFile f("name = \"n1\"\ndata_dir = \"data\"\ngenesis = \"../g.json\"\nkey_file = \"k.key\"\n"
             "[p2p]\nlisten = \"127.0.0.1:9100\"\npeers = [\"" + kKey + "@127.0.0.1:9101\"]\n"
             "[rpc]\nlisten = \"127.0.0.1:9000\"\nthreads = 3\n"
             "[consensus]\nround_timeout_ms = 2000\n");
  auto c = LoadNodeConfig(f.path.string());
  REQUIRE(c.ok());
  CHECK(c->name == "n1");
  CHECK(c->data_dir == (f.dir / "data").string());
  CHECK(c->genesis == (f.dir.parent_path() / "g.json").string());
  CHECK(c->p2p_listen.port == 9100);
  REQUIRE(c->peers.size() == 1);
  CHECK(c->peers[0].address.port == 9101);
  CHECK(c->rpc_threads == 3);
  CHECK(c->round_timeout_ms == 2000);
}

TEST_CASE("a bad node config names what is wrong", "[config][badinput]") {
  {
    TempFile f("data_dir = \"d\"\n");
    auto c = LoadNodeConfig(f.path.string());
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message().find("required") != std::string::npos);
  }
  {
    TempFile f("data_dir = \"d\"\ngenesis = \"g\"\nkey_file = \"k\"\n[p2p]\npeers = [\"zz@h:1\"]\n");
    auto c = LoadNodeConfig(f.path.string());
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message().find("p2p.peers") != std::string::npos);
  }
  {
    TempFile f("data_dir = = \"d\"\n");
    CHECK_FALSE(LoadNodeConfig(f.path.string()).ok());
  }
  {
    TempFile f("data_dir = \"d\"\ngenesis = \"g\"\nkey_file = \"k\"\n[rpc]\nlisten = \"nohost\"\n");
    CHECK_FALSE(LoadNodeConfig(f.path.string()).ok());
  }
  CHECK_FALSE(LoadNodeConfig("/nonexistent/node.toml").ok());
  CHECK_FALSE(ParseHostPort("h:99999").ok());
  CHECK(ParseHostPort("h:80")->port == 80);
}

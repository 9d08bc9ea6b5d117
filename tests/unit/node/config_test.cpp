#include "node/config.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

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
  TempFile f(
      "name = \"n1\"\ndata_dir = \"data\"\ngenesis = \"../g.json\"\nkey_file = \"k.key\"\n"
      "[p2p]\nlisten = \"127.0.0.1:9100\"\npeers = [\"" +
      kKey +
      "@127.0.0.1:9101\"]\n"
      "[rpc]\nlisten = \"127.0.0.1:9000\"\nthreads = 3\n"
      "[consensus]\nround_timeout_ms = 2000\nquorum_store = false\nbatch_fsync = false\n");
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
  CHECK_FALSE(c->quorum_store);
  CHECK_FALSE(c->batch_fsync);
  CHECK(NodeConfig{}.batch_fsync);  // a batch is synced to disk before its ack by default
  CHECK(NodeConfig{}.quorum_store);  // transactions travel once, in digest batches, by default
}

TEST_CASE("a bad node config names what is wrong", "[config][badinput]") {
  {
    TempFile f("data_dir = \"d\"\n");
    auto c = LoadNodeConfig(f.path.string());
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message().find("required") != std::string::npos);
  }
  {
    TempFile f(
        "data_dir = \"d\"\ngenesis = \"g\"\nkey_file = \"k\"\n[p2p]\npeers = [\"zz@h:1\"]\n");
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
  {
    TempFile f(
        "data_dir = \"d\"\ngenesis = \"g\"\nkey_file = \"k\"\n[consensus]\nbatch_fsync = "
        "\"yes\"\n");
    auto c = LoadNodeConfig(f.path.string());
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message().find("batch_fsync") != std::string::npos);
  }
  CHECK_FALSE(LoadNodeConfig("/nonexistent/node.toml").ok());
  CHECK_FALSE(ParseHostPort("h:99999").ok());
  CHECK(ParseHostPort("h:80")->port == 80);
}

TEST_CASE("limits on the ports are read from [rpc.limits] and [p2p.limits]", "[config]") {
  const std::string base = "data_dir = \"d\"\ngenesis = \"g\"\nkey_file = \"k\"\n";
  {
    TempFile f(base);
    auto c = LoadNodeConfig(f.path.string());
    REQUIRE(c.ok());
    CHECK(c->rpc_limits.tx_rate == 1000);
    CHECK(c->rpc_limits.max_connections_per_ip == 64);
    CHECK(c->p2p_limits.max_pending_handshakes_per_ip == 4);
  }
  {
    TempFile f(base +
               "[rpc]\nthreads = 2\n"
               "[rpc.limits]\nmax_connections_per_ip = 8\nmax_connections_per_ipv6_64 = 16\n"
               "tx_rate = 50\ntx_burst = 75.5\nblock_range_rate = 0.5\n"
               "max_commit_waits_per_client = 3\nwork_threads = 1\nwork_queue = 10\n"
               "[p2p.limits]\nhandshake_timeout_ms = 2000\nmax_pending_handshakes = 20\n"
               "max_pending_handshakes_per_ip = 2\nreserved_peer_handshakes = 6\n"
               "write_stall_timeout_ms = 0\n");
    auto c = LoadNodeConfig(f.path.string());
    INFO(c.status().ToString());
    REQUIRE(c.ok());
    CHECK(c->rpc_threads == 2);
    CHECK(c->rpc_limits.max_connections_per_ip == 8);
    CHECK(c->rpc_limits.max_connections_per_ipv6_64 == 16);
    CHECK(c->rpc_limits.max_connections == 1024);
    CHECK(c->rpc_limits.tx_rate == 50);
    CHECK(c->rpc_limits.tx_burst == 75.5);
    CHECK(c->rpc_limits.block_range_rate == 0.5);
    CHECK(c->rpc_limits.max_commit_waits_per_client == 3);
    CHECK(c->rpc_limits.work_threads == 1);
    CHECK(c->rpc_limits.work_queue == 10);
    CHECK(c->p2p_limits.handshake_timeout_ms == 2000);
    CHECK(c->p2p_limits.max_pending_handshakes == 20);
    CHECK(c->p2p_limits.max_pending_handshakes_per_ip == 2);
    CHECK(c->p2p_limits.reserved_peer_handshakes == 6);
    CHECK(c->p2p_limits.write_stall_timeout_ms == 0);
  }
  for (const char* bad :
       {"[rpc.limits]\ntx_rate = 0\n", "[rpc.limits]\nmax_connections_per_ip = 0\n",
        "[rpc.limits]\nwork_threads = 0\n", "[p2p.limits]\nmax_pending_handshakes_per_ip = 0\n",
        "[rpc.limits]\ntx_rate = \"fast\"\n"}) {
    TempFile f(base + bad);
    auto c = LoadNodeConfig(f.path.string());
    INFO(bad);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message().find("limits") != std::string::npos);
  }
}

TEST_CASE("[rpc] TLS files and public URLs are read and checked", "[config]") {
  const std::string head = "data_dir = \"d\"\ngenesis = \"g.json\"\nkey_file = \"k.key\"\n[rpc]\n";
  {
    TempFile f(head +
               "tls_cert = \"tls/cert.pem\"\ntls_key = \"tls/key.pem\"\n"
               "public_url = \"https://node1.example.org:8700\"\n"
               "peer_public_urls = [\"https://node2.example.org\", \"http://10.0.0.3:8700/\"]\n");
    auto c = LoadNodeConfig(f.path.string());
    REQUIRE(c.ok());
    CHECK(c->rpc_tls_cert == (f.dir / "tls" / "cert.pem").string());
    CHECK(c->rpc_tls_key == (f.dir / "tls" / "key.pem").string());
    CHECK(c->rpc_public_url == "https://node1.example.org:8700");
    CHECK(c->rpc_peer_public_urls.size() == 2);
  }
  {
    TempFile f(head);
    auto c = LoadNodeConfig(f.path.string());
    REQUIRE(c.ok());
    CHECK(c->rpc_tls_cert.empty());  // plain HTTP by default
    CHECK(c->rpc_public_url.empty());
  }
  for (const std::string& bad :
       {std::string("tls_cert = \"c.pem\"\n"), std::string("tls_key = \"k.pem\"\n"),
        std::string("public_url = \"ftp://x\"\n"), std::string("public_url = \"https://\"\n"),
        std::string("public_url = \"https://a.example/path\"\n"),
        std::string("peer_public_urls = [\"http://a b\"]\n")}) {
    TempFile f(head + bad);
    auto c = LoadNodeConfig(f.path.string());
    INFO(bad);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message().find("rpc.") != std::string::npos);
  }
}

TEST_CASE("[fault_injection] is read, and refused unless allowed on the command line",
          "[config][badinput]") {
  const std::string base =
      "data_dir = \"data\"\ngenesis = \"g.json\"\nkey_file = \"k.key\"\n";
  {
    TempFile f(base);
    auto c = LoadNodeConfig(f.path.string());
    REQUIRE(c.ok());
    CHECK(c->fault_injection_file.empty());
    CHECK(CheckFaultInjection(*c).ok());  // no section: nothing to allow
  }
  {
    TempFile f(base + "[fault_injection]\nfile = \"faults.json\"\n");
    auto c = LoadNodeConfig(f.path.string());
    REQUIRE(c.ok());
    CHECK(c->fault_injection_file == (f.dir / "faults.json").string());
    CHECK_FALSE(c->allow_fault_injection);
    const Status st = CheckFaultInjection(*c);
    CHECK(st.code() == StatusCode::kPermissionDenied);
    CHECK(st.message().find("--allow-fault-injection") != std::string::npos);
    c->allow_fault_injection = true;
    CHECK(CheckFaultInjection(*c).ok());
  }
  {
    TempFile f(base + "[fault_injection]\n");
    auto c = LoadNodeConfig(f.path.string());
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message().find("fault_injection.file") != std::string::npos);
  }
}

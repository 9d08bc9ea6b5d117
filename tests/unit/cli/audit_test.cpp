// The audit's verdict policy on state certificates, and resuming from a checkpoint's state
// (cli/audit.h). The chain checks themselves run against a real testnet
// (tests/integration/test_audit.py, test_gateway.py).
#include "cli/audit.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "consensus/types.h"
#include "crypto/ed25519.h"
#include "node/wire.h"

using laurel::cli::AuditTotals;
using laurel::cli::FewCertificates;

namespace {

AuditTotals Totals(uint64_t blocks, uint64_t certified) {
  AuditTotals t;
  t.blocks = blocks;
  t.height = blocks - 1;
  t.certified = certified;
  return t;
}

}  // namespace

TEST_CASE("a chain past genesis with no state certificate has few certificates", "[cli]") {
  CHECK(FewCertificates(Totals(58, 0)));
  CHECK(FewCertificates(Totals(2, 0)));
}

TEST_CASE("fewer than half of the heights after genesis certified is few, half is enough",
          "[cli]") {
  CHECK(FewCertificates(Totals(101, 49)));  // 49 of 100
  CHECK_FALSE(FewCertificates(Totals(101, 50)));
  CHECK_FALSE(FewCertificates(Totals(58, 57)));  // all but genesis
}

TEST_CASE("a chain of genesis alone has nothing to certify", "[cli]") {
  CHECK_FALSE(FewCertificates(Totals(1, 0)));
  CHECK_FALSE(FewCertificates(AuditTotals{}));
}

namespace {

using laurel::Bytes;
using laurel::Hash32;
namespace cli = laurel::cli;

laurel::ledger::Genesis TestGenesis() {
  laurel::ledger::Genesis g;
  g.chain_id = "laurel-audit-test";
  g.genesis_time_ms = 1'700'000'000'000;
  const auto v = laurel::crypto::PrivateKey::FromSeed(Bytes(32, 7)).value();
  const auto a = laurel::crypto::PrivateKey::FromSeed(Bytes(32, 8)).value();
  g.validators = {laurel::types::Validator{Bytes(v.public_key().begin(), v.public_key().end()),
                                           "v0", "127.0.0.1:9000"}};
  g.admin_keys = {Bytes(a.public_key().begin(), a.public_key().end())};
  g.threshold = 1;
  return g;
}

// Height 0 as a node stores it.
cli::AuditBlock GenesisBlockRecord(const laurel::ledger::Genesis& g) {
  const auto b = laurel::consensus::GenesisBlock(0, g.chain_id);
  cli::AuditBlock ab;
  ab.record.height = 0;
  ab.record.block_id = b.id;
  ab.record.time_ms = g.genesis_time_ms;
  ab.record.header = laurel::node::EncodeStoredHeader(b, /*keep_payload=*/false);
  const auto r = laurel::ledger::ExecuteGenesis(g);
  ab.record.state_root = r.state_root;
  ab.record.tx_root = r.tx_root;
  return ab;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/laurel-audit-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("an audit kept in a store resumes after its checkpoint and refuses another state",
          "[cli][audit]") {
  const auto g = TestGenesis();
  REQUIRE(laurel::ledger::ValidateGenesis(g).ok());
  TempDir dir;
  const std::string state = (dir.path / "state").string();
  cli::AuditResumePoint point;
  {
    auto store = laurel::storage::OpenRocksStore(state);
    REQUIRE(store.ok());
    cli::ChainAuditor a(g, 1, std::move(store).value());
    std::vector<cli::AuditBlock> blocks{GenesisBlockRecord(g)};
    REQUIRE_FALSE(a.Check(std::move(blocks)).has_value());
    REQUIRE_FALSE(a.proof_pending());
    point = a.ResumePoint();
  }
  CHECK(point.height == 0);
  CHECK(point.totals.blocks == 1);
  CHECK(point.epoch == 0);

  const auto resume = [&](const cli::AuditResumePoint& p) {
    auto store = laurel::storage::OpenRocksStore(state);
    REQUIRE(store.ok());
    auto a = std::make_unique<cli::ChainAuditor>(g, 1, std::move(store).value());
    const laurel::Status st = a->ResumeAt(p);
    return std::make_pair(st, a->next_height());
  };
  {
    const auto [st, next] = resume(point);
    CHECK(st.ok());
    CHECK(next == 1);
  }
  {
    auto p = point;
    p.block_id[0] ^= 1;
    const auto [st, next] = resume(p);
    REQUIRE_FALSE(st.ok());
    CHECK(st.message().find("the checkpoint says") != std::string::npos);
    CHECK(next == 0);
  }
  {
    auto p = point;
    p.state_root[5] ^= 1;
    const auto [st, next] = resume(p);
    REQUIRE_FALSE(st.ok());
    CHECK(st.message().find("root") != std::string::npos);
  }
  {
    auto p = point;
    p.height = 3;
    const auto [st, next] = resume(p);
    REQUIRE_FALSE(st.ok());
    CHECK(st.message().find("at height 0, the checkpoint at 3") != std::string::npos);
  }
  {
    // A fresh store is not the checkpoint's state.
    auto store = laurel::storage::OpenRocksStore((dir.path / "empty").string());
    REQUIRE(store.ok());
    cli::ChainAuditor a(g, 1, std::move(store).value());
    CHECK_FALSE(a.ResumeAt(point).ok());
  }
}

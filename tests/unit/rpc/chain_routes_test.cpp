// The auditors' routes (rpc/routes_chain.cpp) over a fake node, without a socket: the genesis
// document, and block ranges with their state certificates, in binary and JSON.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "laurel/v1/chain.pb.h"
#include "ledger/genesis_io.h"
#include "node/wire.h"
#include "rpc/routes.h"
#include "tests/unit/rpc/rpc_test_util.h"

namespace laurel::rpc::test {
namespace {

using nlohmann::json;

HttpResponse Get(const Router& router, const std::string& target, bool protobuf) {
  HttpRequest req;
  req.method = "GET";
  req.target = target;
  if (protobuf) req.accept = "application/x-protobuf";
  return Call(router, std::move(req));
}

v1::BlockRange Range(const HttpResponse& r) {
  REQUIRE(r.status == 200);
  REQUIRE(r.content_type == "application/x-protobuf");
  v1::BlockRange range;
  REQUIRE(range.ParseFromString(r.body));
  return range;
}

// A certificate for height 1 with made-up signatures (the route serves, it does not judge).
node::StateCertificate PutCertificate(FakeNode& node) {
  auto rec = node.store().GetBlock(1);
  REQUIRE(rec.ok());
  REQUIRE(rec->has_value());
  node::StateCertificate c;
  c.data.height = 1;
  c.data.block_id = (*rec)->block_id;
  c.data.state_root = (*rec)->state_root;
  c.data.tx_root = (*rec)->tx_root;
  c.data.time_ms = (*rec)->time_ms;
  crypto::Signature sig{};
  sig.fill(0x5a);
  c.signatures.emplace_back(0, sig);
  c.signatures.emplace_back(2, sig);
  // The fake node's store is its own (non-const) object; the API only exposes it as const.
  auto& store = const_cast<storage::Store&>(node.store());
  REQUIRE(store.PutStateCertificate(1, node::EncodeStateCertificate(c)).ok());
  return c;
}

TEST_CASE("genesis is served as the genesis document the node was started with", "[rpc]") {
  FakeNode node;
  const Router router = BuildRouter(node);
  const HttpResponse r = Get(router, "/v1/genesis", false);
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "application/json");
  auto parsed = ledger::ParseGenesisJson(r.body);
  REQUIRE(parsed.ok());
  CHECK(parsed->chain_id == node.chain_id());
  CHECK(*ledger::GenesisToJson(*parsed) == *ledger::GenesisToJson(node.genesis()));
}

TEST_CASE("a block range holds every stored block from the given height with the tip", "[rpc]") {
  FakeNode node;
  const Router router = BuildRouter(node);
  const v1::BlockRange range = Range(Get(router, "/v1/blocks?from=0", true));
  CHECK(range.tip_height() == 1);
  CHECK(range.next_height() == 2);
  REQUIRE(range.blocks_size() == 2);
  CHECK(range.blocks(0).block().meta().height() == 0);
  const v1::StoredBlock& b1 = range.blocks(1).block();
  CHECK(b1.meta().height() == 1);
  CHECK(b1.meta().block_id() == ToString(node.block1_id()));
  CHECK(b1.meta().parent_id() == ToString(node.genesis_id()));
  REQUIRE(b1.txs_size() == 2);
  CHECK(b1.txs(0).body() == ToString(node.block_txs()[0].body));
  CHECK(b1.txs(0).signatures(0).signature() ==
        ToString(node.block_txs()[0].signatures[0].signature));
  REQUIRE(b1.results_size() == 2);
  CHECK(b1.results(0) == static_cast<uint32_t>(ledger::TxCode::kOk));
  CHECK(b1.results(1) == static_cast<uint32_t>(ledger::TxCode::kMalformed));
  auto stored = node.store().GetBlock(1);
  REQUIRE(stored.ok());
  CHECK(b1.header() == ToString((*stored)->header));
  CHECK(b1.certificate() == ToString((*stored)->certificate));
  CHECK(b1.meta().state_root() == ToString((*stored)->state_root));
  CHECK_FALSE(range.blocks(1).has_state_certificate());
}

TEST_CASE("a block range carries the state certificate of a height that has one", "[rpc]") {
  FakeNode node;
  const node::StateCertificate c = PutCertificate(node);
  const Router router = BuildRouter(node);
  const v1::BlockRange range = Range(Get(router, "/v1/blocks?from=1&limit=5", true));
  REQUIRE(range.blocks_size() == 1);
  REQUIRE(range.blocks(0).has_state_certificate());
  const v1::StateCertificate& sc = range.blocks(0).state_certificate();
  CHECK(sc.height() == 1);
  CHECK(sc.block_id() == HexEncode(c.data.block_id));
  CHECK(sc.state_root() == HexEncode(c.data.state_root));
  CHECK(sc.tx_root() == HexEncode(c.data.tx_root));
  CHECK(sc.time_ms() == c.data.time_ms);
  REQUIRE(sc.signatures_size() == 2);
  CHECK(sc.signatures(1).signer() == 2);
  CHECK(sc.signatures(1).signature() == HexEncode(c.signatures[1].second));
}

TEST_CASE("a block range stops at the limit and past the tip it is empty", "[rpc]") {
  FakeNode node;
  const Router router = BuildRouter(node);
  v1::BlockRange one = Range(Get(router, "/v1/blocks?from=0&limit=1", true));
  REQUIRE(one.blocks_size() == 1);
  CHECK(one.next_height() == 1);
  v1::BlockRange none = Range(Get(router, "/v1/blocks?from=7", true));
  CHECK(none.blocks_size() == 0);
  CHECK(none.tip_height() == 1);
  CHECK(none.next_height() == 7);
  // Above the maximum the limit is clamped, not refused.
  CHECK(Range(Get(router, "/v1/blocks?from=0&limit=5000", true)).blocks_size() == 2);
}

TEST_CASE("a block range without protobuf in Accept is protobuf's JSON mapping", "[rpc]") {
  FakeNode node;
  PutCertificate(node);
  const Router router = BuildRouter(node);
  const HttpResponse r = Get(router, "/v1/blocks?from=1", false);
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "application/json");
  const json j = json::parse(r.body);
  CHECK(j["tip_height"] == "1");  // uint64 as a decimal string
  REQUIRE(j["blocks"].size() == 1);
  CHECK(j["blocks"][0]["block"]["meta"]["height"] == "1");
  CHECK(j["blocks"][0]["block"]["txs"].size() == 2);
  CHECK(j["blocks"][0]["state_certificate"]["state_root"].get<std::string>().size() == 64);
}

TEST_CASE("a block range refuses a bad from or limit with 400", "[rpc]") {
  FakeNode node;
  const Router router = BuildRouter(node);
  for (const char* target : {"/v1/blocks?from=x", "/v1/blocks?from=-1", "/v1/blocks?from=1&limit=0",
                             "/v1/blocks?limit=ten", "/v1/blocks?from=99999999999999999999999"}) {
    INFO(target);
    const HttpResponse r = Get(router, target, true);
    CHECK(r.status == 400);
    CHECK(json::parse(r.body)["code"] == "BAD_REQUEST");
  }
}

}  // namespace
}  // namespace laurel::rpc::test

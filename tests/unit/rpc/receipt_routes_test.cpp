// GET /v1/txs/{tx_id}/receipt over a fake node, without a socket: what it serves verifies
// with the verifier and the genesis validators alone; without a certificate of the height it
// answers 503 NO_CERTIFICATE, never a receipt resting on another height.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "node/wire.h"
#include "rpc/routes.h"
#include "tests/unit/rpc/rpc_test_util.h"
#include "verifier/verifier.h"

namespace laurel::rpc::test {
namespace {

using nlohmann::json;

HttpResponse Get(const Router& router, const std::string& target) {
  return CallGet(router, target);
}

std::string Url(const types::Tx& tx) {
  return "/v1/txs/" + HexEncode(types::TxId(tx)) + "/receipt";
}

}  // namespace

TEST_CASE(
    "a receipt is served once its height is certified, and verifies with the genesis "
    "validators alone",
    "[rpc][receipt]") {
  FakeNode node;
  Router router = BuildRouter(node);
  const auto& txs = node.block_txs();  // block 1: a registration (OK) and garbage (MALFORMED)

  auto early = Get(router, Url(txs[0]));
  CHECK(early.status == 503);
  CHECK(json::parse(early.body)["code"] == "NO_CERTIFICATE");
  CHECK(json::parse(early.body)["message"].get<std::string>().find("retry shortly") !=
        std::string::npos);

  Certify(node, 1);
  for (uint32_t pos = 0; pos < 2; ++pos) {
    INFO("position " << pos);
    auto r = Get(router, Url(txs[pos]));
    REQUIRE(r.status == 200);
    const json j = json::parse(r.body);
    CHECK(j["tx_id"] == HexEncode(types::TxId(txs[pos])));
    CHECK(j["tx"] == HexEncode(types::EncodeTx(txs[pos])));
    CHECK(j["height"] == "1");
    CHECK(j["position"] == pos);
    CHECK(j["tx_count"] == 2);
    CHECK(j["result"] == (pos == 0 ? "OK" : "MALFORMED"));
    auto proven = verifier::CheckReceipt(j, GenesisSet(node));
    INFO((proven.ok() ? std::string() : proven.status().message()));
    REQUIRE(proven.ok());
    CHECK(proven->code == (pos == 0 ? 0u : 1u));
    CHECK(proven->signers == std::vector<std::string>{"v1"});
  }
}

TEST_CASE(
    "a receipt of a height this node holds no certificate of is a 503 naming it, not a "
    "receipt of another height",
    "[rpc][receipt]") {
  FakeNode node;
  const auto tx =
      node.MakeTx(types::SetIssuerStatus{"city-fed", types::IssuerStatus::kSuspended, "audit"},
                  {&node.admin()});
  node.Commit({tx});  // height 2
  for (int i = 0; i < 4; ++i) node.Commit({});
  Certify(node, 1);
  Certify(node, 3);
  Certify(node, 6);
  Router router = BuildRouter(node);
  auto r = Get(router, Url(tx));
  CHECK(r.status == 503);
  const json j = json::parse(r.body);
  CHECK(j["code"] == "NO_CERTIFICATE");
  CHECK(j["message"].get<std::string>().find("height 2") != std::string::npos);
  CHECK(j["message"].get<std::string>().find("ask another node") != std::string::npos);
  Certify(node, 2);
  CHECK(Get(router, Url(tx)).status == 200);
}

TEST_CASE("a receipt of a malformed id, an unknown or a pending transaction is refused",
          "[rpc][receipt]") {
  FakeNode node;
  Router router = BuildRouter(node);
  CHECK(Get(router, "/v1/txs/abc/receipt").status == 400);
  const std::string unknown(64, 'a');
  auto r = Get(router, "/v1/txs/" + unknown + "/receipt");
  CHECK(r.status == 404);
  CHECK(json::parse(r.body)["code"] == "NOT_FOUND");
  Hash32 id{};
  id.fill(0xaa);
  node.pending.insert(id);
  r = Get(router, "/v1/txs/" + unknown + "/receipt");
  CHECK(r.status == 404);
  CHECK(json::parse(r.body)["message"].get<std::string>().find("pending") != std::string::npos);
}

}  // namespace laurel::rpc::test

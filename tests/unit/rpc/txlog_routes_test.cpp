// GET /v1/log, /v1/log/proof/inclusion and /v1/log/proof/consistency over a fake node, without
// a socket: the head is the certified record "l" (checked by verifier::CheckLogHead), the
// proofs verify against it, and bad parameters are 400 BAD_REQUEST with a message.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "crypto/merkle.h"
#include "ledger/executor.h"
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

std::vector<Bytes> Hashes(const json& list) {
  std::vector<Bytes> out;
  for (const auto& h : list) out.push_back(*HexDecode(h.get<std::string>()));
  return out;
}

}  // namespace

TEST_CASE(
    "the log head is the certified record 'l', inclusion and consistency proofs verify "
    "against it",
    "[rpc][txlog]") {
  FakeNode node;
  Router router = BuildRouter(node);
  const auto& txs = node.block_txs();  // block 1: two transactions
  auto rec = node.store().GetBlock(1);
  REQUIRE(rec.ok());
  std::vector<Hash32> leaves;
  for (size_t i = 0; i < txs.size(); ++i) {
    leaves.push_back(
        crypto::MerkleLeafHash(ledger::TxRootLeaf(types::TxId(txs[i]), (*rec)->results[i])));
  }
  const Hash32 root = crypto::MerkleRoot(leaves);

  auto head = Get(router, "/v1/log");
  REQUIRE(head.status == 200);
  const json h = json::parse(head.body);
  CHECK(h["size"] == std::to_string(leaves.size()));
  CHECK(h["root"] == HexEncode(root));

  CHECK(Get(router, "/v1/log?proof=true").status == 503);  // no certificate yet
  Certify(node, 1);
  auto proven = Get(router, "/v1/log?proof=true");
  REQUIRE(proven.status == 200);
  auto checked = verifier::CheckLogHead(json::parse(proven.body), GenesisSet(node), 0, 0);
  REQUIRE(checked.ok());
  CHECK(checked->size == leaves.size());
  CHECK(checked->root == root);

  for (size_t i = 0; i < leaves.size(); ++i) {
    for (const std::string& q :
         {"index=" + std::to_string(i), "tx=" + HexEncode(types::TxId(txs[i]))}) {
      auto inc = Get(router, std::string("/v1/log/proof/inclusion?") + q);
      REQUIRE(inc.status == 200);
      const json j = json::parse(inc.body);
      CHECK(j["index"] == std::to_string(i));
      CHECK(j["tx_id"] == HexEncode(types::TxId(txs[i])));
      CHECK(j["height"] == "1");
      CHECK(j["leaf_hash"] == HexEncode(leaves[i]));
      CHECK(verifier::CheckLogInclusion(i, leaves.size(), leaves[i], Hashes(j["audit_path"]),
                                        checked->root)
                .ok());
    }
  }
  auto cons = Get(router, "/v1/log/proof/consistency?first=1&second=2");
  REQUIRE(cons.status == 200);
  const json c = json::parse(cons.body);
  CHECK(verifier::CheckLogConsistency(1, 2, Hashes(c["proof"]), leaves[0], checked->root).ok());
  CHECK(json::parse(Get(router, "/v1/log/proof/consistency?first=2").body)["proof"].empty());
}

TEST_CASE("bad log route parameters are 400 BAD_REQUEST with a message", "[rpc][txlog]") {
  FakeNode node;
  Router router = BuildRouter(node);
  for (const char* target : {
           "/v1/log/proof/consistency?first=1&second=3",  // second above the size (2)
           "/v1/log/proof/consistency?first=2&second=1",  // first > second
           "/v1/log/proof/consistency?first=0&second=1",  // first == 0
           "/v1/log/proof/consistency?first=x",           // not a number
           "/v1/log/proof/consistency?first=1&second=-1",
           "/v1/log/proof/consistency?first=99999999999999999999999",
           "/v1/log/proof/consistency",                 // first missing
           "/v1/log/proof/consistency?first=1&size=2",  // unknown parameter
           "/v1/log/proof/inclusion",                   // neither index nor tx
           "/v1/log/proof/inclusion?index=0&tx=00",     // both
           "/v1/log/proof/inclusion?index=2",           // index >= size
           "/v1/log/proof/inclusion?index=0&size=3",    // size above the log
           "/v1/log/proof/inclusion?index=1&size=1",    // index >= size
           "/v1/log/proof/inclusion?index=1e3",
           "/v1/log/proof/inclusion?tx=abc",
           "/v1/log?proof=true&first=1",
       }) {
    INFO(target);
    auto r = Get(router, target);
    CHECK(r.status == 400);
    const json j = json::parse(r.body);
    CHECK(j["code"] == "BAD_REQUEST");
    CHECK_FALSE(j["message"].get<std::string>().empty());
  }
  CHECK(Get(router, "/v1/log/proof/inclusion?tx=" + std::string(64, 'a')).status == 404);
  auto yes = Get(router, "/v1/log?proof=yes");
  CHECK(yes.status == 400);
  CHECK(json::parse(yes.body)["code"] == "BAD_PROOF");
}

TEST_CASE(
    "?height=H anchors the log head and its proofs at a past certified height, bad heights are "
    "refused and change nothing",
    "[rpc][txlog]") {
  FakeNode node;
  Router router = BuildRouter(node);
  // Block 2: one more transaction, so that the log of height 1 (2 leaves) is a strict prefix.
  node.Commit({MakeRegisterIssuerTx(node.chain_id(), "second-union", node.admin())});
  Certify(node, 1);
  Certify(node, 2);

  auto newest = verifier::CheckLogHead(json::parse(Get(router, "/v1/log?proof=true").body),
                                       GenesisSet(node), 0, 0);
  REQUIRE(newest.ok());
  CHECK(newest->state.height == 2);
  CHECK(newest->size == 3);

  auto past = Get(router, "/v1/log?height=1&proof=true");
  REQUIRE(past.status == 200);
  auto old = verifier::CheckLogHead(json::parse(past.body), GenesisSet(node), 0, 0);
  REQUIRE(old.ok());
  CHECK(old->state.height == 1);
  CHECK(old->size == 2);
  // Unproven, the same head (from the stored subtrees), and the empty log at height 0.
  const json plain = json::parse(Get(router, "/v1/log?height=1").body);
  CHECK(plain["height"] == "1");
  CHECK(plain["size"] == "2");
  CHECK(plain["root"] == HexEncode(old->root));
  const json empty = json::parse(Get(router, "/v1/log?height=0").body);
  CHECK(empty.value("size", "0") == "0");
  CHECK(empty["root"] == HexEncode(crypto::MerkleRoot(std::vector<Hash32>{})));

  // Inclusion and consistency anchored at height 1: the same as with size 2 / second 2.
  for (const char* q : {"index=1&height=1", "index=1&size=2"}) {
    auto inc = Get(router, std::string("/v1/log/proof/inclusion?") + q);
    REQUIRE(inc.status == 200);
    const json j = json::parse(inc.body);
    CHECK(j["size"] == "2");
    CHECK(verifier::CheckLogInclusion(1, 2, *HexDecode32(j["leaf_hash"].get<std::string>()),
                                      Hashes(j["audit_path"]), old->root)
              .ok());
  }
  auto cons = Get(router, "/v1/log/proof/consistency?first=2&height=2");
  REQUIRE(cons.status == 200);
  const json c = json::parse(cons.body);
  CHECK(c["second"] == "3");
  CHECK(verifier::CheckLogConsistency(2, 3, Hashes(c["proof"]), old->root, newest->root).ok());
  CHECK(json::parse(Get(router, "/v1/log/proof/consistency?first=1&height=1").body)["second"] ==
        "2");

  const std::string head_before = Get(router, "/v1/log").body;
  struct Refusal {
    std::string target;
    int status;
    std::string code;
  };
  for (const Refusal& r : std::vector<Refusal>{
           {"/v1/log?height=3", 400, "HEIGHT_ABOVE_TIP"},
           {"/v1/log?height=3&proof=true", 400, "HEIGHT_ABOVE_TIP"},
           {"/v1/log?height=x", 400, "BAD_REQUEST"},
           {"/v1/log?height=-1&proof=true", 400, "BAD_REQUEST"},
           {"/v1/log?height=0&proof=true", 503, "NO_CERTIFICATE"},  // genesis: no certificate
           {"/v1/log/proof/inclusion?index=0&height=3", 400, "HEIGHT_ABOVE_TIP"},
           {"/v1/log/proof/inclusion?index=0&height=1&size=2", 400, "BAD_REQUEST"},
           {"/v1/log/proof/inclusion?index=2&height=1", 400, "BAD_REQUEST"},  // leaf of block 2
           {"/v1/log/proof/inclusion?index=0&height=0", 400, "BAD_REQUEST"},  // the empty log
           {"/v1/log/proof/consistency?first=1&height=99", 400, "HEIGHT_ABOVE_TIP"},
           {"/v1/log/proof/consistency?first=3&height=1", 400, "BAD_REQUEST"},  // first > second
           {"/v1/log/proof/consistency?first=1&second=2&height=1", 400, "BAD_REQUEST"},
           {"/v1/log/proof/consistency?first=1&height=", 400, "BAD_REQUEST"},
       }) {
    INFO(r.target);
    auto got = Get(router, r.target);
    CHECK(got.status == r.status);
    const json j = json::parse(got.body);
    CHECK(j["code"] == r.code);
    CHECK_FALSE(j["message"].get<std::string>().empty());
  }
  CHECK(Get(router, "/v1/log").body == head_before);

  // A height whose state tree was pruned: its head is still known, but no longer provable.
  node.Commit({MakeRegisterIssuerTx(node.chain_id(), "third-union", node.admin())});
  REQUIRE(const_cast<storage::Store&>(node.store()).PruneStateTree(3).ok());
  auto pruned = Get(router, "/v1/log?height=1&proof=true");
  CHECK(pruned.status == 400);
  CHECK(json::parse(pruned.body)["code"] == "HEIGHT_NOT_RETAINED");
  CHECK(Get(router, "/v1/log?height=1").status == 200);
}

}  // namespace laurel::rpc::test

// POST /v1/verify:batch end to end over a real server and a fake node: each item's verdict is
// the one POST /v1/verify gives for that item alone; limits, malformed and empty batches.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "laurel/v1/api.pb.h"
#include "rpc/routes.h"
#include "rpc/server.h"
#include "tests/unit/rpc/route_test_json.h"
#include "tests/unit/rpc/rpc_test_util.h"
#include "types/card.h"
#include "types/presentation.h"

namespace laurel::rpc::test {
namespace {

using nlohmann::json;
namespace pb = ::laurel::v1;

uint64_t Now() { return NowUnixS(); }

struct Fixture {
  FakeNode node;
  std::unique_ptr<RpcServer> server;

  Fixture() {
    auto r = RpcServer::Start(RpcConfig{}, node);
    REQUIRE(r.ok());
    server = std::move(r).value();
  }
  uint16_t port() const { return server->port(); }

  std::string Issue(const std::string& id, const std::string& holder = "Wang Fang",
                    const Bytes& holder_key = {}) {
    types::CardBody b = CardBodyFor(node, id, Now() - 3600, Now() + 86400);
    b.holder_name = holder;
    b.holder_key = holder_key;
    return IssueCard(node, b);
  }

  void SetStatus(const std::string& id, types::CredentialStatus st, const std::string& why) {
    REQUIRE(
        node.Commit({node.MakeTx(types::SetCredentialStatus{id, st, why}, {&node.fed()})}).at(0) ==
        ledger::TxCode::kOk);
  }

  HttpResult Batch(const json& cards) {
    return Http(port(), "POST", "/v1/verify:batch", json{{"cards", cards}}.dump(), kJsonType);
  }
};

// A decision without `time`: the batch and the single request may read the clock a second
// apart; everything else must be equal.
json Decision(json j) {
  j.erase("time");
  return j;
}

TEST_CASE("each item of a verify batch is decided exactly as POST /v1/verify decides it",
          "[rpc][verify-batch]") {
  Fixture f;
  const std::string valid = f.Issue("city-fed/MW/2026/000101", "王芳");
  const std::string revoked = f.Issue("city-fed/MW/2026/000102");
  const std::string suspended = f.Issue("city-fed/MW/2026/000103");
  const crypto::PrivateKey device = crypto::PrivateKey::Generate();
  const std::string bound = f.Issue("city-fed/MW/2026/000104", "李娜",
                                    Bytes(device.public_key().begin(), device.public_key().end()));
  f.SetStatus("city-fed/MW/2026/000102", types::CredentialStatus::kRevoked,
              "离开工会 left the union");
  f.SetStatus("city-fed/MW/2026/000103", types::CredentialStatus::kSuspended, "dues unpaid");
  types::Card tampered_card = types::SignCard(
      CardBodyFor(f.node, "city-fed/MW/2026/000101", Now() - 3600, Now() + 86400), f.node.fed());
  tampered_card.signature[0] ^= 0x01;
  const std::string tampered = types::CardToText(tampered_card);
  const std::string unknown = types::CardToText(types::SignCard(
      CardBodyFor(f.node, "city-fed/MW/2026/999999", Now() - 3600, Now() + 86400), f.node.fed()));
  types::PresentationBody pb_body;
  pb_body.credential_id = "city-fed/MW/2026/000104";
  pb_body.gate_id = "PEK-T3-G12";
  pb_body.slot = types::SlotOf(Now());
  const auto presentation = types::SignPresentation(pb_body, device);
  REQUIRE(presentation.ok());

  const json items = json::array({
      {{"code", valid}},
      {{"code", revoked}},
      {{"code", suspended}},
      {{"code", tampered}},
      {{"code", unknown}},
      {{"code", bound}},  // bound, without its presentation
      {{"code", bound},
       {"presentation", types::PresentationToText(*presentation)},
       {"gate_id", "PEK-T3-G12"}},
      {{"code", valid}, {"require_binding", json::array({"MODEL_WORKER"})}},
      {{"code", "LC1:NOT-A-CARD"}},
      {{"code", valid}, {"gate_nonce", "zz"}},  // 400 for itself
      {{"code", valid}, {"gate_id", std::string(65, 'g')}},
      {{"code", "  " + valid + "\n"}},
  });
  const std::vector<std::string> reasons = {"VALID",
                                            "REVOKED",
                                            "SUSPENDED",
                                            "BAD_SIGNATURE",
                                            "NOT_ON_LEDGER",
                                            "PRESENTATION_MISSING",
                                            "VALID",
                                            "BINDING_REQUIRED",
                                            "MALFORMED",
                                            "",
                                            "",
                                            "VALID"};
  auto r = f.Batch(items);
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == "application/json");
  json batch = Json(r);
  REQUIRE(batch["results"].size() == items.size());
  CHECK(batch["valid"] == 3);
  CHECK(batch["refused"] == 7);
  CHECK(batch["errors"] == 2);
  for (size_t i = 0; i < items.size(); ++i) {
    INFO("item " << i << ": " << items[i].dump());
    const json& item = batch["results"][i];
    CHECK(item.value("index", 0) == static_cast<int>(i));
    auto single = Http(f.port(), "POST", "/v1/verify", items[i].dump(), kJsonType);
    CHECK(item["http_status"] == single.status);
    if (single.status == 200) {
      CHECK(item["verdict"]["reason"] == reasons[i]);
      CHECK(Decision(item["verdict"]) == Decision(Json(single)));
      CHECK_FALSE(item.contains("code"));
    } else {
      CHECK(reasons[i].empty());
      const json e = Json(single);
      CHECK(item["code"] == e["code"]);
      CHECK(item["message"] == e["message"]);
      CHECK_FALSE(item.contains("verdict"));
    }
  }
  // UTF-8 texts come through as they are: the holder's name and the revocation reason.
  CHECK(batch["results"][0]["verdict"]["card"]["holder_name"] == "王芳");
  CHECK(batch["results"][1]["verdict"]["credential"]["status_reason"] == "离开工会 left the union");
  CHECK(batch["results"][6]["verdict"]["holder"] == "BOUND");
}

TEST_CASE("a binary verify batch is answered as a binary VerifyBatchResult",
          "[rpc][verify-batch]") {
  Fixture f;
  const std::string valid = f.Issue("city-fed/MW/2026/000201");
  pb::VerifyBatchRequest req;
  req.add_cards()->set_code(valid);
  req.add_cards()->set_code("LC1:garbage");
  req.add_cards()->set_code(valid);
  auto r = Http(f.port(), "POST", "/v1/verify:batch", req.SerializeAsString(), kProtoBoth);
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == "application/x-protobuf");
  pb::VerifyBatchResult out;
  REQUIRE(out.ParseFromString(r.body));
  REQUIRE(out.results_size() == 3);
  CHECK(out.valid() == 2);
  CHECK(out.refused() == 1);
  CHECK(out.errors() == 0);
  CHECK(out.results(0).verdict().reason() == pb::VerifyResponse::VALID);
  CHECK(out.results(1).verdict().reason() == pb::VerifyResponse::MALFORMED);
  CHECK(out.results(2).index() == 2);
  CHECK(out.results(2).http_status() == 200);
  // One snapshot for the whole batch: every verdict names the same height.
  CHECK(out.results(0).verdict().height() == out.results(2).verdict().height());
}

TEST_CASE("a verify batch over the card or byte cap is 413, empty or malformed 400",
          "[rpc][verify-batch]") {
  Fixture f;
  const std::string valid = f.Issue("city-fed/MW/2026/000301");
  SECTION("the largest batch is decided") {
    json cards = json::array();
    for (size_t i = 0; i < kMaxVerifyBatchCards; ++i) cards.push_back({{"code", valid}});
    auto r = f.Batch(cards);
    REQUIRE(r.status == 200);
    CHECK(Json(r)["valid"] == kMaxVerifyBatchCards);
  }
  SECTION("one card more is 413 TOO_MANY_CARDS, and the connection serves on") {
    json cards = json::array();
    for (size_t i = 0; i <= kMaxVerifyBatchCards; ++i) cards.push_back({{"code", valid}});
    Conn c(f.port());
    REQUIRE(
        c.Send(BuildRequest("POST", "/v1/verify:batch", json{{"cards", cards}}.dump(), kJsonType)));
    auto r = c.Read();
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(Json(*r)["code"] == "TOO_MANY_CARDS");
    CHECK(Json(*r)["message"].get<std::string>().find("256") != std::string::npos);
    REQUIRE(c.Send(BuildRequest("GET", "/healthz")));
    CHECK(c.Read().value_or(HttpResult{}).status == 200);
  }
  SECTION("a body over the batch's byte cap is 413 PAYLOAD_TOO_LARGE") {
    json cards = json::array();
    cards.push_back({{"code", valid}, {"gate_id", std::string(kMaxVerifyBatchBytes, 'g')}});
    auto r = f.Batch(cards);
    CHECK(r.status == 413);
    CHECK(Json(r)["code"] == "PAYLOAD_TOO_LARGE");
  }
  SECTION("an empty batch is 400 EMPTY_BATCH") {
    auto r = f.Batch(json::array());
    CHECK(r.status == 400);
    CHECK(Json(r)["code"] == "EMPTY_BATCH");
    auto none = Http(f.port(), "POST", "/v1/verify:batch", "{}", kJsonType);
    CHECK(none.status == 400);
    CHECK(Json(none)["code"] == "EMPTY_BATCH");
  }
  SECTION("a body that is not a VerifyBatchRequest is 400 MALFORMED_BODY") {
    for (const char* body :
         {"{not json", "[]", R"({"cards": 5})", R"({"cards": [{"x": 1}]})", R"({"code": "LC1:x"})",
          R"({"cards": [{"require_binding": ["NOPE"]}]})"}) {
      INFO(body);
      auto r = Http(f.port(), "POST", "/v1/verify:batch", body, kJsonType);
      CHECK(r.status == 400);
      CHECK(Json(r)["code"] == "MALFORMED_BODY");
    }
  }
  SECTION("query parameters, another media type and another method are refused") {
    const std::string body = json{{"cards", json::array({{{"code", valid}}})}}.dump();
    auto q = Http(f.port(), "POST", "/v1/verify:batch?proof=true", body, kJsonType);
    CHECK(q.status == 400);
    CHECK(Json(q)["code"] == "BAD_REQUEST");
    CHECK(
        Http(f.port(), "POST", "/v1/verify:batch", body, {{"Content-Type", "text/plain"}}).status ==
        415);
    CHECK(Http(f.port(), "GET", "/v1/verify:batch").status == 405);
  }
}

}  // namespace
}  // namespace laurel::rpc::test

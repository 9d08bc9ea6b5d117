// The ledger read routes end to end over a real server and a fake node: verify, credentials,
// issuers, histories, metrics and readiness.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "laurel/v1/api.pb.h"
#include "rpc/server.h"
#include "tests/unit/rpc/route_test_json.h"
#include "tests/unit/rpc/rpc_test_util.h"
#include "types/card.h"

namespace laurel::rpc::test {
namespace {

using nlohmann::json;
namespace pb = ::laurel::v1;

uint64_t Now() { return NowUnixS(); }

std::string Encode(const std::string& id) {
  std::string out;
  for (char c : id) {
    if (c == '/') {
      out += "%2F";
    } else {
      out += c;
    }
  }
  return out;
}

struct Fixture {
  FakeNode node;
  std::unique_ptr<RpcServer> server;

  Fixture() {
    auto r = RpcServer::Start(RpcConfig{}, node);
    REQUIRE(r.ok());
    server = std::move(r).value();
  }
  uint16_t port() const { return server->port(); }

  types::CardBody Body(const std::string& id, uint64_t from, uint64_t until) {
    return CardBodyFor(node, id, from, until);
  }

  // Issues a card on the ledger and returns its text.
  std::string Issue(const std::string& id, uint64_t from = Now() - 3600,
                    uint64_t until = Now() + 86400) {
    return IssueCard(node, Body(id, from, until));
  }

  HttpResult Verify(const std::string& code) {
    return Http(port(), "POST", "/v1/verify", json{{"code", code}}.dump(), kJsonType);
  }
};

TEST_CASE("verify answers VALID with the card, the record, the height and the time", "[rpc]") {
  Fixture f;
  const std::string text = f.Issue("city-fed/MW/2026/000001");
  const uint64_t before = Now();
  auto r = f.Verify(text);
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == "application/json");
  json j = Json(r);
  CHECK(j["valid"] == true);
  CHECK(j["reason"] == "VALID");
  CHECK(j["chain_id"] == f.node.chain_id());
  CHECK(j["height"] == "2");
  const uint64_t t = std::stoull(j["time"].get<std::string>());
  CHECK(t >= before);
  CHECK(t <= Now());
  CHECK(j["card"]["holder_name"] == "Wang Fang");
  CHECK(j["card"]["member_no"] == "QD-00042");
  CHECK(j["card"]["type"] == "MODEL_WORKER");
  CHECK(j["card"]["level"] == "MUNICIPAL");
  CHECK(j["card"]["key_version"] == 1);
  CHECK(j["credential"]["credential_id"] == "city-fed/MW/2026/000001");
  CHECK(j["credential"]["status"] == "ACTIVE");
  CHECK(j["credential"]["card_digest"].get<std::string>().size() == 64);
  // Staleness from the answer itself: readiness and the decided-at block's time.
  CHECK(j["ready"] == true);
  CHECK(j["block_time_ms"] == "1700000001000");
  f.node.ready = false;
  CHECK(Json(f.Verify(text))["ready"] == false);
}

TEST_CASE("refused cards are 200 with valid=false and the first failing reason", "[rpc]") {
  Fixture f;
  const std::string text = f.Issue("city-fed/MW/2026/000002");
  SECTION("malformed: no card details") {
    json j = Json(f.Verify("LC1:NOT-A-CARD"));
    CHECK(j["valid"] == false);
    CHECK(j["reason"] == "MALFORMED");
    CHECK_FALSE(j.contains("card"));
    CHECK_FALSE(j.contains("credential"));
    CHECK_FALSE(j["message"].get<std::string>().empty());
  }
  SECTION("another chain") {
    types::CardBody b = f.Body("city-fed/MW/2026/000002", 1, 2);
    b.chain_id = "elsewhere";
    json j = Json(f.Verify(types::CardToText(types::SignCard(b, f.node.fed()))));
    CHECK(j["reason"] == "WRONG_CHAIN");
    CHECK_FALSE(j.contains("card"));  // not returned before the signature verified
    CHECK(j["message"].get<std::string>().find("elsewhere") != std::string::npos);
  }
  SECTION("a signature that does not verify: no card fields") {
    types::Card card =
        types::SignCard(f.Body("city-fed/MW/2026/000002", 1, Now() + 100), f.node.fed());
    card.signature[0] ^= 0x01;
    json j = Json(f.Verify(types::CardToText(card)));
    CHECK(j["reason"] == "BAD_SIGNATURE");
    CHECK_FALSE(j.contains("card"));
  }
  SECTION("a signed card with a control character in its holder name: UNSAFE_TEXT") {
    types::CardBody b = f.Body("city-fed/MW/2026/000002", 1, Now() + 100);
    b.holder_name = "Wang[2J Fang";
    json j = Json(f.Verify(types::CardToText(types::SignCard(b, f.node.fed()))));
    CHECK(j["reason"] == "UNSAFE_TEXT");
    CHECK(j["valid"] == false);
    CHECK_FALSE(j.contains("card"));
  }
  SECTION("not on the ledger") {
    const types::CardBody b = f.Body("city-fed/MW/2026/999999", 1, Now() + 100);
    json j = Json(f.Verify(types::CardToText(types::SignCard(b, f.node.fed()))));
    CHECK(j["reason"] == "NOT_ON_LEDGER");
    CHECK_FALSE(j.contains("credential"));
  }
  SECTION("revoked, with the record's status") {
    REQUIRE(f.node
                .Commit({f.node.MakeTx(
                    types::SetCredentialStatus{"city-fed/MW/2026/000002",
                                               types::CredentialStatus::kRevoked, "left the union"},
                    {&f.node.fed()})})
                .at(0) == ledger::TxCode::kOk);
    json j = Json(f.Verify(text));
    CHECK(j["valid"] == false);
    CHECK(j["reason"] == "REVOKED");
    CHECK(j["credential"]["status"] == "REVOKED");
    CHECK(j["credential"]["status_reason"] == "left the union");
  }
  SECTION("expired") {
    const std::string old = f.Issue("city-fed/MW/2020/000001", 1'500'000'000, 1'600'000'000);
    CHECK(Json(f.Verify(old))["reason"] == "EXPIRED");
  }
}

TEST_CASE("verify takes and gives binary protobuf", "[rpc]") {
  Fixture f;
  const std::string text = f.Issue("city-fed/MW/2026/000003");
  pb::VerifyRequest req;
  req.set_code(text);
  auto r = Http(f.port(), "POST", "/v1/verify", req.SerializeAsString(), kProtoBoth);
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == "application/x-protobuf");
  pb::VerifyResponse v;
  REQUIRE(v.ParseFromString(r.body));
  CHECK(v.valid());
  CHECK(v.reason() == pb::VerifyResponse::VALID);
  CHECK(v.card().credential_id() == "city-fed/MW/2026/000003");
  CHECK(v.height() == 2);
  // A protobuf request with a JSON answer.
  auto j = Http(f.port(), "POST", "/v1/verify", req.SerializeAsString(),
                {{"Content-Type", "application/x-protobuf"}, {"Accept", "application/json"}});
  REQUIRE(j.status == 200);
  CHECK(j.headers["content-type"] == "application/json");
  CHECK(Json(j)["reason"] == "VALID");
}

TEST_CASE("without an Accept that names a type the answer follows the request's Content-Type",
          "[rpc]") {
  Fixture f;
  pb::VerifyRequest req;
  req.set_code(f.Issue("city-fed/MW/2026/000004"));
  for (const char* accept : {"", "*/*", " */* ; q=0.8"}) {
    INFO("Accept: " << accept);
    std::map<std::string, std::string> headers{{"Content-Type", "application/x-protobuf"}};
    if (*accept != '\0') headers["Accept"] = accept;
    auto r = Http(f.port(), "POST", "/v1/verify", req.SerializeAsString(), headers);
    REQUIRE(r.status == 200);
    CHECK(r.headers["content-type"] == "application/x-protobuf");
    pb::VerifyResponse v;
    REQUIRE(v.ParseFromString(r.body));
    CHECK(v.reason() == pb::VerifyResponse::VALID);
  }
  // A JSON body without Accept is answered in JSON; an Accept naming JSON wins over a binary body.
  auto j = Http(f.port(), "POST", "/v1/verify", json{{"code", req.code()}}.dump(), kJsonType);
  REQUIRE(j.status == 200);
  CHECK(j.headers["content-type"] == "application/json");
  auto k = Http(f.port(), "POST", "/v1/verify", req.SerializeAsString(),
                {{"Content-Type", "application/x-protobuf"}, {"Accept", "text/html, */*"}});
  REQUIRE(k.status == 200);
  CHECK(k.headers["content-type"] == "application/json");
}

TEST_CASE("a bad verify request document is 400 and another media type 415", "[rpc]") {
  Fixture f;
  for (const char* body : {"{not json", "[]", R"({"code": 5})", R"({"card": "LC1:x"})", ""}) {
    INFO(body);
    auto r = Http(f.port(), "POST", "/v1/verify", body, kJsonType);
    CHECK(r.status == 400);
    CHECK(Json(r)["code"] == "MALFORMED_BODY");
  }
  auto garbage = Http(f.port(), "POST", "/v1/verify", "\xff\xff\xff", kProtoType);
  CHECK(garbage.status == 400);
  auto text = Http(f.port(), "POST", "/v1/verify", R"({"code": "LC1:x"})",
                   {{"Content-Type", "text/plain"}});
  CHECK(text.status == 415);
  CHECK(Json(text)["code"] == "UNSUPPORTED_MEDIA_TYPE");
  CHECK(Http(f.port(), "POST", "/v1/verify", R"({"code": "LC1:x"})").status == 415);
  CHECK(Http(f.port(), "GET", "/v1/verify").status == 405);
}

TEST_CASE("a credential is served by its URL-encoded id, and an unknown one is 404", "[rpc]") {
  Fixture f;
  f.Issue("city-fed/MW/2026/000004");
  auto r = Http(f.port(), "GET", "/v1/credentials/" + Encode("city-fed/MW/2026/000004"));
  REQUIRE(r.status == 200);
  json j = Json(r);
  CHECK(j["credential_id"] == "city-fed/MW/2026/000004");
  CHECK(j["issuer_id"] == "city-fed");
  CHECK(j["type"] == "MODEL_WORKER");
  CHECK(j["level"] == "MUNICIPAL");
  CHECK(j["key_version"] == 1);
  CHECK(j["status"] == "ACTIVE");
  CHECK(j["status_reason"] == "");
  CHECK(j["status_index"] == "0");
  CHECK(j["created_height"] == "2");
  CHECK(j["updated_height"] == "2");
  auto missing = Http(f.port(), "GET", "/v1/credentials/" + Encode("city-fed/MW/2026/7"));
  CHECK(missing.status == 404);
  CHECK(Json(missing)["code"] == "NOT_FOUND");
  auto bin = Http(f.port(), "GET", "/v1/credentials/" + Encode("city-fed/MW/2026/000004"), "",
                  {{"Accept", "application/x-protobuf"}});
  REQUIRE(bin.status == 200);
  pb::CredentialView v;
  REQUIRE(v.ParseFromString(bin.body));
  CHECK(v.created_height() == 2);
}

TEST_CASE("a credential's history pages oldest first across pages", "[rpc]") {
  Fixture f;
  const std::string id = "city-fed/MW/2026/000005";
  f.Issue(id);
  // suspend, reinstate x3, then revoke: 8 entries in all.
  for (int i = 0; i < 3; ++i) {
    for (auto st : {types::CredentialStatus::kSuspended, types::CredentialStatus::kActive}) {
      REQUIRE(
          f.node.Commit({f.node.MakeTx(types::SetCredentialStatus{id, st, "r"}, {&f.node.fed()})})
              .at(0) == ledger::TxCode::kOk);
    }
  }
  REQUIRE(f.node
              .Commit({f.node.MakeTx(
                  types::SetCredentialStatus{id, types::CredentialStatus::kRevoked, ""},
                  {&f.node.fed()})})
              .at(0) == ledger::TxCode::kOk);
  std::vector<json> entries;
  std::string token;
  int pages = 0;
  do {
    std::string target = "/v1/credentials/" + Encode(id) + "/history?limit=3";
    if (!token.empty()) target += "&page_token=" + token;
    auto r = Http(f.port(), "GET", target);
    REQUIRE(r.status == 200);
    json j = Json(r);
    ++pages;
    for (const auto& e : j["entries"]) entries.push_back(e);
    token = j["next_page_token"].get<std::string>();
  } while (!token.empty() && pages < 10);
  CHECK(pages == 3);
  REQUIRE(entries.size() == 8);
  CHECK(entries[0]["action"] == "issue_credential");
  CHECK(entries[0]["height"] == "2");
  CHECK(entries[0]["result"] == "OK");
  CHECK(entries[0]["signer"] == HexEncode(f.node.fed().public_key()));
  CHECK(entries[0]["tx_id"].get<std::string>().size() == 64);
  CHECK(entries[1]["action"] == "set_credential_status");
  CHECK(entries[7]["height"] == "9");
  for (size_t i = 1; i < entries.size(); ++i) {
    CHECK(std::stoull(entries[i - 1]["height"].get<std::string>()) <
          std::stoull(entries[i]["height"].get<std::string>()));
  }
  // Default limit: everything on one page.
  auto all = Http(f.port(), "GET", "/v1/credentials/" + Encode(id) + "/history");
  REQUIRE(all.status == 200);
  CHECK(Json(all)["entries"].size() == 8);
  CHECK(Json(all)["next_page_token"] == "");
}

TEST_CASE("history and issuer listing refuse bad limits and page tokens with 400", "[rpc]") {
  Fixture f;
  f.Issue("city-fed/M/1");
  for (const std::string& base :
       {std::string("/v1/credentials/city-fed%2FM%2F1/history"),
        std::string("/v1/issuers/city-fed/history"), std::string("/v1/issuers")}) {
    for (const char* q : {"?limit=0", "?limit=1001", "?limit=abc", "?limit=-1", "?limit="}) {
      INFO(base << q);
      auto r = Http(f.port(), "GET", base + q);
      CHECK(r.status == 400);
      CHECK(Json(r)["code"] == "BAD_REQUEST");
    }
    for (const char* q : {"?page_token=zz", "?page_token=abc", "?page_token=%00"}) {
      INFO(base << q);
      auto r = Http(f.port(), "GET", base + q);
      CHECK(r.status == 400);
      CHECK(Json(r)["code"] == "BAD_PAGE_TOKEN");
    }
    CHECK(Http(f.port(), "GET", base + "?limit=1000").status == 200);
  }
  CHECK(Http(f.port(), "GET", "/v1/credentials/nope%2F1/history").status == 404);
  CHECK(Http(f.port(), "GET", "/v1/issuers/nope/history").status == 404);
}

TEST_CASE("issuers are listed in id order across pages and served one by one", "[rpc]") {
  Fixture f;
  std::vector<types::Tx> txs;
  for (int i = 0; i < 10; ++i) {
    txs.push_back(
        MakeRegisterIssuerTx(f.node.chain_id(), "union-" + std::to_string(i), f.node.admin()));
  }
  for (auto code : f.node.Commit(std::move(txs))) REQUIRE(code == ledger::TxCode::kOk);
  // acme-union, city-fed, union-0..9.
  std::vector<std::string> ids;
  std::string token;
  int pages = 0;
  do {
    auto r = Http(f.port(), "GET",
                  "/v1/issuers?limit=5" + (token.empty() ? "" : "&page_token=" + token));
    REQUIRE(r.status == 200);
    json j = Json(r);
    ++pages;
    CHECK(j["issuers"].size() == (pages < 3 ? 5u : 2u));
    for (const auto& i : j["issuers"]) ids.push_back(i["issuer_id"]);
    token = j["next_page_token"].get<std::string>();
  } while (!token.empty() && pages < 10);
  CHECK(pages == 3);
  REQUIRE(ids.size() == 12);
  CHECK(ids[0] == "acme-union");
  CHECK(ids[1] == "city-fed");
  CHECK(ids[11] == "union-9");
  CHECK(std::is_sorted(ids.begin(), ids.end()));

  auto r = Http(f.port(), "GET", "/v1/issuers/city-fed");
  REQUIRE(r.status == 200);
  json j = Json(r);
  CHECK(j["name"] == "City Federation");
  CHECK(j["parent_id"] == "");
  CHECK(j["can_delegate"] == true);
  CHECK(j["status"] == "ISSUER_ACTIVE");
  CHECK(j["current_key_version"] == 1);
  REQUIRE(j["keys"].size() == 1);
  CHECK(j["keys"][0]["key_version"] == 1);
  CHECK(j["keys"][0]["public_key"] == HexEncode(f.node.fed().public_key()));
  CHECK(j["keys"][0]["to_height"] == "0");
  REQUIRE(j["grants"].size() == 2);
  CHECK(j["grants"][0]["type"] == "MEMBER");
  CHECK(j["grants"][0]["levels"].empty());
  CHECK(j["grants"][1]["type"] == "MODEL_WORKER");
  CHECK(j["grants"][1]["levels"] == json::array({"MUNICIPAL", "DISTRICT"}));
  CHECK(Http(f.port(), "GET", "/v1/issuers/nobody").status == 404);

  auto bin =
      Http(f.port(), "GET", "/v1/issuers?limit=2", "", {{"Accept", "application/x-protobuf"}});
  REQUIRE(bin.status == 200);
  pb::IssuerList list;
  REQUIRE(list.ParseFromString(bin.body));
  CHECK(list.issuers_size() == 2);
  CHECK_FALSE(list.next_page_token().empty());
}

TEST_CASE("an issuer's history lists what concerns it, oldest first", "[rpc]") {
  Fixture f;
  f.Issue("city-fed/M/1");
  f.Issue("city-fed/M/2");
  auto r = Http(f.port(), "GET", "/v1/issuers/city-fed/history?limit=1");
  REQUIRE(r.status == 200);
  json j = Json(r);
  REQUIRE(j["entries"].size() == 1);
  CHECK(j["entries"][0]["action"] == "issue_credential");
  CHECK(j["entries"][0]["height"] == "2");
  auto next = Http(
      f.port(), "GET",
      "/v1/issuers/city-fed/history?limit=1&page_token=" + j["next_page_token"].get<std::string>());
  REQUIRE(next.status == 200);
  CHECK(Json(next)["entries"][0]["height"] == "3");
  // acme-union's history holds its registration.
  auto acme = Http(f.port(), "GET", "/v1/issuers/acme-union/history");
  REQUIRE(acme.status == 200);
  REQUIRE(Json(acme)["entries"].size() == 1);
  CHECK(Json(acme)["entries"][0]["action"] == "register_issuer");
}

TEST_CASE("metrics are served in the Prometheus text format", "[rpc][metrics]") {
  Fixture f;
  const std::string text = f.Issue("city-fed/M/9");
  REQUIRE(f.Verify(text).status == 200);
  REQUIRE(f.Verify("LC1:bad").status == 200);
  REQUIRE(Http(f.port(), "GET", "/v1/status").status == 200);
  REQUIRE(Http(f.port(), "GET", "/v1/nope").status == 404);
  auto r = Http(f.port(), "GET", "/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"].rfind("text/plain", 0) == 0);
  const std::string& m = r.body;
  INFO(m);
  for (const char* line :
       {"# TYPE laurel_height gauge",
        "laurel_height 2\n",
        "laurel_round 7\n",
        "laurel_mempool_txs 3\n",
        "laurel_peers_connected 0\n",
        "laurel_ready 1\n",
        "# TYPE laurel_commits_total counter",
        "laurel_commits_total 0\n",
        "laurel_timeouts_total 0\n",
        "laurel_tx_admitted_total 0\n",
        "# TYPE laurel_tx_rejected_total counter",
        "# TYPE laurel_tx_resubmitted_total counter",
        "laurel_verify_total{reason=\"VALID\"} 1\n",
        "laurel_verify_total{reason=\"MALFORMED\"} 1\n",
        "# TYPE laurel_rpc_request_duration_seconds histogram",
        "laurel_rpc_request_duration_seconds_count{route=\"/v1/verify\"} 2\n",
        "laurel_rpc_request_duration_seconds_bucket{route=\"/v1/verify\",le=\"+Inf\"} 2\n",
        "laurel_rpc_request_duration_seconds_count{route=\"/v1/status\"} 1\n",
        "laurel_rpc_request_duration_seconds_count{route=\"unmatched\"} 1\n",
        "laurel_rpc_request_duration_seconds_count{route=\"/v1/issuers/{id}\"} 0\n"}) {
    CHECK(m.find(line) != std::string::npos);
  }
}

TEST_CASE("metrics use the node's registry when it keeps one", "[rpc][metrics]") {
  metrics::Registry registry;
  registry.AddCounter("laurel_commits_total", "Blocks committed and executed by this node.")
      .Get()
      .Inc(41);
  FakeNode node;
  node.registry = &registry;
  auto server = RpcServer::Start(RpcConfig{}, node);
  REQUIRE(server.ok());
  auto r = Http((*server)->port(), "GET", "/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.body.find("laurel_commits_total 41\n") != std::string::npos);
  CHECK(registry.Render().find("laurel_verify_total") != std::string::npos);
}

TEST_CASE("readyz says why the node is not ready", "[rpc]") {
  Fixture f;
  auto ok = Http(f.port(), "GET", "/readyz");
  CHECK(ok.status == 200);
  CHECK(ok.body.find("synced and in consensus") != std::string::npos);
  f.node.ready = false;
  auto no = Http(f.port(), "GET", "/readyz");
  CHECK(no.status == 503);
  CHECK(Json(no)["code"] == "NOT_READY");
  CHECK(Json(no)["message"] == "not ready: no peers: heard from 0 of the 2 needed");
  auto status = Http(f.port(), "GET", "/v1/status");
  CHECK(Json(status)["ready"] == false);
  auto metrics = Http(f.port(), "GET", "/metrics");
  CHECK(metrics.body.find("laurel_ready 0\n") != std::string::npos);
}

}  // namespace
}  // namespace laurel::rpc::test

namespace laurel::rpc::test {
namespace {

json StatusAsk(const std::string& id, const std::string& text) {
  auto card = types::CardFromText(text);
  REQUIRE(card.ok());
  return {{"credential_id", id},
          {"card_digest", HexEncode(types::CardDigest(card->body))},
          {"issuer_id", "city-fed"},
          {"key_version", 1}};
}

HttpResult AskStatus(uint16_t port, const std::string& body) {
  return Http(port, "POST", "/v1/verify/status", body, kJsonType);
}

TEST_CASE("verify/status decides from the id and digest as verify does, without card fields",
          "[rpc][private]") {
  Fixture f;
  const std::string id = "city-fed/MW/2026/000101";
  const std::string text = f.Issue(id);
  const json ask = StatusAsk(id, text);
  json j = Json(AskStatus(f.port(), ask.dump()));
  const json full = Json(f.Verify(text));
  CHECK(j["valid"] == true);
  CHECK(j["reason"] == "VALID");
  CHECK_FALSE(j.contains("card"));
  CHECK(j["credential"] == full["credential"]);
  CHECK(j["message"] == full["message"]);
  CHECK(j["height"] == full["height"]);
  CHECK(j["ready"] == true);
  CHECK(j["block_time_ms"] == "1700000001000");

  json wrong = ask;
  wrong["card_digest"] = std::string(64, '0');
  CHECK(Json(AskStatus(f.port(), wrong.dump()))["reason"] == "DIGEST_MISMATCH");
  json unknown = ask;
  unknown["credential_id"] = "city-fed/MW/2026/999999";
  json nl = Json(AskStatus(f.port(), unknown.dump()));
  CHECK(nl["reason"] == "NOT_ON_LEDGER");
  CHECK_FALSE(nl.contains("credential"));
  json no_issuer = ask;
  no_issuer["issuer_id"] = "no-such-union";
  CHECK(Json(AskStatus(f.port(), no_issuer.dump()))["reason"] == "UNKNOWN_ISSUER");
}

TEST_CASE("a verify/status request that cannot name a credential is 400 and changes nothing",
          "[rpc][private][badinput]") {
  Fixture f;
  const std::string id = "city-fed/MW/2026/000102";
  const std::string text = f.Issue(id);
  const json ask = StatusAsk(id, text);
  const std::string digest = ask["card_digest"];
  const auto before = f.node.store().StateRoot();
  const auto with = [&ask](const char* key, const json& value) {
    json c = ask;
    c[key] = value;
    return c.dump();
  };
  for (const std::string& body :
       {std::string("{"), std::string("[]"), std::string("{\"credential_id\": 5}"),
        json{{"credential_id", id}, {"card_digest", digest}}.dump(),  // no issuer
        with("card_digest", digest.substr(2)), with("card_digest", digest + "00"),
        with("card_digest", std::string(64, 'g')), with("credential_id", ""),
        with("key_version", 0), with("key_version", -3), with("holder_name", "Wang Fang")}) {
    INFO(body);
    auto r = AskStatus(f.port(), body);
    CHECK(r.status == 400);
    const json e = Json(r);
    CHECK((e["code"] == "BAD_REQUEST" || e["code"] == "MALFORMED_BODY"));
  }
  CHECK(Http(f.port(), "POST", "/v1/verify/status", ask.dump(), {{"Content-Type", "text/plain"}})
            .status == 415);
  CHECK(f.node.store().StateRoot() == before);
}

TEST_CASE("GET /v1/nodes lists the configured public URLs, this node first", "[rpc]") {
  FakeNode node;
  RpcConfig config;
  config.public_url = "https://node1.union.example:8700";
  config.peer_public_urls = {"https://node2.union.example", "http://10.0.0.3:8700"};
  auto s = RpcServer::Start(config, node);
  REQUIRE(s.ok());
  json j = Json(Http((*s)->port(), "GET", "/v1/nodes"));
  REQUIRE(j["nodes"].size() == 3);
  CHECK(j["nodes"][0] == json{{"url", "https://node1.union.example:8700"}, {"self", true}});
  CHECK(j["nodes"][1] == json{{"url", "https://node2.union.example"}, {"self", false}});
  CHECK(j["nodes"][2]["url"] == "http://10.0.0.3:8700");
  Fixture none;
  CHECK(Json(Http(none.port(), "GET", "/v1/nodes"))["nodes"].empty());
}

}  // namespace
}  // namespace laurel::rpc::test

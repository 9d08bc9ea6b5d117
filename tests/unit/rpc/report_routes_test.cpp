// The auditor's and clerk's routes over a real server and a fake node: an issuer's credentials
// (filters, pages, bad input), the counts, the history by signer, and the gate decision as of a
// past height or time.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "rpc/server.h"
#include "tests/unit/rpc/rpc_test_util.h"
#include "types/card.h"

namespace laurel::rpc::test {
namespace {

using nlohmann::json;

const std::map<std::string, std::string> kJsonType{{"Content-Type", "application/json"}};

json Parse(const HttpResult& r) {
  json j = json::parse(r.body, nullptr, false);
  INFO("body: " << r.body);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

Bytes PubOf(const crypto::PrivateKey& k) {
  return Bytes(k.public_key().begin(), k.public_key().end());
}

constexpr uint64_t kFrom = 1'600'000'000;  // before the fixture's block times (2023)
constexpr uint64_t kUntil = 4'000'000'000;

struct Fixture {
  FakeNode node;
  std::unique_ptr<RpcServer> server;
  crypto::PrivateKey district = crypto::PrivateKey::Generate();

  Fixture() {
    auto r = RpcServer::Start(RpcConfig{}, node);
    REQUIRE(r.ok());
    server = std::move(r).value();
  }
  uint16_t port() const { return server->port(); }

  // Issues a card of `issuer` (signed by `key`) and returns its text.
  std::string Issue(const std::string& id, const std::string& issuer, const crypto::PrivateKey& key,
                    types::CredentialType type = types::CredentialType::kMember,
                    types::Level level = types::Level::kUnspecified) {
    types::CardBody b;
    b.chain_id = node.chain_id();
    b.credential_id = id;
    b.issuer_id = issuer;
    b.key_version = 1;
    b.type = type;
    b.level = level;
    b.holder_name = "王芳";
    b.member_no = "QD-00042";
    b.salt = Bytes(types::kCardSaltSize, 0x11);
    b.valid_from = kFrom;
    b.valid_until = kUntil;
    const Hash32 d = types::CardDigest(types::EncodeCardBody(b));
    REQUIRE(
        node.Commit({node.MakeTx(types::IssueCredential{id, issuer, type, level,
                                                        Bytes(d.begin(), d.end()), kFrom, kUntil},
                                 {&key})})
            .at(0) == ledger::TxCode::kOk);
    return types::CardToText(types::SignCard(b, key));
  }
  void Ok(types::Action a, const crypto::PrivateKey& key) {
    REQUIRE(node.Commit({node.MakeTx(std::move(a), {&key})}).at(0) == ledger::TxCode::kOk);
  }
  void RegisterDistrict() {
    Ok(types::RegisterIssuer{"district-7",
                             "第七区工会",
                             "city-fed",
                             PubOf(district),
                             {types::TypeGrant{types::CredentialType::kMember, {}}},
                             false},
       node.fed());
  }
  HttpResult Get(const std::string& target) { return Http(port(), "GET", target); }
  HttpResult VerifyAt(const std::string& query, const std::string& code) {
    return Http(port(), "POST", "/v1/verify" + query, json{{"code", code}}.dump(), kJsonType);
  }
};

std::vector<std::string> Ids(const json& j) {
  std::vector<std::string> out;
  for (const auto& c : j["credentials"]) out.push_back(c["credential_id"]);
  return out;
}

void CheckError(const HttpResult& r, int status, const std::string& code) {
  INFO("body: " << r.body);
  CHECK(r.status == status);
  json j = json::parse(r.body, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["code"] == code);
  CHECK_FALSE(j["message"].get<std::string>().empty());
}

}  // namespace

TEST_CASE("an issuer's credentials are listed by id with filters and pages", "[rpc][report]") {
  Fixture f;
  const auto& fed = f.node.fed();
  f.Issue("city-fed/M/3", "city-fed", fed);
  f.Issue("city-fed/M/1", "city-fed", fed);
  f.Issue("city-fed/MW/2", "city-fed", fed, types::CredentialType::kModelWorker,
          types::Level::kDistrict);
  f.Ok(types::SetCredentialStatus{"city-fed/M/3", types::CredentialStatus::kSuspended, "核查"},
       fed);
  f.RegisterDistrict();
  f.Issue("district-7/M/1", "district-7", f.district);

  auto all = f.Get("/v1/issuers/city-fed/credentials");
  REQUIRE(all.status == 200);
  json j = Parse(all);
  CHECK(Ids(j) == std::vector<std::string>{"city-fed/M/1", "city-fed/M/3", "city-fed/MW/2"});
  CHECK(j["issuer_id"] == "city-fed");
  CHECK(j["next_page_token"] == "");
  CHECK(j["height"] == std::to_string(f.node.store().Height()));
  CHECK(j["credentials"][1]["status"] == "SUSPENDED");
  CHECK(j["credentials"][1]["status_reason"] == "核查");

  CHECK(Ids(Parse(f.Get("/v1/issuers/city-fed/credentials?status=SUSPENDED"))) ==
        std::vector<std::string>{"city-fed/M/3"});
  CHECK(Ids(Parse(f.Get("/v1/issuers/city-fed/credentials?status=active&type=MEMBER"))) ==
        std::vector<std::string>{"city-fed/M/1"});
  CHECK(Ids(Parse(f.Get("/v1/issuers/city-fed/credentials?type=MODEL_WORKER&level=DISTRICT"))) ==
        std::vector<std::string>{"city-fed/MW/2"});
  CHECK(Ids(Parse(f.Get("/v1/issuers/city-fed/credentials?level=MUNICIPAL"))).empty());
  CHECK(Ids(Parse(f.Get("/v1/issuers/district-7/credentials"))) ==
        std::vector<std::string>{"district-7/M/1"});

  auto p1 = Parse(f.Get("/v1/issuers/city-fed/credentials?limit=2"));
  CHECK(Ids(p1).size() == 2);
  const std::string token = p1["next_page_token"];
  REQUIRE_FALSE(token.empty());
  auto p2 = Parse(f.Get("/v1/issuers/city-fed/credentials?limit=2&page_token=" + token));
  CHECK(Ids(p2) == std::vector<std::string>{"city-fed/MW/2"});
  CHECK(p2["next_page_token"] == "");

  const uint64_t height = f.node.store().Height();
  for (const char* q :
       {"?status=LOST", "?type=card", "?level=CITY", "?type=MEMBER&level=NATIONAL", "?status="}) {
    INFO(q);
    CheckError(f.Get(std::string("/v1/issuers/city-fed/credentials") + q), 400, "BAD_FILTER");
  }
  for (const char* q : {"?limit=0", "?limit=1001", "?limit=x"}) {
    CheckError(f.Get(std::string("/v1/issuers/city-fed/credentials") + q), 400, "BAD_REQUEST");
  }
  CheckError(f.Get("/v1/issuers/city-fed/credentials?stauts=ACTIVE"), 400, "BAD_REQUEST");
  for (const char* t : {"zz", "00", "6100"}) {
    CheckError(f.Get(std::string("/v1/issuers/city-fed/credentials?page_token=") + t), 400,
               "BAD_PAGE_TOKEN");
  }
  CheckError(f.Get("/v1/issuers/no-such-union/credentials"), 404, "NOT_FOUND");
  CHECK(f.node.store().Height() == height);  // nothing changed
}

TEST_CASE("issuer and chain counts, own and with descendants", "[rpc][report]") {
  Fixture f;
  const auto& fed = f.node.fed();
  f.Issue("city-fed/M/1", "city-fed", fed);
  f.Issue("city-fed/MW/2", "city-fed", fed, types::CredentialType::kModelWorker,
          types::Level::kMunicipal);
  f.RegisterDistrict();
  f.Issue("district-7/M/1", "district-7", f.district);
  f.Ok(types::SetCredentialStatus{"district-7/M/1", types::CredentialStatus::kRevoked, "离会"},
       fed);

  auto r = f.Get("/v1/issuers/city-fed/stats");
  REQUIRE(r.status == 200);
  json j = Parse(r);
  CHECK(j["issuer_id"] == "city-fed");
  CHECK(j["own"]["total"] == "2");
  CHECK(j["own"]["by_status"]["ACTIVE"] == "2");
  CHECK(j["own"]["by_status"]["REVOKED"] == "0");
  CHECK(j["own"]["by_type"]["MODEL_WORKER"] == "1");
  CHECK(j["own"]["by_level"]["MUNICIPAL"] == "1");
  CHECK(j["including_descendants"]["total"] == "3");
  CHECK(j["including_descendants"]["by_status"]["REVOKED"] == "1");
  CHECK(j["own"]["cells"].size() == 2);
  CHECK(Parse(f.Get("/v1/issuers/district-7/stats"))["own"]["total"] == "1");
  CheckError(f.Get("/v1/issuers/no-such-union/stats"), 404, "NOT_FOUND");
  CheckError(f.Get("/v1/issuers/city-fed/stats?x=1"), 400, "BAD_REQUEST");

  json c = Parse(f.Get("/v1/stats"));
  CHECK(c["credentials"]["total"] == "3");
  CHECK(c["credentials"]["by_status"]["REVOKED"] == "1");
  CHECK(c["issuers"] == "3");  // city-fed, acme-union, district-7
  CHECK(c["issuers_by_status"]["ISSUER_ACTIVE"] == "3");
  CHECK(c["height"] == std::to_string(f.node.store().Height()));
  // Block 1 holds a valid and a garbage transaction; then 5 more, all OK.
  CHECK(c["transactions"] == "7");
  CHECK(c["transactions_ok"] == "6");
}

TEST_CASE("an issuer's history shows what it signed on a child's card, signed_by=me only that",
          "[rpc][report]") {
  Fixture f;
  f.RegisterDistrict();
  f.Issue("district-7/M/1", "district-7", f.district);
  f.Ok(
      types::SetCredentialStatus{"district-7/M/1", types::CredentialStatus::kSuspended, "会籍核查"},
      f.node.fed());
  auto find_suspend = [](const json& page) -> std::optional<json> {
    for (const auto& e : page["entries"]) {
      if (e["action"] == "set_credential_status") return e;
    }
    return std::nullopt;
  };
  auto all = Parse(f.Get("/v1/issuers/city-fed/history"));
  auto e = find_suspend(all);
  REQUIRE(e.has_value());
  CHECK((*e)["credential_id"] == "district-7/M/1");
  CHECK((*e)["issuer_id"] == "district-7");
  CHECK((*e)["new_status"] == "SUSPENDED");
  CHECK((*e)["reason"] == "会籍核查");
  CHECK((*e)["type"] == "MEMBER");
  CHECK((*e)["signed_by"]["authority"] == "parent");
  CHECK((*e)["signed_by"]["issuer_id"] == "city-fed");
  CHECK((*e)["signed_by"]["key_version"] == 1);
  auto mine = Parse(f.Get("/v1/issuers/city-fed/history?signed_by=me"));
  CHECK(find_suspend(mine).has_value());
  // The register of district-7 (signed by city-fed) and the suspension; not acme-union's.
  CHECK(mine["entries"].size() == 2);
  // The child's own history has it too (it concerns its card), and its issue is signed by it.
  auto child = Parse(f.Get("/v1/issuers/district-7/history"));
  CHECK(find_suspend(child).has_value());
  auto child_mine = Parse(f.Get("/v1/issuers/district-7/history?signed_by=me"));
  REQUIRE(child_mine["entries"].size() == 1);
  CHECK(child_mine["entries"][0]["action"] == "issue_credential");
  CHECK(child_mine["entries"][0]["valid_until"] == std::to_string(kUntil));
  CheckError(f.Get("/v1/issuers/city-fed/history?signed_by=you"), 400, "BAD_FILTER");
}

TEST_CASE("verify as of a past height or time decides on the records of then", "[rpc][report]") {
  Fixture f;
  const std::string card = f.Issue("city-fed/M/1", "city-fed", f.node.fed());
  const uint64_t issued_at = f.node.store().Height();
  f.Ok(types::SetCredentialStatus{"city-fed/M/1", types::CredentialStatus::kRevoked, "lost"},
       f.node.fed());
  const uint64_t revoked_at = f.node.store().Height();

  json then = Parse(f.VerifyAt("?height=" + std::to_string(issued_at), card));
  CHECK(then["valid"] == true);
  CHECK(then["historical"] == true);
  CHECK(then["height"] == std::to_string(issued_at));
  const auto block = f.node.store().GetBlock(issued_at).value();
  CHECK(then["block_time_ms"] == std::to_string(block->time_ms));
  CHECK(then["time"] == std::to_string(block->time_ms / 1000));
  CHECK(then["credential"]["status"] == "ACTIVE");

  json now = Parse(f.VerifyAt("?height=" + std::to_string(revoked_at), card));
  CHECK(now["valid"] == false);
  CHECK(now["reason"] == "REVOKED");
  json before = Parse(f.VerifyAt("?height=" + std::to_string(issued_at - 1), card));
  CHECK(before["reason"] == "NOT_ON_LEDGER");
  // The current answer is not historical.
  json current = Parse(f.VerifyAt("", card));
  CHECK(current["reason"] == "REVOKED");
  CHECK(current["historical"] == false);

  // ?at: the last block at or before that moment (fixture blocks: genesis + height seconds).
  const uint64_t t_issue = block->time_ms / 1000;
  json at = Parse(f.VerifyAt("?at=" + std::to_string(t_issue), card));
  CHECK(at["valid"] == true);
  CHECK(at["height"] == std::to_string(issued_at));
  CHECK(at["time"] == std::to_string(t_issue));
  // 2023-11-14T22:13:20Z is the genesis time; +08:00 is the same moment 8 hours on.
  json iso = Parse(f.VerifyAt("?at=2023-11-15T06:13:20%2B08:00", card));
  CHECK(iso["height"] == "0");
  CHECK(iso["reason"] == "NOT_ON_LEDGER");

  const uint64_t height = f.node.store().Height();
  CheckError(f.VerifyAt("?height=" + std::to_string(height + 1), card), 400, "HEIGHT_ABOVE_TIP");
  CheckError(f.VerifyAt("?height=abc", card), 400, "BAD_HEIGHT");
  CheckError(f.VerifyAt("?height=-1", card), 400, "BAD_HEIGHT");
  CheckError(f.VerifyAt("?at=2023-02-30", card), 400, "BAD_TIME");
  CheckError(f.VerifyAt("?at=2023-11-15T06:13", card), 400, "BAD_TIME");  // no zone
  CheckError(f.VerifyAt("?at=yesterday", card), 400, "BAD_TIME");
  CheckError(f.VerifyAt("?at=2099-01-01", card), 400, "TIME_IN_FUTURE");
  CheckError(f.VerifyAt("?at=2020-01-01", card), 400, "HEIGHT_NOT_RETAINED");
  CheckError(f.VerifyAt("?height=1&at=2024-01-01", card), 400, "BAD_REQUEST");
  CheckError(f.VerifyAt("?when=1", card), 400, "BAD_REQUEST");
  CHECK(Http(f.port(), "POST", "/v1/verify?height=1", "{\"nope\":1}", kJsonType).status == 400);
  CHECK(f.node.store().Height() == height);
}

}  // namespace laurel::rpc::test

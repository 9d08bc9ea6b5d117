// ?proof= over a fake node, without a socket: a value other than true, 1, false or 0 is a 400
// on every route that proves, never an unproven answer; POST /v1/verify/status?proof=true
// proves what the decision read, at the newest certified height, and the verifier recomputes
// both the node's status decision and the whole card's decision from those records alone.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "ledger/verify.h"
#include "node/wire.h"
#include "rpc/routes.h"
#include "tests/unit/rpc/rpc_test_util.h"
#include "types/card.h"
#include "verifier/verifier.h"

namespace laurel::rpc::test {
namespace {

using nlohmann::json;

uint64_t Now() { return NowUnixS(); }

HttpResponse Send(const Router& router, const std::string& method, const std::string& target,
                  const std::string& body = "") {
  HttpRequest req;
  req.method = method;
  req.target = target;
  if (method == "POST") {
    req.content_type = "application/json";
    req.has_body_framing = true;
    req.body = body;
  }
  return Call(router, std::move(req));
}

// Issues a model-worker card of "city-fed" on the ledger (one block) and returns its text.
std::string Issue(FakeNode& node, const std::string& id) {
  return IssueCard(node, CardBodyFor(node, id, Now() - 3600, Now() + 86400));
}

json StatusAsk(const std::string& text) {
  auto card = types::CardFromText(text);
  REQUIRE(card.ok());
  auto body = types::DecodeCardBody(card->body);
  REQUIRE(body.ok());
  return {{"credential_id", body->credential_id},
          {"card_digest", HexEncode(types::CardDigest(card->body))},
          {"issuer_id", body->issuer_id},
          {"key_version", body->key_version}};
}

// The proven records of an answer as a state (a record the proof does not cover reads absent).
class ProvenRecords final : public ledger::StateView {
 public:
  explicit ProvenRecords(const verifier::ProvenState& s) : s_(s) {}
  std::optional<std::string> GetState(std::string_view key) const override {
    auto it = s_.records.find(std::string(key));
    if (it == s_.records.end()) return std::nullopt;
    return it->second;
  }
  bool HasTx(const Hash32&) const override { return false; }
  std::optional<std::string> GetTreeNode(std::string_view) const override { return std::nullopt; }

 private:
  const verifier::ProvenState& s_;
};

}  // namespace

TEST_CASE(
    "a proof parameter other than true, 1, false or 0 is 400 BAD_PROOF on every route "
    "that proves, never an unproven answer",
    "[rpc][proof]") {
  FakeNode node;
  const std::string id = "city-fed/MW/2026/000201";
  const std::string text = Issue(node, id);
  Certify(node, 2);
  Router router = BuildRouter(node);
  const std::string verify_body = json{{"code", text}}.dump();
  const std::string status_body = StatusAsk(text).dump();
  struct Route {
    std::string method, path, body;
  };
  const std::vector<Route> routes = {
      {"POST", "/v1/verify", verify_body},
      {"POST", "/v1/verify/status", status_body},
      {"GET", "/v1/credentials/city-fed%2FMW%2F2026%2F000201", ""},
      {"GET", "/v1/issuers/city-fed", ""},
      {"GET", "/v1/governance", ""},
  };
  for (const auto& r : routes) {
    for (const std::string value : {"yes", "", "TRUE", "2", "true%20", "%1B"}) {
      INFO(r.method << " " << r.path << "?proof=" << value);
      auto a = Send(router, r.method, r.path + "?proof=" + value, r.body);
      CHECK(a.status == 400);
      const json j = json::parse(a.body);
      REQUIRE(j.is_object());
      CHECK(j.value("code", "") == "BAD_PROOF");
      CHECK(j.value("message", "").find("proof must be true or 1") != std::string::npos);
      CHECK_FALSE(j.contains("proof"));
    }
    // The value is quoted, escaped where it is not printable.
    auto yes = json::parse(Send(router, r.method, r.path + "?proof=yes", r.body).body);
    CHECK(yes.value("message", "").find("not 'yes'") != std::string::npos);
    auto esc = json::parse(Send(router, r.method, r.path + "?proof=%1B", r.body).body);
    CHECK(esc.value("message", "").find("not '\\x1b'") != std::string::npos);
    for (const std::string value : {"true", "1"}) {
      INFO(r.method << " " << r.path << "?proof=" << value);
      auto a = Send(router, r.method, r.path + "?proof=" + value, r.body);
      CHECK(a.status == 200);
      CHECK(json::parse(a.body).contains("proof"));
    }
    for (const std::string value : {"false", "0"}) {
      INFO(r.method << " " << r.path << "?proof=" << value);
      auto a = Send(router, r.method, r.path + "?proof=" + value, r.body);
      CHECK(a.status == 200);
      CHECK_FALSE(json::parse(a.body).contains("proof"));
    }
  }
  // A past state with a bad proof value: the value is what is wrong first.
  auto past = Send(router, "POST", "/v1/verify?height=1&proof=yes", verify_body);
  CHECK(past.status == 400);
  CHECK(json::parse(past.body)["code"] == "BAD_PROOF");
  // A past state is never proven; proof=false (or 0) with it is no request for one.
  auto past_true = Send(router, "POST", "/v1/verify?height=1&proof=true", verify_body);
  CHECK(past_true.status == 400);
  CHECK(json::parse(past_true.body).value("code", "") == "BAD_REQUEST");
  for (const std::string value : {"false", "0"}) {
    auto a = Send(router, "POST", "/v1/verify?height=2&proof=" + value, verify_body);
    CHECK(a.status == 200);
    CHECK_FALSE(json::parse(a.body).contains("proof"));
  }
  // verify/status refuses unknown query parameters as verify does.
  auto unknown = Send(router, "POST", "/v1/verify/status?prove=true", status_body);
  CHECK(unknown.status == 400);
  CHECK(json::parse(unknown.body)["message"] == "unknown query parameter 'prove'");
}

TEST_CASE(
    "verify/status?proof=true proves the records its decision read, at the newest "
    "certified height, the verifier recomputes the decision and the card's from them",
    "[rpc][proof][private]") {
  FakeNode node;
  const std::string id = "city-fed/MW/2026/000202";
  const std::string text = Issue(node, id);  // height 2
  Router router = BuildRouter(node);
  const std::string ask = StatusAsk(text).dump();

  // Nothing certified yet: no unproven answer in place of a proven one.
  auto none = Send(router, "POST", "/v1/verify/status?proof=true", ask);
  CHECK(none.status == 503);
  CHECK(json::parse(none.body)["code"] == "NO_CERTIFIED_STATE");

  Certify(node, 2);
  auto a = Send(router, "POST", "/v1/verify/status?proof=true", ask);
  REQUIRE(a.status == 200);
  const json j = json::parse(a.body);
  CHECK(j["valid"] == true);
  CHECK(j["reason"] == "VALID");
  CHECK(j["height"] == "2");
  CHECK_FALSE(j.contains("card"));  // the node never had the card
  REQUIRE(j.contains("proof"));
  CHECK(j["proof"]["height"] == "2");
  CHECK(j["proof"]["proven"].get<std::string>().find("as of height 2 (") != std::string::npos);

  auto proven = verifier::CheckStateProof(j["proof"], GenesisSet(node), Now() * 1000, 0);
  INFO((proven.ok() ? std::string() : proven.status().message()));
  REQUIRE(proven.ok());
  CHECK(proven->height == 2);
  CHECK(proven->records.count(ledger::CredentialKeyOf(id)) == 1);
  CHECK(proven->records.count(ledger::IssuerKeyOf("city-fed")) == 1);
  const ProvenRecords records(*proven);
  // The node's status decision, and the whole card's decision, from the proven records alone.
  auto card = types::CardFromText(text);
  REQUIRE(card.ok());
  const ledger::StatusQuery q{id, "city-fed", 1, types::CardDigest(card->body)};
  CHECK(ledger::VerifyStatus(records, q, Now()).reason == ledger::VerifyReason::kValid);
  CHECK(ledger::VerifyCard(records, node.chain_id(), text, Now()).valid());

  // Revoked at height 3. While height 3 is not certified the proof stays at height 2 (and
  // says so); once it is, the proven answer is the revocation.
  const auto revoke = node.Commit({node.MakeTx(
      types::SetCredentialStatus{id, types::CredentialStatus::kRevoked, "left the union"},
      {&node.fed()})});
  REQUIRE(revoke.at(0) == ledger::TxCode::kOk);
  auto old = json::parse(Send(router, "POST", "/v1/verify/status?proof=true", ask).body);
  CHECK(old["valid"] == true);
  CHECK(old["height"] == "2");
  CHECK(old["proof"]["height"] == "2");
  auto tip = json::parse(Send(router, "POST", "/v1/verify/status", ask).body);
  CHECK(tip["reason"] == "REVOKED");
  CHECK(tip["height"] == "3");
  Certify(node, 3);
  auto fresh = json::parse(Send(router, "POST", "/v1/verify/status?proof=true", ask).body);
  CHECK(fresh["reason"] == "REVOKED");
  CHECK(fresh["proof"]["height"] == "3");
  auto again = verifier::CheckStateProof(fresh["proof"], GenesisSet(node), Now() * 1000, 0);
  REQUIRE(again.ok());
  const ProvenRecords revoked(*again);
  CHECK(ledger::VerifyCard(revoked, node.chain_id(), text, Now()).reason ==
        ledger::VerifyReason::kRevoked);

  // An unknown credential: NOT_ON_LEDGER, its absence proven.
  json unknown = StatusAsk(text);
  unknown["credential_id"] = "city-fed/MW/2026/999999";
  auto nl = json::parse(Send(router, "POST", "/v1/verify/status?proof=true", unknown.dump()).body);
  CHECK(nl["reason"] == "NOT_ON_LEDGER");
  auto absent = verifier::CheckStateProof(nl["proof"], GenesisSet(node), Now() * 1000, 0);
  REQUIRE(absent.ok());
  REQUIRE(absent->records.count(ledger::CredentialKeyOf("city-fed/MW/2026/999999")) == 1);
  CHECK_FALSE(absent->records.at(ledger::CredentialKeyOf("city-fed/MW/2026/999999")).has_value());
}

}  // namespace laurel::rpc::test

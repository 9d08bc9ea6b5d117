// card list, issuer stats, stats, history --csv / --signed-by-me and verify --height / --at,
// run as the real `laurel` binary against a fake node that records what it was asked.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/unit/cli/cli_test_util.h"
#include "tests/unit/cli/fake_node.h"

namespace laurel::cli_test {
namespace {

using nlohmann::json;

json Cred(const std::string& id, const std::string& status, const std::string& reason) {
  return {{"credential_id", id},
          {"type", "MEMBER"},
          {"level", "LEVEL_UNSPECIFIED"},
          {"issuer_id", "city-fed"},
          {"key_version", 1},
          {"card_digest", "ab"},
          {"valid_from", "0"},
          {"valid_until", "1924905600"},
          {"status", status},
          {"status_reason", reason},
          {"status_index", "0"},
          {"created_height", "3"},
          {"updated_height", "4"},
          {"status_set_by", reason.empty() ? "" : "parent"}};
}

json Counts(int active, int suspended) {
  return {{"total", std::to_string(active + suspended)},
          {"by_status",
           {{"ACTIVE", std::to_string(active)},
            {"SUSPENDED", std::to_string(suspended)},
            {"REVOKED", "0"}}},
          {"by_type", {{"MEMBER", std::to_string(active + suspended)}, {"MODEL_WORKER", "0"}}},
          {"by_level",
           {{"NATIONAL", "0"},
            {"PROVINCIAL", "0"},
            {"MUNICIPAL", "0"},
            {"DISTRICT", "0"},
            {"ENTERPRISE", "0"}}},
          {"cells", json::array()}};
}

struct Fixture {
  TempDir dir;
  std::mutex mu;
  std::vector<std::string> targets;
  FakeNode node{[this](const FakeRequest& r) { return Handle(r); }};

  FakeResponse Handle(const FakeRequest& r) {
    {
      std::lock_guard lock(mu);
      targets.push_back(r.target);
    }
    const std::string& t = r.target;
    if (t.rfind("/v1/issuers/city-fed/credentials", 0) == 0) {
      if (t.find("page_token=p2") != std::string::npos) {
        return {200, json{{"issuer_id", "city-fed"},
                          {"credentials", {Cred("city-fed/M/3", "ACTIVE", "")}},
                          {"next_page_token", ""},
                          {"height", "9"}}
                         .dump()};
      }
      return {200, json{{"issuer_id", "city-fed"},
                        {"credentials",
                         {Cred("city-fed/M/1", "ACTIVE", ""),
                          Cred("city-fed/M/2", "SUSPENDED", "会籍核查, 待定")}},
                        {"next_page_token", "p2"},
                        {"height", "9"}}
                       .dump()};
    }
    if (t == "/v1/issuers/city-fed/stats") {
      return {200, json{{"issuer_id", "city-fed"},
                        {"height", "9"},
                        {"own", Counts(2, 1)},
                        {"including_descendants", Counts(5, 1)}}
                       .dump()};
    }
    if (t.rfind("/v1/issuers/city-fed/history", 0) == 0) {
      json e = {{"height", "4"},
                {"position", 0},
                {"time_ms", "1767225600000"},
                {"tx_id", std::string(64, 'a')},
                {"action", "set_credential_status"},
                {"signer", std::string(64, 'b')},
                {"result", "OK"},
                {"credential_id", "district-7/M/1"},
                {"issuer_id", "district-7"},
                {"type", "MEMBER"},
                {"level", "LEVEL_UNSPECIFIED"},
                {"new_status", "SUSPENDED"},
                {"reason", "会籍核查"},
                {"valid_from", "0"},
                {"valid_until", "0"},
                {"key_version", 0},
                {"signed_by",
                 {{"authority", "parent"},
                  {"issuer_id", "city-fed"},
                  {"key_version", 2},
                  {"admin_keys", json::array()}}}};
      return {200, json{{"entries", {e}}, {"next_page_token", ""}}.dump()};
    }
    if (t.rfind("/v1/verify", 0) == 0) {
      return {200, json{{"valid", true},
                        {"reason", "VALID"},
                        {"message", "ok"},
                        {"height", "7"},
                        {"time", "1767225600"},
                        {"chain_id", "c"},
                        {"block_time_ms", "1767225600000"},
                        {"historical", true},
                        {"credential", Cred("city-fed/M/1", "ACTIVE", "")}}
                       .dump()};
    }
    return {404, R"({"code":"NOT_FOUND","message":"unknown"})"};
  }
  std::vector<std::string> Targets() {
    std::lock_guard lock(mu);
    return targets;
  }
};

}  // namespace

TEST_CASE("card list sends the filters in the API's spelling and prints a table or CSV",
          "[cli][net][report]") {
  Fixture f;
  auto r = Laurel(f.dir, {"card", "list", "--rpc", f.node.url(), "--issuer", "city-fed", "--status",
                          "suspended", "--type", "model-worker", "--level", "district"});
  INFO(Describe(r));
  REQUIRE(r.code == 0);
  CHECK(f.Targets().back() ==
        "/v1/issuers/city-fed/credentials?status=SUSPENDED&type=MODEL_WORKER&level=DISTRICT");
  CHECK(r.out.rfind("CREDENTIAL ", 0) == 0);
  CHECK(r.out.find("city-fed/M/2") != std::string::npos);
  CHECK(r.out.find("会籍核查, 待定") != std::string::npos);
  CHECK(r.out.find("2 credentials of city-fed at height 9\n") != std::string::npos);
  CHECK(r.out.find("(more: --page-token p2, or --all)") != std::string::npos);

  auto csv = Laurel(
      f.dir, {"card", "list", "--rpc", f.node.url(), "--issuer", "city-fed", "--all", "--csv"});
  INFO(Describe(csv));
  REQUIRE(csv.code == 0);
  CHECK(csv.out.rfind("credential_id,issuer_id,type,level,status,status_reason,", 0) == 0);
  CHECK(csv.out.find("city-fed/M/2,city-fed,MEMBER,,SUSPENDED,\"会籍核查, 待定\",parent,") !=
        std::string::npos);
  CHECK(csv.out.find("city-fed/M/3,") != std::string::npos);  // the second page
  CHECK(csv.out.find("(more") == std::string::npos);
  CHECK(f.Targets().back() == "/v1/issuers/city-fed/credentials?page_token=p2");

  const size_t asked = f.Targets().size();
  for (const std::vector<std::string>& bad : {std::vector<std::string>{"--status", "lost"},
                                              {"--type", "card"},
                                              {"--level", "city"},
                                              {"--limit", "1001"}}) {
    std::vector<std::string> args = {"card", "list", "--rpc", f.node.url(), "--issuer", "city-fed"};
    args.insert(args.end(), bad.begin(), bad.end());
    auto b = Laurel(f.dir, args);
    INFO(Describe(b));
    CHECK(b.code == 2);
    CheckOneErrorLine(b);
  }
  CHECK(f.Targets().size() == asked);  // refused before asking the node
  auto unknown = Laurel(f.dir, {"card", "list", "--rpc", f.node.url(), "--issuer", "nope"});
  CHECK(unknown.code == 1);
  CHECK(unknown.err.find("NOT_FOUND") != std::string::npos);
}

TEST_CASE("issuer stats prints own and with-descendant counts, as a table or CSV",
          "[cli][net][report]") {
  Fixture f;
  auto r = Laurel(f.dir, {"issuer", "stats", "--rpc", f.node.url(), "city-fed"});
  INFO(Describe(r));
  REQUIRE(r.code == 0);
  CHECK(r.out.find("credentials of city-fed at height 9\n") != std::string::npos);
  CHECK(r.out.find("total                 3           6\n") != std::string::npos);
  CHECK(r.out.find("SUSPENDED             1           1\n") != std::string::npos);
  auto csv = Laurel(f.dir, {"issuer", "stats", "--rpc", f.node.url(), "city-fed", "--csv"});
  REQUIRE(csv.code == 0);
  CHECK(csv.out.rfind("group,key,own,including_descendants\r\ntotal,,3,6\r\n", 0) == 0);
  CHECK(csv.out.find("status,ACTIVE,2,5\r\n") != std::string::npos);
}

TEST_CASE("history shows the resolved signer and what happened, --csv and --signed-by-me",
          "[cli][net][report]") {
  Fixture f;
  auto r = Laurel(f.dir, {"history", "--rpc", f.node.url(), "--issuer", "city-fed"});
  INFO(Describe(r));
  REQUIRE(r.code == 0);
  CHECK(r.out.find("city-fed v2 (parent)  district-7/M/1 -> SUSPENDED (会籍核查)\n") !=
        std::string::npos);
  auto csv = Laurel(
      f.dir, {"history", "--rpc", f.node.url(), "--issuer", "city-fed", "--signed-by-me", "--csv"});
  INFO(Describe(csv));
  REQUIRE(csv.code == 0);
  CHECK(f.Targets().back() == "/v1/issuers/city-fed/history?signed_by=me");
  CHECK(csv.out.find("4,2026-01-01T00:00:00Z," + std::string(64, 'a') +
                     ",set_credential_status,OK,district-7/M/1,district-7,MEMBER,,SUSPENDED,"
                     "会籍核查,,,,parent,city-fed,2,," +
                     std::string(64, 'b') + "\r\n") != std::string::npos);
  auto bad = Laurel(f.dir, {"history", "--rpc", f.node.url(), "x/M/1", "--signed-by-me"});
  CHECK(bad.code == 2);
}

TEST_CASE("verify --height and --at ask for the past state and say which height decided",
          "[cli][net][report]") {
  Fixture f;
  auto r = Laurel(f.dir, {"verify", "--rpc", f.node.url(), "--code", "LC1:X", "--height", "7"});
  INFO(Describe(r));
  REQUIRE(r.code == 0);
  CHECK(f.Targets().back() == "/v1/verify?height=7");
  CHECK(r.out.find("  as of        height 7 of c (block time 2026-01-01T00:00:00Z), validity "
                   "checked at 2026-01-01T00:00:00Z\n") != std::string::npos);
  auto at = Laurel(f.dir, {"verify", "--rpc", f.node.url(), "--code", "LC1:X", "--at",
                           "2026-03-01T09:30:00+08:00"});
  REQUIRE(at.code == 0);
  CHECK(f.Targets().back() == "/v1/verify?at=2026-03-01T09%3A30%3A00%2B08%3A00");
  auto both = Laurel(
      f.dir, {"verify", "--rpc", f.node.url(), "--code", "LC1:X", "--at", "1", "--height", "2"});
  CHECK(both.code == 2);
}

}  // namespace laurel::cli_test

// The network commands of the `laurel` binary (issuer, card issue|renew|status, tx submit, verify,
// history, status) against an in-process fake node (fake_node.h) that answers like the API of
// docs/api.md and records what the CLI sent; plus their offline parts (flags, --out).
#include <png.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <tuple>

#include "cli/cli_util.h"
#include "cli/qr.h"
#include "cli/rpc_client.h"
#include "common/bytes.h"
#include "crypto/ed25519.h"
#include "tests/unit/cli/cli_test_util.h"
#include "tests/unit/cli/fake_node.h"
#include "types/card.h"
#include "types/tx.h"

using namespace laurel;
using namespace laurel::cli_test;
using nlohmann::json;

namespace {

// The fake node's state: one issuer "city-fed", one credential for renew, and what came in.
struct FakeLedger {
  std::mutex mu;
  std::string chain_id = "laurel-test";
  std::string issuer_pub_hex;    // city-fed's current key (version 1)
  std::string tx_result = "OK";  // result of every committed tx
  std::string refuse_code;       // non-empty: refuse txs at admission with this ledger code
  std::string verify_reason = "VALID";
  std::vector<types::Tx> txs;         // every tx submitted
  std::vector<std::string> verified;  // every code sent to /v1/verify
  std::vector<json> asked;            // every body sent to /v1/verify/status
  std::string record_type_override;   // non-empty: the record's type in /v1/verify/status

  // The record an IssueCredential of the submitted txs wrote for `id`, as the API prints it.
  json RecordOf(const std::string& id) const {
    for (const types::Tx& tx : txs) {
      auto body = types::DecodeTxBody(tx.body);
      if (!body.ok()) continue;
      const auto* issue = std::get_if<types::IssueCredential>(&body->action);
      if (issue == nullptr || issue->credential_id != id) continue;
      return {
          {"credential_id", id},
          {"type", record_type_override.empty() ? types::CredentialTypeName(issue->type)
                                                : record_type_override},
          {"level", issue->level == types::Level::kUnspecified ? "LEVEL_UNSPECIFIED"
                                                               : types::LevelName(issue->level)},
          {"issuer_id", issue->issuer_id},
          {"key_version", 1},
          {"card_digest", HexEncode(issue->card_digest)},
          {"valid_from", std::to_string(issue->valid_from)},
          {"valid_until", std::to_string(issue->valid_until)},
          {"status", verify_reason == "SUSPENDED" ? "SUSPENDED" : "ACTIVE"}};
    }
    return nullptr;
  }

  FakeResponse Handle(const FakeRequest& r) {
    std::lock_guard<std::mutex> lock(mu);
    if (r.method == "GET" && r.target == "/v1/status") {
      // uint64 fields as the API prints them: decimal strings.
      return {200, json{{"chain_id", chain_id},
                        {"node_name", "fake"},
                        {"height", "41"},
                        {"round", "50"},
                        {"syncing", false},
                        {"ready", true}}
                       .dump()};
    }
    if (r.method == "GET" && r.target == "/v1/issuers/city-fed") {
      return {200, IssuerJson().dump()};
    }
    if (r.method == "GET" && r.target.rfind("/v1/issuers?", 0) == 0) {
      return {200, json{{"issuers", {IssuerJson()}}, {"next_page_token", ""}}.dump()};
    }
    if (r.method == "GET" && r.target == "/v1/credentials/city-fed%2FMW%2F2026%2F000001") {
      return {200, json{{"credential_id", "city-fed/MW/2026/000001"},
                        {"type", "MODEL_WORKER"},
                        {"level", "MUNICIPAL"},
                        {"issuer_id", "city-fed"},
                        {"key_version", 1},
                        {"valid_until", "1861920000"},
                        {"status", "ACTIVE"}}
                       .dump()};
    }
    if (r.method == "GET" &&
        r.target.rfind("/v1/credentials/city-fed%2FMW%2F2026%2F000001/history", 0) == 0) {
      return {200, HistoryPage(r.target).dump()};
    }
    if (r.method == "POST" && r.target.rfind("/v1/txs", 0) == 0) {
      auto tx = types::DecodeTx(AsBytes(r.body));
      if (r.content_type != "application/x-protobuf" || !tx.ok()) {
        return {400, json{{"code", "MALFORMED_BODY"}, {"message", "not a Tx"}}.dump()};
      }
      txs.push_back(*tx);
      const std::string id = HexEncode(types::TxId(*tx));
      if (!refuse_code.empty()) {
        return {400, json{{"code", "INVALID_TX"},
                          {"message", "no signature by an allowed key"},
                          {"tx_code", refuse_code},
                          {"tx_id", id}}
                         .dump()};
      }
      return {200, json{{"tx_id", id},
                        {"status", "committed"},
                        {"height", "42"},
                        {"position", 0},
                        {"result", tx_result}}
                       .dump()};
    }
    if (r.method == "POST" && r.target == "/v1/verify/status") {
      const auto req = json::parse(r.body, nullptr, false);
      asked.push_back(req);
      const json record = req.is_object() ? RecordOf(req.value("credential_id", "")) : nullptr;
      const bool valid = verify_reason == "VALID";
      json out = {{"valid", valid},
                  {"reason", verify_reason},
                  {"message", valid ? "" : "the credential is suspended (lost card)"},
                  {"height", "42"},
                  {"time", "1780000000"},
                  {"chain_id", chain_id}};
      if (!record.is_null()) out["credential"] = record;
      return {200, out.dump()};
    }
    if (r.method == "POST" && r.target == "/v1/verify") {
      const auto req = json::parse(r.body, nullptr, false);
      const std::string code = req.is_object() ? req.value("code", "") : "";
      verified.push_back(code);
      json card = json::object();
      if (auto c = types::CardFromText(code); c.ok()) {
        if (auto b = types::DecodeCardBody(c->body); b.ok()) {
          card = {{"credential_id", b->credential_id},
                  {"issuer_id", b->issuer_id},
                  {"key_version", b->key_version},
                  {"type", types::CredentialTypeName(b->type)},
                  {"level", b->level == types::Level::kUnspecified ? "LEVEL_UNSPECIFIED"
                                                                   : types::LevelName(b->level)},
                  {"holder_name", b->holder_name},
                  {"member_no", b->member_no},
                  {"valid_from", std::to_string(b->valid_from)},
                  {"valid_until", std::to_string(b->valid_until)},
                  {"chain_id", b->chain_id}};
        }
      }
      const bool valid = verify_reason == "VALID";
      return {200, json{{"valid", valid},
                        {"reason", verify_reason},
                        {"message", valid ? "" : "the credential is suspended (lost card)"},
                        {"card", card},
                        {"height", "42"},
                        {"time", "1780000000"},
                        {"chain_id", chain_id}}
                       .dump()};
    }
    return {404, json{{"code", "NOT_FOUND"}, {"message", "no such thing: " + r.target}}.dump()};
  }

  json IssuerJson() const {
    return {{"issuer_id", "city-fed"},
            {"name", "City Federation"},
            {"parent_id", ""},
            {"grants",
             {{{"type", "MEMBER"}, {"levels", json::array()}},
              {{"type", "MODEL_WORKER"}, {"levels", {"MUNICIPAL", "DISTRICT"}}}}},
            {"can_delegate", true},
            {"status", "ISSUER_ACTIVE"},
            {"status_reason", ""},
            {"keys",
             {{{"key_version", 1},
               {"public_key", issuer_pub_hex},
               {"from_height", "0"},
               {"to_height", "0"}}}},
            {"current_key_version", 1},
            {"created_height", "0"},
            {"updated_height", "0"}};
  }

  // Two pages: entries at heights 3 and 7, then 9.
  static json HistoryPage(const std::string& target) {
    auto entry = [](uint64_t h, const char* action, const char* result) {
      return json{{"height", std::to_string(h)},
                  {"position", 0},
                  {"time_ms", std::to_string(1780000000000ULL + h * 1000)},
                  {"tx_id", std::string(64, 'a')},
                  {"action", action},
                  {"signer", std::string(64, 'b')},
                  {"result", result}};
    };
    if (target.find("page_token=p2") != std::string::npos) {
      return {{"entries", {entry(9, "set_credential_status", "ILLEGAL_TRANSITION")}},
              {"next_page_token", ""}};
    }
    return {
        {"entries", {entry(3, "issue_credential", "OK"), entry(7, "set_credential_status", "OK")}},
        {"next_page_token", "p2"}};
  }
};

struct Fixture {
  TempDir dir;
  FakeLedger ledger;
  FakeNode node{[this](const FakeRequest& r) { return ledger.Handle(r); }};
  std::string fed_pub;

  Fixture() {
    crypto::Init();
    fed_pub = Keygen(dir, "fed.key");
    ledger.issuer_pub_hex = fed_pub;
  }
  std::vector<types::Tx> Txs() {
    std::lock_guard<std::mutex> lock(ledger.mu);
    return ledger.txs;
  }
  std::vector<std::string> IssueArgs(const std::string& out) const {
    return {"card",          "issue",
            "--rpc",         node.url(),
            "--issuer",      "city-fed",
            "--key",         "fed.key",
            "--type",        "model_worker",
            "--level",       "municipal",
            "--holder-name", "Li Wei",
            "--member-no",   "QD-0042",
            "--valid-from",  "2026-01-01",
            "--valid-until", "2030-12-31",
            "--out",         out};
  }
};

std::vector<std::string> Plus(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A port on which nothing listens (bound, then closed).
int DeadPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

types::TxBody BodyOf(const types::Tx& tx) {
  auto b = types::DecodeTxBody(tx.body);
  REQUIRE(b.ok());
  return *b;
}

}  // namespace

TEST_CASE(
    "card issue signs a card with the issuer's current key, records its digest, and "
    "writes the card file and its QR code",
    "[cli][net]") {
  Fixture f;
  const auto r = Laurel(f.dir, Plus(f.IssueArgs("card.lc1"), {"--qr", "card.png"}));
  INFO(Describe(r));
  REQUIRE(r.code == 0);
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  const std::regex id_re("credential_id +(city-fed/MW/" + std::to_string(tm.tm_year + 1900) +
                         "/[0-9]{6})\n");
  std::smatch m;
  REQUIRE(std::regex_search(r.out, m, id_re));
  const std::string id = m[1];
  CHECK(r.out.find("height         42\n") != std::string::npos);
  CHECK(r.out.find("result         OK\n") != std::string::npos);

  const std::string file = ReadFile(f.dir / "card.lc1");
  REQUIRE(!file.empty());
  REQUIRE(file.back() == '\n');
  const std::string text = file.substr(0, file.size() - 1);
  auto card = types::CardFromText(text);
  REQUIRE(card.ok());
  auto body = types::DecodeCardBody(card->body);
  REQUIRE(body.ok());
  CHECK(body->chain_id == "laurel-test");
  CHECK(body->credential_id == id);
  CHECK(body->issuer_id == "city-fed");
  CHECK(body->key_version == 1);
  CHECK(body->type == types::CredentialType::kModelWorker);
  CHECK(body->level == types::Level::kMunicipal);
  CHECK(body->holder_name == "Li Wei");
  CHECK(body->member_no == "QD-0042");
  CHECK(body->salt.size() == types::kCardSaltSize);
  CHECK(body->valid_from == 1767225600);
  CHECK(body->valid_until == 1924905600);
  CHECK(types::VerifyCardSignature(*card, *HexDecode(f.fed_pub)));
  CHECK(r.out.find("tx_id") != std::string::npos);

  // One tx: IssueCredential with this card's digest, signed by the issuer, expiring 1000
  // blocks after the node's height.
  const auto txs = f.Txs();
  REQUIRE(txs.size() == 1);
  CHECK(r.out.find(HexEncode(types::TxId(txs[0]))) != std::string::npos);
  const auto tb = BodyOf(txs[0]);
  CHECK(tb.chain_id == "laurel-test");
  CHECK(tb.expires_at_height == 41 + 1000);
  CHECK(tb.nonce.size() == 16);
  const auto* issue = std::get_if<types::IssueCredential>(&tb.action);
  REQUIRE(issue != nullptr);
  CHECK(issue->credential_id == id);
  CHECK(issue->issuer_id == "city-fed");
  CHECK(issue->type == types::CredentialType::kModelWorker);
  CHECK(issue->level == types::Level::kMunicipal);
  const Hash32 digest = types::CardDigest(card->body);
  CHECK(issue->card_digest == Bytes(digest.begin(), digest.end()));
  CHECK(issue->valid_from == 1767225600);
  CHECK(issue->valid_until == 1924905600);
  REQUIRE(txs[0].signatures.size() == 1);
  CHECK(HexEncode(txs[0].signatures[0].public_key) == f.fed_pub);
  CHECK(crypto::VerifyWithDomain(txs[0].signatures[0].public_key, types::kTxSignDomain, txs[0].body,
                                 txs[0].signatures[0].signature));

  // The QR code holds the card text.
  auto qr = cli::DecodeQrPng(ReadFile(f.dir / "card.png"));
  REQUIRE(qr.ok());
  CHECK(*qr == text);

  SECTION("verify --qr, --file and --code send the card text and print VALID first") {
    for (const auto& how : std::vector<std::vector<std::string>>{
             {"--qr", "card.png"}, {"--file", "card.lc1"}, {"--code", text}}) {
      const auto v = Laurel(f.dir, Plus({"verify", "--rpc", f.node.url()}, how));
      INFO(Describe(v));
      CHECK(v.code == 0);
      CHECK(v.out.rfind("VALID " + id + " (MODEL_WORKER MUNICIPAL)\n", 0) == 0);
      CHECK(v.out.find("  holder       Li Wei\n") != std::string::npos);
      CHECK(v.out.find("  member_no    QD-0042\n") != std::string::npos);
      CHECK(v.out.find("  valid        2026-01-01T00:00:00Z to 2030-12-31T00:00:00Z\n") !=
            std::string::npos);
      CHECK(v.out.find("  ledger       height 42 of laurel-test") != std::string::npos);
    }
    // Private by default: the node got the credential id and the card digest, nothing else.
    std::lock_guard<std::mutex> lock(f.ledger.mu);
    CHECK(f.ledger.verified.empty());
    REQUIRE(f.ledger.asked.size() == 3);
    auto card = types::CardFromText(text);
    REQUIRE(card.ok());
    const std::string digest = HexEncode(types::CardDigest(card->body));
    for (const auto& a : f.ledger.asked) {
      INFO(a.dump());
      CHECK(a == json{{"credential_id", id},
                      {"card_digest", digest},
                      {"issuer_id", "city-fed"},
                      {"key_version", 1}});
      CHECK(a.dump().find("Li Wei") == std::string::npos);
    }
  }

  SECTION("verify --send-card sends the whole card to POST /v1/verify") {
    const auto v = Laurel(f.dir, {"verify", "--rpc", f.node.url(), "--send-card", "--code", text});
    INFO(Describe(v));
    CHECK(v.code == 0);
    CHECK(v.out.rfind("VALID " + id + " (MODEL_WORKER MUNICIPAL)\n", 0) == 0);
    std::lock_guard<std::mutex> lock(f.ledger.mu);
    REQUIRE(f.ledger.verified.size() == 1);
    CHECK(f.ledger.verified[0] == text);
    CHECK(f.ledger.asked.empty());
  }

  SECTION(
      "a record whose type differs from the card's is RECORD_MISMATCH, though the node "
      "says VALID") {
    {
      std::lock_guard<std::mutex> lock(f.ledger.mu);
      f.ledger.record_type_override = "MEMBER";
    }
    const auto v = Laurel(f.dir, {"verify", "--rpc", f.node.url(), "--code", text});
    INFO(Describe(v));
    CHECK(v.code == 1);
    CHECK(v.out.rfind("REFUSED RECORD_MISMATCH: the card's type differs from the ledger "
                      "record's\n",
                      0) == 0);
  }

  SECTION("a card signed by another key is BAD_SIGNATURE before the node is asked") {
    auto forged = types::CardFromText(text);
    REQUIRE(forged.ok());
    forged->signature[0] ^= 1;
    const auto v =
        Laurel(f.dir, {"verify", "--rpc", f.node.url(), "--code", types::CardToText(*forged)});
    INFO(Describe(v));
    CHECK(v.code == 1);
    CHECK(v.out.rfind("REFUSED BAD_SIGNATURE: ", 0) == 0);
    CHECK(v.out.find("Li Wei") == std::string::npos);  // an unproven card's fields are not shown
    std::lock_guard<std::mutex> lock(f.ledger.mu);
    CHECK(f.ledger.asked.empty());
  }

  SECTION("a second issue to the same file exits 2 before anything is submitted") {
    const auto again = Laurel(f.dir, f.IssueArgs("card.lc1"));
    INFO(Describe(again));
    CHECK(again.code == 2);
    CheckOneErrorLine(again);
    CHECK(again.err.find("card.lc1 already exists") != std::string::npos);
    CHECK(f.Txs().size() == 1);
    CHECK(ReadFile(f.dir / "card.lc1") == file);
    const auto qr_again = Laurel(f.dir, Plus(f.IssueArgs("other.lc1"), {"--qr", "card.png"}));
    CHECK(qr_again.code == 2);
    CHECK(f.Txs().size() == 1);
    CHECK_FALSE(fs::exists(f.dir / "other.lc1"));
  }

  SECTION("card renew keeps the holder from the old card and records a new digest") {
    // The fake's record is city-fed/MW/2026/000001: make an old card for it first.
    const auto old =
        Laurel(f.dir, Plus(f.IssueArgs("old.lc1"), {"--id", "city-fed/MW/2026/000001"}));
    REQUIRE(old.code == 0);
    const auto rn =
        Laurel(f.dir, {"card", "renew", "--rpc", f.node.url(), "--id", "city-fed/MW/2026/000001",
                       "--key", "fed.key", "--card", "old.lc1", "--valid-until", "2032-01-01",
                       "--out", "new.lc1", "--json"});
    INFO(Describe(rn));
    REQUIRE(rn.code == 0);
    const auto j = json::parse(rn.out);
    CHECK(j["credential_id"] == "city-fed/MW/2026/000001");
    CHECK(j["result"] == "OK");
    CHECK(j["height"] == "42");
    const std::string new_text = ReadFile(f.dir / "new.lc1");
    CHECK(j["card"] == new_text.substr(0, new_text.size() - 1));
    auto nc = types::CardFromText(new_text);
    REQUIRE(nc.ok());
    auto nb = types::DecodeCardBody(nc->body);
    REQUIRE(nb.ok());
    CHECK(nb->holder_name == "Li Wei");
    CHECK(nb->member_no == "QD-0042");
    CHECK(nb->type == types::CredentialType::kModelWorker);
    CHECK(nb->level == types::Level::kMunicipal);
    CHECK(nb->valid_until == *cli::ParseTime("2032-01-01"));
    const auto txs2 = f.Txs();
    REQUIRE(txs2.size() == 3);
    const auto renew_body = BodyOf(txs2[2]);
    const auto* renew = std::get_if<types::RenewCredential>(&renew_body.action);
    REQUIRE(renew != nullptr);
    const Hash32 d = types::CardDigest(nc->body);
    CHECK(renew->card_digest == Bytes(d.begin(), d.end()));
    // The old card of another credential is refused.
    const auto wrong = Laurel(
        f.dir, {"card", "renew", "--rpc", f.node.url(), "--id", "city-fed/MW/2026/000002", "--key",
                "fed.key", "--card", "card.lc1", "--valid-until", "2032-01-01", "--out", "x.lc1"});
    CHECK(wrong.code == 2);
    CheckOneErrorLine(wrong);
  }
}

TEST_CASE("card issue refuses a key that is not the issuer's current key before submitting",
          "[cli][net]") {
  Fixture f;
  Keygen(f.dir, "stranger.key");
  auto args = f.IssueArgs("card.lc1");
  for (auto& a : args) {
    if (a == "fed.key") a = "stranger.key";
  }
  const auto r = Laurel(f.dir, args);
  INFO(Describe(r));
  CHECK(r.code == 1);
  CheckOneErrorLine(r);
  CHECK(r.err.find("is not the current key of issuer city-fed") != std::string::npos);
  CHECK(f.Txs().empty());
  CHECK_FALSE(fs::exists(f.dir / "card.lc1"));

  // --key-version skips the check (to see the ledger refuse such a card).
  const auto forced = Laurel(f.dir, Plus(args, {"--key-version", "7"}));
  INFO(Describe(forced));
  CHECK(forced.code == 0);
  REQUIRE(f.Txs().size() == 1);
  auto card = types::CardFromText(ReadFile(f.dir / "card.lc1"));
  REQUIRE(card.ok());
  CHECK(types::DecodeCardBody(card->body)->key_version == 7);
}

TEST_CASE("a refused or failed transaction exits 1 and leaves no card file", "[cli][net]") {
  Fixture f;
  SECTION("committed with another result") {
    f.ledger.tx_result = "SCOPE_NOT_ALLOWED";
    const auto r = Laurel(f.dir, f.IssueArgs("card.lc1"));
    INFO(Describe(r));
    CHECK(r.code == 1);
    CHECK(r.out.find("result         SCOPE_NOT_ALLOWED\n") != std::string::npos);
    CHECK(r.err ==
          "laurel: transaction committed at height 42 with result SCOPE_NOT_ALLOWED; it "
          "changed nothing\n");
    CHECK_FALSE(fs::exists(f.dir / "card.lc1"));
  }
  SECTION("refused at admission") {
    f.ledger.refuse_code = "UNAUTHORIZED";
    const auto r =
        Laurel(f.dir, {"card", "suspend", "--rpc", f.node.url(), "--id", "city-fed/MW/2026/000001",
                       "--key", "fed.key", "--reason", "lost"});
    INFO(Describe(r));
    CHECK(r.code == 1);
    CHECK(r.err == "laurel: transaction refused: UNAUTHORIZED: no signature by an allowed key\n");
    REQUIRE(f.Txs().size() == 1);
    const auto body = BodyOf(f.Txs()[0]);
    const auto* s = std::get_if<types::SetCredentialStatus>(&body.action);
    REQUIRE(s != nullptr);
    CHECK(s->status == types::CredentialStatus::kSuspended);
    CHECK(s->reason == "lost");
  }
}

TEST_CASE("verify prints REFUSED with the reason first and exits 1, --json prints the answer",
          "[cli][net]") {
  Fixture f;
  REQUIRE(Laurel(f.dir, f.IssueArgs("card.lc1")).code == 0);
  f.ledger.verify_reason = "SUSPENDED";
  const auto r = Laurel(f.dir, {"verify", "--rpc", f.node.url(), "--file", "card.lc1"});
  INFO(Describe(r));
  CHECK(r.code == 1);
  CHECK(r.out.rfind("REFUSED SUSPENDED: the credential is suspended (lost card)\n", 0) == 0);
  CHECK(r.out.find("  credential   city-fed/MW/") != std::string::npos);
  CHECK(r.err.empty());
  const auto j = Laurel(f.dir, {"verify", "--rpc", f.node.url(), "--file", "card.lc1", "--json"});
  CHECK(j.code == 1);
  const auto parsed = json::parse(j.out);
  CHECK(parsed["valid"] == false);
  CHECK(parsed["reason"] == "SUSPENDED");
}

TEST_CASE("verify exits 1 when the node answers 4xx and 2 when it answers 5xx", "[cli][net]") {
  TempDir dir;
  for (const auto& [status, code, exit_code] : std::vector<std::tuple<int, std::string, int>>{
           {400, "MALFORMED_BODY", 1}, {429, "RATE_LIMITED", 1}, {503, "NOT_READY", 2}}) {
    FakeNode node([&](const FakeRequest&) {
      return FakeResponse{status, R"({"code": ")" + code + R"(", "message": "no"})"};
    });
    const auto r = Laurel(dir, {"verify", "--rpc", node.url(), "--code", "LC1:ABC"});
    INFO(status << ": " << Describe(r));
    CHECK(r.code == exit_code);
    CHECK(r.out.empty());
    CheckOneErrorLine(r);
    CHECK(r.err.find(code) != std::string::npos);
  }
}

TEST_CASE("network commands name the node they cannot reach and exit 2", "[cli][net][badinput]") {
  TempDir dir;
  Keygen(dir, "k.key");
  const std::string url = "http://127.0.0.1:" + std::to_string(DeadPort());
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"status", "--rpc", url},
           {"verify", "--rpc", url, "--code", "LC1:ABC"},
           {"history", "--rpc", url, "fed/M/1"},
           {"issuer", "show", "--rpc", url, "city-fed"},
           {"card", "revoke", "--rpc", url, "--id", "fed/M/1", "--key", "k.key"},
           {"card", "issue", "--rpc", url, "--issuer", "fed", "--key", "k.key", "--type", "member",
            "--holder-name", "A", "--member-no", "1", "--valid-until", "2030-01-01", "--out",
            "c.lc1"}}) {
    const auto r = Laurel(dir, args);
    INFO(Describe(r));
    CHECK(r.code == 2);
    CheckOneErrorLine(r);
    CHECK(r.err.rfind("laurel: cannot reach node at " + url + ": ", 0) == 0);
  }
  CHECK_FALSE(fs::exists(dir / "c.lc1"));
}

TEST_CASE("bad flags of the network commands exit 2 with one error line", "[cli][badinput]") {
  TempDir dir;
  Keygen(dir, "k.key");
  const std::string url = "http://127.0.0.1:" + std::to_string(DeadPort());
  const std::vector<std::string> issue = {
      "card",  "issue",         "--rpc", url,           "--issuer", "fed",   "--key",
      "k.key", "--holder-name", "A",     "--member-no", "1",        "--out", "c.lc1"};
  for (const auto& args : std::vector<std::vector<std::string>>{
           Plus(issue, {"--type", "member", "--valid-until", "2030-02-30"}),
           Plus(issue, {"--type", "member", "--valid-until", "next year"}),
           Plus(issue, {"--type", "member", "--level", "district", "--valid-until", "2030-01-01"}),
           Plus(issue, {"--type", "model_worker", "--valid-until", "2030-01-01"}),
           Plus(issue,
                {"--type", "model_worker", "--level", "city", "--valid-until", "2030-01-01"}),
           Plus(issue, {"--type", "worker", "--valid-until", "2030-01-01"}),
           Plus(issue,
                {"--type", "member", "--valid-from", "2030-01-01", "--valid-until", "2029-01-01"}),
           Plus(issue, {"--type", "member", "--valid-until", "2030-01-01", "--id", "other/M/1"}),
           Plus(issue, {"--type", "member", "--valid-until", "2030-01-01", "--id", "fed/M 1"}),
           Plus(issue, {"--type", "member"}),  // no --valid-until
           Plus(issue, {"--type", "member", "--valid-until", "2030-01-01", "--qr", "c.lc1"}),
           {"card", "issue", "--rpc", url, "--issuer", "Fed!", "--key", "k.key", "--type", "member",
            "--holder-name", "A", "--member-no", "1", "--valid-until", "2030-01-01", "--out", "c"},
           {"card", "suspend", "--rpc", url, "--id", "nobody", "--key", "k.key"},
           {"card", "revoke", "--rpc", url, "--id", "fed/M/1"},  // no --key
           {"card", "revoke", "--rpc", url, "--id", "fed/M/1", "--key", "k.key", "--key", "k.key"},
           {"card", "revoke", "--rpc", url, "--id", "fed/M/1", "--key", "missing.key"},
           {"issuer", "register", "--rpc", url, "--id", "d1", "--name", "D", "--public-key",
            std::string(64, 'a'), "--grant", "model_worker", "--key", "k.key"},
           {"issuer", "register", "--rpc", url, "--id", "d1", "--name", "D", "--public-key",
            std::string(64, 'a'), "--grant", "member:district", "--key", "k.key"},
           {"issuer", "register", "--rpc", url, "--id", "d1", "--name", "D", "--public-key",
            std::string(64, 'a'), "--grant", "member", "--grant", "member", "--key", "k.key"},
           {"issuer", "register", "--rpc", url, "--id", "d1", "--name", "D", "--grant", "member",
            "--key", "k.key"},  // no public key
           {"issuer", "register", "--rpc", url, "--id", "d1", "--name", "D", "--public-key", "abc",
            "--grant", "member", "--key", "k.key"},
           {"issuer", "register", "--rpc", url, "--id", "D 1", "--name", "D", "--public-key",
            std::string(64, 'a'), "--grant", "member", "--key", "k.key"},
           {"issuer", "set-status", "--rpc", url, "--id", "d1", "--status", "gone", "--key",
            "k.key"},
           {"issuer", "rotate-key", "--rpc", url, "--id", "d1", "--key", "k.key"},
           {"verify", "--rpc", url},
           {"verify", "--rpc", url, "--code", "LC1:A", "--file", "x"},
           {"verify", "--rpc", url, "--file", "missing.lc1"},
           {"verify", "--rpc", url, "--qr", "missing.png"},
           {"history", "--rpc", url},
           {"history", "--rpc", url, "fed/M/1", "--issuer", "fed"},
           {"history", "--rpc", url, "fed/M/1", "--limit", "5000"},
           {"tx", "submit", "--rpc", url, "--in", "missing.json"},
           {"status", "--rpc", "ftp://x"},
       }) {
    const auto r = Laurel(dir, args);
    INFO(Describe(r));
    CHECK(r.code == 2);
    CheckOneErrorLine(r);
  }
  CHECK_FALSE(fs::exists(dir / "c.lc1"));
}

TEST_CASE("verify --qr of an image without a QR code, or of a file that is not a PNG, exits 2",
          "[cli][badinput]") {
  TempDir dir;
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = image.height = 120;
  image.format = PNG_FORMAT_GRAY;
  const std::vector<uint8_t> white(120 * 120, 0xFF);
  png_alloc_size_t size = 0;
  REQUIRE(png_image_write_to_memory(&image, nullptr, &size, 0, white.data(), 0, nullptr));
  std::string png(size, '\0');
  REQUIRE(png_image_write_to_memory(&image, png.data(), &size, 0, white.data(), 0, nullptr));
  png.resize(size);
  WriteFile(dir / "blank.png", png);
  WriteFile(dir / "card.lc1", "LC1:ABC\n");
  // Nothing is sent: the node's address does not matter.
  const auto blank = Laurel(dir, {"verify", "--rpc", "http://127.0.0.1:1", "--qr", "blank.png"});
  INFO(Describe(blank));
  CHECK(blank.code == 2);
  CHECK(blank.err == "laurel: blank.png: no QR code found in the image\n");
  const auto text = Laurel(dir, {"verify", "--rpc", "http://127.0.0.1:1", "--qr", "card.lc1"});
  INFO(Describe(text));
  CHECK(text.code == 2);
  CHECK(text.err.rfind("laurel: card.lc1: not a PNG image", 0) == 0);
}

TEST_CASE(
    "governance transactions are signed by every --key, written with --out, signed "
    "further with tx sign and sent with tx submit",
    "[cli][net]") {
  Fixture f;
  const std::string a1 = Keygen(f.dir, "admin1.key");
  const std::string a2 = Keygen(f.dir, "admin2.key");
  const std::string a3 = Keygen(f.dir, "admin3.key");
  const std::string d = Keygen(f.dir, "district.key");
  // Offline: no node is asked when --chain-id and --expires-at-height are given.
  const auto r = Laurel(f.dir, {"issuer",
                                "register",
                                "--rpc",
                                "http://127.0.0.1:1",
                                "--id",
                                "jimo-district",
                                "--name",
                                "Jimo District Union",
                                "--issuer-key",
                                "district.key",
                                "--parent",
                                "city-fed",
                                "--grant",
                                "member",
                                "--grant",
                                "model_worker:municipal,district",
                                "--key",
                                "admin1.key",
                                "--key",
                                "admin2.key",
                                "--chain-id",
                                "laurel-test",
                                "--expires-at-height",
                                "77",
                                "--out",
                                "tx.json"});
  INFO(Describe(r));
  REQUIRE(r.code == 0);
  CHECK(r.out.find("(2 signatures)") != std::string::npos);
  const auto ins = Laurel(f.dir, {"tx", "inspect", "--in", "tx.json", "--json"});
  INFO(Describe(ins));
  REQUIRE(ins.code == 0);
  const auto j = json::parse(ins.out);
  CHECK(j["action"] == "register_issuer");
  CHECK(j["valid"] == true);
  REQUIRE(j["signatures"].size() == 2);
  CHECK(j["signatures"][0]["public_key"] == a1);
  CHECK(j["signatures"][1]["public_key"] == a2);
  CHECK(j["body"]["chain_id"] == "laurel-test");
  CHECK(j["body"]["expires_at_height"] == "77");
  const auto& reg = j["body"]["register_issuer"];
  CHECK(reg["issuer_id"] == "jimo-district");
  CHECK(reg["parent_id"] == "city-fed");
  CHECK(reg["public_key"] == Base64Encode(*HexDecode(d)));
  CHECK(reg["grants"] == json::parse(R"([{"type":"MEMBER","levels":[]},
                        {"type":"MODEL_WORKER","levels":["MUNICIPAL","DISTRICT"]}])"));
  CHECK(reg["can_delegate"] == false);

  REQUIRE(
      Laurel(f.dir, {"tx", "sign", "--in", "tx.json", "--key", "admin3.key", "--out", "tx.json"})
          .code == 0);
  const auto sub = Laurel(f.dir, {"tx", "submit", "--rpc", f.node.url(), "--in", "tx.json"});
  INFO(Describe(sub));
  CHECK(sub.code == 0);
  CHECK(sub.out.find("result         OK\n") != std::string::npos);
  const auto txs = f.Txs();
  REQUIRE(txs.size() == 1);
  REQUIRE(txs[0].signatures.size() == 3);
  CHECK(HexEncode(txs[0].signatures[2].public_key) == a3);

  // Online: chain id and expiry come from the node's status (height 41 + --expires-in).
  const auto online =
      Laurel(f.dir, {"issuer", "set-status", "--rpc", f.node.url(), "--id", "jimo-district",
                     "--status", "suspended", "--reason", "audit", "--key", "admin1.key", "--key",
                     "admin2.key", "--expires-in", "10", "--json"});
  INFO(Describe(online));
  REQUIRE(online.code == 0);
  CHECK(json::parse(online.out)["result"] == "OK");
  const auto b = BodyOf(f.Txs().back());
  CHECK(b.chain_id == "laurel-test");
  CHECK(b.expires_at_height == 51);
  const auto* st = std::get_if<types::SetIssuerStatus>(&b.action);
  REQUIRE(st != nullptr);
  CHECK(st->status == types::IssuerStatus::kSuspended);
  CHECK(f.Txs().back().signatures.size() == 2);
}

TEST_CASE("history prints a table, hints at the next page, and --all follows the tokens",
          "[cli][net]") {
  Fixture f;
  const auto one = Laurel(f.dir, {"history", "--rpc", f.node.url(), "city-fed/MW/2026/000001"});
  INFO(Describe(one));
  REQUIRE(one.code == 0);
  CHECK(one.out.rfind("HEIGHT  TIME (UTC)", 0) == 0);
  CHECK(one.out.find("3       2026-05-28T20:26:43Z  issue_credential       OK                    "
                     "aaaaaaaaaaaaaaaa  bbbbbbbbbbbbbbbb\n") != std::string::npos);
  CHECK(one.out.find("(more: --page-token p2, or --all)\n") != std::string::npos);
  CHECK(one.out.find("ILLEGAL_TRANSITION") == std::string::npos);
  const auto all =
      Laurel(f.dir, {"history", "--rpc", f.node.url(), "city-fed/MW/2026/000001", "--all"});
  REQUIRE(all.code == 0);
  CHECK(all.out.find("ILLEGAL_TRANSITION") != std::string::npos);
  CHECK(all.out.find("(more:") == std::string::npos);
  const auto js = Laurel(
      f.dir, {"history", "--rpc", f.node.url(), "city-fed/MW/2026/000001", "--all", "--json"});
  REQUIRE(js.code == 0);
  CHECK(json::parse(js.out)["entries"].size() == 3);
  const auto unknown = Laurel(f.dir, {"history", "--rpc", f.node.url(), "city-fed/M/9"});
  CHECK(unknown.code == 1);
  CheckOneErrorLine(unknown);
  CHECK(unknown.err.find("NOT_FOUND") != std::string::npos);
}

TEST_CASE("issuer show, issuer list and status print the node's answers", "[cli][net]") {
  Fixture f;
  const auto show = Laurel(f.dir, {"issuer", "show", "--rpc", f.node.url(), "city-fed"});
  INFO(Describe(show));
  REQUIRE(show.code == 0);
  CHECK(show.out.find("grants         MEMBER; MODEL_WORKER: MUNICIPAL, DISTRICT\n") !=
        std::string::npos);
  CHECK(show.out.find("key            v1 " + f.fed_pub + " from height 0 (current)\n") !=
        std::string::npos);
  const auto missing = Laurel(f.dir, {"issuer", "show", "--rpc", f.node.url(), "nobody"});
  CHECK(missing.code == 1);
  CheckOneErrorLine(missing);
  const auto list = Laurel(f.dir, {"issuer", "list", "--rpc", f.node.url()});
  REQUIRE(list.code == 0);
  CHECK(list.out.find("city-fed                ISSUER_ACTIVE     -                   v1   City "
                      "Federation\n") != std::string::npos);
  const auto status = Laurel(f.dir, {"status", "--rpc", f.node.url()});
  REQUIRE(status.code == 0);
  CHECK(status.out.find("chain_id            laurel-test\n") != std::string::npos);
  CHECK(status.out.find("height              41\n") != std::string::npos);
  const auto js = Laurel(f.dir, {"status", "--rpc", f.node.url(), "--json"});
  CHECK(json::parse(js.out)["height"] == "41");
}

// ---- text people read: UTF-8 only, display rules, CSV in the encodings spreadsheets save ----

namespace {

std::vector<std::string> WithHolder(std::vector<std::string> args, const std::string& name) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--holder-name") args[i + 1] = name;
  }
  return args;
}

const std::string kWangFangGbk = "\xCD\xF5\xB7\xBC";           // 王芳 in GBK
const std::string kWangFangUtf8 = "\xE7\x8E\x8B\xE8\x8A\xB3";  // 王芳 in UTF-8

}  // namespace

TEST_CASE("card issue refuses a holder name that is not UTF-8 before anything is signed or sent",
          "[cli][net][badinput]") {
  Fixture f;
  const auto r = Laurel(f.dir, WithHolder(f.IssueArgs("card.lc1"), kWangFangGbk));
  INFO(Describe(r));
  CHECK(r.code == 2);
  CheckOneErrorLine(r);
  CHECK(r.err.find("--holder-name is not UTF-8 text") != std::string::npos);
  CHECK(r.err.find("libprotobuf") == std::string::npos);
  CHECK(f.Txs().empty());
  CHECK_FALSE(fs::exists(f.dir / "card.lc1"));
}

TEST_CASE("card issue refuses holder names a gate screen could be spoofed with",
          "[cli][net][badinput]") {
  Fixture f;
  const std::string bad = GENERATE(std::string("Li\nWei"), std::string("\x1b[31mLi Wei"),
                                   std::string("Li \xE2\x80\xAE"
                                               "ieW"),  // U+202E override
                                   std::string(65, 'x'), std::string("Li\tWei"));
  const auto r = Laurel(f.dir, WithHolder(f.IssueArgs("card.lc1"), bad));
  INFO(Describe(r));
  CHECK(r.code == 2);
  CheckOneErrorLine(r);
  CHECK(r.err.find("holder name") != std::string::npos);
  CHECK(f.Txs().empty());
  CHECK_FALSE(fs::exists(f.dir / "card.lc1"));
}

TEST_CASE("card issue takes a Chinese name of 64 characters and puts names in NFC", "[cli][net]") {
  Fixture f;
  std::string long_name;
  for (int i = 0; i < 64; ++i) long_name += kWangFangUtf8.substr(0, 3);
  const auto r = Laurel(f.dir, WithHolder(f.IssueArgs("long.lc1"), long_name));
  INFO(Describe(r));
  CHECK(r.code == 0);
  // "Zoe\u0301" (e + combining acute) is written as "Zo\u00e9".
  const auto d = Laurel(f.dir, WithHolder(f.IssueArgs("nfc.lc1"), "Zoe\xCC\x81"));
  INFO(Describe(d));
  REQUIRE(d.code == 0);
  auto card = types::CardFromText(ReadFile(f.dir / "nfc.lc1"));
  REQUIRE(card.ok());
  CHECK(types::DecodeCardBody(card->body)->holder_name == "Zo\xC3\xA9");
}

TEST_CASE("status reasons and issuer names that break the display rules are refused unsent",
          "[cli][net][badinput]") {
  Fixture f;
  const auto r =
      Laurel(f.dir, {"card", "suspend", "--rpc", f.node.url(), "--id", "city-fed/MW/2026/000001",
                     "--key", "fed.key", "--reason", "lost\x1b[2J"});
  INFO(Describe(r));
  CHECK(r.code == 2);
  CHECK(r.err.find("--reason: contains a control character (U+001B)") != std::string::npos);
  CHECK(f.Txs().empty());
}

TEST_CASE("the common flags work before the command", "[cli][net]") {
  Fixture f;
  const auto r = Laurel(f.dir, {"--rpc", f.node.url(), "status"});
  INFO(Describe(r));
  CHECK(r.code == 0);
  CHECK(r.out.find("laurel-test") != std::string::npos);
  const auto j = Laurel(f.dir, {"--json", "--rpc=" + f.node.url(), "status"});
  INFO(Describe(j));
  CHECK(j.code == 0);
  CHECK(json::parse(j.out, nullptr, false).is_object());
}

TEST_CASE("card issue-csv reads UTF-8 with or without BOM and GBK, and issues one card a row",
          "[cli][net]") {
  Fixture f;
  const std::string header = "holder_name,member_no,id\n";
  const std::string rows_utf8 = kWangFangUtf8 + ",HN-0001,city-fed/M/2026/000001\r\n" +
                                "\"Li, Wei\",HN-0002,city-fed/M/2026/000002\n";
  const std::string rows_gbk = kWangFangGbk + ",HN-0001,city-fed/M/2026/000001\r\n" +
                               "\"Li, Wei\",HN-0002,city-fed/M/2026/000002\n";
  const std::string csv =
      GENERATE_COPY(header + rows_utf8, "\xEF\xBB\xBF" + header + rows_utf8, header + rows_gbk);
  WriteFile(f.dir / "members.csv", csv);
  fs::create_directory(f.dir / "cards");
  const auto r = Laurel(f.dir, {"card", "issue-csv", "--rpc", f.node.url(), "--csv", "members.csv",
                                "--out-dir", "cards", "--issuer", "city-fed", "--key", "fed.key",
                                "--type", "member", "--valid-until", "2030-12-31"});
  INFO(Describe(r));
  CHECK(r.code == 0);
  CHECK(r.out.find("issued 2 of 2 cards") != std::string::npos);
  REQUIRE(f.Txs().size() == 2);
  auto card = types::CardFromText(ReadFile(f.dir / "cards/city-fed_M_2026_000001.lc1"));
  REQUIRE(card.ok());
  CHECK(types::DecodeCardBody(card->body)->holder_name == kWangFangUtf8);
  auto second = types::CardFromText(ReadFile(f.dir / "cards/city-fed_M_2026_000002.lc1"));
  REQUIRE(second.ok());
  CHECK(types::DecodeCardBody(second->body)->holder_name == "Li, Wei");
}

TEST_CASE("card issue-csv refuses the whole file on a bad row before sending anything",
          "[cli][net][badinput]") {
  Fixture f;
  fs::create_directory(f.dir / "cards");
  const std::string bad = GENERATE(
      std::string("holder_name,member_no\nLi Wei,HN-1\n\"Bad\x1b[0m\",HN-2\n"),  // control
      std::string("holder_name,member_no\nLi Wei,HN-1\n\"open,HN-2\n"),          // quote open
      std::string("name,number\nLi Wei,HN-1\n"),                                 // columns
      std::string("holder_name,member_no\nLi Wei,HN-1\n\xFF\xFF,HN-2\n"),        // not GB18030
      std::string("holder_name,member_no,id\nA,1,city-fed/M/1\nB,2,city-fed/M/1\n"));  // twice
  WriteFile(f.dir / "members.csv", bad);
  const auto r = Laurel(f.dir, {"card", "issue-csv", "--rpc", f.node.url(), "--csv", "members.csv",
                                "--out-dir", "cards", "--issuer", "city-fed", "--key", "fed.key",
                                "--type", "member", "--valid-until", "2030-12-31"});
  INFO(Describe(r));
  CHECK(r.code == 2);
  CheckOneErrorLine(r);
  CHECK(r.err.find("members.csv") != std::string::npos);
  CHECK(f.Txs().empty());
  CHECK(fs::is_empty(f.dir / "cards"));
}

// ---- status changes: --dry-run, and a change the ledger would refuse explained, unsent ----

TEST_CASE("card suspend --dry-run shows the change and sends nothing", "[cli][net]") {
  Fixture f;
  const auto r =
      Laurel(f.dir, {"card", "suspend", "--rpc", f.node.url(), "--id", "city-fed/MW/2026/000001",
                     "--key", "fed.key", "--reason", "phone lost", "--dry-run"});
  INFO(Describe(r));
  CHECK(r.code == 0);
  CHECK(r.out.rfind("dry run: would set city-fed/MW/2026/000001 from ACTIVE to SUSPENDED "
                    "(reason \"phone lost\"), signed by " +
                        f.fed_pub.substr(0, 16) + "...",
                    0) == 0);
  CHECK(f.Txs().empty());
}

TEST_CASE("a status the card already has, or a change after revoke, is explained and not sent",
          "[cli][net]") {
  Fixture f;
  // The fake record is ACTIVE: reinstating it is the no-op the ledger refuses.
  const auto r = Laurel(f.dir, {"card", "reinstate", "--rpc", f.node.url(), "--id",
                                "city-fed/MW/2026/000001", "--key", "fed.key"});
  INFO(Describe(r));
  CHECK(r.code == 1);
  CheckOneErrorLine(r);
  CHECK(r.err.find("is ACTIVE already since height") != std::string::npos);
  CHECK(r.err.find("ILLEGAL_TRANSITION") != std::string::npos);
  CHECK(f.Txs().empty());
  // Without a terminal, revoke asks nothing (scripts) and --yes is accepted.
  const auto v = Laurel(f.dir, {"card", "revoke", "--rpc", f.node.url(), "--id",
                                "city-fed/MW/2026/000001", "--key", "fed.key", "--yes"});
  INFO(Describe(v));
  CHECK(v.code == 0);
  CHECK(f.Txs().size() == 1);
}

TEST_CASE("card replace renews the credential with the record's validity in one transaction",
          "[cli][net]") {
  Fixture f;
  const auto r =
      Laurel(f.dir, {"card", "replace", "--rpc", f.node.url(), "--id", "city-fed/MW/2026/000001",
                     "--key", "fed.key", "--holder-name", "\xE7\x8E\x8B\xE8\x8A\xB3", "--member-no",
                     "QD-0042", "--out", "new.lc1"});
  INFO(Describe(r));
  REQUIRE(r.code == 0);
  CHECK(r.out.find("replaced: the previous card of city-fed/MW/2026/000001 is refused from now "
                   "on (DIGEST_MISMATCH)") != std::string::npos);
  REQUIRE(f.Txs().size() == 1);
  const auto body = BodyOf(f.Txs()[0]);
  const auto* renew = std::get_if<types::RenewCredential>(&body.action);
  REQUIRE(renew != nullptr);
  CHECK(renew->valid_until == 1861920000);  // the record's
  auto card = types::CardFromText(ReadFile(f.dir / "new.lc1"));
  REQUIRE(card.ok());
  CHECK(types::DecodeCardBody(card->body)->holder_name == "\xE7\x8E\x8B\xE8\x8A\xB3");
}

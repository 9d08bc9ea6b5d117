// End-to-end tests of the `laurel` binary: each test runs the real executable in a fresh
// temporary directory and checks its exit code, stdout, stderr and the files it writes.
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/base45.h"
#include "crypto/keyfile.h"
#include "cli/qr.h"
#include "ledger/genesis_io.h"
#include "tests/support/vectors.h"
#include "tests/unit/cli/cli_test_util.h"
#include "types/card.h"
#include "types/tx.h"

using namespace laurel;
using namespace laurel::cli_test;
namespace fs = std::filesystem;

namespace {

std::string Base64Of(const std::string& hex) { return Base64Encode(*HexDecode(hex)); }

// An unsigned register_issuer tx for chain "cli-test" in tx.json; returns its tx_id.
std::string BuildTx(const TempDir& dir, const std::string& issuer_pub_hex,
                    const std::string& out = "tx.json") {
  nlohmann::json body = {
      {"chain_id", "cli-test"},
      {"register_issuer",
       {{"issuer_id", "fed"},
        {"name", "Federation"},
        {"public_key", Base64Of(issuer_pub_hex)},
        {"grants", {{{"type", "MEMBER"}}, {{"type", "MODEL_WORKER"}, {"levels", {"NATIONAL"}}}}},
        {"can_delegate", true}}}};
  WriteFile(dir / "body.json", body.dump());
  const auto r = Laurel(dir, {"tx", "build", "--in", "body.json", "--out", out});
  INFO(Describe(r));
  REQUIRE(r.code == 0);
  REQUIRE(r.err.rfind("tx_id ", 0) == 0);
  return r.err.substr(6, 64);
}

types::Tx TxOfJsonFile(const std::string& path) {
  const auto j = nlohmann::json::parse(ReadFile(path));
  types::Tx tx;
  tx.body = *Base64Decode(j["body"].get<std::string>());
  for (const auto& s : j["signatures"]) {
    tx.signatures.push_back({*Base64Decode(s["public_key"].get<std::string>()),
                             *Base64Decode(s["signature"].get<std::string>())});
  }
  return tx;
}

types::CardBody SampleCardBody() {
  types::CardBody b;
  b.chain_id = "cli-test";
  b.credential_id = "fed/MEM/000042";
  b.issuer_id = "fed";
  b.key_version = 1;
  b.type = types::CredentialType::kMember;
  b.holder_name = "Li Na";
  b.member_no = "000042";
  b.salt = Bytes(types::kCardSaltSize, 0x33);
  b.valid_from = 1704067200;
  b.valid_until = 1861920000;
  return b;
}

}  // namespace

TEST_CASE("keygen writes a 0600 key file, prints its public key and never overwrites it", "[cli]") {
  TempDir dir;
  const std::string pub = Keygen(dir, "a.key");
  struct stat st {};
  REQUIRE(stat((dir / "a.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto key = crypto::ReadKeyFile(dir / "a.key");
  REQUIRE(key.ok());
  CHECK(HexEncode(key->public_key()) == pub);

  const std::string before = ReadFile(dir / "a.key");
  const auto again = Laurel(dir, {"keygen", "--out", "a.key"});
  CHECK(again.code == 2);
  CHECK(again.out.empty());
  CheckOneErrorLine(again);
  CHECK(again.err.find("already exists") != std::string::npos);
  CHECK(ReadFile(dir / "a.key") == before);
}

TEST_CASE("a key made with --passphrase-file is encrypted and signs only with it", "[cli]") {
  TempDir dir;
  WriteFile(dir / "pass", "correct horse\n");
  const auto r = Laurel(dir, {"keygen", "--out", "enc.key", "--passphrase-file", "pass"});
  REQUIRE(r.code == 0);
  CHECK(*crypto::KeyFileIsEncrypted(dir / "enc.key"));
  CHECK(crypto::ReadKeyFile(dir / "enc.key", std::string("correct horse")).ok());

  BuildTx(dir, r.out.substr(0, 64));
  const auto no_pass = Laurel(dir, {"tx", "sign", "--in", "tx.json", "--key", "enc.key"});
  CHECK(no_pass.code == 2);
  CheckOneErrorLine(no_pass);
  CHECK(no_pass.err.find("--passphrase-file") != std::string::npos);
  WriteFile(dir / "wrong", "wrong horse");
  CHECK(Laurel(dir,
               {"tx", "sign", "--in", "tx.json", "--key", "enc.key", "--passphrase-file", "wrong"})
            .code == 2);
  const auto ok = Laurel(dir, {"tx", "sign", "--in", "tx.json", "--key", "enc.key",
                               "--passphrase-file", "pass", "--out", "signed.json"});
  INFO(Describe(ok));
  CHECK(ok.code == 0);
  CHECK(TxOfJsonFile(dir / "signed.json").signatures.size() == 1);
}

TEST_CASE("keygen, genesis, tx build, tx sign and tx inspect work together", "[cli]") {
  TempDir dir;
  const std::string admin1 = Keygen(dir, "admin1.key");
  const std::string admin2 = Keygen(dir, "admin2.key");
  const std::string v1 = Keygen(dir, "v1.key");
  const std::string v2 = Keygen(dir, "v2.key");
  const std::string issuer = Keygen(dir, "issuer.key");

  const nlohmann::json issuers = nlohmann::json::array({{{"issuer_id", "fed"},
                                                         {"name", "Federation"},
                                                         {"public_key", Base64Of(issuer)},
                                                         {"grants", {{{"type", "MEMBER"}}}},
                                                         {"can_delegate", true}}});
  WriteFile(dir / "issuers.json", issuers.dump());
  const auto g =
      Laurel(dir, {"genesis", "--chain-id", "cli-test", "--validator", v1 + "=v1@127.0.0.1:7001",
                   "--validator-key", "v2.key=v2@127.0.0.1:7002", "--admin", admin1, "--admin-key",
                   "admin2.key", "--threshold", "2", "--issuers", "issuers.json", "--time-ms",
                   "1700000000000", "--out", "genesis.json"});
  INFO(Describe(g));
  REQUIRE(g.code == 0);
  auto genesis = ledger::LoadGenesis(dir / "genesis.json");
  REQUIRE(genesis.ok());
  CHECK(genesis->chain_id == "cli-test");
  CHECK(genesis->genesis_time_ms == 1700000000000ULL);
  CHECK(genesis->threshold == 2);
  REQUIRE(genesis->validators.size() == 2);
  CHECK(HexEncode(genesis->validators[0].public_key) == v1);
  CHECK(genesis->validators[0].name == "v1");
  CHECK(genesis->validators[0].address == "127.0.0.1:7001");
  CHECK(HexEncode(genesis->validators[1].public_key) == v2);
  REQUIRE(genesis->admin_keys.size() == 2);
  CHECK(HexEncode(genesis->admin_keys[0]) == admin1);
  CHECK(HexEncode(genesis->admin_keys[1]) == admin2);
  REQUIRE(genesis->issuers.size() == 1);
  CHECK(genesis->issuers[0].issuer_id == "fed");
  CHECK(HexEncode(genesis->issuers[0].public_key) == issuer);

  const std::string tx_id = BuildTx(dir, issuer);
  const types::Tx unsigned_tx = TxOfJsonFile(dir / "tx.json");
  CHECK(unsigned_tx.signatures.empty());
  CHECK(HexEncode(types::TxId(unsigned_tx)) == tx_id);
  auto body = types::DecodeTxBody(unsigned_tx.body);
  REQUIRE(body.ok());
  CHECK(body->chain_id == "cli-test");
  CHECK(body->nonce.size() == 16);
  CHECK(body->expires_at_height == 1000000);
  CHECK(std::get<types::RegisterIssuer>(body->action).issuer_id == "fed");

  // Sign in place with both admins: the body bytes never change.
  for (const char* key : {"admin1.key", "admin2.key"}) {
    const auto s = Laurel(dir, {"tx", "sign", "--in", "tx.json", "--key", key, "--out", "tx.json"});
    INFO(Describe(s));
    REQUIRE(s.code == 0);
  }
  const types::Tx signed_tx = TxOfJsonFile(dir / "tx.json");
  CHECK(signed_tx.body == unsigned_tx.body);
  REQUIRE(signed_tx.signatures.size() == 2);
  CHECK(HexEncode(signed_tx.signatures[0].public_key) == admin1);
  CHECK(HexEncode(signed_tx.signatures[1].public_key) == admin2);

  const auto i = Laurel(dir, {"tx", "inspect", "--in", "tx.json", "--json"});
  INFO(Describe(i));
  REQUIRE(i.code == 0);
  CHECK(std::count(i.out.begin(), i.out.end(), '\n') == 1);
  const auto j = nlohmann::json::parse(i.out);
  CHECK(j["tx_id"] == tx_id);
  CHECK(j["valid"] == true);
  CHECK(j["action"] == "register_issuer");
  CHECK(j["body"]["chain_id"] == "cli-test");
  CHECK(j["body"]["register_issuer"]["issuer_id"] == "fed");
  REQUIRE(j["signatures"].size() == 2);
  CHECK(j["signatures"][0]["public_key"] == admin1);
  CHECK(j["signatures"][0]["valid"] == true);

  // The same tx in wire form, via stdin.
  const auto b = Laurel(
      dir, {"tx", "sign", "--in", "tx.json", "--key", "v1.key", "--binary", "--out", "tx.bin"});
  REQUIRE(b.code == 0);
  auto wire = types::DecodeTx(AsBytes(ReadFile(dir / "tx.bin")));
  REQUIRE(wire.ok());
  CHECK(wire->signatures.size() == 3);
  const auto ib = Laurel(dir, {"tx", "inspect", "--in", "-"}, dir / "tx.bin");
  INFO(Describe(ib));
  CHECK(ib.code == 0);
  CHECK(nlohmann::json::parse(ib.out)["tx_id"] == tx_id);
}

TEST_CASE("tx build honours a given nonce and --expires-at-height, and refuses bad bodies",
          "[cli][badinput]") {
  TempDir dir;
  WriteFile(dir / "b.json",
            R"({"chain_id":"c","nonce":"AAECAwQFBgcICQoLDA0ODw==",)"
            R"("set_credential_status":{"credential_id":"fed/1","status":"REVOKED"}})");
  auto r = Laurel(dir, {"tx", "build", "--in", "b.json", "--expires-at-height", "77"});
  INFO(Describe(r));
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  auto body = types::DecodeTxBody(*Base64Decode(j["body"].get<std::string>()));
  REQUIRE(body.ok());
  CHECK(HexEncode(body->nonce) == "000102030405060708090a0b0c0d0e0f");
  CHECK(body->expires_at_height == 77);
  CHECK(std::get<types::SetCredentialStatus>(body->action).status ==
        types::CredentialStatus::kRevoked);
  // Two builds of one body get different random nonces.
  WriteFile(dir / "n.json", R"({"chain_id":"c","rotate_issuer_key":{"issuer_id":"fed"}})");
  CHECK(Laurel(dir, {"tx", "build", "--in", "n.json"}).err !=
        Laurel(dir, {"tx", "build", "--in", "n.json"}).err);

  const std::pair<const char*, const char*> bad[] = {
      {"no chain id", R"({"rotate_issuer_key":{"issuer_id":"fed"}})"},
      {"no action", R"({"chain_id":"c"})"},
      {"unknown field", R"({"chain_id":"c","colour":1,"rotate_issuer_key":{}})"},
      {"unknown enum name", R"({"chain_id":"c","set_issuer_status":{"status":"ASLEEP"}})"},
      {"unknown enum number", R"({"chain_id":"c","set_issuer_status":{"status":7}})"},
      {"short nonce", R"({"chain_id":"c","nonce":"AAE=","rotate_issuer_key":{}})"},
      {"not json", "chain_id = c"},
  };
  for (const auto& [what, json] : bad) {
    INFO(what);
    WriteFile(dir / "bad.json", json);
    const auto b = Laurel(dir, {"tx", "build", "--in", "bad.json"});
    CHECK(b.code == 1);
    CHECK(b.out.empty());
    CheckOneErrorLine(b);
  }
}

TEST_CASE("the exit code is 2 for usage and I/O errors", "[cli]") {
  TempDir dir;
  const std::vector<std::vector<std::string>> usage = {
      {},
      {"no-such-command"},
      {"keygen"},
      {"keygen", "--out", "k", "--colour", "red"},
      {"tx"},
      {"tx", "build"},
      {"genesis", "--chain-id", "c", "--admin", "00", "--threshold", "1", "--out", "g.json"},
      {"tx", "build", "--in", "missing.json"},
      {"tx", "sign", "--in", "missing.json", "--key", "missing.key"},
      {"tx", "inspect", "--in", "missing.json"},
      {"card", "inspect", "--file", "missing.lc1"},
      {"card", "inspect"},
      {"keygen", "--out", "no-such-dir/k.key"},
  };
  for (const auto& args : usage) {
    std::string line;
    for (const auto& a : args) line += a + " ";
    INFO("laurel " << line);
    const auto r = Laurel(dir, args);
    CHECK(r.code == 2);
    CheckOneErrorLine(r);
  }
  CHECK(Laurel(dir, {"--help"}).code == 0);
  CHECK(Laurel(dir, {"tx", "sign", "--help"}).code == 0);
}

TEST_CASE("tx inspect and tx sign refuse bad signatures and bodies with exit 1",
          "[cli][badinput]") {
  TempDir dir;
  Keygen(dir, "a.key");
  BuildTx(dir, Keygen(dir, "issuer.key"));
  REQUIRE(
      Laurel(dir, {"tx", "sign", "--in", "tx.json", "--key", "a.key", "--out", "tx.json"}).code ==
      0);

  // Signing twice with one key.
  const auto twice = Laurel(dir, {"tx", "sign", "--in", "tx.json", "--key", "a.key"});
  CHECK(twice.code == 1);
  CheckOneErrorLine(twice);
  CHECK(twice.err.find("already signed") != std::string::npos);

  // One flipped signature bit.
  auto j = nlohmann::json::parse(ReadFile(dir / "tx.json"));
  Bytes sig = *Base64Decode(j["signatures"][0]["signature"].get<std::string>());
  sig[5] ^= 0x01;
  j["signatures"][0]["signature"] = Base64Encode(sig);
  WriteFile(dir / "badsig.json", j.dump());
  const auto bs = Laurel(dir, {"tx", "inspect", "--in", "badsig.json"});
  CHECK(bs.code == 1);
  CheckOneErrorLine(bs);
  const auto bj = nlohmann::json::parse(bs.out);
  CHECK(bj["valid"] == false);
  CHECK(bj["signatures"][0]["valid"] == false);

  // A body with an unknown field appended (the signature is then wrong too).
  auto j2 = nlohmann::json::parse(ReadFile(dir / "tx.json"));
  Bytes body = *Base64Decode(j2["body"].get<std::string>());
  body.insert(body.end(), {0x98, 0x06, 0x01});
  j2["body"] = Base64Encode(body);
  j2["signatures"] = nlohmann::json::array();
  WriteFile(dir / "badbody.json", j2.dump());
  const auto bb = Laurel(dir, {"tx", "inspect", "--in", "badbody.json"});
  CHECK(bb.code == 1);
  CheckOneErrorLine(bb);
  CHECK(bb.err.find("canonical") != std::string::npos);
  CHECK(nlohmann::json::parse(bb.out)["body"].is_null());
  const auto sb = Laurel(dir, {"tx", "sign", "--in", "badbody.json", "--key", "a.key"});
  CHECK(sb.code == 1);
  CheckOneErrorLine(sb);

  // Garbage that is not a Tx at all.
  WriteFile(dir / "garbage.bin", std::string("\xff\xff\xff\x01", 4));
  CHECK(Laurel(dir, {"tx", "inspect", "--in", "garbage.bin"}).code == 1);
  WriteFile(dir / "garbage.json", R"({"body": 12})");
  CHECK(Laurel(dir, {"tx", "inspect", "--in", "garbage.json"}).code == 1);
}

TEST_CASE("genesis refuses an invalid document and never overwrites one", "[cli][badinput]") {
  TempDir dir;
  const std::string admin = Keygen(dir, "admin.key");
  const std::string v = Keygen(dir, "v.key");
  // Threshold above the number of admins: ValidateGenesis says no (exit 1), nothing written.
  const auto r = Laurel(dir, {"genesis", "--chain-id", "c", "--validator", v, "--admin", admin,
                              "--threshold", "2", "--out", "g.json"});
  CHECK(r.code == 1);
  CheckOneErrorLine(r);
  CHECK_FALSE(fs::exists(dir / "g.json"));
  // A validator given twice.
  CHECK(Laurel(dir, {"genesis", "--chain-id", "c", "--validator", v, "--validator-key", "v.key",
                     "--admin", admin, "--threshold", "1", "--out", "g.json"})
            .code == 1);
  // A bad issuers file.
  WriteFile(dir / "issuers.json", R"([{"issuer_id":"fed","grants":[{"type":"PILOT"}]}])");
  const auto bi = Laurel(dir, {"genesis", "--chain-id", "c", "--validator", v, "--admin", admin,
                               "--threshold", "1", "--issuers", "issuers.json", "--out", "g.json"});
  CHECK(bi.code == 1);
  CheckOneErrorLine(bi);
  CHECK(bi.err.find("issuer #0") != std::string::npos);

  const std::vector<std::string> good = {"genesis", "--chain-id", "c",     "--validator",
                                         v,         "--admin",    admin,   "--threshold",
                                         "1",       "--out",      "g.json"};
  REQUIRE(Laurel(dir, good).code == 0);
  const std::string first = ReadFile(dir / "g.json");
  const auto again = Laurel(dir, good);
  CHECK(again.code == 2);
  CheckOneErrorLine(again);
  CHECK(ReadFile(dir / "g.json") == first);
  // Bad key material on the command line is a usage error.
  CHECK(Laurel(dir, {"genesis", "--chain-id", "c", "--validator", v + "=nameonly", "--admin", admin,
                     "--threshold", "1", "--out", "h.json"})
            .code == 2);
}

TEST_CASE("card inspect shows a card's fields and digest and checks its signature", "[cli]") {
  TempDir dir;
  const auto issuer = crypto::PrivateKey::Generate();
  const auto other = crypto::PrivateKey::Generate();
  const types::Card card = types::SignCard(SampleCardBody(), issuer);
  const std::string text = types::CardToText(card);
  const std::string digest = HexEncode(types::CardDigest(card.body));

  const auto h = Laurel(dir, {"card", "inspect", text});
  INFO(Describe(h));
  REQUIRE(h.code == 0);
  CHECK(h.out.find("fed/MEM/000042") != std::string::npos);
  CHECK(h.out.find("Li Na") != std::string::npos);
  CHECK(h.out.find("MEMBER") != std::string::npos);
  CHECK(h.out.find("2024-01-01T00:00:00Z") != std::string::npos);
  CHECK(h.out.find(digest) != std::string::npos);
  CHECK(h.out.find("not checked") != std::string::npos);

  WriteFile(dir / "card.lc1", text + "\n");
  const auto f = Laurel(dir, {"card", "inspect", "--file", "card.lc1", "--json", "--issuer-key",
                              HexEncode(issuer.public_key())});
  INFO(Describe(f));
  REQUIRE(f.code == 0);
  const auto j = nlohmann::json::parse(f.out);
  CHECK(j["credential_id"] == "fed/MEM/000042");
  CHECK(j["type"] == "MEMBER");
  CHECK(j["level"] == "LEVEL_UNSPECIFIED");  // as the API spells it
  CHECK(j["valid_until"] == 1861920000);
  CHECK(j["card_digest"] == digest);
  CHECK(j["signature_valid"] == true);

  const auto wrong =
      Laurel(dir, {"card", "inspect", text, "--issuer-key", HexEncode(other.public_key())});
  CHECK(wrong.code == 1);
  CheckOneErrorLine(wrong);
  CHECK(wrong.err.find("signature") != std::string::npos);
}

TEST_CASE("card inspect refuses malformed cards with exit 1 and the reason", "[cli][badinput]") {
  TempDir dir;
  const types::Card card = types::SignCard(SampleCardBody(), crypto::PrivateKey::Generate());
  const std::string text = types::CardToText(card);
  const std::pair<std::string, std::string> bad[] = {
      {"HC1:" + text.substr(4), "LC1:"},
      {text.substr(0, text.size() - 1), ""},
      {text + "a", ""},
      {"LC1:" + Base45Encode(AsBytes("not a card")), ""},
  };
  for (const auto& [input, reason] : bad) {
    INFO(input);
    const auto r = Laurel(dir, {"card", "inspect", input});
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CheckOneErrorLine(r);
    CHECK(r.err.find("malformed card") != std::string::npos);
    CHECK(r.err.find(reason) != std::string::npos);
  }
  // Both an argument and --file, or a key that is not hex: usage.
  WriteFile(dir / "card.lc1", text);
  CHECK(Laurel(dir, {"card", "inspect", text, "--file", "card.lc1"}).code == 2);
  CHECK(Laurel(dir, {"card", "inspect", text, "--issuer-key", "xyz"}).code == 2);
}

TEST_CASE("card inspect reports the golden card's digest from docs/spec/signing.md", "[cli]") {
  TempDir dir;
  const auto golden = test::ReadJson(test::TestDataDir() + "/golden/signing.json");
  const auto r = Laurel(dir, {"card", "inspect", golden["card"]["lc1"].get<std::string>(), "--json",
                              "--issuer-key", golden["key"]["public_key"]});
  INFO(Describe(r));
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["card_digest"] == golden["card"]["digest"]);
  CHECK(j["salt"] == "404142434445464748494a4b4c4d4e4f");
  CHECK(j["signature_valid"] == true);
}

TEST_CASE("card qr writes the card's QR code, and with --print a CR80 card a scanner reads",
          "[cli][qr]") {
  TempDir dir;
  const auto issuer = crypto::PrivateKey::Generate();
  types::CardBody body = SampleCardBody();
  body.holder_name = "\xE7\x8E\x8B\xE8\x8A\xB3";  // 王芳
  body.type = types::CredentialType::kModelWorker;
  body.level = types::Level::kMunicipal;
  const std::string text = types::CardToText(types::SignCard(body, issuer));
  WriteFile(dir / "card.lc1", text + "\n");

  const auto plain = Laurel(dir, {"card", "qr", "--file", "card.lc1", "--out", "card.png"});
  INFO(Describe(plain));
  REQUIRE(plain.code == 0);
  CHECK(*laurel::cli::DecodeQrPng(ReadFile(dir / "card.png")) == text);

  const auto print = Laurel(dir, {"card", "qr", text, "--print", "--union",
                                  "\xE9\x9D\x92\xE5\xB2\x9B\xE5\xB8\x82\xE6\x80\xBB\xE5\xB7\xA5"
                                  "\xE4\xBC\x9A",  // 青岛市总工会
                                  "--out", "print.png"});
  INFO(Describe(print));
  REQUIRE(print.code == 0);
  const std::string png = ReadFile(dir / "print.png");
  // 85.60 x 53.98 mm at 300 dpi: the width and height in the IHDR chunk.
  REQUIRE(png.size() > 24);
  auto be32 = [&](size_t at) {
    return (uint32_t(uint8_t(png[at])) << 24) | (uint32_t(uint8_t(png[at + 1])) << 16) |
           (uint32_t(uint8_t(png[at + 2])) << 8) | uint32_t(uint8_t(png[at + 3]));
  };
  CHECK(be32(16) == 1011);
  CHECK(be32(20) == 638);
  CHECK(*laurel::cli::DecodeQrPng(png) == text);  // the printed card scans

  const auto pdf = Laurel(dir, {"card", "qr", "--file", "card.lc1", "--print", "--out", "c.pdf"});
  INFO(Describe(pdf));
  REQUIRE(pdf.code == 0);
  const std::string doc = ReadFile(dir / "c.pdf");
  CHECK(doc.rfind("%PDF-", 0) == 0);
  CHECK(doc.find("/MediaBox [ 0 0 242.") != std::string::npos);  // 85.60 mm in points

  // Never over an existing file; a PDF only as a printable card; a damaged card exits 1; a
  // card whose name a gate would refuse is not printed.
  CHECK(Laurel(dir, {"card", "qr", text, "--out", "card.png"}).code == 2);
  CHECK(Laurel(dir, {"card", "qr", text, "--out", "x.pdf"}).code == 2);
  CHECK(Laurel(dir, {"card", "qr", "LC1:NOT-A-CARD", "--out", "y.png"}).code == 1);
  body.holder_name = "Li\x1b[2JWei";
  const auto unsafe =
      Laurel(dir, {"card", "qr", types::CardToText(types::SignCard(body, issuer)), "--print",
                   "--out", "z.png"});
  CHECK(unsafe.code == 1);
  CHECK(unsafe.err.find("UNSAFE_TEXT") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "z.png"));
}

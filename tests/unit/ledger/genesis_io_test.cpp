// The genesis document codec: round trips, what it refuses, and reading it from a file.
#include "ledger/genesis_io.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/unit/ledger/ledger_fixture.h"

using namespace laurel;
using namespace laurel::ledger;
using namespace laurel::ledger::test;

namespace {

Genesis SampleGenesis() {
  Genesis g;
  g.chain_id = "laurel-test";
  g.genesis_time_ms = 1700000000000;
  g.validators = {types::Validator{Pub(KeyFrom(100)), "v0", "127.0.0.1:9000"},
                  types::Validator{Pub(KeyFrom(101)), "v1", "127.0.0.1:9001"}};
  g.admin_keys = {Pub(KeyFrom(1)), Pub(KeyFrom(2))};
  g.threshold = 2;
  g.issuers = {types::RegisterIssuer{"city-fed", "City Federation", "", Pub(KeyFrom(10)),
                                     AllGrants(), true}};
  return g;
}

// A fresh directory under the system temp dir, removed at the end of the test.
struct TempDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("laurel-genesis-io-" + std::to_string(::getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("a genesis document parses back to the same document, indented by two spaces") {
  auto json = GenesisToJson(SampleGenesis());
  REQUIRE(json.ok());
  CHECK(json->back() == '\n');
  CHECK(json->find("\n  \"chain_id\": \"laurel-test\"") != std::string::npos);
  auto parsed = ParseGenesisJson(*json);
  REQUIRE(parsed.ok());
  CHECK(parsed->chain_id == "laurel-test");
  CHECK(parsed->validators.size() == 2);
  CHECK(parsed->issuers.at(0).issuer_id == "city-fed");
  CHECK(*GenesisToJson(*parsed) == *json);
}

TEST_CASE("a genesis document with an unknown field or a failed validation is refused") {
  auto doc = nlohmann::json::parse(*GenesisToJson(SampleGenesis()));
  doc["colour"] = "red";
  auto unknown = ParseGenesisJson(doc.dump());
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().code() == StatusCode::kInvalidArgument);

  doc.erase("colour");
  doc["threshold"] = 3;  // more than the two admin keys
  auto invalid = ParseGenesisJson(doc.dump());
  REQUIRE_FALSE(invalid.ok());
  CHECK(invalid.status().message().rfind("invalid genesis: ", 0) == 0);

  Genesis g = SampleGenesis();
  g.threshold = 3;
  CHECK_FALSE(GenesisToJson(g).ok());
}

TEST_CASE("an issuers file is a JSON array of RegisterIssuer objects") {
  auto doc = nlohmann::json::parse(*GenesisToJson(SampleGenesis()));
  auto issuers = ParseIssuersJson(doc["issuers"].dump());
  REQUIRE(issuers.ok());
  CHECK(issuers->size() == 1);
  CHECK_FALSE(ParseIssuersJson(doc["issuers"][0].dump()).ok());  // an object, not an array
}

TEST_CASE("LoadGenesis names the file in its errors and tells a missing file apart") {
  TempDir dir;
  const std::string path = (dir.path / "genesis.json").string();
  auto missing = LoadGenesis(path);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == StatusCode::kNotFound);

  std::ofstream(path) << *GenesisToJson(SampleGenesis());
  auto loaded = LoadGenesis(path);
  REQUIRE(loaded.ok());
  CHECK(loaded->chain_id == "laurel-test");

  std::ofstream(path, std::ios::trunc) << "{\"chain_id\": 7";
  auto bad = LoadGenesis(path);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == StatusCode::kInvalidArgument);
  CHECK(bad.status().message().rfind(path + ": ", 0) == 0);
}

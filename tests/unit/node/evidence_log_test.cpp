#include "node/evidence_log.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/unit/consensus/fixture.h"

using namespace laurel;
using namespace laurel::consensus;
using namespace laurel::consensus::test;
using laurel::node::EvidenceLog;

namespace {

Evidence TwoProposals(const Fixture& fx, Round round, uint32_t signer) {
  Block a = fx.MakeBlock(round, fx.genesis, fx.GQc(), 1);
  Block b = fx.MakeBlock(round, fx.genesis, fx.GQc(), 2);
  a.proposer = b.proposer = signer;
  SignBlock(a, TestKeys()[signer]);
  SignBlock(b, TestKeys()[signer]);
  Evidence e{Evidence::Kind::kProposal, signer, round, a.id, b.id};
  e.epoch = 1;
  e.first_sig = a.signature;
  e.second_sig = b.signature;
  return e;
}

Evidence TwoVotes(const Fixture& fx, Round round, uint32_t signer) {
  const Block a = fx.MakeBlock(round, fx.genesis, fx.GQc(), 1);
  const Block b = fx.MakeBlock(round, fx.genesis, fx.GQc(), 2);
  const Vote va = SignVote(VoteDataFor(a), signer, TestKeys()[signer]);
  const Vote vb = SignVote(VoteDataFor(b), signer, TestKeys()[signer]);
  Evidence e{Evidence::Kind::kVote, signer, round, a.id, b.id};
  e.epoch = 1;
  e.first_sig = va.signature;
  e.second_sig = vb.signature;
  e.first_vote = va.data;
  e.second_vote = vb.data;
  return e;
}

std::vector<nlohmann::json> Lines(const std::string& path) {
  std::vector<nlohmann::json> res;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) res.push_back(nlohmann::json::parse(line));
  return res;
}

}  // namespace

TEST_CASE("the evidence log counts, persists and dedups verified evidence", "[evidence]") {
  const Fixture fx;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("laurel-evidence-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "evidence.jsonl").string();
  {
    EvidenceLog log(path);
    const Evidence p = TwoProposals(fx, 5, 3);
    const Evidence v = TwoVotes(fx, 6, 2);
    auto r1 = log.Record(p, TestKeys()[3].public_key(), 1234);
    REQUIRE(r1.ok());
    CHECK(*r1);
    auto r2 = log.Record(v, TestKeys()[2].public_key(), 1235);
    REQUIRE(r2.ok());
    CHECK(*r2);
    // The same piece again (e.g. the other order of the same pair) is not counted twice.
    Evidence swapped = p;
    std::swap(swapped.first, swapped.second);
    std::swap(swapped.first_sig, swapped.second_sig);
    auto r3 = log.Record(swapped, TestKeys()[3].public_key(), 1236);
    REQUIRE(r3.ok());
    CHECK_FALSE(*r3);
    CHECK(log.count(Evidence::Kind::kProposal) == 1);
    CHECK(log.count(Evidence::Kind::kVote) == 1);
    CHECK(log.recent().size() == 2);

    // Evidence that does not verify under the signer's key changes nothing.
    auto bad = log.Record(TwoProposals(fx, 7, 3), TestKeys()[1].public_key(), 1237);
    CHECK(bad.status().code() == StatusCode::kInvalidArgument);
    Evidence tampered = TwoVotes(fx, 8, 2);
    tampered.second_vote.parent_round = 9;  // not what was signed
    CHECK(log.Record(tampered, TestKeys()[2].public_key(), 1238).status().code() ==
          StatusCode::kInvalidArgument);
    CHECK(log.count(Evidence::Kind::kProposal) == 1);
    CHECK(log.count(Evidence::Kind::kVote) == 1);
    CHECK(log.recent().size() == 2);
  }
  // Persisted: one JSON line per piece, with both signed statements.
  const auto lines = Lines(path);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["kind"] == "double_proposal");
  CHECK(lines[0]["signer"] == 3);
  CHECK(lines[0]["round"] == 5);
  CHECK(lines[0]["at_ms"] == 1234);
  CHECK(lines[0]["signer_key"] == HexEncode(TestKeys()[3].public_key()));
  CHECK(lines[0]["first"]["block_id"] != lines[0]["second"]["block_id"]);
  CHECK(lines[0]["first"]["signature"].get<std::string>().size() == 128);
  CHECK(lines[1]["kind"] == "double_vote");
  CHECK(lines[1]["first"]["vote"]["round"] == 6);
  CHECK(lines[1]["second"]["vote"]["block_id"] == lines[1]["second"]["block_id"]);
  // A record can be checked again from the file alone.
  const Evidence v = TwoVotes(fx, 6, 2);
  CHECK(lines[1]["first"]["signature"] == HexEncode(v.first_sig));
  CHECK(lines[1]["second"]["signature"] == HexEncode(v.second_sig));

  // A file that cannot be written: still counted (and the caller is told).
  EvidenceLog unwritable((dir / "missing" / "evidence.jsonl").string());
  auto r = unwritable.Record(TwoProposals(fx, 5, 3), TestKeys()[3].public_key(), 1);
  CHECK(r.status().code() == StatusCode::kIoError);
  CHECK(unwritable.count(Evidence::Kind::kProposal) == 1);
  std::filesystem::remove_all(dir);
}

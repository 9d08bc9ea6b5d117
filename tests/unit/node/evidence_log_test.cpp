#include "node/evidence_log.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "node/node_metrics.h"
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

// An empty folder of its own under the temp directory.
std::filesystem::path FreshDir(const std::string& prefix) {
  const auto dir = std::filesystem::temp_directory_path() / (prefix + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("the evidence log counts, persists and dedups verified evidence", "[evidence]") {
  const Fixture fx;
  const auto dir = FreshDir("laurel-evidence-");
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

TEST_CASE("evidence pages: numbered lines, a partial last line left out", "[evidence]") {
  const Fixture fx;
  const auto dir = FreshDir("laurel-evidence-page-");
  const std::string path = (dir / "evidence.jsonl").string();
  // No file: no records.
  auto none = laurel::node::ReadEvidencePage(path, 0, 10);
  REQUIRE(none.ok());
  CHECK(none->records.empty());
  CHECK(none->total == 0);
  {
    EvidenceLog log(path);
    REQUIRE(log.Record(TwoProposals(fx, 5, 3), TestKeys()[3].public_key(), 1000).ok());
    REQUIRE(log.Record(TwoVotes(fx, 6, 2), TestKeys()[2].public_key(), 2000).ok());
    REQUIRE(log.Record(TwoVotes(fx, 7, 2), TestKeys()[2].public_key(), 3000).ok());
  }
  {
    std::ofstream out(path, std::ios::app);
    out << "not json\n" << R"({"kind": "double_vote")";  // a bad line, then a partial one
  }
  auto p1 = laurel::node::ReadEvidencePage(path, 0, 2);
  REQUIRE(p1.ok());
  REQUIRE(p1->records.size() == 2);
  const auto a = nlohmann::json::parse(p1->records[0]);
  CHECK(a["seq"] == 1);
  CHECK(a["kind"] == "double_proposal");
  CHECK(a["round"] == 5);
  CHECK(a["at_ms"] == 1000);
  CHECK(a["first"]["block_id"] != a["second"]["block_id"]);
  CHECK(nlohmann::json::parse(p1->records[1])["seq"] == 2);
  CHECK(p1->total == 4);
  CHECK(p1->next_after == 2);
  CHECK(p1->more);
  auto p2 = laurel::node::ReadEvidencePage(path, p1->next_after, 10);
  REQUIRE(p2.ok());
  REQUIRE(p2->records.size() == 2);
  CHECK(nlohmann::json::parse(p2->records[0])["round"] == 7);
  const auto bad = nlohmann::json::parse(p2->records[1]);
  CHECK(bad["seq"] == 4);
  CHECK(bad["kind"] == "unreadable");
  CHECK(bad["line"] == "not json");
  CHECK(p2->next_after == 4);
  CHECK_FALSE(p2->more);
  CHECK(laurel::node::ReadEvidencePage(path, 0, 0).status().code() ==
        StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

TEST_CASE("every evidence kind is on /metrics at 0 before any evidence", "[evidence]") {
  laurel::metrics::Registry r;
  (void)laurel::node::NodeMetrics::Register(r);
  const std::string text = r.Render();
  for (auto k : {Evidence::Kind::kProposal, Evidence::Kind::kVote, Evidence::Kind::kWrongLeader}) {
    const std::string series = std::string("laurel_consensus_evidence_total{kind=\"") +
                               laurel::node::EvidenceKindLabel(k) + "\"} 0\n";
    INFO(series);
    CHECK(text.find(series) != std::string::npos);
  }
  // The fault-injection families are declared (no series until a frame is faulted).
  CHECK(text.find("# TYPE laurel_p2p_fault_dropped_total counter") != std::string::npos);
  CHECK(text.find("# TYPE laurel_p2p_fault_delayed_total counter") != std::string::npos);
  CHECK(text.find("# TYPE laurel_p2p_fault_reordered_total counter") != std::string::npos);
}

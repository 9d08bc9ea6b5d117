// The batch commands' report file and parallel loop (cli/batch_submit.h), in process.
#include "cli/batch_submit.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace laurel::cli {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("laurel-batch-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

TEST_CASE("a report gets its header once and whole lines, quoted as CSV needs", "[cli][batch]") {
  const std::string path = TempPath("report.csv");
  std::filesystem::remove(path);
  {
    auto f = ReportFile::Open(path, {"line", "name", "message"});
    REQUIRE(f.ok());
    REQUIRE((*f)->Append({{"2", "王芳", "ok"}, {"3", "Li, Na", "said \"no\""}}).ok());
  }
  {
    auto f = ReportFile::Open(path, {"line", "name", "message"});  // again: no second header
    REQUIRE(f.ok());
    REQUIRE((*f)->Append({{"4", "x", "multi\nline"}}).ok());
  }
  auto rows = ReadReport(path);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 4);
  CHECK((*rows)[0] == std::vector<std::string>{"line", "name", "message"});
  CHECK((*rows)[1] == std::vector<std::string>{"2", "王芳", "ok"});
  CHECK((*rows)[2] == std::vector<std::string>{"3", "Li, Na", "said \"no\""});
  CHECK((*rows)[3] == std::vector<std::string>{"4", "x", "multi\nline"});
  std::filesystem::remove(path);
}

TEST_CASE("a line cut short by a crash is not a row, and the next line starts on its own",
          "[cli][batch]") {
  const std::string path = TempPath("cut.csv");
  {
    std::ofstream out(path, std::ios::binary);
    out << "line,result\n2,issued\n3,iss";  // the process died in the middle of a write
  }
  auto before = ReadReport(path);
  REQUIRE(before.ok());
  CHECK(before->size() == 2);
  {
    auto f = ReportFile::Open(path, {"line", "result"});
    REQUIRE(f.ok());
    REQUIRE((*f)->Append({{"3", "issued"}}).ok());
  }
  auto after = ReadReport(path);
  REQUIRE(after.ok());
  REQUIRE(after->size() == 4);
  CHECK((*after)[2] == std::vector<std::string>{"3", "iss"});  // kept as written, then ended
  CHECK((*after)[3] == std::vector<std::string>{"3", "issued"});
  CHECK(ReadReport(TempPath("absent.csv"))->empty());
  std::filesystem::remove(path);
}

TEST_CASE("ParallelFor runs every index exactly once", "[cli][batch]") {
  std::vector<std::atomic<int>> hits(10'000);
  ParallelFor(hits.size(), 4, [&](size_t i) { ++hits[i]; });
  for (const auto& h : hits) REQUIRE(h.load() == 1);
  ParallelFor(0, 0, [](size_t) { FAIL("no index"); });
}

TEST_CASE("CSV fields are quoted only when they need it", "[cli][batch]") {
  CHECK(CsvField("plain") == "plain");
  CHECK(CsvField("a,b") == "\"a,b\"");
  CHECK(CsvField("say \"x\"") == "\"say \"\"x\"\"\"");
}

TEST_CASE("an outcome that is no success is failed, pending or refused", "[cli][batch]") {
  BatchOutcome committed;
  committed.status = "committed";
  committed.result = "CREDENTIAL_EXISTS";
  std::string message = "node's message";
  CHECK(OtherOutcome(committed, message) == "failed");
  CHECK(message == "committed with result CREDENTIAL_EXISTS");

  BatchOutcome pending;
  pending.status = "pending";
  message = "waited too long";
  CHECK(OtherOutcome(pending, message) == "pending");
  CHECK(message == "waited too long");  // the node's message stays
  CHECK(OtherOutcome(pending, message, "run again") == "pending");
  CHECK(message == "run again");

  BatchOutcome refused;
  refused.status = "refused";
  refused.code = "INVALID_TX";
  refused.tx_code = "UNAUTHORIZED";
  message = "not the issuer's key";
  CHECK(OtherOutcome(refused, message) == "refused");
  CHECK(message == "INVALID_TX UNAUTHORIZED: not the issuer's key");
  refused.tx_code.clear();
  refused.code = "TX_TOO_LARGE";
  message = "too big";
  CHECK(OtherOutcome(refused, message) == "refused");
  CHECK(message == "TX_TOO_LARGE: too big");
}

TEST_CASE("a batch tally counts by result and stops at a failure only when asked",
          "[cli][batch]") {
  BatchTally skip("issued", "issued_before", false);
  for (const char* r : {"issued", "issued", "issued_before", "refused", "pending", "issued"}) {
    skip.Count(r);
  }
  CHECK(skip.done() == 3);
  CHECK(skip.before() == 1);
  CHECK(skip.failed() == 2);
  CHECK_FALSE(skip.stop());

  BatchTally stop("done", "already", true);
  stop.Count("done");
  stop.Count("already");
  CHECK_FALSE(stop.stop());
  stop.Count("failed");
  CHECK(stop.stop());
  CHECK(stop.failed() == 1);

  // Counted from many threads at once, nothing is lost.
  BatchTally many("done", "already", false);
  ParallelFor(1000, 4, [&](size_t i) { many.Count(i % 2 ? "done" : "refused"); });
  CHECK(many.done() == 500);
  CHECK(many.failed() == 500);
}

}  // namespace
}  // namespace laurel::cli

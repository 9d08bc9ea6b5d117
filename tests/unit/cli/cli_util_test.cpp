// Command-line value parsing shared by the commands (cli/cli_util.h, cli/rpc_client.h).
#include "cli/cli_util.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli/rpc_client.h"
#include "cli/text_input.h"

using namespace laurel;

TEST_CASE("dates are YYYY-MM-DD at midnight UTC or unix seconds", "[cli]") {
  CHECK(*cli::ParseTime("1970-01-01") == 0);
  CHECK(*cli::ParseTime("2026-01-01") == 1767225600);
  CHECK(*cli::ParseTime("2028-02-29") == 1835395200);  // a leap day
  CHECK(*cli::ParseTime("2030-12-31") == 1924905600);
  CHECK(*cli::ParseTime("0") == 0);
  CHECK(*cli::ParseTime("1767225600") == 1767225600);
  CHECK(cli::FormatUnixTime(*cli::ParseTime("2027-06-15")) == "2027-06-15T00:00:00Z");
}

TEST_CASE("impossible dates and other text are refused", "[cli][badinput]") {
  for (const char* bad :
       {"", "2026-02-30", "2027-02-29", "2026-13-01", "2026-00-10", "2026-01-00", "1969-12-31",
        "2026-1-1", "26-01-01", "2026/01/01", "2026-01-01T00:00:00Z", "-5", "12a",
        "99999999999999999999999", "tomorrow", " 2026-01-01"}) {
    INFO(bad);
    auto r = cli::ParseTime(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().rfind("not a date (YYYY-MM-DD) or unix seconds", 0) == 0);
  }
}

TEST_CASE("types and levels are read case-insensitively, with - for _", "[cli]") {
  CHECK(*cli::ParseCredentialType("member") == types::CredentialType::kMember);
  CHECK(*cli::ParseCredentialType("MODEL_WORKER") == types::CredentialType::kModelWorker);
  CHECK(*cli::ParseCredentialType("model-worker") == types::CredentialType::kModelWorker);
  CHECK_FALSE(cli::ParseCredentialType("worker").ok());
  CHECK_FALSE(cli::ParseCredentialType("CREDENTIAL_TYPE_UNSPECIFIED").ok());
  CHECK(*cli::ParseLevel("Municipal") == types::Level::kMunicipal);
  CHECK(*cli::ParseLevel("ENTERPRISE") == types::Level::kEnterprise);
  CHECK_FALSE(cli::ParseLevel("city").ok());
  CHECK_FALSE(cli::ParseLevel("unspecified").ok());
}

TEST_CASE("uint64 JSON fields are read from decimal strings and from numbers", "[cli]") {
  const auto j = cli::Json::parse(
      R"({"a": "42", "b": 42, "c": "18446744073709551615", "d": -1, "e": "4x", "f": 1.5,
          "g": "", "h": null, "i": "18446744073709551616"})");
  CHECK(*cli::JsonU64(j, "a") == 42);
  CHECK(*cli::JsonU64(j, "b") == 42);
  CHECK(*cli::JsonU64(j, "c") == UINT64_MAX);
  for (const char* k : {"d", "e", "f", "g", "h", "i", "missing"}) {
    INFO(k);
    CHECK_FALSE(cli::JsonU64(j, k).has_value());
  }
  CHECK(cli::JsonU64Or0(j, "missing") == 0);
  CHECK_FALSE(cli::JsonU64(cli::Json::array(), "a").has_value());
}

TEST_CASE("ids are percent-encoded for one path segment", "[cli]") {
  CHECK(cli::UrlEscape("city-fed/MW/2026/000001") == "city-fed%2FMW%2F2026%2F000001");
  CHECK(cli::UrlEscape("a b?c&d%") == "a%20b%3Fc%26d%25");
  CHECK(cli::UrlEscape("Az09-_.~") == "Az09-_.~");
}

TEST_CASE("what a node sent is printed only as printable ASCII, cut at a bound", "[cli][badinput]") {
  using laurel::cli::Printable;
  CHECK(Printable("state root: abc") == "state root: abc");
  CHECK(Printable(std::string("a\0b\x01\xff\n", 6)) == "a?b???");
  CHECK(Printable(std::string(20, 'x'), 8) == "xxxxxxxx...");
  CHECK(Printable("") == "");
}

// ---- cli/text_input.h: encodings and CSV ----

TEST_CASE("DecodeText: UTF-8 with or without BOM kept, GBK converted, garbage refused",
          "[cli][text]") {
  using laurel::cli::DecodeText;
  using laurel::cli::TextEncoding;
  std::string used;
  CHECK(*DecodeText("\xEF\xBB\xBFname\n", TextEncoding::kAuto, &used) == "name\n");
  CHECK(used == "UTF-8");
  CHECK(*DecodeText("\xE7\x8E\x8B\n", TextEncoding::kAuto, &used) == "\xE7\x8E\x8B\n");
  CHECK(*DecodeText("a\n\xCD\xF5\xB7\xBC\n", TextEncoding::kAuto, &used) ==
        "a\n\xE7\x8E\x8B\xE8\x8A\xB3\n");  // 王芳
  CHECK(used == "GB18030");
  CHECK(*DecodeText("\xCD\xF5", TextEncoding::kGb18030) == "\xE7\x8E\x8B");
  const auto bad_utf8 = DecodeText("ok\n\xCD\xF5\n", TextEncoding::kUtf8);
  REQUIRE_FALSE(bad_utf8.ok());
  CHECK(bad_utf8.status().message().find("line 2") == 0);
  const auto bad = DecodeText("ok\nok\n\xFF\xFF\n", TextEncoding::kAuto);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("line 3") == 0);
  CHECK_FALSE(laurel::cli::ParseTextEncoding("latin1").ok());
  CHECK(*laurel::cli::ParseTextEncoding("GBK") == TextEncoding::kGb18030);
}

TEST_CASE("ParseCsv: quotes, doubled quotes, commas and line breaks in fields, CRLF",
          "[cli][text]") {
  auto rows = laurel::cli::ParseCsv("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\n\"two\nlines\",z\nlast,");
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 4);
  CHECK((*rows)[0].fields == std::vector<std::string>{"a", "b"});
  CHECK((*rows)[1].fields == std::vector<std::string>{"x, y", "say \"hi\""});
  CHECK((*rows)[2].fields == std::vector<std::string>{"two\nlines", "z"});
  CHECK((*rows)[2].line == 4);
  CHECK((*rows)[3].fields == std::vector<std::string>{"last", ""});
  CHECK((*rows)[3].line == 6);
  CHECK_FALSE(laurel::cli::ParseCsv("a,\"open\n").ok());
  CHECK_FALSE(laurel::cli::ParseCsv("a,\"x\"y\n").ok());
}

TEST_CASE("CSV records quote what needs it, keep UTF-8 and defuse spreadsheet formulas",
          "[cli][csv]") {
  CHECK(cli::CsvRecord({"a", "b"}) == "a,b\r\n");
  CHECK(cli::CsvRecord({}) == "\r\n");
  CHECK(cli::CsvRecord({"", ""}) == ",\r\n");
  CHECK(cli::CsvRecord({"会籍核查", "Li, Na"}) == "会籍核查,\"Li, Na\"\r\n");
  CHECK(cli::CsvRecord({"say \"hi\""}) == "\"say \"\"hi\"\"\"\r\n");
  CHECK(cli::CsvRecord({"two\nlines", "cr\r"}) == "\"two\nlines\",\"cr\r\"\r\n");
  CHECK(cli::CsvRecord({"=HYPERLINK(\"x\")", "+1", "-2", "@a", "3-4"}) ==
        "\"'=HYPERLINK(\"\"x\"\")\",'+1,'-2,'@a,3-4\r\n");
  // What ParseCsv reads back is what was written (apart from the formula guard).
  auto rows = cli::ParseCsv(cli::CsvRecord({"王芳", "a,b", "q\"q", ""}) +
                            cli::CsvRecord({"x", "y\nz", "", "w"}));
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0].fields == std::vector<std::string>{"王芳", "a,b", "q\"q", ""});
  CHECK((*rows)[1].fields == std::vector<std::string>{"x", "y\nz", "", "w"});
}

// laurel card list, issuer stats, stats: what an issuer has issued, and the counts the nodes
// keep (docs/cli.md). Read-only; --csv writes RFC 4180 CSV (UTF-8, CRLF) for spreadsheets.
//
// These are subcommands of the `card` and `issuer` groups registered by cmd_card.cpp and
// cmd_issuer.cpp, so this group must be registered after them (kCommandGroups).
#include <CLI/CLI.hpp>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/net_tx.h"

namespace laurel::cli {
namespace {

// ---- card list ----

struct CardListOptions {
  NetOptions net;
  std::string issuer;
  std::optional<std::string> status;
  std::optional<std::string> type;
  std::optional<std::string> level;
  uint64_t limit = 0;
  std::string page_token;
  bool all = false;
  bool csv = false;
};

// The API's spelling of a --status value ("active" -> "ACTIVE").
Result<std::string> StatusFilter(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "ACTIVE" || upper == "SUSPENDED" || upper == "REVOKED") return upper;
  return Status::InvalidArgument("--status must be active, suspended or revoked");
}

std::string LevelText(const Json& o) {
  const std::string level = JsonStr(o, "level");
  return level == "LEVEL_UNSPECIFIED" ? "" : level;
}

const std::vector<std::string> kCardCsvHeader = {
    "credential_id", "issuer_id",   "type",        "level",          "status",
    "status_reason", "status_set_by", "valid_from", "valid_until",    "key_version",
    "status_index",  "created_height", "updated_height"};

std::vector<std::string> CardCsvFields(const Json& c) {
  return {JsonStr(c, "credential_id"),
          JsonStr(c, "issuer_id"),
          JsonStr(c, "type"),
          LevelText(c),
          JsonStr(c, "status"),
          JsonStr(c, "status_reason"),
          JsonStr(c, "status_set_by"),
          FormatUnixTime(JsonU64Or0(c, "valid_from")),
          FormatUnixTime(JsonU64Or0(c, "valid_until")),
          std::to_string(JsonU64Or0(c, "key_version")),
          std::to_string(JsonU64Or0(c, "status_index")),
          std::to_string(JsonU64Or0(c, "created_height")),
          std::to_string(JsonU64Or0(c, "updated_height"))};
}

int RunCardList(const CardListOptions& o) {
  if (o.limit > 1000) return Fail(kExitUsage, "--limit is at most 1000");
  std::string query;
  auto add = [&query](const std::string& k, const std::string& v) {
    query += (query.empty() ? "?" : "&") + k + "=" + UrlEscape(v);
  };
  if (o.status) {
    auto s = StatusFilter(*o.status);
    if (!s.ok()) return Fail(kExitUsage, s.status());
    add("status", *s);
  }
  if (o.type) {
    auto t = ParseCredentialType(*o.type);
    if (!t.ok()) return Fail(kExitUsage, t.status());
    add("type", types::CredentialTypeName(*t));
  }
  if (o.level) {
    auto l = ParseLevel(*o.level);
    if (!l.ok()) return Fail(kExitUsage, l.status());
    add("level", types::LevelName(*l));
  }
  if (o.limit != 0) add("limit", std::to_string(o.limit));
  Node node(o.net.rpc);
  auto c = node.Get();
  if (!c.ok()) return FailFor(c.status());
  Json creds = Json::array();
  std::string token = o.page_token;
  std::string next;
  uint64_t height = 0;
  for (;;) {
    std::string target = "/v1/issuers/" + UrlEscape(o.issuer) + "/credentials" + query;
    if (!token.empty()) {
      target += (query.empty() ? "?" : "&") + std::string("page_token=") + UrlEscape(token);
    }
    auto j = (*c)->Get(target);
    if (!j.ok()) return FailFor(j.status());
    if (j->contains("credentials") && (*j)["credentials"].is_array()) {
      for (auto& e : (*j)["credentials"]) creds.push_back(std::move(e));
    }
    height = JsonU64Or0(*j, "height");
    next = JsonStr(*j, "next_page_token");
    if (!o.all || next.empty() || next == token) break;
    token = next;
  }
  if (o.all) next.clear();
  if (o.net.json) {
    PrintJson({{"issuer_id", o.issuer},
               {"credentials", creds},
               {"next_page_token", next},
               {"height", std::to_string(height)}});
    return kExitOk;
  }
  std::ostringstream s;
  if (o.csv) {
    s << CsvRecord(kCardCsvHeader);
    for (const auto& e : creds) s << CsvRecord(CardCsvFields(e));
    std::cout << s.str() << std::flush;
    if (!next.empty()) std::cerr << "(more: --page-token " << next << ", or --all)\n";
    return kExitOk;
  }
  s << std::left << std::setw(34) << "CREDENTIAL" << std::setw(14) << "TYPE" << std::setw(12)
    << "LEVEL" << std::setw(11) << "STATUS" << std::setw(22) << "VALID UNTIL (UTC)"
    << "REASON\n";
  for (const auto& e : creds) {
    const std::string level = LevelText(e);
    s << std::left << std::setw(34) << JsonStr(e, "credential_id") << std::setw(14)
      << JsonStr(e, "type") << std::setw(12) << (level.empty() ? "-" : level) << std::setw(11)
      << JsonStr(e, "status") << std::setw(22) << FormatUnixTime(JsonU64Or0(e, "valid_until"))
      << JsonStr(e, "status_reason") << "\n";
  }
  s << creds.size() << " credential" << (creds.size() == 1 ? "" : "s") << " of " << o.issuer
    << " at height " << height << "\n";
  if (!next.empty()) s << "(more: --page-token " << next << ", or --all)\n";
  std::cout << s.str() << std::flush;
  return kExitOk;
}

// ---- issuer stats, stats ----

// The rows of one CredentialCounts: ("total", ""), ("status", "ACTIVE"), ...
std::vector<std::pair<std::string, std::string>> CountRows() {
  std::vector<std::pair<std::string, std::string>> rows = {{"total", ""}};
  for (const char* k : {"ACTIVE", "SUSPENDED", "REVOKED"}) rows.emplace_back("status", k);
  for (const char* k : {"MEMBER", "MODEL_WORKER"}) rows.emplace_back("type", k);
  for (const char* k : {"NATIONAL", "PROVINCIAL", "MUNICIPAL", "DISTRICT", "ENTERPRISE"}) {
    rows.emplace_back("level", k);
  }
  return rows;
}

uint64_t CountOf(const Json& counts, const std::string& group, const std::string& key) {
  if (!counts.is_object()) return 0;
  if (group == "total") return JsonU64Or0(counts, "total");
  const char* field = group == "status" ? "by_status" : group == "type" ? "by_type" : "by_level";
  if (!counts.contains(field) || !counts[field].is_object()) return 0;
  return JsonU64Or0(counts[field], key);
}

Json Field(const Json& j, const char* name) {
  return j.contains(name) && j[name].is_object() ? j[name] : Json::object();
}

struct StatsOptions {
  NetOptions net;
  std::string issuer;  // empty: the chain's
  bool csv = false;
};

int RunIssuerStats(const StatsOptions& o) {
  Node node(o.net.rpc);
  auto c = node.Get();
  if (!c.ok()) return FailFor(c.status());
  auto j = (*c)->Get("/v1/issuers/" + UrlEscape(o.issuer) + "/stats");
  if (!j.ok()) return FailFor(j.status());
  if (o.net.json) {
    PrintJson(*j);
    return kExitOk;
  }
  const Json own = Field(*j, "own");
  const Json tree = Field(*j, "including_descendants");
  std::ostringstream s;
  if (o.csv) {
    s << CsvRecord({"group", "key", "own", "including_descendants"});
    for (const auto& [group, key] : CountRows()) {
      s << CsvRecord({group, key, std::to_string(CountOf(own, group, key)),
                      std::to_string(CountOf(tree, group, key))});
    }
    std::cout << s.str() << std::flush;
    return kExitOk;
  }
  s << "credentials of " << JsonStr(*j, "issuer_id") << " at height "
    << JsonU64Or0(*j, "height") << "\n";
  s << std::left << std::setw(22) << "" << std::setw(12) << "OWN"
    << "INCLUDING DESCENDANTS\n";
  for (const auto& [group, key] : CountRows()) {
    s << std::left << std::setw(22) << (key.empty() ? group : key) << std::setw(12)
      << CountOf(own, group, key) << CountOf(tree, group, key) << "\n";
  }
  std::cout << s.str() << std::flush;
  return kExitOk;
}

int RunChainStats(const StatsOptions& o) {
  Node node(o.net.rpc);
  auto c = node.Get();
  if (!c.ok()) return FailFor(c.status());
  auto j = (*c)->Get("/v1/stats");
  if (!j.ok()) return FailFor(j.status());
  if (o.net.json) {
    PrintJson(*j);
    return kExitOk;
  }
  const Json creds = Field(*j, "credentials");
  const Json issuers = Field(*j, "issuers_by_status");
  std::vector<std::tuple<std::string, std::string, uint64_t>> rows;
  for (const auto& [group, key] : CountRows()) {
    rows.emplace_back("credentials_" + group, key, CountOf(creds, group, key));
  }
  rows.emplace_back("issuers_total", "", JsonU64Or0(*j, "issuers"));
  for (const char* k : {"ISSUER_ACTIVE", "ISSUER_SUSPENDED", "ISSUER_RETIRED"}) {
    rows.emplace_back("issuers_status", k, JsonU64Or0(issuers, k));
  }
  rows.emplace_back("transactions", "", JsonU64Or0(*j, "transactions"));
  rows.emplace_back("transactions", "OK", JsonU64Or0(*j, "transactions_ok"));
  std::ostringstream s;
  if (o.csv) {
    s << CsvRecord({"group", "key", "count"});
    for (const auto& [group, key, n] : rows) s << CsvRecord({group, key, std::to_string(n)});
    std::cout << s.str() << std::flush;
    return kExitOk;
  }
  s << "chain at height " << JsonU64Or0(*j, "height") << "\n";
  for (const auto& [group, key, n] : rows) {
    s << std::left << std::setw(22) << group << std::setw(20) << (key.empty() ? "-" : key) << n
      << "\n";
  }
  std::cout << s.str() << std::flush;
  return kExitOk;
}

}  // namespace

void RegisterReportCommands(CLI::App& app, CommandRun& run) {
  CLI::App* card = app.get_subcommand("card");
  auto l = std::make_shared<CardListOptions>();
  auto* list = card->add_subcommand(
      "list", "List an issuer's own credentials, filtered by status, type or level");
  list->add_option("--issuer", l->issuer, "Issuer id")->required();
  list->add_option("--status", l->status, "active, suspended or revoked");
  list->add_option("--type", l->type, "member or model_worker");
  list->add_option("--level", l->level, "national, provincial, municipal, district, enterprise");
  list->add_option("--limit", l->limit, "Credentials per page (node default 100, max 1000)");
  list->add_option("--page-token", l->page_token, "Continue from this page token");
  list->add_flag("--all", l->all, "Follow the page tokens to the end");
  list->add_flag("--csv", l->csv, "Write CSV (UTF-8) instead of a table");
  AddNetOptions(list, l->net);
  list->callback([l, &run] { run = [l] { return RunCardList(*l); }; });

  CLI::App* issuer = app.get_subcommand("issuer");
  auto is = std::make_shared<StatsOptions>();
  auto* istats = issuer->add_subcommand(
      "stats", "Count an issuer's credentials by status, type and level (own, and with the "
               "issuers below it)");
  istats->add_option("id", is->issuer, "Issuer id")->required();
  istats->add_flag("--csv", is->csv, "Write CSV (UTF-8) instead of a table");
  AddNetOptions(istats, is->net);
  istats->callback([is, &run] { run = [is] { return RunIssuerStats(*is); }; });

  auto cs = std::make_shared<StatsOptions>();
  auto* stats = app.add_subcommand(
      "stats", "Count the chain's credentials, issuers and transactions");
  stats->add_flag("--csv", cs->csv, "Write CSV (UTF-8) instead of a table");
  AddNetOptions(stats, cs->net);
  stats->callback([cs, &run] { run = [cs] { return RunChainStats(*cs); }; });
}

}  // namespace laurel::cli

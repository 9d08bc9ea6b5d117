// laurel verify, history, status: read-only questions to a node.
//
// verify is the gate's check: POST /v1/verify with the card text (given, read from a file, or
// scanned from a QR code PNG); the first output line is "VALID <credential_id> ..." or
// "REFUSED <REASON>: <message>", and the exit code is 0 or 1 accordingly.
#include <CLI/CLI.hpp>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/net_tx.h"
#include "cli/proof_check.h"
#include "ledger/genesis_io.h"
#include "cli/qr.h"

namespace laurel::cli {
namespace {

std::string Short(const std::string& hex, size_t n = 16) {
  return hex.size() > n ? hex.substr(0, n) : hex;
}

// ---- verify ----

struct VerifyOptions {
  NetOptions net;
  std::optional<std::string> code;
  std::optional<std::string> file;
  std::optional<std::string> qr;
  bool prove = false;
  std::string genesis;
  uint64_t max_age_s = kDefaultProofMaxAgeS;
};

Result<std::string> CardTextOf(const VerifyOptions& o) {
  const int given = int(o.code.has_value()) + int(o.file.has_value()) + int(o.qr.has_value());
  if (given != 1) {
    return Status::InvalidArgument("give the card exactly one way: --code, --file or --qr");
  }
  if (o.code) return *o.code;
  if (o.file) return ReadInput(*o.file);
  LAUREL_ASSIGN_OR_RETURN(std::string png, ReadInput(*o.qr));
  auto text = DecodeQrPng(png);
  // An image without a readable code is input we could not read: exit 2, like a bad file.
  if (!text.ok()) return Status::IoError(*o.qr + ": " + text.status().message());
  return text;
}

std::string ValidityText(const Json& card) {
  return FormatUnixTime(JsonU64Or0(card, "valid_from")) + " to " +
         FormatUnixTime(JsonU64Or0(card, "valid_until"));
}

void PrintVerdict(const Json& j) {
  const bool valid = j.value("valid", false);
  const Json card = j.contains("card") && j["card"].is_object() ? j["card"] : Json::object();
  const Json cred =
      j.contains("credential") && j["credential"].is_object() ? j["credential"] : Json::object();
  std::string id = JsonStr(card, "credential_id");
  if (id.empty()) id = JsonStr(cred, "credential_id");
  std::ostringstream s;
  // What the ledger records is what a gate acts on; the card's own claim is shown beside it
  // only on a refusal (it may be the forgery).
  auto kind_of = [](const Json& o) {
    const std::string type = JsonStr(o, "type");
    std::string level = JsonStr(o, "level");
    if (level == "LEVEL_UNSPECIFIED") level.clear();
    return type + (level.empty() ? "" : " " + level);
  };
  const std::string record_kind = kind_of(cred);
  const std::string card_kind = kind_of(card);
  const std::string kind = cred.empty() ? card_kind : record_kind;
  if (valid) {
    s << "VALID " << id;
    if (!kind.empty()) s << " (" << kind << ")";
    s << "\n";
  } else {
    std::string reason = JsonStr(j, "reason");
    if (reason.empty()) reason = "REFUSED";
    s << "REFUSED " << reason << ": " << JsonStr(j, "message") << "\n";
  }
  auto line = [&](const std::string& k, const std::string& v) {
    if (!v.empty()) s << "  " << std::left << std::setw(13) << k << v << "\n";
  };
  if (!valid) {
    line("credential", id);
    line("card", card_kind);
    if (!cred.empty()) line("record", record_kind);
  }
  std::string issuer = JsonStr(card, "issuer_id");
  if (issuer.empty()) issuer = JsonStr(cred, "issuer_id");
  if (!issuer.empty()) {
    const uint64_t kv = JsonU64Or0(card, "key_version");
    line("issuer", issuer + (kv != 0 ? " (key v" + std::to_string(kv) + ")" : ""));
  }
  line("holder", JsonStr(card, "holder_name"));
  line("member_no", JsonStr(card, "member_no"));
  if (!cred.empty() && cred.contains("valid_until")) {
    line("valid", ValidityText(cred));
  } else if (!card.empty() && card.contains("valid_until")) {
    line("valid", ValidityText(card));
  }
  if (!cred.empty()) {
    const std::string reason = JsonStr(cred, "status_reason");
    line("status", JsonStr(cred, "status") + (reason.empty() ? "" : " (" + reason + ")"));
  }
  const std::string chain = JsonStr(j, "chain_id");
  line("ledger", "height " + std::to_string(JsonU64Or0(j, "height")) +
                     (chain.empty() ? "" : " of " + chain) + ", checked at " +
                     FormatUnixTime(JsonU64Or0(j, "time")));
  std::cout << s.str() << std::flush;
}

int RunVerify(const VerifyOptions& o) {
  auto text = CardTextOf(o);
  if (!text.ok()) return Fail(kExitUsage, text.status());
  // A card file ends in "\n"; the API gets the bare text.
  std::string code = *text;
  while (!code.empty() && (code.back() == '\n' || code.back() == '\r' || code.back() == ' ')) {
    code.pop_back();
  }
  std::optional<ledger::Genesis> genesis;
  if (o.prove) {
    if (o.genesis.empty()) return Fail(kExitUsage, "--prove needs --genesis FILE");
    auto g = ledger::LoadGenesis(o.genesis);
    if (!g.ok()) return Fail(kExitUsage, g.status());
    genesis = std::move(g).value();
  }
  Node node(o.net.rpc);
  auto c = node.Get();
  if (!c.ok()) return FailFor(c.status());
  auto j = (*c)->PostJson(o.prove ? "/v1/verify?proof=true" : "/v1/verify", {{"code", code}});
  // As for every node error (docs/cli.md, exit codes): a 4xx answer is 1, an unreachable node
  // or a 5xx is 2.
  if (!j.ok()) return FailFor(j.status());
  if (!j->contains("valid") || !(*j)["valid"].is_boolean()) {
    return Fail(kExitUsage, "node at " + o.net.rpc + " answered /v1/verify without 'valid': " +
                                j->dump().substr(0, 300));
  }
  if (o.prove) {
    // The node's word counts for nothing: the decision is recomputed from the proven records,
    // at this machine's time (not the time the node says it used).
    const uint64_t now = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
    const ProofCheck pc = CheckProvenAnswer(*j, *genesis, code, now, o.max_age_s);
    if (!pc.ok) {
      if (o.net.json) {
        PrintJson(Json{{"valid", false}, {"reason", "NOT_PROVEN"}, {"message", pc.why}});
      } else {
        std::cout << "REFUSED NOT_PROVEN: " << pc.why << "\n";
      }
      return kExitInvalid;
    }
    if (o.net.json) {
      Json out = *j;
      out["proven"] = pc.statement;
      PrintJson(out);
    } else {
      PrintVerdict(*j);
      std::cout << "  " << pc.statement << "\n";
    }
    return (*j)["valid"].get<bool>() ? kExitOk : kExitInvalid;
  }
  if (o.net.json) {
    PrintJson(*j);
  } else {
    PrintVerdict(*j);
  }
  return (*j)["valid"].get<bool>() ? kExitOk : kExitInvalid;
}

// ---- history ----

struct HistoryOptions {
  NetOptions net;
  std::optional<std::string> credential_id;
  std::optional<std::string> issuer;
  uint64_t limit = 0;
  std::string page_token;
  bool all = false;
};

void PrintHistoryTable(const Json& entries) {
  std::ostringstream s;
  s << std::left << std::setw(8) << "HEIGHT" << std::setw(22) << "TIME (UTC)" << std::setw(23)
    << "ACTION" << std::setw(22) << "RESULT" << std::setw(18) << "TX"
    << "SIGNER\n";
  for (const auto& e : entries) {
    std::string signer = JsonStr(e, "signer");
    s << std::left << std::setw(8) << JsonU64Or0(e, "height") << std::setw(22)
      << FormatUnixTime(JsonU64Or0(e, "time_ms") / 1000) << std::setw(23) << JsonStr(e, "action")
      << std::setw(22) << JsonStr(e, "result") << std::setw(18) << Short(JsonStr(e, "tx_id"))
      << (signer.empty() ? "-" : Short(signer)) << "\n";
  }
  std::cout << s.str();
}

int RunHistory(const HistoryOptions& o) {
  if (o.credential_id.has_value() == o.issuer.has_value()) {
    return Fail(kExitUsage, "give either a CREDENTIAL_ID or --issuer ID");
  }
  if (o.limit > 1000) return Fail(kExitUsage, "--limit is at most 1000");
  const std::string base = o.credential_id
                               ? "/v1/credentials/" + UrlEscape(*o.credential_id) + "/history"
                               : "/v1/issuers/" + UrlEscape(*o.issuer) + "/history";
  Node node(o.net.rpc);
  auto c = node.Get();
  if (!c.ok()) return FailFor(c.status());
  Json entries = Json::array();
  std::string token = o.page_token;
  std::string next;
  Json last_page;
  for (;;) {
    std::string target = base;
    char sep = '?';
    if (o.limit != 0) {
      target += sep + std::string("limit=") + std::to_string(o.limit);
      sep = '&';
    }
    if (!token.empty()) target += sep + std::string("page_token=") + UrlEscape(token);
    auto j = (*c)->Get(target);
    if (!j.ok()) return FailFor(j.status());
    if (j->contains("entries") && (*j)["entries"].is_array()) {
      for (auto& e : (*j)["entries"]) entries.push_back(e);
    }
    next = JsonStr(*j, "next_page_token");
    last_page = std::move(*j);
    if (!o.all || next.empty() || next == token) break;
    token = next;
  }
  if (o.net.json) {
    if (o.all) {
      PrintJson({{"entries", entries}, {"next_page_token", ""}});
    } else {
      PrintJson(last_page);
    }
    return kExitOk;
  }
  PrintHistoryTable(entries);
  if (!o.all && !next.empty()) {
    std::cout << "(more: --page-token " << next << ", or --all)\n";
  }
  return kExitOk;
}

// ---- status ----

struct StatusOptions {
  NetOptions net;
};

int RunStatus(const StatusOptions& o) {
  Node node(o.net.rpc);
  auto j = node.Status();
  if (!j.ok()) return FailFor(j.status());
  if (o.net.json) {
    PrintJson(*j);
    return kExitOk;
  }
  std::ostringstream s;
  for (const auto& [k, v] : j->items()) {
    s << std::left << std::setw(20) << k;
    if (v.is_string()) {
      s << v.get<std::string>();
    } else if (v.is_boolean()) {
      s << (v.get<bool>() ? "yes" : "no");
    } else {
      s << v.dump();
    }
    s << "\n";
  }
  std::cout << s.str();
  return kExitOk;
}

}  // namespace

void RegisterQueryCommands(CLI::App& app, CommandRun& run) {
  auto v = std::make_shared<VerifyOptions>();
  auto* verify = app.add_subcommand(
      "verify", "Check a card against the ledger: VALID or REFUSED <REASON> (exit 0 / 1)");
  verify->add_option("--code", v->code, "The card text, LC1:...");
  verify->add_option("--file", v->file, "A card file (- for stdin)");
  verify->add_option("--qr", v->qr, "A PNG image of the card's QR code");
  verify->add_flag("--prove", v->prove,
                   "Ask for proofs and check them against --genesis's validators; the decision "
                   "is recomputed from the proven records");
  verify->add_option("--genesis", v->genesis, "The chain's genesis file (with --prove)");
  verify->add_option("--max-age", v->max_age_s,
                     "With --prove: refuse a proof older than this many seconds")
      ->capture_default_str();
  AddNetOptions(verify, v->net);
  verify->callback([v, &run] { run = [v] { return RunVerify(*v); }; });

  auto h = std::make_shared<HistoryOptions>();
  auto* history = app.add_subcommand(
      "history", "What happened to a credential, or an issuer's actions, oldest first");
  history->add_option("credential_id", h->credential_id, "Credential id");
  history->add_option("--issuer", h->issuer, "Issuer id (instead of a credential)");
  history->add_option("--limit", h->limit, "Entries per page (node default 100, max 1000)");
  history->add_option("--page-token", h->page_token, "Continue from this page token");
  history->add_flag("--all", h->all, "Follow the page tokens to the end");
  AddNetOptions(history, h->net);
  history->callback([h, &run] { run = [h] { return RunHistory(*h); }; });

  auto s = std::make_shared<StatusOptions>();
  auto* status = app.add_subcommand("status", "The node's chain, height, round, peers, sync state");
  AddNetOptions(status, s->net);
  status->callback([s, &run] { run = [s] { return RunStatus(*s); }; });
}

}  // namespace laurel::cli

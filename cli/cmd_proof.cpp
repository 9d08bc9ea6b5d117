// laurel proof get | check: proven reads (docs/cli.md "Proofs"). `get` asks a node for a
// record with ?proof=true and checks the answer; `check` checks an answer saved earlier. Both
// trust no node: only the genesis file's validator set. `credential show` prints a credential
// record, and with --prove checks it the same way (CheckProvenAnswer) before printing it.
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

namespace laurel::cli {
namespace {

uint64_t NowS() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

struct ProofOptions {
  NetOptions net;
  std::string genesis;
  uint64_t max_age_s = kDefaultProofMaxAgeS;
  // get
  std::optional<std::string> credential;
  std::optional<std::string> issuer;
  bool governance = false;
  std::optional<std::string> out;
  // check
  std::string file;
  std::optional<std::string> card;
};

// Prints the outcome; exit 0 proven, 1 refused.
int Report(const ProofCheck& c, const Json& answer, bool json) {
  if (json) {
    Json j = {{"proven", c.ok}};
    if (c.ok) {
      j["statement"] = c.statement;
      j["height"] = c.state.height;
      j["signers"] = c.state.signers;
    } else {
      j["why"] = c.why;
    }
    j["answer"] = answer;
    PrintJson(j);
  } else if (c.ok) {
    // "PROVEN credential '…' …" (the statement without its own "proven: ").
    std::string_view st = c.statement;
    if (st.starts_with("proven: ")) st.remove_prefix(8);
    std::cout << "PROVEN " << st << "\n";
  } else {
    std::cout << "NOT PROVEN: " << c.why << "\n";
  }
  return c.ok ? kExitOk : kExitInvalid;
}

// The node's answer to GET `target` (a failed request: a message and its exit code).
Result<Json> Fetch(const NetOptions& net, const std::string& target) {
  Node node(net.rpc);
  auto c = node.Get();
  if (!c.ok()) return c.status();
  return (*c)->Get(target);
}

int RunGet(const ProofOptions& o) {
  auto genesis = ledger::LoadGenesis(o.genesis);
  if (!genesis.ok()) return Fail(kExitUsage, genesis.status());
  const int given = int(o.credential.has_value()) + int(o.issuer.has_value()) + int(o.governance);
  if (given != 1)
    return Fail(kExitUsage, "ask for exactly one of --credential, --issuer, --governance");
  std::string target = o.credential ? "/v1/credentials/" + UrlEscape(*o.credential)
                       : o.issuer   ? "/v1/issuers/" + UrlEscape(*o.issuer)
                                    : std::string("/v1/governance");
  auto j = Fetch(o.net, target + "?proof=true");
  if (!j.ok()) return FailFor(j.status());
  if (o.out) {
    if (auto st = WriteOutput(*o.out, j->dump(2) + "\n"); !st.ok()) return Fail(kExitUsage, st);
  }
  return Report(CheckProvenAnswer(*j, *genesis, std::nullopt, NowS(), o.max_age_s), *j, o.net.json);
}

int RunCheck(const ProofOptions& o) {
  auto genesis = ledger::LoadGenesis(o.genesis);
  if (!genesis.ok()) return Fail(kExitUsage, genesis.status());
  auto text = ReadInput(o.file);
  if (!text.ok()) return Fail(kExitUsage, text.status());
  Json answer;
  try {
    answer = Json::parse(*text);
  } catch (const std::exception&) {
    return Fail(kExitUsage, o.file + ": not JSON");
  }
  std::optional<std::string> card;
  if (o.card) {
    auto t = ReadInput(*o.card);
    if (!t.ok()) return Fail(kExitUsage, t.status());
    card = *t;
    while (!card->empty() && (card->back() == '\n' || card->back() == '\r')) card->pop_back();
  }
  return Report(CheckProvenAnswer(answer, *genesis, card, NowS(), o.max_age_s), answer, o.net.json);
}

// The credential record of a GET /v1/credentials/{id} answer, one field a line.
void PrintCredential(const Json& j) {
  std::ostringstream s;
  auto line = [&](const std::string& k, const std::string& v) {
    s << std::left << std::setw(15) << k << v << "\n";
  };
  line("credential_id", JsonStr(j, "credential_id"));
  line("issuer_id", JsonStr(j, "issuer_id"));
  line("type", JsonStr(j, "type"));
  const std::string level = JsonStr(j, "level");
  line("level", level.empty() || level == "LEVEL_UNSPECIFIED" ? "(none)" : level);
  line("key_version", std::to_string(JsonU64Or0(j, "key_version")));
  line("card_digest", JsonStr(j, "card_digest"));
  const uint64_t from = JsonU64Or0(j, "valid_from");
  const uint64_t until = JsonU64Or0(j, "valid_until");
  line("valid_from", from == 0 ? "(no start)" : FormatUnixTime(from));
  line("valid_until", until == 0 ? "(no end)" : FormatUnixTime(until));
  const std::string reason = JsonStr(j, "status_reason");
  const std::string by = JsonStr(j, "status_set_by");
  line("status", JsonStr(j, "status") + (reason.empty() ? "" : " (" + reason + ")") +
                     (by.empty() ? "" : ", set by the " + by));
  line("created", "height " + std::to_string(JsonU64Or0(j, "created_height")));
  line("updated", "height " + std::to_string(JsonU64Or0(j, "updated_height")));
  std::cout << s.str();
}

struct CredentialShowOptions {
  NetOptions net;
  std::string id;
  bool prove = false;
  std::string genesis;
  uint64_t max_age_s = kDefaultProofMaxAgeS;
  CLI::Option* max_age = nullptr;
};

// Without --prove: the node's answer, as it says it. With --prove: the answer is checked first
// (the same check as `proof get --credential`), and the record is printed only when proven,
// followed by "proven at height H by validators a,b,c"; otherwise "NOT PROVEN: why", exit 1.
int RunCredentialShow(const CredentialShowOptions& o) {
  std::optional<ledger::Genesis> genesis;
  if (o.prove) {
    if (o.genesis.empty()) {
      return Fail(kExitUsage,
                  "--prove checks the answer against the chain's validators: give "
                  "--genesis FILE");
    }
    auto g = ledger::LoadGenesis(o.genesis);
    if (!g.ok()) return Fail(kExitUsage, g.status());
    genesis = std::move(g).value();
  } else if (!o.genesis.empty() || o.max_age->count() > 0) {
    return Fail(kExitUsage, "--genesis and --max-age are only read with --prove");
  }
  const std::string target = "/v1/credentials/" + UrlEscape(o.id);
  auto j = Fetch(o.net, o.prove ? target + "?proof=true" : target);
  if (!j.ok()) return FailFor(j.status());
  if (!o.prove) {
    if (o.net.json) {
      PrintJson(*j);
    } else {
      PrintCredential(*j);
    }
    return kExitOk;
  }
  ProofCheck check = CheckProvenAnswer(*j, *genesis, std::nullopt, NowS(), o.max_age_s);
  // A proven answer about another credential than the one asked for proves nothing here.
  if (check.ok && JsonStr(*j, "credential_id") != o.id) {
    check.ok = false;
    check.why = "the node answered about credential '" +
                Printable(JsonStr(*j, "credential_id"), 200) + "', not '" + o.id + "'";
  }
  // JSON, or a refusal: as `proof get` reports it (the record is not shown as a fact).
  if (o.net.json || !check.ok) return Report(check, *j, o.net.json);
  PrintCredential(*j);
  std::string signers;
  for (const auto& n : check.state.signers) signers += (signers.empty() ? "" : ",") + n;
  std::cout << "proven at height " << check.state.height << " by validators " << signers << "\n";
  std::cout << check.statement << "\n";
  return kExitOk;
}

void AddProofOptions(CLI::App* cmd, ProofOptions& o) {
  cmd->add_option("--genesis", o.genesis, "The chain's genesis file (its validator set)")
      ->required();
  cmd->add_option("--max-age", o.max_age_s,
                  "Refuse a proof whose certified height is older than this many seconds (0: "
                  "no limit)")
      ->capture_default_str();
}

}  // namespace

void RegisterProofCommands(CLI::App& app, CommandRun& run) {
  auto* proof =
      app.add_subcommand("proof", "Proven reads: records checked against certified state");
  proof->require_subcommand(1);
  auto g = std::make_shared<ProofOptions>();
  auto* get = proof->add_subcommand(
      "get", "Fetch a record with its proof and check it (PROVEN ... / NOT PROVEN: why)");
  get->add_option("--credential", g->credential, "A credential id");
  get->add_option("--issuer", g->issuer, "An issuer id (proven with its chain to the root)");
  get->add_flag("--governance", g->governance, "The governance record");
  get->add_option("--out", g->out, "Also save the node's answer to this file");
  AddProofOptions(get, *g);
  AddNetOptions(get, g->net);
  get->callback([g, &run] { run = [g] { return RunGet(*g); }; });

  auto c = std::make_shared<ProofOptions>();
  auto* check = proof->add_subcommand(
      "check", "Check a saved proven answer (verify, credential, issuer or governance)");
  check->add_option("file", c->file, "The answer (JSON; - for stdin)")->required();
  check->add_option("--card", c->card, "For a verify answer: the card file it was about");
  AddProofOptions(check, *c);
  check->add_flag("--json", c->net.json, "Print JSON");
  check->callback([c, &run] { run = [c] { return RunCheck(*c); }; });

  auto* credential = app.add_subcommand("credential", "Credential records, proven or not");
  credential->require_subcommand(1);
  auto s = std::make_shared<CredentialShowOptions>();
  auto* show = credential->add_subcommand(
      "show", "Show one credential record; --prove checks it against certified state first");
  show->add_option("id", s->id, "The credential id")->required();
  show->add_flag("--prove", s->prove,
                 "Ask for the proof and check it (genesis validators, state root, age): prints "
                 "\"proven at height H by validators ...\" or NOT PROVEN: why (exit 1)");
  show->add_option("--genesis", s->genesis, "With --prove: the chain's genesis file");
  s->max_age =
      show->add_option(
              "--max-age", s->max_age_s,
              "With --prove: refuse a proof whose certified height is older than this many "
              "seconds (0: no limit)")
          ->capture_default_str();
  AddNetOptions(show, s->net);
  show->callback([s, &run] { run = [s] { return RunCredentialShow(*s); }; });
}

}  // namespace laurel::cli

// laurel proof get | check: proven reads (docs/cli.md "Proofs"). `get` asks a node for a
// record with ?proof=true and checks the answer; `check` checks an answer saved earlier. Both
// trust no node: only the genesis file's validator set.
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <memory>

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

int RunGet(const ProofOptions& o) {
  auto genesis = ledger::LoadGenesis(o.genesis);
  if (!genesis.ok()) return Fail(kExitUsage, genesis.status());
  const int given = int(o.credential.has_value()) + int(o.issuer.has_value()) + int(o.governance);
  if (given != 1) return Fail(kExitUsage, "ask for exactly one of --credential, --issuer, --governance");
  std::string target = o.credential  ? "/v1/credentials/" + UrlEscape(*o.credential)
                       : o.issuer    ? "/v1/issuers/" + UrlEscape(*o.issuer)
                                     : std::string("/v1/governance");
  Node node(o.net.rpc);
  auto c = node.Get();
  if (!c.ok()) return FailFor(c.status());
  auto j = (*c)->Get(target + "?proof=true");
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
  return Report(CheckProvenAnswer(answer, *genesis, card, NowS(), o.max_age_s), answer,
                o.net.json);
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
  auto* proof = app.add_subcommand("proof", "Proven reads: records checked against certified state");
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
}

}  // namespace laurel::cli

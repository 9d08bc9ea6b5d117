// laurel receipt get | verify: transaction receipts (docs/cli.md "Receipts"). `get` fetches a
// committed transaction's receipt (and checks it when given the genesis file); `verify` checks
// a saved receipt offline against the genesis validators alone.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/net_tx.h"
#include "cli/receipt_check.h"
#include "ledger/genesis_io.h"

namespace laurel::cli {
namespace {

struct ReceiptOptions {
  NetOptions net;
  std::optional<std::string> genesis;
  // get
  std::string tx_id;
  std::optional<std::string> out;
  // verify
  std::string file;
};

// Prints the outcome; exit 0 proven, 1 refused.
int Report(const ReceiptCheck& c, bool json) {
  if (json) {
    Json j = {{"proven", c.ok}};
    if (c.ok) {
      j["statement"] = c.statement;
      j["detail"] = c.detail;
      j["tx_id"] = HexEncode(c.receipt.tx_id);
      j["height"] = c.receipt.height;
      j["position"] = c.receipt.position;
      j["code"] = c.receipt.code;
      j["signers"] = c.receipt.signers;
    } else {
      j["why"] = c.why;
    }
    PrintJson(j);
  } else if (c.ok) {
    std::cout << c.statement << "\n  " << c.detail << "\n";
  } else {
    std::cout << "not proven: " << c.why << "\n";
  }
  return c.ok ? kExitOk : kExitInvalid;
}

int RunGet(const ReceiptOptions& o) {
  if (!HexDecode32(o.tx_id)) return Fail(kExitUsage, "TXID must be 64 hex characters");
  std::optional<ledger::Genesis> genesis;
  if (o.genesis) {
    auto g = ledger::LoadGenesis(*o.genesis);
    if (!g.ok()) return Fail(kExitUsage, g.status());
    genesis = std::move(g).value();
  }
  Node node(o.net.rpc);
  auto c = node.Get();
  if (!c.ok()) return FailFor(c.status());
  auto j = (*c)->Get("/v1/txs/" + o.tx_id + "/receipt");
  if (!j.ok()) return FailFor(j.status());
  if (o.out) {
    if (auto st = WriteOutput(*o.out, j->dump(2) + "\n"); !st.ok()) return Fail(kExitUsage, st);
  }
  if (genesis) return Report(CheckReceiptAnswer(*j, *genesis), o.net.json);
  if (!o.out) std::cout << j->dump(2) << "\n";
  return kExitOk;
}

int RunVerify(const ReceiptOptions& o) {
  auto genesis = ledger::LoadGenesis(*o.genesis);
  if (!genesis.ok()) return Fail(kExitUsage, genesis.status());
  auto text = ReadInput(o.file);
  if (!text.ok()) return Fail(kExitUsage, text.status());
  Json receipt;
  try {
    receipt = Json::parse(*text);
  } catch (const std::exception&) {
    return Fail(kExitUsage, o.file + ": not JSON");
  }
  return Report(CheckReceiptAnswer(receipt, *genesis), o.net.json);
}

}  // namespace

void RegisterReceiptCommands(CLI::App& app, CommandRun& run) {
  auto* receipt = app.add_subcommand(
      "receipt", "Transaction receipts: proof that a transaction was committed, and its result");
  receipt->require_subcommand(1);

  auto g = std::make_shared<ReceiptOptions>();
  auto* get = receipt->add_subcommand(
      "get", "Fetch a committed transaction's receipt (checked too when --genesis is given)");
  get->add_option("txid", g->tx_id, "The transaction id (64 hex characters)")->required();
  get->add_option("--out", g->out, "Save the receipt to this file (- for stdout)");
  get->add_option("--genesis", g->genesis, "Check the receipt against this genesis file");
  AddNetOptions(get, g->net);
  get->callback([g, &run] { run = [g] { return RunGet(*g); }; });

  auto v = std::make_shared<ReceiptOptions>();
  auto* verify = receipt->add_subcommand(
      "verify", "Check a saved receipt against the genesis validators alone (no node needed)");
  verify->add_option("file", v->file, "The receipt (JSON; - for stdin)")->required();
  verify->add_option("--genesis", v->genesis, "The chain's genesis file (its validator set)")
      ->required();
  verify->add_flag("--json", v->net.json, "Print JSON");
  verify->callback([v, &run] { run = [v] { return RunVerify(*v); }; });
}

}  // namespace laurel::cli

// laurel audit: download a node's chain and check all of it from genesis (cli/audit.h,
// docs/auditor.md). Exit 0: AUDIT PASSED; 1: AUDIT FAILED at the first bad height (or the
// node's genesis is not the pinned one, or too few state certificates with
// --require-certificates); 2: usage, or the node cannot be reached.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/audit.h"
#include "cli/commands.h"
#include "cli/http_client.h"
#include "laurel/v1/chain.pb.h"
#include "ledger/genesis_io.h"

namespace laurel::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct AuditOptions {
  std::string rpc;
  std::string genesis_file;
  bool json = false;
  uint32_t batch = 200;
  std::optional<uint64_t> to;
  unsigned threads = 2;
  bool require_certificates = false;
};

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A node answer the audit cannot use because of the transport or the node's state (exit 2),
// as opposed to data that fails a check (exit 1).
struct Fetched {
  v1::BlockRange range;
  std::string undecodable;  // set when the 200 answer is not a BlockRange
};

Result<Fetched> FetchRange(HttpConn& conn, uint64_t from, uint32_t limit) {
  const std::string target =
      "/v1/blocks?from=" + std::to_string(from) + "&limit=" + std::to_string(limit);
  LAUREL_ASSIGN_OR_RETURN(HttpResponse r, conn.Do("GET", target, {}, {}, "application/x-protobuf"));
  if (r.status != 200) {
    return Status::Unavailable(conn.url().text + target + ": HTTP " + std::to_string(r.status) +
                               ": " + r.body.substr(0, 300));
  }
  Fetched f;
  if (!f.range.ParseFromString(r.body)) {
    f.undecodable = "the node's answer for heights from " + std::to_string(from) +
                    " is not a laurel.v1.BlockRange";
  }
  return f;
}

class Reporter {
 public:
  Reporter(const AuditOptions& o, std::string url) : o_(o), url_(std::move(url)) {}

  void Progress(const AuditTotals& t, uint64_t target) {
    const auto now = Clock::now();
    if (now - last_ < std::chrono::seconds(2)) return;
    const double dt = std::chrono::duration<double>(now - last_).count();
    std::fprintf(stderr, "audit: height %llu/%llu  %.0f blocks/s  %.0f tx/s\n",
                 static_cast<unsigned long long>(t.height), static_cast<unsigned long long>(target),
                 static_cast<double>(t.blocks - last_blocks_) / dt,
                 static_cast<double>(t.txs - last_txs_) / dt);
    last_ = now;
    last_blocks_ = t.blocks;
    last_txs_ = t.txs;
  }

  // The verdict once every height passed its checks. Few state certificates (FewCertificates)
  // add a warning, or fail the audit with --require-certificates.
  int Passed(const AuditTotals& t, const std::string& chain_id) const {
    const double secs = SecondsSince(start_);
    const double tps = secs > 0 ? static_cast<double>(t.txs) / secs : 0;
    const bool few = FewCertificates(t);
    const bool failed = few && o_.require_certificates;
    const std::string certified = std::to_string(t.certified) + " of " +
                                  std::to_string(t.blocks > 0 ? t.blocks - 1 : 0) +
                                  " heights after genesis";
    const std::string few_text =
        "only " + certified +
        " carry a state certificate; those without one were checked against their commit "
        "proofs and re-executed, but no quorum signed the state they give";
    if (o_.json) {
      nlohmann::json j = Summary(t, chain_id, secs);
      j["verdict"] = failed ? "FAILED" : "PASSED";
      if (failed) {
        j["reason"] = few_text + " (--require-certificates)";
      } else if (few) {
        j["warning"] = few_text;
      }
      std::cout << j.dump(2) << "\n";
    } else if (failed) {
      std::printf("AUDIT FAILED: %s (--require-certificates)\n", few_text.c_str());
    } else {
      const std::string last =
          t.certified > 0 ? " (last at height " + std::to_string(t.last_certified) + ")" : "";
      std::printf(
          "AUDIT PASSED: %llu blocks (heights 0..%llu), %llu txs, %s certified%s, block id %s, "
          "state root %s (%.1f s, %.0f tx/s)\n",
          static_cast<unsigned long long>(t.blocks), static_cast<unsigned long long>(t.height),
          static_cast<unsigned long long>(t.txs), certified.c_str(), last.c_str(),
          HexEncode(t.block_id).c_str(), HexEncode(t.state_root).c_str(), secs, tps);
      if (t.epochs > 0) {
        std::printf("epochs 0..%llu: the validator set changed %llu times; every block and "
                    "certificate checked against its epoch's set\n",
                    static_cast<unsigned long long>(t.epochs),
                    static_cast<unsigned long long>(t.epochs));
      }
      if (few) std::printf("WARNING: %s\n", few_text.c_str());
    }
    return failed ? kExitInvalid : kExitOk;
  }

  int Failed(const AuditFailure& f, const AuditTotals& t, const std::string& chain_id) const {
    if (o_.json) {
      nlohmann::json j = Summary(t, chain_id, SecondsSince(start_));
      j["verdict"] = "FAILED";
      j["failed_height"] = f.height;
      j["reason"] = Printable(f.what);
      std::cout << j.dump(2) << "\n";
    } else {
      std::printf("AUDIT FAILED at height %llu: %s\n", static_cast<unsigned long long>(f.height),
                  Printable(f.what).c_str());
    }
    return kExitInvalid;
  }

 private:
  nlohmann::json Summary(const AuditTotals& t, const std::string& chain_id, double secs) const {
    return {{"rpc", url_},
            {"chain_id", chain_id},
            {"genesis", o_.genesis_file.empty() ? "from the node" : o_.genesis_file},
            {"blocks", t.blocks},
            {"txs", t.txs},
            {"height", t.height},
            {"block_id", HexEncode(t.block_id)},
            {"state_root", HexEncode(t.state_root)},
            {"certified_heights", t.certified},
            {"epoch_changes", t.epochs},
            {"last_certified_height", t.last_certified},
            {"seconds", secs},
            {"txs_per_s", secs > 0 ? static_cast<double>(t.txs) / secs : 0.0},
            {"blocks_per_s", secs > 0 ? static_cast<double>(t.blocks) / secs : 0.0}};
  }

  const AuditOptions& o_;
  std::string url_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_ = Clock::now();
  uint64_t last_blocks_ = 0;
  uint64_t last_txs_ = 0;
};

int RunAudit(const AuditOptions& o) {
  std::string url_text = o.rpc;
  if (url_text.empty()) {
    const char* env = std::getenv("LAUREL_RPC");
    url_text = env != nullptr && *env != '\0' ? env : "http://127.0.0.1:8700";
  }
  auto url = ParseUrl(url_text);
  if (!url.ok()) return Fail(kExitUsage, url.status());
  Reporter report(o, url->text);
  HttpConn conn(*url);

  // Genesis: the node's document, checked against the pinned file when one is given.
  auto doc = conn.Do("GET", "/v1/genesis", {}, {});
  if (!doc.ok()) return Fail(kExitUsage, doc.status());
  if (doc->status != 200) {
    return Fail(kExitUsage, url->text + "/v1/genesis: HTTP " + std::to_string(doc->status));
  }
  AuditTotals none;
  auto node_genesis = ledger::ParseGenesisJson(doc->body);
  if (!node_genesis.ok()) {
    return report.Failed(
        {0, "the node's genesis document is invalid: " + node_genesis.status().message()}, none,
        "");
  }
  ledger::Genesis genesis = *node_genesis;
  if (!o.genesis_file.empty()) {
    auto pinned = ledger::LoadGenesis(o.genesis_file);
    if (!pinned.ok()) return Fail(kExitUsage, pinned.status());
    auto a = ledger::GenesisToJson(*pinned);
    auto b = ledger::GenesisToJson(*node_genesis);
    if (!a.ok() || !b.ok() || *a != *b) {
      return report.Failed(
          {0, "the node's genesis (chain " + node_genesis->chain_id + ") differs from " +
                  o.genesis_file + " (chain " + pinned->chain_id + ")"},
          none, pinned->chain_id);
    }
    genesis = std::move(pinned).value();
  }
  const std::string chain_id = genesis.chain_id;
  ChainAuditor auditor(std::move(genesis), o.threads);

  // Blocks: one request in flight while the previous batch is checked.
  auto fetch = [&conn, batch = o.batch](uint64_t from) { return FetchRange(conn, from, batch); };
  std::future<Result<Fetched>> next = std::async(std::launch::async, fetch, uint64_t{0});
  std::optional<uint64_t> target;
  uint64_t tip = 0;
  for (;;) {
    auto got = next.get();
    if (!got.ok()) return Fail(kExitUsage, got.status());
    const uint64_t from = auditor.next_height();
    if (!got->undecodable.empty()) {
      return report.Failed({from, got->undecodable}, auditor.totals(), chain_id);
    }
    const v1::BlockRange& range = got->range;
    tip = range.tip_height();
    if (!target) {
      if (o.to && *o.to > tip) {
        return Fail(kExitUsage, "--to " + std::to_string(*o.to) + " is above the node's tip " +
                                    std::to_string(tip));
      }
      target = o.to.value_or(tip);
    }
    if (range.blocks_size() == 0) {
      if (from <= *target) {
        return report.Failed(
            {from, "the node serves no block at this height (tip " + std::to_string(tip) + ")"},
            auditor.totals(), chain_id);
      }
      if (auto f = auditor.Finish()) return report.Failed(*f, auditor.totals(), chain_id);
      break;
    }
    std::vector<AuditBlock> blocks;
    blocks.reserve(range.blocks_size());
    for (const auto& m : range.blocks()) {
      const uint64_t h = m.block().meta().height();
      // Heights past the target are fetched only while a block waits for its commit proof.
      if (h > *target && from <= *target) break;
      auto ab = AuditBlockFromProto(m);
      if (!ab.ok()) {
        return report.Failed({h, "malformed block record: " + ab.status().message()},
                             auditor.totals(), chain_id);
      }
      blocks.push_back(std::move(ab).value());
    }
    const uint64_t after = range.next_height();
    const bool more = after <= *target;
    if (more) next = std::async(std::launch::async, fetch, after);
    auto failure = auditor.Check(std::move(blocks),
                                 [&](const AuditTotals& t) { report.Progress(t, *target); });
    if (failure) {
      if (next.valid()) (void)next.wait();
      return report.Failed(*failure, auditor.totals(), chain_id);
    }
    if (auditor.next_height() > *target && !auditor.proof_pending()) break;
    if (!more) next = std::async(std::launch::async, fetch, auditor.next_height());
  }
  return report.Passed(auditor.totals(), chain_id);
}

}  // namespace

void RegisterAuditCommands(CLI::App& app, CommandRun& run) {
  auto o = std::make_shared<AuditOptions>();
  auto* cmd = app.add_subcommand(
      "audit",
      "Check a node's whole chain from genesis: hash links, block ids, proposer signatures, "
      "commit proofs, tx signatures, re-execution of every block against the stored results "
      "and the state certificates (docs/auditor.md). Exit 0 passed, 1 failed, 2 unreachable.");
  cmd->add_option("--rpc", o->rpc, "node URL (default: $LAUREL_RPC, else http://127.0.0.1:8700)");
  cmd->add_option("--genesis", o->genesis_file,
                  "the genesis file to trust; the node's must be identical (default: the "
                  "node's own genesis)");
  cmd->add_flag("--json", o->json, "print a JSON summary instead of the verdict line");
  cmd->add_option("--batch", o->batch, "blocks per request (1-1000)")->check(CLI::Range(1, 1000));
  cmd->add_option("--to", o->to, "stop at this height (default: the node's tip at the start)");
  cmd->add_option("--threads", o->threads, "signature-checking threads (1-16)")
      ->check(CLI::Range(1, 16));
  cmd->add_flag("--require-certificates", o->require_certificates,
                "fail (exit 1) when fewer than half of the heights after genesis carry a state "
                "certificate, instead of passing with a warning");
  cmd->callback([o, &run] { run = [o] { return RunAudit(*o); }; });
}

}  // namespace laurel::cli

// laurel audit: download a node's chain and check all of it from genesis (cli/audit.h,
// docs/auditor.md). Exit 0: AUDIT PASSED; 1: AUDIT FAILED at the first bad height (or the
// node's genesis is not the pinned one, or too few state certificates with
// --require-certificates, or the chain no longer extends the --checkpoint, or the --rpc nodes
// differ at the compared height); 2: usage, or a node cannot be reached.
//
// --checkpoint FILE keeps the audited tip in FILE (JSON) and the re-executed state in
// FILE.state/ (RocksDB); the next run checks that the node's block at the checkpoint's height
// is the recorded one and audits only the heights after it. The state is copied to
// FILE.state.work/ for the run (RocksDB's table files hard-linked, being immutable) and swapped
// in only when the audit passes, so a failed run leaves the checkpoint as it was.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/audit.h"
#include "cli/commands.h"
#include "cli/http_client.h"
#include "cli/net_tx.h"
#include "cli/proof_check.h"
#include "verifier/verifier.h"
#include "laurel/v1/chain.pb.h"
#include "ledger/genesis_io.h"
#include "types/proto_json.h"

namespace laurel::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct AuditOptions {
  std::vector<std::string> rpc;
  std::string checkpoint;
  std::string genesis_file;
  bool json = false;
  uint32_t batch = 200;
  std::optional<uint64_t> to;
  unsigned threads = 2;
  bool require_certificates = false;
  std::optional<uint64_t> from;  // --from H: the checkpoint must be at H
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
  // With `sink`, the JSON summary goes there instead of stdout (several nodes, --json).
  Reporter(const AuditOptions& o, std::string url, nlohmann::json* sink = nullptr)
      : o_(o), url_(std::move(url)), sink_(sink) {}

  // Prints (or stores) a --json summary.
  void Emit(const nlohmann::json& j) const {
    if (sink_ != nullptr) {
      *sink_ = j;
    } else {
      std::cout << j.dump(2) << "\n";
    }
  }

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
      if (resumed_from_) {
        j["resumed_from_height"] = *resumed_from_;
        j["blocks_downloaded"] = downloaded_;
      }
      if (!log_line_.empty()) j["log"] = log_line_;
      Emit(j);
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
      if (resumed_from_ && t.height > *resumed_from_) {
        std::printf(
            "checkpoint: the chain extends the checkpoint at height %llu; heights "
            "%llu..%llu audited in this run (%llu blocks downloaded)\n",
            static_cast<unsigned long long>(*resumed_from_),
            static_cast<unsigned long long>(*resumed_from_ + 1),
            static_cast<unsigned long long>(t.height),
            static_cast<unsigned long long>(downloaded_));
      } else if (resumed_from_) {
        std::printf(
            "checkpoint: the chain extends the checkpoint at height %llu; nothing new "
            "to audit\n",
            static_cast<unsigned long long>(*resumed_from_));
      }
      if (few) std::printf("WARNING: %s\n", few_text.c_str());
    }
    return failed ? kExitInvalid : kExitOk;
  }

  void SetResumedFrom(uint64_t h) { resumed_from_ = h; }
  void SetLogLine(std::string line) { log_line_ = std::move(line); }
  void Downloaded(uint64_t n) { downloaded_ += n; }

  int Failed(const AuditFailure& f, const AuditTotals& t, const std::string& chain_id) const {
    if (o_.json) {
      nlohmann::json j = Summary(t, chain_id, SecondsSince(start_));
      j["verdict"] = "FAILED";
      j["failed_height"] = f.height;
      j["reason"] = Printable(f.what);
      Emit(j);
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
  nlohmann::json* sink_ = nullptr;
  std::optional<uint64_t> resumed_from_;
  std::string log_line_;
  uint64_t downloaded_ = 0;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_ = Clock::now();
  uint64_t last_blocks_ = 0;
  uint64_t last_txs_ = 0;
};

// ---- checkpoints ----------------------------------------------------------------------------

namespace fs = std::filesystem;

struct Checkpoint {
  std::string chain_id;
  AuditResumePoint point;
};

std::string StateDir(const std::string& file) { return file + ".state"; }
std::string WorkDir(const std::string& file) { return file + ".state.work"; }

Result<Hash32> HashOf(const nlohmann::json& j, const char* key, const std::string& file) {
  if (!j.contains(key) || !j[key].is_string()) {
    return Status::InvalidArgument(file + ": '" + key + "' is missing");
  }
  auto h = HexDecode32(j[key].get<std::string>());
  if (!h) return Status::InvalidArgument(file + ": '" + key + "' is not 64 hex characters");
  return *h;
}

Result<uint64_t> U64Of(const nlohmann::json& j, const char* key, const std::string& file) {
  if (!j.contains(key) || !j[key].is_number_unsigned()) {
    return Status::InvalidArgument(file + ": '" + key + "' is not a non-negative integer");
  }
  return j[key].get<uint64_t>();
}

constexpr const char* kCheckpointFormat = "laurel-audit-checkpoint/1";

// Reads FILE. kIoError when unreadable, kInvalidArgument when it is not a checkpoint.
Result<Checkpoint> ReadCheckpoint(const std::string& file) {
  LAUREL_ASSIGN_OR_RETURN(std::string text, ReadInput(file));
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("format", "") != kCheckpointFormat) {
    return Status::InvalidArgument(file + " is not a " + std::string(kCheckpointFormat) + " file");
  }
  Checkpoint c;
  c.chain_id = j.value("chain_id", "");
  AuditResumePoint& p = c.point;
  LAUREL_ASSIGN_OR_RETURN(p.height, U64Of(j, "height", file));
  LAUREL_ASSIGN_OR_RETURN(p.block_id, HashOf(j, "block_id", file));
  LAUREL_ASSIGN_OR_RETURN(p.state_root, HashOf(j, "state_root", file));
  LAUREL_ASSIGN_OR_RETURN(p.epoch, U64Of(j, "epoch", file));
  LAUREL_ASSIGN_OR_RETURN(p.epoch_start_height, U64Of(j, "epoch_start_height", file));
  LAUREL_ASSIGN_OR_RETURN(p.epoch_root_id, HashOf(j, "epoch_root_id", file));
  if (!j.contains("totals") || !j["totals"].is_object()) {
    return Status::InvalidArgument(file + ": 'totals' is missing");
  }
  const auto& t = j["totals"];
  LAUREL_ASSIGN_OR_RETURN(p.totals.blocks, U64Of(t, "blocks", file));
  LAUREL_ASSIGN_OR_RETURN(p.totals.txs, U64Of(t, "txs", file));
  LAUREL_ASSIGN_OR_RETURN(p.totals.certified, U64Of(t, "certified_heights", file));
  LAUREL_ASSIGN_OR_RETURN(p.totals.epochs, U64Of(t, "epoch_changes", file));
  LAUREL_ASSIGN_OR_RETURN(p.totals.last_certified, U64Of(t, "last_certified_height", file));
  if (!j.contains("log_size") || !j.contains("log_root")) {
    return Status::InvalidArgument(
        file + " records no transaction log head (written by a release before the log); "
               "remove it and its .state folder to audit from genesis again");
  }
  LAUREL_ASSIGN_OR_RETURN(p.log_size, U64Of(j, "log_size", file));
  LAUREL_ASSIGN_OR_RETURN(p.log_root, HashOf(j, "log_root", file));
  if (c.chain_id.empty() || p.height == 0 || p.totals.blocks != p.height + 1) {
    return Status::InvalidArgument(file + ": inconsistent chain_id, height or totals");
  }
  return c;
}

std::string CheckpointJson(const std::string& chain_id, const std::string& url,
                           const AuditResumePoint& p, const nlohmann::json& certificate) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  nlohmann::ordered_json j = {{"format", kCheckpointFormat},
                              {"chain_id", chain_id},
                              {"height", p.height},
                              {"block_id", HexEncode(p.block_id)},
                              {"state_root", HexEncode(p.state_root)},
                              {"state_certificate", certificate},
                              {"epoch", p.epoch},
                              {"epoch_start_height", p.epoch_start_height},
                              {"epoch_root_id", HexEncode(p.epoch_root_id)},
                              {"log_size", p.log_size},
                              {"log_root", HexEncode(p.log_root)},
                              {"totals",
                               {{"blocks", p.totals.blocks},
                                {"txs", p.totals.txs},
                                {"certified_heights", p.totals.certified},
                                {"epoch_changes", p.totals.epochs},
                                {"last_certified_height", p.totals.last_certified}}},
                              {"audited_from", url},
                              {"audited_at", FormatUnixTime(static_cast<uint64_t>(now))}};
  return j.dump(2) + "\n";
}

// A copy of a closed RocksDB folder: table files (.sst, never changed once written) are
// hard-linked when the file system allows it, everything else copied.
Status CopyStateFolder(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return Status::IoError("cannot create " + to + ": " + ec.message());
  for (const auto& e : fs::directory_iterator(from, ec)) {
    if (!e.is_regular_file()) continue;
    const fs::path dst = fs::path(to) / e.path().filename();
    std::error_code link_ec;
    if (e.path().extension() == ".sst") fs::create_hard_link(e.path(), dst, link_ec);
    if (e.path().extension() != ".sst" || link_ec) {
      fs::copy_file(e.path(), dst, fs::copy_options::overwrite_existing, ec);
      if (ec) return Status::IoError("cannot copy " + e.path().string() + ": " + ec.message());
    }
  }
  if (ec) return Status::IoError("cannot read " + from + ": " + ec.message());
  return Status::Ok();
}

// ---- the transaction log: the certified head extends the checkpoint's ----------------------

// What the log check found: the line to print, or the failure (exit 1) or trouble (exit 2).
struct LogCheck {
  int exit = kExitOk;
  std::string line;      // on success
  std::string failure;   // exit 1: what does not verify
  Status trouble;        // exit 2
};

Result<nlohmann::json> GetJson(HttpConn& conn, const std::string& target) {
  LAUREL_ASSIGN_OR_RETURN(HttpResponse r, conn.Do("GET", target, {}, {}));
  auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (r.status != 200) {
    return Status::Unavailable(conn.url().text + target + ": HTTP " + std::to_string(r.status) +
                               ": " + r.body.substr(0, 300));
  }
  if (!j.is_object()) return Status::Corruption(target + ": the answer is not a JSON object");
  return j;
}

// Fetches the newest certified log head (GET /v1/log?proof=true) above the checkpoint's height,
// checks it against the genesis validators (verifier::CheckLogHead), then the consistency
// proof from the checkpoint's log size and root to it (verifier::CheckLogConsistency).
LogCheck CheckLogExtends(HttpConn& conn, const verifier::ValidatorSet& set,
                         const AuditResumePoint& p) {
  LogCheck out;
  nlohmann::json head_json;
  for (int attempt = 0;; ++attempt) {
    auto got = GetJson(conn, "/v1/log?proof=true");
    if (got.ok()) {
      head_json = std::move(got).value();
      const auto& pj = head_json.contains("proof") ? head_json["proof"] : nlohmann::json();
      uint64_t h = 0;
      if (pj.is_object() && pj.contains("height")) {
        const auto& hv = pj["height"];
        if (hv.is_string()) h = std::strtoull(hv.get<std::string>().c_str(), nullptr, 10);
        if (hv.is_number_unsigned()) h = hv.get<uint64_t>();
      }
      if (h > p.height) break;
    }
    if (attempt >= 40) {
      out.exit = kExitUsage;
      out.trouble = got.ok() ? Status::Unavailable("the node certifies no log head above the "
                                                   "checkpoint's height " +
                                                   std::to_string(p.height) + " yet; retry later")
                             : got.status();
      return out;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  auto head = verifier::CheckLogHead(head_json, set, 0, 0);
  if (!head.ok()) {
    out.exit = kExitInvalid;
    out.failure = "the certified transaction log head does not verify: " + head.status().message();
    return out;
  }
  const uint64_t a = p.log_size;
  const uint64_t b = head->size;
  const std::string where = "from size " + std::to_string(a) + " (height " +
                            std::to_string(p.height) + ") to size " + std::to_string(b) +
                            " (height " + std::to_string(head->state.height) + ")";
  if (b < a) {
    out.exit = kExitInvalid;
    out.failure = "LOG INCONSISTENT: the certified transaction log shrank " + where;
    return out;
  }
  std::vector<Bytes> proof;
  if (a == 0) {
    // Nothing was logged at the checkpoint: every log extends the empty one.
  } else if (a == b) {
    if (head->root != p.log_root) {
      out.exit = kExitInvalid;
      out.failure = "LOG INCONSISTENT: the certified transaction log of size " + std::to_string(b) +
                    " has root " + HexEncode(head->root) + ", the checkpoint recorded " +
                    HexEncode(p.log_root);
      return out;
    }
  } else {
    auto cj = GetJson(conn, "/v1/log/proof/consistency?first=" + std::to_string(a) +
                                "&second=" + std::to_string(b));
    if (!cj.ok()) {
      out.exit = kExitUsage;
      out.trouble = cj.status();
      return out;
    }
    const Status st = verifier::CheckLogConsistencyAnswer(*cj, a, p.log_root, b, head->root);
    if (!st.ok()) {
      out.exit = kExitInvalid;
      out.failure = "LOG INCONSISTENT: the node's certified log at height " +
                    std::to_string(head->state.height) +
                    " does not extend the log audited at height " + std::to_string(p.height) +
                    ": " + st.message();
      return out;
    }
  }
  std::string signers;
  for (const auto& n : head->state.signers) signers += (signers.empty() ? "" : ",") + n;
  out.line = "log consistent " + where + ", proven by validators " + signers;
  return out;
}

// ---- one node ---------------------------------------------------------------------------------

// What one node's audit found, for comparing several.
struct NodeAudit {
  int exit = kExitUsage;
  std::string url;
  bool reached_target = false;
  uint64_t target = 0;
  Hash32 block_id{};    // at `target`
  Hash32 state_root{};  // at `target`
};

// Audits the node at `url_text` up to `to` (the node's tip when nullopt). With `checkpoint`
// (one node only), resumes from and updates it.
NodeAudit AuditNode(const AuditOptions& o, const std::string& url_text, std::optional<uint64_t> to,
                    nlohmann::json* sink) {
  NodeAudit out;
  out.url = url_text;
  auto url = ParseUrl(url_text);
  if (!url.ok()) {
    out.exit = Fail(kExitUsage, url.status());
    return out;
  }
  Reporter report(o, url->text, sink);
  HttpConn conn(*url);

  // Genesis: the node's document, checked against the pinned file when one is given.
  auto doc = conn.Do("GET", "/v1/genesis", {}, {});
  if (!doc.ok()) {
    out.exit = Fail(kExitUsage, doc.status());
    return out;
  }
  if (doc->status != 200) {
    out.exit = Fail(kExitUsage, url->text + "/v1/genesis: HTTP " + std::to_string(doc->status));
    return out;
  }
  AuditTotals none;
  auto node_genesis = ledger::ParseGenesisJson(doc->body);
  if (!node_genesis.ok()) {
    out.exit = report.Failed(
        {0, "the node's genesis document is invalid: " + node_genesis.status().message()}, none,
        "");
    return out;
  }
  ledger::Genesis genesis = *node_genesis;
  if (!o.genesis_file.empty()) {
    auto pinned = ledger::LoadGenesis(o.genesis_file);
    if (!pinned.ok()) {
      out.exit = Fail(kExitUsage, pinned.status());
      return out;
    }
    auto a = ledger::GenesisToJson(*pinned);
    auto b = ledger::GenesisToJson(*node_genesis);
    if (!a.ok() || !b.ok() || *a != *b) {
      out.exit = report.Failed(
          {0, "the node's genesis (chain " + node_genesis->chain_id + ") differs from " +
                  o.genesis_file + " (chain " + pinned->chain_id + ")"},
          none, pinned->chain_id);
      return out;
    }
    genesis = std::move(pinned).value();
  }
  const std::string chain_id = genesis.chain_id;
  const verifier::ValidatorSet validator_set = ValidatorSetOf(genesis);

  // The checkpoint: read it, check the node's chain still extends it, and prepare the state.
  std::optional<Checkpoint> checkpoint;
  std::unique_ptr<storage::Store> store;
  const std::string& file = o.checkpoint;
  if (!file.empty()) {
    std::error_code ec;
    fs::remove_all(WorkDir(file), ec);  // left by an interrupted run
    if (fs::exists(file)) {
      auto c = ReadCheckpoint(file);
      if (!c.ok()) {
        out.exit = Fail(kExitUsage, c.status());
        return out;
      }
      if (c->chain_id != chain_id) {
        out.exit =
            report.Failed({0, "the checkpoint " + file + " is of chain " +
                                  Printable(c->chain_id, 100) + ", the node's is " + chain_id},
                          none, chain_id);
        return out;
      }
      const uint64_t h = c->point.height;
      if (o.from && *o.from != h) {
        out.exit = Fail(kExitUsage, "--from " + std::to_string(*o.from) + ": the checkpoint " +
                                        file + " records height " + std::to_string(h));
        return out;
      }
      auto got = FetchRange(conn, h, 1);
      if (!got.ok()) {
        out.exit = Fail(kExitUsage, got.status());
        return out;
      }
      if (got->range.tip_height() < h) {
        out.exit = Fail(kExitUsage, "the node at " + url->text + " is at height " +
                                        std::to_string(got->range.tip_height()) +
                                        ", below the checkpoint's " + std::to_string(h) +
                                        "; audit a node that has caught up");
        return out;
      }
      std::string node_block;
      if (got->undecodable.empty() && got->range.blocks_size() > 0 &&
          got->range.blocks(0).block().meta().height() == h) {
        node_block = HexEncode(ToBytes(got->range.blocks(0).block().meta().block_id()));
      }
      if (node_block != HexEncode(c->point.block_id)) {
        out.exit =
            report.Failed({h, "the chain does not extend the checkpoint " + file +
                                  ": the node's block at "
                                  "height " +
                                  std::to_string(h) + " is " +
                                  (node_block.empty() ? std::string("not served") : node_block) +
                                  ", the checkpoint recorded " + HexEncode(c->point.block_id) +
                                  " (history rewritten, or the checkpoint altered)"},
                          none, chain_id);
        return out;
      }
      if (!fs::is_directory(StateDir(file))) {
        out.exit =
            Fail(kExitUsage, "the checkpoint's audit state " + StateDir(file) +
                                 " is missing; remove " + file + " to audit from genesis again");
        return out;
      }
      if (Status st = CopyStateFolder(StateDir(file), WorkDir(file)); !st.ok()) {
        out.exit = Fail(kExitUsage, st);
        return out;
      }
      checkpoint = std::move(c).value();
    } else if (o.from) {
      out.exit = Fail(kExitUsage, "--from " + std::to_string(*o.from) + ": " + file +
                                      " does not exist (audit once with --checkpoint first)");
      return out;
    } else {
      fs::remove_all(StateDir(file), ec);  // a state without its checkpoint file is of no use
    }
    auto opened = storage::OpenRocksStore(WorkDir(file));
    if (!opened.ok()) {
      out.exit =
          Fail(kExitUsage, "audit state " + WorkDir(file) + ": " + opened.status().ToString());
      return out;
    }
    store = std::move(opened).value();
  }
  auto auditor = std::make_unique<ChainAuditor>(std::move(genesis), o.threads, std::move(store));
  // Drops the work copy of the state on every way out but the one that keeps it.
  bool keep_work = false;
  struct WorkCleanup {
    const std::string* file;
    bool* keep;
    std::unique_ptr<ChainAuditor>* auditor;
    ~WorkCleanup() {
      if (file->empty() || *keep) return;
      auditor->reset();
      std::error_code ec;
      fs::remove_all(WorkDir(*file), ec);
    }
  } cleanup{&file, &keep_work, &auditor};
  if (checkpoint) {
    if (Status st = auditor->ResumeAt(checkpoint->point); !st.ok()) {
      out.exit = report.Failed(
          {checkpoint->point.height,
           "the checkpoint " + file + " does not match its audit state: " + st.message()},
          none, chain_id);
      return out;
    }
    report.SetResumedFrom(checkpoint->point.height);
    LogCheck lc = CheckLogExtends(conn, validator_set, checkpoint->point);
    if (lc.exit == kExitUsage) {
      out.exit = Fail(kExitUsage, lc.trouble);
      return out;
    }
    if (lc.exit != kExitOk) {
      std::fprintf(stderr, "laurel audit: %s\n", lc.failure.c_str());
      out.exit = report.Failed({checkpoint->point.height, lc.failure}, checkpoint->point.totals,
                               chain_id);
      return out;
    }
    if (!o.json) std::printf("%s\n", lc.line.c_str());
    std::fflush(stdout);
    report.SetLogLine(lc.line);
  }

  // Blocks: one request in flight while the previous batch is checked.
  auto fetch = [&conn, batch = o.batch](uint64_t from) { return FetchRange(conn, from, batch); };
  std::future<Result<Fetched>> next = std::async(std::launch::async, fetch, auditor->next_height());
  std::optional<uint64_t> target;
  uint64_t tip = 0;
  nlohmann::json tip_certificate;  // the state certificate of the last audited height, or null
  auto progress = [&](const AuditTotals& t) {
    report.Progress(t, target.value_or(0));
    if (target && t.height == *target) {
      out.reached_target = true;
      out.block_id = t.block_id;
      out.state_root = t.state_root;
    }
  };
  for (;;) {
    auto got = next.get();
    if (!got.ok()) {
      out.exit = Fail(kExitUsage, got.status());
      return out;
    }
    const uint64_t from = auditor->next_height();
    if (!got->undecodable.empty()) {
      out.exit = report.Failed({from, got->undecodable}, auditor->totals(), chain_id);
      return out;
    }
    const v1::BlockRange& range = got->range;
    tip = range.tip_height();
    if (!target) {
      if (to && *to > tip) {
        out.exit = Fail(kExitUsage, "--to " + std::to_string(*to) + " is above the tip " +
                                        std::to_string(tip) + " of " + url->text);
        return out;
      }
      target = to.value_or(tip);
      out.target = *target;
      if (checkpoint && *target < from) {
        // Nothing new to audit (or --to at or below the checkpoint).
        if (*target == checkpoint->point.height) {
          out.reached_target = true;
          out.block_id = checkpoint->point.block_id;
          out.state_root = checkpoint->point.state_root;
        }
        break;
      }
    }
    if (range.blocks_size() == 0) {
      if (from <= *target) {
        out.exit = report.Failed(
            {from, "the node serves no block at this height (tip " + std::to_string(tip) + ")"},
            auditor->totals(), chain_id);
        return out;
      }
      if (auto f = auditor->Finish()) {
        out.exit = report.Failed(*f, auditor->totals(), chain_id);
        return out;
      }
      break;
    }
    report.Downloaded(static_cast<uint64_t>(range.blocks_size()));
    std::vector<AuditBlock> blocks;
    blocks.reserve(range.blocks_size());
    for (const auto& m : range.blocks()) {
      const uint64_t h = m.block().meta().height();
      // Heights past the target are fetched only while a block waits for its commit proof.
      if (h > *target && from <= *target) break;
      auto ab = AuditBlockFromProto(m);
      if (!ab.ok()) {
        out.exit = report.Failed({h, "malformed block record: " + ab.status().message()},
                                 auditor->totals(), chain_id);
        return out;
      }
      blocks.push_back(std::move(ab).value());
    }
    const uint64_t after = range.next_height();
    const bool more = after <= *target;
    if (more) next = std::async(std::launch::async, fetch, after);
    auto failure = auditor->Check(std::move(blocks), progress);
    if (failure) {
      if (next.valid()) (void)next.wait();
      out.exit = report.Failed(*failure, auditor->totals(), chain_id);
      return out;
    }
    for (const auto& m : range.blocks()) {
      if (m.block().meta().height() != auditor->totals().height) continue;
      tip_certificate =
          m.has_state_certificate()
              ? nlohmann::json::parse(types::MessageToJson(m.state_certificate(), false))
              : nlohmann::json();
    }
    if (auditor->next_height() > *target && !auditor->proof_pending()) break;
    if (!more) next = std::async(std::launch::async, fetch, auditor->next_height());
  }
  out.exit = report.Passed(auditor->totals(), chain_id);
  if (out.exit != kExitOk || file.empty()) return out;

  // Passed: the work state becomes the checkpoint's, then the file records it.
  const AuditResumePoint point = auditor->ResumePoint();
  if (checkpoint && point.height == checkpoint->point.height) return out;  // nothing new
  auditor.reset();                                                         // closes the state
  std::error_code ec;
  const std::string old_dir = StateDir(file) + ".old";
  fs::remove_all(old_dir, ec);
  if (fs::exists(StateDir(file))) fs::rename(StateDir(file), old_dir, ec);
  if (!ec) fs::rename(WorkDir(file), StateDir(file), ec);
  if (ec) {
    out.exit =
        Fail(kExitUsage, "cannot keep the audit state in " + StateDir(file) + ": " + ec.message());
    return out;
  }
  keep_work = true;
  fs::remove_all(old_dir, ec);
  if (Status st = WriteOutput(file, CheckpointJson(chain_id, url->text, point, tip_certificate));
      !st.ok()) {
    out.exit = Fail(kExitUsage, st);
    return out;
  }
  if (!o.json) {
    std::printf("checkpoint: %s now records height %llu, block id %s\n", file.c_str(),
                static_cast<unsigned long long>(point.height), HexEncode(point.block_id).c_str());
  }
  return out;
}

// The lowest tip of the nodes (GET /v1/status), the height several nodes are compared at.
Result<uint64_t> LowestTip(const std::vector<std::string>& urls) {
  std::optional<uint64_t> lowest;
  for (const std::string& u : urls) {
    auto url = ParseUrl(u);
    if (!url.ok()) return url.status();
    HttpConn conn(*url);
    LAUREL_ASSIGN_OR_RETURN(HttpResponse r, conn.Do("GET", "/v1/status", {}, {}));
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (r.status != 200 || !j.is_object() || !j.contains("height")) {
      return Status::Unavailable(u + "/v1/status: HTTP " + std::to_string(r.status));
    }
    uint64_t h = 0;
    if (j["height"].is_string()) {
      h = std::strtoull(j["height"].get<std::string>().c_str(), nullptr, 10);
    } else if (j["height"].is_number_unsigned()) {
      h = j["height"].get<uint64_t>();
    }
    lowest = lowest ? std::min(*lowest, h) : h;
  }
  return lowest.value_or(0);
}

int RunAudit(const AuditOptions& o) {
  std::vector<std::string> urls = o.rpc;
  if (urls.empty()) {
    const char* env = std::getenv("LAUREL_RPC");
    urls.push_back(env != nullptr && *env != '\0' ? env : "http://127.0.0.1:8700");
  }
  if (urls.size() == 1) return AuditNode(o, urls[0], o.to, nullptr).exit;
  if (!o.checkpoint.empty()) {
    return Fail(kExitUsage, "--checkpoint audits one node; give one --rpc");
  }
  // Several nodes: each audited on its own to one height, then their tips compared.
  std::optional<uint64_t> to = o.to;
  if (!to) {
    auto lowest = LowestTip(urls);
    if (!lowest.ok()) return Fail(kExitUsage, lowest.status());
    to = *lowest;
  }
  std::vector<NodeAudit> audits;
  std::vector<nlohmann::json> summaries(urls.size());
  int worst = kExitOk;
  for (size_t i = 0; i < urls.size(); ++i) {
    if (!o.json) std::printf("node %s:\n", urls[i].c_str());
    std::fflush(stdout);
    audits.push_back(AuditNode(o, urls[i], to, o.json ? &summaries[i] : nullptr));
    worst = std::max(worst, audits.back().exit);
  }
  // The tips compared: the most common (block id, state root); the others are named.
  std::map<std::pair<std::string, std::string>, size_t> votes;
  for (const NodeAudit& a : audits) {
    if (a.exit == kExitOk && a.reached_target) {
      ++votes[{HexEncode(a.block_id), HexEncode(a.state_root)}];
    }
  }
  std::pair<std::string, std::string> majority;
  size_t best = 0;
  for (const auto& [tip, n] : votes) {
    if (n > best) {
      best = n;
      majority = tip;
    }
  }
  std::vector<std::string> differing;
  std::vector<std::string> lines;
  for (const NodeAudit& a : audits) {
    if (a.exit != kExitOk || !a.reached_target) continue;
    const std::pair<std::string, std::string> tip{HexEncode(a.block_id), HexEncode(a.state_root)};
    if (tip != majority) {
      differing.push_back(a.url);
      lines.push_back("  " + a.url + ": block id " + tip.first + ", state root " + tip.second);
    }
  }
  const bool agree = differing.empty() && worst == kExitOk && best == audits.size();
  if (o.json) {
    nlohmann::json j = {{"height", *to},
                        {"nodes", summaries},
                        {"agree", agree},
                        {"block_id", majority.first},
                        {"state_root", majority.second},
                        {"differing", differing}};
    std::cout << j.dump(2) << "\n";
  } else if (!differing.empty()) {
    std::printf(
        "NODES DIFFER at height %llu: %zu of %zu nodes have block id %s, state root %s; "
        "differing:\n",
        static_cast<unsigned long long>(*to), best, audits.size(), majority.first.c_str(),
        majority.second.c_str());
    for (const auto& l : lines) std::printf("%s\n", l.c_str());
  } else if (agree) {
    std::printf("NODES AGREE at height %llu: %zu nodes, block id %s, state root %s\n",
                static_cast<unsigned long long>(*to), audits.size(), majority.first.c_str(),
                majority.second.c_str());
  } else {
    std::printf("NODES NOT COMPARED in full at height %llu: an audit above did not pass\n",
                static_cast<unsigned long long>(*to));
  }
  if (!differing.empty()) return kExitInvalid;
  return worst;
}

}  // namespace

void RegisterAuditCommands(CLI::App& app, CommandRun& run) {
  auto o = std::make_shared<AuditOptions>();
  auto* cmd = app.add_subcommand(
      "audit",
      "Check a node's whole chain from genesis: hash links, block ids, proposer signatures, "
      "commit proofs, tx signatures, re-execution of every block against the stored results "
      "and the state certificates (docs/auditor.md). Exit 0 passed, 1 failed, 2 unreachable.");
  cmd->add_option("--rpc", o->rpc,
                  "node URL (default: $LAUREL_RPC, else http://127.0.0.1:8700); repeat it to "
                  "audit several nodes to one height and compare their tips");
  cmd->add_option("--checkpoint", o->checkpoint,
                  "keep the audited tip in FILE (and the audit state in FILE.state/); next time, "
                  "check the chain still extends it and audit only the heights after it");
  AddCaCertOption(cmd);
  cmd->add_option("--genesis", o->genesis_file,
                  "the genesis file to trust; the node's must be identical (default: the "
                  "node's own genesis)");
  cmd->add_flag("--json", o->json, "print a JSON summary instead of the verdict line");
  cmd->add_option("--batch", o->batch, "blocks per request (1-1000)")->check(CLI::Range(1, 1000));
  cmd->add_option("--to", o->to,
                  "stop at this height (default: the node's tip at the start; with several "
                  "--rpc, the lowest of their tips)");
  cmd->add_option("--threads", o->threads, "signature-checking threads (1-16)")
      ->check(CLI::Range(1, 16));
  cmd->add_flag("--require-certificates", o->require_certificates,
                "fail (exit 1) when fewer than half of the heights after genesis carry a state "
                "certificate, instead of passing with a warning");
  cmd->add_option("--from", o->from,
                  "continue from height H, which the --checkpoint FILE records: check that the "
                  "node's certified transaction log extends the log head saved there "
                  "(a consistency proof), then audit only the blocks after H");
  cmd->callback([o, &run] {
    run = [o] {
      if (o->from && o->checkpoint.empty()) {
        return Fail(kExitUsage, "--from needs --checkpoint FILE (the audit state saved at H)");
      }
      return RunAudit(*o);
    };
  });
}

}  // namespace laurel::cli

// laurel gate sync|verify: the offline gate (docs/gate.md "Offline").
//
// sync downloads the gate bundle (GET /v1/gate/bundle; a delta over the bundle held when there
// is one), checks it against the genesis file with gate::CheckBundle (the state certificate,
// walking epoch changes, then every record against the certified gate index), and replaces
// DIR/bundle.pb.gz atomically (a temporary file, fsync, rename): a download that does not check
// never replaces the last good bundle.
//
// verify decides on a card with no network: the bundle is checked again, then
// gate::OfflineGate runs ledger::VerifyCard over it — the node's own decision. Output and exit
// codes as `laurel verify` (VALID 0, REFUSED 1, usage or an unusable bundle 2), plus
// BUNDLE_STALE when the bundle is older than --max-offline: refused with --fail-closed, else
// decided anyway and marked stale.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/http_client.h"
#include "cli/net_tx.h"
#include "cli/proof_check.h"
#include "cli/verdict.h"
#include "gate/offline.h"
#include "ledger/genesis_io.h"

namespace laurel::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBundleFile = "bundle.pb.gz";
constexpr const char* kGenesisFile = "genesis.json";

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Writes `data` to `path` atomically: a temporary file beside it, fsync, rename, fsync of the
// directory. On failure `path` is untouched.
Status WriteAtomically(const fs::path& path, std::string_view data) {
  const fs::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot write " + tmp.string());
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::IoError("cannot write " + tmp.string());
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Status::IoError("cannot flush " + tmp.string());
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::IoError("cannot rename " + tmp.string() + " to " + path.string());
  }
  const int dfd = ::open(path.parent_path().empty() ? "." : path.parent_path().c_str(),
                         O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

Result<std::string> ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + p.string());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The genesis file: --genesis, else the copy sync keeps in DIR.
Result<ledger::Genesis> GenesisFor(const std::string& genesis, const fs::path& dir) {
  const std::string path = genesis.empty() ? (dir / kGenesisFile).string() : genesis;
  if (genesis.empty() && !fs::exists(path)) {
    return Status::InvalidArgument("no genesis file: give --genesis FILE (the chain's genesis.json)");
  }
  return ledger::LoadGenesis(path);
}

// The bundle held in `dir`, checked against `genesis`; nullopt when there is none.
Result<std::optional<gate::CheckedBundle>> LoadHeld(const fs::path& dir,
                                                    const verifier::ValidatorSet& set) {
  const fs::path p = dir / kBundleFile;
  if (!fs::exists(p)) return std::optional<gate::CheckedBundle>();
  LAUREL_ASSIGN_OR_RETURN(std::string gz, ReadAll(p));
  auto b = gate::DecodeBundle(gz);
  if (!b.ok()) return Status::PermissionDenied(p.string() + ": " + b.status().message());
  auto c = gate::CheckBundle(*b, set);
  if (!c.ok()) return Status::PermissionDenied(p.string() + ": " + c.status().message());
  return std::optional<gate::CheckedBundle>(std::move(c).value());
}

std::string Age(uint64_t ms) {
  const uint64_t s = ms / 1000;
  if (s < 120) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string(s / 60) + " min";
  return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
}

// ---- sync ----

struct SyncOptions {
  NetOptions net;
  std::string out;
  std::string genesis;
  std::optional<std::string> in;  // a bundle file instead of a download
  bool full = false;
};

int RunSync(const SyncOptions& o) {
  const fs::path dir(o.out);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Fail(kExitUsage, "cannot create " + o.out + ": " + ec.message());
  auto genesis = GenesisFor(o.genesis, dir);
  if (!genesis.ok()) return Fail(kExitUsage, genesis.status());
  const verifier::ValidatorSet set = ValidatorSetOf(*genesis);
  std::optional<gate::CheckedBundle> held;
  if (!o.full) {
    auto h = LoadHeld(dir, set);
    if (h.ok()) {
      held = std::move(h).value();
    } else {
      // A damaged bundle on disk is replaced by a full download (the damage is reported).
      std::cerr << "warning: the bundle held does not check (" << h.status().message()
                << "); fetching a full one\n";
    }
  }
  std::string gz;
  std::string source;
  if (o.in) {
    auto r = ReadInput(*o.in);
    if (!r.ok()) return Fail(kExitUsage, r.status());
    gz = std::move(r).value();
    source = *o.in;
  } else {
    auto url = ParseUrl(o.net.rpc);
    if (!url.ok()) return Fail(kExitUsage, url.status());
    HttpConn conn(*url);
    std::string target = "/v1/gate/bundle";
    if (held) target += "?since=" + std::to_string(held->height);
    auto resp = conn.Do("GET", target, "", "", gate::kBundleMediaType);
    if (!resp.ok()) return Fail(kExitUsage, "node at " + o.net.rpc + ": " + resp.status().message());
    if (resp->status == 409 && held) {
      if (o.net.json) {
        PrintJson(Json{{"current", true}, {"delta", false}, {"height", held->height}});
      } else {
        std::cout << "CURRENT height " << held->height << ": nothing newer is certified yet\n";
      }
      return kExitOk;
    }
    if (resp->status != 200) {
      return Fail(resp->status >= 500 ? kExitUsage : kExitInvalid,
                  "node at " + o.net.rpc + " answered " + std::to_string(resp->status) + ": " +
                      Printable(resp->body, 300));
    }
    gz = std::move(resp->body);
    source = o.net.rpc + target;
  }
  auto bundle = gate::DecodeBundle(gz);
  if (!bundle.ok()) {
    std::cout << "REFUSED: " << source << ": " << bundle.status().message()
              << "; the bundle held is kept\n";
    return kExitInvalid;
  }
  const bool delta = bundle->since() != 0;
  auto checked = gate::CheckBundle(*bundle, set, held ? &*held : nullptr);
  if (!checked.ok()) {
    std::cout << "REFUSED: " << source << ": " << checked.status().message()
              << "; the bundle held is kept\n";
    return kExitInvalid;
  }
  if (held && checked->height < held->height) {
    std::cout << "REFUSED: " << source << " is of height " << checked->height
              << ", older than the bundle held (" << held->height << "); it is kept\n";
    return kExitInvalid;
  }
  const std::string whole = gate::EncodeBundle(checked->full);
  if (Status st = WriteAtomically(dir / kBundleFile, whole); !st.ok()) return Fail(kExitUsage, st);
  if (!o.genesis.empty() && fs::absolute(o.genesis) != fs::absolute(dir / kGenesisFile)) {
    auto g = ReadAll(o.genesis);
    if (!g.ok()) return Fail(kExitUsage, g.status());
    if (Status st = WriteAtomically(dir / kGenesisFile, *g); !st.ok()) return Fail(kExitUsage, st);
  }
  const gate::OfflineGate g(*checked);
  const uint64_t now = NowMs();
  if (o.net.json) {
    PrintJson(Json{{"height", checked->height},
                   {"time_ms", checked->time_ms},
                   {"delta", delta},
                   {"since", bundle->since()},
                   {"downloaded_bytes", gz.size()},
                   {"bundle_bytes", whole.size()},
                   {"issuers", g.issuers()},
                   {"credentials", g.credentials()},
                   {"content_sha256", HexEncode(checked->content_digest)},
                   {"signers", checked->signers}});
  } else {
    std::cout << "SYNCED height " << checked->height << " (" << FormatUnixTime(checked->time_ms / 1000)
              << ", " << Age(now > checked->time_ms ? now - checked->time_ms : 0) << " ago)"
              << (delta ? ", delta since " + std::to_string(bundle->since()) : ", full")
              << ": " << gz.size() << " bytes downloaded, " << g.issuers() << " issuers, "
              << g.credentials() << " credentials\n"
              << "  certified by " << checked->signers.size() << " validators; bundle "
              << (dir / kBundleFile).string() << " (" << whole.size() << " bytes), content sha256 "
              << HexEncode(checked->content_digest) << "\n";
  }
  return kExitOk;
}

// ---- verify ----

struct GateVerifyOptions {
  std::optional<std::string> code;
  std::optional<std::string> file;
  std::optional<std::string> qr;
  std::string bundle;
  std::string genesis;
  std::string max_offline = "24h";
  bool fail_closed = false;
  bool json = false;
  HolderOptions holder;
};

// "24h", "90m", "3600s", "2d", or plain seconds.
std::optional<uint64_t> ParseDuration(const std::string& s) {
  if (s.empty()) return std::nullopt;
  uint64_t unit = 1;
  std::string num = s;
  switch (s.back()) {
    case 's':
      num.pop_back();
      break;
    case 'm':
      unit = 60;
      num.pop_back();
      break;
    case 'h':
      unit = 3600;
      num.pop_back();
      break;
    case 'd':
      unit = 86400;
      num.pop_back();
      break;
    default:
      break;
  }
  if (num.empty() || num.size() > 9 || num.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoull(num) * unit;
}

Json CredentialJson(const ledger::CredentialRecord& c) {
  Json j = {{"credential_id", c.credential_id},
            {"issuer_id", c.issuer_id},
            {"type", types::CredentialTypeName(c.type)},
            {"valid_from", std::to_string(c.valid_from)},
            {"valid_until", std::to_string(c.valid_until)},
            {"status", types::CredentialStatusName(c.status)},
            {"key_version", c.key_version},
            {"status_index", std::to_string(c.status_index)}};
  if (c.level != types::Level::kUnspecified) j["level"] = types::LevelName(c.level);
  return j;
}

int RunGateVerify(const GateVerifyOptions& o) {
  auto text = CardTextFrom(o.code, o.file, o.qr);
  if (!text.ok()) return Fail(kExitUsage, text.status());
  std::string code = *text;
  while (!code.empty() && (code.back() == '\n' || code.back() == '\r' || code.back() == ' ')) {
    code.pop_back();
  }
  auto holder = HolderInputOf(o.holder);
  if (!holder.ok()) return Fail(kExitUsage, holder.status());
  const auto window = ParseDuration(o.max_offline);
  if (!window) return Fail(kExitUsage, "--max-offline: give a duration like 24h, 90m, 3600s or 2d");
  const fs::path dir(o.bundle);
  auto genesis = GenesisFor(o.genesis, dir);
  if (!genesis.ok()) return Fail(kExitUsage, genesis.status());
  auto held = LoadHeld(dir, ValidatorSetOf(*genesis));
  if (!held.ok()) return Fail(kExitUsage, "the bundle does not check: " + held.status().message());
  if (!*held) {
    return Fail(kExitUsage, "no bundle in " + o.bundle + ": run `laurel gate sync --out " +
                                o.bundle + "` first");
  }
  const gate::CheckedBundle& b = **held;
  const gate::OfflineGate gate(b);
  const uint64_t now_ms = NowMs();
  const bool stale = gate::BundleStale(b.time_ms, now_ms, *window);
  const ledger::VerifyResult r =
      gate.Verify(code, now_ms / 1000, holder->presentation, holder->policy);
  Json j = {{"valid", r.valid()},
            {"reason", ledger::VerifyReasonName(r.reason)},
            {"message", r.message},
            {"height", std::to_string(b.height)},
            {"time", std::to_string(now_ms / 1000)},
            {"chain_id", b.chain_id},
            {"offline", true},
            {"bundle_time_ms", std::to_string(b.time_ms)},
            {"bundle_age_s", std::to_string(now_ms > b.time_ms ? (now_ms - b.time_ms) / 1000 : 0)}};
  if (r.card) j["card"] = CardJson(*r.card);
  if (r.credential) j["credential"] = CredentialJson(*r.credential);
  if (r.holder != ledger::HolderBinding::kNone) j["holder"] = ledger::HolderBindingName(r.holder);
  const std::string stale_text =
      "the bundle is of " + FormatUnixTime(b.time_ms / 1000) + ", " +
      Age(now_ms - b.time_ms) + " old, beyond the " + o.max_offline +
      " allowed offline / 离线数据已超过允许的时限";
  if (stale) {
    j["bundle_stale"] = true;
    j["fail_mode"] = o.fail_closed ? "closed" : "open";
    if (o.fail_closed) {
      j["decision"] = j["reason"];
      j["valid"] = false;
      j["reason"] = gate::kBundleStale;
      j["message"] = stale_text + "; this gate fails closed: refused / 闸机按失败关闭处理：拒绝";
    } else {
      j["stale_note"] = stale_text + "; this gate fails open: decided on the stale bundle / "
                                     "闸机按失败开放处理：按过期数据判断";
    }
  }
  if (o.json) {
    PrintJson(j);
  } else {
    if (stale && !o.fail_closed) {
      std::cout << "BUNDLE_STALE (fails open): " << JsonStr(j, "stale_note") << "\n";
    }
    PrintVerdict(j);
    std::cout << "  " << std::left << std::setw(13) << "offline"
              << "bundle of height " << b.height << " (" << FormatUnixTime(b.time_ms / 1000)
              << ", " << Age(now_ms > b.time_ms ? now_ms - b.time_ms : 0) << " old)\n";
  }
  return j["valid"].get<bool>() ? kExitOk : kExitInvalid;
}

}  // namespace

void RegisterGateCommands(CLI::App& app, CommandRun& run) {
  auto* gate = app.add_subcommand("gate", "The offline gate: keep a checked bundle, decide with no network");
  gate->require_subcommand(1);

  auto s = std::make_shared<SyncOptions>();
  auto* sync = gate->add_subcommand(
      "sync", "Download the gate bundle (a delta when one is held), check it against genesis, "
              "replace DIR/bundle.pb.gz atomically");
  sync->add_option("--out", s->out, "The gate's bundle directory")->required();
  sync->add_option("--genesis", s->genesis,
                   "The chain's genesis file (copied into DIR; default: DIR/genesis.json)");
  sync->add_option("--in", s->in, "Check and install this bundle file instead of downloading");
  sync->add_flag("--full", s->full, "Download a full bundle even when one is held");
  AddNetOptions(sync, s->net);
  sync->callback([s, &run] { run = [s] { return RunSync(*s); }; });

  auto v = std::make_shared<GateVerifyOptions>();
  auto* verify = gate->add_subcommand(
      "verify", "Decide on a card from the bundle alone: VALID or REFUSED <REASON> (exit 0 / 1)");
  verify->add_option("--code", v->code, "The card text, LC1:...");
  verify->add_option("--file", v->file, "A card file (- for stdin)");
  verify->add_option("--qr", v->qr, "A PNG image of the card's QR code");
  verify->add_option("--bundle", v->bundle, "The bundle directory (of `gate sync`)")->required();
  verify->add_option("--genesis", v->genesis, "The genesis file (default: DIR/genesis.json)");
  verify->add_option("--max-offline", v->max_offline,
                     "The oldest bundle accepted: 24h, 90m, 3600s, 2d")
      ->capture_default_str();
  verify->add_flag("--fail-closed", v->fail_closed,
                   "Refuse every card (BUNDLE_STALE) when the bundle is too old; by default the "
                   "gate decides on it and marks the answer stale");
  verify->add_flag("--json", v->json, "Print the answer as JSON");
  AddHolderOptions(verify, v->holder);
  verify->callback([v, &run] { run = [v] { return RunGateVerify(*v); }; });
}

}  // namespace laurel::cli

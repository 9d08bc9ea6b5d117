#include "node/net/fault_injection.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/bytes.h"

namespace laurel::net {
namespace {

constexpr uint32_t kMaxDelayMs = 60000;
constexpr size_t kMaxRules = 1024;
constexpr size_t kMaxFileBytes = 1u << 20;

Status Bad(size_t i, const std::string& what) {
  return Status::InvalidArgument("links[" + std::to_string(i) + "]: " + what);
}

}  // namespace

bool LinkFault::Covers(const Bytes& frame) const {
  if (kinds.empty()) return true;
  return !frame.empty() && std::find(kinds.begin(), kinds.end(), frame[0]) != kinds.end();
}

const LinkFault* LinkFaults::For(const crypto::PublicKey& peer) const {
  const LinkFault* any = nullptr;
  for (const auto& l : links) {
    if (!l.peer) {
      any = &l;
    } else if (*l.peer == peer) {
      return &l;
    }
  }
  return any;
}

std::string LinkFaults::Describe() const {
  if (links.empty()) return "none";
  std::ostringstream out;
  out.precision(2);
  out << std::fixed;
  for (size_t i = 0; i < links.size(); ++i) {
    const LinkFault& l = links[i];
    if (i > 0) out << "; ";
    out << (l.peer ? HexEncode(ByteView(*l.peer).first(4)) : std::string("*")) << ":";
    if (l.delay_ms || l.jitter_ms) out << " delay " << l.delay_ms << "+" << l.jitter_ms << "ms";
    if (l.loss > 0) out << " loss " << l.loss;
    if (l.reorder > 0) out << " reorder " << l.reorder;
    if (!l.delay_ms && !l.jitter_ms && l.loss <= 0 && l.reorder <= 0) out << " nothing";
    if (!l.kinds.empty()) {
      out << " (kinds";
      for (const uint8_t k : l.kinds) out << " " << unsigned{k};
      out << ")";
    }
  }
  return out.str();
}

Result<LinkFaults> ParseLinkFaults(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("not JSON");
  if (!j.is_object()) return Status::InvalidArgument("expected a JSON object {\"links\": [...]}");
  for (const auto& [k, v] : j.items()) {
    if (k != "links") return Status::InvalidArgument("unknown field '" + k + "'");
  }
  LinkFaults out;
  if (!j.contains("links")) return out;
  const auto& links = j["links"];
  if (!links.is_array()) return Status::InvalidArgument("links must be an array");
  if (links.size() > kMaxRules) return Status::InvalidArgument("more than 1024 links");
  std::set<std::string> seen;
  for (size_t i = 0; i < links.size(); ++i) {
    const auto& r = links[i];
    if (!r.is_object()) return Bad(i, "expected an object");
    LinkFault f;
    bool has_peer = false;
    for (const auto& [k, v] : r.items()) {
      if (k == "peer") {
        if (!v.is_string()) return Bad(i, "peer must be \"*\" or a public key in hex");
        const std::string p = v.get<std::string>();
        if (!seen.insert(p).second) return Bad(i, "a second rule for peer " + p);
        has_peer = true;
        if (p == "*") continue;
        const auto key = HexDecode(p);
        if (!key || key->size() != crypto::PublicKey{}.size()) {
          return Bad(i, "peer must be \"*\" or a 32-byte public key in hex, got '" + p + "'");
        }
        crypto::PublicKey pk{};
        std::copy(key->begin(), key->end(), pk.begin());
        f.peer = pk;
      } else if (k == "delay_ms" || k == "jitter_ms") {
        if (!v.is_number_unsigned() || v.get<uint64_t>() > kMaxDelayMs) {
          return Bad(i, k + " must be an integer 0..60000");
        }
        (k == "delay_ms" ? f.delay_ms : f.jitter_ms) = static_cast<uint32_t>(v.get<uint64_t>());
      } else if (k == "loss" || k == "reorder") {
        if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0 ||
            v.get<double>() > 1) {
          return Bad(i, k + " must be a probability 0..1");
        }
        (k == "loss" ? f.loss : f.reorder) = v.get<double>();
      } else if (k == "kinds") {
        if (!v.is_array() || v.empty() || v.size() > 256) {
          return Bad(i, "kinds must be a non-empty list of message kinds 0..255");
        }
        for (const auto& e : v) {
          if (!e.is_number_unsigned() || e.get<uint64_t>() > 255) {
            return Bad(i, "kinds must be a non-empty list of message kinds 0..255");
          }
          f.kinds.push_back(static_cast<uint8_t>(e.get<uint64_t>()));
        }
      } else {
        return Bad(i, "unknown field '" + k + "'");
      }
    }
    if (!has_peer) return Bad(i, "peer is required (\"*\" for every peer)");
    out.links.push_back(f);
  }
  return out;
}

FaultDecision Decide(const LinkFault& f, double u_loss, double u_reorder, double u_jitter,
                     double u_extra) {
  FaultDecision d;
  if (f.loss > 0 && u_loss < f.loss) {
    d.drop = true;
    return d;
  }
  int64_t ms = f.delay_ms;
  if (f.jitter_ms > 0) ms += static_cast<int64_t>(u_jitter * (f.jitter_ms + 1));
  if (f.reorder > 0 && u_reorder < f.reorder) {
    const int64_t span = std::max<int64_t>(2 * int64_t{f.delay_ms}, 50);
    ms += 1 + static_cast<int64_t>(u_extra * span);
    d.reordered = true;
  }
  d.delay = std::chrono::milliseconds(ms);
  return d;
}

// ---- FaultFileWatcher ---------------------------------------------------------------------------

FaultFileWatcher::FaultFileWatcher(std::string path, std::function<Status(LinkFaults)> apply,
                                   std::chrono::milliseconds interval)
    : path_(std::move(path)), apply_(std::move(apply)), interval_(interval) {}

FaultFileWatcher::~FaultFileWatcher() { Stop(); }

Status FaultFileWatcher::Start() {
  Status st = Poll(/*force=*/true);
  thread_ = std::thread([this] { Run(); });
  return st;
}

void FaultFileWatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FaultFileWatcher::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, interval_, [this] { return stop_; })) {
    lock.unlock();
    (void)Poll(/*force=*/false);
    lock.lock();
  }
}

Status FaultFileWatcher::Poll(bool force) {
  struct stat sb {};
  std::string stamp = "missing";
  if (::stat(path_.c_str(), &sb) == 0) {
    stamp = std::to_string(sb.st_ino) + ":" + std::to_string(sb.st_size) + ":" +
            std::to_string(sb.st_mtim.tv_sec) + "." + std::to_string(sb.st_mtim.tv_nsec);
  }
  if (!force && stamp == last_stamp_) return Status::Ok();
  last_stamp_ = stamp;
  LinkFaults rules;
  if (stamp != "missing") {
    std::ifstream in(path_, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      spdlog::warn("fault injection: cannot read {}; the rules in force stay", path_);
      return Status::IoError("cannot read " + path_);
    }
    if (text.size() > kMaxFileBytes) {
      spdlog::warn("fault injection: {} is over 1 MiB; the rules in force stay", path_);
      return Status::InvalidArgument(path_ + " is over 1 MiB");
    }
    auto parsed = ParseLinkFaults(text);
    if (!parsed.ok()) {
      spdlog::warn("fault injection: {}: {}; the rules in force stay", path_,
                   parsed.status().message());
      return Status::InvalidArgument(path_ + ": " + parsed.status().message());
    }
    rules = std::move(parsed).value();
  }
  const std::string what = rules.Describe();
  if (Status st = apply_(std::move(rules)); !st.ok()) {
    spdlog::warn("fault injection: cannot apply {}: {}", path_, st.message());
    return st;
  }
  spdlog::warn("fault injection: applied {} from {}", what, path_);
  return Status::Ok();
}

}  // namespace laurel::net

// The offline gate at scale, in memory (no node, no RocksDB): a state of CREDENTIALS
// credentials in ISSUERS issuers (union sizes skewed: a few big unions, many small ones; 2 %
// suspended, 3 % revoked) with its state tree, then
//   - the full gate bundle: build time (read + prove + encode) and size, gzip and raw;
//   - its check against the validator set and the gate's load time;
//   - a day's changes (DAY_NEW new credentials, DAY_STATUS status changes, spread over the
//     unions by size) and the delta's size; the delta applied to the old bundle must equal a
//     fresh full bundle (else exit 1);
//   - offline decisions per second on one core (gate::OfflineGate::Verify on valid cards, the
//     longest path: signature, issuer chain, status slot).
//   laurel-bench-gate [--credentials N] [--issuers M] [--day-new A] [--day-status B]
//                     [--seconds S] [--json FILE]
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <unordered_map>

#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "gate/bundle.h"
#include "gate/offline.h"
#include "ledger/executor.h"
#include "types/card.h"

namespace {

using namespace laurel;
using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

class MemTree final : public ledger::TreeReader {
 public:
  std::optional<std::string> GetTreeNode(std::string_view key) const override {
    auto it = nodes_.find(std::string(key));
    if (it == nodes_.end()) return std::nullopt;
    return it->second;
  }
  void Apply(ledger::TreeUpdate& u) {
    for (auto& [k, v] : u.new_nodes) nodes_[std::move(k)] = std::move(v);
  }

 private:
  std::unordered_map<std::string, std::string> nodes_;
};

// A one-validator certificate of (height, root) (docs/spec/state.md §6).
Bytes Certify(const crypto::PrivateKey& key, const std::string& chain, uint64_t height,
              const Hash32& root, uint64_t time_ms) {
  verifier::Certificate c;
  c.height = height;
  c.state_root = root;
  c.time_ms = time_ms;
  c.signatures = {{0, key.Sign(verifier::CertificateSignBytes(chain, c))}};
  return verifier::EncodeCertificate(c);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"laurel-bench-gate: the gate bundle's size and build time, and offline decisions/s"};
  uint64_t credentials = 1'500'000, issuers = 14'000, day_new = 5'000, day_status = 1'500;
  double seconds = 3;
  std::string json_out;
  app.add_option("--credentials", credentials, "credentials in the state")->capture_default_str();
  app.add_option("--issuers", issuers, "issuers (30 federations, the rest unions under them)")
      ->capture_default_str();
  app.add_option("--day-new", day_new, "new credentials in a day")->capture_default_str();
  app.add_option("--day-status", day_status, "status changes in a day")->capture_default_str();
  app.add_option("--seconds", seconds, "seconds of offline decisions")->capture_default_str();
  app.add_option("--json", json_out, "write the figures here as JSON");
  CLI11_PARSE(app, argc, argv);
  if (issuers < 31 || credentials < issuers) {
    std::fprintf(stderr, "need at least 31 issuers and a credential per issuer\n");
    return 2;
  }

  const std::string chain = "laurel-bench";
  std::mt19937_64 rng(20261205);
  const crypto::PrivateKey validator = crypto::PrivateKey::FromSeed(Bytes(32, 0x42)).value();
  const crypto::PrivateKey card_key = crypto::PrivateKey::FromSeed(Bytes(32, 0x43)).value();
  verifier::ValidatorSet set;
  set.chain_id = chain;
  set.keys = {Bytes(validator.public_key().begin(), validator.public_key().end())};
  set.names = {"v0"};
  set.addresses = {""};

  // Union sizes ~ 1 / rank^0.9, at least 1.
  std::vector<double> weight(issuers);
  double wsum = 0;
  for (uint64_t i = 0; i < issuers; ++i) wsum += weight[i] = 1.0 / std::pow(double(i + 1), 0.9);
  std::vector<uint64_t> size(issuers);
  uint64_t assigned = 0;
  for (uint64_t i = 0; i < issuers; ++i) {
    size[i] = std::max<uint64_t>(1, uint64_t(double(credentials - issuers) * weight[i] / wsum));
    assigned += size[i];
  }
  size[0] += credentials > assigned ? credentials - assigned : 0;

  // Records. Issuer 0 (the biggest union) holds real cards for the decision run.
  auto t0 = Clock::now();
  std::map<std::string, std::string> writes;
  std::vector<std::string> ids(issuers);
  std::vector<ledger::IssuerRecord> recs(issuers);
  const uint64_t kDecideCards = 2000;
  std::vector<std::string> cards;
  std::vector<ledger::StatusFingerprint> card_fps;
  for (uint64_t i = 0; i < kDecideCards; ++i) {
    types::CardBody b;
    b.chain_id = chain;
    b.credential_id = "union-00030/M/2026/" + std::to_string(i);
    b.issuer_id = "union-00030";
    b.key_version = 1;
    b.type = types::CredentialType::kMember;
    b.holder_name = "会员" + std::to_string(i);
    b.member_no = std::to_string(100000 + i);
    b.salt = Bytes(types::kCardSaltSize, static_cast<uint8_t>(i));
    b.valid_from = 1'700'000'000;
    b.valid_until = 1'900'000'000;
    const types::Card card = types::SignCard(b, card_key);
    cards.push_back(types::CardToText(card));
    const Hash32 d = types::CardDigest(card.body);
    card_fps.push_back(
        ledger::FingerprintOf(b.credential_id, d, 1, b.type, b.level, b.valid_from, b.valid_until));
  }
  uint64_t suspended = 0, revoked = 0;
  for (uint64_t i = 0; i < issuers; ++i) {
    // Federations first (30), then unions; the biggest union is the first one after them.
    const uint64_t rank = i < 30 ? issuers - 30 + i : i - 30;
    char id[32];
    std::snprintf(id, sizeof id, i < 30 ? "fed-%02llu" : "union-%05llu",
                  static_cast<unsigned long long>(i));
    ids[i] = id;
    ledger::IssuerRecord& r = recs[i];
    r.issuer_id = id;
    r.name = std::string("工会 ") + id;
    r.parent_id = i < 30 ? "" : ids[i % 30];
    r.grants = {{types::CredentialType::kMember, {}},
                {types::CredentialType::kModelWorker, {types::Level::kMunicipal}}};
    r.can_delegate = i < 30;
    Bytes pub(32);
    for (auto& b : pub) b = static_cast<uint8_t>(rng());
    if (ids[i] == "union-00030") {
      pub.assign(card_key.public_key().begin(), card_key.public_key().end());
    }
    r.keys.push_back(ledger::IssuerKey{1, pub, 0, 0});
    const uint64_t n = size[rank];
    r.next_status_index = n;
    writes[ledger::IssuerKeyOf(id)] = ledger::EncodeIssuer(r);
    for (uint64_t c0 = 0; c0 < n; c0 += ledger::kStatusChunkSlots) {
      ledger::StatusChunk ch{id, c0 / ledger::kStatusChunkSlots, 0, {}, {}};
      for (uint64_t j = c0; j < std::min(n, c0 + ledger::kStatusChunkSlots); ++j) {
        ledger::StatusFingerprint fp;
        if (ids[i] == "union-00030" && j < kDecideCards) {
          fp = card_fps[j];
        } else {
          const uint64_t x = rng();
          for (size_t k = 0; k < fp.size(); ++k) fp[k] = static_cast<uint8_t>(x >> (8 * k));
        }
        const uint64_t roll = rng() % 100;
        const bool real = ids[i] == "union-00030" && j < kDecideCards;
        auto st = ledger::SlotStatus::kActive;
        if (!real && roll < 2) st = ledger::SlotStatus::kSuspended, ++suspended;
        if (!real && roll >= 2 && roll < 5) st = ledger::SlotStatus::kRevoked, ++revoked;
        ch.Append(st, fp);
      }
      writes[ledger::StatusChunkKeyOf(id, ch.chunk)] = ledger::EncodeStatusChunk(ch);
    }
    // The credential records themselves (small stand-ins: they only give the tree its depth).
    for (uint64_t j = 0; j < n; ++j) {
      writes[ledger::CredentialKeyOf(std::string(id) + "/" + std::to_string(j))] =
          std::to_string(j);
    }
  }
  writes["g"] = "governance";
  ledger::IndexGateRecords([](const std::string&) { return std::optional<std::string>(); }, 1,
                           writes);
  const double gen_s = Since(t0);

  // Version 0: empty; version 1: the state; version 2: a day later.
  t0 = Clock::now();
  MemTree tree;
  auto u0 = ledger::UpdateStateTree(tree, 0, {});
  tree.Apply(u0);
  auto u1 = ledger::UpdateStateTree(tree, 1, writes);
  tree.Apply(u1);
  const double tree_s = Since(t0);
  std::printf(
      "state: %llu credentials in %llu issuers (biggest union %llu, %llu suspended, %llu "
      "revoked), generated in %.1f s, state tree in %.1f s\n",
      (unsigned long long)credentials, (unsigned long long)issuers, (unsigned long long)size[0],
      (unsigned long long)suspended, (unsigned long long)revoked, gen_s, tree_s);

  std::map<std::string, std::string> state = writes;
  // The records of height 1 the day overwrote (nullopt: absent then), for a delta's patches.
  std::map<std::string, std::optional<std::string>> overwritten;
  const uint64_t t_ms = 1'750'000'000'000ULL;
  auto source = [&](uint64_t height, const Hash32& root, uint64_t time_ms) {
    gate::BundleSource src;
    src.chain_id = chain;
    src.height = height;
    src.time_ms = time_ms;
    src.certificate = Certify(validator, chain, height, root, time_ms);
    src.read = [&state](const std::string& k) -> std::optional<std::string> {
      auto it = state.find(k);
      if (it == state.end()) return std::nullopt;
      return it->second;
    };
    src.prove = [&tree, height](const std::string& k) {
      return ledger::ProveState(tree, height, k);
    };
    src.read_since = [&state, &overwritten](const std::string& k) -> std::optional<std::string> {
      if (auto o = overwritten.find(k); o != overwritten.end()) return o->second;
      auto it = state.find(k);
      if (it == state.end()) return std::nullopt;
      return it->second;
    };
    return src;
  };

  // The full bundle.
  t0 = Clock::now();
  auto full = gate::BuildBundle(source(1, u1.root, t_ms), 0);
  if (!full.ok()) {
    std::fprintf(stderr, "build: %s\n", full.status().ToString().c_str());
    return 1;
  }
  const double build_proto_s = Since(t0);
  const std::string full_gz = gate::EncodeBundle(*full);
  const double build_s = Since(t0);
  const size_t full_raw = full->ByteSizeLong();
  size_t fp_bytes = 0, index_bytes = 0, issuer_bytes = 0;
  for (const auto& r : full->records()) {
    if (r.key()[0] == 's') {
      fp_bytes += r.value().size();
    } else {
      issuer_bytes += r.value().size();
    }
  }
  for (const auto& ip : full->index()) index_bytes += ip.ByteSizeLong();

  t0 = Clock::now();
  auto decoded = gate::DecodeBundle(full_gz);
  auto checked = decoded.ok() ? gate::CheckBundle(*decoded, set)
                              : Result<gate::CheckedBundle>(decoded.status());
  const double check_s = Since(t0);
  if (!checked.ok()) {
    std::fprintf(stderr, "check: %s\n", checked.status().ToString().c_str());
    return 1;
  }
  t0 = Clock::now();
  auto offline = std::make_unique<gate::OfflineGate>(*checked);
  const double load_s = Since(t0);
  std::printf(
      "full bundle: %.2f MB gzip (%.2f MB raw: status lists %.2f MB, issuer records "
      "%.2f MB, gate index and proofs %.2f MB); built in %.2f s (%.2f s read + prove, "
      "%.2f s gzip); gunzip + check %.2f s; gate load %.2f s\n",
      full_gz.size() / 1e6, full_raw / 1e6, fp_bytes / 1e6, issuer_bytes / 1e6, index_bytes / 1e6,
      build_s, build_proto_s, build_s - build_proto_s, check_s, load_s);

  // A day's changes at height 2: new credentials and status changes, by union size.
  std::discrete_distribution<uint64_t> pick(weight.begin(), weight.end());
  std::map<std::string, std::string> day;
  auto issuer_of_rank = [&](uint64_t rank) {
    return rank + 30 < issuers ? rank + 30 : rank + 30 - issuers;
  };
  auto chunk_of = [&](const std::string& id, uint64_t n) {
    const std::string k = ledger::StatusChunkKeyOf(id, n);
    auto it = day.find(k);
    const std::string& v = it != day.end() ? it->second : state.at(k);
    return ledger::DecodeStatusChunk(v).value();
  };
  for (uint64_t i = 0; i < day_new; ++i) {
    ledger::IssuerRecord& r = recs[issuer_of_rank(pick(rng))];
    const uint64_t idx = r.next_status_index++;
    const uint64_t n = idx / ledger::kStatusChunkSlots;
    ledger::StatusChunk ch = idx % ledger::kStatusChunkSlots == 0
                                 ? ledger::StatusChunk{r.issuer_id, n, 0, {}, {}}
                                 : chunk_of(r.issuer_id, n);
    ledger::StatusFingerprint fp;
    const uint64_t x = rng();
    for (size_t k = 0; k < fp.size(); ++k) fp[k] = static_cast<uint8_t>(x >> (8 * k));
    ch.Append(ledger::SlotStatus::kActive, fp);
    day[ledger::StatusChunkKeyOf(r.issuer_id, n)] = ledger::EncodeStatusChunk(ch);
    day[ledger::IssuerKeyOf(r.issuer_id)] = ledger::EncodeIssuer(r);
    day[ledger::CredentialKeyOf(r.issuer_id + "/" + std::to_string(idx))] = "new";
  }
  for (uint64_t i = 0; i < day_status; ++i) {
    const ledger::IssuerRecord& r = recs[issuer_of_rank(pick(rng))];
    const uint64_t idx = rng() % r.next_status_index;
    ledger::StatusChunk ch = chunk_of(r.issuer_id, idx / ledger::kStatusChunkSlots);
    ch.SetStatus(static_cast<uint32_t>(idx % ledger::kStatusChunkSlots),
                 rng() % 2 ? ledger::SlotStatus::kSuspended : ledger::SlotStatus::kRevoked);
    day[ledger::StatusChunkKeyOf(r.issuer_id, ch.chunk)] = ledger::EncodeStatusChunk(ch);
    day[ledger::CredentialKeyOf(r.issuer_id + "/" + std::to_string(idx))] = "changed";
  }
  ledger::IndexGateRecords(
      [&state](const std::string& k) -> std::optional<std::string> {
        auto it = state.find(k);
        if (it == state.end()) return std::nullopt;
        return it->second;
      },
      2, day);
  auto u2 = ledger::UpdateStateTree(tree, 2, day);
  tree.Apply(u2);
  for (auto& [k, v] : day) {
    auto it = state.find(k);
    overwritten[k] = it == state.end() ? std::nullopt : std::optional<std::string>(it->second);
    state[k] = v;
  }
  size_t touched = 0;
  for (const auto& [k, v] : day) touched += k[0] == 's';

  t0 = Clock::now();
  auto delta = gate::BuildBundle(source(2, u2.root, t_ms + 86'400'000), 1);
  const double delta_proto_s = Since(t0);
  const std::string delta_gz = delta.ok() ? gate::EncodeBundle(*delta) : "";
  const double delta_build_s = Since(t0);
  size_t delta_patches = 0, delta_records_bytes = 0, delta_index_bytes = 0;
  if (delta.ok()) {
    for (const auto& r : delta->records()) {
      delta_patches += r.has_patch();
      delta_records_bytes += r.ByteSizeLong();
    }
    for (const auto& ip : delta->index()) delta_index_bytes += ip.ByteSizeLong();
  }
  auto fresh = gate::BuildBundle(source(2, u2.root, t_ms + 86'400'000), 0);
  if (!delta.ok() || !fresh.ok()) {
    std::fprintf(stderr, "delta build failed\n");
    return 1;
  }
  t0 = Clock::now();
  auto applied = gate::CheckBundle(*gate::DecodeBundle(delta_gz), set, &*checked);
  const double delta_check_s = Since(t0);
  auto fresh_checked = gate::CheckBundle(*fresh, set);
  if (!applied.ok() || !fresh_checked.ok() ||
      applied->content_digest != fresh_checked->content_digest) {
    std::fprintf(stderr, "the delta applied does not equal the fresh full bundle: %s\n",
                 applied.ok() ? "content differs" : applied.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "a day (%llu new, %llu status changes; %zu status chunks touched): delta %.3f MB "
      "gzip (%.3f MB raw: records %.3f MB, %zu of %d as slot patches; gate index and "
      "proofs %.3f MB), built in %.3f s (%.3f s read + prove), applied and checked in "
      "%.2f s; equals a fresh full bundle (content sha256 %s...)\n",
      (unsigned long long)day_new, (unsigned long long)day_status, touched, delta_gz.size() / 1e6,
      delta->ByteSizeLong() / 1e6, delta_records_bytes / 1e6, delta_patches, delta->records_size(),
      delta_index_bytes / 1e6, delta_build_s, delta_proto_s, delta_check_s,
      HexEncode(applied->content_digest).substr(0, 16).c_str());

  // Offline decisions on one core.
  const uint64_t now_s = 1'750'000'000;
  uint64_t decisions = 0, valid = 0;
  t0 = Clock::now();
  while (Since(t0) < seconds) {
    for (int k = 0; k < 100; ++k) {
      const auto r = offline->Verify(cards[decisions % cards.size()], now_s);
      valid += r.valid();
      ++decisions;
    }
  }
  const double decide_s = Since(t0);
  const double per_s = decisions / decide_s;
  if (valid != decisions) {
    std::fprintf(stderr, "%llu of %llu decisions were not VALID\n",
                 (unsigned long long)(decisions - valid), (unsigned long long)decisions);
    return 1;
  }
  std::printf("offline decisions: %.0f /s on 1 core (%llu VALID cards in %.1f s; %.1f us each)\n",
              per_s, (unsigned long long)decisions, decide_s, 1e6 / per_s);

  if (!json_out.empty()) {
    nlohmann::json j = {{"credentials", credentials},
                        {"issuers", issuers},
                        {"full_bundle_gzip_bytes", full_gz.size()},
                        {"full_bundle_raw_bytes", full_raw},
                        {"full_build_s", build_s},
                        {"full_check_s", check_s},
                        {"gate_load_s", load_s},
                        {"day_new", day_new},
                        {"day_status_changes", day_status},
                        {"delta_gzip_bytes", delta_gz.size()},
                        {"delta_records", delta->records_size()},
                        {"delta_build_s", delta_build_s},
                        {"delta_raw_bytes", delta->ByteSizeLong()},
                        {"delta_patches", delta_patches},
                        {"delta_check_s", delta_check_s},
                        {"full_status_list_bytes", fp_bytes},
                        {"full_issuer_bytes", issuer_bytes},
                        {"full_index_bytes", index_bytes},
                        {"bundle_format", gate::kBundleFormat},
                        {"offline_decisions_per_s_1core", per_s}};
    std::ofstream(json_out) << j.dump(2) << "\n";
  }
  return 0;
}

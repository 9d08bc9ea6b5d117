// A small certified state with status lists, for the gate_bundle target and its seeds
// (seeds.cpp): three issuers (one with 1030 credentials, two status chunks), certified at
// height 1, then a day's changes (new credentials, a status change, a new chunk) certified at
// height 2. Holds the full bundles of heights 1 and 2, the delta 1 -> 2, and the bundle of
// height 1 checked (what a gate holds when a delta comes).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/check.h"
#include "crypto/ed25519.h"
#include "gate/bundle.h"
#include "ledger/executor.h"
#include "ledger/state_tree.h"

namespace laurel::fuzz {

class GateWorld {
 public:
  static const GateWorld& Get() {
    static const GateWorld w;
    return w;
  }

  verifier::ValidatorSet set;
  ::laurel::v1::GateBundle full1, full2, delta2;
  gate::CheckedBundle base1;    // full1, checked
  Hash32 digest1{}, digest2{};  // the content digests of heights 1 and 2

 private:
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

  Bytes Certify(uint64_t height, const Hash32& root, uint64_t time_ms) const {
    verifier::Certificate c;
    c.height = height;
    c.state_root = root;
    c.time_ms = time_ms;
    c.signatures = {{0, key_.Sign(verifier::CertificateSignBytes(kChain, c))}};
    return verifier::EncodeCertificate(c);
  }

  static ledger::StatusFingerprint Fp(uint64_t x) {
    ledger::StatusFingerprint fp{};
    for (size_t k = 0; k < fp.size(); ++k)
      fp[k] = static_cast<uint8_t>((x * 0x9e3779b97f4a7c15ULL) >> (8 * k));
    return fp;
  }

  ::laurel::v1::GateBundle Build(uint64_t height, const Hash32& root, uint64_t since) const {
    gate::BundleSource src;
    src.chain_id = kChain;
    src.height = height;
    src.time_ms = 1'750'000'000'000ULL + height * 1000;
    src.certificate = Certify(height, root, src.time_ms);
    src.read = [this](const std::string& k) -> std::optional<std::string> {
      auto it = state_.find(k);
      if (it == state_.end()) return std::nullopt;
      return it->second;
    };
    src.prove = [this, height](const std::string& k) {
      return ledger::ProveState(tree_, height, k);
    };
    if (since != 0) {  // the records the gate holds: those of `since` (height 1)
      src.read_since = [this](const std::string& k) -> std::optional<std::string> {
        auto it = state1_.find(k);
        if (it == state1_.end()) return std::nullopt;
        return it->second;
      };
    }
    auto b = gate::BuildBundle(src, since);
    LAUREL_CHECK(b.ok(), "gate world: bundle");
    return std::move(b).value();
  }

  void Commit(uint64_t height, std::map<std::string, std::string> writes, Hash32& root) {
    ledger::IndexGateRecords(
        [this](const std::string& k) -> std::optional<std::string> {
          auto it = state_.find(k);
          if (it == state_.end()) return std::nullopt;
          return it->second;
        },
        height, writes);
    auto u = ledger::UpdateStateTree(tree_, height, writes);
    tree_.Apply(u);
    for (auto& [k, v] : writes) state_[k] = std::move(v);
    root = u.root;
  }

  GateWorld() : key_(crypto::PrivateKey::FromSeed(Bytes(32, 0x61)).value()) {
    set.chain_id = kChain;
    set.keys = {Bytes(key_.public_key().begin(), key_.public_key().end())};
    set.names = {"v0"};
    set.addresses = {""};
    auto u0 = ledger::UpdateStateTree(tree_, 0, {});
    tree_.Apply(u0);
    const uint64_t sizes[] = {1030, 3, 0};
    const char* ids[] = {"union-a", "工会-b", "fed-c"};
    std::map<std::string, std::string> w;
    std::map<std::string, ledger::IssuerRecord> recs;
    for (int i = 0; i < 3; ++i) {
      ledger::IssuerRecord r;
      r.issuer_id = ids[i];
      r.name = std::string("工会 ") + ids[i];
      r.grants = {{types::CredentialType::kMember, {}}};
      r.keys.push_back(ledger::IssuerKey{1, Bytes(32, static_cast<uint8_t>(i + 1)), 0, 0});
      r.next_status_index = sizes[i];
      for (uint64_t c0 = 0; c0 < sizes[i]; c0 += ledger::kStatusChunkSlots) {
        ledger::StatusChunk ch{ids[i], c0 / ledger::kStatusChunkSlots, 0, {}, {}};
        for (uint64_t j = c0; j < std::min(sizes[i], c0 + ledger::kStatusChunkSlots); ++j) {
          ch.Append(j % 7 == 3 ? ledger::SlotStatus::kRevoked : ledger::SlotStatus::kActive,
                    Fp(j + 1000 * i));
        }
        w[ledger::StatusChunkKeyOf(ids[i], ch.chunk)] = ledger::EncodeStatusChunk(ch);
      }
      w[ledger::IssuerKeyOf(ids[i])] = ledger::EncodeIssuer(r);
      recs[ids[i]] = r;
    }
    Hash32 root1, root2;
    Commit(1, w, root1);
    full1 = Build(1, root1, 0);
    auto f1 = gate::CheckBundle(full1, set);
    LAUREL_CHECK(f1.ok(), "gate world: full bundle of height 1");
    base1 = std::move(f1).value();
    state1_ = state_;
    digest1 = base1.content_digest;
    // Height 2: union-a's slot 5 suspended and a credential appended (chunk 1), 工会-b gets
    // two more, fed-c its first (a new chunk).
    w.clear();
    auto chunk = [this](const std::string& id, uint64_t n) {
      return ledger::DecodeStatusChunk(state_.at(ledger::StatusChunkKeyOf(id, n))).value();
    };
    auto a0 = chunk("union-a", 0);
    a0.SetStatus(5, ledger::SlotStatus::kSuspended);
    w[ledger::StatusChunkKeyOf("union-a", 0)] = ledger::EncodeStatusChunk(a0);
    auto a1 = chunk("union-a", 1);
    a1.Append(ledger::SlotStatus::kActive, Fp(77777));
    w[ledger::StatusChunkKeyOf("union-a", 1)] = ledger::EncodeStatusChunk(a1);
    auto b0 = chunk("工会-b", 0);
    b0.Append(ledger::SlotStatus::kActive, Fp(88888));
    b0.Append(ledger::SlotStatus::kActive, Fp(88889));
    w[ledger::StatusChunkKeyOf("工会-b", 0)] = ledger::EncodeStatusChunk(b0);
    ledger::StatusChunk c0{"fed-c", 0, 0, {}, {}};
    c0.Append(ledger::SlotStatus::kActive, Fp(99999));
    w[ledger::StatusChunkKeyOf("fed-c", 0)] = ledger::EncodeStatusChunk(c0);
    const std::pair<const char*, uint64_t> added[] = {{"union-a", 1}, {"工会-b", 2}, {"fed-c", 1}};
    for (const auto& [id, add] : added) {
      recs[id].next_status_index += add;
      w[ledger::IssuerKeyOf(id)] = ledger::EncodeIssuer(recs[id]);
    }
    Commit(2, w, root2);
    full2 = Build(2, root2, 0);
    delta2 = Build(2, root2, 1);
    auto f2 = gate::CheckBundle(full2, set);
    LAUREL_CHECK(f2.ok(), "gate world: full bundle of height 2");
    digest2 = f2->content_digest;
  }

  static constexpr char kChain[] = "fuzz-gate";
  crypto::PrivateKey key_;
  MemTree tree_;
  std::map<std::string, std::string> state_, state1_;
};

}  // namespace laurel::fuzz

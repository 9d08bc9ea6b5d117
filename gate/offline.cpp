#include "gate/offline.h"

#include <algorithm>

#include "types/card.h"

namespace laurel::gate {

namespace {

uint64_t Fp48(const ledger::StatusFingerprint& fp) {
  uint64_t v = 0;
  for (uint8_t b : fp) v = (v << 8) | b;
  return v;
}

types::CredentialStatus StatusOf(ledger::SlotStatus s) {
  switch (s) {
    case ledger::SlotStatus::kActive:
      return types::CredentialStatus::kActive;
    case ledger::SlotStatus::kSuspended:
      return types::CredentialStatus::kSuspended;
    default:
      return types::CredentialStatus::kRevoked;  // revoked, or the unused value: refuse
  }
}

}  // namespace

// The state VerifyCard reads for one card: the bundle's issuers, and the card's credential
// record when its issuer's list holds the card's fingerprint.
class OfflineGate::CardView final : public ledger::StateView {
 public:
  CardView(const OfflineGate& gate, std::optional<ledger::CredentialRecord> cred)
      : gate_(gate), cred_(std::move(cred)) {}
  std::optional<std::string> GetState(std::string_view key) const override {
    if (key.substr(0, 2) == "i/") {
      auto it = gate_.issuers_.find(std::string(key));
      if (it == gate_.issuers_.end()) return std::nullopt;
      return it->second;
    }
    if (cred_ && key == ledger::CredentialKeyOf(cred_->credential_id)) {
      return ledger::EncodeCredential(*cred_);
    }
    return std::nullopt;
  }
  bool HasTx(const Hash32&) const override { return false; }
  std::optional<std::string> GetTreeNode(std::string_view) const override { return std::nullopt; }

 private:
  const OfflineGate& gate_;
  std::optional<ledger::CredentialRecord> cred_;
};

OfflineGate::OfflineGate(const CheckedBundle& b)
    : chain_id_(b.chain_id), height_(b.height), time_ms_(b.time_ms) {
  for (const auto& [key, value] : b.records) {
    if (key[0] == 'i') {
      issuers_.emplace(key, value);
      continue;
    }
    auto chunk = ledger::DecodeStatusChunk(value);
    if (!chunk.ok()) continue;  // CheckBundle decoded it already
    auto& slots = slots_[chunk->issuer_id];
    for (uint32_t j = 0; j < chunk->count; ++j) {
      slots.push_back(Slot{Fp48(chunk->fingerprint(j)),
                           chunk->chunk * ledger::kStatusChunkSlots + j, chunk->status(j)});
    }
    credentials_ += chunk->count;
  }
  for (auto& [issuer, slots] : slots_) std::sort(slots.begin(), slots.end());
}

ledger::VerifyResult OfflineGate::Verify(std::string_view card_text, uint64_t now_unix_s) const {
  std::optional<ledger::CredentialRecord> cred;
  // Only the lookup of the card's slot is done here; every check is VerifyCard's.
  if (auto card = types::CardFromText(card_text); card.ok()) {
    if (auto body = types::DecodeCardBody(card->body); body.ok()) {
      const Hash32 digest = types::CardDigest(card->body);
      const uint64_t fp = Fp48(ledger::FingerprintOf(body->credential_id, digest,
                                                     body->key_version, body->type, body->level,
                                                     body->valid_from, body->valid_until));
      auto it = slots_.find(body->issuer_id);
      if (it != slots_.end()) {
        auto s = std::lower_bound(it->second.begin(), it->second.end(), Slot{fp, 0, {}});
        if (s != it->second.end() && s->fingerprint == fp) {
          ledger::CredentialRecord c;
          c.credential_id = body->credential_id;
          c.type = body->type;
          c.level = body->level;
          c.issuer_id = body->issuer_id;
          c.key_version = body->key_version;
          c.card_digest = Bytes(digest.begin(), digest.end());
          c.valid_from = body->valid_from;
          c.valid_until = body->valid_until;
          c.status = StatusOf(s->status);
          c.status_index = s->status_index;
          cred = std::move(c);
        }
      }
    }
  }
  CardView view(*this, std::move(cred));
  return ledger::VerifyCard(view, chain_id_, card_text, now_unix_s);
}

ledger::VerifyResult OfflineGate::Verify(std::string_view card_text, uint64_t now_unix_s,
                                         const std::optional<std::string>& presentation,
                                         const ledger::HolderPolicy& policy) const {
  return ledger::ApplyHolderCheck(Verify(card_text, now_unix_s), presentation, policy, now_unix_s);
}

}  // namespace laurel::gate

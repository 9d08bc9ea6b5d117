// The offline gate decision (docs/gate.md "Offline"): ledger::VerifyCard — the very decision
// the node makes — run over a state assembled from a checked gate bundle, with no network.
//
// The bundle holds every issuer record and every issuer's status list (a 2-bit status and a
// 6-byte fingerprint per credential, ledger/state.h). For a card, the credential record
// VerifyCard reads is the one the card describes — its id, type, level, validity, key version
// and digest — with the status of the slot of its issuer's list whose fingerprint is the
// card's; when no slot has that fingerprint there is no record (NOT_ON_LEDGER). So every
// reason comes out as online, except that a card the ledger holds under another digest or
// other fields (a card replaced by a renewal, or written wrongly by its issuer) is
// NOT_ON_LEDGER here where the node says DIGEST_MISMATCH, BAD_SIGNATURE or RECORD_MISMATCH,
// and a status message carries no status reason (the list holds none).
//
// Thread safety: an OfflineGate is immutable after construction; Verify may run on any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gate/bundle.h"
#include "ledger/verify.h"

namespace laurel::gate {

// BUNDLE_STALE: the bundle's certified time is older than the allowed window.
inline constexpr std::string_view kBundleStale = "BUNDLE_STALE";

class OfflineGate {
 public:
  explicit OfflineGate(const CheckedBundle& bundle);

  // The decision for `card_text` at `now_unix_s` (the bundle's staleness is the caller's).
  ledger::VerifyResult Verify(std::string_view card_text, uint64_t now_unix_s) const;
  // The same, then the holder check (ledger::ApplyHolderCheck) with the holder's presentation
  // (nullopt: none shown) and this gate's policy: the decision of POST /v1/verify with the same
  // presentation, gate id, nonce and require_binding.
  ledger::VerifyResult Verify(std::string_view card_text, uint64_t now_unix_s,
                              const std::optional<std::string>& presentation,
                              const ledger::HolderPolicy& policy) const;

  const std::string& chain_id() const { return chain_id_; }
  uint64_t height() const { return height_; }
  uint64_t time_ms() const { return time_ms_; }
  size_t issuers() const { return issuers_.size(); }
  size_t credentials() const { return credentials_; }

 private:
  struct Slot {
    uint64_t fingerprint = 0;  // the 6 bytes, big-endian
    uint64_t status_index = 0;
    ledger::SlotStatus status = ledger::SlotStatus::kActive;
    bool operator<(const Slot& o) const { return fingerprint < o.fingerprint; }
  };
  class CardView;

  std::string chain_id_;
  uint64_t height_ = 0;
  uint64_t time_ms_ = 0;
  size_t credentials_ = 0;
  std::unordered_map<std::string, std::string> issuers_;  // "i/<id>" -> record bytes
  std::unordered_map<std::string, std::vector<Slot>> slots_;  // issuer id -> by fingerprint
};

// Whether a bundle certified at `bundle_time_ms` is older than `max_offline_s` at `now_ms`.
inline bool BundleStale(uint64_t bundle_time_ms, uint64_t now_ms, uint64_t max_offline_s) {
  return now_ms > bundle_time_ms && now_ms - bundle_time_ms > max_offline_s * 1000;
}

}  // namespace laurel::gate

// Proven reads (?proof=true, docs/api.md "Proofs"): the records an answer rests on, read at
// the newest height that carries a state certificate, each with its state tree proof.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "laurel/v1/api.pb.h"
#include "ledger/state.h"
#include "rpc/router.h"
#include "storage/store.h"

namespace laurel::rpc {

// Whether the request asks for a proof: ?proof=true or ?proof=1 asks, ?proof=false, ?proof=0
// or no proof parameter does not. Any other value (yes, TRUE, an empty one) answers
// 400 BAD_PROOF through `respond` and gives nullopt: a gate that meant to ask for a proof must
// never get an unproven answer it takes for a proven one.
std::optional<bool> ProofAsked(const HttpRequest& req, const Responder& respond);

// A StateView at a certified height that proves every record read through it. Reads that
// cannot be proven (the height's tree pruned meanwhile) answer absent and set failed().
class ProvenView final : public ledger::StateView {
 public:
  // The newest height at or below the tip (looking back at most 256 heights) with a state
  // certificate, or nullptr when there is none.
  static std::unique_ptr<ProvenView> AtCertifiedHeight(const storage::Store& store);
  // Exactly committed height `height`, when this node holds its state certificate; nullptr
  // otherwise (none stored, or one that does not decode as that height's).
  static std::unique_ptr<ProvenView> AtHeight(const storage::Store& store, uint64_t height);

  std::optional<std::string> GetState(std::string_view key) const override;
  bool HasTx(const Hash32&) const override { return false; }
  std::optional<std::string> GetTreeNode(std::string_view) const override { return std::nullopt; }

  uint64_t height() const { return height_; }
  uint64_t epoch() const { return epoch_; }
  uint64_t time_ms() const { return time_ms_; }
  const Bytes& certificate() const { return certificate_; }
  bool failed() const { return failed_; }
  // The failure was that the height's state tree is no longer kept (pruned).
  bool tree_not_kept() const { return tree_not_kept_; }
  const std::string& failure() const { return failure_; }
  // The proof view for the answer, with `proven` as its statement.
  ::laurel::v1::StateProofView View(const std::string& proven) const;

 private:
  friend std::string DescribeHeight(const ProvenView& v);
  ProvenView(const storage::Store& store, uint64_t height, Bytes certificate, uint64_t epoch,
             uint64_t time_ms, Hash32 root)
      : store_(store), height_(height), certificate_(std::move(certificate)), epoch_(epoch),
        time_ms_(time_ms), root_(root) {}

  const storage::Store& store_;
  uint64_t height_;
  Bytes certificate_;
  uint64_t epoch_;
  uint64_t time_ms_;
  Hash32 root_;
  mutable std::vector<ledger::StateProof> proofs_;
  mutable bool failed_ = false;
  mutable bool tree_not_kept_ = false;
  mutable std::string failure_;
};

// Appends the epoch changes from the genesis set to `epoch`'s (one per epoch 1..epoch, as
// StateProofView.epoch_changes and ReceiptView.epoch_changes carry them). A change this node
// lacks is appended with its epoch number only, which a verifier refuses.
void AddEpochChanges(const storage::Store& store, uint64_t epoch,
                     google::protobuf::RepeatedPtrField<::laurel::v1::EpochChangeView>* out);

// 503 NO_CERTIFICATE: this node holds no state certificate of `height`. Just after the commit
// it is still forming ("retry shortly", Retry-After: 1); later, the node synced that block
// without one (`elsewhere`: where to ask instead). `why_not_later` says why a later height's
// certificate cannot stand in.
HttpResponse NoCertificateAt(const storage::Store& store, uint64_t height,
                             const std::string& elsewhere, const std::string& why_not_later);

// 503 NO_CERTIFIED_STATE / PROOF_UNAVAILABLE answers.
HttpResponse NoCertifiedState();
HttpResponse ProofUnavailable(const ProvenView& v);

// "height 12 (2026-12-05T03:41:35Z), state root 1a2b3c4d…"
std::string DescribeHeight(const ProvenView& v);

}  // namespace laurel::rpc

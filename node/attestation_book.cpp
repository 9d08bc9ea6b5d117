#include "node/attestation_book.h"

#include <algorithm>

namespace laurel::node {

void AttestationBook::AddOwn(const StateAttestation& a, uint64_t local_height, Outputs& out,
                             bool signed_by_us) {
  if (halted_) return;
  own_results_[a.height] = a;
  if (signed_by_us) Add(a, local_height, out);
  Check(a.height, out);
  while (!own_results_.empty() && own_results_.begin()->first + kAttestationWindow < a.height) {
    own_results_.erase(own_results_.begin());
  }
}

bool AttestationBook::Wants(uint64_t height, uint64_t local_height) const {
  if (halted_) return false;
  if (height + kAttestationWindow < local_height ||
      height > local_height + 4 * kAttestationWindow) {
    return false;
  }
  // Already certified and settled?
  return !(height <= certified_height_ && !certificates_.count(height) &&
           !attestations_.count(height));
}

void AttestationBook::Add(const StateAttestation& a, uint64_t local_height, Outputs& out) {
  if (!Wants(a.height, local_height)) return;
  auto& by_content = attestations_[a.height];
  Bytes sign_bytes = AttestationSignBytes(chain_id_, a);
  // One attestation per signer and height counts: a signer attesting many contents for one
  // height cannot grow this map.
  for (const auto& [content, signers] : by_content) {
    if (content != sign_bytes && signers.count(a.signer)) return;
  }
  auto& sigs = by_content[std::move(sign_bytes)];
  sigs[a.signer] = a.signature;
  if (sigs.size() >= quorum_ && !certificates_.count(a.height)) {
    StateCertificate cert;
    cert.data = a;
    cert.data.signer = 0;
    cert.data.signature = {};
    for (const auto& [signer, sig] : sigs) cert.signatures.emplace_back(signer, sig);
    certificates_[a.height] = std::move(cert);
    Check(a.height, out);
  }
  while (!attestations_.empty() &&
         attestations_.begin()->first + kAttestationWindow < local_height) {
    attestations_.erase(attestations_.begin());
  }
}

void AttestationBook::Check(uint64_t height, Outputs& out) {
  if (halted_) return;
  auto c = certificates_.find(height);
  auto own = own_results_.find(height);
  if (c == certificates_.end() || own == own_results_.end()) return;
  const StateAttestation& d = c->second.data;
  const StateAttestation& o = own->second;
  if (d.block_id != o.block_id || d.state_root != o.state_root || d.tx_root != o.tx_root ||
      d.time_ms != o.time_ms) {
    halted_ = true;
    out.mismatch = "state root mismatch at height " + std::to_string(height) + ": ours " +
                   HexEncode(o.state_root) + ", certified by " +
                   std::to_string(c->second.signatures.size()) + " validators " +
                   HexEncode(d.state_root);
    return;
  }
  out.certified.push_back(std::move(c->second));
  certified_height_ = std::max(certified_height_, height);
  certificates_.erase(c);
  attestations_.erase(height);
}

}  // namespace laurel::node

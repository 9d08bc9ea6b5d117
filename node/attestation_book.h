// State attestations aggregated into state certificates, as a pure state machine in the style
// of consensus::Engine (docs/spec/consensus.md §6a: what halts a node).
//
// Inputs: attestations whose signature the host has checked (by the signer's key, the signer
// being the sender), and this node's own result for each height it executes (which also counts
// as its attestation). Each call takes the local committed height and appends to an Outputs:
// certificates to store - 2f+1 (the quorum) signers agreeing on one (height, block, state root,
// tx root, time) that matches our own result - or a mismatch: a certificate that differs from
// our own result, on which the host halts. No sockets, clocks, threads, logging or signature
// checks.
//
// Bounds: attestations are kept for heights from the local height - kAttestationWindow to the
// local height + 4 kAttestationWindow; own results for kAttestationWindow heights below the
// newest. One attestation per signer and height counts (a signer attesting several contents for
// one height is counted for the first only). A certified height, once stored, is settled.
//
// What a Byzantine signer can and cannot cause: it adds at most one entry per height within the
// window; f of them can neither form a certificate nor cause a mismatch. A mismatch needs 2f+1
// signers on another content, so at least f+1 honest ones: our own execution is the odd one.
//
// Invariants: a certificate is reported for storing at most once per height, and only when it
// equals our own result; after a mismatch the book ignores every input (the host halts).
//
// Thread safety: none; the node uses it from its event loop only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "node/wire.h"

namespace laurel::node {

inline constexpr uint64_t kAttestationWindow = 256;  // heights kept for attestation aggregation

class AttestationBook {
 public:
  struct Outputs {
    std::vector<StateCertificate> certified;  // to store, by their data.height
    std::optional<std::string> mismatch;      // why the host halts
  };

  // Attestations sign AttestationSignBytes(chain_id, ...); `quorum` signers form a certificate.
  AttestationBook(std::string chain_id, size_t quorum)
      : chain_id_(std::move(chain_id)), quorum_(quorum) {}

  // Whether Add would keep an attestation of `height` at all: the host asks before it spends a
  // signature check (a peer catching up attests thousands of settled heights).
  bool Wants(uint64_t height, uint64_t local_height) const;
  // A verified attestation from `a.signer`.
  void Add(const StateAttestation& a, uint64_t local_height, Outputs& out);
  // This node's own result (and attestation, when `signed_by_us`: a node that is not a
  // validator of the epoch only checks its result against the certificate) for `a.height`,
  // just executed.
  void AddOwn(const StateAttestation& a, uint64_t local_height, Outputs& out,
              bool signed_by_us = true);

  // The highest height certified with our own result.
  uint64_t certified_height() const { return certified_height_; }
  // Heights with attestations held (not yet certified).
  size_t heights_held() const { return attestations_.size(); }

 private:
  void Check(uint64_t height, Outputs& out);

  std::string chain_id_;
  size_t quorum_;
  bool halted_ = false;
  // Height -> sign bytes -> signer -> signature.
  std::map<uint64_t, std::map<Bytes, std::map<uint32_t, crypto::Signature>>> attestations_;
  std::map<uint64_t, StateAttestation> own_results_;
  std::map<uint64_t, StateCertificate> certificates_;  // formed, waiting for our own result
  uint64_t certified_height_ = 0;
};

}  // namespace laurel::node

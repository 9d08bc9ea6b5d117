// Checks what a node hands a gate or an auditor, trusting no node: a state certificate
// against a validator set, and state records against the certified state root
// (docs/spec/state.md §4-§7). Depends on crypto/ and common/ only.
//
// Every check fails loudly: a missing, stale or wrong part gives a Status whose message names
// the part and what is wrong with it; nothing is ever "assumed fine".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ed25519.h"
#include "crypto/smt.h"

namespace laurel::verifier {

inline constexpr std::string_view kAttestationDomain{"laurel/attestation/v1\0", 22};

// The validators whose signatures certify states, in validator index order.
struct ValidatorSet {
  std::string chain_id;
  std::vector<Bytes> keys;
  std::vector<std::string> names;  // same order; may be empty strings
  // 2f+1 of n = 3f+1 (the smallest number of signers any two of which share an honest one).
  size_t Quorum() const { return keys.size() - (keys.size() - 1) / 3; }
};

// A state certificate: the attested fields and the signatures (docs/spec/state.md §6).
struct Certificate {
  uint64_t height = 0;
  Hash32 block_id{};
  Hash32 state_root{};
  Hash32 tx_root{};
  uint64_t time_ms = 0;
  std::vector<std::pair<uint32_t, crypto::Signature>> signatures;
};

Result<Certificate> DecodeCertificate(ByteView bytes);
// The bytes each validator signed for this certificate.
Bytes CertificateSignBytes(std::string_view chain_id, const Certificate& c);
// Quorum-many distinct validators of `set` signed the certificate. Returns their names (or
// "validator <i>"); kPermissionDenied naming what failed otherwise.
Result<std::vector<std::string>> CheckCertificate(const Certificate& c, const ValidatorSet& set);

// A state record, or its absence, with its path in the state tree.
struct RecordProof {
  std::string key;
  std::optional<std::string> value;  // record bytes; nullopt claims absence
  crypto::smt::Proof proof;
};
Status CheckRecord(const Hash32& root, const RecordProof& r);

// What a proven answer established.
struct ProvenState {
  uint64_t height = 0;
  uint64_t time_ms = 0;
  Hash32 state_root{};
  std::vector<std::string> signers;
  std::map<std::string, std::optional<std::string>> records;  // state key -> record / absent
};

// Checks the "proof" object of an RPC answer (laurel.v1.StateProofView in its JSON form):
// the certificate against `set`, its state root against the answer's, every record against
// that root, and the age: older than `max_age_ms` before `now_ms` fails (max_age_ms 0: no
// limit). A missing proof object fails.
Result<ProvenState> CheckStateProof(const nlohmann::json& proof, const ValidatorSet& set,
                                    uint64_t now_ms, uint64_t max_age_ms);

}  // namespace laurel::verifier

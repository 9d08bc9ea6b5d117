// Checks what a node hands a gate or an auditor, trusting no node: a state certificate
// against a validator set, and state records against the certified state root
// (docs/spec/state.md §4-§7). Depends on crypto/ and common/ only.
//
// Every check fails loudly: a missing, stale or wrong part gives a Status whose message names
// the part and what is wrong with it; nothing is ever "assumed fine".
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ed25519.h"
#include "crypto/smt.h"

namespace laurel::verifier {

inline constexpr std::string_view kAttestationDomain{"laurel/attestation/v2\0", 22};
inline constexpr std::string_view kValidatorSetDomain{"laurel/validators/v1\0", 21};
// Epoch changes a proof may walk through from the verifier's set to the certificate's.
inline constexpr size_t kMaxEpochChanges = 4096;

// The validators whose signatures certify states, in validator index order: the genesis set
// (epoch 0), or a later epoch's set as an epoch-change certificate names it.
struct ValidatorSet {
  std::string chain_id;
  uint64_t epoch = 0;
  std::vector<Bytes> keys;
  std::vector<std::string> names;      // same order; may be empty strings
  std::vector<std::string> addresses;  // same order; may be empty (only hashed, never dialled)
  uint64_t start_height = 0;  // the epoch's first height, as its epoch change names it (0: genesis)
  // 2f+1 of n = 3f+1 (the smallest number of signers any two of which share an honest one).
  size_t Quorum() const { return keys.size() - (keys.size() - 1) / 3; }
};

// A state certificate: the attested fields and the signatures (docs/spec/state.md §6).
struct Certificate {
  uint64_t epoch = 0;  // the epoch whose validators signed it
  uint64_t height = 0;
  Hash32 block_id{};
  Hash32 state_root{};
  Hash32 tx_root{};
  uint64_t time_ms = 0;
  // Zero, or on an epoch's last block the ValidatorSetHash of the next epoch's set.
  Hash32 next_validators{};
  std::vector<std::pair<uint32_t, crypto::Signature>> signatures;
};

// SHA-256("laurel/validators/v1\0" || u32be(n) || per validator: key [32] || u32be(len name) ||
// name || u32be(len address) || address) (docs/spec/consensus.md §13).
Hash32 ValidatorSetHash(const ValidatorSet& set);

Result<Certificate> DecodeCertificate(ByteView bytes);
// The inverse of DecodeCertificate: the bytes a node serves (node/wire.h's state certificate).
Bytes EncodeCertificate(const Certificate& c);
// The bytes each validator signed for this certificate.
Bytes CertificateSignBytes(std::string_view chain_id, const Certificate& c);
// Quorum-many distinct validators of `set` signed the certificate, and it is of the set's
// epoch. Returns their names (or "validator <i>"); kPermissionDenied naming what failed
// otherwise.
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
  uint64_t epoch = 0;
  size_t validators = 0;  // the size of the certificate's epoch set
  std::vector<std::string> signers;
  std::map<std::string, std::optional<std::string>> records;  // state key -> record / absent
};

// Walks from `set` to the set of `epoch` through epoch-change proofs (the "epoch_changes" of a
// StateProofView in JSON form, one per epoch from set.epoch + 1 on): each names the next
// epoch's validators and carries the certificate of the previous epoch's last block, signed
// by the previous set, whose next_validators is the hash of that list. Each change's "epoch"
// must be the next epoch number (none skipped or repeated) and its "start_height" the height
// after its certificate's (and after the start of the epoch before); a change that breaks
// this is refused, naming it. The set returned carries the last change's start height.
Result<ValidatorSet> WalkEpochs(const ValidatorSet& set, uint64_t epoch,
                                const nlohmann::json& changes);

// Checks the "proof" object of an RPC answer (laurel.v1.StateProofView in its JSON form):
// the certificate against `set` (walking its epoch changes when the certificate is of a later
// epoch), its state root against the answer's, every record against that root, and the age:
// older than `max_age_ms` before `now_ms` fails (max_age_ms 0: no limit). A missing proof
// object fails.
Result<ProvenState> CheckStateProof(const nlohmann::json& proof, const ValidatorSet& set,
                                    uint64_t now_ms, uint64_t max_age_ms);

// ---- Transaction receipts (docs/spec/state.md §11) ----

// Result codes whose meaning the receipt check needs (their values in ledger/codes.h, which
// this library does not link; a test holds them equal). Execution checks, in this order, that
// the body decodes (else MALFORMED), that there is a signature (else MISSING_SIGNATURE) and that
// every signature verifies (else BAD_SIGNATURE); any other code means all of them passed.
inline constexpr uint32_t kCodeMalformed = 1;
inline constexpr uint32_t kCodeMissingSignature = 5;
inline constexpr uint32_t kCodeBadSignature = 6;

// What a receipt established: the transaction whose body hashes to tx_id was committed at
// `height`, position `position` of the block's `tx_count`, with result `code`.
struct ProvenReceipt {
  Hash32 tx_id{};
  Bytes body;                      // the signed body (SHA-256(body) = tx_id)
  std::vector<Bytes> signer_keys;  // the keys of the transaction's signatures, in order
  uint64_t height = 0;
  uint32_t position = 0;
  uint32_t tx_count = 0;
  uint32_t code = 0;
  Hash32 block_id{};
  Hash32 tx_root{};
  uint64_t time_ms = 0;
  uint64_t epoch = 0;
  size_t validators = 0;  // the size of the certificate's epoch set
  std::vector<std::string> signers;
};

// Checks a receipt (laurel.v1.ReceiptView in its JSON form, GET /v1/txs/{id}/receipt)
// against `set`: the transaction bytes are a canonical laurel.v1.Tx whose body hashes to
// tx_id; the certificate verifies (walking its epoch changes) and is of the receipt's height,
// block, time and tx_root; the audit path leads from the leaf tx_id || u32be(code) at
// `position` of `tx_count` leaves to that tx_root (RFC 6962); and the signatures agree with the
// code (none for MISSING_SIGNATURE, one failing for BAD_SIGNATURE, all verifying for any code
// after the signature check; not judged for MALFORMED). The `result` name is not read here
// (the caller maps `code` to its name). Fails with kPermissionDenied naming what is wrong.
Result<ProvenReceipt> CheckReceipt(const nlohmann::json& receipt, const ValidatorSet& set);

// ---- The transaction log (docs/spec/state.md §12) ----

// The state key of the log head record (ledger::kTxLogKey; this library does not link ledger).
inline constexpr std::string_view kTxLogStateKey = "l";

// The log head a certificate proves: the state record "l" at a certified height.
struct ProvenLogHead {
  uint64_t size = 0;
  Hash32 root{};
  ProvenState state;  // the certified height, its signers, ...
};

// Checks a log head answer (laurel.v1.TxLogView in its JSON form, GET /v1/log?proof=true):
// its proof (CheckStateProof: certificate, epochs, age) must prove the record "l", which must
// decode (crypto::DecodeLogHead: its frontier folds to its root) and be the answer's `size`
// and `root`, at the answer's `height`. Fails with kPermissionDenied naming what is wrong.
Result<ProvenLogHead> CheckLogHead(const nlohmann::json& answer, const ValidatorSet& set,
                                   uint64_t now_ms, uint64_t max_age_ms);

// RFC 9162 checks over crypto's VerifyMerkleInclusion / VerifyMerkleConsistency, with the
// failure named: leaf `index` of a log of `size` leaves (leaf_hash = MerkleLeafHash of
// tx_id || u32be(code)) leads by `path` to `root`; the log of `first` leaves (first_root) is a
// prefix of the log of `second` leaves (second_root). first == 0 is refused (the empty log is a
// prefix of every log, so such a proof would prove nothing).
Status CheckLogInclusion(uint64_t index, uint64_t size, const Hash32& leaf_hash,
                         const std::vector<Bytes>& path, const Hash32& root);
Status CheckLogConsistency(uint64_t first, uint64_t second, const std::vector<Bytes>& proof,
                           const Hash32& first_root, const Hash32& second_root);

// The answers of the proof routes, in their JSON form, checked against a log head the caller
// trusts (a proven one, or one it saved): a laurel.v1.TxLogInclusionView (GET
// /v1/log/proof/inclusion) must be of a log of `size` leaves, its leaf_hash must be the leaf
// hash of its tx_id || u32be(code) when it names the transaction, and its audit_path must lead
// from that leaf at its index to `root`; returns the leaf's index. A
// laurel.v1.TxLogConsistencyView (GET /v1/log/proof/consistency) must go from `first` to
// `second` leaves and its proof must show the log of (second, second_root) extends the log of
// (first, first_root) (CheckLogConsistency). A missing or malformed field is refused, naming
// it (kPermissionDenied).
Result<uint64_t> CheckLogInclusionAnswer(const nlohmann::json& answer, uint64_t size,
                                         const Hash32& root);
Status CheckLogConsistencyAnswer(const nlohmann::json& answer, uint64_t first,
                                 const Hash32& first_root, uint64_t second,
                                 const Hash32& second_root);

// The hashes of a JSON array of 64-hex-digit strings (a proof's "audit_path" or "proof");
// kPermissionDenied naming `what` when one is not.
Result<std::vector<Bytes>> HexHashList(const nlohmann::json& list, const std::string& what);

}  // namespace laurel::verifier

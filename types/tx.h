// Transactions as plain structs, and their one wire/sign encoding (docs/spec/signing.md).
//
// A Tx carries the exact TxBody bytes that were signed; nothing here ever re-serializes a
// received body. Decoders are total: any byte string gives either a value or a Status.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ed25519.h"

namespace laurel::types {

// Domain tags (the trailing NUL is part of the tag).
inline constexpr std::string_view kTxSignDomain{"laurel/tx/v1\0", 13};

// Limits every node enforces on decode.
inline constexpr size_t kMaxTxBytes = 64 * 1024;
inline constexpr size_t kMaxSignatures = 32;

enum class CredentialType : uint8_t { kUnspecified = 0, kMember = 1, kModelWorker = 2 };
enum class Level : uint8_t {
  kUnspecified = 0,
  kNational = 1,
  kProvincial = 2,
  kMunicipal = 3,
  kDistrict = 4,
  kEnterprise = 5,
};
enum class CredentialStatus : uint8_t { kUnspecified = 0, kActive = 1, kSuspended = 2, kRevoked = 3 };
enum class IssuerStatus : uint8_t { kUnspecified = 0, kActive = 1, kSuspended = 2, kRetired = 3 };

const char* CredentialTypeName(CredentialType t);  // "MEMBER", "MODEL_WORKER"
const char* LevelName(Level l);                    // "NATIONAL", ...
const char* CredentialStatusName(CredentialStatus s);
const char* IssuerStatusName(IssuerStatus s);

struct TypeGrant {
  CredentialType type = CredentialType::kUnspecified;
  std::vector<Level> levels;  // MODEL_WORKER only; non-empty there
  bool operator==(const TypeGrant&) const = default;
};

struct Validator {
  Bytes public_key;
  std::string name;
  std::string address;
  bool operator==(const Validator&) const = default;
};

struct RegisterIssuer {
  std::string issuer_id;
  std::string name;
  std::string parent_id;  // empty: top-level (governance)
  Bytes public_key;
  std::vector<TypeGrant> grants;
  bool can_delegate = false;
};
struct RotateIssuerKey {
  std::string issuer_id;
  Bytes new_public_key;
};
struct SetIssuerStatus {
  std::string issuer_id;
  IssuerStatus status = IssuerStatus::kUnspecified;
  std::string reason;
};
struct IssueCredential {
  std::string credential_id;
  std::string issuer_id;
  CredentialType type = CredentialType::kUnspecified;
  Level level = Level::kUnspecified;
  Bytes card_digest;
  uint64_t valid_from = 0;
  uint64_t valid_until = 0;
};
struct SetCredentialStatus {
  std::string credential_id;
  CredentialStatus status = CredentialStatus::kUnspecified;
  std::string reason;
};
struct RenewCredential {
  std::string credential_id;
  Bytes card_digest;
  uint64_t valid_from = 0;
  uint64_t valid_until = 0;
};
struct UpdateGovernance {
  std::vector<Bytes> admin_keys;
  uint32_t threshold = 0;
};
struct UpdateValidatorSet {
  std::vector<Validator> validators;
};

using Action = std::variant<RegisterIssuer, RotateIssuerKey, SetIssuerStatus, IssueCredential,
                            SetCredentialStatus, RenewCredential, UpdateGovernance,
                            UpdateValidatorSet>;
// "register_issuer", "rotate_issuer_key", ... (the protobuf field names).
const char* ActionName(const Action& a);

struct TxBody {
  std::string chain_id;
  Bytes nonce;
  uint64_t expires_at_height = 0;
  Action action;
};

struct TxSignature {
  Bytes public_key;  // as received; validity is checked by the ledger
  Bytes signature;
  bool operator==(const TxSignature&) const = default;
};

struct Tx {
  Bytes body;  // exact signed TxBody bytes
  std::vector<TxSignature> signatures;
};

// Wire encoding of the envelope (protobuf laurel.v1.Tx).
Bytes EncodeTx(const Tx& tx);
// Fails on bytes that are not a Tx, a Tx over kMaxTxBytes, or more than kMaxSignatures.
Result<Tx> DecodeTx(ByteView wire);

// Deterministic encoding of a body we build (protobuf laurel.v1.TxBody).
Bytes EncodeTxBody(const TxBody& body);
// Parses signed body bytes. Fails on garbage, a missing action, unknown enum values.
Result<TxBody> DecodeTxBody(ByteView body);

// tx_id = SHA-256(body).
Hash32 TxId(const Tx& tx);
// Adds a signature by `key` over kTxSignDomain || body.
void SignTx(Tx& tx, const crypto::PrivateKey& key);
// Builds a Tx from a body, unsigned.
Tx MakeTx(const TxBody& body);

}  // namespace laurel::types

// The ledger state as plain records, their state keys, and their one byte encoding.
//
// State keys: "g" (governance), "i/<issuer_id>", "c/<credential_id>". Values are the
// deterministic protobuf encoding of laurel.v1.{Governance,Issuer,Credential}Record; those
// bytes are the leaves of the state tree (ledger/state_tree.h, docs/spec/state.md), so
// encoding is part of consensus.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "ledger/state_tree.h"
#include "types/tx.h"

namespace laurel::ledger {

struct GovernanceRecord {
  std::string chain_id;
  std::vector<Bytes> admin_keys;
  uint32_t threshold = 0;
  std::vector<types::Validator> validators;
  uint64_t validators_from_height = 0;
};

// Who set a status, in rank order: a status set by one authority may be lifted only by it or
// a higher one (governance > the issuer's parent > the issuer itself). Stored in records.
enum class Authority : uint32_t { kNone = 0, kIssuer = 1, kParent = 2, kGovernance = 3 };
const char* AuthorityName(Authority a);  // "none", "issuer", "parent", "governance"

struct IssuerKey {
  uint32_t key_version = 0;
  Bytes public_key;
  uint64_t from_height = 0;
  uint64_t to_height = 0;  // 0 while current; else the last height it was current
};

struct IssuerRecord {
  std::string issuer_id;
  std::string name;
  std::string parent_id;
  std::vector<types::TypeGrant> grants;
  bool can_delegate = false;
  types::IssuerStatus status = types::IssuerStatus::kActive;
  std::string status_reason;
  Authority status_authority = Authority::kNone;  // who set `status` (kNone while active)
  std::vector<IssuerKey> keys;  // oldest first; back() is current
  uint64_t next_status_index = 0;
  uint64_t created_height = 0;
  uint64_t updated_height = 0;

  const IssuerKey& current_key() const { return keys.back(); }
  // The key with this version, or nullptr.
  const IssuerKey* key(uint32_t version) const;
  // Whether (type, level) is within this issuer's grants.
  bool Allows(types::CredentialType type, types::Level level) const;
};

struct CredentialRecord {
  std::string credential_id;
  types::CredentialType type = types::CredentialType::kUnspecified;
  types::Level level = types::Level::kUnspecified;
  std::string issuer_id;
  uint32_t key_version = 0;
  Bytes card_digest;
  uint64_t valid_from = 0;
  uint64_t valid_until = 0;
  types::CredentialStatus status = types::CredentialStatus::kActive;
  std::string status_reason;
  Authority status_authority = Authority::kNone;  // who set `status` (kNone while active)
  uint64_t status_index = 0;
  uint64_t created_height = 0;
  uint64_t updated_height = 0;
};

// ---- Status lists and the gate index (docs/spec/state.md §13) -------------------------------
//
// Each issuer's credentials, in status_index order, in chunks of kStatusChunkSlots slots: a
// 2-bit status and a 6-byte fingerprint per slot. Kept current by execution (issue appends,
// suspend / resume / revoke set the status, renew sets the fingerprint); expiry is by time and
// not in the list. Key "s/<issuer_id>/<chunk>".
inline constexpr uint64_t kStatusChunkSlots = 1024;
inline constexpr size_t kStatusFingerprintSize = 6;
inline constexpr std::string_view kStatusFingerprintDomain{"laurel/status-fp/v1\0", 20};

enum class SlotStatus : uint8_t { kActive = 0, kSuspended = 1, kRevoked = 2, kSpare = 3 };
SlotStatus SlotStatusOf(types::CredentialStatus s);

using StatusFingerprint = std::array<uint8_t, kStatusFingerprintSize>;
// The first 6 bytes of SHA-256(domain || u32be(len id) || credential id || card digest [32] ||
// u32be(key_version) || u32be(type) || u32be(level) || u64be(valid_from) || u64be(valid_until)):
// what a gate holding the card can compute, equal only for the card the record was written for.
StatusFingerprint FingerprintOf(std::string_view credential_id, ByteView card_digest,
                                uint32_t key_version, types::CredentialType type,
                                types::Level level, uint64_t valid_from, uint64_t valid_until);
StatusFingerprint FingerprintOf(const CredentialRecord& c);

struct StatusChunk {
  std::string issuer_id;
  uint64_t chunk = 0;
  uint32_t count = 0;  // slots in use
  Bytes statuses;      // ceil(count / 4) bytes
  Bytes fingerprints;  // count * 6 bytes

  SlotStatus status(uint32_t slot) const;
  StatusFingerprint fingerprint(uint32_t slot) const;
  void SetStatus(uint32_t slot, SlotStatus s);
  void SetFingerprint(uint32_t slot, const StatusFingerprint& fp);
  // Appends a slot (count < kStatusChunkSlots).
  void Append(SlotStatus s, const StatusFingerprint& fp);
};

// The 256 gate index records, key "x/<bucket as 2 lower-case hex digits>": the bucket of an
// issuer is the first byte of SHA-256(issuer id); its record lists the state key, SHA-256 of
// the bytes and the last writing height of every issuer record and status chunk in it.
inline constexpr size_t kGateBuckets = 256;
struct GateIndexEntry {
  std::string key;
  Hash32 value_hash{};
  uint64_t height = 0;
};
struct GateIndex {
  uint32_t bucket = 0;
  std::vector<GateIndexEntry> entries;  // sorted by key
};

inline constexpr std::string_view kGovernanceKey = "g";
// The head of the transaction log (crypto/merkle_log.h EncodeLogHead; docs/spec/state.md §12).
inline constexpr std::string_view kTxLogKey = "l";
std::string IssuerKeyOf(std::string_view issuer_id);
std::string CredentialKeyOf(std::string_view credential_id);
std::string StatusChunkKeyOf(std::string_view issuer_id, uint64_t chunk);
uint32_t GateBucketOf(std::string_view issuer_id);
std::string GateIndexKeyOf(uint32_t bucket);
// The issuer a gate-listed state key ("i/<id>" or "s/<id>/<n>") belongs to; nullopt for any
// other key.
std::optional<std::string> GateListedIssuer(std::string_view state_key);

std::string EncodeGovernance(const GovernanceRecord& r);
std::string EncodeIssuer(const IssuerRecord& r);
std::string EncodeCredential(const CredentialRecord& r);
// Decoders return kCorruption: state bytes come from our own store.
Result<GovernanceRecord> DecodeGovernance(std::string_view bytes);
Result<IssuerRecord> DecodeIssuer(std::string_view bytes);
Result<CredentialRecord> DecodeCredential(std::string_view bytes);
std::string EncodeStatusChunk(const StatusChunk& c);
// Checks the sizes agree (count <= kStatusChunkSlots, statuses and fingerprints of count slots).
Result<StatusChunk> DecodeStatusChunk(std::string_view bytes);
std::string EncodeGateIndex(const GateIndex& g);
Result<GateIndex> DecodeGateIndex(std::string_view bytes);

// Read access to committed state. Implemented by storage (RocksDB, memory) and by the
// executor's per-block overlay. Reads must be consistent for the duration of a block.
// GetTreeNode (TreeReader) reads the state tree's nodes (ledger/state_tree.h).
class StateView : public TreeReader {
 public:
  virtual ~StateView() = default;
  // Value of a state key, or nullopt.
  virtual std::optional<std::string> GetState(std::string_view key) const = 0;
  // Whether an earlier committed transaction spent this id (ledger::ConsumesTxId of its code).
  virtual bool HasTx(const Hash32& tx_id) const = 0;
};

// Typed reads on a StateView (nullopt when absent; a decode failure aborts: it means the
// store is corrupt, which is never input from outside).
std::optional<GovernanceRecord> ReadGovernance(const StateView& s);
std::optional<IssuerRecord> ReadIssuer(const StateView& s, std::string_view issuer_id);
std::optional<CredentialRecord> ReadCredential(const StateView& s, std::string_view credential_id);
std::optional<StatusChunk> ReadStatusChunk(const StateView& s, std::string_view issuer_id,
                                           uint64_t chunk);

}  // namespace laurel::ledger

// Key encodings of the store (docs/storage.md). Internal to storage/ and its tests.
//
// Every multi-byte integer in a key is big-endian so that byte order is numeric order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"

namespace laurel::storage::keys {

// Column families, in the order the RocksDB store opens them after "default".
enum class Cf : uint8_t {
  kMeta = 0,  // RocksDB's "default" column family: the tip record
  kBlocks,
  kBlockIndex,
  kTxIndex,
  kState,
  kHistory,
  kConsensus,
  kAttestations,
  kIndex,  // derived indexes kept by commit (credential lists, counts, state versions)
  kTree,       // state tree nodes: ledger::TreeNodeKey -> node (ledger/state_tree.h)
  kTreeStale,  // u64be(height) -> the node keys that height replaced (for pruning)
  kTxLog,      // the transaction log's complete subtrees and sizes (TxLogNodeKey, TxLogSizeKey)
};
inline constexpr size_t kNumCfs = 12;
// RocksDB column family name of `cf` ("default", "blocks", ...).
const char* CfName(Cf cf);

// Key of the tip record in Cf::kMeta.
inline constexpr std::string_view kTipKey = "tip";

// Cf::kTxLog: 'n' || u8(level) || u64be(index) -> hash [32], the complete subtree of the
// transaction log (crypto/merkle_log.h; level 0: the leaf hashes); 'h' || u64be(height) ->
// u64be(the log's size after that height).
std::string TxLogNodeKey(uint8_t level, uint64_t index);
std::string TxLogSizeKey(uint64_t height);

// Cf::kBlocks: u64be(height).
std::string BlockKey(uint64_t height);
std::optional<uint64_t> ParseBlockKey(std::string_view key);

// History kinds (first byte of a Cf::kHistory key).
// kSignedBy: the transactions an issuer's key signed (as the issuer itself or as a parent).
enum class HistoryKind : char { kCredential = 'c', kIssuer = 'i', kSignedBy = 's' };

// Cf::kHistory: kind || id || 0x00 || u64be(height) || u32be(position). The 0x00 separator
// keeps the range of id "a/1" apart from that of "a/10". Ids containing 0x00 are never
// indexed (the ledger never accepts them; see IndexableHistoryId).
std::string HistoryPrefix(HistoryKind kind, std::string_view id);
std::string HistoryKey(HistoryKind kind, std::string_view id, uint64_t height, uint32_t position);
inline constexpr size_t kHistorySuffixSize = 12;
bool IndexableHistoryId(std::string_view id);
// Cf::kHistory: 't' || u64be(height) || u32be(position), the one HistoryEntry of a transaction
// with two or more index keys above; those keys then hold an empty value (docs/storage.md).
inline constexpr char kHistoryRecordTag = 't';
std::string HistoryRecordKey(std::string_view history_key_suffix);

// Page tokens: hex of the (height, position) suffix of the last key returned (24 chars).
std::string EncodePageToken(std::string_view history_key_suffix);
// The 12-byte suffix, or nullopt when the token is malformed.
std::optional<std::string> DecodePageToken(std::string_view token);

// ---- Cf::kIndex (docs/storage.md, "Derived indexes") ----
// Every key starts with one tag byte. A "cell" is (status, type, level) as three bytes (the
// enum values of types/tx.h).
inline constexpr std::string_view kIndexMetaKey = "M";  // IndexMeta
struct Cell {
  uint8_t status = 0;
  uint8_t type = 0;
  uint8_t level = 0;
  auto operator<=>(const Cell&) const = default;
};
// 'L' issuer_id 0x00 cell credential_id -> "": an issuer's own credentials by cell, then id.
std::string CredentialListPrefix(std::string_view issuer_id, const Cell& cell);
// 'N' issuer_id 0x00 cell -> u64be: the issuer's own credentials in that cell.
std::string OwnCountPrefix(std::string_view issuer_id);
// 'T' issuer_id 0x00 cell -> u64be: the same for the issuer and every issuer below it.
std::string TreeCountPrefix(std::string_view issuer_id);
std::string CellKey(std::string prefix, const Cell& cell);
// The cell at the end of a count key (its last three bytes).
Cell CellOfKey(std::string_view key);
// 'G' cell -> u64be: the whole chain's credentials in that cell.
inline constexpr std::string_view kChainCountPrefix = "G";
// 'S' u8(issuer status) -> u64be: issuers by status.
inline constexpr std::string_view kIssuerCountPrefix = "S";
// 'X' name -> u64be: transactions committed ("Xt") and those with result OK ("Xo").
inline constexpr std::string_view kTxCountKey = "Xt";
inline constexpr std::string_view kTxOkCountKey = "Xo";
// 'V' state_key 0x00 u64be(~height) -> the record's value written at that height. Heights are
// inverted so that a forward seek to (key, ~H) finds the last write at or below H.
std::string VersionPrefix(std::string_view state_key);
std::string VersionKey(std::string_view state_key, uint64_t height);
// 'H' u64be(~time_ms) u64be(~height) -> "": committed blocks by time, newest first.
std::string TimeKey(uint64_t time_ms, uint64_t height);
inline constexpr size_t kTimeKeySize = 17;

}  // namespace laurel::storage::keys

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
  kTree,       // state tree nodes: ledger::TreeNodeKey -> node (ledger/state_tree.h)
  kTreeStale,  // u64be(height) -> the node keys that height replaced (for pruning)
};
inline constexpr size_t kNumCfs = 10;
// RocksDB column family name of `cf` ("default", "blocks", ...).
const char* CfName(Cf cf);

// Key of the tip record in Cf::kMeta.
inline constexpr std::string_view kTipKey = "tip";

// Cf::kBlocks: u64be(height).
std::string BlockKey(uint64_t height);
std::optional<uint64_t> ParseBlockKey(std::string_view key);

// History kinds (first byte of a Cf::kHistory key).
enum class HistoryKind : char { kCredential = 'c', kIssuer = 'i' };

// Cf::kHistory: kind || id || 0x00 || u64be(height) || u32be(position). The 0x00 separator
// keeps the range of id "a/1" apart from that of "a/10". Ids containing 0x00 are never
// indexed (the ledger never accepts them; see IndexableHistoryId).
std::string HistoryPrefix(HistoryKind kind, std::string_view id);
std::string HistoryKey(HistoryKind kind, std::string_view id, uint64_t height, uint32_t position);
inline constexpr size_t kHistorySuffixSize = 12;
bool IndexableHistoryId(std::string_view id);

// Page tokens: hex of the (height, position) suffix of the last key returned (24 chars).
std::string EncodePageToken(std::string_view history_key_suffix);
// The 12-byte suffix, or nullopt when the token is malformed.
std::optional<std::string> DecodePageToken(std::string_view token);

}  // namespace laurel::storage::keys

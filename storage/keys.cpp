#include "storage/keys.h"

namespace laurel::storage::keys {

const char* CfName(Cf cf) {
  static constexpr const char* kNames[kNumCfs] = {"default",   "blocks",      "block_index",
                                                  "tx_index",  "state",       "history",
                                                  "consensus", "attestations", "index", "tree",
                                                  "tree_stale", "txlog"};
  return kNames[static_cast<size_t>(cf)];
}

std::string TxLogNodeKey(uint8_t level, uint64_t index) {
  std::string k = "n";
  k.push_back(static_cast<char>(level));
  AppendU64BE(k, index);
  return k;
}

std::string TxLogSizeKey(uint64_t height) {
  std::string k = "h";
  AppendU64BE(k, height);
  return k;
}

std::string BlockKey(uint64_t height) {
  std::string k;
  AppendU64BE(k, height);
  return k;
}

std::optional<uint64_t> ParseBlockKey(std::string_view key) {
  if (key.size() != 8) return std::nullopt;
  return ReadU64BE(reinterpret_cast<const uint8_t*>(key.data()));
}

std::string HistoryPrefix(HistoryKind kind, std::string_view id) {
  std::string k;
  k.reserve(id.size() + 2 + kHistorySuffixSize);
  k.push_back(static_cast<char>(kind));
  k.append(id);
  k.push_back('\0');
  return k;
}

std::string HistoryKey(HistoryKind kind, std::string_view id, uint64_t height, uint32_t position) {
  std::string k = HistoryPrefix(kind, id);
  AppendU64BE(k, height);
  AppendU32BE(k, position);
  return k;
}

std::string HistoryRecordKey(std::string_view history_key_suffix) {
  std::string k;
  k.reserve(1 + history_key_suffix.size());
  k.push_back(kHistoryRecordTag);
  k.append(history_key_suffix);
  return k;
}

bool IndexableHistoryId(std::string_view id) {
  return !id.empty() && id.find('\0') == std::string_view::npos;
}

std::string EncodePageToken(std::string_view history_key_suffix) {
  return HexEncode(AsBytes(history_key_suffix));
}

std::optional<std::string> DecodePageToken(std::string_view token) {
  if (token.size() != 2 * kHistorySuffixSize) return std::nullopt;
  auto raw = HexDecode(token);
  if (!raw) return std::nullopt;
  return ToString(*raw);
}

namespace {
std::string IdPrefix(char tag, std::string_view id) {
  std::string k;
  k.reserve(id.size() + 2 + 3);
  k.push_back(tag);
  k.append(id);
  k.push_back('\0');
  return k;
}
void AppendCell(std::string& k, const Cell& c) {
  k.push_back(static_cast<char>(c.status));
  k.push_back(static_cast<char>(c.type));
  k.push_back(static_cast<char>(c.level));
}
}  // namespace

std::string CredentialListPrefix(std::string_view issuer_id, const Cell& cell) {
  std::string k = IdPrefix('L', issuer_id);
  AppendCell(k, cell);
  return k;
}
std::string OwnCountPrefix(std::string_view issuer_id) { return IdPrefix('N', issuer_id); }
std::string TreeCountPrefix(std::string_view issuer_id) { return IdPrefix('T', issuer_id); }
std::string CellKey(std::string prefix, const Cell& cell) {
  AppendCell(prefix, cell);
  return prefix;
}
Cell CellOfKey(std::string_view key) {
  if (key.size() < 3) return {};
  const size_t n = key.size();
  return {static_cast<uint8_t>(key[n - 3]), static_cast<uint8_t>(key[n - 2]),
          static_cast<uint8_t>(key[n - 1])};
}
std::string VersionPrefix(std::string_view state_key) { return IdPrefix('V', state_key); }
std::string VersionKey(std::string_view state_key, uint64_t height) {
  std::string k = VersionPrefix(state_key);
  AppendU64BE(k, ~height);
  return k;
}
std::string TimeKey(uint64_t time_ms, uint64_t height) {
  std::string k = "H";
  AppendU64BE(k, ~time_ms);
  AppendU64BE(k, ~height);
  return k;
}

}  // namespace laurel::storage::keys

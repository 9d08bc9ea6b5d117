#include "node/backup.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "consensus/safety_rules.h"
#include "node/restore_fence.h"

namespace laurel::node {
namespace fs = std::filesystem;
namespace {

uint64_t WallMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

Result<Hash32> HashField(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) {
    return Status::Corruption(std::string("manifest: ") + key + " is missing");
  }
  auto h = HexDecode32(j[key].get<std::string>());
  if (!h) return Status::Corruption(std::string("manifest: ") + key + " is not 32 bytes of hex");
  return *h;
}

Result<uint64_t> U64Field(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number_unsigned()) {
    return Status::Corruption(std::string("manifest: ") + key + " is missing or not a number");
  }
  return j[key].get<uint64_t>();
}

// What the store at `db_path` holds, as a manifest (created_ms left 0).
Result<BackupManifest> Describe(const storage::Store& s) {
  if (s.Empty()) return Status::Corruption("the store is empty (no genesis)");
  BackupManifest m;
  m.height = s.Height();
  LAUREL_ASSIGN_OR_RETURN(auto tip, s.GetBlock(m.height));
  if (!tip) return Status::Corruption("the tip block is missing");
  m.block_id = tip->block_id;
  m.state_root = tip->state_root;
  m.block_time_ms = tip->time_ms;
  LAUREL_ASSIGN_OR_RETURN(auto genesis, s.GetBlock(0));
  if (!genesis) return Status::Corruption("the genesis block is missing");
  m.genesis_block_id = genesis->block_id;
  LAUREL_ASSIGN_OR_RETURN(auto safety, s.GetConsensusRecord(kSafetyRecordName));
  if (safety) {
    LAUREL_ASSIGN_OR_RETURN(auto rec, consensus::DecodeSafetyRecord(*safety));
    m.has_safety_record = true;
    m.safety_epoch = rec.epoch;
    m.last_voted_round = rec.last_voted_round;
  }
  return m;
}

Status WriteFileSynced(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return Status::IoError("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::IoError("cannot rename " + tmp.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

std::string ManifestToJson(const BackupManifest& m) {
  nlohmann::ordered_json j;
  j["format"] = m.format;
  j["height"] = m.height;
  j["block_id"] = HexEncode(m.block_id);
  j["state_root"] = HexEncode(m.state_root);
  j["block_time_ms"] = m.block_time_ms;
  j["genesis_block_id"] = HexEncode(m.genesis_block_id);
  j["created_ms"] = m.created_ms;
  j["has_safety_record"] = m.has_safety_record;
  j["safety_epoch"] = m.safety_epoch;
  j["last_voted_round"] = m.last_voted_round;
  return j.dump(2) + "\n";
}

Result<BackupManifest> ManifestFromJson(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("manifest: not a JSON object");
  BackupManifest m;
  if (!j.contains("format") || j["format"] != kBackupFormat) {
    return Status::Corruption(std::string("manifest: format is not ") + kBackupFormat);
  }
  LAUREL_ASSIGN_OR_RETURN(m.height, U64Field(j, "height"));
  LAUREL_ASSIGN_OR_RETURN(m.block_id, HashField(j, "block_id"));
  LAUREL_ASSIGN_OR_RETURN(m.state_root, HashField(j, "state_root"));
  LAUREL_ASSIGN_OR_RETURN(m.block_time_ms, U64Field(j, "block_time_ms"));
  LAUREL_ASSIGN_OR_RETURN(m.genesis_block_id, HashField(j, "genesis_block_id"));
  LAUREL_ASSIGN_OR_RETURN(m.created_ms, U64Field(j, "created_ms"));
  if (!j.contains("has_safety_record") || !j["has_safety_record"].is_boolean()) {
    return Status::Corruption("manifest: has_safety_record is missing");
  }
  m.has_safety_record = j["has_safety_record"].get<bool>();
  LAUREL_ASSIGN_OR_RETURN(m.safety_epoch, U64Field(j, "safety_epoch"));
  LAUREL_ASSIGN_OR_RETURN(m.last_voted_round, U64Field(j, "last_voted_round"));
  return m;
}

Result<BackupManifest> CreateBackup(const storage::Store& live, const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) return Status::AlreadyExists(dir + " already exists");
  if (!fs::create_directory(dir, ec) || ec) {
    return Status::IoError("cannot create " + dir + (ec ? ": " + ec.message() : ""));
  }
  auto made = [&]() -> Result<BackupManifest> {
    const uint64_t created = WallMs();
    LAUREL_RETURN_IF_ERROR(live.CreateCheckpoint(dir + "/db"));
    BackupManifest m;
    {
      // The manifest describes the copy, not the live store (which has moved on).
      LAUREL_ASSIGN_OR_RETURN(auto copy, storage::OpenRocksStore(dir + "/db"));
      LAUREL_ASSIGN_OR_RETURN(m, Describe(*copy));
    }
    m.created_ms = created;
    LAUREL_RETURN_IF_ERROR(WriteFileSynced(fs::path(dir) / "manifest.json", ManifestToJson(m)));
    return m;
  }();
  if (!made.ok()) fs::remove_all(dir, ec);
  return made;
}

Result<BackupManifest> ReadBackupManifest(const std::string& dir) {
  const fs::path p = fs::path(dir) / "manifest.json";
  std::ifstream in(p, std::ios::binary);
  if (!in) return Status::NotFound("no manifest at " + p.string() + ": not a laurel backup");
  std::stringstream ss;
  ss << in.rdbuf();
  auto m = ManifestFromJson(ss.str());
  if (!m.ok()) return Status::Corruption(p.string() + ": " + m.status().message());
  return m;
}

Result<BackupManifest> RestoreBackup(const std::string& from, const std::string& data_dir,
                                     uint64_t fence_wait_ms) {
  LAUREL_ASSIGN_OR_RETURN(BackupManifest m, ReadBackupManifest(from));
  std::error_code ec;
  if (!fs::is_directory(fs::path(from) / "db", ec)) {
    return Status::NotFound(from + "/db is missing: not a laurel backup");
  }
  const bool existed = fs::exists(data_dir, ec);
  if (existed && (!fs::is_directory(data_dir, ec) || !fs::is_empty(data_dir, ec))) {
    return Status::AlreadyExists(data_dir +
                                 " exists and is not empty: restore only into a new or empty "
                                 "data folder (move the old one aside first)");
  }
  const std::string db = data_dir + "/db";
  auto done = [&]() -> Result<BackupManifest> {
    fs::create_directories(data_dir, ec);
    if (ec) return Status::IoError("cannot create " + data_dir + ": " + ec.message());
    fs::copy(fs::path(from) / "db", db, fs::copy_options::recursive, ec);
    if (ec) return Status::IoError("cannot copy the backup to " + db + ": " + ec.message());
    LAUREL_ASSIGN_OR_RETURN(auto store, storage::OpenRocksStore(db));
    LAUREL_ASSIGN_OR_RETURN(BackupManifest found, Describe(*store));
    if (found.height != m.height || found.block_id != m.block_id ||
        found.state_root != m.state_root || found.genesis_block_id != m.genesis_block_id ||
        found.has_safety_record != m.has_safety_record ||
        found.last_voted_round != m.last_voted_round) {
      return Status::Corruption("the backup's store does not match its manifest (height " +
                                std::to_string(found.height) + " vs " + std::to_string(m.height) +
                                "): refusing it");
    }
    RestoreFence fence;
    fence.backup_height = m.height;
    fence.backup_last_voted_round = m.last_voted_round;
    fence.wait_ms = fence_wait_ms;
    LAUREL_RETURN_IF_ERROR(
        store->PutConsensusRecord(kRestoreFenceRecord, EncodeRestoreFence(fence)));
    return m;
  }();
  if (!done.ok()) {
    if (existed) {
      for (const auto& e : fs::directory_iterator(data_dir, ec)) fs::remove_all(e.path(), ec);
    } else {
      fs::remove_all(data_dir, ec);
    }
  }
  return done;
}

}  // namespace laurel::node

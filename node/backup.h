// Backups of a node's store and their restore (docs/operator.md, "Backup and restore").
//
// A backup is a folder:
//   DIR/db/           a RocksDB checkpoint of the whole store (blocks, state, indexes, the
//                     consensus records: safety record, epochs, saved blocks), as of one moment
//   DIR/manifest.json what it holds, read back from the checkpoint itself (BackupManifest)
// CreateBackup runs inside the node (the store is open and locked by it; the node keeps
// running). RestoreBackup runs with no node on the target folder: it copies the checkpoint to
// DATA/db, checks it against the manifest and writes the restore fence (restore_fence.h), so a
// validator started from it cannot sign in rounds its key already signed in.
//
// Thread safety: CreateBackup may run concurrently with the node's writes (a checkpoint does
// not block them); the functions share nothing else.
#pragma once

#include <cstdint>
#include <string>

#include "common/bytes.h"
#include "common/status.h"
#include "storage/store.h"

namespace laurel::node {

inline constexpr const char* kBackupFormat = "laurel-backup-v1";

struct BackupManifest {
  std::string format = kBackupFormat;
  uint64_t height = 0;         // the last committed block in the backup
  Hash32 block_id{};           // its id
  Hash32 state_root{};         // the state root after it
  uint64_t block_time_ms = 0;  // its timestamp
  Hash32 genesis_block_id{};   // block 0: which chain this is
  uint64_t created_ms = 0;     // wall clock when the checkpoint was taken
  bool has_safety_record = false;
  uint64_t safety_epoch = 0;      // of the safety record in the backup
  uint64_t last_voted_round = 0;  // of the safety record in the backup (0: none)
};

std::string ManifestToJson(const BackupManifest& m);
Result<BackupManifest> ManifestFromJson(std::string_view text);

// Checkpoints `live` into `dir`/db and writes `dir`/manifest.json (read back from the copy).
// `dir` must not exist (kAlreadyExists); its parent must. On failure `dir` is removed again.
Result<BackupManifest> CreateBackup(const storage::Store& live, const std::string& dir);

// Reads `dir`/manifest.json. kNotFound when there is none; kCorruption when it does not parse.
Result<BackupManifest> ReadBackupManifest(const std::string& dir);

// Restores the backup at `from` into the data folder `data_dir` (as node.toml's data_dir):
// copies `from`/db to `data_dir`/db, opens it, checks its tip (height, block id, state root)
// and genesis against the manifest, and writes the restore fence with `fence_wait_ms`.
// Refuses (kAlreadyExists) a `data_dir` that exists and is not empty; on any failure removes
// what it created, so the target is as it was.
Result<BackupManifest> RestoreBackup(const std::string& from, const std::string& data_dir,
                                     uint64_t fence_wait_ms);

}  // namespace laurel::node

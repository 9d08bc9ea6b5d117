// What a node does when its store cannot be written because the disk is full
// (docs/operator.md, "Disk full"): the decision and the texts, as pure functions so the rule is
// tested without a full disk. The node (node_disk.cpp) stands still until the data folder has
// kDiskResumeFreeBytes free, then restarts itself from the store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"

namespace laurel::node {

// Free bytes on the data folder's file system at which a node stopped by a full disk restarts:
// room for RocksDB to replay its log, flush a memtable and write a few blocks.
inline constexpr uint64_t kDiskResumeFreeBytes = uint64_t{16} << 20;

// Bytes available to this process on the file system holding `path` (statvfs f_bavail), or
// nullopt when it cannot be asked.
std::optional<uint64_t> FreeBytes(const std::string& path);

// Whether a failed store write is a full disk (wait for space) rather than a failing one (halt
// for an operator): an I/O error saying ENOSPC, or any I/O error while less than
// kDiskResumeFreeBytes are free.
bool IsDiskFull(const laurel::Status& st, std::optional<uint64_t> free_bytes);

// The one critical log line, in English and 简体中文: the store's path, what was being written,
// the error, the free bytes, what the node does now and when it resumes.
std::string DiskFullLogLine(const std::string& store_path, const std::string& during,
                            const laurel::Status& st, std::optional<uint64_t> free_bytes);

// The not-ready reason while standing still (GET /readyz, NodeStatus::not_ready_reason).
std::string DiskFullReason(const std::string& store_path, std::optional<uint64_t> free_bytes);

}  // namespace laurel::node

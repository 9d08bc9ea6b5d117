// A full disk (docs/operator.md, "Disk full"): the node stands still on the loop thread at the
// write that failed, so nothing after it runs - no vote, timeout or proposal is signed and no
// block is applied that the disk does not hold - while the HTTP API keeps serving reads from the
// store and /readyz says why it is not ready. Once space is back it restarts itself from the
// store (exec of its own binary, same process id): the path a crash takes, which recovers the
// safety record, the saved blocks and the committed state, then catches up by block sync.
// Resuming inside the process instead would mean rebuilding the engine, the mempool and the
// books around a store whose last write is unknown; the restart does not have to.
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "node/disk_space.h"
#include "node/node_impl.h"

namespace laurel::node {

std::optional<uint64_t> FreeBytes(const std::string& path) {
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0) return std::nullopt;
  return static_cast<uint64_t>(fs.f_bavail) * static_cast<uint64_t>(fs.f_frsize);
}

bool IsDiskFull(const laurel::Status& st, std::optional<uint64_t> free_bytes) {
  if (st.code() != StatusCode::kIoError) return false;
  // RocksDB's text for ENOSPC ("IO error: No space left on device: While appending ...").
  if (st.message().find("No space left") != std::string::npos) return true;
  return free_bytes && *free_bytes < kDiskResumeFreeBytes;
}

namespace {
std::string FreeText(std::optional<uint64_t> free_bytes) {
  return free_bytes ? std::to_string(*free_bytes) : std::string("unknown");
}
}  // namespace

std::string DiskFullLogLine(const std::string& store_path, const std::string& during,
                            const laurel::Status& st, std::optional<uint64_t> free_bytes) {
  const std::string free = FreeText(free_bytes);
  const std::string resume = std::to_string(kDiskResumeFreeBytes);
  return "DISK FULL: cannot write to the store at " + store_path + " (" + during +
         "): " + st.ToString() + "; " + free + " bytes free. Standing still: nothing more is " +
         "signed or committed, reads are still served, /readyz answers 503; resumes by itself " +
         "(restarting from the store) once " + resume + " bytes are free. " +
         "磁盘已满：无法写入存储 " + store_path + "，剩余 " + free +
         " 字节。节点已停止签名和提交，仍提供查询，/readyz 返回 503；可用空间达到 " + resume +
         " 字节后自动从存储重新启动。";
}

std::string DiskFullReason(const std::string& store_path, std::optional<uint64_t> free_bytes) {
  return "disk full: cannot write to the store at " + store_path + "; " + FreeText(free_bytes) +
         " bytes free, resumes at " + std::to_string(kDiskResumeFreeBytes) + " (磁盘已满)";
}

namespace {

// Runs this program again in this process, with the arguments it was started with. Every
// descriptor above stderr is closed by the exec (marked close-on-exec, so the other threads
// never see one vanish): the store's lock and files, the sockets; the new image opens its own.
// Returns only if the exec failed.
void ExecSelf() {
  std::ifstream f("/proc/self/cmdline", std::ios::binary);
  const std::string raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (size_t start = 0; start < raw.size();) {
    size_t end = raw.find('\0', start);
    if (end == std::string::npos) end = raw.size();
    args.push_back(raw.substr(start, end - start));
    start = end + 1;
  }
  if (args.empty()) return;
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) ::close_range(3, ~0U, 0);  // Linux < 5.11
  ::execv("/proc/self/exe", argv.data());
  std::fprintf(stderr, "[node] cannot restart: execv(/proc/self/exe): %s\n", std::strerror(errno));
}

}  // namespace

void Node::Impl::StandStillOnFullDisk(const laurel::Status& st, const std::string& during) {
  const std::string db = config_.data_dir + "/db";
  std::optional<uint64_t> free = FreeBytes(config_.data_dir);
  spdlog::critical("[node] {}", DiskFullLogLine(db, during, st, free));
  spdlog::default_logger()->flush();
  disk_full_ = true;
  {
    std::lock_guard lock(status_mu_);
    disk_full_reason_ = DiskFullReason(db, free);
  }
  // Peers see this node go away at once, rather than a silent one whose frames pile up here.
  if (transport_) transport_->Stop();
  for (;;) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    if (stop_requested_) {
      spdlog::critical("[node] stopped on a full disk; the store is as a crash leaves it");
      spdlog::default_logger()->flush();
      ::_exit(detail::kExitStorageFailure);
    }
    free = FreeBytes(config_.data_dir);
    if (free) node_metrics_.store_free_bytes.Set(static_cast<double>(*free));
    {
      std::lock_guard lock(status_mu_);
      disk_full_reason_ = DiskFullReason(db, free);
    }
    if (free && *free >= kDiskResumeFreeBytes) break;
  }
  spdlog::warn(
      "[node] DISK SPACE BACK: {} bytes free on {}: restarting from the store. 磁盘空间已恢复："
      "剩余 {} 字节，正在从存储重新启动。",
      *free, config_.data_dir, *free);
  spdlog::default_logger()->flush();
  std::fflush(stdout);
  std::fflush(stderr);
  ExecSelf();
  Halt("cannot restart after the disk full: exec failed", detail::kExitStorageFailure);
}

}  // namespace laurel::node

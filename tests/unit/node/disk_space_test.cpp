// The full-disk rule: which store errors make a node wait for space rather than halt, and the
// texts an operator reads.
#include "node/disk_space.h"

#include <catch2/catch.hpp>

namespace laurel::node {
namespace {

const Status kEnospc = Status::IoError(
    "IO error: No space left on device: While appending to file: /d/db/000012.log: No space left");

TEST_CASE("an ENOSPC write error is a full disk whatever the free space reads", "[node]") {
  CHECK(IsDiskFull(kEnospc, std::nullopt));
  CHECK(IsDiskFull(kEnospc, uint64_t{1} << 30));
}

TEST_CASE("another I/O error is a full disk only while little space is free", "[node]") {
  const Status eio = Status::IoError("IO error: Input/output error: While fsync");
  CHECK(IsDiskFull(eio, 4096));
  CHECK(IsDiskFull(eio, kDiskResumeFreeBytes - 1));
  CHECK_FALSE(IsDiskFull(eio, kDiskResumeFreeBytes));
  CHECK_FALSE(IsDiskFull(eio, std::nullopt));
}

TEST_CASE("an error that is not the disk's is never a full disk", "[node]") {
  CHECK_FALSE(IsDiskFull(Status::InvalidArgument("No space left"), 0));
  CHECK_FALSE(IsDiskFull(Status::Ok(), 0));
}

TEST_CASE("the disk-full line names the store, the error and the free bytes in both languages",
          "[node]") {
  const std::string line = DiskFullLogLine("/d/db", "committing block 1a2b3c4d at height 7",
                                           kEnospc, uint64_t{4096});
  CHECK(line.rfind("DISK FULL: cannot write to the store at /d/db (committing block", 0) == 0);
  CHECK(line.find("No space left on device") != std::string::npos);
  CHECK(line.find("; 4096 bytes free.") != std::string::npos);
  CHECK(line.find(std::to_string(kDiskResumeFreeBytes) + " bytes are free") != std::string::npos);
  CHECK(line.find("磁盘已满：无法写入存储 /d/db，剩余 4096 字节") != std::string::npos);
  CHECK(line.find('\n') == std::string::npos);  // one line
  CHECK(DiskFullLogLine("/d/db", "x", kEnospc, std::nullopt).find("unknown bytes free") !=
        std::string::npos);
}

TEST_CASE("the not-ready reason of a full disk names the store and the free bytes", "[node]") {
  CHECK(DiskFullReason("/d/db", 512) ==
        "disk full: cannot write to the store at /d/db; 512 bytes free, resumes at " +
            std::to_string(kDiskResumeFreeBytes) + " (磁盘已满)");
}

TEST_CASE("free bytes are known for an existing folder and unknown for a missing one", "[node]") {
  CHECK(FreeBytes("/").has_value());
  CHECK_FALSE(FreeBytes("/no/such/folder/for/laurel").has_value());
}

}  // namespace
}  // namespace laurel::node

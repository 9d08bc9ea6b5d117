#include "fuzz/fuzz_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

namespace laurel::fuzz {
namespace {
// Removes the scratch files when the fuzzer exits.
struct ScratchFiles {
  std::vector<std::string> paths;
  ~ScratchFiles() {
    for (const auto& p : paths) ::unlink(p.c_str());
  }
};
ScratchFiles scratch;
}  // namespace

std::string WriteScratchFile(const char* suffix, const uint8_t* data, size_t size) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/laurel-fuzz-" +
                           std::to_string(::getpid()) + suffix;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::perror(path.c_str());
    std::abort();
  }
  size_t off = 0;
  while (off < size) {
    const ssize_t n = ::write(fd, data + off, size - off);
    if (n <= 0) std::abort();
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  if (std::find(scratch.paths.begin(), scratch.paths.end(), path) == scratch.paths.end()) {
    scratch.paths.push_back(path);
  }
  return path;
}

}  // namespace laurel::fuzz

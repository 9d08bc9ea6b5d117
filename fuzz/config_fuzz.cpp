// The node's TOML configuration file (node/config.h) and "host:port" strings. Loading never
// crashes and either gives a config or an error naming the key.
#include "fuzz/fuzz_util.h"
#include "node/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace laurel;
  (void)node::ParseHostPort(std::string_view(reinterpret_cast<const char*>(data), size));
  const std::string path = fuzz::WriteScratchFile(".toml", data, size);
  auto c = node::LoadNodeConfig(path);
  if (c.ok()) {
    FUZZ_CHECK(!c->data_dir.empty() && c->data_dir.front() == '/');
  }
  return 0;
}

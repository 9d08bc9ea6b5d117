// Shared helpers of the libFuzzer targets (fuzz/README.md).
//
// A target must never crash, leak or hit undefined behaviour on any input (the sanitizers
// report those), and the properties it checks with FUZZ_CHECK must hold for every input: a
// decoded value re-encodes to a value that decodes the same, an encoder's output decodes back.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/bytes.h"

// Aborts with the failed property (libFuzzer then saves the input as a crash).
#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

namespace laurel::fuzz {

inline ByteView View(const uint8_t* data, size_t size) { return ByteView(data, size); }
inline bool SameBytes(ByteView a, ByteView b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// A private file for the targets whose parser takes a path (config, key files): one per
// process, mode 0600, rewritten for every input.
std::string WriteScratchFile(const char* suffix, const uint8_t* data, size_t size);

}  // namespace laurel::fuzz

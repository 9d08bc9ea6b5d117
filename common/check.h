// LAUREL_CHECK: an always-on assertion for broken internal invariants.
// Never use it on input from outside the process (peers, users, files): return a Status.
#pragma once

namespace laurel::detail {
[[noreturn]] void CheckFailed(const char* expr, const char* msg, const char* file, int line);
}  // namespace laurel::detail

#define LAUREL_CHECK(cond, msg)                                         \
  do {                                                                  \
    if (!(cond)) ::laurel::detail::CheckFailed(#cond, msg, __FILE__, __LINE__); \
  } while (0)

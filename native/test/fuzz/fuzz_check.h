// Invariant checks for the fuzz targets: a failed check prints what was expected and aborts, so
// libFuzzer records the input as a crash (a sanitizer report is the other way an input fails).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace pbp::fuzz {

[[noreturn]] inline void checkFailed(const char* file, int line, const char* cond, const std::string& detail) {
  std::fprintf(stderr, "\n==pbp-fuzz== invariant violated at %s:%d: %s\n==pbp-fuzz== %s\n", file, line, cond,
               detail.c_str());
  std::abort();
}

// Set from PBP_FUZZ_TRACE=1: prints every decoded operation (for reading a crash input).
inline bool& traceEnabled() {
  static bool on = false;
  return on;
}

}  // namespace pbp::fuzz

// FUZZ_CHECK(cond, detail): `detail` is only built when the check fails.
#define FUZZ_CHECK(cond, detail)                                                \
  do {                                                                          \
    if (!(cond)) ::pbp::fuzz::checkFailed(__FILE__, __LINE__, #cond, (detail)); \
  } while (0)

#define FUZZ_TRACE(...)                                                 \
  do {                                                                  \
    if (::pbp::fuzz::traceEnabled()) std::fprintf(stderr, __VA_ARGS__); \
  } while (0)

// A hint to the CPU that we are spinning, so a sibling hyperthread gets the core meanwhile.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace pbp {

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// Cache line size used for padding. 64 on every target we build for; adjacent-line prefetchers
// make 128 the safe distance between two independently written hot fields.
constexpr unsigned kCacheLine = 64;
constexpr unsigned kFalseSharingRange = 128;

}  // namespace pbp

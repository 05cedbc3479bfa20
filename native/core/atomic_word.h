// Atomic access to plain words of the region. The same words are read and written by JavaScript
// through typed arrays (plain 32-bit/64-bit accesses, which are single-copy atomic on every
// target Node runs on), so they cannot be std::atomic objects; the GCC/Clang __atomic builtins
// give C++ the same guarantees on plain memory and are understood by ThreadSanitizer.
#pragma once

#include <cstdint>

namespace pbp {

inline uint32_t loadRelaxed(const uint32_t* p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
inline uint32_t loadAcquire(const uint32_t* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
inline void storeRelaxed(uint32_t* p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
inline void storeRelease(uint32_t* p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

// acq_rel: a successful ownership change must see the previous owner's writes to the packet
// (acquire) and publish ours to whoever changes it next (release).
inline bool casAcqRel(uint32_t* p, uint32_t& expected, uint32_t desired) {
  return __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

// Float64 counters have a single writer (the owning thread) and racy readers (statistics), so
// relaxed load + relaxed store is enough: readers see some recent value, never a torn one.
inline double loadRelaxed(const double* p) {
  double v;
  __atomic_load(p, &v, __ATOMIC_RELAXED);
  return v;
}
inline void addRelaxed(double* p, double delta) {
  double v = loadRelaxed(p) + delta;
  __atomic_store(p, &v, __ATOMIC_RELAXED);
}
inline void storeRelaxed(double* p, double v) { __atomic_store(p, &v, __ATOMIC_RELAXED); }

}  // namespace pbp

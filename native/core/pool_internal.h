// Internal to the pool's .cpp files (pool.cpp, pool_alloc.cpp, pool_slots.cpp, pool_recovery.cpp,
// pool_queues.cpp): the constants and helpers more than one of them needs. Not part of the core's
// interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>

namespace pbp {
namespace pool_internal {

inline std::string str(uint64_t v) { return std::to_string(v); }

// Batches are staged through fixed arrays of this many entries on the stack, so no call path
// allocates heap memory in proportion to its input (an allocation failure could only be reported
// as a C++ exception, and nothing of the pool's state may be half-changed when one is thrown).
constexpr uint32_t kStageEntries = 256;

// A CAS on a packet's state word fails only when the word changed under it; a few legitimate
// changes settle the question (the packet was freed or taken over), so more failures than this in
// a row mean a peer is rewriting the word through a memory map.
constexpr unsigned kClaimAttempts = 64;

// Scratch words for one call: on the stack up to two stages, else from the heap without throwing
// (get() is then nullptr when there is no memory, and the caller answers kIOReturnNoMemory).
class Scratch {
 public:
  explicit Scratch(size_t words)
      : words_(words <= kStackWords ? stack_ : new (std::nothrow) uint32_t[words]) {}
  ~Scratch() {
    if (words_ != stack_) delete[] words_;
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  uint32_t* get() const { return words_; }

 private:
  static constexpr size_t kStackWords = 2 * kStageEntries;
  uint32_t stack_[kStackWords];
  uint32_t* words_;
};

// Slot counters are float64s that JS writes; anything can be stored there through a memory map,
// and converting NaN, a negative or a huge double to an integer is undefined behaviour.
inline uint64_t counterValue(double v) { return v >= 0 && v < 18446744073709551616.0 ? uint64_t(v) : 0; }

}  // namespace pool_internal
}  // namespace pbp

// Read-only (and, for the standalone ring, counter-seeding) access to a pbp::Ring's memory from
// outside the class. The fuzzer needs it to walk the free lists without draining them and to
// start a ring's counters just below 2^32 so wrap-around is exercised in a few operations.
//
// It mirrors Ring's private Header: one false-sharing range for capacity/mask, then prod
// {head, tail} and cons {head, tail} each in their own range, then the slots. The static_assert
// below fails the build if that layout changes.
#pragma once

#include <cstdint>
#include <cstring>

#include "cpu_relax.h"
#include "ring.h"

namespace pbp::fuzz {

namespace ring_peek {
constexpr size_t kCapacity = 0;  // uint32 capacity, uint32 mask
constexpr size_t kProdHead = kFalseSharingRange;
constexpr size_t kProdTail = kFalseSharingRange + 4;
constexpr size_t kConsHead = 2 * kFalseSharingRange;
constexpr size_t kConsTail = 2 * kFalseSharingRange + 4;
constexpr size_t kSlots = 3 * kFalseSharingRange;
}  // namespace ring_peek

inline void assertRingLayout() {
  // bytesFor(0) is sizeof(Header): the slots start right after it.
  static_assert(ring_peek::kSlots == 3 * kFalseSharingRange, "");
  if (Ring::bytesFor(0) != ring_peek::kSlots) __builtin_trap();
}

inline uint32_t peekWord(const uint8_t* ring, size_t offset) {
  uint32_t v;
  std::memcpy(&v, ring + offset, 4);
  return v;
}

// Calls fn(index) for each published entry, oldest first (the order dequeue returns them).
template <typename Fn>
void forEachRingEntry(const uint8_t* ring, Fn&& fn) {
  uint32_t capacity = peekWord(ring, ring_peek::kCapacity);
  uint32_t prodTail = peekWord(ring, ring_peek::kProdTail);
  uint32_t consTail = peekWord(ring, ring_peek::kConsTail);
  uint32_t n = prodTail - consTail;
  const uint8_t* slots = ring + ring_peek::kSlots;
  for (uint32_t i = 0; i < n && i < capacity; ++i) fn(peekWord(slots, size_t((consTail + i) & (capacity - 1)) * 4));
}

// Moves every counter of an empty, quiescent ring to `start`.
inline void seedRingCounters(uint8_t* ring, uint32_t start) {
  for (size_t off : {ring_peek::kProdHead, ring_peek::kProdTail, ring_peek::kConsHead, ring_peek::kConsTail})
    std::memcpy(ring + off, &start, 4);
}

}  // namespace pbp::fuzz

// Internal to the pool's .cpp files (pool.cpp, pool_alloc.cpp, pool_slots.cpp, pool_recovery.cpp,
// pool_queues.cpp): the constants and helpers more than one of them needs. Not part of the core's
// interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>

#include "pool.h"

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
  explicit Scratch(size_t words) : words_(words <= kStackWords ? stack_ : new (std::nothrow) uint32_t[words]) {}
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

// Members every allocate/free calls, defined here so the pool's .cpp files inline them (a call
// each was measurable on the cacheSize-0 path: pbp_native_bench pool.alloc-free.cache0).

inline void Pool::notePeak() {
  uint32_t out = layout_.packetCount - packetRing_.count();
  auto& peak = header()->outOfRingPeak;
  // relaxed: a statistic; the CAS loop only keeps the maximum.
  uint32_t seen = peak.load(std::memory_order_relaxed);
  // Bounded: only a peer rewriting the word could keep the CAS failing, and a statistic is not
  // worth a hang.
  for (unsigned attempt = 0; attempt < pool_internal::kClaimAttempts && out > seen; ++attempt)
    if (peak.compare_exchange_weak(seen, out, std::memory_order_relaxed)) break;
}

inline void Pool::notifyFreed() {
  // Orders our ring enqueue (the release store of prod.tail) before the load of `waiters` below;
  // addWaiter() has the mirror barrier between its increment and its look at the ring, so at
  // least one side sees the other: the waiter finds our packet, or we wake it. The light side
  // (a compiler-only fence) is enough while addWaiter's membarrier(2) stands in for our fence:
  // asymmetric_fence.h.
  if (asymmetricFences()) std::atomic_signal_fence(std::memory_order_seq_cst);
  else
    std::atomic_thread_fence(std::memory_order_seq_cst);
  if (header()->waiters.load(std::memory_order_relaxed) == 0) return;
  wakeWaiters();
}

// The same words the JS hot path (lib/pool-ownership.ts initPacket) writes: the optional fields
// (timestamp, VLAN, checksum, service class, completion status, trace id) read as absent unless
// their flag is set, so clearing kFlags resets them all.
inline void Pool::initPacket(uint32_t packet, uint32_t tag) {
  uint32_t* m = metaOf(packet);
  m[meta::kDataOffset] = layout_.headroom;
  m[meta::kDataLength] = 0;
  m[meta::kHeadroom] = layout_.headroom;
  m[meta::kLinkHeaderLength] = 0;
  m[meta::kDirection] = 0;
  m[meta::kFlags] = 0;
  // relaxed: the index came from a ring or our own cache, so no other thread can be looking at
  // this packet; the ring's release/acquire already ordered the previous owner's accesses.
  storeRelaxed(m + meta::kState, tag);
}

inline void Pool::freeChain(uint32_t packet) {
  uint32_t* m = metaOf(packet);
  uint32_t count = m[meta::kBufferCount];
  if (count <= 1) return;
  if (count > layout_.maxBuffersPerPacket) count = layout_.maxBuffersPerPacket;  // JS wrote junk
  // Return only real extra buffers: the chain table is JS-writable too.
  const uint32_t* chain = chainOf(packet);
  for (uint32_t i = 0; i + 1 < count; ++i)
    if (chain[i] >= layout_.packetCount && chain[i] < layout_.bufferCount && !bufferRing_.enqueue(chain[i]))
      overfull(bufferRing_);
  m[meta::kBufferCount] = 1;
}

}  // namespace pbp

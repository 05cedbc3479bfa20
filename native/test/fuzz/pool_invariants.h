// Everything that must hold between two operations, checked against the model:
//  - stats(): inUse = packets held (plus a dead process's cached ones); allocations -
//    deallocations - reclaimed = inUse (while no dead process awaits reclaim); each counter,
//    thread count, orphan count, freeInRing, cached and the high-water mark are exactly what the
//    model predicts; freePacketCount() + inUse = packetCount; free buffers + chained
//    buffers = extra buffers.
//  - metadata: a held packet's state word is its owner slot's tag (+ the published bit) and its buffer count and chain
//    table entries match the model; a free packet's state is 0 and its buffer count is 1.
//  - free lists, walked in place (nothing is drained): every index in the packet ring or in a
//    live slot's cache is in range, not held, and seen once, and they add up to every free
//    packet; the same for extra buffers in the buffer ring.
//  - payload: every held packet's buffers still carry the stamp written when it was allocated.
#pragma once

#include <string>
#include <vector>

#include "fuzz_check.h"
#include "pool_model.h"
#include "ring_peek.h"

namespace pbp::fuzz {

namespace detail {
inline std::string eq(const char* what, uint64_t got, uint64_t want) {
  return std::string(what) + " is " + std::to_string(got) + ", model says " + std::to_string(want);
}
}  // namespace detail

inline void checkStats(const Pool& pool, const PoolModel& m) {
  using detail::eq;
  const Layout& l = m.layout();
  PoolStats st = pool.stats();
  uint32_t held = m.heldCount();
  uint32_t live = 0, dead = 0, orphans = 0;
  for (uint32_t s = 0; s < l.maxThreads; ++s) {
    live += m.slots[s].usable();
    // A released slot that no packet is tagged with any more holds nothing (see Pool::stats).
    if (m.slots[s].orphaning() && !(m.slots[s].state == slot::kDead && m.heldBy(int(s)) == 0)) {
      ++dead;
      orphans += m.heldBy(int(s));
    }
  }
  // A dead process's slot still holds its cache and counters until reclaim() flushes and retires
  // them; both count (its cached packets are free, just parked).
  uint32_t cached = m.cachedTotal(true);
  uint32_t inUse = held;
  FUZZ_CHECK(st.inUse == inUse, eq("stats.inUse", st.inUse, inUse));
  FUZZ_CHECK(st.allocations == m.allocations(), eq("stats.allocations", st.allocations, m.allocations()));
  FUZZ_CHECK(st.deallocations == m.deallocations(), eq("stats.deallocations", st.deallocations, m.deallocations()));
  FUZZ_CHECK(st.failedAllocations == m.failedAllocations(),
             eq("stats.failedAllocations", st.failedAllocations, m.failedAllocations()));
  FUZZ_CHECK(st.reclaimed == m.reclaimed, eq("stats.reclaimed", st.reclaimed, m.reclaimed));
  FUZZ_CHECK(st.allocations - st.deallocations - st.reclaimed - m.uncountedDeallocations == st.inUse,
             eq("allocations - deallocations - reclaimed - uncounted",
                st.allocations - st.deallocations - st.reclaimed - m.uncountedDeallocations, st.inUse));
  FUZZ_CHECK(st.liveThreads == live, eq("stats.liveThreads", st.liveThreads, live));
  FUZZ_CHECK(st.deadThreads == dead, eq("stats.deadThreads", st.deadThreads, dead));
  FUZZ_CHECK(st.orphanedPackets == orphans, eq("stats.orphanedPackets", st.orphanedPackets, orphans));
  FUZZ_CHECK(st.cached == cached, eq("stats.cached", st.cached, cached));
  FUZZ_CHECK(st.freeInRing == m.ringCount(), eq("stats.freeInRing", st.freeInRing, m.ringCount()));
  FUZZ_CHECK(pool.freeInRing() == m.ringCount(), eq("freeInRing()", pool.freeInRing(), m.ringCount()));
  FUZZ_CHECK(st.highWaterMark == m.outOfRingPeak, eq("stats.highWaterMark", st.highWaterMark, m.outOfRingPeak));
  FUZZ_CHECK(pool.freePacketCount() + held == l.packetCount,
             eq("freePacketCount() + held", pool.freePacketCount() + held, l.packetCount));
  uint32_t freeBuffers = l.extraBufferCount() - m.chainedCount();
  FUZZ_CHECK(pool.freeBufferCount() == freeBuffers, eq("freeBufferCount()", pool.freeBufferCount(), freeBuffers));
}

inline void checkSlotsAndMetadata(const Pool& pool, const PoolModel& m) {
  using detail::eq;
  const Layout& l = m.layout();
  for (uint32_t s = 0; s < l.maxThreads; ++s) {
    const uint32_t* w = pool.slotWords(s);
    FUZZ_CHECK(w[slot::kState] == m.slots[s].state,
               eq(("slot " + std::to_string(s) + " state").c_str(), w[slot::kState], m.slots[s].state));
    if (m.slots[s].state == slot::kLive)
      FUZZ_CHECK(m.cacheCount(s) <= l.cacheSize, eq("cache count above cacheSize", m.cacheCount(s), l.cacheSize));
  }
  for (uint32_t p = 0; p < l.packetCount; ++p) {
    const PacketModel& pm = m.packets[p];
    const uint32_t* meta = pool.metaOf(p);
    auto who = [p] { return "packet " + std::to_string(p); };  // only built for a report
    uint32_t wantState = pm.owner == kNobody ? 0 : m.slots[pm.owner].tag | (pm.published ? meta::kStatePublished : 0);
    FUZZ_CHECK(meta[meta::kState] == wantState, eq((who() + " state").c_str(), meta[meta::kState], wantState));
    FUZZ_CHECK(meta[meta::kBufferCount] == 1 + pm.chain.size(),
               eq((who() + " buffer count").c_str(), meta[meta::kBufferCount], 1 + pm.chain.size()));
    for (size_t i = 0; i < pm.chain.size(); ++i)
      FUZZ_CHECK(pool.chainOf(p)[i] == pm.chain[i],
                 eq((who() + " chain entry " + std::to_string(i)).c_str(), pool.chainOf(p)[i], pm.chain[i]));
  }
}

inline void checkFreeLists(const Pool& pool, const PoolModel& m) {
  const Layout& l = m.layout();
  std::vector<uint8_t> seen(l.bufferCount, 0);
  uint32_t freePackets = 0;
  auto notePacket = [&](uint32_t p, const char* where) {
    FUZZ_CHECK(p < l.packetCount, std::string(where) + " holds out-of-range index " + std::to_string(p));
    FUZZ_CHECK(m.packets[p].owner == kNobody, std::string(where) + " holds packet " + std::to_string(p) +
                                                  ", which is held by slot " + std::to_string(m.packets[p].owner));
    FUZZ_CHECK(!seen[p], "packet " + std::to_string(p) + " is free twice (again in " + where + ")");
    seen[p] = 1;
    ++freePackets;
  };
  const uint8_t* packetRing = pool.base() + l.packetRingOffset;
  FUZZ_CHECK(
      peekWord(packetRing, ring_peek::kProdTail) - peekWord(packetRing, ring_peek::kConsTail) <= l.packetRingCapacity,
      "packet ring holds more entries than its capacity");
  forEachRingEntry(packetRing, [&](uint32_t p) { notePacket(p, "the packet ring"); });
  for (uint32_t s = 0; s < l.maxThreads; ++s) {
    if (m.slots[s].state != slot::kLive) continue;
    const uint32_t* cache = pool.slotWords(s) + slot::kCacheU32;
    for (uint32_t i = 0; i < m.cacheCount(s); ++i) notePacket(cache[i], "a slot cache");
  }
  uint32_t held = m.heldCount();
  FUZZ_CHECK(freePackets + held == l.packetCount, "free lists hold " + std::to_string(freePackets) + " packets, " +
                                                      std::to_string(held) + " are held, packetCount is " +
                                                      std::to_string(l.packetCount) + " (a packet is lost)");

  uint32_t freeBuffers = 0;
  forEachRingEntry(pool.base() + l.bufferRingOffset, [&](uint32_t b) {
    FUZZ_CHECK(b >= l.packetCount && b < l.bufferCount, "buffer ring holds out-of-range buffer " + std::to_string(b));
    FUZZ_CHECK(!seen[b], "buffer " + std::to_string(b) + " is free twice");
    FUZZ_CHECK(!m.isChained(b), "buffer " + std::to_string(b) + " is free and chained");
    seen[b] = 1;
    ++freeBuffers;
  });
  FUZZ_CHECK(freeBuffers + m.chainedCount() == l.extraBufferCount(),
             "buffer ring holds " + std::to_string(freeBuffers) + ", chains hold " + std::to_string(m.chainedCount()) +
                 ", extra buffers " + std::to_string(l.extraBufferCount()) + " (a buffer is lost)");
}

inline void checkPayloads(const PoolModel& m) {
  for (uint32_t p : m.heldPackets()) m.verifyPacketPayload(p, "while held");
}

inline void checkInvariants(const Pool& pool, const PoolModel& m) {
  checkStats(pool, m);
  checkSlotsAndMetadata(pool, m);
  checkFreeLists(pool, m);
  checkPayloads(m);
}

}  // namespace pbp::fuzz

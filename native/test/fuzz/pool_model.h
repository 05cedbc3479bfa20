// The reference model the pool fuzzer checks pbp::Pool against: which slot holds each packet
// (or none), the extra buffers chained to it, each thread slot's state, the statistics the pool
// must report, and a payload stamp per buffer. It only holds state and answers questions;
// pool_ops.h changes it alongside each real call and pool_invariants.h compares the two.
#pragma once

#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "pool.h"

namespace pbp::fuzz {

constexpr int kNobody = -1;

struct SlotModel {
  uint32_t state = slot::kFree;
  uint32_t threadId = 0;
  uint32_t tag = 0;
  bool gone = false;  // Live, but its process died without releasing it (see markGone)
  // Counters since the slot was claimed; folded into the retired totals when it is released
  // (or reclaimed after its process died).
  uint64_t allocations = 0, deallocations = 0, failedAllocations = 0;

  bool usable() const { return state == slot::kLive && !gone; }
  bool orphaning() const { return state == slot::kDead || (state == slot::kLive && gone); }
};

struct PacketModel {
  int owner = kNobody;          // slot index, or kNobody while free
  bool published = false;       // its owner handed the index out: other slots may claim/free it
  std::vector<uint32_t> chain;  // extra buffers in chain order

  // What a slot's free or claim of this packet must answer: NotPermitted for a free packet and
  // for another slot's unpublished one (meta::kStatePublished).
  IOReturn ownershipCheck(uint32_t s) const {
    if (owner == kNobody) return IOReturn::NotPermitted;
    if (owner != int(s) && !published) return IOReturn::NotPermitted;
    return IOReturn::Success;
  }
};

class PoolModel {
  // Declared first: the containers below are sized from the layout.
  const Pool& pool_;
  Layout l_;

 public:
  explicit PoolModel(const Pool& pool)
      : pool_(pool), l_(pool.layout()), slots(l_.maxThreads), packets(l_.packetCount), stamps(l_.bufferCount, 0) {}

  const Layout& layout() const { return l_; }

  uint32_t heldCount() const {
    uint32_t n = 0;
    for (const PacketModel& p : packets) n += p.owner != kNobody;
    return n;
  }
  uint32_t chainedCount() const {
    uint32_t n = 0;
    for (const PacketModel& p : packets) n += uint32_t(p.chain.size());
    return n;
  }
  bool isChained(uint32_t buffer) const {
    for (const PacketModel& p : packets)
      for (uint32_t b : p.chain)
        if (b == buffer) return true;
    return false;
  }
  uint32_t heldBy(int s) const {
    uint32_t n = 0;
    for (const PacketModel& p : packets) n += p.owner == s;
    return n;
  }

  void retire(uint32_t s) {
    SlotModel& sm = slots[s];
    retiredAllocations += sm.allocations;
    retiredDeallocations += sm.deallocations;
    retiredFailedAllocations += sm.failedAllocations;
    sm.allocations = sm.deallocations = sm.failedAllocations = 0;
  }
  // What stats() must report: retired totals plus the counters of slots still attached.
  uint64_t allocations() const { return retiredAllocations + sum(&SlotModel::allocations); }
  uint64_t deallocations() const { return retiredDeallocations + sum(&SlotModel::deallocations); }
  uint64_t failedAllocations() const { return retiredFailedAllocations + sum(&SlotModel::failedAllocations); }

  // The count word of a slot's cache, as the core and JS see it. The model does not predict
  // which indices sit in which cache; the invariant walk checks them.
  uint32_t cacheCount(uint32_t s) const { return loadRelaxed(pool_.slotWords(s) + slot::kCacheCountU32); }
  // Every Live slot's cache holds free packets, including a dead process's slot until it is
  // reclaimed (stats() counts those as in use, see checkStats).
  uint32_t cachedTotal(bool includeGone = true) const {
    uint32_t n = 0;
    for (uint32_t s = 0; s < l_.maxThreads; ++s)
      if (slots[s].state == slot::kLive && (includeGone || !slots[s].gone)) n += cacheCount(s);
    return n;
  }
  // Free packets not parked in a live slot's cache are in the ring.
  uint32_t ringCount() const { return l_.packetCount - heldCount() - cachedTotal(); }

  std::vector<uint32_t> heldPackets() const {
    std::vector<uint32_t> out;
    for (uint32_t p = 0; p < l_.packetCount; ++p)
      if (packets[p].owner != kNobody) out.push_back(p);
    return out;
  }

  // Payload stamps: a pattern derived from a fresh generation number fills the whole buffer.
  // A buffer that some other allocation also hands out gets overwritten with a different
  // pattern, which verifyStamp() then reports.
  void fillStamp(uint32_t gen, uint8_t* out) const {
    for (uint32_t i = 0; i < l_.bufferSize; ++i)
      out[i] = uint8_t(((gen * 0x9E3779B1u) >> ((i & 3) * 8)) ^ (i * 7) ^ (i >> 8));
  }
  void stamp(uint32_t buffer) {
    uint32_t gen = ++generation_;
    stamps[buffer] = gen;
    fillStamp(gen, pool_.bufferAt(buffer));
  }
  void verifyStamp(uint32_t buffer, const char* when) const {
    const uint8_t* b = pool_.bufferAt(buffer);
    std::vector<uint8_t>& want = scratch_;
    want.resize(l_.bufferSize);
    fillStamp(stamps[buffer], want.data());
    if (std::memcmp(b, want.data(), l_.bufferSize) == 0) return;
    uint32_t i = 0;
    while (b[i] == want[i]) ++i;
    FUZZ_CHECK(false, std::string("payload of buffer ") + std::to_string(buffer) + " byte " + std::to_string(i) +
                          " clobbered (" + when + ")");
  }
  void verifyPacketPayload(uint32_t p, const char* when) const {
    verifyStamp(p, when);  // a packet's own buffer has the packet's index
    for (uint32_t b : packets[p].chain) verifyStamp(b, when);
  }

  std::vector<SlotModel> slots;
  std::vector<PacketModel> packets;
  std::vector<uint32_t> stamps;      // generation last written into each buffer
  std::set<uint32_t> tagsHandedOut;  // slot tags are never reused
  uint64_t retiredAllocations = 0;
  uint64_t retiredDeallocations = 0;
  uint64_t retiredFailedAllocations = 0;
  uint64_t reclaimed = 0;
  // Frees a process finished when it died inside them (markGone): no counter saw them, the same
  // as the one operation a stopped thread's statistics miss (README, Safety).
  uint64_t uncountedDeallocations = 0;
  uint32_t outOfRingPeak = 0;  // max of packetCount - ringCount over time
  uint32_t waiters = 0;        // addWaiter() calls not yet undone

 private:
  uint64_t sum(uint64_t SlotModel::*field) const {
    uint64_t n = 0;
    // Live slots, including those whose process died: their counters count until reclaim()
    // retires them. Dead slots were retired when they were released.
    for (const SlotModel& sm : slots)
      if (sm.state == slot::kLive) n += sm.*field;
    return n;
  }

  uint32_t generation_ = 0;
  mutable std::vector<uint8_t> scratch_;
};

}  // namespace pbp::fuzz

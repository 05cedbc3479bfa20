// One pool under test plus its model: each method makes one real call on pbp::Pool, predicts
// its outcome from the model first (status code, returned count, chosen slot, new cache count),
// checks the call did exactly that, then updates the model. A call the model says must be
// refused is also checked to leave every byte the core owns unchanged (RegionGuard snapshot).
//
// Once a scribble has written arbitrary values into the region (see scribble()), the model no
// longer describes the pool: `checking_` goes false and calls are made for their side effects
// only, to see whether the core survives them.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "pool_invariants.h"
#include "pool_model.h"
#include "region_guard.h"

namespace pbp::fuzz {

class PoolHarness {
 public:
  explicit PoolHarness(Pool& pool) : pool_(pool), l_(pool.layout()), guard_(pool), m_(pool) {}

  bool checking() const { return checking_; }
  bool ringScribbled() const { return ringScribbled_; }
  const PoolModel& model() const { return m_; }
  const Layout& layout() const { return l_; }

  // A live slot chosen by `b` (the one it names, or the next live one), or -1 if none is live.
  int pickSlot(uint8_t b) const {
    for (uint32_t i = 0; i < l_.maxThreads; ++i) {
      uint32_t s = (b + i) % l_.maxThreads;
      if (m_.slots[s].usable()) return int(s);
    }
    return -1;
  }

  // A packet index chosen by `b`: top bits 00/01 a held packet (any index if none is held),
  // 10 any index (free ones make double frees), 11 an out-of-range index up to 0xFFFFFFFF.
  uint32_t pickPacket(uint8_t b) const {
    switch (b >> 6) {
      case 0:
      case 1: {
        std::vector<uint32_t> held = m_.heldPackets();
        return held.empty() ? b % l_.packetCount : held[b % held.size()];
      }
      case 2:
        return b % l_.packetCount;
      default:
        return (b & 63) == 63 ? 0xFFFFFFFFu : l_.packetCount + (b & 63);
    }
  }

  // The first Free slot; failing that, the first Dead slot that no longer holds any packet
  // (its thread's packets were all freed or taken over since it left) is recycled.
  void claimSlot(uint32_t threadId) {
    int want = -1;
    for (uint32_t s = 0; s < l_.maxThreads && want < 0; ++s)
      if (m_.slots[s].state == slot::kFree) want = int(s);
    for (uint32_t s = 0; s < l_.maxThreads && want < 0; ++s)
      if (m_.slots[s].state == slot::kDead && m_.heldBy(int(s)) == 0) want = int(s);
    Snapshot before = snapshotIf(want < 0);
    uint32_t s = ~0u;
    Status st = pool_.claimSlot(threadId, s);
    FUZZ_TRACE("claimSlot(thread %u) -> %s slot %u\n", threadId, ioReturnName(st.code), s);
    if (!checking_) return syncSlots();
    if (want < 0) return expectRefused(st, IOReturn::NoResources, before);
    FUZZ_CHECK(st.isOk() && s == uint32_t(want),
               "claimSlot: " + st.message + " slot " + std::to_string(s) + ", expected slot " + std::to_string(want));
    uint32_t tag = pool_.tagOf(s);
    FUZZ_CHECK(tag != 0 && m_.tagsHandedOut.insert(tag).second,
               "claimSlot handed out tag " + std::to_string(tag) + " again");
    FUZZ_CHECK(m_.cacheCount(s) == 0, "a fresh slot's cache is not empty");
    m_.slots[s] = SlotModel{};
    m_.slots[s].state = slot::kLive;
    m_.slots[s].threadId = threadId;
    m_.slots[s].tag = tag;
  }

  void releaseSlot(uint32_t s) {
    pool_.releaseSlot(s);
    FUZZ_TRACE("releaseSlot(%u)\n", s);
    if (!checking_) return syncSlots();
    m_.retire(s);
    m_.slots[s].state = m_.heldBy(int(s)) ? slot::kDead : slot::kFree;
    FUZZ_CHECK(m_.cacheCount(s) == 0, "releaseSlot left packets in the slot's cache");
  }

  // The slot's process dies without releasing it: its pid word now names a process that does
  // not exist (above any pid_max), which is what reclaim() and stats() look for.
  static constexpr uint32_t kGonePid = 0x7FFFFFF0;
  // The slot's process dies. how % 3: 0 between calls; 1 inside a logged producer reservation
  // (freeing one of its held, unpublished, unchained packets through the ring: the packet marked
  // free, the head moved, the entry copied, the reservation logged, the tail not stored); 2 inside
  // a logged consumer reservation (one free entry reserved, not taken). Either reservation must
  // be finished for the dead (Pool::settleDeadPeers), so the reclaim() that follows is exact: the
  // freed packet is in the ring once, the reserved one is back in it.
  void markGone(uint32_t s, uint8_t how) {
    int32_t freeing = -1;
    if (how % 3 == 1)
      for (uint32_t p = 0; p < l_.packetCount && freeing < 0; ++p)
        if (m_.packets[p].owner == int(s) && !m_.packets[p].published && m_.packets[p].chain.empty())
          freeing = int32_t(p);
    const bool producer = freeing >= 0;
    const bool inRing = producer || (how % 3 == 2 && m_.ringCount() > 0);
    if (inRing) {
      auto* ring = reinterpret_cast<uint32_t*>(pool_.base() + l_.packetRingOffset);
      uint32_t* log = pool_.slotWords(s) + slot::kCoreOpU32;
      storeRelaxed(log, Ring::kMarkInOp);
      if (producer) {
        storeRelaxed(pool_.metaOf(uint32_t(freeing)) + meta::kState, 0);
        m_.packets[freeing].owner = kNobody;
        ++m_.uncountedDeallocations;
      }
      // Single-threaded: the ring is quiescent (head == tail on both sides).
      uint32_t* head = ring + (producer ? Ring::prodHeadWord() : Ring::consHeadWord());
      uint32_t first = loadRelaxed(head);
      storeRelaxed(head, first + 1);
      if (producer) ring[ring_peek::kSlots / 4 + (first & (l_.packetRingCapacity - 1))] = uint32_t(freeing);
      storeRelaxed(log + 1, first);
      storeRelaxed(log + 2, 1);
      storeRelaxed(log, Ring::reservedMark(Pool::kPacketRingId, producer));
    }
    storeRelaxed(pool_.slotWords(s) + slot::kPid, kGonePid);
    FUZZ_TRACE("markGone(slot %u, %s)\n", s, !inRing ? "between calls" : producer ? "freeing" : "taking");
    m_.slots[s].gone = true;
    // The ring is not whole until someone finishes the reservation: reclaim() does.
    if (inRing) reclaim(Pool::kAnyThread);
  }

  // allocatePacketAsync registers as a waiter; while any is registered, frees go to the ring.
  void waiter(bool add) {
    if (add && m_.waiters < 4) {
      pool_.addWaiter();
      ++m_.waiters;
    } else if (!add && m_.waiters > 0) {
      pool_.removeWaiter();
      --m_.waiters;
    }
    FUZZ_TRACE("waiters -> %u\n", m_.waiters);
  }

  // A matching live slot of this process refuses the whole call before anything is reclaimed;
  // otherwise a Dead slot, or a Live one whose process is gone, gets its cache flushed and its
  // packets returned.
  void reclaim(uint32_t threadId) {
    IOReturn want = IOReturn::Success;
    bool matched = false;
    std::vector<uint32_t> reclaimedSlots;
    if (threadId != Pool::kAnyThread)
      for (uint32_t s = 0; s < l_.maxThreads; ++s)
        if (m_.slots[s].threadId == threadId && m_.slots[s].usable()) want = IOReturn::NotPermitted;
    for (uint32_t s = 0; s < l_.maxThreads && want == IOReturn::Success; ++s) {
      const SlotModel& sm = m_.slots[s];
      // A specific thread id names a thread of this process, never a dead process's slot.
      if (threadId != Pool::kAnyThread && (sm.threadId != threadId || sm.gone)) continue;
      if (!sm.orphaning()) continue;
      matched = true;
      reclaimedSlots.push_back(s);
    }
    if (want == IOReturn::Success && !matched && threadId != Pool::kAnyThread) want = IOReturn::NotFound;
    uint32_t expectCount = 0;
    for (uint32_t s : reclaimedSlots) expectCount += m_.heldBy(int(s));
    auto reclaiming = [&](int owner) {
      return std::find(reclaimedSlots.begin(), reclaimedSlots.end(), uint32_t(owner)) != reclaimedSlots.end();
    };
    if (checking_)
      for (uint32_t p = 0; p < l_.packetCount; ++p)
        if (reclaiming(m_.packets[p].owner)) m_.verifyPacketPayload(p, "before reclaim");
    Snapshot before = snapshotIf(want != IOReturn::Success && reclaimedSlots.empty());
    uint32_t got = 0;
    bool wasBroken = pool_.broken();
    Status st = pool_.reclaim(threadId, got);
    if (wasBroken) checkBrokenAnswer(st, "reclaim");
    FUZZ_TRACE("reclaim(thread %u) -> %s, %u packets\n", threadId, ioReturnName(st.code), got);
    if (!checking_) return syncSlots();
    if (want != IOReturn::Success && reclaimedSlots.empty()) return expectRefused(st, want, before);
    FUZZ_CHECK(st.code == want, "reclaim(" + std::to_string(threadId) + "): " + ioReturnName(st.code) + " (" +
                                    st.message + "), expected " + ioReturnName(want));
    FUZZ_CHECK(got == expectCount,
               "reclaim returned " + std::to_string(got) + " packets, expected " + std::to_string(expectCount));
    for (PacketModel& pm : m_.packets)
      if (reclaiming(pm.owner)) pm = PacketModel{};
    for (uint32_t s : reclaimedSlots) {
      if (m_.slots[s].gone) m_.retire(s);  // it never ran releaseSlot
      m_.slots[s].state = slot::kFree;
      m_.slots[s].gone = false;
      FUZZ_CHECK(m_.cacheCount(s) == 0, "reclaim left packets in a reclaimed slot's cache");
    }
    m_.reclaimed += got;
  }

  void allocateOne(uint32_t s) {
    uint32_t cached = m_.cacheCount(s), ring = m_.ringCount();
    bool want = l_.cacheSize == 0 ? ring > 0 : cached > 0 || ring > 0;
    // An empty cache is first refilled with up to half a cache from the ring.
    uint32_t cachedAfter = l_.cacheSize == 0 ? 0
                           : cached > 0      ? cached - 1
                           : want            ? std::min(l_.cacheSize / 2, ring) - 1
                                             : 0;
    uint32_t p = ~0u;
    bool ok = pool_.allocateOne(s, p);
    FUZZ_TRACE("allocateOne(slot %u) -> %d packet %u\n", s, int(ok), p);
    if (!checking_) return;
    FUZZ_CHECK(ok == want, std::string("allocateOne ") + (ok ? "succeeded" : "failed") + " with " +
                               std::to_string(ring) + " in the ring, " + std::to_string(cached) + " cached");
    FUZZ_CHECK(m_.cacheCount(s) == cachedAfter, "cache count after allocateOne is " + std::to_string(m_.cacheCount(s)) +
                                                    ", expected " + std::to_string(cachedAfter));
    if (ok) {
      tookPacket(s, p);
    } else {
      ++m_.slots[s].failedAllocations;
    }
    notePeak();
  }

  void deallocateOne(uint32_t s, uint32_t p) {
    IOReturn want = p >= l_.packetCount ? IOReturn::BadArgument : m_.packets[p].ownershipCheck(s);
    if (checking_ && want == IOReturn::Success) m_.verifyPacketPayload(p, "before deallocateOne");
    Snapshot before = snapshotIf(want != IOReturn::Success);
    uint32_t cachedBefore = m_.cacheCount(s);
    bool wasBroken = pool_.broken();
    Status st = pool_.deallocateOne(s, p);
    FUZZ_TRACE("deallocateOne(slot %u, packet %u) -> %s\n", s, p, ioReturnName(st.code));
    if (wasBroken) checkBrokenAnswer(st, "deallocateOne");
    if (!checking_) return;
    if (want != IOReturn::Success) return expectRefused(st, want, before);
    FUZZ_CHECK(st.isOk(), "deallocateOne(" + std::to_string(p) + ") of a held packet: " + st.message);
    m_.packets[p] = PacketModel{};
    ++m_.slots[s].deallocations;
    // With a waiter registered (or no cache) the packet goes to the ring, where waiters look.
    if (l_.cacheSize != 0 && m_.waiters == 0) {
      uint32_t wantCached = (cachedBefore == l_.cacheSize ? l_.cacheSize / 2 : cachedBefore) + 1;
      FUZZ_CHECK(m_.cacheCount(s) == wantCached, "cache count after deallocateOne is " +
                                                     std::to_string(m_.cacheCount(s)) + ", expected " +
                                                     std::to_string(wantCached));
    }
  }

  // Cached packets first (newest first), then the ring.
  void allocateBurst(uint32_t s, uint32_t n) {
    uint32_t cached = m_.cacheCount(s);
    uint32_t want = std::min(n, cached + m_.ringCount());
    uint32_t cachedAfter = cached - std::min(n, cached);
    std::vector<uint32_t> out(n);  // exact size: ASan catches a write past n
    uint32_t got = pool_.allocateBurst(s, out.data(), n);
    FUZZ_TRACE("allocateBurst(slot %u, %u) -> %u\n", s, n, got);
    if (!checking_) return;
    FUZZ_CHECK(got == want, "allocateBurst(" + std::to_string(n) + ") gave " + std::to_string(got) + ", expected " +
                                std::to_string(want));
    FUZZ_CHECK(m_.cacheCount(s) == cachedAfter, "cache count after allocateBurst is " +
                                                    std::to_string(m_.cacheCount(s)) + ", expected " +
                                                    std::to_string(cachedAfter));
    for (uint32_t i = 0; i < got; ++i) tookPacket(s, out[i]);
    m_.slots[s].failedAllocations += n - got;
    notePeak();
  }

  void deallocateBulk(uint32_t s, const std::vector<uint32_t>& batch) {
    IOReturn want = IOReturn::Success;
    std::vector<uint8_t> inBatch(l_.packetCount, 0);
    for (uint32_t p : batch) {
      if (p >= l_.packetCount) {
        want = IOReturn::BadArgument;
        break;
      }
      if (m_.packets[p].ownershipCheck(s) != IOReturn::Success || inBatch[p]) {
        want = IOReturn::NotPermitted;
        break;
      }
      inBatch[p] = 1;
    }
    if (checking_ && want == IOReturn::Success)
      for (uint32_t p : batch) m_.verifyPacketPayload(p, "before deallocateBulk");
    Snapshot before = snapshotIf(want != IOReturn::Success);
    uint32_t cached = m_.cacheCount(s);
    // A batch that fits in the cache (and no waiter) is parked there, else it goes to the ring.
    uint32_t cachedAfter =
        cached + batch.size() <= l_.cacheSize && m_.waiters == 0 ? cached + uint32_t(batch.size()) : cached;
    bool wasBroken = pool_.broken();
    Status st = pool_.deallocateBulk(s, batch.data(), uint32_t(batch.size()));
    if (wasBroken) checkBrokenAnswer(st, "deallocateBulk");
    FUZZ_TRACE("deallocateBulk(slot %u, %zu packets) -> %s\n", s, batch.size(), ioReturnName(st.code));
    if (!checking_) return;
    if (want != IOReturn::Success) return expectRefused(st, want, before);
    FUZZ_CHECK(st.isOk(), "deallocateBulk of held packets: " + st.message);
    for (uint32_t p : batch) m_.packets[p] = PacketModel{};
    m_.slots[s].deallocations += batch.size();
    FUZZ_CHECK(m_.cacheCount(s) == cachedAfter, "cache count after deallocateBulk is " +
                                                    std::to_string(m_.cacheCount(s)) + ", expected " +
                                                    std::to_string(cachedAfter));
  }

  void addBuffer(uint32_t p) {
    IOReturn want = IOReturn::Success;
    if (p >= l_.packetCount) want = IOReturn::BadArgument;
    else if (m_.packets[p].owner == kNobody)
      want = IOReturn::NotPermitted;
    else if (1 + m_.packets[p].chain.size() >= l_.maxBuffersPerPacket)
      want = IOReturn::Overrun;
    else if (m_.chainedCount() == l_.extraBufferCount())
      want = IOReturn::NoResources;
    Snapshot before = snapshotIf(want != IOReturn::Success);
    uint32_t b = ~0u;
    bool wasBroken = pool_.broken();
    Status st = pool_.addBuffer(p, b);
    if (wasBroken) checkBrokenAnswer(st, "addBuffer");
    FUZZ_TRACE("addBuffer(packet %u) -> %s buffer %u\n", p, ioReturnName(st.code), b);
    if (!checking_) return;
    if (want != IOReturn::Success) return expectRefused(st, want, before);
    FUZZ_CHECK(st.isOk(), "addBuffer: " + st.message);
    FUZZ_CHECK(b >= l_.packetCount && b < l_.bufferCount && !m_.isChained(b),
               "addBuffer handed out buffer " + std::to_string(b) + ", which is not a free extra buffer");
    m_.packets[p].chain.push_back(b);
    m_.stamp(b);
  }

  void claimPacket(uint32_t s, uint32_t p) {
    IOReturn want = p >= l_.packetCount ? IOReturn::BadArgument : m_.packets[p].ownershipCheck(s);
    Snapshot before = snapshotIf(want != IOReturn::Success);
    bool wasBroken = pool_.broken();
    Status st = pool_.claimPacket(s, p);
    if (wasBroken) checkBrokenAnswer(st, "claimPacket");
    FUZZ_TRACE("claimPacket(slot %u, packet %u) -> %s\n", s, p, ioReturnName(st.code));
    if (!checking_) return;
    if (want != IOReturn::Success) return expectRefused(st, want, before);
    FUZZ_CHECK(st.isOk(), "claimPacket of a held packet: " + st.message);
    // Taken over from another slot it is this slot's alone (unpublished); its own stays as it was.
    PacketModel& pm = m_.packets[p];
    if (pm.owner != int(s)) {
      pm.owner = int(s);
      pm.published = false;
    }
  }

  // Only the owner's publish does anything; anyone else's (or a free packet's) is a no-op.
  void publish(uint32_t s, uint32_t p) {
    pool_.publish(s, p);
    FUZZ_TRACE("publish(slot %u, packet %u)\n", s, p);
    if (!checking_) return;
    if (p < l_.packetCount && m_.packets[p].owner == int(s)) m_.packets[p].published = true;
  }

  void refillCache(uint32_t s) {
    uint32_t old = m_.cacheCount(s);
    uint32_t want = old + std::min(std::min(l_.cacheSize / 2, l_.cacheSize - old), m_.ringCount());
    uint32_t got = pool_.refillCache(s);
    FUZZ_TRACE("refillCache(slot %u) -> %u\n", s, got);
    if (!checking_) return;
    FUZZ_CHECK(got == want && m_.cacheCount(s) == want, "refillCache from " + std::to_string(old) + " returned " +
                                                            std::to_string(got) + ", expected " + std::to_string(want));
    notePeak();
  }

  void flushCache(uint32_t s, uint32_t keep) {
    uint32_t old = m_.cacheCount(s);
    uint32_t want = old <= keep ? old : keep;
    uint32_t got = pool_.flushCache(s, keep);
    FUZZ_TRACE("flushCache(slot %u, keep %u) -> %u\n", s, keep, got);
    if (!checking_) return;
    FUZZ_CHECK(got == want && m_.cacheCount(s) == want, "flushCache(keep " + std::to_string(keep) + ") from " +
                                                            std::to_string(old) + " returned " + std::to_string(got));
  }

  // A second mapping of a shared pool must see the same state; a private pool has no fd to map.
  void attachView() {
    std::shared_ptr<Pool> view;
    Status st = Pool::attachFd(pool_.fd(), view);
    FUZZ_TRACE("attachFd(%d) -> %s\n", pool_.fd(), ioReturnName(st.code));
    if (pool_.fd() < 0) {
      FUZZ_CHECK(!st.isOk(), "attachFd(-1) succeeded");
      return;
    }
    FUZZ_CHECK(st.isOk(), "attachFd of a shared pool: " + st.message);
    FUZZ_CHECK(view->bytes() == pool_.bytes() && view->layout().buffersOffset == l_.buffersOffset,
               "an attached view computed a different layout");
    if (!checking_) return;
    PoolStats a = pool_.stats(), b = view->stats();
    FUZZ_CHECK(a.inUse == b.inUse && a.allocations == b.allocations && a.cached == b.cached &&
                   view->freePacketCount() == pool_.freePacketCount(),
               "an attached view reports different statistics");
  }

  // What a JS caller does between native calls: rewrite a held packet's payload.
  void rewritePayload(uint32_t p) {
    if (!checking_ || p >= l_.packetCount || m_.packets[p].owner == kNobody) return;
    m_.verifyPacketPayload(p, "before rewrite");
    m_.stamp(p);
    for (uint32_t b : m_.packets[p].chain) m_.stamp(b);
  }

  // Writes `value` into a word that JavaScript can write through its typed array over the
  // region (see pool_fuzzer.cpp for the encoding); from here on only "no crash" is checked.
  void scribble(uint8_t area, uint8_t index, uint32_t value) {
    const uint32_t slotIndex = index % l_.maxThreads;
    uint32_t* slotW = pool_.slotWords(slotIndex);
    switch ((area & 7) % 6) {
      case 5: {
        // A ring's head or tail, as a peer sharing the memory could write it (or a peer that died
        // between its head CAS and its tail store: area >> 5 & 1 with a small delta). Ring
        // operations must stay inside the ring and end within the wait limit, and once the pool
        // says it is broken every call that needs the rings answers kIOReturnIOError.
        // Stuck tails are given up on after 1 ms here instead of the default seconds.
        pool_.setRingWaitLimitNs(1'000'000);
        const Layout& l = pool_.layout();
        auto* ring =
            reinterpret_cast<uint32_t*>(pool_.base() + ((area >> 3) & 1 ? l.bufferRingOffset : l.packetRingOffset));
        static const uint32_t kWords[] = {Ring::prodHeadWord(), Ring::prodTailWord(), Ring::consHeadWord(),
                                          Ring::consTailWord()};
        uint32_t* word = ring + kWords[(area >> 4) & 3];
        uint32_t old = __atomic_load_n(word, __ATOMIC_RELAXED);
        uint32_t next = (area >> 6) & 1 ? old + uint32_t(int8_t(value & 0xFF)) : value;
        __atomic_store_n(word, next, __ATOMIC_RELAXED);
        ringScribbled_ = true;
        break;
      }
      case 0:
        slotW[slot::kCacheCountU32] = value;
        break;
      case 1:
        if (l_.cacheSize == 0) return;
        slotW[slot::kCacheU32 + (index / l_.maxThreads) % l_.cacheSize] = value;
        break;
      case 2:
        pool_.metaOf(index % l_.packetCount)[(area >> 3) % meta::kWords] = value;
        break;
      case 3: {
        uint32_t entries = l_.packetCount * l_.chainSlotsPerPacket();
        if (entries == 0) return;
        pool_.chainOf(0)[(uint32_t(index) | uint32_t(area >> 3) << 8) % entries] = value;
        break;
      }
      default: {
        // Float64 counters: JS does `+= 1` on them, but anything can be stored there.
        static const double kOdd[] = {__builtin_nan(""), -1.0, 1e300, -__builtin_inf(), 0.5};
        double v = (area >> 3) & 1 ? kOdd[value % 5] : double(value);
        storeRelaxed(pool_.slotCounters(slotIndex) + slot::kAllocationsF64 + (area >> 4) % 3, v);
        break;
      }
    }
    FUZZ_TRACE("scribble(area %u, index %u, value 0x%x)\n", (area & 7) % 6, index, value);
    checking_ = false;
  }

  // After a ring scribble: a broken pool refuses everything that needs its rings with
  // kIOReturnIOError (checked on every Status-returning call of the harness).
  void checkBrokenAnswer(const Status& st, const char* call) const {
    if (!ringScribbled_ || !pool_.broken()) return;
    FUZZ_CHECK(st.code == IOReturn::IOError,
               std::string(call) + " on a broken pool answered " + ioReturnName(st.code) + ": " + st.message);
  }

  void check() const {
    if (checking_) checkInvariants(pool_, m_);
  }

  // Ends an input: every live slot is released, every dead thread's packets reclaimed; then all
  // packets and buffers must be free, and a fresh slot must get every packet exactly once.
  void finish() {
    check();
    for (uint32_t s = 0; s < l_.maxThreads; ++s)
      if (m_.slots[s].usable()) releaseSlot(s);
    while (m_.waiters > 0) waiter(false);
    reclaim(Pool::kAnyThread);
    if (!checking_) return;
    check();
    FUZZ_CHECK(m_.heldCount() == 0 && pool_.freePacketCount() == l_.packetCount &&
                   pool_.freeBufferCount() == l_.extraBufferCount(),
               "after releasing every slot and reclaiming, not everything is free");
    claimSlot(0);
    int s = pickSlot(0);
    FUZZ_CHECK(s >= 0, "no slot could be claimed after releasing all of them");
    allocateBurst(uint32_t(s), l_.packetCount);
    FUZZ_CHECK(m_.heldCount() == l_.packetCount, "a drained pool did not hand out every packet");
    check();
    deallocateBulk(uint32_t(s), m_.heldPackets());
    releaseSlot(uint32_t(s));
    check();
  }

 private:
  using Snapshot = std::vector<uint8_t>;

  Snapshot snapshotIf(bool refusalExpected) const {
    return checking_ && refusalExpected ? guard_.snapshot() : Snapshot{};
  }

  void expectRefused(const Status& st, IOReturn want, const Snapshot& before) const {
    FUZZ_CHECK(st.code == want, std::string("expected ") + ioReturnName(want) + ", got " + ioReturnName(st.code) +
                                    " (" + st.message + ")");
    long at = guard_.firstDifference(before);
    FUZZ_CHECK(at < 0, "a refused call (" + std::string(ioReturnName(want)) + ") changed the region at offset " +
                           std::to_string(at));
  }

  void tookPacket(uint32_t s, uint32_t p) {
    FUZZ_CHECK(p < l_.packetCount, "allocation returned out-of-range index " + std::to_string(p));
    FUZZ_CHECK(m_.packets[p].owner == kNobody, "allocation returned packet " + std::to_string(p) +
                                                   ", already held by slot " + std::to_string(m_.packets[p].owner));
    const uint32_t* meta = pool_.metaOf(p);
    FUZZ_CHECK(meta[meta::kState] == m_.slots[s].tag && meta[meta::kBufferCount] == 1 &&
                   meta[meta::kDataOffset] == l_.headroom && meta[meta::kDataLength] == 0 && meta[meta::kFlags] == 0,
               "packet " + std::to_string(p) + " was not initialised on allocation");
    m_.packets[p].owner = int(s);
    m_.packets[p].published = false;
    ++m_.slots[s].allocations;
    m_.stamp(p);
  }

  void notePeak() { m_.outOfRingPeak = std::max(m_.outOfRingPeak, l_.packetCount - m_.ringCount()); }

  // Unchecked mode: follow the slot words, which scribbles never touch, so pickSlot() only
  // ever names slots the core considers live.
  void syncSlots() {
    for (uint32_t s = 0; s < l_.maxThreads; ++s) {
      const uint32_t* w = pool_.slotWords(s);
      SlotModel& sm = m_.slots[s];
      sm.state = w[slot::kState];
      sm.threadId = w[slot::kThreadId];
      sm.tag = w[slot::kTag];
      sm.gone = sm.state == slot::kLive && w[slot::kPid] == kGonePid;
    }
  }

  Pool& pool_;
  const Layout l_;
  RegionGuard guard_;
  PoolModel m_;
  bool checking_ = true;
  bool ringScribbled_ = false;  // a ring counter was overwritten (scribble area 5)
};

}  // namespace pbp::fuzz

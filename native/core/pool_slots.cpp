// Pool members for thread slots: claiming and releasing them, taking over a stopped thread's cache
// (adoptCache) and returning the packets of threads and processes that died (reclaim).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "pool.h"
#include "pool_internal.h"

namespace pbp {

using pool_internal::counterValue;
using pool_internal::kStageEntries;
using pool_internal::str;

Status Pool::claimSlot(uint32_t threadId, uint32_t& slotOut) {
  auto take = [&](uint32_t s) {
    uint32_t* w = slotWords(s);
    // relaxed: tags only need to be unique, not ordered.
    // The top bit of a packet's state is meta::kStatePublished, so tags live in 31 bits; 0 means
    // free and is skipped when the counter wraps.
    uint32_t tag = 0;
    // meta::kStateQueued is reserved for packets inside a queue.
    while (tag == 0 || tag == meta::kStateQueued)
      tag = header()->nextTag.fetch_add(1, std::memory_order_relaxed) & meta::kStateTagMask;
    double* c = slotCounters(s);
    storeRelaxed(c + slot::kAllocationsF64, 0.0);
    storeRelaxed(c + slot::kDeallocationsF64, 0.0);
    storeRelaxed(c + slot::kFailedAllocationsF64, 0.0);
    storeRelaxed(w + slot::kCacheCountU32, 0);
    storeRelaxed(w + slot::kThreadId, threadId);
    storeRelaxed(w + slot::kPid, uint32_t(getpid()));
    storeRelaxed(w + slot::kTag, tag);
    slotOut = s;
  };
  for (uint32_t s = 0; s < layout_.maxThreads; ++s) {
    uint32_t* w = slotWords(s);
    uint32_t expected = slot::kFree;
    // acq_rel: acquire the previous owner's release of the slot (its flushed cache, counters);
    // release is irrelevant here but harmless.
    if (!casAcqRel(w + slot::kState, expected, slot::kLive)) continue;
    take(s);
    return Status::ok();
  }
  // Second chance: a Dead slot whose packets have all been freed or taken over by other threads
  // since its thread left (the usual case when a worker hands packets on and exits) holds
  // nothing any more, but only reclaim() would free it; recycle it instead of refusing. Packets
  // never gain a dead slot's tag, so a scan that finds none stays true.
  for (uint32_t s = 0; s < layout_.maxThreads; ++s) {
    uint32_t* w = slotWords(s);
    uint32_t expected = slot::kDead;
    // acq_rel, and Reclaiming: excludes reclaim() and other claimers while we look.
    if (!casAcqRel(w + slot::kState, expected, slot::kReclaiming)) continue;
    if (packetsHeldBy(tagOf(s), 1) != 0) {
      storeRelease(w + slot::kState, slot::kDead);
      continue;
    }
    take(s);
    storeRelease(w + slot::kState, slot::kLive);
    return Status::ok();
  }
  return Status::fail(IOReturn::NoResources,
                      "all " + str(layout_.maxThreads) + " thread slots are in use (maxThreads)");
}

void Pool::retireCounters(uint32_t s) {
  double* c = slotCounters(s);
  RegionHeader* h = header();
  // relaxed: statistics only.
  h->retiredAllocations.fetch_add(counterValue(loadRelaxed(c + slot::kAllocationsF64)), std::memory_order_relaxed);
  h->retiredDeallocations.fetch_add(counterValue(loadRelaxed(c + slot::kDeallocationsF64)), std::memory_order_relaxed);
  h->retiredFailedAllocations.fetch_add(counterValue(loadRelaxed(c + slot::kFailedAllocationsF64)),
                                        std::memory_order_relaxed);
  storeRelaxed(c + slot::kAllocationsF64, 0.0);
  storeRelaxed(c + slot::kDeallocationsF64, 0.0);
  storeRelaxed(c + slot::kFailedAllocationsF64, 0.0);
}

void Pool::releaseSlot(uint32_t s) {
  CoreOpMark mark(*this, s);
  // The thread may have been stopped inside an enqueue (worker.terminate()).
  repairQueuesOf(tagOf(s));
  releaseQueueEnds(s);
  // The thread may have stopped inside an operation (worker.terminate()): its cache can hold
  // packets it had already marked held; those stay tagged (orphaned until reclaim), only the free
  // ones go back.
  uint32_t* w = slotWords(s);
  uint32_t adopted = adoptCache(s);
  for (uint32_t i = 0; i < adopted; ++i) storeRelaxed(metaOf(w[slot::kCacheU32 + i]) + meta::kState, 0);
  if (adopted) {
    packetRing_.enqueueMany(w + slot::kCacheU32, adopted, Ring::Mode::Bulk);
    notifyFreed();
  }
  retireCounters(s);
  bool holdsPackets = packetsHeldBy(tagOf(s), 1) != 0;
  // release: the flushed cache and counters above happen-before the next claimSlot/reclaim.
  storeRelease(w + slot::kState, holdsPackets ? slot::kDead : slot::kFree);
}

bool Pool::slotOwnerGone(uint32_t s) const {
  uint32_t pid = loadRelaxed(slotWords(s) + slot::kPid);
  if (pid == 0 || pid == uint32_t(getpid())) return false;
  // ESRCH: no such process. EPERM means it exists but is not ours to signal: alive.
  return kill(pid_t(pid), 0) != 0 && errno == ESRCH;
}

Status Pool::reclaim(uint32_t threadId, uint32_t& reclaimedOut, uint32_t callerSlot) {
  reclaimedOut = 0;
  if (broken()) return brokenStatus();
  CoreOpMark mark(*this, callerSlot);
  bool matched = false;
  if (threadId != kAnyThread) {
    // Refuse a thread of this process that is still attached before touching any of its slots.
    for (uint32_t s = 0; s < layout_.maxThreads; ++s) {
      uint32_t* w = slotWords(s);
      if (loadRelaxed(w + slot::kThreadId) == threadId && loadAcquire(w + slot::kState) == slot::kLive &&
          loadRelaxed(w + slot::kPid) == uint32_t(getpid()))
        return Status::fail(IOReturn::NotPermitted, "thread " + str(threadId) + " is still attached to the pool");
    }
  }
  for (uint32_t s = 0; s < layout_.maxThreads; ++s) {
    uint32_t* w = slotWords(s);
    // Thread ids restart in every process: a specific one names a thread of this process.
    if (threadId != kAnyThread &&
        (loadRelaxed(w + slot::kThreadId) != threadId || loadRelaxed(w + slot::kPid) != uint32_t(getpid())))
      continue;
    uint32_t state = loadAcquire(w + slot::kState);
    bool gone = state == slot::kLive && slotOwnerGone(s);
    if (state != slot::kDead && !gone) continue;  // live (refused above), free or being reclaimed
    // Its process died inside a core operation: finish a ring reservation it logged, or, where
    // what it moved cannot be put back exactly (see CoreOpMark), the pool is broken rather than
    // wrong.
    if (gone && !settleMarkOf(s)) {
      packetRing_.markBroken(Ring::kPeerDied);
      return brokenStatus();
    }
    // Only one reclaimer may walk a slot: move it to Reclaiming first.
    uint32_t expected = state;
    if (!casAcqRel(w + slot::kState, expected, slot::kReclaiming)) continue;
    matched = true;
    // A process that died never ran releaseSlot: its cache and counters are still in the slot.
    if (gone) retireCounters(s);
    // Its free cached packets become tagged like the ones it held, so the scan below frees each
    // packet of the slot exactly once, wherever the thread stopped. Only the held ones count as
    // reclaimed: the cached ones were free all along (and nobody can take an adopted packet
    // meanwhile: it is unpublished, so claims and frees by others are refused).
    uint32_t cached = adoptCache(s);
    uint32_t tag = tagOf(s);
    // A process that died never ran releaseSlot: undo an enqueue it was cut short in (counted as
    // reclaimed there) and free the queue ends it held.
    if (gone) {
      reclaimedOut += repairQueuesOf(tag);
      releaseQueueEnds(s);
    }
    // Freed packets go to the ring a stage at a time (no heap memory proportional to the pool).
    uint32_t stage[kStageEntries];
    uint32_t staged = 0, freed = 0;
    for (uint32_t p = 0; p < layout_.packetCount; ++p) {
      uint32_t owner = loadRelaxed(metaOf(p) + meta::kState);
      if ((owner & meta::kStateTagMask) != tag) continue;
      // CAS: a live thread may take a published packet over with newPacket meanwhile.
      if (casAcqRel(metaOf(p) + meta::kState, owner, 0)) {
        freeChain(p);
        stage[staged++] = p;
        if (staged == kStageEntries) {
          if (packetRing_.enqueueMany(stage, staged, Ring::Mode::Bulk) == 0) overfull(packetRing_);
          freed += staged;
          staged = 0;
        }
      }
    }
    if (staged != 0 && packetRing_.enqueueMany(stage, staged, Ring::Mode::Bulk) == 0) overfull(packetRing_);
    freed += staged;
    notifyFreed();
    // (max: a peer scribbling on the states meanwhile must not make it wrap)
    uint32_t held = freed > cached ? freed - cached : 0;
    header()->reclaimedPackets.fetch_add(held, std::memory_order_relaxed);
    reclaimedOut += held;
    // release: the ring and counter updates above happen-before the slot's next claim.
    storeRelease(w + slot::kState, slot::kFree);
  }
  if (!matched && threadId != kAnyThread)
    return Status::fail(IOReturn::NotFound, "no exited thread " + str(threadId) + " holds packets of this pool");
  return Status::ok();
}

// Interruption safety: the JS hot path (lib/pool-hot-path.ts) and allocateOne mark a packet held
// before dropping it from the cache, and put a packet in the cache before marking it free, so a
// thread stopped anywhere leaves each of its packets either held (its tag) or as a cache entry
// within the count, free (state 0), or both: held and still counted. Taking the free entries over
// with a CAS 0 -> tag keeps exactly the packets that are free and only here; an entry whose packet
// is held (by this slot, or by a thread it went to since) is dropped, and so is a second copy of
// an index or one out of range (only a scribbled region has those).
uint32_t Pool::adoptCache(uint32_t s) {
  uint32_t* w = slotWords(s);
  uint32_t* cache = w + slot::kCacheU32;
  uint32_t count = cacheCount(s);
  uint32_t tag = tagOf(s);
  uint32_t adopted = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t p = cache[i];
    if (p >= layout_.packetCount) continue;
    uint32_t expected = 0;
    // acq_rel: the packet is free and only here, but a scribbled region may have put it
    // elsewhere too; the CAS makes sure only one place takes it.
    if (casAcqRel(metaOf(p) + meta::kState, expected, tag)) cache[adopted++] = p;
  }
  storeRelaxed(w + slot::kCacheCountU32, 0);
  return adopted;
}

uint32_t Pool::packetsHeldBy(uint32_t tag, uint32_t stopAt) const {
  uint32_t held = 0;
  for (uint32_t p = 0; p < layout_.packetCount && held < stopAt; ++p)
    held += (loadRelaxed(metaOf(p) + meta::kState) & meta::kStateTagMask) == tag;
  return held;
}

}  // namespace pbp

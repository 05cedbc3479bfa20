// Pool members for allocation and freeing: the per-thread cache (refill, flush), one packet or a
// batch at a time, ownership moves between threads (claim, publish) and buffer chains. The JS hot
// path (lib/) runs the same rules on the cache; this is the native half.
#include <atomic>
#include <cstdint>
#include <string>

#include "pool.h"
#include "pool_internal.h"

namespace pbp {
namespace {

using pool_internal::kClaimAttempts;
using pool_internal::kStageEntries;
using pool_internal::Scratch;
using pool_internal::str;

// Why the calling thread may not free or take over a packet. Decided without allocating, so a
// batch can undo what it already marked before any message (a std::string) is built.
enum class Refusal { None, OutOfRange, NotAllocated, NotHandedOver, Raced };

// A free packet, or one another thread holds and has not published (meta::kStatePublished): its
// owner frees it with a plain store, so a second writer could make two frees succeed.
Refusal mayTouch(uint32_t owner, uint32_t myTag) {
  if (owner == 0) return Refusal::NotAllocated;
  if ((owner & meta::kStatePublished) == 0 && owner != myTag) return Refusal::NotHandedOver;
  return Refusal::None;
}

Status refusalStatus(Refusal why, uint32_t packet, uint32_t packetCount) {
  switch (why) {
    case Refusal::None:
      break;
    case Refusal::OutOfRange:
      return Status::fail(IOReturn::BadArgument,
                          "packet index " + str(packet) + " is out of range (packetCount " + str(packetCount) + ")");
    case Refusal::NotAllocated:
      return Status::fail(IOReturn::NotPermitted, "packet " + str(packet) + " is not allocated (already deallocated?)");
    case Refusal::NotHandedOver:
      return Status::fail(IOReturn::NotPermitted,
                          "packet " + str(packet) +
                              " is held by another thread that has not handed it "
                              "over (packet.handOver() or publishPacketIndices() hands a packet over)");
    case Refusal::Raced:
      return Status::fail(IOReturn::NotPermitted,
                          "packet " + str(packet) + " was deallocated concurrently by another thread");
  }
  return Status::ok();
}

// Marks a held packet free: the owner of an unpublished packet with a plain check-and-store (no
// one else may write that word); a published packet with a CAS, since its owner and the thread it
// was handed to may free it at the same moment and only one may win. `previous` is the state it
// had, for a batch that has to undo.
Refusal releaseOwnership(uint32_t* state, uint32_t myTag, uint32_t& previous) {
  uint32_t owner = loadRelaxed(state);
  previous = owner;
  Refusal why = mayTouch(owner, myTag);
  if (why != Refusal::None) return why;
  if (owner == myTag) {
    storeRelaxed(state, 0);
    return Refusal::None;
  }
  // acq_rel: acquire the previous owner's writes to the packet before it goes back to a ring
  // (whose release then passes them on to the next owner).
  return casAcqRel(state, owner, 0) ? Refusal::None : Refusal::Raced;
}

}  // namespace

uint32_t Pool::refillCache(uint32_t s) {
  CoreOpMark mark(*this, s);
  uint32_t* w = slotWords(s);
  uint32_t count = cacheCount(s);
  if (broken()) return count;
  uint32_t want = layout_.cacheSize / 2;
  if (want > layout_.cacheSize - count) want = layout_.cacheSize - count;
  uint32_t got = packetRing_.dequeueMany(w + slot::kCacheU32 + count, want, Ring::Mode::Burst, opLog(s));
  if (got) notePeak();
  count += got;
  storeRelaxed(w + slot::kCacheCountU32, count);
  return count;
}

uint32_t Pool::flushCache(uint32_t s, uint32_t keep) {
  CoreOpMark mark(*this, s);
  uint32_t* w = slotWords(s);
  uint32_t count = cacheCount(s);
  // A broken ring takes nothing (its callers answer kIOReturnIOError); the cache stays as it is.
  if (count <= keep || broken()) return count;
  // The count first: a process killed between the two stores leaks these packets (free, in no
  // ring or cache) rather than leaving them both in the ring and in a cache that reclaim() would
  // flush again. Only this thread writes its cache entries, so reading them after is safe.
  storeRelaxed(w + slot::kCacheCountU32, keep);
  // Always fits: the ring can hold every packet and each index is free in exactly one place; a
  // ring that refuses is broken (overfull), and these packets are lost with it.
  if (packetRing_.enqueueMany(w + slot::kCacheU32 + keep, count - keep, Ring::Mode::Bulk, opLog(s)) == 0) {
    overfull(packetRing_);
    return keep;
  }
  notifyFreed();
  return keep;
}

bool Pool::allocateOne(uint32_t s, uint32_t& packet) {
  if (broken()) return false;
  CoreOpMark mark(*this, s);
  double* c = slotCounters(s);
  uint32_t* w = slotWords(s);
  uint32_t count = 0;
  if (layout_.cacheSize == 0) {
    if (!packetRing_.dequeue(packet, opLog(s))) {
      addRelaxed(c + slot::kFailedAllocationsF64, 1);
      return false;
    }
    notePeak();
  } else {
    count = cacheCount(s);
    if (count == 0 && (count = refillCache(s)) == 0) {
      addRelaxed(c + slot::kFailedAllocationsF64, 1);
      return false;
    }
    packet = w[slot::kCacheU32 + count - 1];
  }
  // An index outside the pool: see allocateBurst; only a scribbled region gets here.
  bool valid = packet < layout_.packetCount;
  if (valid) initPacket(packet, tagOf(s));
  // Held before it leaves the cache, as in lib/pool-hot-path.ts: see adoptCache.
  if (layout_.cacheSize != 0) storeRelaxed(w + slot::kCacheCountU32, count - 1);
  if (!valid) {
    addRelaxed(c + slot::kFailedAllocationsF64, 1);
    return false;
  }
  addRelaxed(c + slot::kAllocationsF64, 1);
  return true;
}

Status Pool::deallocateOne(uint32_t s, uint32_t packet) {
  if (broken()) return brokenStatus();
  CoreOpMark mark(*this, s);
  if (packet >= layout_.packetCount) return refusalStatus(Refusal::OutOfRange, packet, layout_.packetCount);
  // With someone waiting for a packet, give it to the shared ring where they can see it.
  const bool toRing = layout_.cacheSize == 0 || header()->waiters.load(std::memory_order_relaxed) != 0;
  uint32_t* w = slotWords(s);
  uint32_t count = cacheCount(s);
  // Checked first, so a refused free changes nothing. Then room in the cache before the packet is
  // free: a flush is whole in itself (a process killed in its ring reservation is finished for,
  // see CoreOpMark), while a free packet waiting for it would be in neither place. Only a race
  // lost to another thread freeing the same handed-over packet leaves just a flushed cache.
  uint32_t* state = metaOf(packet) + meta::kState;
  Refusal why = mayTouch(loadRelaxed(state), tagOf(s));
  if (why != Refusal::None) return refusalStatus(why, packet, layout_.packetCount);
  if (!toRing && count == layout_.cacheSize) count = flushCache(s, layout_.cacheSize / 2);
  uint32_t previous;
  why = releaseOwnership(state, tagOf(s), previous);
  if (why != Refusal::None) return refusalStatus(why, packet, layout_.packetCount);
  freeChain(packet);
  if (toRing) {
    // Always fits (each index is free in one place only) unless the ring is broken.
    if (!packetRing_.enqueue(packet, opLog(s))) return overfull(packetRing_);
    notifyFreed();
  } else {
    w[slot::kCacheU32 + count] = packet;
    storeRelaxed(w + slot::kCacheCountU32, count + 1);
  }
  addRelaxed(slotCounters(s) + slot::kDeallocationsF64, 1);
  return Status::ok();
}

uint32_t Pool::allocateBurst(uint32_t s, uint32_t* out, uint32_t n) {
  if (broken()) return 0;
  CoreOpMark mark(*this, s);
  // `out` may be memory that another thread rewrites while we run (a Uint32Array over a
  // SharedArrayBuffer): every index is checked and initialised from our own copy and only then
  // written to `out`, never read back from it.
  // An index outside the pool can only come from someone overwriting the ring or the cache
  // through a memory map; it is dropped rather than used to write outside the metadata table.
  uint32_t* w = slotWords(s);
  const uint32_t tag = tagOf(s), packetCount = layout_.packetCount;
  uint32_t got = 0;
  // The thread's cache first (free packets parked there are as free as those in the ring), then
  // the ring for the rest, a stage at a time.
  uint32_t cached = cacheCount(s);
  uint32_t fromCache = cached < n ? cached : n;
  for (uint32_t i = 0; i < fromCache; ++i) {
    uint32_t p = w[slot::kCacheU32 + cached - 1 - i];
    if (p >= packetCount) continue;
    initPacket(p, tag);
    storeRelaxed(out + got++, p);
  }
  storeRelaxed(w + slot::kCacheCountU32, cached - fromCache);
  uint32_t stage[kStageEntries];
  bool fromRing = false;
  for (uint32_t want = n - fromCache; want > 0;) {
    uint32_t ask = want < kStageEntries ? want : kStageEntries;
    uint32_t taken = packetRing_.dequeueMany(stage, ask, Ring::Mode::Burst, opLog(s));
    fromRing |= taken != 0;
    for (uint32_t i = 0; i < taken; ++i) {
      uint32_t p = stage[i];
      if (p >= packetCount) continue;
      initPacket(p, tag);
      storeRelaxed(out + got++, p);
    }
    if (taken < ask) break;
    want -= taken;
  }
  if (fromRing) notePeak();
  double* c = slotCounters(s);
  addRelaxed(c + slot::kAllocationsF64, got);
  if (got < n) addRelaxed(c + slot::kFailedAllocationsF64, n - got);
  return got;
}

Status Pool::deallocateBulk(uint32_t s, const uint32_t* packets, uint32_t n) {
  if (broken()) return brokenStatus();
  CoreOpMark mark(*this, s);
  // `packets` may be memory that another thread rewrites while we run (a Uint32Array over a
  // SharedArrayBuffer): each entry is read exactly once, into `taken`, and only that copy is used
  // afterwards, so a range check, the ownership change, the undo and the ring write all see the
  // same index.
  // A batch that succeeds lists each packet at most once, so a longer one than packetCount fails
  // by entry packetCount at the latest (the repeated packet is found free): that is the most
  // entries ever copied, whatever count the caller passes.
  const uint32_t packetCount = layout_.packetCount;
  const uint32_t bound = n <= packetCount ? n : packetCount + 1;
  Scratch scratch(size_t(bound) * 2);
  if (scratch.get() == nullptr)
    return Status::fail(IOReturn::NoMemory, "no memory to stage a batch of " + str(bound) + " indices");
  uint32_t* taken = scratch.get();
  uint32_t* previousOwner = taken + bound;
  const uint32_t myTag = tagOf(s);
  Refusal why = Refusal::None;
  uint32_t done = 0;
  for (; done < bound; ++done) {
    // The one read of this entry. Atomic (relaxed) so that it is one read at the language level
    // too: a plain load of memory the compiler thinks nobody else writes may be repeated.
    const uint32_t p = loadRelaxed(packets + done);
    taken[done] = p;
    if (p >= packetCount) {
      why = Refusal::OutOfRange;
      break;
    }
    why = releaseOwnership(metaOf(p) + meta::kState, myTag, previousOwner[done]);
    if (why != Refusal::None) break;
  }
  if (why != Refusal::None) {
    // All or nothing: give back ownership of what we already marked free. Nobody else can have
    // taken those packets: they are in no ring or cache yet.
    for (uint32_t i = 0; i < done; ++i) storeRelaxed(metaOf(taken[i]) + meta::kState, previousOwner[i]);
    Status st = refusalStatus(why, taken[done], packetCount);
    st.message = "packets[" + str(done) + "]: " + st.message;
    return st;
  }
  // Here bound == n: a longer batch cannot get through the loop (see above).
  for (uint32_t i = 0; i < n; ++i) freeChain(taken[i]);
  // Into the thread's cache when the whole batch fits and nobody is waiting (the next batch
  // allocation takes them back without touching the ring), else into the shared ring.
  uint32_t* w = slotWords(s);
  uint32_t cached = cacheCount(s);
  if (cached + n <= layout_.cacheSize && header()->waiters.load(std::memory_order_relaxed) == 0) {
    for (uint32_t i = 0; i < n; ++i) w[slot::kCacheU32 + cached + i] = taken[i];
    storeRelaxed(w + slot::kCacheCountU32, cached + n);
  } else {
    if (packetRing_.enqueueMany(taken, n, Ring::Mode::Bulk, opLog(s)) != n) return overfull(packetRing_);
    notifyFreed();
  }
  addRelaxed(slotCounters(s) + slot::kDeallocationsF64, n);
  return Status::ok();
}

Status Pool::claimPacket(uint32_t s, uint32_t packet) {
  if (broken()) return brokenStatus();
  if (packet >= layout_.packetCount) return refusalStatus(Refusal::OutOfRange, packet, layout_.packetCount);
  uint32_t* state = metaOf(packet) + meta::kState;
  uint32_t myTag = tagOf(s);
  uint32_t owner = loadRelaxed(state);
  // Each failed CAS means the word changed under us; a handful of legitimate changes (a free, a
  // claim) end in a refusal or success, so only a peer scribbling the word keeps this looping.
  for (unsigned attempt = 0; attempt < kClaimAttempts; ++attempt) {
    if ((owner & meta::kStateTagMask) == myTag) return Status::ok();
    Refusal why = mayTouch(owner, myTag);
    if (why != Refusal::None) return refusalStatus(why, packet, layout_.packetCount);
    // acq_rel: acquire the sender's writes to the packet (it published before handing the index
    // over). The new owner holds it unpublished: the sender may no longer touch it.
    if (casAcqRel(state, owner, myTag)) return Status::ok();
  }
  return refusalStatus(Refusal::Raced, packet, layout_.packetCount);
}

void Pool::publish(uint32_t s, uint32_t packet) {
  if (packet >= layout_.packetCount) return;
  uint32_t* state = metaOf(packet) + meta::kState;
  uint32_t myTag = tagOf(s);
  // relaxed check-and-store: only the owner writes an unpublished packet's state. Another thread
  // learns the index through some release/acquire pair of the caller's (a ring, postMessage),
  // which also orders this store before its CAS.
  if (loadRelaxed(state) == myTag) storeRelaxed(state, myTag | meta::kStatePublished);
}

Status Pool::addBuffer(uint32_t packet, uint32_t& bufferIndexOut, uint32_t callerSlot) {
  if (broken()) return brokenStatus();
  CoreOpMark mark(*this, callerSlot);
  Status st = checkIndex(packet);
  if (!st.isOk()) return st;
  uint32_t* m = metaOf(packet);
  if (loadRelaxed(m + meta::kState) == 0)
    return Status::fail(IOReturn::NotPermitted, "packet " + str(packet) + " is not allocated");
  uint32_t count = m[meta::kBufferCount];
  if (count == 0) count = 1;  // JS wrote junk: the packet's own buffer is always there
  if (count >= layout_.maxBuffersPerPacket)
    return Status::fail(IOReturn::Overrun,
                        "packet " + str(packet) + " already has " + str(count) + " buffers (maxBuffersPerPacket)");
  do {
    if (!bufferRing_.dequeue(bufferIndexOut))
      return broken() ? brokenStatus() : Status::fail(IOReturn::NoResources, "no free extra buffer");
    // Only a chain table overwritten through a memory map can put a foreign index in the ring.
  } while (bufferIndexOut < layout_.packetCount || bufferIndexOut >= layout_.bufferCount);
  chainOf(packet)[count - 1] = bufferIndexOut;
  m[meta::kBufferCount] = count + 1;
  return Status::ok();
}

}  // namespace pbp

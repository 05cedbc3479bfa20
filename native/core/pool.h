// The packet buffer pool over one region: packets (each with its own first buffer), extra buffers
// for chains, a metadata record per packet, per-thread slots (cache of free indices + counters)
// and two lock-free rings of free indices.
//
// Ownership protocol (what makes double frees detectable without an atomic read-modify-write on
// the hot path): a packet's meta::kState is 0 while it is free (in a ring or in some thread's
// cache) and the owner slot's tag while it is held. An index in a ring or cache belongs to
// nobody, so the thread that takes it may mark it held with a plain store; its owner may free it
// with a plain check-and-store. Only a thread that is not the owner (cross-thread free, newPacket
// taking a packet over, reclaim of a dead thread's packets) changes kState with a CAS.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "asymmetric_fence.h"
#include "atomic_word.h"
#include "layout.h"
#include "packet_queue.h"
#include "region.h"
#include "ring.h"

namespace pbp {

struct PoolStats {
  uint64_t allocations = 0;
  uint64_t deallocations = 0;
  uint64_t failedAllocations = 0;
  uint64_t reclaimed = 0;  // packets returned by reclaim() on behalf of dead threads
  uint32_t inUse = 0;      // held by someone (packetCount - free)
  uint32_t cached = 0;     // free, parked in thread caches
  uint32_t freeInRing = 0;
  uint32_t highWaterMark = 0;  // peak packets outside the free ring (in use + cached)
  uint32_t liveThreads = 0;
  uint32_t deadThreads = 0;      // released with packets still out, waiting for reclaim()
  uint32_t orphanedPackets = 0;  // packets held by dead threads
  uint32_t queued = 0;           // packets inside packet queues (counted in inUse)
};

class Pool {
 public:
  static Status create(const PoolOptions& options, std::shared_ptr<Pool>& out);
  // Maps a shared pool created by another process from its memfd. With expectedIdentity
  // nonzero, refuses (kIOReturnNotAttached) a pool whose identity() differs: the handle that
  // named the fd was made for another pool.
  static Status attachFd(int fd, std::shared_ptr<Pool>& out, uint64_t expectedIdentity = 0);

  // Users in this process (thread attachments, memory descriptors). When the last one lets go
  // the pool retires: its pages and lock are released (Region::releasePages) even if V8 still
  // holds ArrayBuffers over the range, and no one can attach to it again.
  bool acquireUser();  // false once retired
  void releaseUser();

  const Layout& layout() const { return layout_; }
  uint8_t* base() const { return region_->base(); }
  uint64_t bytes() const { return layout_.totalBytes; }
  int fd() const { return region_->fd(); }
  std::string name() const { return header()->name; }
  uint32_t poolFlags() const { return header()->poolFlags; }
  // The random id the creator wrote in the header (RegionHeader::identity); read once when this
  // process mapped the pool, so a peer rewriting the header cannot change what we answer.
  uint64_t identity() const { return identity_; }

  uint32_t* metaOf(uint32_t packet) const {
    return reinterpret_cast<uint32_t*>(base() + layout_.metaOffset) + size_t(packet) * meta::kWords;
  }
  uint8_t* bufferAt(uint32_t bufferIndex) const {
    return base() + layout_.buffersOffset + size_t(bufferIndex) * layout_.bufferStride;
  }
  uint32_t* chainOf(uint32_t packet) const {
    return reinterpret_cast<uint32_t*>(base() + layout_.chainOffset) + size_t(packet) * layout_.chainSlotsPerPacket();
  }
  uint32_t* slotWords(uint32_t s) const {
    return reinterpret_cast<uint32_t*>(base() + layout_.slotsOffset + size_t(s) * layout_.slotBytes);
  }
  double* slotCounters(uint32_t s) const { return reinterpret_cast<double*>(slotWords(s)); }
  uint32_t tagOf(uint32_t s) const { return loadRelaxed(slotWords(s) + slot::kTag); }

  // Thread slots. threadId is the Node worker threadId (informational, used by reclaim()).
  Status claimSlot(uint32_t threadId, uint32_t& slotOut);
  // The thread is done: its cached indices go back to the ring; if packets tagged with it are
  // still out, the slot stays Dead (visible in stats) until reclaim() returns them.
  void releaseSlot(uint32_t s);
  // Returns the packets held by dead slots of `threadId` (or of every dead slot when threadId is
  // kAnyThread), and the cached and held packets of slots whose process died without releasing
  // them. Refuses a thread of this process that is still attached.
  static constexpr uint32_t kAnyThread = 0xFFFFFFFF;
  // callerSlot: the caller's own slot, marked while it moves packets (CoreOpMark); kNoSlot for a
  // caller without one (a test, a monitor), whose own death mid-call then goes unnoticed.
  static constexpr uint32_t kNoSlot = 0xFFFFFFFF;
  // The ring ids in operation logs (Ring::setDeadPeerCheck, Ring::reservedMark).
  static constexpr uint32_t kPacketRingId = 0;
  static constexpr uint32_t kBufferRingId = 1;
  Status reclaim(uint32_t threadId, uint32_t& reclaimedOut, uint32_t callerSlot = kNoSlot);

  // Per-thread cache, the same algorithm the JS hot path runs: refill moves up to half a cache
  // from the ring; flush moves everything above `keep` back. Both return the new cache count.
  uint32_t refillCache(uint32_t s);
  uint32_t flushCache(uint32_t s, uint32_t keep);

  // One packet, through the slot's cache (or straight to the ring when cacheSize is 0).
  bool allocateOne(uint32_t s, uint32_t& packet);
  Status deallocateOne(uint32_t s, uint32_t packet);
  // Batches: allocate takes what is there up to n (cache first, then ring); deallocate validates
  // every index first and frees all of them or none (into the cache if the batch fits, else the
  // ring).
  uint32_t allocateBurst(uint32_t s, uint32_t* out, uint32_t n);
  Status deallocateBulk(uint32_t s, const uint32_t* packets, uint32_t n);

  // newPacket({ fPacketIndex }): the calling thread takes over a packet another thread published;
  // NotPermitted for a free packet or one its holder has not published.
  Status claimPacket(uint32_t s, uint32_t packet);
  // handOver() / publishPacketIndices(): the owner marks its packet as handed over, so other
  // threads may claim or free it from now on. No-op for a packet this thread does not hold
  // unpublished.
  void publish(uint32_t s, uint32_t packet);
  // Chains one extra buffer to a held packet. NoResources: none free; Overrun: chain is full.
  Status addBuffer(uint32_t packet, uint32_t& bufferIndexOut, uint32_t callerSlot = kNoSlot);

  // Waiting for a free packet (allocatePacketAsync). A waiter registers, then loops: read the
  // sequence, check the ring, sleep until the sequence changes. Deallocations that see a waiter
  // put packets straight into the ring (not a thread cache) and bump the sequence.
  void addWaiter();
  void removeWaiter();
  // Whether freers may fence lightly (asymmetric_fence.h): this process is registered for
  // membarrier(2) and no process mapping the pool is without it. useSymmetricFences() turns
  // that off for every process mapping the pool, for good (what a process without membarrier
  // does when it maps the pool).
  bool asymmetricFences() const {
    // relaxed: see asymmetric_fence.h for the one window a late look at the word leaves.
    return fences::registered.load(std::memory_order_relaxed) &&
           header()->symmetricFences.load(std::memory_order_relaxed) == 0;
  }
  void useSymmetricFences();
  uint32_t freeSequence() const { return __atomic_load_n(&header()->freeSequence, __ATOMIC_ACQUIRE); }
  void sleepUntilFreed(uint32_t seenSequence, uint32_t timeoutMs);
  void wakeWaiters();  // also used to interrupt a sleeper that should stop
  uint32_t freeInRing() const { return packetRing_.count(); }
  // Word index (uint32) of the waiter count in the region, for the JS hot path.
  static uint32_t waitersWordIndex() { return uint32_t(offsetof(RegionHeader, waiters) / 4); }

  // Packet queues (packet_queue.h), by id 0..maxQueues-1. create: ExclusiveAccess if the id is
  // in use; the capacity is rounded up to a power of two. open: NotFound if there is none.
  // destroy: returns the packets still queued to the pool (counted in `returned`).
  Status createQueue(QueueKind kind, uint32_t id, uint32_t capacity, PacketQueue& out);
  Status openQueue(uint32_t id, PacketQueue& out) const;
  Status destroyQueue(uint32_t id, uint32_t& returned, uint32_t callerSlot = kNoSlot);
  // Binds the producer or consumer end of a queue to slot `s` (one thread per end, as SPSC
  // needs). ExclusiveAccess if a live thread holds it; an end whose holder died is taken over.
  Status acquireQueueEnd(const PacketQueue& q, bool producer, uint32_t s);
  void releaseQueueEnd(const PacketQueue& q, bool producer, uint32_t s);  // if `s` holds it
  void releaseQueueEnds(uint32_t s);                                      // every end `s` holds
  // The thread with `tag` is gone: undoes its interrupted enqueues (PacketQueue::repairEnqueue)
  // on the queues whose producer end it held, returning those packets to the pool.
  uint32_t repairQueuesOf(uint32_t tag);
  uint32_t queuedPackets() const;  // packets inside queues (part of inUse)
  uint32_t* addressOf(uint32_t packet) const {
    return reinterpret_cast<uint32_t*>(base() + layout_.addressesOffset) + size_t(packet) * address::kWords;
  }

  // The pool is unusable for good: one of its rings found its shared counters in a state no
  // correct sequence of operations produces (a peer overwrote them, or died or stopped between
  // reserving and completing a ring operation; see ring.h). Every call that needs the rings then
  // answers kIOReturnIOError (brokenStatus()); releasing slots and the pool still works.
  bool broken() const { return packetRing_.broken() != Ring::kNotBroken || bufferRing_.broken() != Ring::kNotBroken; }
  Status brokenStatus() const;
  // An enqueue that must fit (each index is free in one place only, and rings hold them all)
  // did not: the ring is broken whether or not it noticed itself. Returns brokenStatus().
  Status overfull(Ring& ring);
  // Process-local: how long a ring operation waits for a peer's reservation before declaring the
  // pool broken (Ring::kDefaultWaitLimitNs); tests shorten it.
  void setRingWaitLimitNs(uint64_t ns) {
    packetRing_.setWaitLimitNs(ns);
    bufferRing_.setWaitLimitNs(ns);
  }

  PoolStats stats() const;
  uint32_t freePacketCount() const;
  uint32_t freeBufferCount() const { return bufferRing_.count(); }

 private:
  // Marks slot `s` (slot::kCoreOpU32) for the lifetime of a core operation that moves free
  // packets between the thread's hands and a shared ring (or buffers between a chain and the
  // buffer ring). Those steps are not ordered for repair the way the JS hot path's stores are: a
  // packet between a ring and a cache is in neither. Threads cannot die inside native code
  // otherwise (worker.terminate() stops JavaScript only), so only process death matters here:
  // - where the ring logs a reservation (Ring::reservedMark, from the entries' copy to the tail
  //   store, where a process spends any time it waits for a peer), the operation is finished for
  //   the dead (settleDeadPeers), and its remaining steps are ones reclaim() repairs;
  // - anywhere else inside the mark, the pool breaks (Ring::kPeerDied, found by reclaim() or at
  //   once by a ring waiter) instead of silently losing or duplicating packets.
  // A process that dies outside the mark is repaired exactly by reclaim().
  //
  // Nesting restores the outer value. Stores are relaxed with compiler-only fences: the mark is
  // read only about a process that is gone, whose executed stores have all reached memory by the
  // time kill(pid, 0) says ESRCH; what must hold is program order in the emitted code, so that no
  // step of the operation is moved outside the marked stretch.
  class CoreOpMark {
   public:
    CoreOpMark(const Pool& pool, uint32_t s)
        : word_(s < pool.layout_.maxThreads ? pool.slotWords(s) + slot::kCoreOpU32 : &unmarked_) {
      outer_ = loadRelaxed(word_);
      storeRelaxed(word_, Ring::kMarkInOp);
      std::atomic_signal_fence(std::memory_order_seq_cst);
    }
    ~CoreOpMark() {
      std::atomic_signal_fence(std::memory_order_seq_cst);
      storeRelaxed(word_, outer_);
    }
    CoreOpMark(const CoreOpMark&) = delete;
    CoreOpMark& operator=(const CoreOpMark&) = delete;

   private:
    uint32_t unmarked_ = 0;  // kNoSlot: a word nobody reads
    uint32_t* word_;
    uint32_t outer_;
  };
  uint32_t* opLog(uint32_t s) const { return slotWords(s) + slot::kCoreOpU32; }
  // Ring::DeadPeerCheck for both rings: settleDeadPeers.
  static int deadPeerCheck(void* pool, uint32_t ringId, bool producer) {
    return static_cast<Pool*>(pool)->settleDeadPeers(ringId, producer);
  }
  // Finishes, on side `producer` of ring `ringId`, every reservation a dead process logged that
  // is next in line (its tail reached it). Ring::kDeadPeerLost if some dead process was inside a
  // core operation where nothing can be redone; kRecovered if a tail moved.
  int settleDeadPeers(uint32_t ringId, bool producer);
  int settleReservation(Ring& ring, bool producer, uint32_t* log);
  // reclaim() of a slot whose process died with its mark up: waits (bounded) until its logged
  // reservation is settled. False: the pool is broken.
  bool settleMarkOf(uint32_t s);

  Pool(std::unique_ptr<Region> region, const Layout& layout);
  void bindRings();
  RegionHeader* header() const { return reinterpret_cast<RegionHeader*>(base()); }
  void initPacket(uint32_t packet, uint32_t tag);
  // Empties a slot whose thread may have stopped mid-operation: its free cache entries are tagged
  // with the slot's tag and moved to the front of the cache (their number is returned), the rest
  // dropped. See the comment in pool.cpp.
  uint32_t adoptCache(uint32_t s);
  void freeChain(uint32_t packet);
  // Packets whose state is `tag`, counting up to stopAt (1 = "does it hold any?").
  uint32_t packetsHeldBy(uint32_t tag, uint32_t stopAt) const;
  void notePeak();
  void notifyFreed();                                    // after packets reach the ring: wakes waiters if there are any
  bool slotOwnerGone(uint32_t s) const;                  // its process died without releasing the slot
  bool tagIsLive(uint32_t tag) const;                    // a live slot (whose process is alive) has this tag
  void freeToRing(const uint32_t* packets, uint32_t n);  // free packets (state 0) back to the ring
  uint32_t repairOne(const PacketQueue& q);              // PacketQueue::repairEnqueue, freed to the ring
  void retireCounters(uint32_t s);                       // folds a slot's counters into the header totals
  // The slot's cache count, clamped: JS writes it, and a caller scribbling on the region through
  // a memory map must not make the core index outside the cache.
  uint32_t cacheCount(uint32_t s) const {
    uint32_t n = loadRelaxed(slotWords(s) + slot::kCacheCountU32);
    return n > layout_.cacheSize ? layout_.cacheSize : n;
  }
  Status checkIndex(uint32_t packet) const;

  std::unique_ptr<Region> region_;
  Layout layout_;
  uint64_t identity_ = 0;
  mutable std::mutex usersMutex_;
  uint32_t users_ = 0;    // guarded by usersMutex_
  bool retired_ = false;  // guarded by usersMutex_
  Ring packetRing_;
  Ring bufferRing_;
};

}  // namespace pbp

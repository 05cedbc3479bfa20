#include "pool.h"

#include "futex.h"

#include <signal.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <ctime>

#include <cerrno>
#include <cstring>
#include <new>

namespace pbp {
namespace {

std::string str(uint64_t v) { return std::to_string(v); }

std::string hex(uint64_t v) {
  char buf[20];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// A pool's identity: 64 random bits, never 0 (0 means "no identity to check"). Uniqueness is all
// it needs, not secrecy: it tells pools apart, it does not authorize anyone.
uint64_t randomIdentity() {
  uint64_t id = 0;
#if defined(__linux__)
  if (getrandom(&id, sizeof id, GRND_NONBLOCK) != ssize_t(sizeof id)) id = 0;
#else
  arc4random_buf(&id, sizeof id);
#endif
  if (id == 0) {
    // No entropy available this early in boot: fall back to what differs between pools anyway.
    static std::atomic<uint64_t> counter{0};
    id = (uint64_t(getpid()) << 32) ^ uint64_t(time(nullptr)) ^
         (counter.fetch_add(1, std::memory_order_relaxed) * 0x9E3779B97F4A7C15ull);
  }
  return id == 0 ? 1 : id;
}

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

// Fills a fresh ring with the indices [first, end), a stage at a time.
void enqueueRange(Ring& ring, uint32_t first, uint32_t end) {
  uint32_t stage[kStageEntries];
  while (first < end) {
    uint32_t n = end - first < kStageEntries ? end - first : kStageEntries;
    for (uint32_t i = 0; i < n; ++i) stage[i] = first + i;
    ring.enqueueMany(stage, n, Ring::Mode::Bulk);
    first += n;
  }
}

// Slot counters are float64s that JS writes; anything can be stored there through a memory map,
// and converting NaN, a negative or a huge double to an integer is undefined behaviour.
uint64_t counterValue(double v) { return v >= 0 && v < 18446744073709551616.0 ? uint64_t(v) : 0; }

}  // namespace

Pool::Pool(std::unique_ptr<Region> region, const Layout& layout)
    : region_(std::move(region)), layout_(layout) {}

bool Pool::acquireUser() {
  std::lock_guard<std::mutex> lock(usersMutex_);
  if (retired_) return false;
  ++users_;
  return true;
}

void Pool::releaseUser() {
  std::lock_guard<std::mutex> lock(usersMutex_);
  if (users_ == 0 || --users_ > 0) return;
  retired_ = true;
  region_->releasePages();
}

void Pool::bindRings() {
  packetRing_ = Ring::attach(base() + layout_.packetRingOffset, layout_.packetRingCapacity);
  bufferRing_ = Ring::attach(base() + layout_.bufferRingOffset, layout_.bufferRingCapacity);
  packetRing_.setDeadPeerCheck(&Pool::deadPeerCheck, this, kPacketRingId);
  bufferRing_.setDeadPeerCheck(&Pool::deadPeerCheck, this, kBufferRingId);
}

Status Pool::create(const PoolOptions& options, std::shared_ptr<Pool>& out) {
  Layout layout;
  Status s = Layout::compute(options, layout);
  if (!s.isOk()) return s;
  std::unique_ptr<Region> region;
  s = Region::create(layout.totalBytes, options.shared,
                     (options.poolFlags & kPoolFlagPersistentMemory) != 0, region);
  if (!s.isOk()) return s;

  // Fresh mappings are zero-filled: every packet starts free, every slot free.
  std::shared_ptr<Pool> pool(new Pool(std::move(region), layout));
  auto* h = new (pool->base()) RegionHeader();
  h->version = kLayoutVersion;
  h->poolFlags = options.poolFlags;
  h->identity = pool->identity_ = randomIdentity();
  h->layout = layout;
  std::memcpy(h->name, options.name.data(), options.name.size());
  h->name[options.name.size()] = '\0';
  h->nextTag.store(1, std::memory_order_relaxed);

  Ring packets = Ring::create(pool->base() + layout.packetRingOffset, layout.packetRingCapacity);
  Ring buffers = Ring::create(pool->base() + layout.bufferRingOffset, layout.bufferRingCapacity);
  enqueueRange(packets, 0, layout.packetCount);
  enqueueRange(buffers, layout.packetCount, layout.bufferCount);
  for (uint32_t p = 0; p < layout.packetCount; ++p) pool->metaOf(p)[meta::kBufferCount] = 1;

  // release: another process attaching checks the magic last; everything above must be visible
  // to it before the magic is.
  __atomic_store_n(&h->magic, kRegionMagic, __ATOMIC_RELEASE);
  pool->bindRings();
  out = std::move(pool);
  return Status::ok();
}

Status Pool::attachFd(int fd, std::shared_ptr<Pool>& out, uint64_t expectedIdentity) {
  std::unique_ptr<Region> region;
  Status s = Region::mapFd(fd, region);
  if (!s.isOk()) return s;
  if (region->size() < sizeof(RegionHeader))
    return Status::fail(IOReturn::BadArgument, "fd " + str(fd) + " is too small to be a pool");
  auto* h = reinterpret_cast<RegionHeader*>(region->base());
  // acquire: pairs with the release store of the magic in create().
  if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != kRegionMagic)
    return Status::fail(IOReturn::BadArgument, "fd " + str(fd) + " is not a packet-buffer-pool");
  Layout layout;
  s = Layout::fromHeader(*h, region->size(), layout);
  if (!s.isOk()) return s;
  uint64_t identity = h->identity;
  if (expectedIdentity != 0 && identity != expectedIdentity)
    return Status::fail(IOReturn::NotAttached,
                        "fd " + str(fd) + " is pool " + hex(identity) + ", not the pool " +
                            hex(expectedIdentity) +
                            " the handle was made for (released, and its fd number reused?)");
  std::shared_ptr<Pool> pool(new Pool(std::move(region), layout));
  pool->identity_ = identity;
  pool->bindRings();
  out = std::move(pool);
  return Status::ok();
}

Status Pool::checkIndex(uint32_t packet) const {
  if (packet >= layout_.packetCount)
    return Status::fail(IOReturn::BadArgument, "packet index " + str(packet) +
                                                   " is out of range (packetCount " +
                                                   str(layout_.packetCount) + ")");
  return Status::ok();
}

Status Pool::brokenStatus() const {
  uint32_t why = packetRing_.broken();
  const char* ring = "free-packet";
  if (why == Ring::kNotBroken) {
    why = bufferRing_.broken();
    ring = "free-buffer";
  }
  return Status::fail(IOReturn::IOError, std::string("the pool is broken (its ") + ring + " ring: " +
                                             Ring::brokenText(why) + "); release it");
}

Status Pool::overfull(Ring& ring) {
  ring.markBroken(Ring::kOverfull);
  return brokenStatus();
}

Status Pool::claimSlot(uint32_t threadId, uint32_t& slotOut) {
  auto take = [&](uint32_t s) {
    uint32_t* w = slotWords(s);
    // relaxed: tags only need to be unique, not ordered.
    // The top bit of a packet's state is meta::kStatePublished, so tags live in 31 bits; 0 means
    // free and is skipped when the counter wraps.
    uint32_t tag = 0;
    // meta::kStateQueued is reserved for packets inside a queue.
    while (tag == 0 || tag == meta::kStateQueued) tag = header()->nextTag.fetch_add(1, std::memory_order_relaxed) & meta::kStateTagMask;
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
  h->retiredAllocations.fetch_add(counterValue(loadRelaxed(c + slot::kAllocationsF64)),
                                  std::memory_order_relaxed);
  h->retiredDeallocations.fetch_add(counterValue(loadRelaxed(c + slot::kDeallocationsF64)),
                                    std::memory_order_relaxed);
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
        return Status::fail(IOReturn::NotPermitted,
                            "thread " + str(threadId) + " is still attached to the pool");
    }
  }
  for (uint32_t s = 0; s < layout_.maxThreads; ++s) {
    uint32_t* w = slotWords(s);
    // Thread ids restart in every process: a specific one names a thread of this process.
    if (threadId != kAnyThread && (loadRelaxed(w + slot::kThreadId) != threadId ||
                                   loadRelaxed(w + slot::kPid) != uint32_t(getpid())))
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
    return Status::fail(IOReturn::NotFound,
                        "no exited thread " + str(threadId) + " holds packets of this pool");
  return Status::ok();
}

// A dead process's logged reservation (ring.h, the operation log) is finished by whoever finds
// it next in line: a producer's entries are in the ring already, so moving the tail publishes
// them; a consumer's entries are still in the ring's slots (no producer overwrites them before
// the tail passes), so they are read, the tail moved past them, and enqueued again, free. Either
// way the dead operation is left as if the ring call had returned, and the rest of it is what
// reclaim() repairs exactly (see CoreOpMark for which calls log). The recoverer runs inside a
// marked operation itself, so its own death here breaks the pool rather than leaving half a
// recovery.
int Pool::settleDeadPeers(uint32_t ringId, bool producer) {
  Ring& ring = ringId == kPacketRingId ? packetRing_ : bufferRing_;
  int result = Ring::kNoDeadPeer;
  for (bool again = true; again;) {
    again = false;
    for (uint32_t s = 0; s < layout_.maxThreads; ++s) {
      uint32_t* log = opLog(s);
      if (loadRelaxed(log) == 0 || loadRelaxed(slotWords(s) + slot::kState) != slot::kLive || !slotOwnerGone(s))
        continue;
      // acquire: the process is gone (reaped), so every store it made is in memory; this orders
      // our reads of its log and of the ring entries it wrote after that observation.
      std::atomic_thread_fence(std::memory_order_acquire);
      uint32_t markRing;
      bool markProducer;
      if (!Ring::decodeReservedMark(loadRelaxed(log), kBufferRingId, markRing, markProducer))
        return Ring::kDeadPeerLost;  // inside a core operation, not in a logged reservation
      if (markRing != ringId || markProducer != producer) continue;  // that side settles it
      int settled = settleReservation(ring, producer, log);
      if (settled == Ring::kDeadPeerLost) return settled;
      if (settled == Ring::kRecovered) result = again = true;
    }
  }
  return result;
}

// Largest reservation a logged call makes: a cache refill of half the largest cache, or a stage.
constexpr uint32_t kMaxLoggedReservation = kMaxCacheSize / 2 > kStageEntries ? kMaxCacheSize / 2 : kStageEntries;

int Pool::settleReservation(Ring& ring, bool producer, uint32_t* log) {
  const uint32_t first = loadRelaxed(log + 1), n = loadRelaxed(log + 2);
  if (n == 0 || n > kMaxLoggedReservation || n > ring.capacity()) return Ring::kDeadPeerLost;  // not a real log
  const uint32_t tail = ring.tail(producer);
  const uint32_t past = tail - first;  // how far the tail is beyond the reservation's start
  if (past != 0) {
    // Not reached yet: an earlier reservation is still open; its owner (or this settling, for a
    // dead owner) finishes it first.
    if (first - tail <= ring.capacity()) return Ring::kNoDeadPeer;
    // Passed: the dead process stored its tail and died before taking its mark down, or a
    // recoverer did it and died before clearing the log. A producer had nothing left to do; a
    // consumer's entries were gone from the ring before they reached its cache.
    if (past >= n && past <= ring.capacity() && producer) {
      storeRelaxed(log, 0);
      return Ring::kNoDeadPeer;
    }
    return Ring::kDeadPeerLost;
  }
  if (producer) {
    if (!ring.completeReservation(true, first, n)) return Ring::kNoDeadPeer;  // someone else did
    storeRelaxed(log, 0);
    return Ring::kRecovered;
  }
  // A consumer: its entries were published (the producer tail is at least `n` past them), unless
  // the log is junk.
  if (ring.tail(true) - first < n) return Ring::kDeadPeerLost;
  uint32_t entries[kMaxLoggedReservation];
  for (uint32_t i = 0; i < n; ++i) entries[i] = ring.entryAt(first + i);
  if (!ring.completeReservation(false, first, n)) return Ring::kNoDeadPeer;  // someone else did
  storeRelaxed(log, 0);
  // Always fits: these entries have just left the ring.
  if (ring.enqueueMany(entries, n, Ring::Mode::Bulk) != n) {
    overfull(ring);
    return Ring::kDeadPeerLost;
  }
  notifyFreed();
  return Ring::kRecovered;
}

bool Pool::settleMarkOf(uint32_t s) {
  uint32_t* log = opLog(s);
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    uint32_t mark = loadRelaxed(log);
    if (mark == 0) return true;
    uint32_t ringId;
    bool producer;
    if (!Ring::decodeReservedMark(mark, kBufferRingId, ringId, producer)) return false;
    if (settleDeadPeers(ringId, producer) == Ring::kDeadPeerLost) return false;
    if (loadRelaxed(log) == 0) return true;
    // An earlier reservation of a live thread is still open: it ends within a scheduling delay.
    if (std::chrono::steady_clock::now() - start > std::chrono::nanoseconds(packetRing_.waitLimitNs())) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

void Pool::notePeak() {
  uint32_t out = layout_.packetCount - packetRing_.count();
  auto& peak = header()->outOfRingPeak;
  // relaxed: a statistic; the CAS loop only keeps the maximum.
  uint32_t seen = peak.load(std::memory_order_relaxed);
  // Bounded: only a peer rewriting the word could keep the CAS failing, and a statistic is not
  // worth a hang.
  for (unsigned attempt = 0; attempt < kClaimAttempts && out > seen; ++attempt)
    if (peak.compare_exchange_weak(seen, out, std::memory_order_relaxed)) break;
}

void Pool::notifyFreed() {
  // seq_cst fence: orders our ring enqueue (the release store of prod.tail) before the load of
  // `waiters` below. addWaiter() has the mirror fence between its increment and its look at the
  // ring, so at least one side sees the other: the waiter finds our packet, or we wake it.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (header()->waiters.load(std::memory_order_relaxed) == 0) return;
  wakeWaiters();
}

void Pool::wakeWaiters() {
  // release: a woken waiter that acquires the new sequence also sees the ring update before it.
  __atomic_fetch_add(&header()->freeSequence, 1, __ATOMIC_RELEASE);
  futexWakeAll(&header()->freeSequence);
}

void Pool::addWaiter() {
  header()->waiters.fetch_add(1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // see notifyFreed()
}

void Pool::removeWaiter() { header()->waiters.fetch_sub(1, std::memory_order_relaxed); }

void Pool::sleepUntilFreed(uint32_t seenSequence, uint32_t timeoutMs) {
  futexWait(&header()->freeSequence, seenSequence, timeoutMs);
}

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

// Interruption safety: lib/pool.ts (and allocateOne) mark a packet held before dropping it from
// the cache, and put a packet in the cache before marking it free, so a thread stopped anywhere
// leaves each of its packets either held (its tag) or as a cache entry within the count, free
// (state 0), or both: held and still counted. Taking the free entries over with a CAS 0 -> tag
// keeps exactly the packets that are free and only here; an entry whose packet is held (by this
// slot, or by a thread it went to since) is dropped, and so is a second copy of an index or one
// out of range (only a scribbled region has those).
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

// The same words the JS hot path (lib/pool.ts allocatePacket) writes: the optional fields
// (timestamp, VLAN, checksum, service class, completion status, trace id) read as absent unless
// their flag is set, so clearing kFlags resets them all.
void Pool::initPacket(uint32_t packet, uint32_t tag) {
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
  // Held before it leaves the cache, as in lib/pool.ts: see adoptCache.
  if (layout_.cacheSize != 0) storeRelaxed(w + slot::kCacheCountU32, count - 1);
  if (!valid) {
    addRelaxed(c + slot::kFailedAllocationsF64, 1);
    return false;
  }
  addRelaxed(c + slot::kAllocationsF64, 1);
  return true;
}

// Why the calling thread may not free or take over a packet. Decided without allocating, so a
// batch can undo what it already marked before any message (a std::string) is built.
enum class Refusal { None, OutOfRange, NotAllocated, NotHandedOver, Raced };

// A free packet, or one another thread holds and has not published (meta::kStatePublished): its
// owner frees it with a plain store, so a second writer could make two frees succeed.
static Refusal mayTouch(uint32_t owner, uint32_t myTag) {
  if (owner == 0) return Refusal::NotAllocated;
  if ((owner & meta::kStatePublished) == 0 && owner != myTag) return Refusal::NotHandedOver;
  return Refusal::None;
}

static Status refusalStatus(Refusal why, uint32_t packet, uint32_t packetCount) {
  switch (why) {
    case Refusal::None:
      break;
    case Refusal::OutOfRange:
      return Status::fail(IOReturn::BadArgument, "packet index " + str(packet) +
                                                     " is out of range (packetCount " +
                                                     str(packetCount) + ")");
    case Refusal::NotAllocated:
      return Status::fail(IOReturn::NotPermitted,
                          "packet " + str(packet) + " is not allocated (already deallocated?)");
    case Refusal::NotHandedOver:
      return Status::fail(IOReturn::NotPermitted,
                          "packet " + str(packet) + " is held by another thread that has not handed it "
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
static Refusal releaseOwnership(uint32_t* state, uint32_t myTag, uint32_t& previous) {
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
    return Status::fail(IOReturn::Overrun, "packet " + str(packet) + " already has " + str(count) +
                                               " buffers (maxBuffersPerPacket)");
  do {
    if (!bufferRing_.dequeue(bufferIndexOut))
      return broken() ? brokenStatus() : Status::fail(IOReturn::NoResources, "no free extra buffer");
    // Only a chain table overwritten through a memory map can put a foreign index in the ring.
  } while (bufferIndexOut < layout_.packetCount || bufferIndexOut >= layout_.bufferCount);
  chainOf(packet)[count - 1] = bufferIndexOut;
  m[meta::kBufferCount] = count + 1;
  return Status::ok();
}

void Pool::freeChain(uint32_t packet) {
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

uint32_t Pool::freePacketCount() const {
  uint32_t free = packetRing_.count();
  for (uint32_t s = 0; s < layout_.maxThreads; ++s) {
    uint32_t* w = slotWords(s);
    if (loadRelaxed(w + slot::kState) == slot::kLive) free += loadRelaxed(w + slot::kCacheCountU32);
  }
  return free > layout_.packetCount ? layout_.packetCount : free;
}

PoolStats Pool::stats() const {
  PoolStats st;
  const RegionHeader* h = header();
  st.allocations = h->retiredAllocations.load(std::memory_order_relaxed);
  st.deallocations = h->retiredDeallocations.load(std::memory_order_relaxed);
  st.failedAllocations = h->retiredFailedAllocations.load(std::memory_order_relaxed);
  st.reclaimed = h->reclaimedPackets.load(std::memory_order_relaxed);
  st.freeInRing = packetRing_.count();
  for (uint32_t s = 0; s < layout_.maxThreads; ++s) {
    uint32_t* w = slotWords(s);
    uint32_t state = loadRelaxed(w + slot::kState);
    if (state == slot::kFree) continue;
    // Released (Dead) slots have flushed caches and retired counters, so adding theirs is a no-op;
    // a slot whose process died still holds both, and they are part of the totals.
    const double* c = slotCounters(s);
    st.allocations += counterValue(loadRelaxed(c + slot::kAllocationsF64));
    st.deallocations += counterValue(loadRelaxed(c + slot::kDeallocationsF64));
    st.failedAllocations += counterValue(loadRelaxed(c + slot::kFailedAllocationsF64));
    st.cached += cacheCount(s);
    if (state == slot::kDead || (state == slot::kLive && slotOwnerGone(s))) {
      uint32_t orphans = packetsHeldBy(tagOf(s), layout_.packetCount);
      // A released slot whose packets were all freed or taken over since (a worker that handed
      // its last packets on and exited) holds nothing: claimSlot() recycles it, and there is
      // nothing to reclaim, so it is not a dead thread any more.
      if (state == slot::kDead && orphans == 0) continue;
      ++st.deadThreads;
      st.orphanedPackets += orphans;
    } else {
      ++st.liveThreads;
    }
  }
  uint32_t free = st.freeInRing + st.cached;
  st.inUse = free > layout_.packetCount ? 0 : layout_.packetCount - free;
  st.highWaterMark = h->outOfRingPeak.load(std::memory_order_relaxed);
  st.queued = queuedPackets();
  return st;
}

}  // namespace pbp

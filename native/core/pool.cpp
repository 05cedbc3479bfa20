// The Pool class (pool.h): creating a region and attaching to one, the broken status, waiting for
// a free packet, and statistics. Allocation is in pool_alloc.cpp, thread slots and reclaim in
// pool_slots.cpp, finishing a dead process's ring reservation in pool_recovery.cpp, packet queues
// in pool_queues.cpp.
#include "pool.h"

#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <new>

#include "asymmetric_fence.h"
#include "futex.h"
#include "pool_internal.h"

namespace pbp {
namespace {

using pool_internal::counterValue;
using pool_internal::kClaimAttempts;
using pool_internal::kStageEntries;
using pool_internal::str;

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

}  // namespace

Pool::Pool(std::unique_ptr<Region> region, const Layout& layout) : region_(std::move(region)), layout_(layout) {}

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
  // Every process that maps the pool, before its first free or wait: asymmetric_fence.h.
  if (!fences::registerProcess()) useSymmetricFences();
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
  s = Region::create(layout.totalBytes, options.shared, (options.poolFlags & kPoolFlagPersistentMemory) != 0, region);
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
    return Status::fail(IOReturn::NotAttached, "fd " + str(fd) + " is pool " + hex(identity) + ", not the pool " +
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
    return Status::fail(IOReturn::BadArgument, "packet index " + str(packet) + " is out of range (packetCount " +
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
  return Status::fail(IOReturn::IOError, std::string("the pool is broken (its ") + ring +
                                             " ring: " + Ring::brokenText(why) + "); release it");
}

Status Pool::overfull(Ring& ring) {
  ring.markBroken(Ring::kOverfull);
  return brokenStatus();
}

void Pool::useSymmetricFences() {
  header()->symmetricFences.store(1, std::memory_order_relaxed);
  // seq_cst: published before this process's first wait or free relies on it.
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

void Pool::wakeWaiters() {
  // release: a woken waiter that acquires the new sequence also sees the ring update before it.
  __atomic_fetch_add(&header()->freeSequence, 1, __ATOMIC_RELEASE);
  futexWakeAll(&header()->freeSequence);
}

void Pool::addWaiter() {
  header()->waiters.fetch_add(1, std::memory_order_relaxed);
  // See notifyFreed(): the heavy side of the handshake. A kernel that refuses the membarrier now
  // turns the pool symmetric for everyone (a freer that has not seen that yet may miss this
  // waiter once; its sleep is bounded, so the packet is found late, not lost).
  if (asymmetricFences() && fences::heavyBarrier()) return;
  if (asymmetricFences()) useSymmetricFences();
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

void Pool::removeWaiter() { header()->waiters.fetch_sub(1, std::memory_order_relaxed); }

void Pool::sleepUntilFreed(uint32_t seenSequence, uint32_t timeoutMs) {
  futexWait(&header()->freeSequence, seenSequence, timeoutMs);
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

// Pool members that finish a dead process's ring reservation for it (see CoreOpMark in pool.h and
// the operation log in ring.h): the waiter stuck behind it, or reclaim(), settles it.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "pool.h"
#include "pool_internal.h"

namespace pbp {

using pool_internal::kStageEntries;

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
      if (settled == Ring::kRecovered) {
        result = Ring::kRecovered;
        again = true;  // the next dead reservation in line may be this side's again
      }
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

}  // namespace pbp

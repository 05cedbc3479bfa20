// The out-of-line members of Ring (ring.h): waiting for an earlier reservation's tail, asking the
// owner about dead peers, copying entries into and out of the slots, the owner's recovery helpers
// (decodeReservedMark, completeReservation) and brokenText. Included by ring.h only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "cpu_relax.h"

namespace pbp {

// Out of line: the yield call (and the registers it clobbers) would otherwise cost the
// uncontended path spills in every caller's loop.
//
// The tail we wait for is never ahead of our head and never more than the capacity behind it:
// reservations in flight on one side cover at most the capacity (a producer's head is at most
// capacity past cons.tail, which is at most prod.tail; a consumer's head is at most prod.tail,
// which is at most capacity past cons.tail), and the tail we read is at least the one our
// reservation was computed against (the acquire chain of reserve()). Outside that window the
// counters are impossible and waiting is pointless.
#if defined(__GNUC__)
__attribute__((noinline, cold))
#endif
inline bool
Ring::waitForTail(Header* h, HeadTail& self, uint32_t oldHead, uint32_t capacity, const Waiting& waiting) {
  Deadline deadline(waiting.limitNs);
  uint32_t lastTail = self.tail.load(std::memory_order_relaxed);
  for (unsigned spins = 0;; ++spins) {
    // acquire: as in publish().
    uint32_t tail = self.tail.load(std::memory_order_acquire);
    if (tail == oldHead) return true;
    if (oldHead - tail > capacity) {
      markBroken(h, kImpossibleCounters);
      return false;
    }
    // An earlier reservation completed: the side is slow, not stuck; the limit starts over.
    if (tail != lastTail) {
      lastTail = tail;
      deadline.restart();
    }
    // The thread we wait for may have been preempted between its head CAS and its tail store
    // (more runnable threads than cores: worker threads, a busy or small machine). Spinning
    // then only burns the CPU it needs for the rest of our time slice, and every later thread
    // of this side piles up behind it. So spin briefly (the normal wait is a few ns), then
    // yield the CPU on each further look; and give up when the ring is already known broken
    // or the wait limit has passed (that thread is dead or stopped, or the tail was scribbled).
    if (spins < kSpinsBeforeYield) {
      cpuRelax();
      continue;
    }
    if (spins < kSpinsBeforeYield + kYieldsBeforeSleep) std::this_thread::yield();
    else
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    if (spins % 64 == 0) {
      if (h->broken.load(std::memory_order_relaxed) != kNotBroken) return false;
      // Only once the yields are over: a live peer finishes within a scheduling delay, and the
      // check costs a scan of the thread slots.
      if (spins >= kSpinsBeforeYield + kYieldsBeforeSleep && askAboutDeadPeers(waiting) == kDeadPeerLost) {
        markBroken(h, kPeerDied);
        return false;
      }
      if (deadline.passed()) {
        markBroken(h, kTailStuck);
        return false;
      }
    }
  }
}

// The owner's check may enqueue what it takes back from a dead consumer: that is not our
// reservation, so our mark says "inside an operation" meanwhile (a death during it cannot be
// redone), and is back to our reservation after. A recovery moves the tail, which the wait
// loop sees as progress.
inline int Ring::askAboutDeadPeers(const Waiting& waiting) {
  const DeadPeerHook& hook = waiting.deadPeer;
  if (hook.check == nullptr) return kNoDeadPeer;
  uint32_t* const log = waiting.log;
  uint32_t mark = 0;
  if (log != nullptr) {
    mark = __atomic_load_n(log, __ATOMIC_RELAXED);
    __atomic_store_n(log, kMarkInOp, __ATOMIC_RELAXED);
    std::atomic_signal_fence(std::memory_order_seq_cst);
  }
  int found = hook.check(hook.context, hook.ringId, waiting.producer);
  if (log != nullptr) {
    std::atomic_signal_fence(std::memory_order_seq_cst);
    __atomic_store_n(log, mark, __ATOMIC_RELAXED);
  }
  return found;
}

// Copy n entries into / out of the slots from position `head` on. The usual case (no wrap) is
// one contiguous run, copied 8 at a time like DPDK's __rte_ring_enqueue_elems_32; a bulk of 32
// measured ~3x faster than a split min(first, n) loop pair, which GCC versioned for aliasing
// and gathered element by element. start + n cannot overflow: n <= capacity <= 2^30.
inline void Ring::copyIn(uint32_t* slots, uint32_t capacity, uint32_t mask, uint32_t head, const uint32_t* values,
                         unsigned n) {
  uint32_t start = head & mask;
  unsigned i = 0;
  if (start + n <= capacity) {
    uint32_t* dst = slots + start;
    for (; i + 8 <= n; i += 8)
      for (unsigned k = 0; k < 8; ++k) dst[i + k] = values[i + k];
    for (; i < n; ++i) dst[i] = values[i];
    return;
  }
  for (; start < capacity; ++i, ++start) slots[start] = values[i];
  for (unsigned k = 0; i < n; ++i, ++k) slots[k] = values[i];
}

inline void Ring::copyOut(const uint32_t* slots, uint32_t capacity, uint32_t mask, uint32_t head, uint32_t* out,
                          unsigned n) {
  uint32_t start = head & mask;
  unsigned i = 0;
  if (start + n <= capacity) {
    const uint32_t* src = slots + start;
    for (; i + 8 <= n; i += 8)
      for (unsigned k = 0; k < 8; ++k) out[i + k] = src[i + k];
    for (; i < n; ++i) out[i] = src[i];
    return;
  }
  for (; start < capacity; ++i, ++start) out[i] = slots[start];
  for (unsigned k = 0; i < n; ++i, ++k) out[i] = slots[k];
}

inline const char* Ring::brokenText(uint32_t why) {
  switch (why) {
    case kNotBroken:
      return "not broken";
    case kImpossibleCounters:
      return "head/tail counters in an impossible state (overwritten through shared memory?)";
    case kTailStuck:
      return "an operation in it never finished (a peer died or stopped mid-operation?)";
    case kHeadLivelock:
      return "head kept changing for seconds (overwritten through shared memory?)";
    case kOverfull:
      return "no room for a free index although it holds every one (overwritten, or a peer died mid-operation?)";
    case kPeerDied:
      return "a process died inside an operation on it (what it was moving may be lost)";
  }
  return "its shared state is corrupt";
}

inline bool Ring::decodeReservedMark(uint32_t mark, uint32_t maxRingId, uint32_t& ringId, bool& producer) {
  if (mark < 2 || (mark - 2) / 2 > maxRingId) return false;
  ringId = (mark - 2) / 2;
  producer = (mark - 2) % 2 == 1;
  return true;
}

inline bool Ring::completeReservation(bool producer, uint32_t first, uint32_t n) {
  HeadTail& side = producer ? h_->prod : h_->cons;
  // release: as publish()'s store. The dead owner's slot writes (producer) reached memory
  // before its process was reaped, which the caller has seen (kill(pid, 0) == ESRCH) and
  // ordered with an acquire fence.
  return side.tail.compare_exchange_strong(first, first + n, std::memory_order_release, std::memory_order_relaxed);
}

}  // namespace pbp

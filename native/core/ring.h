// A bounded lock-free multi-producer/multi-consumer ring of uint32 indices that lives inside a
// caller-provided block of memory (the pool region), so it holds no pointers and works unchanged
// when the same memory is mapped by another thread or process.
//
// The algorithm is DPDK rte_ring's: producers reserve a range of slots by moving prod.head with a
// CAS, copy their entries in, then publish them by moving prod.tail in reservation order;
// consumers do the same with cons.head / cons.tail. Head and tail counters only ever grow (mod
// 2^32) and slots are addressed with `counter & mask`, so a stale counter can never be mistaken
// for a fresh one within 2^32 operations (no ABA on the CAS).
//
// Progress note: like rte_ring, a thread that is descheduled between its head CAS and its tail
// store makes later threads of the same side wait for it (they wait on tail). The OS can preempt
// a thread anywhere, native code included, so with more runnable threads than cores that window
// can last a whole time slice; publish() therefore yields the CPU after a short spin instead of
// spinning a slice away (without that, 4 threads on 2 cores ran bulk operations ~1000x slower).
//
// Hostile or dead peers: every word in the ring lives in memory that another process (or a
// caller writing through a memory map) can change, so nothing computed from it is trusted:
// - capacity and mask are process-local copies; every slot index is `counter & mask`, and a
//   reservation is never larger than the capacity, so no copy runs outside the slot array;
// - what a side may take is at most the capacity in every state correct operations can reach
//   (argued at reserve()); more means either our head is stale (the CAS fails and we retry) or the
//   counters are impossible, which a CAS that expects and writes our head tells apart;
// - the tail we wait for is never ahead of our head nor more than the capacity behind it (argued
//   at waitForTail()), and we wait at most kDefaultWaitLimitNs for it to move: a peer killed
//   between its head CAS and its tail store, or a scribbled tail, would otherwise keep this side
//   waiting forever.
// - a waiter that has yielded for a while asks the owner (setDeadPeerCheck) about dead peers.
//   An operation given an operation log (three words in the caller's thread slot) writes its
//   reservation there once its entries are copied: a process killed from then until its tail store left a
//   reservation anyone can finish (completeReservation): the Pool publishes a dead producer's
//   entries, and takes a dead consumer's entries back out of its slots and enqueues them again.
//   A process killed anywhere else inside an operation cannot be undone: the ring breaks at once
//   (kPeerDied) instead of after the limit.
// Any of these marks the ring broken (Header::broken, shared, so every process sees it): the
// operation that found it gives up (returns 0, moving nothing), as does every later wait, and the
// pool answers kIOReturnIOError from then on. What stays guaranteed is memory safety and bounded
// time; packets in a broken ring may be lost or handed out twice.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <new>
#include <thread>

#include "cpu_relax.h"

namespace pbp {

static_assert(std::atomic<uint32_t>::is_always_lock_free,
              "the ring is shared between processes, so its atomics must not hide a lock");

class Ring {
 public:
  // Bulk = all of n or nothing; Burst = as many as possible up to n.
  enum class Mode { Bulk, Burst };

  // Largest capacity we support: counters are compared with unsigned 32-bit differences.
  static constexpr uint32_t kMaxCapacity = 1u << 30;
  // Pause-spins in publish() before it starts yielding the CPU (a few microseconds).
  static constexpr unsigned kSpinsBeforeYield = 64;
  // Longest time a tail we wait for may stand still (or a head CAS keep failing) before the ring
  // is declared broken. A live thread finishes its reservation within a scheduling delay; on an
  // overloaded machine (8 threads on 2 busy cores) that was seen to reach seconds, so the limit is
  // generous: only a dead, stopped or scribbling peer holds a tail still for this long.
  static constexpr uint64_t kDefaultWaitLimitNs = 10'000'000'000;
  // Yields before the waiter starts sleeping between looks, so a preempted reservation holder
  // gets the CPU even where sched_yield does not give it up.
  static constexpr unsigned kYieldsBeforeSleep = 1024;

  // Header::broken: why the ring is unusable (0 = it is not).
  enum Broken : uint32_t {
    kNotBroken = 0,
    kImpossibleCounters = 1,  // head/tail words no correct sequence of operations produces
    kTailStuck = 2,           // an earlier reservation was never completed (dead or stopped peer)
    kHeadLivelock = 3,        // the head kept changing for the whole wait limit
    kOverfull = 4,            // the owner found no room for an entry that must fit (Pool)
    kPeerDied = 5,            // a process died inside an operation on it (Pool: CoreOpMark)
  };
  // A sentence for a Broken value (the pool's kIOReturnIOError message).
  static const char* brokenText(uint32_t why);

  // Smallest power of two >= wanted (and >= 1).
  static uint32_t capacityFor(uint32_t wanted) {
    uint32_t c = 1;
    while (c < wanted) c <<= 1;
    return c;
  }

  // Bytes of region memory a ring of `capacity` (a power of two) occupies.
  static size_t bytesFor(uint32_t capacity) { return sizeof(Header) + size_t(capacity) * sizeof(uint32_t); }

  // Constructs an empty ring in `memory` (cache-line aligned, bytesFor(capacity) long).
  static Ring create(void* memory, uint32_t capacity) {
    auto* h = new (memory) Header();
    h->capacity = capacity;
    h->mask = capacity - 1;
    h->broken.store(kNotBroken, std::memory_order_relaxed);
    h->prod.head.store(0, std::memory_order_relaxed);
    h->prod.tail.store(0, std::memory_order_relaxed);
    h->cons.head.store(0, std::memory_order_relaxed);
    h->cons.tail.store(0, std::memory_order_relaxed);
    return Ring(h, capacity);
  }

  // A view over a ring that another thread or process created in the same memory, trusting only `capacity` (known from
  // the pool's validated layout), not the copy in shared memory, which a misbehaving process could overwrite.
  static Ring attach(void* memory, uint32_t capacity) { return Ring(static_cast<Header*>(memory), capacity); }

  Ring() = default;

  uint32_t capacity() const { return capacity_; }

  // Why the ring is unusable (Broken), 0 while it is fine. relaxed: a flag that only ever goes
  // from 0 to a reason; whoever sees it late just finds out at its next look.
  uint32_t broken() const { return h_->broken.load(std::memory_order_relaxed); }
  // For an owner that knows an operation cannot legitimately fail (every index fits in a ring
  // sized for all of them) and saw it fail anyway.
  void markBroken(uint32_t why) { markBroken(h_, why); }
  // Process-local: how long this view waits before declaring the ring broken (tests shorten it).
  void setWaitLimitNs(uint64_t ns) { waitLimitNs_ = ns; }
  uint64_t waitLimitNs() const { return waitLimitNs_; }
  // What a DeadPeerCheck found.
  enum DeadPeer : int {
    kNoDeadPeer = 0,    // keep waiting
    kRecovered = 1,     // it completed a dead peer's reservation: the tail moved
    kDeadPeerLost = 2,  // a peer died where nothing can be redone: the ring is broken
  };
  // Process-local: asked by a waiter on side `producer` whose tail has not moved for a while
  // (after its yields, then every few sleeps). `ringId` is the one given here, so one check can
  // serve several rings. A scan of shared words plus a kill(pid, 0) per marked slot.
  using DeadPeerCheck = int (*)(void* context, uint32_t ringId, bool producer);
  void setDeadPeerCheck(DeadPeerCheck check, void* context, uint32_t ringId) { deadPeer_ = {check, context, ringId}; }

  // The operation log: three words of the caller's (shared) thread slot. word 0 is the caller's
  // mark, which the ring sets to reservedMark() from the moment its reserved entries are copied
  // until its tail store, and back to kMarkInOp after; words 1 and 2 then hold the reservation's
  // first position and length. A null log writes nothing.
  static constexpr uint32_t kMarkInOp = 1;
  static constexpr uint32_t reservedMark(uint32_t ringId, bool producer) { return 2 + ringId * 2 + (producer ? 1 : 0); }
  // Decodes a reservedMark (false for 0, kMarkInOp and junk above maxRingId).
  static bool decodeReservedMark(uint32_t mark, uint32_t maxRingId, uint32_t& ringId, bool& producer);

  // Recovery, for the owner's DeadPeerCheck. The tail of a side; acquire: a producer-side tail
  // makes the published entries readable (entryAt), as in reserve().
  uint32_t tail(bool producer) const { return (producer ? h_->prod : h_->cons).tail.load(std::memory_order_acquire); }
  // The entry at a counter position (masked: always inside the slot array).
  uint32_t entryAt(uint32_t position) const { return slots_[position & mask_]; }
  // Moves a side's tail from `first` past a reservation of `n` whose owner died after copying its
  // entries: the work publish() would have done. The CAS lets only one of several recoverers do
  // it; false when the tail is no longer `first` (someone else did it). Its release CAS, and why
  // it suffices, are in ring_impl.h.
  bool completeReservation(bool producer, uint32_t first, uint32_t n);

  // Word offsets (uint32 units from the ring's start) of the shared counters, for tests and
  // fuzzers that scribble them.
  static constexpr uint32_t prodHeadWord() { return uint32_t(offsetof(Header, prod) / 4); }
  static constexpr uint32_t prodTailWord() { return prodHeadWord() + 1; }
  static constexpr uint32_t consHeadWord() { return uint32_t(offsetof(Header, cons) / 4); }
  static constexpr uint32_t consTailWord() { return consHeadWord() + 1; }

  // Entries currently published. Exact when quiescent; a snapshot otherwise.
  uint32_t count() const {
    // relaxed: a statistic, it orders nothing else.
    uint32_t prodTail = h_->prod.tail.load(std::memory_order_relaxed);
    uint32_t consTail = h_->cons.tail.load(std::memory_order_relaxed);
    uint32_t n = prodTail - consTail;
    return n > capacity_ ? capacity_ : n;
  }

  // Single-object forms: the same protocol as the batch ones without the copy loops.
  bool enqueue(uint32_t value, uint32_t* log = nullptr) {
    Header* const h = h_;
    uint32_t oldHead;
    if (reserve(h, h->prod, h->cons, 1, Mode::Bulk, capacity_, true, waitLimitNs_, oldHead) == 0) return false;
    slots_[oldHead & mask_] = value;
    return publish(h, h->prod, oldHead, 1, capacity_, waiting(log, true));
  }
  bool dequeue(uint32_t& value, uint32_t* log = nullptr) {
    Header* const h = h_;
    uint32_t oldHead;
    if (reserve(h, h->cons, h->prod, 1, Mode::Bulk, capacity_, false, waitLimitNs_, oldHead) == 0) return false;
    value = slots_[oldHead & mask_];
    return publish(h, h->cons, oldHead, 1, capacity_, waiting(log, false));
  }

  // The members are copied to locals first: every acquire load below would otherwise make the
  // compiler reload them from *this, putting an extra dependent load in front of each access.
  unsigned enqueueMany(const uint32_t* values, unsigned n, Mode mode, uint32_t* log = nullptr) {
    Header* const h = h_;
    uint32_t* const slots = slots_;
    const uint32_t capacity = capacity_, mask = mask_;
    uint32_t oldHead;
    n = reserve(h, h->prod, h->cons, n, mode, capacity, true, waitLimitNs_, oldHead);
    if (n == 0) return 0;
    copyIn(slots, capacity, mask, oldHead, values, n);
    return publish(h, h->prod, oldHead, n, capacity, waiting(log, true)) ? n : 0;
  }

  unsigned dequeueMany(uint32_t* out, unsigned n, Mode mode, uint32_t* log = nullptr) {
    Header* const h = h_;
    const uint32_t* const slots = slots_;
    const uint32_t capacity = capacity_, mask = mask_;
    uint32_t oldHead;
    n = reserve(h, h->cons, h->prod, n, mode, capacity, false, waitLimitNs_, oldHead);
    if (n == 0) return 0;
    copyOut(slots, capacity, mask, oldHead, out, n);
    return publish(h, h->cons, oldHead, n, capacity, waiting(log, false)) ? n : 0;
  }

 private:
  struct alignas(kFalseSharingRange) HeadTail {
    std::atomic<uint32_t> head;  // next position to reserve
    std::atomic<uint32_t> tail;  // everything before it is complete
  };
  struct alignas(kFalseSharingRange) Header {
    uint32_t capacity;
    uint32_t mask;
    std::atomic<uint32_t> broken;  // Broken; written once, read on the slow paths
    HeadTail prod;
    HeadTail cons;
    // slots follow the header
  };

  struct DeadPeerHook {
    DeadPeerCheck check = nullptr;
    void* context = nullptr;
    uint32_t ringId = 0;
  };
  // What publish() needs besides the counters: how long to wait, whom to ask about dead peers,
  // and where to log the reservation.
  struct Waiting {
    uint64_t limitNs;
    DeadPeerHook deadPeer;
    uint32_t* log;
    bool producer;
  };
  Waiting waiting(uint32_t* log, bool producer) const { return {waitLimitNs_, deadPeer_, log, producer}; }

  Ring(Header* h, uint32_t capacity)
      : h_(h), slots_(reinterpret_cast<uint32_t*>(h + 1)), capacity_(capacity), mask_(capacity - 1) {}

  // The first reason found wins. relaxed: see broken().
  static void markBroken(Header* h, uint32_t why) {
    uint32_t expected = kNotBroken;
    h->broken.compare_exchange_strong(expected, why, std::memory_order_relaxed);
  }

  // Deadline bookkeeping for the slow paths: the clock is read only after a few hundred rounds,
  // so a short wait costs no clock reads at all.
  class Deadline {
   public:
    explicit Deadline(uint64_t limitNs) : limitNs_(limitNs) {}
    void restart() { started_ = false; }
    bool passed() {
      auto now = std::chrono::steady_clock::now();
      if (!started_) {
        started_ = true;
        start_ = now;
        return false;
      }
      return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(now - start_).count()) >= limitNs_;
    }

   private:
    uint64_t limitNs_;
    bool started_ = false;
    std::chrono::steady_clock::time_point start_;
  };

  // Reserves up to n positions on side `self`, bounded by what the opposite side has completed.
  // For producers the bound is `capacity + cons.tail` (free slots); for consumers `prod.tail`
  // (published entries). Returns how many were reserved (0: none, or the ring is broken).
  //
  // Why `available` never exceeds the capacity unless the counters are impossible, once our CAS
  // shows oldHead is the current head (producer; the consumer argument is the mirror image):
  // - available <= capacity, i.e. oldHead >= cons.tail as we read it: the consumer that stored
  //   that tail had first acquired a prod.tail at least as large, stored by a producer after its
  //   head CAS; those steps happen-before our CAS, which reads prod.head at or after that CAS's
  //   value, and head only grows.
  // - available >= 0, i.e. oldHead <= cons.tail + capacity: the producer whose CAS wrote oldHead
  //   had read a cons.tail T0 with oldHead <= T0 + capacity; our acquire load of the head
  //   synchronizes with that CAS, so our later tail load reads T0 or newer.
  // A stale oldHead can break the first inequality legitimately (producers and consumers moved on
  // since we read it); that is why the verdict waits for a CAS.
  static unsigned reserve(Header* h, HeadTail& self, HeadTail& other, unsigned n, Mode mode, uint32_t capacity,
                          bool producer, uint64_t waitLimitNs, uint32_t& oldHead) {
    // acquire (not relaxed): the head we read must be ordered before the other side's tail we
    // read next. If the tail load could be satisfied first (plain loads may pass an acquire load
    // on Arm/POWER), we could pair a stale tail with a newer head, compute `available` as a huge
    // unsigned wrap and hand out slots that were never published (consumer) or still unread
    // (producer). Acquire here plus the release CAS below also carry, in C++ model terms, the
    // tail value the previous head mover saw to the next one (DPDK fixed the same hole with an
    // acquire fence in 2018 and made it load-acquire / CAS-release in 2025). Free on x86.
    oldHead = self.head.load(std::memory_order_acquire);
    Deadline deadline(waitLimitNs);
    for (unsigned failures = 1;; ++failures) {
      // acquire: pairs with the release store of the other side's tail. For a producer it makes
      // the consumers' reads of the slots we are about to overwrite happen-before our writes;
      // for a consumer it makes the producers' slot writes visible before we read them.
      uint32_t otherTail = other.tail.load(std::memory_order_acquire);
      uint32_t available = (producer ? capacity : 0) + otherTail - oldHead;
      if (available > capacity) {
        // A stale head, or impossible counters: a CAS that expects our head and writes it back
        // unchanged succeeds only if the head is still ours (then the counters are impossible,
        // see above); on failure it loads the current head and we look again. acq_rel/acquire:
        // as for the reserving CAS below.
        if (self.head.compare_exchange_strong(oldHead, oldHead, std::memory_order_acq_rel, std::memory_order_acquire)) {
          markBroken(h, kImpossibleCounters);
          return 0;
        }
      } else {
        // Never more than the capacity, whatever n the caller asked for: the copy loops rely on it.
        unsigned take = n;
        if (take > available) {
          if (mode == Mode::Bulk) return 0;
          take = available;
          if (take == 0) return 0;
        }
        // The slot data itself is ordered by the tail acquire above and the tail release in
        // publish(). release on success / acquire on failure only keep the head -> other-tail
        // order described at the head load above (the failure path reloads oldHead).
        if (self.head.compare_exchange_weak(oldHead, oldHead + take, std::memory_order_release,
                                            std::memory_order_acquire)) {
          return take;
        }
        // oldHead was reloaded by the failed CAS; retry with it.
      }
      // Each failure means another thread moved the head, i.e. made progress; only a head that
      // someone keeps rewriting fails for the whole wait limit.
      if (failures % 256 == 0 && (h->broken.load(std::memory_order_relaxed) != kNotBroken || deadline.passed())) {
        markBroken(h, kHeadLivelock);
        return 0;
      }
    }
  }

  // Completes a reservation: waits until every earlier reservation on this side is complete,
  // then moves tail past ours so the other side can use the slots. False (tail untouched) when
  // the ring is broken: the reservation is abandoned.
  static bool publish(Header* h, HeadTail& self, uint32_t oldHead, unsigned n, uint32_t capacity,
                      const Waiting& waiting) {
    // The entries are copied: from here to the tail store, a recoverer can finish our work if
    // this process dies (see completeReservation). Relaxed stores with compiler-only fences: the
    // log is read only about a process that is gone (see pool.h, CoreOpMark), so program order
    // in the emitted code is what matters: position and length before the mark that vouches for
    // them, the mark before the tail store, the tail store before the mark comes down.
    uint32_t* const log = waiting.log;
    if (log != nullptr) {
      __atomic_store_n(log + 1, oldHead, __ATOMIC_RELAXED);
      __atomic_store_n(log + 2, uint32_t(n), __ATOMIC_RELAXED);
      std::atomic_signal_fence(std::memory_order_seq_cst);
      __atomic_store_n(log, reservedMark(waiting.deadPeer.ringId, waiting.producer), __ATOMIC_RELAXED);
      std::atomic_signal_fence(std::memory_order_seq_cst);
    }
    // acquire: we take over the tail from the thread that completed the previous reservation;
    // acquiring its release store puts its slot accesses before our release below, so the
    // other side, acquiring our tail, sees them too (a plain release sequence would not carry
    // them, because our store is not a read-modify-write).
    bool ours =
        self.tail.load(std::memory_order_acquire) == oldHead || waitForTail(h, self, oldHead, capacity, waiting);
    // release: our slot writes (producer) or reads (consumer) happen-before the other side's
    // acquire load of this tail in reserve().
    if (ours) self.tail.store(oldHead + n, std::memory_order_release);
    if (log != nullptr) {
      std::atomic_signal_fence(std::memory_order_seq_cst);
      __atomic_store_n(log, kMarkInOp, __ATOMIC_RELAXED);
    }
    return ours;
  }

  // The slow paths and the slot copies: ring_impl.h (out of line of this header only, so the
  // class reads as the protocol; all are still inline), as are brokenText(), decodeReservedMark()
  // and completeReservation().
  static bool waitForTail(Header* h, HeadTail& self, uint32_t oldHead, uint32_t capacity, const Waiting& waiting);
  static int askAboutDeadPeers(const Waiting& waiting);
  static void copyIn(uint32_t* slots, uint32_t capacity, uint32_t mask, uint32_t head, const uint32_t* values,
                     unsigned n);
  static void copyOut(const uint32_t* slots, uint32_t capacity, uint32_t mask, uint32_t head, uint32_t* out,
                      unsigned n);

  Header* h_ = nullptr;
  uint32_t* slots_ = nullptr;
  // Process-local copies: the header's copies live in shared memory and are not trusted.
  uint32_t capacity_ = 0;
  uint32_t mask_ = 0;
  uint64_t waitLimitNs_ = kDefaultWaitLimitNs;
  DeadPeerHook deadPeer_;
};

}  // namespace pbp

#include "ring_impl.h"

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
#pragma once

#include <atomic>
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

  // Smallest power of two >= wanted (and >= 1).
  static uint32_t capacityFor(uint32_t wanted) {
    uint32_t c = 1;
    while (c < wanted) c <<= 1;
    return c;
  }

  // Bytes of region memory a ring of `capacity` (a power of two) occupies.
  static size_t bytesFor(uint32_t capacity) {
    return sizeof(Header) + size_t(capacity) * sizeof(uint32_t);
  }

  // Constructs an empty ring in `memory` (cache-line aligned, bytesFor(capacity) long).
  static Ring create(void* memory, uint32_t capacity) {
    auto* h = new (memory) Header();
    h->capacity = capacity;
    h->mask = capacity - 1;
    h->prod.head.store(0, std::memory_order_relaxed);
    h->prod.tail.store(0, std::memory_order_relaxed);
    h->cons.head.store(0, std::memory_order_relaxed);
    h->cons.tail.store(0, std::memory_order_relaxed);
    return Ring(h, capacity);
  }

  // A view over a ring that another thread or process created in the same memory, trusting only `capacity` (known from the pool's validated layout), not the copy in
  // shared memory, which a misbehaving process could overwrite.
  static Ring attach(void* memory, uint32_t capacity) {
    return Ring(static_cast<Header*>(memory), capacity);
  }

  Ring() = default;

  uint32_t capacity() const { return capacity_; }

  // Entries currently published. Exact when quiescent; a snapshot otherwise.
  uint32_t count() const {
    // relaxed: a statistic, it orders nothing else.
    uint32_t prodTail = h_->prod.tail.load(std::memory_order_relaxed);
    uint32_t consTail = h_->cons.tail.load(std::memory_order_relaxed);
    uint32_t n = prodTail - consTail;
    return n > capacity_ ? capacity_ : n;
  }

  // Single-object forms: the same protocol as the batch ones without the copy loops.
  bool enqueue(uint32_t value) {
    Header* const h = h_;
    uint32_t oldHead;
    if (reserve(h->prod, h->cons, 1, Mode::Bulk, capacity_, oldHead) == 0) return false;
    slots_[oldHead & mask_] = value;
    publish(h->prod, oldHead, 1);
    return true;
  }
  bool dequeue(uint32_t& value) {
    Header* const h = h_;
    uint32_t oldHead;
    if (reserve(h->cons, h->prod, 1, Mode::Bulk, 0, oldHead) == 0) return false;
    value = slots_[oldHead & mask_];
    publish(h->cons, oldHead, 1);
    return true;
  }

  // The members are copied to locals first: every acquire load below would otherwise make the
  // compiler reload them from *this, putting an extra dependent load in front of each access.
  unsigned enqueueMany(const uint32_t* values, unsigned n, Mode mode) {
    Header* const h = h_;
    uint32_t* const slots = slots_;
    const uint32_t capacity = capacity_, mask = mask_;
    uint32_t oldHead;
    n = reserve(h->prod, h->cons, n, mode, capacity, oldHead);
    if (n == 0) return 0;
    copyIn(slots, capacity, mask, oldHead, values, n);
    publish(h->prod, oldHead, n);
    return n;
  }

  unsigned dequeueMany(uint32_t* out, unsigned n, Mode mode) {
    Header* const h = h_;
    const uint32_t* const slots = slots_;
    const uint32_t capacity = capacity_, mask = mask_;
    uint32_t oldHead;
    n = reserve(h->cons, h->prod, n, mode, 0, oldHead);
    if (n == 0) return 0;
    copyOut(slots, capacity, mask, oldHead, out, n);
    publish(h->cons, oldHead, n);
    return n;
  }

 private:
  struct alignas(kFalseSharingRange) HeadTail {
    std::atomic<uint32_t> head;  // next position to reserve
    std::atomic<uint32_t> tail;  // everything before it is complete
  };
  struct alignas(kFalseSharingRange) Header {
    uint32_t capacity;
    uint32_t mask;
    HeadTail prod;
    HeadTail cons;
    // slots follow the header
  };

  Ring(Header* h, uint32_t capacity)
      : h_(h), slots_(reinterpret_cast<uint32_t*>(h + 1)), capacity_(capacity), mask_(capacity - 1) {}

  // Reserves up to n positions on side `self`, bounded by what the opposite side has completed.
  // For producers the bound is `capacity + cons.tail` (free slots); for consumers `prod.tail`
  // (published entries): `capacityBias` is capacity for producers and 0 for consumers.
  static unsigned reserve(HeadTail& self, HeadTail& other, unsigned n, Mode mode,
                          uint32_t capacityBias, uint32_t& oldHead) {
    // acquire (not relaxed): the head we read must be ordered before the other side's tail we
    // read next. If the tail load could be satisfied first (plain loads may pass an acquire load
    // on Arm/POWER), we could pair a stale tail with a newer head, compute `available` as a huge
    // unsigned wrap and hand out slots that were never published (consumer) or still unread
    // (producer). Acquire here plus the release CAS below also carry, in C++ model terms, the
    // tail value the previous head mover saw to the next one (DPDK fixed the same hole with an
    // acquire fence in 2018 and made it load-acquire / CAS-release in 2025). Free on x86.
    oldHead = self.head.load(std::memory_order_acquire);
    for (;;) {
      // acquire: pairs with the release store of the other side's tail. For a producer it makes
      // the consumers' reads of the slots we are about to overwrite happen-before our writes;
      // for a consumer it makes the producers' slot writes visible before we read them.
      uint32_t otherTail = other.tail.load(std::memory_order_acquire);
      uint32_t available = capacityBias + otherTail - oldHead;
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
  }

  // Completes a reservation: waits until every earlier reservation on this side is complete,
  // then moves tail past ours so the other side can use the slots.
  static void publish(HeadTail& self, uint32_t oldHead, unsigned n) {
    // acquire: we take over the tail from the thread that completed the previous reservation;
    // acquiring its release store puts its slot accesses before our release below, so the
    // other side, acquiring our tail, sees them too (a plain release sequence would not carry
    // them, because our store is not a read-modify-write).
    if (self.tail.load(std::memory_order_acquire) != oldHead) waitForTail(self, oldHead);
    // release: our slot writes (producer) or reads (consumer) happen-before the other side's
    // acquire load of this tail in reserve().
    self.tail.store(oldHead + n, std::memory_order_release);
  }

  // Out of line: the yield call (and the registers it clobbers) would otherwise cost the
  // uncontended path spills in every caller's loop.
#if defined(__GNUC__)
  __attribute__((noinline, cold))
#endif
  static void waitForTail(HeadTail& self, uint32_t oldHead) {
    // acquire: as in publish().
    for (unsigned spins = 0; self.tail.load(std::memory_order_acquire) != oldHead; ++spins) {
      // The thread we wait for may have been preempted between its head CAS and its tail store
      // (more runnable threads than cores: worker threads, a busy or small machine). Spinning
      // then only burns the CPU it needs for the rest of our time slice, and every later thread
      // of this side piles up behind it. So spin briefly (the normal wait is a few ns), then
      // yield the CPU on each further look.
      if (spins < kSpinsBeforeYield) {
        cpuRelax();
      } else {
        std::this_thread::yield();
      }
    }
  }


  // Copy n entries into / out of the slots from position `head` on. The usual case (no wrap) is
  // one contiguous run, copied 8 at a time like DPDK's __rte_ring_enqueue_elems_32; a bulk of 32
  // measured ~3x faster than a split min(first, n) loop pair, which GCC versioned for aliasing
  // and gathered element by element. start + n cannot overflow: n <= capacity <= 2^30.
  static void copyIn(uint32_t* slots, uint32_t capacity, uint32_t mask, uint32_t head,
                     const uint32_t* values, unsigned n) {
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

  static void copyOut(const uint32_t* slots, uint32_t capacity, uint32_t mask, uint32_t head,
                      uint32_t* out, unsigned n) {
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

  Header* h_ = nullptr;
  uint32_t* slots_ = nullptr;
  // Process-local copies: the header's copies live in shared memory and are not trusted.
  uint32_t capacity_ = 0;
  uint32_t mask_ = 0;
};

}  // namespace pbp

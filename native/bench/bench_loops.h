// The measured loops, written once as templates over a ring adapter so that pbp::Ring and DPDK's
// rte_ring run exactly the same code around their enqueue/dequeue calls. An adapter provides:
//   bool enqueue(uint32_t);            bool dequeue(uint32_t&);
//   bool enqueueBulk(const uint32_t*, unsigned n);  bool dequeueBulk(uint32_t*, unsigned n);
// (multi-producer/multi-consumer, all-or-nothing for the bulk forms).
#pragma once

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace pbp::bench {

enum class RingOp { Single, Bulk32 };

constexpr unsigned kBulk = 32;
constexpr uint32_t kRingSize = 2048;  // slots in both rings
constexpr uint32_t kPrefill = 1024;   // entries the take-then-return pattern cycles through
constexpr unsigned kChunk = 8;        // loop iterations between looks at the stop flag (an
                                      // oversubscribed rte_ring can take ms per operation)

using Clock = std::chrono::steady_clock;

// Pins the calling thread to the index-th CPU this process may run on (round robin), so thread
// placement is the same from run to run. Best effort: on failure the thread just floats.
inline void pinToCpu(unsigned index) {
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
  int count = CPU_COUNT(&allowed);
  if (count <= 0) return;
  int want = int(index % unsigned(count));
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    if (want-- == 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      pthread_setaffinity_np(pthread_self(), sizeof set, &set);
      return;
    }
  }
}

inline double threadCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

// Nanoseconds per object, by wall clock and by the thread's own CPU time. CPU time leaves out
// the time a thread spent descheduled, so a busy shared machine inflates it far less; it still
// counts spinning and sched_yield calls.
struct Cost {
  double wall = 0;
  double cpu = 0;
};

// Runs body(threadIndex, stop) on `threads` threads for about `ms` milliseconds. body returns
// how many objects it moved; each thread times itself. Returns the mean over threads of that
// thread's nanoseconds per object.
template <class Body>
Cost runTimed(unsigned threads, unsigned ms, bool pin, Body body) {
  std::atomic<unsigned> ready{0};
  std::atomic<bool> go{false}, stop{false};
  std::vector<Cost> perThread(threads);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      if (pin) pinToCpu(t);
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      auto t0 = Clock::now();
      double c0 = threadCpuNs();
      uint64_t objects = body(t, stop);
      double c1 = threadCpuNs();
      auto t1 = Clock::now();
      double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
      if (objects) perThread[t] = {ns / double(objects), (c1 - c0) / double(objects)};
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  go.store(true, std::memory_order_release);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  stop.store(true, std::memory_order_relaxed);
  for (auto& th : pool) th.join();
  Cost mean;
  for (const Cost& c : perThread) {
    mean.wall += c.wall / threads;
    mean.cpu += c.cpu / threads;
  }
  return mean;
}

// Take-then-return: each thread dequeues (one, or a bulk of 32) and enqueues the same entries
// back, the way a packet pool's threads allocate and free. One object = one entry taken and
// returned. The ring holds kPrefill entries, so with up to 32 entries out per thread neither a
// bulk dequeue nor an enqueue ever fails for lack of entries or room.
template <class Ring>
uint64_t takeReturnLoop(Ring& ring, RingOp op, const std::atomic<bool>& stop) {
  uint64_t moved = 0;
  if (op == RingOp::Single) {
    while (!stop.load(std::memory_order_relaxed)) {
      for (unsigned i = 0; i < kChunk; ++i) {
        uint32_t v;
        if (ring.dequeue(v)) {
          ring.enqueue(v);
          ++moved;
        }
      }
    }
  } else {
    uint32_t buf[kBulk];
    while (!stop.load(std::memory_order_relaxed)) {
      for (unsigned i = 0; i < kChunk; ++i) {
        if (ring.dequeueBulk(buf, kBulk)) {
          ring.enqueueBulk(buf, kBulk);
          moved += kBulk;
        }
      }
    }
  }
  return moved;
}

template <class Ring>
Cost measureTakeReturn(Ring& ring, RingOp op, unsigned threads, unsigned ms, bool pin) {
  return runTimed(threads, ms, pin,
                  [&](unsigned, const std::atomic<bool>& stop) { return takeReturnLoop(ring, op, stop); });
}

// Fills a fresh ring with 0..kPrefill-1 through the adapter's own enqueue.
template <class Ring>
bool prefill(Ring& ring) {
  for (uint32_t i = 0; i < kPrefill; ++i)
    if (!ring.enqueue(i)) return false;
  return true;
}

}  // namespace pbp::bench

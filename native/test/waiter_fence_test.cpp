// The free/wait handshake with its fences split unevenly (asymmetric_fence.h): a freer fences
// with the compiler only while every process mapping the pool is registered for membarrier(2),
// and a waiter's membarrier stands in for the freer's fence. These tests race a freer against a
// thread or a process that starts waiting at the same moment, many times, and count the waits
// that ran into their timeout next to a free packet (a lost wake-up); and they check that one
// mapping turned symmetric turns every mapping of the pool symmetric.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>

#include "test_support.h"

namespace pbp::test {
namespace {

using Clock = std::chrono::steady_clock;

// Long enough that no live freer takes it, short enough that a lost wake-up fails the test
// quickly rather than hanging it.
constexpr uint32_t kWaitTimeoutMs = 2000;
constexpr auto kLostAfter = std::chrono::milliseconds(1500);

// The waiter's side of one round, as native/addon/packet_waiter.cc does it: count ourselves,
// take the sequence, look at the ring, sleep until the sequence moves. True if the wait ended
// because of a free (the packet was found, or the sleep returned early).
bool waitOnce(Pool& pool) {
  pool.addWaiter();
  uint32_t seen = pool.freeSequence();
  bool found = pool.freeInRing() > 0;
  auto start = Clock::now();
  if (!found) pool.sleepUntilFreed(seen, kWaitTimeoutMs);
  bool woken = found || Clock::now() - start < kLostAfter;
  pool.removeWaiter();
  return woken && pool.freeInRing() > 0;
}

// A few dozen to a few thousand pause-spins: puts the free before, inside and after the
// waiter's few instructions between its count and its look at the ring.
void spinFor(unsigned spins) {
  for (unsigned i = 0; i < spins; ++i) cpuRelax();
}

void raceThreads(Pool& pool, unsigned rounds) {
  uint32_t s;
  ASSERT_TRUE(pool.claimSlot(1, s).isOk());
  std::atomic<unsigned> go{0}, done{0};
  std::atomic<unsigned> lost{0};
  std::thread waiter([&] {
    for (unsigned r = 1; r <= rounds; ++r) {
      // acquire: pairs with the release below, so the ring is empty when we look.
      unsigned g;
      while ((g = go.load(std::memory_order_acquire)) < r) cpuRelax();
      if (g > rounds) break;  // the main thread stopped early
      if (!waitOnce(pool)) lost.fetch_add(1, std::memory_order_relaxed);
      done.store(r, std::memory_order_release);
    }
  });
  std::mt19937 rng(12345);
  bool stoppedEarly = false;
  for (unsigned r = 1; r <= rounds && !stoppedEarly; ++r) {
    uint32_t p;
    if (!pool.allocateOne(s, p)) {
      ADD_FAILURE() << "round " << r << ": the one packet is not free";
      stoppedEarly = true;
      break;
    }
    go.store(r, std::memory_order_release);
    spinFor(rng() % 200);
    Status st = pool.deallocateOne(s, p);
    EXPECT_TRUE(st.isOk()) << st.message;
    while (done.load(std::memory_order_acquire) != r) cpuRelax();
    stoppedEarly = !st.isOk() || lost.load() != 0;
  }
  if (stoppedEarly) go.store(rounds + 1, std::memory_order_release);
  waiter.join();
  pool.releaseSlot(s);
  EXPECT_EQ(lost.load(), 0u) << "waits that slept next to a free packet";
}

TEST(WaiterFence, FreersFenceLightlyWhereTheKernelHasMembarrier) {
  auto pool = makePool(smallOptions(4, 0));
#if defined(__linux__)
  // Linux >= 4.16 (CI and every supported kernel) has MEMBARRIER_CMD_GLOBAL_EXPEDITED.
  EXPECT_TRUE(pool->asymmetricFences());
#else
  EXPECT_FALSE(pool->asymmetricFences());
#endif
}

TEST(WaiterFence, OneSymmetricMappingMakesEveryMappingSymmetric) {
  PoolOptions o = smallOptions(4, 0);
  o.shared = true;
  auto first = makePool(o);
  std::shared_ptr<Pool> second;
  ASSERT_TRUE(Pool::attachFd(first->fd(), second).isOk());
  second->useSymmetricFences();
  EXPECT_FALSE(first->asymmetricFences());
  EXPECT_FALSE(second->asymmetricFences());
}

TEST(WaiterFence, NoWakeUpLostBetweenThreads) {
  auto pool = makePool(smallOptions(1, 0));
  raceThreads(*pool, scaled(4000));
}

TEST(WaiterFence, NoWakeUpLostBetweenThreadsWithFullFences) {
  auto pool = makePool(smallOptions(1, 0));
  pool->useSymmetricFences();
  raceThreads(*pool, scaled(4000));
}

// The freer is another process (the forked child, registered again by the fork handler): the
// waiter's membarrier must reach it.
TEST(WaiterFence, NoWakeUpLostBetweenProcesses) {
  PoolOptions o = smallOptions(1, 0);
  o.shared = true;
  auto pool = makePool(o);
  uint32_t s;
  ASSERT_TRUE(pool->claimSlot(1, s).isOk());
  // Round numbers, in memory both processes share.
  void* mem = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  auto* go = static_cast<std::atomic<unsigned>*>(mem);
  auto* done = go + 16;  // another cache line
  new (go) std::atomic<unsigned>(0);
  new (done) std::atomic<unsigned>(0);
  const unsigned rounds = scaled(2000);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The freer: frees packet 0 (held through the parent's slot, which this copy shares).
    std::mt19937 rng(678);
    for (unsigned r = 1; r <= rounds; ++r) {
      unsigned g;
      while ((g = go->load(std::memory_order_acquire)) < r) cpuRelax();
      if (g > rounds) break;  // the parent gave up
      spinFor(rng() % 200);
      if (!pool->deallocateOne(s, 0).isOk()) _exit(2);
      done->store(r, std::memory_order_release);
    }
    _exit(0);
  }
  unsigned lost = 0, r = 1;
  for (; r <= rounds && lost == 0; ++r) {
    uint32_t p;
    ASSERT_TRUE(pool->allocateOne(s, p));
    ASSERT_EQ(p, 0u);
    go->store(r, std::memory_order_release);
    if (!waitOnce(*pool)) ++lost;
    while (done->load(std::memory_order_acquire) != r) cpuRelax();
  }
  if (lost != 0) go->store(rounds + 1, std::memory_order_release);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the freeing child failed";
  EXPECT_EQ(lost, 0u) << "waits that slept next to a free packet (round " << r - 1 << ")";
  munmap(mem, 4096);
  pool->releaseSlot(s);
}

}  // namespace
}  // namespace pbp::test

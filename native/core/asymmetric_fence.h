// The fences of one store-then-load handshake, moved off the hot side.
//
// A thread that frees packets publishes them on the ring and then looks whether anyone waits
// (Pool::notifyFreed); a thread that starts waiting counts itself in `waiters` and then looks at
// the ring (Pool::addWaiter). Each side stores, then loads what the other stored: without a
// full fence between the two on both sides, both loads may miss the other's store (store-load
// reordering, Dekker's problem), and the waiter sleeps next to a free packet. A seq_cst fence
// (mfence) after every free cost ~14 of the 53 ns of a cacheSize-0 allocate + free pair in C++
// (pbp_native_bench, pool.alloc-free.cache0: 53 -> 39 ns without it).
//
// Waiting is rare and slow anyway, so the cost moves there. membarrier(2) with
// MEMBARRIER_CMD_GLOBAL_EXPEDITED makes every running thread of every process registered for it
// execute a full memory barrier before the call returns (a thread that is not running passes one
// at its next context switch), which is what each freer's fence did, for all freers at once.
// A freer then only has to keep the compiler from moving its load above its store: the light
// side is a signal fence. This is folly's asymmetricLightBarrier / asymmetricHeavyBarrier and
// liburcu's membarrier flavour.
//
// Every process that maps a pool registers (Pool::create/attachFd call registerProcess(); a
// forked child registers again, as the kernel ties registration to the address space). A
// process that cannot register (a kernel before 4.16, a seccomp filter) sets the pool's
// RegionHeader::symmetricFences, and from then on every process uses full fences on both sides
// of that pool (Pool::asymmetricFences). The one window left: a freer that read the word just
// before another process set it; a waiter it misses then sleeps to the end of its bounded
// sleep (packet_waiter.cc) and looks again, so a wake-up can be late there, never lost for good.
#pragma once

#include <atomic>

namespace pbp::fences {

// Whether this process is registered now (registerProcess() succeeded, and again after a fork).
// relaxed: set once before any pool of this process exists, and in a forked child before it
// runs anything else; readers are on the free path and need only the value.
extern std::atomic<bool> registered;

// Registers this process for MEMBARRIER_CMD_GLOBAL_EXPEDITED (once; again in a forked child).
// False where the kernel refuses or lacks it: the caller must then use full fences on both sides.
bool registerProcess();

// The heavy side: a full barrier on every running thread of every registered process, this one
// included. False if the kernel refused (the caller falls back to a full fence and marks the
// pool symmetric).
bool heavyBarrier();

}  // namespace pbp::fences

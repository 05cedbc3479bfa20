// The DPDK rte_ring side of the benchmark, kept in its own translation unit (bench_dpdk.cpp).
#pragma once

#include <string>

#include "bench_loops.h"

namespace pbp::bench {

// DPDK version compiled against, or nullptr when built without DPDK.
const char* dpdkVersion();
// Sets up an rte_ring on our own memory (no rte_eal_init) and round-trips values through every
// operation the benchmark uses. False, with the reason, when it does not work or is absent.
bool dpdkRingWorks(std::string& why);
// One timed take-then-return run on a fresh, prefilled rte_ring; ns per object per thread.
Cost dpdkTakeReturnOnce(RingOp op, unsigned threads, unsigned ms, bool pin);

}  // namespace pbp::bench

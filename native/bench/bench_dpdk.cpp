// DPDK rte_ring (multi-producer/multi-consumer, 4-byte elements) through the same loops as
// pbp::Ring. The ring lives in memory we allocate and is set up with rte_ring_init(), which
// needs no rte_eal_init(): no hugepages, no memzones, no EAL threads. Built only when CMake finds
// libdpdk through pkg-config; otherwise the stubs at the bottom say why it is missing.
#include "bench_dpdk.h"

#ifdef PBP_HAVE_DPDK

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <cstdlib>
#include <cstring>

#include "bench_loops.h"

namespace pbp::bench {
namespace {

constexpr unsigned kElemSize = sizeof(uint32_t);

// The rte_ring_elem API with the MP/MC functions named explicitly (not the flag-driven ones),
// all-or-nothing like pbp::Ring's enqueue()/Mode::Bulk.
class DpdkRing {
 public:
  DpdkRing() = default;
  ~DpdkRing() { std::free(mem_); }
  DpdkRing(const DpdkRing&) = delete;
  DpdkRing& operator=(const DpdkRing&) = delete;

  bool init(uint32_t count, std::string& why) {
    ssize_t bytes = rte_ring_get_memsize_elem(kElemSize, count);
    if (bytes < 0) {
      why = "rte_ring_get_memsize_elem failed: " + std::to_string(bytes);
      return false;
    }
    size_t rounded = (size_t(bytes) + RTE_CACHE_LINE_SIZE - 1) / RTE_CACHE_LINE_SIZE * RTE_CACHE_LINE_SIZE;
    mem_ = std::aligned_alloc(RTE_CACHE_LINE_SIZE, rounded);
    if (!mem_) {
      why = "out of memory";
      return false;
    }
    std::memset(mem_, 0, rounded);
    r_ = static_cast<struct rte_ring*>(mem_);
    // flags 0 = multi-producer / multi-consumer; count must be a power of two (usable capacity
    // is count - 1 without RING_F_EXACT_SZ, irrelevant here: the ring is never near full).
    int rc = rte_ring_init(r_, "pbp_bench", count, 0);
    if (rc != 0) {
      why = "rte_ring_init failed: " + std::string(std::strerror(-rc));
      return false;
    }
    return true;
  }

  bool enqueue(uint32_t v) { return rte_ring_mp_enqueue_elem(r_, &v, kElemSize) == 0; }
  bool dequeue(uint32_t& v) { return rte_ring_mc_dequeue_elem(r_, &v, kElemSize) == 0; }
  bool enqueueBulk(const uint32_t* v, unsigned n) {
    return rte_ring_mp_enqueue_bulk_elem(r_, v, kElemSize, n, nullptr) == n;
  }
  bool dequeueBulk(uint32_t* v, unsigned n) { return rte_ring_mc_dequeue_bulk_elem(r_, v, kElemSize, n, nullptr) == n; }
  unsigned count() const { return rte_ring_count(r_); }

 private:
  void* mem_ = nullptr;
  struct rte_ring* r_ = nullptr;
};

}  // namespace

const char* dpdkVersion() { return PBP_DPDK_VERSION; }

bool dpdkRingWorks(std::string& why) {
  DpdkRing ring;
  if (!ring.init(kRingSize, why)) return false;
  auto fail = [&](const char* what) {
    why = std::string("rte_ring self-check: ") + what;
    return false;
  };
  // Round-trip values through every operation the benchmark uses, in FIFO order.
  for (uint32_t i = 0; i < 100; ++i)
    if (!ring.enqueue(1000 + i)) return fail("single enqueue failed");
  uint32_t bulk[kBulk];
  for (uint32_t i = 0; i < kBulk; ++i) bulk[i] = 5000 + i;
  if (!ring.enqueueBulk(bulk, kBulk)) return fail("bulk enqueue failed");
  if (ring.count() != 100 + kBulk) return fail("wrong count after enqueue");
  for (uint32_t i = 0; i < 100; ++i) {
    uint32_t v = 0;
    if (!ring.dequeue(v) || v != 1000 + i) return fail("single dequeue returned wrong value");
  }
  uint32_t out[kBulk] = {};
  if (!ring.dequeueBulk(out, kBulk)) return fail("bulk dequeue failed");
  for (uint32_t i = 0; i < kBulk; ++i)
    if (out[i] != 5000 + i) return fail("bulk dequeue returned wrong value");
  uint32_t v;
  if (ring.dequeue(v) || ring.count() != 0) return fail("ring not empty at the end");
  if (ring.dequeueBulk(out, 1)) return fail("bulk dequeue from empty ring succeeded");
  return true;
}

Cost dpdkTakeReturnOnce(RingOp op, unsigned threads, unsigned ms, bool pin) {
  DpdkRing ring;
  std::string why;
  if (!ring.init(kRingSize, why) || !prefill(ring)) return {-1, -1};
  return measureTakeReturn(ring, op, threads, ms, pin);
}

}  // namespace pbp::bench

#else  // !PBP_HAVE_DPDK

namespace pbp::bench {

const char* dpdkVersion() { return nullptr; }

bool dpdkRingWorks(std::string& why) {
  why = "DPDK was not available at build time (pkg-config libdpdk not found; install libdpdk-dev)";
  return false;
}

Cost dpdkTakeReturnOnce(RingOp, unsigned, unsigned, bool) { return {-1, -1}; }

}  // namespace pbp::bench

#endif

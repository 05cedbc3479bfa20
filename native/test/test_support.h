// Small helpers shared by the core tests.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "io_return.h"
#include "pool.h"
#include "ring.h"

namespace pbp::test {

// Stress iteration counts are divided by this under a sanitizer (both are ~10x slower, and the
// 2-core CI box oversubscribes 8 threads), so the three ctest runs stay within minutes.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr unsigned kSanitizerDivisor = 4;
#else
constexpr unsigned kSanitizerDivisor = 1;
#endif

// PBP_STRESS_SCALE=<float> multiplies stress iterations (e.g. 10 for a long soak locally).
inline unsigned scaled(unsigned iterations) {
  double scale = 1.0;
  if (const char* s = std::getenv("PBP_STRESS_SCALE")) scale = std::atof(s);
  if (scale <= 0) scale = 1.0;
  double n = double(iterations) * scale / kSanitizerDivisor;
  return n < 1 ? 1u : unsigned(n);
}

// Cache-line aligned, zeroed memory for a ring that is not inside a pool.
struct RingMemory {
  explicit RingMemory(uint32_t capacity) {
    size_t bytes = (Ring::bytesFor(capacity) + 127) / 128 * 128;
    mem = std::aligned_alloc(128, bytes);
    std::memset(mem, 0xA5, bytes);  // Ring::create must not rely on zeroed memory
    ring = Ring::create(mem, capacity);
  }
  ~RingMemory() { std::free(mem); }
  RingMemory(const RingMemory&) = delete;
  RingMemory& operator=(const RingMemory&) = delete;

  void* mem = nullptr;
  Ring ring;
};

// Failures seen on worker threads, reported from the main thread (gtest assertions are kept off
// worker threads so the uninstrumented gtest library never shows up in a TSan report).
class Failures {
 public:
  void add(std::string what) {
    std::lock_guard<std::mutex> lock(mu_);
    if (list_.size() < 20) list_.push_back(std::move(what));
    count_.fetch_add(1, std::memory_order_relaxed);
  }
  // relaxed and lock-free, so polling it in a hot loop adds no synchronization that could hide
  // a missing one from ThreadSanitizer.
  size_t count() const { return count_.load(std::memory_order_relaxed); }
  std::string summary() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::string s;
    for (const auto& f : list_) s += f + "\n";
    return s;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> list_;
  std::atomic<size_t> count_{0};
};

inline ::testing::AssertionResult isCode(const Status& s, IOReturn expected) {
  if (s.code == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected " << ioReturnName(expected) << ", got " << ioReturnName(s.code)
                                       << " (\"" << s.message << "\")";
}

// Small-PRNG for deterministic per-thread choices.
struct XorShift {
  explicit XorShift(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  uint32_t below(uint32_t n) { return uint32_t(next() % n); }
  uint64_t s;
};

inline PoolOptions smallOptions(uint32_t packets = 64, uint32_t cache = 0) {
  PoolOptions o;
  o.name = "test-pool";
  o.packetCount = packets;
  o.bufferCount = packets;
  o.bufferSize = 256;
  o.headroom = 16;
  o.cacheSize = cache;
  o.maxThreads = 8;
  return o;
}

inline std::shared_ptr<Pool> makePool(const PoolOptions& o) {
  std::shared_ptr<Pool> pool;
  Status s = Pool::create(o, pool);
  EXPECT_TRUE(s.isOk()) << s.message;
  return pool;
}

}  // namespace pbp::test

// A standalone pbp::Ring checked against a std::deque: enqueueMany/dequeueMany in Bulk and Burst
// mode must accept exactly what a bounded FIFO would, hand values back in order, and report the
// same count. The ring's memory is an exact-size heap block (so ASan's redzone sits right after
// the last slot) and its counters start at a fuzzer-chosen value just below 2^32, so a few dozen
// operations cross the wrap that the head/tail arithmetic must survive.
#pragma once

#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "ring.h"
#include "ring_peek.h"

namespace pbp::fuzz {

class RingHarness {
 public:
  RingHarness(uint32_t capacity, uint32_t startCounter) : capacity_(capacity) {
    if (posix_memalign(&memory_, kFalseSharingRange, Ring::bytesFor(capacity)) != 0) std::abort();
    ring_ = Ring::create(memory_, capacity);
    seedRingCounters(static_cast<uint8_t*>(memory_), startCounter);
    FUZZ_CHECK(ring_.count() == 0, "fresh ring count " + std::to_string(ring_.count()));
  }
  ~RingHarness() { std::free(memory_); }
  RingHarness(const RingHarness&) = delete;
  RingHarness& operator=(const RingHarness&) = delete;

  uint32_t capacity() const { return capacity_; }

  void enqueue(bool burst, unsigned n) {
    std::vector<uint32_t> values(n);
    for (auto& v : values) v = next_++;
    unsigned room = capacity_ - unsigned(model_.size());
    unsigned want = n <= room ? n : (burst ? room : 0);
    unsigned got = ring_.enqueueMany(values.data(), n, burst ? Ring::Mode::Burst : Ring::Mode::Bulk);
    FUZZ_TRACE("ring enqueue(%u, %s) -> %u\n", n, burst ? "burst" : "bulk", got);
    FUZZ_CHECK(got == want, "ring enqueue " + std::to_string(n) + (burst ? " burst" : " bulk") + " into " +
                                std::to_string(model_.size()) + "/" + std::to_string(capacity_) + ": got " +
                                std::to_string(got) + ", expected " + std::to_string(want));
    for (unsigned i = 0; i < got; ++i) model_.push_back(values[i]);
    next_ -= n - got;  // values that did not go in are reused, keeping the sequence dense
    checkCount();
  }

  void dequeue(bool burst, unsigned n) {
    std::vector<uint32_t> out(n);
    unsigned have = unsigned(model_.size());
    unsigned want = n <= have ? n : (burst ? have : 0);
    unsigned got = ring_.dequeueMany(out.data(), n, burst ? Ring::Mode::Burst : Ring::Mode::Bulk);
    FUZZ_TRACE("ring dequeue(%u, %s) -> %u\n", n, burst ? "burst" : "bulk", got);
    FUZZ_CHECK(got == want, "ring dequeue " + std::to_string(n) + (burst ? " burst" : " bulk") + " from " +
                                std::to_string(have) + ": got " + std::to_string(got) + ", expected " +
                                std::to_string(want));
    for (unsigned i = 0; i < got; ++i) {
      FUZZ_CHECK(out[i] == model_.front(),
                 "ring dequeued " + std::to_string(out[i]) + ", expected " + std::to_string(model_.front()));
      model_.pop_front();
    }
    checkCount();
  }

 private:
  void checkCount() const {
    FUZZ_CHECK(ring_.count() == model_.size(),
               "ring count " + std::to_string(ring_.count()) + ", model " + std::to_string(model_.size()));
  }

  uint32_t capacity_;
  void* memory_ = nullptr;
  Ring ring_;
  std::deque<uint32_t> model_;
  uint32_t next_ = 1;
};

}  // namespace pbp::fuzz

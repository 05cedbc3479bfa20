// Single-threaded semantics of pbp::Ring: sizes, FIFO order, full/empty, bulk (all or nothing)
// versus burst (as many as possible), and slot-index wraparound.
#include <algorithm>
#include <numeric>

#include "test_support.h"

namespace pbp::test {
namespace {

using Mode = Ring::Mode;

TEST(RingSizing, CapacityForRoundsUpToPowerOfTwo) {
  EXPECT_EQ(Ring::capacityFor(0), 1u);
  EXPECT_EQ(Ring::capacityFor(1), 1u);
  EXPECT_EQ(Ring::capacityFor(2), 2u);
  EXPECT_EQ(Ring::capacityFor(3), 4u);
  EXPECT_EQ(Ring::capacityFor(1000), 1024u);
  EXPECT_EQ(Ring::capacityFor(1024), 1024u);
  EXPECT_EQ(Ring::capacityFor(1025), 2048u);
  EXPECT_EQ(Ring::capacityFor(Ring::kMaxCapacity - 1), Ring::kMaxCapacity);
  EXPECT_EQ(Ring::capacityFor(Ring::kMaxCapacity), Ring::kMaxCapacity);
}

TEST(RingSizing, BytesForCoversHeaderAndSlots) {
  size_t header = Ring::bytesFor(0);
  EXPECT_GE(header, 2 * size_t(kFalseSharingRange));  // prod and cons on their own lines
  EXPECT_EQ(Ring::bytesFor(8), header + 8 * sizeof(uint32_t));
  EXPECT_EQ(Ring::bytesFor(1024), header + 1024 * sizeof(uint32_t));
}

TEST(Ring, NewRingIsEmpty) {
  RingMemory m(8);
  Ring& r = m.ring;
  EXPECT_EQ(r.capacity(), 8u);
  EXPECT_EQ(r.count(), 0u);
  uint32_t v = 77;
  EXPECT_FALSE(r.dequeue(v));
  EXPECT_EQ(v, 77u) << "a failed dequeue must not write its output";
  uint32_t out[4] = {1, 2, 3, 4};
  EXPECT_EQ(r.dequeueMany(out, 4, Mode::Bulk), 0u);
  EXPECT_EQ(r.dequeueMany(out, 4, Mode::Burst), 0u);
  EXPECT_EQ(out[0], 1u);
}

TEST(Ring, SingleOpsAreFifo) {
  RingMemory m(8);
  Ring& r = m.ring;
  for (uint32_t i = 0; i < 5; ++i) ASSERT_TRUE(r.enqueue(100 + i));
  EXPECT_EQ(r.count(), 5u);
  for (uint32_t i = 0; i < 5; ++i) {
    uint32_t v = 0;
    ASSERT_TRUE(r.dequeue(v));
    EXPECT_EQ(v, 100 + i);
  }
  EXPECT_EQ(r.count(), 0u);
}

TEST(Ring, HoldsExactlyCapacityThenRefuses) {
  RingMemory m(8);
  Ring& r = m.ring;
  for (uint32_t i = 0; i < 8; ++i) ASSERT_TRUE(r.enqueue(i)) << i;
  EXPECT_EQ(r.count(), 8u);
  EXPECT_FALSE(r.enqueue(99));
  uint32_t more[2] = {98, 99};
  EXPECT_EQ(r.enqueueMany(more, 2, Mode::Bulk), 0u);
  EXPECT_EQ(r.enqueueMany(more, 2, Mode::Burst), 0u);
  EXPECT_EQ(r.count(), 8u);
  // What is there is untouched by the refused enqueues.
  uint32_t out[8];
  ASSERT_EQ(r.dequeueMany(out, 8, Mode::Bulk), 8u);
  for (uint32_t i = 0; i < 8; ++i) EXPECT_EQ(out[i], i);
}

TEST(Ring, BulkEnqueueIsAllOrNothing) {
  RingMemory m(8);
  Ring& r = m.ring;
  uint32_t in[10];
  std::iota(in, in + 10, 0u);
  ASSERT_EQ(r.enqueueMany(in, 5, Mode::Bulk), 5u);
  EXPECT_EQ(r.enqueueMany(in + 5, 4, Mode::Bulk), 0u) << "only 3 free";
  EXPECT_EQ(r.count(), 5u);
  EXPECT_EQ(r.enqueueMany(in + 5, 3, Mode::Bulk), 3u);
  EXPECT_EQ(r.count(), 8u);
}

TEST(Ring, BurstEnqueueTakesWhatFits) {
  RingMemory m(8);
  Ring& r = m.ring;
  uint32_t in[10];
  std::iota(in, in + 10, 0u);
  ASSERT_EQ(r.enqueueMany(in, 5, Mode::Burst), 5u);
  EXPECT_EQ(r.enqueueMany(in + 5, 5, Mode::Burst), 3u);
  EXPECT_EQ(r.count(), 8u);
  uint32_t out[8];
  ASSERT_EQ(r.dequeueMany(out, 8, Mode::Bulk), 8u);
  for (uint32_t i = 0; i < 8; ++i) EXPECT_EQ(out[i], i);
}

TEST(Ring, BulkDequeueIsAllOrNothingBurstTakesWhatIsThere) {
  RingMemory m(8);
  Ring& r = m.ring;
  uint32_t in[6] = {10, 11, 12, 13, 14, 15};
  ASSERT_EQ(r.enqueueMany(in, 6, Mode::Bulk), 6u);
  uint32_t out[8] = {};
  EXPECT_EQ(r.dequeueMany(out, 7, Mode::Bulk), 0u);
  EXPECT_EQ(r.count(), 6u);
  EXPECT_EQ(r.dequeueMany(out, 2, Mode::Bulk), 2u);
  EXPECT_EQ(out[0], 10u);
  EXPECT_EQ(out[1], 11u);
  EXPECT_EQ(r.dequeueMany(out, 8, Mode::Burst), 4u);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(out[i], 12 + i);
  EXPECT_EQ(r.count(), 0u);
}

TEST(Ring, RequestsLargerThanCapacity) {
  RingMemory m(8);
  Ring& r = m.ring;
  uint32_t in[9];
  std::iota(in, in + 9, 0u);
  EXPECT_EQ(r.enqueueMany(in, 9, Mode::Bulk), 0u);
  EXPECT_EQ(r.count(), 0u);
  EXPECT_EQ(r.enqueueMany(in, 9, Mode::Burst), 8u);
  uint32_t out[9];
  EXPECT_EQ(r.dequeueMany(out, 9, Mode::Bulk), 0u);
  EXPECT_EQ(r.dequeueMany(out, 9, Mode::Burst), 8u);
}

TEST(Ring, ZeroCountOperationsDoNothing) {
  RingMemory m(8);
  Ring& r = m.ring;
  uint32_t v = 1;
  EXPECT_EQ(r.enqueueMany(&v, 0, Mode::Bulk), 0u);
  EXPECT_EQ(r.enqueueMany(&v, 0, Mode::Burst), 0u);
  EXPECT_EQ(r.count(), 0u);
  ASSERT_TRUE(r.enqueue(5));
  EXPECT_EQ(r.dequeueMany(&v, 0, Mode::Bulk), 0u);
  EXPECT_EQ(r.count(), 1u);
  ASSERT_TRUE(r.dequeue(v));
  EXPECT_EQ(v, 5u);
}

// Batches of 5 on a ring of 8: the slot index wraps inside a batch on most rounds, on both the
// enqueue and the dequeue side, and the counters run far past the capacity.
TEST(Ring, BatchesWrapAroundTheSlotArray) {
  RingMemory m(8);
  Ring& r = m.ring;
  uint32_t next = 0, expect = 0;
  for (int round = 0; round < 1000; ++round) {
    uint32_t in[5], out[5];
    for (auto& x : in) x = next++;
    ASSERT_EQ(r.enqueueMany(in, 5, Mode::Bulk), 5u) << "round " << round;
    ASSERT_EQ(r.count(), 5u);
    ASSERT_EQ(r.dequeueMany(out, 5, Mode::Bulk), 5u);
    for (auto x : out) ASSERT_EQ(x, expect++) << "round " << round;
  }
  EXPECT_EQ(r.count(), 0u);
}

// Batch sizes 1..40 on a ring of 64, mixed enqueue and dequeue sizes: every start offset meets
// every size, so the contiguous copy (in whole groups of 8 and the remainder) and the wrapping
// copy are all exercised, and the values must still come out in order.
TEST(Ring, VariableBatchesAtEveryOffsetKeepFifoOrder) {
  RingMemory m(64);
  Ring& r = m.ring;
  uint32_t next = 0, expect = 0;
  uint32_t in[40], out[41];
  auto take = [&](unsigned j) {
    std::fill(out, out + 41, 0xDEADBEEF);
    ASSERT_EQ(r.dequeueMany(out, j, Mode::Bulk), j);
    for (unsigned i = 0; i < j; ++i) ASSERT_EQ(out[i], expect++);
    ASSERT_EQ(out[j], 0xDEADBEEFu) << "dequeue wrote past n";
  };
  for (unsigned round = 0; round < 64 * 40; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    unsigned k = 1 + round % 40;
    unsigned j = 1 + (round * 7) % 40;  // dequeue sizes differ from enqueue sizes
    while (r.capacity() - r.count() < k) take(std::min(j, r.count()));
    for (unsigned i = 0; i < k; ++i) in[i] = next++;
    ASSERT_EQ(r.enqueueMany(in, k, Mode::Bulk), k);
    take(std::min(j, r.count()));
  }
  take(r.count());
  EXPECT_EQ(expect, next);
  EXPECT_GT(next, 64u * 40u * 10u);
}

// Keep the ring almost full while it cycles, so a write that wrapped into the wrong slot would
// overwrite an entry that has not been read yet.
TEST(Ring, NearlyFullRingWrapsWithoutClobbering) {
  RingMemory m(16);
  Ring& r = m.ring;
  uint32_t next = 0, expect = 0;
  uint32_t in[16];
  for (uint32_t i = 0; i < 13; ++i) in[i] = next++;
  ASSERT_EQ(r.enqueueMany(in, 13, Mode::Bulk), 13u);
  XorShift rng(3);
  for (int round = 0; round < 2000; ++round) {
    uint32_t k = 1 + rng.below(3);
    uint32_t out[3];
    ASSERT_EQ(r.dequeueMany(out, k, Mode::Bulk), k);
    for (uint32_t i = 0; i < k; ++i) ASSERT_EQ(out[i], expect++);
    for (uint32_t i = 0; i < k; ++i) in[i] = next++;
    ASSERT_EQ(r.enqueueMany(in, k, Mode::Bulk), k);
    ASSERT_EQ(r.count(), 13u);
  }
}

TEST(Ring, AttachSeesTheSameRing) {
  RingMemory m(8);
  Ring& a = m.ring;
  Ring b = Ring::attach(m.mem, 8);
  EXPECT_EQ(b.capacity(), 8u);
  ASSERT_TRUE(a.enqueue(42));
  ASSERT_TRUE(a.enqueue(43));
  EXPECT_EQ(b.count(), 2u);
  uint32_t v = 0;
  ASSERT_TRUE(b.dequeue(v));
  EXPECT_EQ(v, 42u);
  EXPECT_EQ(a.count(), 1u);
  ASSERT_TRUE(b.enqueue(44));
  ASSERT_TRUE(a.dequeue(v));
  EXPECT_EQ(v, 43u);
  ASSERT_TRUE(a.dequeue(v));
  EXPECT_EQ(v, 44u);
}

TEST(Ring, CapacityOneRing) {
  RingMemory m(1);
  Ring& r = m.ring;
  for (uint32_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(r.enqueue(i));
    ASSERT_FALSE(r.enqueue(i + 100));
    uint32_t v = 0;
    ASSERT_TRUE(r.dequeue(v));
    ASSERT_EQ(v, i);
    ASSERT_FALSE(r.dequeue(v));
  }
}

}  // namespace
}  // namespace pbp::test

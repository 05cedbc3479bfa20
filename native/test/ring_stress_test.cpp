// Concurrency of pbp::Ring: threads taking and returning indices (the pool's pattern) with
// single, bulk and burst operations, and a multi-producer/multi-consumer transfer. Every check
// is exact: no index is ever held by two threads at once, nothing is lost or duplicated, and each
// producer's values reach each consumer in the order they were sent.
#include <atomic>
#include <ostream>
#include <thread>

#include "test_support.h"

namespace pbp::test {
namespace {

using Mode = Ring::Mode;

enum class Op { Single, Bulk, Burst };

const char* opName(Op op) {
  switch (op) {
    case Op::Single:
      return "Single";
    case Op::Bulk:
      return "Bulk";
    case Op::Burst:
      return "Burst";
  }
  return "?";
}

struct TakeReturnParam {
  unsigned threads;
  Op op;
};

std::ostream& operator<<(std::ostream& os, const TakeReturnParam& p) {
  return os << p.threads << " threads, " << opName(p.op);
}

class RingTakeReturn : public ::testing::TestWithParam<TakeReturnParam> {};

// A ring of 1024 slots holding 1000 indices. Each thread repeatedly takes some indices, marks
// them held in a shared table (a second holder would find the mark already set), unmarks them
// and gives them back. At the end the ring must hold every index exactly once.
TEST_P(RingTakeReturn, EveryIndexHeldByOneThreadAtATimeAndNoneLost) {
  const unsigned threads = GetParam().threads;
  const Op op = GetParam().op;
  constexpr uint32_t kEntries = 1000;
  const unsigned totalIterations = scaled(200000);
  const unsigned perThread = totalIterations / threads;

  RingMemory m(Ring::capacityFor(kEntries));
  Ring& ring = m.ring;
  ASSERT_EQ(ring.capacity(), 1024u);
  for (uint32_t i = 0; i < kEntries; ++i) ASSERT_TRUE(ring.enqueue(i));

  std::vector<std::atomic<uint32_t>> holder(kEntries);
  for (auto& h : holder) h.store(0);
  Failures failures;
  std::atomic<unsigned> ready{0};
  std::atomic<uint64_t> moved{0};

  auto worker = [&](unsigned t) {
    XorShift rng(t + 1);
    uint32_t buf[32];
    uint64_t myMoved = 0;
    ready.fetch_add(1);
    while (ready.load() < threads) std::this_thread::yield();
    for (unsigned it = 0; it < perThread && failures.count() == 0; ++it) {
      unsigned want = op == Op::Single ? 1 : 1 + rng.below(32);
      unsigned got = 0;
      switch (op) {
        case Op::Single:
          got = ring.dequeue(buf[0]) ? 1 : 0;
          break;
        case Op::Bulk:
          got = ring.dequeueMany(buf, want, Mode::Bulk);
          if (got != 0 && got != want)
            failures.add("bulk dequeue of " + std::to_string(want) + " returned " + std::to_string(got));
          break;
        case Op::Burst:
          got = ring.dequeueMany(buf, want, Mode::Burst);
          break;
      }
      // At most 32 * threads indices are out at once, so the ring is never empty for long and
      // never short of what a bulk asks for: a failure here means lost entries.
      if (got == 0 && op == Op::Single) {
        failures.add("single dequeue failed on a ring that should hold >= " + std::to_string(kEntries - 32 * threads) +
                     " entries");
        break;
      }
      for (unsigned i = 0; i < got; ++i) {
        uint32_t v = buf[i];
        if (v >= kEntries) {
          failures.add("dequeued garbage value " + std::to_string(v));
          return;
        }
        uint32_t prev = holder[v].exchange(t + 1, std::memory_order_relaxed);
        if (prev != 0)
          failures.add("index " + std::to_string(v) + " taken by thread " + std::to_string(t) + " while thread " +
                       std::to_string(prev - 1) + " held it");
      }
      for (unsigned i = 0; i < got; ++i) {
        uint32_t prev = holder[buf[i]].exchange(0, std::memory_order_relaxed);
        if (prev != t + 1)
          failures.add("index " + std::to_string(buf[i]) + " changed holder while thread " + std::to_string(t) +
                       " held it");
      }
      unsigned put = 0;
      switch (op) {
        case Op::Single:
          put = got ? (ring.enqueue(buf[0]) ? 1 : 0) : 0;
          break;
        case Op::Bulk:
          put = got ? ring.enqueueMany(buf, got, Mode::Bulk) : 0;
          break;
        case Op::Burst:
          // Never short of room (capacity > entries), so a burst puts all of them back.
          put = got ? ring.enqueueMany(buf, got, Mode::Burst) : 0;
          break;
      }
      if (put != got)
        failures.add("enqueue of " + std::to_string(got) + " returned " + std::to_string(put) + " on a ring with room");
      myMoved += got;
    }
    moved.fetch_add(myMoved);
  };

  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  for (auto& th : pool) th.join();
  ASSERT_EQ(failures.count(), 0u) << failures.summary();
  EXPECT_GT(moved.load(), uint64_t(perThread) * threads / 2) << "the threads barely ran";

  // Drain: every index exactly once.
  EXPECT_EQ(ring.count(), kEntries);
  std::vector<int> seen(kEntries, 0);
  uint32_t out[64];
  unsigned total = 0;
  for (;;) {
    unsigned n = ring.dequeueMany(out, 64, Mode::Burst);
    if (n == 0) break;
    for (unsigned i = 0; i < n; ++i) {
      ASSERT_LT(out[i], kEntries);
      ++seen[out[i]];
    }
    total += n;
  }
  EXPECT_EQ(total, kEntries);
  for (uint32_t i = 0; i < kEntries; ++i) ASSERT_EQ(seen[i], 1) << "index " << i;
  EXPECT_EQ(ring.count(), 0u);
}

std::vector<TakeReturnParam> takeReturnParams() {
  std::vector<TakeReturnParam> v;
  for (unsigned t : {2u, 4u, 8u})
    for (Op op : {Op::Single, Op::Bulk, Op::Burst}) v.push_back({t, op});
  return v;
}

INSTANTIATE_TEST_SUITE_P(Threads, RingTakeReturn, ::testing::ValuesIn(takeReturnParams()),
                         [](const ::testing::TestParamInfo<TakeReturnParam>& info) {
                           return std::to_string(info.param.threads) + "Threads" + opName(info.param.op);
                         });

struct TransferParam {
  unsigned producers;
  unsigned consumers;
};

std::ostream& operator<<(std::ostream& os, const TransferParam& p) {
  return os << p.producers << " producers, " << p.consumers << " consumers";
}

class RingTransfer : public ::testing::TestWithParam<TransferParam> {};

// Producers push distinct values through a small ring (64 slots, so it runs full and empty all
// the time) to consumers, with random batch sizes in bulk and burst mode. Each value must arrive
// exactly once, and a consumer must see each producer's values in increasing order.
TEST_P(RingTransfer, NothingLostNothingDuplicatedPerProducerOrderKept) {
  const unsigned P = GetParam().producers;
  const unsigned C = GetParam().consumers;
  const uint32_t perProducer = scaled(200000) / P;
  const uint64_t total = uint64_t(perProducer) * P;

  RingMemory m(64);
  Ring& ring = m.ring;
  std::vector<std::atomic<uint8_t>> seen(total);
  for (auto& s : seen) s.store(0);
  std::atomic<uint64_t> received{0};
  Failures failures;

  auto producer = [&](unsigned p) {
    XorShift rng(100 + p);
    uint32_t next = 0;
    uint32_t buf[16];
    while (next < perProducer && failures.count() == 0) {
      unsigned k = 1 + rng.below(16);
      if (k > perProducer - next) k = perProducer - next;
      for (unsigned i = 0; i < k; ++i) buf[i] = p * perProducer + next + i;
      Mode mode = rng.below(2) ? Mode::Bulk : Mode::Burst;
      unsigned put = k == 1 && rng.below(2) ? (ring.enqueue(buf[0]) ? 1 : 0) : ring.enqueueMany(buf, k, mode);
      if (mode == Mode::Bulk && put != 0 && put != k) failures.add("partial bulk enqueue");
      next += put;  // a burst that put fewer resends the rest next time, in order
      if (put == 0) std::this_thread::yield();
    }
  };

  auto consumer = [&](unsigned c) {
    XorShift rng(200 + c);
    std::vector<int64_t> last(P, -1);
    uint32_t buf[16];
    while (received.load(std::memory_order_relaxed) < total && failures.count() == 0) {
      unsigned k = 1 + rng.below(16);
      Mode mode = rng.below(2) ? Mode::Bulk : Mode::Burst;
      unsigned got = k == 1 && rng.below(2) ? (ring.dequeue(buf[0]) ? 1 : 0) : ring.dequeueMany(buf, k, mode);
      if (mode == Mode::Bulk && got != 0 && got != k) failures.add("partial bulk dequeue");
      if (got == 0) {
        std::this_thread::yield();
        continue;
      }
      for (unsigned i = 0; i < got; ++i) {
        uint32_t v = buf[i];
        if (v >= total) {
          failures.add("garbage value " + std::to_string(v));
          continue;
        }
        unsigned p = v / perProducer;
        if (int64_t(v) <= last[p])
          failures.add("consumer " + std::to_string(c) + " got " + std::to_string(v) + " after " +
                       std::to_string(last[p]) + " from producer " + std::to_string(p));
        last[p] = v;
        if (seen[v].fetch_add(1, std::memory_order_relaxed) != 0)
          failures.add("value " + std::to_string(v) + " received twice");
      }
      received.fetch_add(got, std::memory_order_relaxed);
    }
  };

  std::vector<std::thread> threads;
  for (unsigned p = 0; p < P; ++p) threads.emplace_back(producer, p);
  for (unsigned c = 0; c < C; ++c) threads.emplace_back(consumer, c);
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.count(), 0u) << failures.summary();
  EXPECT_EQ(received.load(), total);
  EXPECT_EQ(ring.count(), 0u);
  uint32_t v;
  EXPECT_FALSE(ring.dequeue(v));
  for (uint64_t i = 0; i < total; ++i) ASSERT_EQ(seen[i].load(), 1) << "value " << i;
}

INSTANTIATE_TEST_SUITE_P(Shapes, RingTransfer,
                         ::testing::Values(TransferParam{1, 1}, TransferParam{2, 2}, TransferParam{4, 4},
                                           TransferParam{1, 3}, TransferParam{3, 1}),
                         [](const ::testing::TestParamInfo<TransferParam>& info) {
                           return std::to_string(info.param.producers) + "P" + std::to_string(info.param.consumers) +
                                  "C";
                         });

}  // namespace
}  // namespace pbp::test

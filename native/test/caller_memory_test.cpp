// Index arrays the caller hands to the core may be memory that another thread rewrites during
// the call (a Uint32Array over a SharedArrayBuffer that a worker keeps writing). The core must
// read each entry exactly once: a check and the write it guards must see the same index, or a
// validated entry can be swapped for one outside the pool between the two (a time-of-check/time-of-use race).
// These tests race a writer thread against deallocateBulk and allocateBurst; run plain, under
// AddressSanitizer (an index used after it changed writes outside the metadata table) and under
// ThreadSanitizer (the writer's stores and the core's loads are both atomic, so it stays quiet).
#include <chrono>
#include <thread>

#include "test_support.h"

namespace pbp::test {
namespace {

constexpr uint32_t kPackets = 64;
// The burst test uses a larger pool: the window in which a rewrite of `out` could be read back
// grows with the batch.
constexpr uint32_t kBurstPackets = 2048;

// Rounds to run: at least `rounds`, and more (for up to 10 s) until the writer has got in the
// way `wanted` times, so a loaded machine that starves the writer cannot make the test vacuous.
class Rounds {
 public:
  explicit Rounds(unsigned rounds) : min_(rounds), start_(std::chrono::steady_clock::now()) {}
  bool more(unsigned hits, unsigned wanted) {
    ++done_;
    if (done_ < min_) return true;
    return hits < wanted && std::chrono::steady_clock::now() - start_ < std::chrono::seconds(10);
  }

 private:
  unsigned min_, done_ = 0;
  std::chrono::steady_clock::time_point start_;
};

// Keeps rewriting `words` with a mix of valid indices and values far outside the pool until
// stopped.
class Scribbler {
 public:
  Scribbler(uint32_t* words, uint32_t count, uint32_t packets = kPackets)
      : words_(words), count_(count), packets_(packets) {
    thread_ = std::thread([this] {
      XorShift rng(7);
      while (!stop_.load(std::memory_order_relaxed)) {
        uint32_t at = rng.below(count_);
        uint32_t r = rng.below(4);
        uint32_t v = r == 0 ? 0xFFFFFFF0u : r == 1 ? (1u << 30) + rng.below(1000) : rng.below(packets_);
        __atomic_store_n(words_ + at, v, __ATOMIC_RELAXED);
        writes_.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  ~Scribbler() {
    stop_.store(true, std::memory_order_relaxed);
    thread_.join();
  }
  uint64_t writes() const { return writes_.load(std::memory_order_relaxed); }
  // On a loaded machine the thread may not have run yet.
  void waitUntilRunning() const {
    while (writes() == 0) std::this_thread::yield();
  }

 private:
  uint32_t* words_;
  uint32_t count_;
  uint32_t packets_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> writes_{0};
  std::thread thread_;
};

// The packets slot `s` holds, found from their state words (the caller's arrays cannot be
// trusted once a scribbler has been at them).
std::vector<uint32_t> heldBy(Pool& pool, uint32_t s) {
  std::vector<uint32_t> held;
  for (uint32_t p = 0; p < pool.layout().packetCount; ++p)
    if ((pool.metaOf(p)[meta::kState] & meta::kStateTagMask) == pool.tagOf(s)) held.push_back(p);
  return held;
}

// Every packet is either held by `s` or free in exactly one place (ring or cache), and a fresh
// slot can take each free one exactly once.
::testing::AssertionResult accountedFor(Pool& pool, uint32_t s) {
  std::vector<uint32_t> held = heldBy(pool, s);
  for (uint32_t p : held) {
    Status st = pool.deallocateOne(s, p);
    if (!st.isOk()) return ::testing::AssertionFailure() << "freeing held packet " << p << ": " << st.message;
  }
  pool.flushCache(s, 0);
  uint32_t t;
  Status st = pool.claimSlot(99, t);
  if (!st.isOk()) return ::testing::AssertionFailure() << st.message;
  const uint32_t packets = pool.layout().packetCount;
  std::vector<int> seen(packets, 0);
  uint32_t got = 0, p;
  while (got <= packets && pool.allocateOne(t, p)) {
    ++got;
    if (p >= packets) return ::testing::AssertionFailure() << "allocated index " << p;
    ++seen[p];
  }
  ::testing::AssertionResult result = ::testing::AssertionSuccess();
  if (got != packets) result = ::testing::AssertionFailure() << "only " << got << " packets came back";
  for (uint32_t i = 0; i < packets && result; ++i)
    if (seen[i] != 1) result = ::testing::AssertionFailure() << "packet " << i << " came back " << seen[i] << " times";
  for (uint32_t i = 0; i < packets; ++i)
    if ((pool.metaOf(i)[meta::kState] & meta::kStateTagMask) == pool.tagOf(t)) pool.deallocateOne(t, i);
  pool.releaseSlot(t);
  return result;
}

class CallerMemory : public ::testing::TestWithParam<uint32_t> {};  // cacheSize

TEST_P(CallerMemory, BulkFreeOfARewrittenArrayFreesOnlyWhatItValidated) {
  auto pool = makePool(smallOptions(kPackets, GetParam()));
  uint32_t s;
  ASSERT_TRUE(pool->claimSlot(1, s).isOk());
  std::vector<uint32_t> indices(kPackets);
  uint32_t succeeded = 0, refused = 0;
  {
    Scribbler scribbler(indices.data(), kPackets);
    scribbler.waitUntilRunning();
    for (Rounds rounds(scaled(3000)); rounds.more(refused, 20);) {
      // Hold every packet, list them, and free the list while it is being rewritten.
      std::vector<uint32_t> got(kPackets);
      uint32_t n = pool->allocateBurst(s, got.data(), kPackets);
      ASSERT_EQ(n + 0, uint32_t(heldBy(*pool, s).size()));
      for (uint32_t i = 0; i < n; ++i) __atomic_store_n(&indices[i], got[i], __ATOMIC_RELAXED);
      Status st = pool->deallocateBulk(s, indices.data(), kPackets);
      if (st.isOk()) {
        ++succeeded;
      } else {
        ++refused;
        ASSERT_TRUE(st.code == IOReturn::BadArgument || st.code == IOReturn::NotPermitted) << st.message;
        ASSERT_NE(st.message.find("packets["), std::string::npos) << st.message;
      }
      // Whatever happened, nothing is lost or doubled: held + free == all.
      ASSERT_EQ(heldBy(*pool, s).size() + pool->freePacketCount(), size_t(kPackets));
      // Give back what is still held (a refused batch freed nothing).
      for (uint32_t p : heldBy(*pool, s)) ASSERT_TRUE(pool->deallocateOne(s, p).isOk());
    }
  }
  EXPECT_GT(refused, 0u) << "the writer never got in the way: the test proved nothing";
  EXPECT_TRUE(accountedFor(*pool, s));
  pool->releaseSlot(s);
  (void)succeeded;
}

TEST_P(CallerMemory, BurstAllocationIntoARewrittenArrayInitialisesOnlyRealPackets) {
  auto pool = makePool(smallOptions(kBurstPackets, GetParam()));
  uint32_t s;
  ASSERT_TRUE(pool->claimSlot(1, s).isOk());
  std::vector<uint32_t> out(kBurstPackets);
  {
    Scribbler scribbler(out.data(), kBurstPackets, kBurstPackets);
    scribbler.waitUntilRunning();
    for (Rounds rounds(scaled(300)); rounds.more(0, 0);) {
      uint32_t n = pool->allocateBurst(s, out.data(), kBurstPackets);
      // What `out` says cannot be trusted (it is being rewritten); the state words can.
      std::vector<uint32_t> held = heldBy(*pool, s);
      ASSERT_EQ(held.size(), size_t(n));
      ASSERT_EQ(held.size() + pool->freePacketCount(), size_t(kBurstPackets));
      for (uint32_t p : held) ASSERT_TRUE(pool->deallocateOne(s, p).isOk());
    }
  }
  EXPECT_TRUE(accountedFor(*pool, s));
  pool->releaseSlot(s);
}

INSTANTIATE_TEST_SUITE_P(CacheSizes, CallerMemory, ::testing::Values(0u, 16u, 128u),
                         [](const auto& info) { return "cache" + std::to_string(info.param); });

}  // namespace
}  // namespace pbp::test

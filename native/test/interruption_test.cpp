// A thread may stop between any two stores of the JavaScript hot path: worker.terminate() stops a
// worker's JS wherever it is (then the env cleanup hook releases its slot), and a SIGKILLed
// process stops everywhere (its slot stays Live with a dead pid). Either way reclaim() must then
// return every packet the thread had, cached or held, exactly once.
//
// JsThread below replays the JS hot path's stores (lib/pool-hot-path.ts, lib/pool-batch.ts), in
// their order, one store per step, on a real Pool: allocatePacket, deallocatePacket (of a packet handed out or not),
// _allocateIndices and _deallocateIndices. Native calls (refill, flush) run whole: terminate cannot stop them, and a
// SIGKILL inside them is outside this model (the README says what it can cost). Every test stops a thread after store
// 0, 1, 2, ... of an operation until the operation completes, each time on a fresh pool, dies both ways, reclaims and
// checks every packet is free exactly once.
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

#include "test_support.h"

namespace pbp::test {
namespace {

constexpr uint32_t kPackets = 32;
constexpr uint32_t kCache = 8;
constexpr uint32_t kVictimThreadId = 7;

// Thrown by a step when the thread's store budget is spent: the thread "stops" there.
struct Stopped {};

class JsThread {
 public:
  JsThread(Pool& pool, uint32_t s, uint32_t budget) : pool_(pool), s_(s), budget_(budget) {
    w_ = pool.slotWords(s);
    tag_ = pool.tagOf(s);
  }

  // lib/pool-hot-path.ts allocatePacket: the packet is marked held (_initPacket, state word first), then
  // dropped from the cache count, then counted.
  uint32_t allocatePacket() {
    uint32_t n = count();
    if (n == 0) n = pool_.refillCache(s_);  // native, whole
    if (n == 0) return kNone;
    n -= 1;
    uint32_t index = w_[slot::kCacheU32 + n];
    initPacket(index);
    store(w_ + slot::kCacheCountU32, n);
    countAllocation(1);
    return index;
  }

  // lib/pool-hot-path.ts deallocatePacket for a packet this thread holds (published or not): taken back
  // unpublished (CAS), put in the cache, counted, and only then marked free.
  void deallocatePacket(uint32_t index) {
    uint32_t* state = pool_.metaOf(index) + meta::kState;
    holdUnpublished(state);
    uint32_t n = count();
    if (n >= kCache) n = pool_.flushCache(s_, kCache / 2);  // native, whole
    store(w_ + slot::kCacheU32 + n, index);
    store(w_ + slot::kCacheCountU32, n + 1);
    store(state, 0);
    countDeallocation(1);
  }

  // lib/pool-batch.ts _allocateIndices: each packet held before the count drops; the count is stored
  // once at the end (and before a refill).
  std::vector<uint32_t> allocateIndices(uint32_t want) {
    std::vector<uint32_t> out;
    uint32_t n = count();
    while (out.size() < want) {
      if (n == 0) {
        store(w_ + slot::kCacheCountU32, n);
        n = pool_.refillCache(s_);
        if (n == 0) break;
      }
      uint32_t index = w_[slot::kCacheU32 + n - 1];
      n -= 1;
      out.push_back(index);
      initPacket(index);
    }
    store(w_ + slot::kCacheCountU32, n);
    countAllocation(double(out.size()));
    return out;
  }

  // lib/pool-batch.ts _deallocateIndices: every entry checked and taken back unpublished first; then,
  // one cache-full at a time, the entries, the count, and the states.
  void deallocateIndices(const std::vector<uint32_t>& indices) {
    for (uint32_t index : indices) holdUnpublished(pool_.metaOf(index) + meta::kState);
    uint32_t n = count();
    size_t j = 0;
    while (j < indices.size()) {
      if (n >= kCache) n = pool_.flushCache(s_, kCache / 2);
      size_t end = std::min(indices.size(), j + (kCache - n));
      for (size_t k = j; k < end; ++k) store(w_ + slot::kCacheU32 + n + uint32_t(k - j), indices[k]);
      n += uint32_t(end - j);
      store(w_ + slot::kCacheCountU32, n);
      for (; j < end; ++j) store(pool_.metaOf(indices[j]) + meta::kState, 0);
    }
    countDeallocation(double(indices.size()));
  }

  // lib/pool-sharing.ts _handOver (handOver()): the owner's plain store of the published bit.
  void publish(uint32_t index) {
    uint32_t* state = pool_.metaOf(index) + meta::kState;
    if (loadRelaxed(state) == tag_) store(state, tag_ | meta::kStatePublished);
  }

  static constexpr uint32_t kNone = 0xFFFFFFFF;

 private:
  uint32_t count() const { return loadRelaxed(w_ + slot::kCacheCountU32); }

  void store(uint32_t* word, uint32_t value) {
    spend();
    storeRelaxed(word, value);
  }

  // One step: stop here if the budget is spent.
  void spend() {
    if (budget_ == 0) throw Stopped{};
    --budget_;
  }

  // lib/pool-ownership.ts initPacket: the state word, then the metadata words.
  void initPacket(uint32_t index) {
    uint32_t* m = pool_.metaOf(index);
    store(m + meta::kState, tag_);
    const uint32_t h = pool_.layout().headroom;
    const uint32_t fields[][2] = {{meta::kDataOffset, h},       {meta::kDataLength, 0}, {meta::kHeadroom, h},
                                  {meta::kLinkHeaderLength, 0}, {meta::kDirection, 0},  {meta::kFlags, 0}};
    for (const auto& f : fields) store(m + f[0], f[1]);
  }

  // lib/pool-ownership.ts holdUnpublished: a published packet is taken back with a CAS.
  void holdUnpublished(uint32_t* state) {
    uint32_t expected = tag_ | meta::kStatePublished;
    if (loadRelaxed(state) != expected) return;
    spend();
    ASSERT_TRUE(casAcqRel(state, expected, tag_));
  }

  void countAllocation(double n) { addCounter(slot::kAllocationsF64, n); }
  void countDeallocation(double n) { addCounter(slot::kDeallocationsF64, n); }
  void addCounter(uint32_t which, double n) {
    spend();
    addRelaxed(pool_.slotCounters(s_) + which, n);
  }

  Pool& pool_;
  uint32_t s_;
  uint32_t budget_;
  uint32_t* w_;
  uint32_t tag_;
};

// The pid of a process that has exited and been reaped: a slot carrying it belongs to a process
// that died without releasing it.
uint32_t deadPid() {
  pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  waitpid(child, &status, 0);
  return uint32_t(child);
}

enum class Death { Terminated, Killed };

const char* name(Death d) { return d == Death::Terminated ? "worker.terminate()" : "SIGKILL"; }

::testing::AssertionResult everyPacketFreeOnce(Pool& pool) {
  uint32_t s;
  Status st = pool.claimSlot(999, s);
  if (!st.isOk()) return ::testing::AssertionFailure() << "claimSlot: " << st.message;
  std::vector<uint32_t> got(kPackets + 1);
  uint32_t n = pool.allocateBurst(s, got.data(), kPackets + 1);
  std::vector<int> seen(kPackets, 0);
  for (uint32_t i = 0; i < n; ++i) {
    if (got[i] >= kPackets) return ::testing::AssertionFailure() << "index " << got[i] << " out of range";
    ++seen[got[i]];
  }
  for (uint32_t p = 0; p < kPackets; ++p)
    if (seen[p] != 1) return ::testing::AssertionFailure() << "packet " << p << " is free " << seen[p] << " times";
  st = pool.deallocateBulk(s, got.data(), n);
  if (!st.isOk()) return ::testing::AssertionFailure() << "deallocateBulk: " << st.message;
  pool.releaseSlot(s);
  PoolStats stats = pool.stats();
  if (stats.inUse != 0 || stats.deadThreads != 0 || stats.orphanedPackets != 0)
    return ::testing::AssertionFailure() << "stats: inUse " << stats.inUse << ", deadThreads " << stats.deadThreads
                                         << ", orphaned " << stats.orphanedPackets;
  return ::testing::AssertionSuccess();
}

// The state a victim starts from, then the operation that is cut short. `held` is what the
// victim holds when the operation starts; setup runs with an unlimited budget.
using Setup = std::function<void(JsThread&, std::vector<uint32_t>& held)>;
using Operation = std::function<void(JsThread&, std::vector<uint32_t>& held)>;

constexpr uint32_t kUnlimited = 0xFFFFFFFF;

// Stops the victim after 0, 1, 2, ... stores of `op` until it completes; each time on a fresh
// pool, dies the given way, is reclaimed, and the pool is checked. Returns the number of stop
// points tried (so a test can check the operation had stores to stop at).
uint32_t stopAtEveryStore(Death death, const Setup& setup, const Operation& op) {
  for (uint32_t budget = 0;; ++budget) {
    auto pool = makePool(smallOptions(kPackets, kCache));
    uint32_t s;
    EXPECT_TRUE(pool->claimSlot(kVictimThreadId, s).isOk());
    std::vector<uint32_t> held;
    JsThread prepare(*pool, s, kUnlimited);
    setup(prepare, held);
    JsThread victim(*pool, s, budget);
    bool completed = true;
    try {
      op(victim, held);
    } catch (Stopped&) {
      completed = false;
    }
    uint32_t reclaimed = 0;
    if (death == Death::Terminated) {
      pool->releaseSlot(s);  // what the env cleanup hook does
      Status st = pool->reclaim(kVictimThreadId, reclaimed);
      EXPECT_TRUE(st.isOk() || st.code == IOReturn::NotFound) << st.message;
    } else {
      storeRelaxed(pool->slotWords(s) + slot::kPid, deadPid());
      EXPECT_TRUE(pool->reclaim(Pool::kAnyThread, reclaimed).isOk());
    }
    EXPECT_TRUE(everyPacketFreeOnce(*pool)) << name(death) << " after store " << budget;
    if (::testing::Test::HasFailure() || completed) return budget;
  }
}

// Holds `n` packets (handed out with handOver() when `published`), with the cache partly
// full.
Setup holding(uint32_t n, bool published = false) {
  return [n, published](JsThread& t, std::vector<uint32_t>& held) {
    held = t.allocateIndices(n + 3);
    // Three back into the cache, so the cache has free entries to account for too.
    std::vector<uint32_t> back(held.end() - 3, held.end());
    held.resize(n);
    t.deallocateIndices(back);
    if (published)
      for (uint32_t p : held) t.publish(p);
  };
}

class Interruption : public ::testing::TestWithParam<Death> {};

TEST_P(Interruption, AllocatePacket) {
  uint32_t stops = stopAtEveryStore(GetParam(), holding(2), [](JsThread& t, std::vector<uint32_t>&) {
    ASSERT_NE(t.allocatePacket(), JsThread::kNone);
  });
  EXPECT_GE(stops, 8u) << "state, 6 metadata words, count";
}

TEST_P(Interruption, AllocatePacketThatRefills) {
  // Everything but the cache's contents held: the allocation refills first.
  stopAtEveryStore(
      GetParam(), [](JsThread& t, std::vector<uint32_t>& held) { held = t.allocateIndices(kPackets - 8); },
      [](JsThread& t, std::vector<uint32_t>&) {
        for (int i = 0; i < 4; ++i) ASSERT_NE(t.allocatePacket(), JsThread::kNone);
      });
}

TEST_P(Interruption, DeallocatePacket) {
  uint32_t stops = stopAtEveryStore(GetParam(), holding(4),
                                    [](JsThread& t, std::vector<uint32_t>& held) { t.deallocatePacket(held[1]); });
  EXPECT_GE(stops, 3u) << "entry, count, state";
}

TEST_P(Interruption, DeallocatePublishedPacket) {
  uint32_t stops = stopAtEveryStore(GetParam(), holding(4, true),
                                    [](JsThread& t, std::vector<uint32_t>& held) { t.deallocatePacket(held[2]); });
  EXPECT_GE(stops, 4u) << "CAS, entry, count, state";
}

TEST_P(Interruption, DeallocatePacketIntoFullCache) {
  // The cache full: the free flushes half of it (native) before its own stores.
  stopAtEveryStore(
      GetParam(),
      [](JsThread& t, std::vector<uint32_t>& held) {
        held = t.allocateIndices(kCache + 2);
        std::vector<uint32_t> back(held.begin() + 2, held.end());
        held.resize(2);
        t.deallocateIndices(back);
      },
      [](JsThread& t, std::vector<uint32_t>& held) { t.deallocatePacket(held[0]); });
}

TEST_P(Interruption, AllocateIndicesAcrossARefill) {
  stopAtEveryStore(GetParam(), holding(1),
                   [](JsThread& t, std::vector<uint32_t>&) { ASSERT_EQ(t.allocateIndices(12).size(), 12u); });
}

TEST_P(Interruption, DeallocateIndicesAcrossAFlush) {
  stopAtEveryStore(GetParam(), holding(14),
                   [](JsThread& t, std::vector<uint32_t>& held) { t.deallocateIndices(held); });
}

TEST_P(Interruption, DeallocatePublishedIndices) {
  stopAtEveryStore(GetParam(), holding(6, true),
                   [](JsThread& t, std::vector<uint32_t>& held) { t.deallocateIndices(held); });
}

INSTANTIATE_TEST_SUITE_P(Death, Interruption, ::testing::Values(Death::Terminated, Death::Killed),
                         [](const ::testing::TestParamInfo<Death>& info) {
                           return std::string(info.param == Death::Terminated ? "Terminated" : "Killed");
                         });

}  // namespace
}  // namespace pbp::test

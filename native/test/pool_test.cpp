// Single-threaded behaviour of pbp::Pool: slots, allocation through the cache and the ring,
// refusal of double/foreign/out-of-range frees with the pool left consistent, all-or-nothing
// bulk frees, buffer chains, statistics, dead threads and reclaim, cross-slot claims and shared
// (memfd) pools attached by descriptor.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "test_support.h"

namespace pbp::test {
namespace {

// Takes every free packet through a fresh slot, checks each index appears exactly once, gives
// them back and releases the slot: the strongest "pool is consistent" check there is.
::testing::AssertionResult everyPacketFreeExactlyOnce(Pool& pool) {
  const uint32_t n = pool.layout().packetCount;
  uint32_t s;
  Status st = pool.claimSlot(999, s);
  if (!st.isOk()) return ::testing::AssertionFailure() << "claimSlot: " << st.message;
  std::vector<uint32_t> got;
  uint32_t p;
  while (got.size() <= n && pool.allocateOne(s, p)) got.push_back(p);
  std::vector<int> seen(n, 0);
  for (uint32_t x : got) {
    if (x >= n) return ::testing::AssertionFailure() << "allocated out-of-range index " << x;
    ++seen[x];
  }
  ::testing::AssertionResult result = ::testing::AssertionSuccess();
  if (got.size() != n)
    result = ::testing::AssertionFailure() << "allocated " << got.size() << " of " << n << " packets";
  for (uint32_t i = 0; i < n && result; ++i)
    if (seen[i] != 1) result = ::testing::AssertionFailure() << "packet " << i << " allocated " << seen[i] << " times";
  for (uint32_t x : got) pool.deallocateOne(s, x);
  pool.releaseSlot(s);
  return result;
}

::testing::AssertionResult statsAddUp(const Pool& pool) {
  PoolStats st = pool.stats();
  uint32_t n = pool.layout().packetCount;
  if (st.allocations - st.deallocations - st.reclaimed != st.inUse)
    return ::testing::AssertionFailure() << "allocations " << st.allocations << " - deallocations " << st.deallocations
                                         << " - reclaimed " << st.reclaimed << " != inUse " << st.inUse;
  if (pool.freePacketCount() + st.inUse != n)
    return ::testing::AssertionFailure() << "free " << pool.freePacketCount() << " + inUse " << st.inUse
                                         << " != packetCount " << n;
  if (st.freeInRing + st.cached + st.inUse != n)
    return ::testing::AssertionFailure() << "freeInRing " << st.freeInRing << " + cached " << st.cached << " + inUse "
                                         << st.inUse << " != " << n;
  return ::testing::AssertionSuccess();
}

TEST(Pool, CreateWritesHeaderAndStartsAllFree) {
  PoolOptions o = smallOptions(64, 8);
  o.name = "my pool";
  o.poolFlags = kPoolFlagSingleMemorySegment;
  auto pool = makePool(o);
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->name(), "my pool");
  EXPECT_EQ(pool->poolFlags(), kPoolFlagSingleMemorySegment);
  EXPECT_EQ(pool->fd(), -1) << "private pools have no descriptor";
  EXPECT_EQ(pool->bytes(), pool->layout().totalBytes);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(pool->base()) % 4096, 0u);
  EXPECT_EQ(pool->freePacketCount(), 64u);
  EXPECT_EQ(pool->freeBufferCount(), 0u);
  for (uint32_t p = 0; p < 64; ++p) {
    EXPECT_EQ(pool->metaOf(p)[meta::kState], 0u);
    EXPECT_EQ(pool->metaOf(p)[meta::kBufferCount], 1u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(pool->metaOf(p)) % kCacheLine, 0u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(pool->bufferAt(p)) % kCacheLine, 0u);
  }
  PoolStats st = pool->stats();
  EXPECT_EQ(st.allocations, 0u);
  EXPECT_EQ(st.inUse, 0u);
  EXPECT_EQ(st.freeInRing, 64u);
  EXPECT_EQ(st.liveThreads, 0u);
  EXPECT_TRUE(everyPacketFreeExactlyOnce(*pool));
}

TEST(Pool, ClaimSlotUntilFullThenReuseWithFreshTag) {
  PoolOptions o = smallOptions();
  o.maxThreads = 3;
  auto pool = makePool(o);
  uint32_t s[3];
  std::set<uint32_t> tags;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(pool->claimSlot(10 + i, s[i]).isOk());
    EXPECT_NE(pool->tagOf(s[i]), 0u);
    tags.insert(pool->tagOf(s[i]));
    EXPECT_EQ(pool->slotWords(s[i])[slot::kState], slot::kLive);
    EXPECT_EQ(pool->slotWords(s[i])[slot::kThreadId], uint32_t(10 + i));
    EXPECT_EQ(pool->slotWords(s[i])[slot::kPid], uint32_t(getpid()));
  }
  EXPECT_EQ(tags.size(), 3u) << "tags are unique";
  EXPECT_EQ(pool->stats().liveThreads, 3u);
  uint32_t extra;
  Status st = pool->claimSlot(20, extra);
  EXPECT_TRUE(isCode(st, IOReturn::NoResources));
  EXPECT_NE(st.message.find("3"), std::string::npos) << st.message;

  uint32_t oldTag = pool->tagOf(s[1]);
  pool->releaseSlot(s[1]);
  EXPECT_EQ(pool->slotWords(s[1])[slot::kState], slot::kFree);
  EXPECT_EQ(pool->stats().liveThreads, 2u);
  uint32_t again;
  ASSERT_TRUE(pool->claimSlot(21, again).isOk());
  EXPECT_EQ(again, s[1]);
  EXPECT_EQ(tags.count(pool->tagOf(again)), 0u) << "a reused slot gets a tag never seen before";
  EXPECT_NE(pool->tagOf(again), oldTag);
}

class PoolAllocate : public ::testing::TestWithParam<uint32_t /*cacheSize*/> {};

TEST_P(PoolAllocate, UntilExhaustionEveryIndexOnceThenFails) {
  const uint32_t cache = GetParam();
  auto pool = makePool(smallOptions(64, cache));
  uint32_t s;
  ASSERT_TRUE(pool->claimSlot(1, s).isOk());
  uint32_t tag = pool->tagOf(s);
  std::vector<int> seen(64, 0);
  uint32_t p;
  for (int i = 0; i < 64; ++i) {
    ASSERT_TRUE(pool->allocateOne(s, p)) << "allocation " << i;
    ASSERT_LT(p, 64u);
    ++seen[p];
    const uint32_t* m = pool->metaOf(p);
    EXPECT_EQ(m[meta::kState], tag);
    EXPECT_EQ(m[meta::kDataOffset], 16u) << "data starts after the headroom";
    EXPECT_EQ(m[meta::kHeadroom], 16u);
    EXPECT_EQ(m[meta::kDataLength], 0u);
    EXPECT_EQ(m[meta::kBufferCount], 1u);
  }
  for (int i = 0; i < 64; ++i) EXPECT_EQ(seen[i], 1) << "packet " << i;
  EXPECT_FALSE(pool->allocateOne(s, p));
  EXPECT_FALSE(pool->allocateOne(s, p));
  PoolStats st = pool->stats();
  EXPECT_EQ(st.allocations, 64u);
  EXPECT_EQ(st.failedAllocations, 2u);
  EXPECT_EQ(st.inUse, 64u);
  EXPECT_EQ(st.highWaterMark, 64u);
  EXPECT_EQ(pool->freePacketCount(), 0u);
  EXPECT_TRUE(statsAddUp(*pool));

  for (uint32_t i = 0; i < 64; ++i) ASSERT_TRUE(pool->deallocateOne(s, i).isOk()) << i;
  for (uint32_t i = 0; i < 64; ++i) EXPECT_EQ(pool->metaOf(i)[meta::kState], 0u);
  EXPECT_EQ(pool->freePacketCount(), 64u);
  st = pool->stats();
  EXPECT_EQ(st.inUse, 0u);
  if (cache == 0) {
    EXPECT_EQ(st.cached, 0u);
  } else {
    EXPECT_GT(st.cached, 0u) << "frees land in the cache first";
    EXPECT_LE(st.cached, cache);
  }
  EXPECT_TRUE(statsAddUp(*pool));
  pool->releaseSlot(s);
  EXPECT_EQ(pool->stats().cached, 0u) << "releaseSlot flushes the cache to the ring";
  EXPECT_EQ(pool->stats().freeInRing, 64u);
  EXPECT_TRUE(everyPacketFreeExactlyOnce(*pool));
}

TEST_P(PoolAllocate, DoubleFreeIsNotPermittedAndPoolStaysConsistent) {
  auto pool = makePool(smallOptions(16, GetParam()));
  uint32_t s;
  ASSERT_TRUE(pool->claimSlot(1, s).isOk());
  uint32_t a, b;
  ASSERT_TRUE(pool->allocateOne(s, a));
  ASSERT_TRUE(pool->allocateOne(s, b));
  ASSERT_TRUE(pool->deallocateOne(s, a).isOk());
  Status st = pool->deallocateOne(s, a);
  EXPECT_TRUE(isCode(st, IOReturn::NotPermitted));
  EXPECT_NE(st.message.find(std::to_string(a)), std::string::npos) << st.message;
  // A packet that was never allocated at all.
  uint32_t never = 0;
  while (never == a || never == b) ++never;
  EXPECT_TRUE(isCode(pool->deallocateOne(s, never), IOReturn::NotPermitted));
  PoolStats stats = pool->stats();
  EXPECT_EQ(stats.deallocations, 1u) << "refused frees are not counted";
  EXPECT_EQ(stats.inUse, 1u);
  EXPECT_TRUE(statsAddUp(*pool));
  ASSERT_TRUE(pool->deallocateOne(s, b).isOk());
  pool->releaseSlot(s);
  EXPECT_TRUE(everyPacketFreeExactlyOnce(*pool));
}

TEST_P(PoolAllocate, OutOfRangeIndexIsBadArgument) {
  auto pool = makePool(smallOptions(16, GetParam()));
  uint32_t s;
  ASSERT_TRUE(pool->claimSlot(1, s).isOk());
  for (uint32_t bad : {16u, 17u, 1000u, 0xFFFFFFFFu}) {
    Status st = pool->deallocateOne(s, bad);
    EXPECT_TRUE(isCode(st, IOReturn::BadArgument)) << bad;
    EXPECT_NE(st.message.find(std::to_string(bad)), std::string::npos) << st.message;
    EXPECT_TRUE(isCode(pool->claimPacket(s, bad), IOReturn::BadArgument));
    uint32_t buf;
    EXPECT_TRUE(isCode(pool->addBuffer(bad, buf), IOReturn::BadArgument));
  }
  EXPECT_EQ(pool->freePacketCount(), 16u);
  pool->releaseSlot(s);
  EXPECT_TRUE(everyPacketFreeExactlyOnce(*pool));
}

TEST(Pool, CacheRefillsAndFlushesInHalves) {
  const uint32_t cache = 8;
  auto pool = makePool(smallOptions(64, cache));
  uint32_t s;
  ASSERT_TRUE(pool->claimSlot(1, s).isOk());
  uint32_t p;
  ASSERT_TRUE(pool->allocateOne(s, p));
  // The first allocation pulled half a cache from the ring and handed one out.
  EXPECT_EQ(pool->stats().cached, cache / 2 - 1);
  EXPECT_EQ(pool->stats().freeInRing, 64 - cache / 2);
  EXPECT_EQ(pool->freePacketCount(), 63u);
  ASSERT_TRUE(pool->deallocateOne(s, p).isOk());
  EXPECT_EQ(pool->stats().cached, cache / 2);
  // Free more than a cache's worth: the cache never exceeds cacheSize.
  std::vector<uint32_t> held;
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(pool->allocateOne(s, p));
    held.push_back(p);
  }
  for (uint32_t x : held) {
    ASSERT_TRUE(pool->deallocateOne(s, x).isOk());
    EXPECT_LE(pool->stats().cached, cache);
  }
  EXPECT_EQ(pool->flushCache(s, 0), 0u);
  EXPECT_EQ(pool->stats().freeInRing, 64u);
  EXPECT_EQ(pool->refillCache(s), cache / 2);
  EXPECT_TRUE(statsAddUp(*pool));
  pool->releaseSlot(s);
  EXPECT_TRUE(everyPacketFreeExactlyOnce(*pool));
}

INSTANTIATE_TEST_SUITE_P(CacheSizes, PoolAllocate, ::testing::Values(0u, 8u),
                         [](const ::testing::TestParamInfo<uint32_t>& info) {
                           return "Cache" + std::to_string(info.param);
                         });

TEST(Pool, DeallocateBulkIsAllOrNothing) {
  auto pool = makePool(smallOptions(16, 4));
  uint32_t s;
  ASSERT_TRUE(pool->claimSlot(1, s).isOk());
  uint32_t tag = pool->tagOf(s);
  uint32_t held[8];
  ASSERT_EQ(pool->allocateBurst(s, held, 8), 8u);
  uint32_t freeBefore = pool->freePacketCount();

  auto allStillHeld = [&]() {
    for (uint32_t p : held)
      if (pool->metaOf(p)[meta::kState] != tag) return false;
    return pool->freePacketCount() == freeBefore && pool->stats().inUse == 8;
  };

  // Out-of-range index in the middle.
  std::vector<uint32_t> list(held, held + 8);
  list.insert(list.begin() + 3, 16);
  Status st = pool->deallocateBulk(s, list.data(), uint32_t(list.size()));
  EXPECT_TRUE(isCode(st, IOReturn::BadArgument));
  EXPECT_NE(st.message.find("packets[3]"), std::string::npos) << st.message;
  EXPECT_TRUE(allStillHeld());

  // A free packet in the middle.
  uint32_t freePacket = 0;
  while (std::find(held, held + 8, freePacket) != held + 8) ++freePacket;
  list.assign(held, held + 8);
  list.insert(list.begin() + 5, freePacket);
  st = pool->deallocateBulk(s, list.data(), uint32_t(list.size()));
  EXPECT_TRUE(isCode(st, IOReturn::NotPermitted));
  EXPECT_NE(st.message.find("packets[5]"), std::string::npos) << st.message;
  EXPECT_TRUE(allStillHeld());

  // The same packet twice.
  list.assign(held, held + 8);
  list.push_back(held[2]);
  st = pool->deallocateBulk(s, list.data(), uint32_t(list.size()));
  EXPECT_TRUE(isCode(st, IOReturn::NotPermitted));
  EXPECT_NE(st.message.find("packets[8]"), std::string::npos) << st.message;
  EXPECT_TRUE(allStillHeld());
  EXPECT_EQ(pool->stats().deallocations, 0u);

  // And the valid list frees everything.
  ASSERT_TRUE(pool->deallocateBulk(s, held, 8).isOk());
  for (uint32_t p : held) EXPECT_EQ(pool->metaOf(p)[meta::kState], 0u);
  EXPECT_EQ(pool->stats().deallocations, 8u);
  EXPECT_EQ(pool->stats().inUse, 0u);
  EXPECT_TRUE(isCode(pool->deallocateBulk(s, held, 8), IOReturn::NotPermitted));
  EXPECT_TRUE(pool->deallocateBulk(s, held, 0).isOk()) << "an empty list is fine";
  EXPECT_TRUE(statsAddUp(*pool));
  pool->releaseSlot(s);
  EXPECT_TRUE(everyPacketFreeExactlyOnce(*pool));
}

TEST(Pool, AllocateBurstTakesWhatIsThere) {
  auto pool = makePool(smallOptions(40, 0));
  uint32_t s;
  ASSERT_TRUE(pool->claimSlot(1, s).isOk());
  uint32_t out[32];
  std::vector<int> seen(40, 0);
  ASSERT_EQ(pool->allocateBurst(s, out, 32), 32u);
  for (uint32_t p : out) ++seen[p];
  uint32_t rest[32];
  ASSERT_EQ(pool->allocateBurst(s, rest, 32), 8u);
  for (uint32_t i = 0; i < 8; ++i) {
    ++seen[rest[i]];
    EXPECT_EQ(pool->metaOf(rest[i])[meta::kState], pool->tagOf(s));
  }
  for (int c : seen) EXPECT_EQ(c, 1);
  EXPECT_EQ(pool->allocateBurst(s, rest, 32), 0u);
  PoolStats st = pool->stats();
  EXPECT_EQ(st.allocations, 40u);
  EXPECT_EQ(st.failedAllocations, 24u + 32u);
  EXPECT_EQ(st.inUse, 40u);
  ASSERT_TRUE(pool->deallocateBulk(s, out, 32).isOk());
  ASSERT_TRUE(pool->deallocateBulk(s, rest, 8).isOk());
  EXPECT_TRUE(statsAddUp(*pool));
  pool->releaseSlot(s);
  EXPECT_TRUE(everyPacketFreeExactlyOnce(*pool));
}

TEST(Pool, BufferChains) {
  PoolOptions o = smallOptions(4, 0);
  o.bufferCount = 7;  // 3 extra buffers
  o.maxBuffersPerPacket = 3;
  auto pool = makePool(o);
  EXPECT_EQ(pool->freeBufferCount(), 3u);
  uint32_t s;
  ASSERT_TRUE(pool->claimSlot(1, s).isOk());
  uint32_t a, b;
  ASSERT_TRUE(pool->allocateOne(s, a));
  ASSERT_TRUE(pool->allocateOne(s, b));

  uint32_t b1, b2, b3;
  ASSERT_TRUE(pool->addBuffer(a, b1).isOk());
  ASSERT_TRUE(pool->addBuffer(a, b2).isOk());
  EXPECT_GE(b1, 4u);
  EXPECT_GE(b2, 4u);
  EXPECT_LT(b1, 7u);
  EXPECT_LT(b2, 7u);
  EXPECT_NE(b1, b2);
  EXPECT_EQ(pool->metaOf(a)[meta::kBufferCount], 3u);
  EXPECT_EQ(pool->chainOf(a)[0], b1);
  EXPECT_EQ(pool->chainOf(a)[1], b2);
  Status st = pool->addBuffer(a, b3);
  EXPECT_TRUE(isCode(st, IOReturn::Overrun)) << "maxBuffersPerPacket is 3";
  EXPECT_EQ(pool->metaOf(a)[meta::kBufferCount], 3u);
  EXPECT_EQ(pool->freeBufferCount(), 1u);

  ASSERT_TRUE(pool->addBuffer(b, b3).isOk());
  EXPECT_EQ(pool->freeBufferCount(), 0u);
  uint32_t none;
  EXPECT_TRUE(isCode(pool->addBuffer(b, none), IOReturn::NoResources));
  EXPECT_EQ(pool->metaOf(b)[meta::kBufferCount], 2u) << "a refused addBuffer changes nothing";

  // Extra buffers are distinct memory from the packets' own buffers.
  std::set<uint8_t*> addrs = {pool->bufferAt(a), pool->bufferAt(b), pool->bufferAt(b1), pool->bufferAt(b2),
                              pool->bufferAt(b3)};
  EXPECT_EQ(addrs.size(), 5u);

  // Deallocation gives the chain back.
  ASSERT_TRUE(pool->deallocateOne(s, a).isOk());
  EXPECT_EQ(pool->freeBufferCount(), 2u);
  EXPECT_EQ(pool->metaOf(a)[meta::kBufferCount], 1u);
  ASSERT_TRUE(pool->deallocateBulk(s, &b, 1).isOk());
  EXPECT_EQ(pool->freeBufferCount(), 3u);

  // A free packet cannot grow a chain.
  EXPECT_TRUE(isCode(pool->addBuffer(a, none), IOReturn::NotPermitted));

  // All three extra buffers come back out, each once.
  ASSERT_TRUE(pool->allocateOne(s, a));
  std::set<uint32_t> extra;
  uint32_t x;
  ASSERT_TRUE(pool->addBuffer(a, x).isOk());
  extra.insert(x);
  ASSERT_TRUE(pool->addBuffer(a, x).isOk());
  extra.insert(x);
  ASSERT_TRUE(pool->allocateOne(s, b));
  ASSERT_TRUE(pool->addBuffer(b, x).isOk());
  extra.insert(x);
  EXPECT_EQ(extra, (std::set<uint32_t>{4, 5, 6}));
  ASSERT_TRUE(pool->deallocateOne(s, a).isOk());
  ASSERT_TRUE(pool->deallocateOne(s, b).isOk());
  EXPECT_EQ(pool->freeBufferCount(), 3u);
  pool->releaseSlot(s);
  EXPECT_TRUE(everyPacketFreeExactlyOnce(*pool));
}

TEST(Pool, ReleaseSlotWithHeldPacketsLeavesDeadThreadUntilReclaim) {
  auto pool = makePool(smallOptions(32, 8));
  uint32_t live, dying;
  ASSERT_TRUE(pool->claimSlot(1, live).isOk());
  ASSERT_TRUE(pool->claimSlot(7, dying).isOk());
  uint32_t mine;
  ASSERT_TRUE(pool->allocateOne(live, mine));
  std::vector<uint32_t> orphans;
  uint32_t p;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(pool->allocateOne(dying, p));
    orphans.push_back(p);
  }
  ASSERT_TRUE(pool->deallocateOne(dying, orphans.back()).isOk());  // stays in its cache
  orphans.pop_back();
  EXPECT_GT(pool->stats().cached, 0u);

  // A live thread cannot be reclaimed.
  uint32_t n = 99;
  Status st = pool->reclaim(7, n);
  EXPECT_TRUE(isCode(st, IOReturn::NotPermitted));
  EXPECT_NE(st.message.find("7"), std::string::npos) << st.message;

  pool->releaseSlot(dying);
  PoolStats stats = pool->stats();
  EXPECT_EQ(stats.liveThreads, 1u);
  EXPECT_EQ(stats.deadThreads, 1u);
  EXPECT_EQ(stats.orphanedPackets, 4u);
  EXPECT_EQ(stats.inUse, 5u) << "4 orphans + 1 held by the live thread";
  EXPECT_EQ(stats.cached, pool->slotWords(live)[slot::kCacheCountU32])
      << "only the live thread's cache: the dead thread's cache went back to the ring";
  EXPECT_EQ(pool->slotWords(dying)[slot::kState], slot::kDead);
  EXPECT_EQ(pool->freePacketCount(), 27u);
  EXPECT_TRUE(statsAddUp(*pool));

  // Nothing to reclaim for a thread that never existed.
  EXPECT_TRUE(isCode(pool->reclaim(12345, n), IOReturn::NotFound));

  ASSERT_TRUE(pool->reclaim(7, n).isOk());
  EXPECT_EQ(n, 4u);
  for (uint32_t o : orphans) EXPECT_EQ(pool->metaOf(o)[meta::kState], 0u);
  EXPECT_EQ(pool->metaOf(mine)[meta::kState], pool->tagOf(live)) << "other threads' untouched";
  stats = pool->stats();
  EXPECT_EQ(stats.deadThreads, 0u);
  EXPECT_EQ(stats.orphanedPackets, 0u);
  EXPECT_EQ(stats.reclaimed, 4u);
  EXPECT_EQ(stats.inUse, 1u);
  EXPECT_EQ(pool->slotWords(dying)[slot::kState], slot::kFree);
  EXPECT_TRUE(statsAddUp(*pool));
  EXPECT_TRUE(isCode(pool->reclaim(7, n), IOReturn::NotFound)) << "already reclaimed";

  // The reclaimed slot is reusable.
  uint32_t again;
  ASSERT_TRUE(pool->claimSlot(8, again).isOk());
  pool->releaseSlot(again);
  ASSERT_TRUE(pool->deallocateOne(live, mine).isOk());
  pool->releaseSlot(live);
  EXPECT_EQ(pool->stats().liveThreads, 0u);
  EXPECT_TRUE(statsAddUp(*pool));
  EXPECT_TRUE(everyPacketFreeExactlyOnce(*pool));
}

// A worker that handed its packets on and exited leaves a Dead slot that, once the receivers have
// freed those packets, holds nothing: claimSlot must reuse it rather than report the pool full.
TEST(Pool, DeadSlotWhosePacketsWereFreedElsewhereIsRecycled) {
  PoolOptions o = smallOptions(16, 4);
  o.maxThreads = 2;
  auto pool = makePool(o);
  uint32_t mainSlot, worker;
  ASSERT_TRUE(pool->claimSlot(0, mainSlot).isOk());
  ASSERT_TRUE(pool->claimSlot(5, worker).isOk());
  uint32_t handed[3];
  ASSERT_EQ(pool->allocateBurst(worker, handed, 3), 3u);
  for (uint32_t p : handed) pool->publish(worker, p);
  pool->releaseSlot(worker);  // exits with the packets "in flight"
  EXPECT_EQ(pool->stats().deadThreads, 1u);
  EXPECT_EQ(pool->stats().orphanedPackets, 3u);

  // While it still holds a packet its slot is not reused.
  ASSERT_TRUE(pool->deallocateOne(mainSlot, handed[0]).isOk());  // cross-thread free
  ASSERT_TRUE(pool->claimPacket(mainSlot, handed[1]).isOk());
  uint32_t s;
  Status st = pool->claimSlot(6, s);
  EXPECT_TRUE(isCode(st, IOReturn::NoResources)) << "handed[2] is still tagged with the dead slot";
  EXPECT_EQ(pool->slotWords(worker)[slot::kState], slot::kDead);
  EXPECT_EQ(pool->stats().orphanedPackets, 1u);

  ASSERT_TRUE(pool->deallocateOne(mainSlot, handed[2]).isOk());
  EXPECT_EQ(pool->stats().orphanedPackets, 0u);
  EXPECT_EQ(pool->stats().deadThreads, 0u) << "an emptied dead slot holds nothing to reclaim";
  ASSERT_TRUE(pool->claimSlot(6, s).isOk()) << "the emptied dead slot is recycled";
  EXPECT_EQ(s, worker);
  EXPECT_EQ(pool->slotWords(s)[slot::kState], slot::kLive);
  EXPECT_EQ(pool->slotWords(s)[slot::kThreadId], 6u);
  PoolStats stats = pool->stats();
  EXPECT_EQ(stats.deadThreads, 0u);
  EXPECT_EQ(stats.liveThreads, 2u);
  uint32_t p;
  ASSERT_TRUE(pool->allocateOne(s, p));
  EXPECT_EQ(pool->metaOf(p)[meta::kState], pool->tagOf(s));
  ASSERT_TRUE(pool->deallocateOne(s, p).isOk());
  ASSERT_TRUE(pool->deallocateOne(mainSlot, handed[1]).isOk());
  pool->releaseSlot(s);
  pool->releaseSlot(mainSlot);
  EXPECT_TRUE(statsAddUp(*pool));
  EXPECT_TRUE(everyPacketFreeExactlyOnce(*pool));
}

TEST(Pool, ReclaimAnyThreadReturnsEveryDeadSlotsPackets) {
  auto pool = makePool(smallOptions(32, 0));
  uint32_t a, b, p;
  ASSERT_TRUE(pool->claimSlot(1, a).isOk());
  ASSERT_TRUE(pool->claimSlot(2, b).isOk());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pool->allocateOne(a, p));
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(pool->allocateOne(b, p));
  pool->releaseSlot(a);
  pool->releaseSlot(b);
  EXPECT_EQ(pool->stats().deadThreads, 2u);
  EXPECT_EQ(pool->stats().orphanedPackets, 5u);
  uint32_t n = 0;
  ASSERT_TRUE(pool->reclaim(Pool::kAnyThread, n).isOk());
  EXPECT_EQ(n, 5u);
  EXPECT_EQ(pool->stats().deadThreads, 0u);
  EXPECT_EQ(pool->stats().reclaimed, 5u);
  EXPECT_EQ(pool->stats().allocations, 5u) << "released slots' counters survive in the header";
  EXPECT_TRUE(statsAddUp(*pool));
  EXPECT_TRUE(everyPacketFreeExactlyOnce(*pool));
}

TEST(Pool, ClaimPacketMovesOwnershipBetweenSlots) {
  auto pool = makePool(smallOptions(16, 4));
  uint32_t a, b;
  ASSERT_TRUE(pool->claimSlot(1, a).isOk());
  ASSERT_TRUE(pool->claimSlot(2, b).isOk());
  uint32_t p;
  ASSERT_TRUE(pool->allocateOne(a, p));
  std::memcpy(pool->bufferAt(p), "handoff", 8);
  Status refused = pool->claimPacket(b, p);
  EXPECT_TRUE(isCode(refused, IOReturn::NotPermitted)) << "not published yet";
  EXPECT_NE(refused.message.find("has not handed it over"), std::string::npos) << refused.message;
  EXPECT_EQ(pool->metaOf(p)[meta::kState], pool->tagOf(a));
  pool->publish(b, p);
  EXPECT_EQ(pool->metaOf(p)[meta::kState], pool->tagOf(a)) << "only the owner publishes";
  pool->publish(a, p);
  EXPECT_EQ(pool->metaOf(p)[meta::kState], pool->tagOf(a) | meta::kStatePublished);
  ASSERT_TRUE(pool->claimPacket(b, p).isOk());
  EXPECT_EQ(pool->metaOf(p)[meta::kState], pool->tagOf(b));
  EXPECT_TRUE(pool->claimPacket(b, p).isOk()) << "claiming what you own is a no-op";
  EXPECT_STREQ(reinterpret_cast<const char*>(pool->bufferAt(p)), "handoff");

  // Slot a released now holds nothing (b owns the packet), so it is not dead.
  pool->releaseSlot(a);
  EXPECT_EQ(pool->stats().deadThreads, 0u);
  EXPECT_EQ(pool->stats().inUse, 1u);

  ASSERT_TRUE(pool->deallocateOne(b, p).isOk());
  EXPECT_TRUE(isCode(pool->deallocateOne(b, p), IOReturn::NotPermitted));
  EXPECT_TRUE(isCode(pool->claimPacket(b, p), IOReturn::NotPermitted)) << "free packet";
  EXPECT_TRUE(statsAddUp(*pool));

  // A packet of a dead thread taken over before reclaim is not reclaimed; an unpublished one is
  // (reclaim matches the tag with or without the published bit).
  uint32_t c, q, r;
  ASSERT_TRUE(pool->claimSlot(3, c).isOk());
  ASSERT_TRUE(pool->allocateOne(c, q));
  ASSERT_TRUE(pool->allocateOne(c, r));
  pool->publish(c, q);
  pool->releaseSlot(c);
  EXPECT_EQ(pool->stats().orphanedPackets, 2u);
  ASSERT_TRUE(pool->claimPacket(b, q).isOk());
  EXPECT_EQ(pool->stats().orphanedPackets, 1u);
  uint32_t n = 0;
  ASSERT_TRUE(pool->reclaim(3, n).isOk());
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(pool->metaOf(q)[meta::kState], pool->tagOf(b));
  EXPECT_EQ(pool->metaOf(r)[meta::kState], 0u);
  EXPECT_TRUE(statsAddUp(*pool));
  ASSERT_TRUE(pool->deallocateOne(b, q).isOk());
  pool->releaseSlot(b);
  EXPECT_TRUE(statsAddUp(*pool));
  EXPECT_TRUE(everyPacketFreeExactlyOnce(*pool));
}

TEST(Pool, CrossSlotDeallocateFreesOnce) {
  auto pool = makePool(smallOptions(16, 0));
  uint32_t a, b, p;
  ASSERT_TRUE(pool->claimSlot(1, a).isOk());
  ASSERT_TRUE(pool->claimSlot(2, b).isOk());
  ASSERT_TRUE(pool->allocateOne(a, p));
  EXPECT_TRUE(isCode(pool->deallocateOne(b, p), IOReturn::NotPermitted))
      << "an unpublished packet is its owner's alone";
  EXPECT_EQ(pool->metaOf(p)[meta::kState], pool->tagOf(a));
  pool->publish(a, p);
  ASSERT_TRUE(pool->deallocateOne(b, p).isOk()) << "another thread may free a published packet";
  EXPECT_TRUE(isCode(pool->deallocateOne(a, p), IOReturn::NotPermitted));
  EXPECT_TRUE(statsAddUp(*pool));
  pool->releaseSlot(a);
  pool->releaseSlot(b);
  EXPECT_TRUE(everyPacketFreeExactlyOnce(*pool));
}

TEST(Pool, SharedPoolAttachedByFdSeesTheSameRegion) {
  PoolOptions o = smallOptions(32, 8);
  o.shared = true;
  o.bufferCount = 40;
  o.maxBuffersPerPacket = 2;
  o.name = "shared-one";
  auto pool = makePool(o);
  ASSERT_NE(pool, nullptr);
  ASSERT_GE(pool->fd(), 0);

  std::shared_ptr<Pool> other;
  Status st = Pool::attachFd(pool->fd(), other);
  ASSERT_TRUE(st.isOk()) << st.message;
  EXPECT_NE(other->base(), pool->base()) << "a second mapping";
  EXPECT_NE(other->fd(), pool->fd()) << "attach keeps its own duplicate of the descriptor";
  EXPECT_EQ(other->name(), "shared-one");
  EXPECT_EQ(other->bytes(), pool->bytes());
  EXPECT_EQ(other->layout().buffersOffset, pool->layout().buffersOffset);
  EXPECT_EQ(other->layout().cacheSize, 8u);
  EXPECT_EQ(other->freeBufferCount(), 8u);

  uint32_t s1, s2;
  ASSERT_TRUE(pool->claimSlot(1, s1).isOk());
  ASSERT_TRUE(other->claimSlot(2, s2).isOk());
  EXPECT_NE(s1, s2) << "slots are claimed in the shared region";

  uint32_t p;
  ASSERT_TRUE(pool->allocateOne(s1, p));
  pool->metaOf(p)[meta::kDataLength] = 1234;
  std::memcpy(pool->bufferAt(p) + 16, "written by the creator", 23);
  EXPECT_EQ(other->metaOf(p)[meta::kState], pool->tagOf(s1));
  EXPECT_EQ(other->metaOf(p)[meta::kDataLength], 1234u);
  EXPECT_STREQ(reinterpret_cast<const char*>(other->bufferAt(p) + 16), "written by the creator");

  uint32_t buf;
  ASSERT_TRUE(other->addBuffer(p, buf).isOk());
  EXPECT_EQ(pool->metaOf(p)[meta::kBufferCount], 2u);
  EXPECT_EQ(pool->freeBufferCount(), 7u);
  std::memcpy(other->bufferAt(buf), "chain", 6);
  EXPECT_STREQ(reinterpret_cast<const char*>(pool->bufferAt(buf)), "chain");

  // The attached view takes the packet over and frees it; the creator sees it free.
  pool->publish(s1, p);
  ASSERT_TRUE(other->claimPacket(s2, p).isOk());
  EXPECT_EQ(pool->metaOf(p)[meta::kState], other->tagOf(s2));
  ASSERT_TRUE(other->deallocateOne(s2, p).isOk());
  EXPECT_EQ(pool->metaOf(p)[meta::kState], 0u);
  EXPECT_EQ(pool->freeBufferCount(), 8u);
  EXPECT_TRUE(isCode(pool->deallocateOne(s1, p), IOReturn::NotPermitted));

  // Both views agree on the statistics.
  PoolStats a = pool->stats(), b = other->stats();
  EXPECT_EQ(a.allocations, b.allocations);
  EXPECT_EQ(a.deallocations, b.deallocations);
  EXPECT_EQ(a.liveThreads, 2u);
  EXPECT_EQ(b.liveThreads, 2u);
  EXPECT_EQ(pool->freePacketCount(), other->freePacketCount());
  EXPECT_TRUE(statsAddUp(*other));

  other->releaseSlot(s2);
  pool->releaseSlot(s1);
  other.reset();  // unmapping the attached view leaves the creator's mapping alone
  EXPECT_STREQ(reinterpret_cast<const char*>(pool->bufferAt(buf)), "chain");
  EXPECT_TRUE(everyPacketFreeExactlyOnce(*pool));
}

TEST(Pool, AttachFdRefusesWhatIsNotAPool) {
  std::shared_ptr<Pool> out;
  // A descriptor that is not open.
  EXPECT_TRUE(isCode(Pool::attachFd(-1, out), IOReturn::BadArgument));
  EXPECT_EQ(out, nullptr);

  // An empty file (sealed, so the checks after the seal check are the ones that refuse it).
  int fd = memfd_create("not-a-pool", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  ASSERT_GE(fd, 0);
  int empty = memfd_create("empty", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  ASSERT_EQ(fcntl(empty, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
  Status st = Pool::attachFd(empty, out);
  EXPECT_TRUE(isCode(st, IOReturn::BadArgument)) << st.message;
  close(empty);
  // A zero-filled file large enough for a header, but without the magic.
  ASSERT_EQ(ftruncate(fd, 1 << 16), 0);
  ASSERT_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
  st = Pool::attachFd(fd, out);
  EXPECT_TRUE(isCode(st, IOReturn::BadArgument)) << st.message;
  EXPECT_NE(st.message.find("not a packet-buffer-pool"), std::string::npos) << st.message;
  EXPECT_EQ(out, nullptr);
  close(fd);

  // A real pool's region truncated below what its header describes.
  PoolOptions o = smallOptions(32, 0);
  o.shared = true;
  auto pool = makePool(o);
  int copy = memfd_create("truncated", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  ASSERT_GE(copy, 0);
  ASSERT_EQ(write(copy, pool->base(), 8192), 8192);
  ASSERT_EQ(fcntl(copy, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
  st = Pool::attachFd(copy, out);
  EXPECT_TRUE(isCode(st, IOReturn::BadArgument)) << st.message;
  EXPECT_EQ(out, nullptr);
  close(copy);
}

}  // namespace
}  // namespace pbp::test

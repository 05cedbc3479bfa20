// Concurrency of pbp::Pool. Every packet a thread holds has its buffer stamped with (thread,
// sequence) right after allocation and checked right before it is freed, so two holders of one
// packet, or a free that does not publish the previous owner's writes, show up as a wrong stamp
// (and as a data race under TSan). At the end every packet must be free exactly once and the
// statistics must add up.
#include <atomic>
#include <thread>

#include "test_support.h"

namespace pbp::test {
namespace {

struct Stamp {
  uint32_t thread;
  uint32_t seq;
};

void stamp(Pool& pool, uint32_t packet, uint32_t thread, uint32_t seq) {
  uint8_t* b = pool.bufferAt(packet);
  Stamp s{thread, seq};
  std::memcpy(b, &s, sizeof s);
  std::memcpy(b + pool.layout().bufferSize - sizeof s, &s, sizeof s);
}

bool stampIs(Pool& pool, uint32_t packet, uint32_t thread, uint32_t seq) {
  const uint8_t* b = pool.bufferAt(packet);
  Stamp head, tail;
  std::memcpy(&head, b, sizeof head);
  std::memcpy(&tail, b + pool.layout().bufferSize - sizeof tail, sizeof tail);
  return head.thread == thread && head.seq == seq && tail.thread == thread && tail.seq == seq;
}

// Takes every free packet through a fresh slot and checks each index appears exactly once.
void expectEveryPacketFreeExactlyOnce(Pool& pool) {
  const uint32_t n = pool.layout().packetCount;
  uint32_t s;
  ASSERT_TRUE(pool.claimSlot(999, s).isOk());
  std::vector<int> seen(n, 0);
  std::vector<uint32_t> got;
  uint32_t p;
  while (got.size() <= n && pool.allocateOne(s, p)) {
    ASSERT_LT(p, n);
    ++seen[p];
    got.push_back(p);
  }
  EXPECT_EQ(got.size(), n);
  for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(seen[i], 1) << "packet " << i;
  for (uint32_t x : got) ASSERT_TRUE(pool.deallocateOne(s, x).isOk());
  pool.releaseSlot(s);
}

void expectStatsAddUp(const Pool& pool) {
  PoolStats st = pool.stats();
  EXPECT_EQ(st.allocations - st.deallocations - st.reclaimed, st.inUse);
  EXPECT_EQ(pool.freePacketCount() + st.inUse, pool.layout().packetCount);
  EXPECT_EQ(st.freeInRing + st.cached + st.inUse, pool.layout().packetCount);
}

struct Held {
  uint32_t packet;
  uint32_t seq;
};

class PoolStress : public ::testing::TestWithParam<uint32_t /*cacheSize*/> {};

// Four threads, each with its own slot, mixing allocateOne/deallocateOne with
// allocateBurst/deallocateBulk on a pool small enough to run dry now and then, while a fifth
// thread keeps reading the statistics.
TEST_P(PoolStress, FourThreadsOwnSlotsStampsSurviveAndEverythingComesBack) {
  constexpr unsigned kThreads = 4;
  constexpr uint32_t kPackets = 256;
  const unsigned iterations = scaled(60000);
  PoolOptions o = smallOptions(kPackets, GetParam());
  o.bufferSize = 128;
  o.headroom = 0;
  auto pool = makePool(o);
  ASSERT_NE(pool, nullptr);

  Failures failures;
  std::atomic<uint64_t> allocated{0}, freed{0}, failed{0};
  std::atomic<bool> done{false};
  std::atomic<unsigned> ready{0};

  auto worker = [&](uint32_t t) {
    uint32_t s;
    Status st = pool->claimSlot(t, s);
    if (!st.isOk()) {
      failures.add("claimSlot: " + st.message);
      return;
    }
    const uint32_t tag = pool->tagOf(s);
    XorShift rng(t + 11);
    std::vector<Held> held;
    uint32_t seq = 0;
    uint64_t myAllocated = 0, myFreed = 0, myFailed = 0;

    auto take = [&](uint32_t p) {
      if ((pool->metaOf(p)[meta::kState] & meta::kStateTagMask) != tag)
        failures.add("thread " + std::to_string(t) + " got packet " + std::to_string(p) + " not marked as its own");
      stamp(*pool, p, t, ++seq);
      held.push_back({p, seq});
    };
    auto check = [&](const Held& h) {
      if (!stampIs(*pool, h.packet, t, h.seq))
        failures.add("packet " + std::to_string(h.packet) + " of thread " + std::to_string(t) +
                     " was overwritten while held");
      if ((loadRelaxed(pool->metaOf(h.packet) + meta::kState) & meta::kStateTagMask) != tag)
        failures.add("packet " + std::to_string(h.packet) + " changed owner while held");
    };

    ready.fetch_add(1);
    while (ready.load() < kThreads) std::this_thread::yield();
    for (unsigned it = 0; it < iterations && failures.count() == 0; ++it) {
      uint32_t r = rng.below(8);
      if (r < 3 && held.size() < 80) {
        uint32_t p;
        if (pool->allocateOne(s, p)) {
          take(p);
          ++myAllocated;
        } else {
          ++myFailed;
        }
      } else if (r < 6 && !held.empty()) {
        size_t i = rng.below(uint32_t(held.size()));
        Held h = held[i];
        held[i] = held.back();
        held.pop_back();
        check(h);
        st = pool->deallocateOne(s, h.packet);
        if (!st.isOk()) failures.add("deallocateOne: " + st.message);
        ++myFreed;
      } else if (r == 6 && held.size() < 80) {
        uint32_t want = 1 + rng.below(32), out[32];
        uint32_t got = pool->allocateBurst(s, out, want);
        for (uint32_t i = 0; i < got; ++i) take(out[i]);
        myAllocated += got;
        myFailed += want - got;
      } else if (!held.empty()) {
        uint32_t k = 1 + rng.below(uint32_t(std::min<size_t>(held.size(), 32)));
        uint32_t list[32];
        for (uint32_t i = 0; i < k; ++i) {
          check(held[held.size() - 1 - i]);
          list[i] = held[held.size() - 1 - i].packet;
        }
        st = pool->deallocateBulk(s, list, k);
        if (!st.isOk()) failures.add("deallocateBulk: " + st.message);
        held.resize(held.size() - k);
        myFreed += k;
      }
    }
    for (const Held& h : held) {
      check(h);
      st = pool->deallocateOne(s, h.packet);
      if (!st.isOk()) failures.add("final deallocateOne: " + st.message);
      ++myFreed;
    }
    pool->releaseSlot(s);
    allocated.fetch_add(myAllocated);
    freed.fetch_add(myFreed);
    failed.fetch_add(myFailed);
  };

  // Racy readers of the statistics must never see impossible values.
  auto observer = [&]() {
    while (!done.load(std::memory_order_relaxed)) {
      PoolStats st = pool->stats();
      if (st.inUse > kPackets || st.cached > kPackets || st.freeInRing > kPackets)
        failures.add("impossible stats snapshot");
      if (pool->freePacketCount() > kPackets) failures.add("impossible free count");
      std::this_thread::yield();
    }
  };

  std::thread obs(observer);
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < kThreads; ++t) threads.emplace_back(worker, t + 1);
  for (auto& th : threads) th.join();
  done.store(true);
  obs.join();
  ASSERT_EQ(failures.count(), 0u) << failures.summary();

  EXPECT_EQ(allocated.load(), freed.load());
  EXPECT_GT(allocated.load(), uint64_t(iterations) * kThreads / 4) << "the threads barely ran";
  PoolStats st = pool->stats();
  EXPECT_EQ(st.allocations, allocated.load());
  EXPECT_EQ(st.deallocations, freed.load());
  EXPECT_EQ(st.failedAllocations, failed.load());
  EXPECT_EQ(st.inUse, 0u);
  EXPECT_EQ(st.liveThreads, 0u);
  EXPECT_EQ(st.deadThreads, 0u);
  EXPECT_EQ(st.cached, 0u) << "released slots flushed their caches";
  EXPECT_EQ(st.freeInRing, kPackets);
  EXPECT_LE(st.highWaterMark, kPackets);
  expectStatsAddUp(*pool);
  expectEveryPacketFreeExactlyOnce(*pool);
}

INSTANTIATE_TEST_SUITE_P(CacheSizes, PoolStress, ::testing::Values(0u, 32u),
                         [](const ::testing::TestParamInfo<uint32_t>& info) {
                           return "Cache" + std::to_string(info.param);
                         });

// Producers allocate and stamp packets and pass their indices through a ring (the way JS threads
// pass packet indices); consumers take them over with claimPacket or free them directly as a
// non-owner, after checking the producer's stamp.
TEST(PoolHandoff, PacketsMoveBetweenThreadsWithTheirContents) {
  constexpr unsigned kProducers = 2, kConsumers = 2;
  constexpr uint32_t kPackets = 128;
  const uint32_t perProducer = scaled(40000);
  auto pool = makePool(smallOptions(kPackets, 16));
  ASSERT_NE(pool, nullptr);
  RingMemory channel(64);
  Ring& ring = channel.ring;
  Failures failures;
  std::atomic<uint64_t> received{0};
  const uint64_t total = uint64_t(perProducer) * kProducers;
  // What each packet's buffer should say, written by the producer before it publishes the index.
  std::vector<uint32_t> expectedSeq(kPackets, 0), expectedThread(kPackets, 0);

  auto producer = [&](uint32_t t) {
    uint32_t s;
    if (!pool->claimSlot(t, s).isOk()) return failures.add("claimSlot");
    for (uint32_t seq = 1; seq <= perProducer && failures.count() == 0;) {
      uint32_t p;
      if (!pool->allocateOne(s, p)) {
        std::this_thread::yield();
        continue;
      }
      stamp(*pool, p, t, seq);
      expectedThread[p] = t;
      expectedSeq[p] = seq;
      pool->publish(s, p);  // what handOver() does before the index leaves the thread
      while (!ring.enqueue(p)) std::this_thread::yield();
      ++seq;
    }
    pool->releaseSlot(s);
  };

  auto consumer = [&](uint32_t t) {
    uint32_t s;
    if (!pool->claimSlot(t, s).isOk()) return failures.add("claimSlot");
    XorShift rng(t);
    uint32_t batch[8];
    uint32_t batched = 0;
    while (received.load(std::memory_order_relaxed) < total && failures.count() == 0) {
      uint32_t p;
      if (!ring.dequeue(p)) {
        std::this_thread::yield();
        continue;
      }
      if (!stampIs(*pool, p, expectedThread[p], expectedSeq[p]))
        failures.add("packet " + std::to_string(p) + " arrived with a foreign stamp");
      Status st;
      switch (rng.below(3)) {
        case 0:  // take it over, then free it as its owner
          st = pool->claimPacket(s, p);
          if (st.isOk()) st = pool->deallocateOne(s, p);
          break;
        case 1:  // free it as a non-owner (cross-thread free)
          st = pool->deallocateOne(s, p);
          break;
        default:  // take it over and free a batch at once
          st = pool->claimPacket(s, p);
          batch[batched++] = p;
          if (batched == 8) {
            if (st.isOk()) st = pool->deallocateBulk(s, batch, batched);
            batched = 0;
          }
      }
      if (!st.isOk()) failures.add("consumer: " + st.message);
      received.fetch_add(1, std::memory_order_relaxed);
    }
    if (batched) {
      Status st = pool->deallocateBulk(s, batch, batched);
      if (!st.isOk()) failures.add("final bulk: " + st.message);
    }
    pool->releaseSlot(s);
  };

  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < kProducers; ++t) threads.emplace_back(producer, 10 + t);
  for (uint32_t t = 0; t < kConsumers; ++t) threads.emplace_back(consumer, 20 + t);
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.count(), 0u) << failures.summary();
  EXPECT_EQ(received.load(), total);
  PoolStats st = pool->stats();
  EXPECT_EQ(st.allocations, total);
  EXPECT_EQ(st.deallocations, total);
  EXPECT_EQ(st.inUse, 0u);
  // A producer that finished while its last packets were still in the channel left a Dead slot;
  // the consumers have freed those packets since, so nothing is orphaned and reclaim finds
  // nothing to return but frees the slots.
  EXPECT_LE(st.deadThreads, kProducers);
  EXPECT_EQ(st.orphanedPackets, 0u);
  uint32_t reclaimed = 99;
  ASSERT_TRUE(pool->reclaim(Pool::kAnyThread, reclaimed).isOk());
  EXPECT_EQ(reclaimed, 0u);
  EXPECT_EQ(pool->stats().deadThreads, 0u);
  expectStatsAddUp(*pool);
  expectEveryPacketFreeExactlyOnce(*pool);
}

// A released thread's packets are taken over by one thread while another reclaims them: each
// packet ends up either with the taker or back in the pool, never both, never neither.
TEST(PoolReclaimRace, ClaimPacketAndReclaimSplitTheOrphans) {
  constexpr uint32_t kPackets = 512;
  const unsigned rounds = scaled(40);
  auto pool = makePool(smallOptions(kPackets, 0));
  ASSERT_NE(pool, nullptr);
  for (unsigned round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    uint32_t dying;
    ASSERT_TRUE(pool->claimSlot(7, dying).isOk());
    std::vector<uint32_t> orphans(kPackets / 2);
    ASSERT_EQ(pool->allocateBurst(dying, orphans.data(), uint32_t(orphans.size())), orphans.size());
    for (uint32_t p : orphans) pool->publish(dying, p);  // handed over, so others may claim them
    pool->releaseSlot(dying);
    ASSERT_EQ(pool->stats().orphanedPackets, orphans.size());

    uint32_t taker;
    ASSERT_TRUE(pool->claimSlot(8, taker).isOk());
    std::vector<uint32_t> taken;
    uint32_t reclaimed = 0;
    Status reclaimStatus;
    std::atomic<bool> go{false};
    std::thread a([&] {
      while (!go.load()) std::this_thread::yield();
      for (uint32_t p : orphans)
        if (pool->claimPacket(taker, p).isOk()) taken.push_back(p);
    });
    std::thread b([&] {
      while (!go.load()) std::this_thread::yield();
      reclaimStatus = pool->reclaim(7, reclaimed);
    });
    go.store(true);
    a.join();
    b.join();
    ASSERT_TRUE(reclaimStatus.isOk()) << reclaimStatus.message;
    EXPECT_EQ(taken.size() + reclaimed, orphans.size());
    for (uint32_t p : taken) EXPECT_EQ(pool->metaOf(p)[meta::kState], pool->tagOf(taker));
    EXPECT_EQ(pool->stats().deadThreads, 0u);
    EXPECT_EQ(pool->stats().inUse, taken.size());
    if (!taken.empty()) {
      ASSERT_TRUE(pool->deallocateBulk(taker, taken.data(), uint32_t(taken.size())).isOk());
    }
    pool->releaseSlot(taker);
    expectStatsAddUp(*pool);
  }
  expectEveryPacketFreeExactlyOnce(*pool);
}

// The owner and another thread free the same packet at the same moment, round after round. A
// published packet must be freed by exactly one of them (both use a CAS); an unpublished one only
// by its owner (plain store), the other refused. Either way the packet is free exactly once: a
// second success would put its index in two places.
TEST(PoolDoubleFreeRace, OwnerAndAnotherThreadNeverBothFreeOnePacket) {
  const uint32_t rounds = scaled(20000);
  auto pool = makePool(smallOptions(8, 4));
  ASSERT_NE(pool, nullptr);
  uint32_t owner, other;
  ASSERT_TRUE(pool->claimSlot(1, owner).isOk());
  ASSERT_TRUE(pool->claimSlot(2, other).isOk());
  std::atomic<uint32_t> packet{0};
  std::atomic<uint32_t> round{0};    // bumped by the owner when the round's packet is ready
  std::atomic<uint32_t> arrived{0};  // both threads done with the round
  std::atomic<uint32_t> otherWins{0};
  uint32_t bothWon = 0, noneWon = 0, unpublishedTakenByOther = 0;

  std::thread remote([&] {
    for (uint32_t r = 1; r <= rounds; ++r) {
      while (round.load(std::memory_order_acquire) != r) std::this_thread::yield();
      if (pool->deallocateOne(other, packet.load(std::memory_order_relaxed)).isOk())
        otherWins.fetch_add(1, std::memory_order_relaxed);
      arrived.fetch_add(1, std::memory_order_acq_rel);
      while (arrived.load(std::memory_order_acquire) < 2 * r) std::this_thread::yield();
    }
  });
  for (uint32_t r = 1; r <= rounds; ++r) {
    uint32_t p;
    ASSERT_TRUE(pool->allocateOne(owner, p));
    bool published = r % 2 == 0;
    if (published) pool->publish(owner, p);
    packet.store(p, std::memory_order_relaxed);
    uint32_t winsBefore = otherWins.load(std::memory_order_relaxed);
    round.store(r, std::memory_order_release);
    bool ownerWon = pool->deallocateOne(owner, p).isOk();
    arrived.fetch_add(1, std::memory_order_acq_rel);
    while (arrived.load(std::memory_order_acquire) < 2 * r) std::this_thread::yield();
    bool otherWon = otherWins.load(std::memory_order_relaxed) != winsBefore;
    bothWon += ownerWon && otherWon;
    noneWon += !ownerWon && !otherWon;
    unpublishedTakenByOther += !published && otherWon;
  }
  remote.join();
  EXPECT_EQ(bothWon, 0u) << "a packet freed twice";
  EXPECT_EQ(noneWon, 0u) << "a held packet nobody could free";
  EXPECT_EQ(unpublishedTakenByOther, 0u);
  PoolStats st = pool->stats();
  EXPECT_EQ(st.allocations, rounds);
  EXPECT_EQ(st.deallocations, rounds);
  pool->releaseSlot(owner);
  pool->releaseSlot(other);
  expectStatsAddUp(*pool);
  expectEveryPacketFreeExactlyOnce(*pool);
}

}  // namespace
}  // namespace pbp::test

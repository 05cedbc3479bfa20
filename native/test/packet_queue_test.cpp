// Packet queues (packet_queue.h): the SPSC protocol between two threads (under TSan in CI),
// ownership moving with each packet, refusal of entries a peer forged, impossible head/tail,
// ends bound to one thread, destroy returning queued packets, and waking a sleeping consumer.
#include <thread>

#include "packet_queue.h"
#include "test_support.h"

namespace pbp::test {
namespace {

struct Fixture {
  std::shared_ptr<Pool> pool;
  uint32_t producer = 0, consumer = 0;
  PacketQueue q;

  explicit Fixture(uint32_t packets = 256, uint32_t capacity = 64) {
    pool = makePool(smallOptions(packets, 0));
    EXPECT_TRUE(pool->claimSlot(1, producer).isOk());
    EXPECT_TRUE(pool->claimSlot(2, consumer).isOk());
    Status s = pool->createQueue(QueueKind::TxSubmission, 0, capacity, q);
    EXPECT_TRUE(s.isOk()) << s.message;
  }
  uint32_t* state(uint32_t p) const { return pool->metaOf(p) + meta::kState; }
};

TEST(PacketQueue, TwoThreadsMoveEveryPacketExactlyOnceInOrder) {
  Fixture f(256, 64);
  const uint32_t total = scaled(200000);
  Failures failures;
  std::thread producer([&] {
    uint32_t batch[32];
    uint32_t sent = 0;
    uint32_t seq = 0;
    while (sent < total && failures.count() == 0) {
      uint32_t n = f.pool->allocateBurst(f.producer, batch, 32);
      // Stamp each packet with a sequence number the consumer checks: contents written before
      // enqueue must be visible after dequeue (release/acquire of head).
      for (uint32_t i = 0; i < n; ++i) f.pool->metaOf(batch[i])[meta::kTraceId] = seq + i;
      uint32_t done = 0;
      while (done < n) done += f.q.enqueue(batch + done, n - done, f.pool->tagOf(f.producer));
      seq += n;
      sent += n;
    }
  });
  std::thread consumer([&] {
    uint32_t batch[32];
    uint32_t expect = 0;
    while (expect < total && failures.count() == 0) {
      uint32_t n = f.q.dequeue(batch, 32, f.pool->tagOf(f.consumer));
      for (uint32_t i = 0; i < n; ++i) {
        uint32_t stamp = f.pool->metaOf(batch[i])[meta::kTraceId];
        if (stamp != expect + i) failures.add("stamp " + std::to_string(stamp) + " != " + std::to_string(expect + i));
        if (loadRelaxed(f.state(batch[i])) != f.pool->tagOf(f.consumer)) failures.add("not ours after dequeue");
      }
      if (n > 0 && !f.pool->deallocateBulk(f.consumer, batch, n).isOk()) failures.add("free after dequeue failed");
      expect += n;
    }
  });
  producer.join();
  consumer.join();
  EXPECT_EQ(failures.count(), 0u) << failures.summary();
  EXPECT_EQ(f.q.size(), 0u);
  EXPECT_EQ(f.q.badEntries(), 0u);
  EXPECT_EQ(f.pool->stats().inUse, 0u);
}

TEST(PacketQueue, EnqueueStopsAtAPacketTheCallerDoesNotHoldAndAtFull) {
  Fixture f(64, 4);
  uint32_t held[6];
  ASSERT_EQ(f.pool->allocateBurst(f.producer, held, 6), 6u);
  uint32_t tag = f.pool->tagOf(f.producer);
  uint32_t foreign[2] = {held[0], 63};  // 63 is free
  EXPECT_EQ(f.q.enqueue(foreign, 2, tag), 1u);
  EXPECT_EQ(f.q.enqueue(held, 1, tag), 0u) << "a queued packet is not the producer's any more";
  EXPECT_EQ(f.q.enqueue(held + 1, 5, tag), 3u) << "capacity 4";
  EXPECT_EQ(f.q.size(), 4u);
  uint32_t out[8];
  EXPECT_EQ(f.q.dequeue(out, 8, f.pool->tagOf(f.consumer)), 4u);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(out[i], held[i]);
}

TEST(PacketQueue, ForgedAndDuplicatedEntriesAreSkippedNeverTakenTwice) {
  Fixture f(64, 8);
  uint32_t p;
  ASSERT_TRUE(f.pool->allocateOne(f.producer, p));
  ASSERT_EQ(f.q.enqueue(&p, 1, f.pool->tagOf(f.producer)), 1u);
  // A peer writes three more entries by hand: p again, an out-of-range index, a free packet.
  uint32_t* w = f.q.words();
  w[queue::kEntriesU32 + 1] = p;
  w[queue::kEntriesU32 + 2] = 0xFFFFFFF0u;
  w[queue::kEntriesU32 + 3] = p == 0 ? 1 : 0;
  storeRelease(w + queue::kHeadU32, 4);
  uint32_t out[8];
  EXPECT_EQ(f.q.dequeue(out, 8, f.pool->tagOf(f.consumer)), 1u);
  EXPECT_EQ(out[0], p);
  EXPECT_EQ(f.q.badEntries(), 3u);
}

TEST(PacketQueue, ImpossibleHeadOrTailTakesNothing) {
  Fixture f(64, 8);
  uint32_t* w = f.q.words();
  storeRelease(w + queue::kHeadU32, 1000);
  EXPECT_FALSE(f.q.consistent());
  EXPECT_EQ(f.q.size(), 8u) << "clamped to the capacity";
  uint32_t out[8];
  EXPECT_EQ(f.q.dequeue(out, 8, f.pool->tagOf(f.consumer)), 0u);
  uint32_t p;
  ASSERT_TRUE(f.pool->allocateOne(f.producer, p));
  EXPECT_EQ(f.q.enqueue(&p, 1, f.pool->tagOf(f.producer)), 0u);
  // A scribbled capacity is not believed either: the view keeps the one it read at open.
  w[queue::kCapacityU32] = 1u << 30;
  EXPECT_EQ(f.q.capacity(), 8u);
  PacketQueue reopened;
  EXPECT_TRUE(isCode(f.pool->openQueue(0, reopened), IOReturn::NotFound));
}

TEST(PacketQueue, EndsAreBoundToOneLiveThread) {
  Fixture f;
  uint32_t third;
  ASSERT_TRUE(f.pool->claimSlot(3, third).isOk());
  EXPECT_TRUE(f.pool->acquireQueueEnd(f.q, true, f.producer).isOk());
  EXPECT_TRUE(f.pool->acquireQueueEnd(f.q, true, f.producer).isOk());
  EXPECT_TRUE(isCode(f.pool->acquireQueueEnd(f.q, true, third), IOReturn::ExclusiveAccess));
  EXPECT_TRUE(f.pool->acquireQueueEnd(f.q, false, third).isOk());
  f.pool->releaseSlot(f.producer);  // the producer thread exits: its end is free
  EXPECT_TRUE(f.pool->acquireQueueEnd(f.q, true, third).isOk());
}

TEST(PacketQueue, DestroyReturnsQueuedPacketsAndFreesTheId) {
  Fixture f(64, 64);
  uint32_t held[40];
  ASSERT_EQ(f.pool->allocateBurst(f.producer, held, 40), 40u);
  ASSERT_EQ(f.q.enqueue(held, 40, f.pool->tagOf(f.producer)), 40u);
  EXPECT_EQ(f.pool->stats().queued, 40u);
  uint32_t returned = 0;
  ASSERT_TRUE(f.pool->destroyQueue(0, returned).isOk());
  EXPECT_EQ(returned, 40u);
  EXPECT_EQ(f.pool->stats().inUse, 0u);
  EXPECT_EQ(f.pool->freePacketCount(), 64u);
  PacketQueue again;
  EXPECT_TRUE(f.pool->createQueue(QueueKind::RxCompletion, 0, 8, again).isOk());
  EXPECT_TRUE(isCode(f.pool->createQueue(QueueKind::RxCompletion, 0, 8, again), IOReturn::ExclusiveAccess));
  EXPECT_TRUE(isCode(f.pool->createQueue(QueueKind(9), 1, 8, again), IOReturn::BadArgument));
  EXPECT_TRUE(isCode(f.pool->createQueue(QueueKind::TxSubmission, 1, 65, again), IOReturn::BadArgument));
}

TEST(PacketQueue, ASleepingConsumerIsWokenByAnEnqueue) {
  Fixture f;
  std::atomic<bool> woke{false};
  std::thread consumer([&] {
    f.q.addWaiter();
    for (;;) {
      uint32_t seen = f.q.dataSequence();
      if (f.q.size() > 0) break;
      f.q.sleepUntilData(seen, 10000);  // a lost wake-up would show as a 10 s stall
    }
    f.q.removeWaiter();
    woke.store(true);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  uint32_t p;
  ASSERT_TRUE(f.pool->allocateOne(f.producer, p));
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(f.q.enqueue(&p, 1, f.pool->tagOf(f.producer)), 1u);
  f.q.notifyConsumer();
  consumer.join();
  EXPECT_TRUE(woke.load());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace pbp::test

namespace pbp::test {
namespace {

// A producer stopped after each step of an enqueue (a terminated worker, a killed process):
// whatever step it reached, releasing its slot leaves every packet free once or in the queue.
TEST(PacketQueue, AProducerStoppedAtAnyStepOfAnEnqueueLosesNothing) {
  for (uint32_t marked = 0; marked <= 4; ++marked) {
    for (bool pendingStored : {false, true}) {
      Fixture f(64, 8);
      uint32_t head[4];
      ASSERT_EQ(f.pool->allocateBurst(f.producer, head, 2), 2u);
      ASSERT_EQ(f.q.enqueue(head, 2, f.pool->tagOf(f.producer)), 2u);  // two published entries
      ASSERT_TRUE(f.pool->acquireQueueEnd(f.q, true, f.producer).isOk());
      uint32_t batch[4];
      ASSERT_EQ(f.pool->allocateBurst(f.producer, batch, 4), 4u);
      // Replay the protocol by hand and stop: entries written, pending maybe, `marked` marks.
      uint32_t* w = f.q.words();
      for (uint32_t i = 0; i < 4; ++i) w[queue::kEntriesU32 + ((2 + i) & 7)] = batch[i];
      if (pendingStored) w[queue::kPendingU32] = 2 + 4;
      for (uint32_t i = 0; i < marked && pendingStored; ++i) storeRelaxed(f.state(batch[i]), meta::kStateQueued);
      f.pool->releaseSlot(f.producer);  // the thread is gone
      uint32_t returned = 0;
      uint32_t reclaimed = 0;
      ASSERT_TRUE(f.pool->reclaim(Pool::kAnyThread, reclaimed).isOk());  // packets still tagged with it
      EXPECT_EQ(f.q.size(), 2u) << "the published entries stay";
      ASSERT_TRUE(f.pool->destroyQueue(0, returned).isOk());
      EXPECT_EQ(returned, 2u);
      PoolStats st = f.pool->stats();
      EXPECT_EQ(st.inUse, 0u) << "marked " << marked << ", pending " << pendingStored;
      EXPECT_EQ(f.pool->freePacketCount(), 64u);
    }
  }
}

}  // namespace
}  // namespace pbp::test

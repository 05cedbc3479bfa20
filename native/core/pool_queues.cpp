// Pool members for packet queues (packet_queue.h): creating, opening and destroying the queue
// slots of the region, and binding each queue end to one thread.
#include <string>

#include "pool.h"
#include "pool_internal.h"

namespace pbp {
namespace {

using pool_internal::str;

uint32_t* queueWords(const Pool& pool, uint32_t id) {
  const Layout& l = pool.layout();
  return reinterpret_cast<uint32_t*>(pool.base() + l.queuesOffset + uint64_t(id) * l.queueBytes);
}

Status badId(const Layout& l, uint32_t id) {
  return Status::fail(IOReturn::BadArgument,
                      "queueId " + str(id) + " is out of range (the pool has maxQueues " + str(l.maxQueues) + ")");
}

}  // namespace

Status Pool::createQueue(QueueKind kind, uint32_t id, uint32_t capacity, PacketQueue& out) {
  if (kind < QueueKind::TxSubmission || kind > QueueKind::RxCompletion)
    return Status::fail(IOReturn::BadArgument, "queue kind " + str(uint32_t(kind)) + " is not 1..4");
  if (id >= layout_.maxQueues) return badId(layout_, id);
  if (capacity == 0 || capacity > layout_.queueCapacity)
    return Status::fail(IOReturn::BadArgument, "capacity must be 1.." + str(layout_.queueCapacity) +
                                                   " (the pool's queueCapacity), got " + str(capacity));
  uint32_t rounded = 1;
  while (rounded < capacity) rounded <<= 1;
  uint32_t* w = queueWords(*this, id);
  uint32_t expected = queue::kFree;
  // acq_rel: claims the slot against a concurrent create, and sees a previous destroy's stores.
  if (!casAcqRel(w + queue::kStateU32, expected, queue::kChanging))
    return Status::fail(IOReturn::ExclusiveAccess, "queueId " + str(id) + " is already in use");
  storeRelaxed(w + queue::kHeadU32, 0);
  storeRelaxed(w + queue::kTailU32, 0);
  storeRelaxed(w + queue::kKindU32, uint32_t(kind));
  storeRelaxed(w + queue::kCapacityU32, rounded);
  storeRelaxed(w + queue::kBadEntriesU32, 0);
  storeRelaxed(w + queue::kProducerTagU32, 0);
  storeRelaxed(w + queue::kConsumerTagU32, 0);
  // kConsumerWaitersU32 and kDataSeqU32 are left as they are: a waiter of a destroyed queue may
  // still be registered and must keep a balanced count.
  // release: the fields above happen-before anyone who acquires kActive (PacketQueue's view).
  storeRelease(w + queue::kStateU32, queue::kActive);
  out = PacketQueue(*this, id);
  return Status::ok();
}

Status Pool::openQueue(uint32_t id, PacketQueue& out) const {
  if (id >= layout_.maxQueues) return badId(layout_, id);
  PacketQueue q(*this, id);
  if (!q.valid()) return Status::fail(IOReturn::NotFound, "there is no queue with queueId " + str(id));
  out = q;
  return Status::ok();
}

Status Pool::destroyQueue(uint32_t id, uint32_t& returned, uint32_t callerSlot) {
  returned = 0;
  CoreOpMark mark(*this, callerSlot);
  PacketQueue q;
  Status s = openQueue(id, q);
  if (!s.isOk()) return s;
  uint32_t* w = q.words();
  uint32_t expected = queue::kActive;
  // acq_rel: one destroyer wins; it sees the ends' last writes to head and tail.
  if (!casAcqRel(w + queue::kStateU32, expected, queue::kChanging))
    return Status::fail(IOReturn::NotFound, "queueId " + str(id) + " is being destroyed");
  uint32_t chunk[256];
  for (;;) {
    uint32_t examined = 0;
    uint32_t got = q.drain(chunk, 256, examined);
    if (examined == 0) break;
    freeToRing(chunk, got);
    returned += got;
  }
  q.wakeAll();  // consumers sleeping on it re-check and find it gone
  // release: the drained state happens-before the next create of this id.
  storeRelease(w + queue::kStateU32, queue::kFree);
  return Status::ok();
}

void Pool::freeToRing(const uint32_t* packets, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) freeChain(packets[i]);
  if (n > 0) packetRing_.enqueueMany(packets, n, Ring::Mode::Bulk);
  notifyFreed();
}

bool Pool::tagIsLive(uint32_t tag) const {
  for (uint32_t s = 0; s < layout_.maxThreads; ++s) {
    if (tagOf(s) == tag && loadAcquire(slotWords(s) + slot::kState) == slot::kLive && !slotOwnerGone(s)) return true;
  }
  return false;
}

Status Pool::acquireQueueEnd(const PacketQueue& q, bool producer, uint32_t s) {
  uint32_t* word = q.words() + (producer ? queue::kProducerTagU32 : queue::kConsumerTagU32);
  uint32_t mine = tagOf(s);
  for (;;) {
    uint32_t holder = loadAcquire(word);
    if (holder == mine) return Status::ok();
    if (holder != 0 && tagIsLive(holder))
      return Status::fail(IOReturn::ExclusiveAccess,
                          std::string("the ") + (producer ? "producer (enqueue)" : "consumer (dequeue)") +
                              " end of queue " + str(q.id()) +
                              " is used by another thread; a queue has one producer and one consumer");
    // Free, or its holder is gone: take it. acq_rel: we see the previous holder's last head/tail.
    if (!casAcqRel(word, holder, mine)) continue;
    if (producer && holder != 0) repairOne(q);  // its last enqueue may have been cut short
    return Status::ok();
  }
}

uint32_t Pool::repairOne(const PacketQueue& q) {
  // Stack chunks: no heap memory sized by the pool on this path.
  uint32_t chunk[256];
  uint32_t n = 0, total = 0;
  PacketQueue view = q;
  view.repairEnqueue([&](uint32_t p) {
    chunk[n++] = p;
    if (n == 256) {
      freeToRing(chunk, n);
      total += n;
      n = 0;
    }
  });
  freeToRing(chunk, n);
  total += n;
  // They were handed out and never given back: like packets of a dead thread, they are reclaimed.
  header()->reclaimedPackets.fetch_add(total, std::memory_order_relaxed);
  return total;
}

uint32_t Pool::repairQueuesOf(uint32_t tag) {
  uint32_t total = 0;
  for (uint32_t id = 0; id < layout_.maxQueues; ++id) {
    PacketQueue q(*this, id);
    if (q.valid() && loadAcquire(q.words() + queue::kProducerTagU32) == tag) total += repairOne(q);
  }
  return total;
}

void Pool::releaseQueueEnd(const PacketQueue& q, bool producer, uint32_t s) {
  uint32_t expected = tagOf(s);
  // release: our head/tail writes happen-before the next holder's acquire.
  casAcqRel(q.words() + (producer ? queue::kProducerTagU32 : queue::kConsumerTagU32), expected, 0);
}

void Pool::releaseQueueEnds(uint32_t s) {
  uint32_t tag = tagOf(s);
  for (uint32_t id = 0; id < layout_.maxQueues; ++id) {
    uint32_t* w = queueWords(*this, id);
    for (uint32_t which : {queue::kProducerTagU32, queue::kConsumerTagU32}) {
      uint32_t expected = tag;
      casAcqRel(w + which, expected, 0);  // release: our head/tail writes before the next holder
    }
  }
}

uint32_t Pool::queuedPackets() const {
  uint32_t n = 0;
  for (uint32_t id = 0; id < layout_.maxQueues; ++id) {
    PacketQueue q(*this, id);
    if (q.valid()) n += q.size();
  }
  return n;
}

}  // namespace pbp

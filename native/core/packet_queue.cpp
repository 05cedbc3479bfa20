#include "packet_queue.h"

#include "futex.h"
#include "pool.h"

namespace pbp {

const char* queueKindName(QueueKind kind) {
  switch (kind) {
    case QueueKind::TxSubmission:
      return "TxSubmission";
    case QueueKind::TxCompletion:
      return "TxCompletion";
    case QueueKind::RxSubmission:
      return "RxSubmission";
    case QueueKind::RxCompletion:
      return "RxCompletion";
  }
  return "unknown";
}

PacketQueue::PacketQueue(const Pool& pool, uint32_t id) {
  const Layout& l = pool.layout();
  if (id >= l.maxQueues) return;
  uint32_t* words = reinterpret_cast<uint32_t*>(pool.base() + l.queuesOffset + uint64_t(id) * l.queueBytes);
  // acquire: pairs with the release store of kActive in Pool::createQueue, so kind and capacity
  // written before it are visible.
  if (loadAcquire(words + queue::kStateU32) != queue::kActive) return;
  uint32_t capacity = loadRelaxed(words + queue::kCapacityU32);
  // The capacity is read once and kept here: a peer that rewrites the word later cannot make this
  // view index outside the entries the layout reserved.
  if (capacity == 0 || capacity > l.queueCapacity || (capacity & (capacity - 1)) != 0) return;
  words_ = words;
  meta_ = pool.metaOf(0);
  packetCount_ = l.packetCount;
  mask_ = capacity - 1;
  id_ = id;
}

uint32_t PacketQueue::size() const {
  // acquire on both: a size used to decide that entries (or space) exist must see them.
  uint32_t n = loadAcquire(words_ + queue::kHeadU32) - loadAcquire(words_ + queue::kTailU32);
  return n > capacity() ? capacity() : n;
}

bool PacketQueue::consistent() const {
  return loadAcquire(words_ + queue::kHeadU32) - loadAcquire(words_ + queue::kTailU32) <= capacity();
}

uint32_t PacketQueue::enqueue(const uint32_t* indices, uint32_t n, uint32_t ownerTag) {
  uint32_t* headWord = words_ + queue::kHeadU32;
  // relaxed: the producer is the only writer of head.
  uint32_t head = loadRelaxed(headWord);
  // acquire: pairs with the consumer's release of tail, so its reads of the entries below tail
  // are done before we overwrite those slots.
  uint32_t used = head - loadAcquire(words_ + queue::kTailU32);
  if (used > capacity()) return 0;  // impossible: a scribbled head or tail (consistent() says so)
  uint32_t space = capacity() - used;
  uint32_t take = n < space ? n : space;
  uint32_t done = 0;
  for (; done < take; ++done) {
    uint32_t p = indices[done];  // read once: the entry is our copy from here on
    if (p >= packetCount_) break;
    uint32_t* state = meta_ + size_t(p) * meta::kWords + meta::kState;
    uint32_t s = loadRelaxed(state);
    if (s != ownerTag && s != (ownerTag | meta::kStatePublished)) break;
    storeRelaxed(words_ + queue::kEntriesU32 + ((head + done) & mask_), p);
    // relaxed: pending is read only after this thread has died (repairEnqueue), when all of its
    // stores are visible. It covers the entry before the packet is marked.
    storeRelaxed(words_ + queue::kPendingU32, head + done + 1);
    if (s == ownerTag) {
      // Unpublished: only its owner writes this word, so a plain store.
      storeRelaxed(state, meta::kStateQueued);
    } else if (!casAcqRel(state, s, meta::kStateQueued)) {
      // Published, and the thread it was handed to freed or claimed it meanwhile: stop here.
      break;
    }
  }
  // release: the entries, the kStateQueued marks and everything the producer wrote into the
  // packets happen-before a consumer's acquire of the new head.
  if (done > 0) storeRelease(headWord, head + done);
  storeRelaxed(words_ + queue::kPendingU32, head + done);
  return done;
}

uint32_t PacketQueue::dequeue(uint32_t* out, uint32_t max, uint32_t ownerTag) {
  uint32_t* tailWord = words_ + queue::kTailU32;
  // relaxed: the consumer is the only writer of tail.
  uint32_t tail = loadRelaxed(tailWord);
  // acquire: pairs with the producer's release of head (entries and packet contents visible).
  uint32_t avail = loadAcquire(words_ + queue::kHeadU32) - tail;
  if (avail > capacity()) return 0;  // impossible: scribbled (consistent() says so)
  uint32_t take = avail < max ? avail : max;
  for (uint32_t i = 0; i < take; ++i) out[i] = loadRelaxed(words_ + queue::kEntriesU32 + ((tail + i) & mask_));
  // release: our reads of those slots happen-before the producer reuses them.
  if (take > 0) storeRelease(tailWord, tail + take);
  uint32_t got = 0;
  uint32_t bad = 0;
  for (uint32_t i = 0; i < take; ++i) {
    uint32_t p = out[i];
    if (p >= packetCount_) {
      ++bad;
      continue;
    }
    uint32_t* state = meta_ + size_t(p) * meta::kWords + meta::kState;
    // Plain load and store, as the JS consumer does (queue-protocol.ts takeEntry): only the
    // consumer end, which the caller holds (Pool::acquireQueueEnd), changes a queued packet's
    // state, so no other thread races this store. relaxed: the acquire of head above already
    // made the producer's kStateQueued mark and the packet's contents visible. An entry listed
    // twice finds our tag the second time and is skipped, never handed out twice.
    if (loadRelaxed(state) == meta::kStateQueued) {
      storeRelaxed(state, ownerTag);
      out[got++] = p;
    } else {
      ++bad;
    }
  }
  if (bad > 0) __atomic_fetch_add(words_ + queue::kBadEntriesU32, bad, __ATOMIC_RELAXED);
  return got;
}

// Waking without lost wake-ups (the same Dekker pattern as the pool's free waiters):
//   consumer: waiters += 1 (seq_cst RMW); seq = load(dataSeq); if size() > 0 stop; futex(dataSeq, seq)
//   producer: store head (release); seq_cst fence; if waiters > 0 { dataSeq += 1; futex wake }
// Either the consumer's size() sees the new head, or the producer's load sees the waiter; in the
// second case the sequence changes after the consumer read it, so its futex wait returns.
void PacketQueue::addWaiter() { __atomic_fetch_add(words_ + queue::kConsumerWaitersU32, 1, __ATOMIC_SEQ_CST); }

void PacketQueue::removeWaiter() { __atomic_fetch_sub(words_ + queue::kConsumerWaitersU32, 1, __ATOMIC_SEQ_CST); }

void PacketQueue::sleepUntilData(uint32_t seenSequence, uint32_t timeoutMs) {
  futexWait(words_ + queue::kDataSeqU32, seenSequence, timeoutMs);
}

void PacketQueue::notifyConsumer() {
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (__atomic_load_n(words_ + queue::kConsumerWaitersU32, __ATOMIC_RELAXED) == 0) return;
  wakeAll();
}

void PacketQueue::wakeAll() {
  // release: a woken consumer that reads the new sequence also sees the entries published before.
  __atomic_fetch_add(words_ + queue::kDataSeqU32, 1, __ATOMIC_RELEASE);
  futexWakeAll(words_ + queue::kDataSeqU32);
}

uint32_t PacketQueue::drain(uint32_t* out, uint32_t max, uint32_t& examined) {
  uint32_t tail = loadAcquire(words_ + queue::kTailU32);
  uint32_t avail = loadAcquire(words_ + queue::kHeadU32) - tail;
  if (avail > capacity()) avail = capacity();  // scribbled: look at each slot once at most
  examined = avail < max ? avail : max;
  uint32_t got = 0;
  for (uint32_t i = 0; i < examined; ++i) {
    uint32_t p = loadRelaxed(words_ + queue::kEntriesU32 + ((tail + i) & mask_));
    // CAS to 0 (free): the same index listed twice is returned once.
    if (p < packetCount_ && takeQueued(p, 0)) out[got++] = p;
  }
  storeRelease(words_ + queue::kTailU32, tail + examined);
  return got;
}

}  // namespace pbp

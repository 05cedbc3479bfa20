// Packet queues: bounded single-producer / single-consumer rings of packet indices inside the
// pool's region (DriverKit's IOUserNetworkTx/RxSubmission/CompletionQueue; AF_XDP's fill, rx, tx
// and completion rings are the same shape). Because they live in the region, the two ends may be
// in different threads or processes; the JS hot path (lib/queue-transfer.ts) runs the same protocol over
// typed arrays, with no native call per packet.
//
// Protocol (words in native/core/layout.h, namespace queue):
// - head and tail are free-running uint32 counters; entries = head - tail (mod 2^32), and the
//   slot of counter c is c & (capacity - 1). The producer alone writes head, the consumer alone
//   writes tail, each on its own line.
// - Enqueue (producer, which holds the packets): for each packet, check it is held, write its
//   entry past head, advance `pending` over the entry, mark the packet meta::kStateQueued; then
//   release-store head and close pending (= head). A producer that dies before the head store
//   leaves queued packets that no window holds; [head, pending) names exactly those entries,
//   for repairEnqueue(). Dequeue (consumer): acquire-load head, read the entries,
//   release-store tail, then check each index (range, kStateQueued) before storing its own tag.
// - Nothing read from the region is trusted: a capacity, head or tail that a peer scribbled is
//   clamped or refused (the view's capacity is process-local, fixed at open), and an entry whose
//   packet is not queued is skipped and counted in kBadEntriesU32, never taken.
#pragma once

#include <cstdint>

#include "atomic_word.h"
#include "io_return.h"
#include "layout.h"

namespace pbp {

enum class QueueKind : uint32_t {
  TxSubmission = 1,
  TxCompletion = 2,
  RxSubmission = 3,
  RxCompletion = 4,
};
const char* queueKindName(QueueKind kind);

class Pool;

class PacketQueue {
 public:
  PacketQueue() = default;
  // A view of queue `id` of `pool`; valid() is false for an unused or inconsistent slot.
  PacketQueue(const Pool& pool, uint32_t id);

  bool valid() const { return words_ != nullptr; }
  uint32_t id() const { return id_; }
  uint32_t capacity() const { return mask_ + 1; }
  QueueKind kind() const { return QueueKind(loadRelaxed(words_ + queue::kKindU32)); }
  // Entries now in the queue as the caller can see them, clamped to the capacity (a scribbled
  // head or tail cannot make it larger).
  uint32_t size() const;
  // False when head and tail are more than a capacity apart: impossible unless a peer scribbled
  // them. enqueue/dequeue then take nothing; the caller reports the queue as broken.
  bool consistent() const;
  uint32_t badEntries() const { return loadRelaxed(words_ + queue::kBadEntriesU32); }

  // Producer end: hands the packets held by `ownerTag` (published or not) to the queue, in order.
  // Returns how many were taken: it stops when the queue is full or at the first packet the
  // caller does not hold (the rest stay the caller's).
  uint32_t enqueue(const uint32_t* indices, uint32_t n, uint32_t ownerTag);
  // Consumer end: takes up to `max` packets, which are then held by `ownerTag`. Entries that do not
  // name a queued packet are skipped (and counted), so the result may be less than size(). The
  // caller holds the consumer end (Pool::acquireQueueEnd): one consumer at a time.
  uint32_t dequeue(uint32_t* out, uint32_t max, uint32_t ownerTag);

  // Waiting for entries (consumer side). A waiter registers, reads the sequence, re-checks
  // size(), then sleeps on the sequence; a producer that sees a waiter after publishing its
  // entries bumps the sequence and wakes it (see the reasoning in packet_queue.cpp).
  void addWaiter();
  void removeWaiter();
  uint32_t dataSequence() const { return __atomic_load_n(words_ + queue::kDataSeqU32, __ATOMIC_ACQUIRE); }
  void sleepUntilData(uint32_t seenSequence, uint32_t timeoutMs);
  // Producer side, after enqueue: wakes sleeping consumers if there are any.
  void notifyConsumer();
  // Wakes sleepers unconditionally (to interrupt a waiter that should stop).
  void wakeAll();

  // After the producer end's thread died: frees (state 0) each packet an interrupted enqueue marked
  // queued but never published, and hands it to `sink(index)` to be put back in the pool.
  template <class Sink>
  void repairEnqueue(Sink&& sink) {
    uint32_t head = loadAcquire(words_ + queue::kHeadU32);
    uint32_t pending = loadAcquire(words_ + queue::kPendingU32) - head;
    if (pending <= capacity()) {  // else scribbled: nothing trustworthy to undo
      for (uint32_t i = 0; i < pending; ++i) {
        uint32_t p = loadRelaxed(words_ + queue::kEntriesU32 + ((head + i) & mask_));
        // CAS: an index listed twice in a scribbled range is freed once.
        if (p < packetCount_ && takeQueued(p, 0)) sink(p);
      }
    }
    storeRelaxed(words_ + queue::kPendingU32, head);
  }

  // Takes up to `max` entries off the queue, marking each packet that is really queued free
  // (state 0) and writing it to `out` for the caller to put back in the pool. Returns how many
  // were freed; `examined` says how many entries were consumed (0 = empty). For destroying a
  // queue whose ends are gone.
  uint32_t drain(uint32_t* out, uint32_t max, uint32_t& examined);

  uint32_t* words() const { return words_; }

 private:
  // kStateQueued -> `to` by CAS (acq_rel: sees the producer's writes to the packet, publishes
  // the change to whoever acts on the packet next).
  bool takeQueued(uint32_t packet, uint32_t to) {
    uint32_t expected = meta::kStateQueued;
    return casAcqRel(meta_ + size_t(packet) * meta::kWords + meta::kState, expected, to);
  }
  friend class Pool;
  uint32_t* words_ = nullptr;
  uint32_t* meta_ = nullptr;  // packet metadata records
  uint32_t packetCount_ = 0;
  uint32_t mask_ = 0;
  uint32_t id_ = 0;
};

}  // namespace pbp

/**
 * The steps of the packet-queue protocol as JavaScript runs them, over the region's words: the
 * twin of native/core/packet_queue.{h,cpp} (`PacketQueue::enqueue` is `_spaceFor`, `putEntry` per
 * packet and `_finish`; `PacketQueue::dequeue` is `_available`, `takeEntry` per entry and
 * `_consumed`; `PacketQueue::notifyConsumer` is the wake in `_publishHead`;
 * `PacketQueue::repairEnqueue` undoes what `putEntry` leaves pending when a thread stops). The
 * order of the stores is what makes a stopped thread lose no packet; the header of
 * native/core/packet_queue.h explains each step. The methods join the queue's one prototype
 * through lib/queue-base.ts.
 */
import { binding } from './native';
import { Meta, QueueWord, State } from './layout';
import type { IOUserNetworkPacketQueue } from './queue-base';

declare module './queue-base' {
  interface IOUserNetworkPacketQueue {
    /** @internal */ _finish(u: Uint32Array, head: number, done: number): number;
    /** @internal */ _spaceFor(u: Uint32Array, head: number, n: number): number;
    /** @internal */ _available(u: Uint32Array, tail: number, want: number): number;
    /** @internal */ _consumed(u: Uint32Array, tail: number, take: number, bad: number): void;
    /** @internal */ _publishHead(u: Uint32Array, head: number): void;
  }
}

// The per-entry steps are plain functions of the values they need, which the batch loops of
// queue-transfer.ts read from the queue and the pool once per call, and the loops run the
// unpublished case (plain stores, no call) in an inner loop of its own: a loop that may call
// Atomics (the CAS of a published packet) makes V8 reload every field of `this` and recheck every
// map at each entry, which cost as much as the protocol's own stores.

/**
 * @internal Puts the packet with index `index`, whose state word is u[m] and which this thread
 * holds unpublished (u[m] === its tag), into ring word `entry` (the slot of a counter >= head, not
 * yet published) and makes it the queue's. Only plain stores: nobody else writes the state of an
 * unpublished packet, and nobody reads the entry before the head store that publishes it. The
 * order is what lets the thread be stopped anywhere (worker.terminate(), a killed process) without
 * losing a packet: `pending` (u[pendingWord], set to the entry's counter + 1) covers the entry
 * before its packet is marked queued, so [head, pending) names exactly the entries of this call,
 * and the core's repair (PacketQueue::repairEnqueue, when the thread's slot is released or
 * reclaimed) frees the marked ones that were never published; an unmarked one is still this
 * thread's and comes back with its other packets. Only this producer writes pending, and only the
 * repair reads it, after this thread has stopped, when all its stores are visible.
 */
export function putHeld(
  u: Uint32Array,
  entry: number,
  pendingWord: number,
  pendingAfter: number,
  index: number,
  m: number,
): void {
  u[entry] = index;
  u[pendingWord] = pendingAfter;
  u[m] = State.Queued;
}

/**
 * @internal `putHeld` for a packet in any state: false, changing no packet, if this thread does
 * not hold it (or a thread it was handed to took it meanwhile). `tag` and `published` are this
 * thread's owner tag and its published form. Published: the thread it was handed to may free or
 * claim it at this moment, so the state changes by CAS, and exactly one of us wins; the entry and
 * pending stores before it are harmless if we lose (pending covers an unmarked entry, which the
 * repair skips, and the caller's _finish closes it).
 */
export function putEntry(
  u: Uint32Array,
  entry: number,
  pendingWord: number,
  pendingAfter: number,
  index: number,
  m: number,
  tag: number,
  published: number,
): boolean {
  const state = u[m];
  if (state === tag) {
    putHeld(u, entry, pendingWord, pendingAfter, index, m);
    return true;
  }
  if (state !== published) return false;
  u[entry] = index;
  u[pendingWord] = pendingAfter;
  return Atomics.compareExchange(u, m, published, State.Queued) === published;
}

/**
 * @internal Takes a dequeued entry if it names a queued packet: plain store of our tag, because
 * only the consumer end (this thread, bound by queueAcquireEnd) changes a queued packet's state.
 * False for an entry that does not name a queued packet (the caller counts it, `_consumed`).
 */
export function takeEntry(u: Uint32Array, index: number, packetCount: number, metaBase: number, tag: number): boolean {
  if (!(index < packetCount)) return false;
  const m = metaBase + index * Meta.Words;
  if (u[m] !== State.Queued) return false;
  u[m] = tag;
  return true;
}

/** @internal */
export const protocolMethods = {
  // Publishes the `done` entries put at head.. and closes the pending range; returns `done`.
  _finish(u: Uint32Array, head: number, done: number): number {
    if (done > 0) this._publishHead(u, head + done);
    u[this._pending] = (head + done) >>> 0;
    return done;
  },

  // Free entries for `n` more. The tail seen last time is enough while it shows room (the real
  // tail is only ever further on), so the consumer's line is read only when the queue looks full,
  // as AF_XDP's cached_cons and DPDK's rings do; a reload is Atomics.load (acquire), so the
  // consumer's reads of the slots below it are done before we overwrite them.
  _spaceFor(u: Uint32Array, head: number, n: number): number {
    let used = (head - this._tailSeen) >>> 0;
    if (used > this._capacity || this._capacity - used < n) {
      this._tailSeen = Atomics.load(u, this._tail);
      used = (head - this._tailSeen) >>> 0;
      if (used > this._capacity) this._broken(used);
    }
    const space = this._capacity - used;
    return n < space ? n : space;
  },

  // Entries to take, from the head seen last time while it shows enough; a reload is Atomics.load
  // (acquire), pairing with the producer's store so the entries and the packets' contents written
  // before it are visible.
  _available(u: Uint32Array, tail: number, want: number): number {
    let avail = (this._headSeen - tail) >>> 0;
    if (avail > this._capacity || avail < want) {
      this._headSeen = Atomics.load(u, this._head);
      avail = (this._headSeen - tail) >>> 0;
      if (avail > this._capacity) this._broken(avail);
    }
    return avail < want ? avail : want;
  },

  // Releases the slots we read (Atomics.store orders our reads before the producer's reuse) and
  // counts the `bad` entries among them that named no queued packet (a statistic: relaxed would
  // do; Atomics.add is the only atomic increment JavaScript has).
  _consumed(u: Uint32Array, tail: number, take: number, bad: number): void {
    Atomics.store(u, this._tail, (tail + take) >>> 0);
    if (bad > 0) Atomics.add(u, this._head - QueueWord.Head + QueueWord.BadEntries, bad);
  },

  // Publishes entries (Atomics.store: release of the entries and packet contents), then wakes a
  // sleeping consumer. Atomics.store and Atomics.load are sequentially consistent, so either the
  // consumer's re-check after registering sees our head, or we see its registration here (the
  // argument in native/core/packet_queue.cpp).
  _publishHead(u: Uint32Array, head: number): void {
    Atomics.store(u, this._head, head >>> 0);
    if (Atomics.load(u, this._waitersWord) !== 0) {
      Atomics.add(u, this._seqWord, 1);
      binding.queueWake(this._pool._native!, this._id);
    }
  },
} satisfies Partial<IOUserNetworkPacketQueue> & ThisType<IOUserNetworkPacketQueue>;

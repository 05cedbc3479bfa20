/**
 * The steps of the packet-queue protocol as JavaScript runs them, over the region's words: the
 * twin of native/core/packet_queue.{h,cpp} (`PacketQueue::enqueue` is `_put` + `_finish`,
 * `PacketQueue::dequeue` is `_available` + `_take` + `_consumed`, `PacketQueue::notifyConsumer` is
 * the wake in `_publishHead`, `PacketQueue::repairEnqueue` undoes what `_put` leaves pending when
 * a thread stops). The order of the stores is what makes a stopped thread lose no packet; the
 * header of native/core/packet_queue.h explains each step. Added to the queue's one prototype by
 * lib/queue-base.ts.
 */
import { binding } from './native';
import { Meta, QueueWord, State } from './layout';
import type { IOUserNetworkPacketQueue } from './queue-base';

declare module './queue-base' {
  interface IOUserNetworkPacketQueue {
    /** @internal */ _put(u: Uint32Array, at: number, index: number, m: number): boolean;
    /** @internal */ _finish(u: Uint32Array, head: number, done: number): number;
    /** @internal */ _take(u: Uint32Array, index: number, packetCount: number, metaBase: number, tag: number): boolean;
    /** @internal */ _spaceFor(u: Uint32Array, head: number, n: number): number;
    /** @internal */ _available(u: Uint32Array, tail: number, want: number): number;
    /** @internal */ _consumed(u: Uint32Array, tail: number, take: number): void;
    /** @internal */ _publishHead(u: Uint32Array, head: number): void;
  }
}

/** @internal */
export const protocolMethods = {
  // Writes the entry at counter `at` (>= head, not yet published) for the packet whose state word
  // is u[m] and makes the packet the queue's; false, changing no packet, if this thread does not
  // hold it (or a thread it was handed to took it meanwhile). The order is what lets the thread be
  // stopped anywhere (worker.terminate(), a killed process) without losing a packet: `pending`
  // covers the entry before its packet is marked queued, so [head, pending) names exactly the
  // entries of this call, and the core's repair (PacketQueue::repairEnqueue, when the thread's
  // slot is released or reclaimed) frees the marked ones that were never published; an unmarked
  // one is still this thread's and comes back with its other packets.
  _put(u: Uint32Array, at: number, index: number, m: number): boolean {
    const pool = this._pool;
    const state = u[m];
    const tag = pool._tag;
    const published = pool._publishedTag;
    if (state !== tag && state !== published) return false;
    u[this._entries + (at & this._mask)] = index;
    u[this._pending] = (at + 1) >>> 0;
    // Unpublished: only its owner writes the word, a plain store. Published: the thread it was
    // handed to may free or claim it at this moment; a CAS, and exactly one wins.
    if (state === tag) {
      u[m] = State.Queued;
      return true;
    }
    return Atomics.compareExchange(u, m, published, State.Queued) === published;
  },

  // Publishes the `done` entries put at head.. and closes the pending range; returns `done`.
  _finish(u: Uint32Array, head: number, done: number): number {
    if (done > 0) this._publishHead(u, head + done);
    u[this._pending] = (head + done) >>> 0;
    return done;
  },

  // Takes a dequeued entry if it names a queued packet: plain store of our tag, because only the
  // consumer end (this thread, bound by queueAcquireEnd) changes a queued packet's state.
  _take(u: Uint32Array, index: number, packetCount: number, metaBase: number, tag: number): boolean {
    if (index < packetCount) {
      const m = metaBase + index * Meta.Words;
      if (u[m] === State.Queued) {
        u[m] = tag;
        return true;
      }
    }
    Atomics.add(u, this._head - QueueWord.Head + QueueWord.BadEntries, 1);
    return false;
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

  // Releases the slots we read (Atomics.store orders our reads before the producer's reuse).
  _consumed(u: Uint32Array, tail: number, take: number): void {
    Atomics.store(u, this._tail, (tail + take) >>> 0);
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

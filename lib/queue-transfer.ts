/**
 * The two ends of an `IOUserNetworkPacketQueue`: enqueue (the producer hands packets it holds to
 * the queue) and dequeue (the consumer takes them), one packet or a batch, as objects or indices.
 * Each runs the protocol steps of queue-protocol.ts over the region's words: no native call and
 * no allocation per packet. Added to the queue's one prototype by lib/queue-base.ts.
 */
import { describe, fail, kIOReturnBadArgument, kIOReturnNotPermitted } from './io-return';
import { Meta } from './layout';
import { IOUserNetworkPacket } from './packet';
import type { IOUserNetworkPacketQueue } from './queue-base';
import { putEntry, putHeld, takeEntry } from './queue-protocol';
import { isUint32Array } from './typed-array';

declare module './queue-base' {
  interface IOUserNetworkPacketQueue {
    /**
     * Hands one packet this thread holds to the queue (`EnqueuePacket`). kIOReturnNoSpace when the
     * queue is full, kIOReturnNotPermitted for a packet this thread does not hold,
     * kIOReturnBadArgument for something that is not a packet of this pool.
     */
    EnqueuePacket(packet: IOUserNetworkPacket): void;
    /**
     * Hands `count` (default all) packets to the queue (`EnqueuePackets`), in order; returns how many
     * were taken from the front: fewer when the queue fills up, or when an entry cannot be enqueued
     * (not held by this thread, listed twice), which is then reported with an error if it is the
     * first.
     */
    EnqueuePackets(packets: readonly IOUserNetworkPacket[], count?: number): number;
    /** `enqueuePackets(packets, count, options)` of newer DriverKit: all or an error. */
    enqueuePackets(packets: readonly IOUserNetworkPacket[], count?: number, options?: number): void;
    /**
     * The index form of `EnqueuePackets`: hands the packets named in `indices` (held by this
     * thread) to the queue. Each entry is read once. Returns how many were taken from the front, as
     * `EnqueuePackets`.
     */
    enqueuePacketIndices(indices: Uint32Array, count?: number): number;
    /** Takes the oldest packet (`DequeuePacket`), now held by this thread; null when empty. */
    DequeuePacket(): IOUserNetworkPacket | null;
    /** Takes up to `max` (default: the capacity) packets into `out[0..]`; returns how many. */
    DequeuePackets(out: IOUserNetworkPacket[], max?: number): number;
    /**
     * The index form of `DequeuePackets`: fills `out` with up to `max` (default out.length) indices
     * of packets now held by this thread; returns how many.
     */
    dequeuePacketIndices(out: Uint32Array, max?: number): number;
  }
}

/** @internal */
export const transferMethods = {
  EnqueuePacket(packet: IOUserNetworkPacket): void {
    const u = this._producerView();
    const pool = this._pool;
    if (!(packet instanceof IOUserNetworkPacket) || packet._pool !== pool) this._notOurs(packet, 'packet');
    const head = u[this._head];
    if (this._spaceFor(u, head, 1) === 0) this._full(this._capacity);
    const entry = this._entries + (head & this._mask);
    const pendingAfter = (head + 1) >>> 0;
    const ok = putEntry(u, entry, this._pending, pendingAfter, packet._index, packet._m, pool._tag, pool._publishedTag);
    this._finish(u, head, ok ? 1 : 0);
    if (!ok) this._notHeld(packet._index, 'packet');
  },

  EnqueuePackets(packets: readonly IOUserNetworkPacket[], count?: number): number {
    const u = this._producerView();
    if (!Array.isArray(packets)) fail(kIOReturnBadArgument, `packets must be an array, got ${describe(packets)}`);
    const n = this._countOf(count, packets.length);
    const head = u[this._head];
    const take = this._spaceFor(u, head, n);
    // Read once per call (see putEntry).
    const pool = this._pool;
    const tag = pool._tag;
    const published = pool._publishedTag;
    const entries = this._entries;
    const mask = this._mask;
    const pending = this._pending;
    let done = 0;
    while (done < take) {
      // Packets this thread holds unpublished: plain stores and no call (see putHeld).
      let p: unknown = undefined;
      for (; done < take; done++) {
        p = packets[done];
        if (!(p instanceof IOUserNetworkPacket) || p._pool !== pool || u[p._m] !== tag) break;
        const at = (head + done) >>> 0;
        putHeld(u, entries + (at & mask), pending, (at + 1) >>> 0, p._index, p._m);
      }
      if (done === take) break;
      // The one that stopped it (read once, above): published (a CAS), not held, or no packet.
      if (!(p instanceof IOUserNetworkPacket) || p._pool !== pool) {
        if (done === 0) this._notOurs(p, 'packets[0]');
        break;
      }
      const at = (head + done) >>> 0;
      if (!putEntry(u, entries + (at & mask), pending, (at + 1) >>> 0, p._index, p._m, tag, published)) {
        if (done === 0) {
          this._finish(u, head, 0);
          this._notHeld(p._index, 'packets[0]');
        }
        break;
      }
      done++;
    }
    return this._finish(u, head, done);
  },

  enqueuePackets(packets: readonly IOUserNetworkPacket[], count?: number, options?: number): void {
    void options;
    const n = this._countOf(count, Array.isArray(packets) ? packets.length : 0);
    if (n > this._capacity - this.getCount()) this._full(this.getCount());
    const done = this.EnqueuePackets(packets, n);
    if (done < n) fail(kIOReturnNotPermitted, `packets[${done}] could not be enqueued; the first ${done} were`);
  },

  enqueuePacketIndices(indices: Uint32Array, count?: number): number {
    const u = this._producerView();
    if (!isUint32Array(indices)) fail(kIOReturnBadArgument, `indices must be a Uint32Array, got ${describe(indices)}`);
    const n = this._countOf(count, indices.length);
    const head = u[this._head];
    const take = this._spaceFor(u, head, n);
    // Read once per call (see putEntry).
    const pool = this._pool;
    const packetCount = pool._packetCount;
    const metaBase = pool._metaBase;
    const tag = pool._tag;
    const published = pool._publishedTag;
    const entries = this._entries;
    const mask = this._mask;
    const pending = this._pending;
    let done = 0;
    while (done < take) {
      // Read once: the ring entry written is our own copy of the index from here on; the consumer
      // never reads the caller's array.
      let index = 0;
      // Packets this thread holds unpublished: plain stores and no call (see putHeld).
      for (; done < take; done++) {
        index = indices[done];
        if (!(index < packetCount) || u[metaBase + index * Meta.Words] !== tag) break;
        const at = (head + done) >>> 0;
        putHeld(u, entries + (at & mask), pending, (at + 1) >>> 0, index, metaBase + index * Meta.Words);
      }
      if (done === take) break;
      // The one that stopped it: out of range, published (a CAS) or not held.
      if (!(index < packetCount)) {
        if (done === 0) {
          fail(kIOReturnBadArgument, `indices[0]: packet index ${index} is out of range (packetCount ${packetCount})`);
        }
        break;
      }
      const at = (head + done) >>> 0;
      const m = metaBase + index * Meta.Words;
      if (!putEntry(u, entries + (at & mask), pending, (at + 1) >>> 0, index, m, tag, published)) {
        if (done === 0) {
          this._finish(u, head, 0);
          this._notHeld(index, 'indices[0]');
        }
        break;
      }
      done++;
    }
    return this._finish(u, head, done);
  },

  DequeuePacket(): IOUserNetworkPacket | null {
    const u = this._consumerView();
    const pool = this._pool;
    for (;;) {
      const tail = u[this._tail];
      if (this._available(u, tail, 1) === 0) return null;
      const index = u[this._entries + (tail & this._mask)];
      const ok = takeEntry(u, index, pool._packetCount, pool._metaBase, pool._tag);
      this._consumed(u, tail, 1, ok ? 0 : 1);
      if (ok) return pool._packetAt(index);
    }
  },

  DequeuePackets(out: IOUserNetworkPacket[], max?: number): number {
    const u = this._consumerView();
    if (!Array.isArray(out)) fail(kIOReturnBadArgument, `out must be an array, got ${describe(out)}`);
    const want = max === undefined ? this._capacity : this._countOf(max, 0xffffffff);
    const tail = u[this._tail];
    const take = this._available(u, tail, want);
    // Read once per call (see putEntry).
    const pool = this._pool;
    const packetCount = pool._packetCount;
    const metaBase = pool._metaBase;
    const tag = pool._tag;
    const entries = this._entries;
    const mask = this._mask;
    let got = 0;
    for (let i = 0; i < take; i++) {
      const index = u[entries + ((tail + i) & mask)];
      if (takeEntry(u, index, packetCount, metaBase, tag)) out[got++] = pool._packetAt(index);
    }
    if (take > 0) this._consumed(u, tail, take, take - got);
    return got;
  },

  dequeuePacketIndices(out: Uint32Array, max?: number): number {
    const u = this._consumerView();
    if (!isUint32Array(out)) fail(kIOReturnBadArgument, `out must be a Uint32Array, got ${describe(out)}`);
    const want = this._countOf(max, out.length);
    const tail = u[this._tail];
    const take = this._available(u, tail, want);
    // Read once per call (see putEntry).
    const pool = this._pool;
    const packetCount = pool._packetCount;
    const metaBase = pool._metaBase;
    const tag = pool._tag;
    const entries = this._entries;
    const mask = this._mask;
    let got = 0;
    for (let i = 0; i < take; i++) {
      const index = u[entries + ((tail + i) & mask)];
      if (takeEntry(u, index, packetCount, metaBase, tag)) out[got++] = index;
    }
    if (take > 0) this._consumed(u, tail, take, take - got);
    return got;
  },
} satisfies Partial<IOUserNetworkPacketQueue> & ThisType<IOUserNetworkPacketQueue>;

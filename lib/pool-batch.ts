/**
 * The batch and index API of `IOUserNetworkPacketBufferPool`: many packets per call, as packet
 * objects or as indices. The same work per packet as the hot path (pool-hot-path.ts), in the
 * same order, served from this thread's cache and refilled or flushed in half-cache steps; the
 * core's `Pool::allocateBurst` / `Pool::deallocateBulk` (native/core/pool_alloc.cpp) take over when
 * there is no cache or an entry needs its verdict. Added to the pool's one prototype by
 * lib/pool.ts.
 */
import { types } from 'node:util';

import { binding } from './native';
import { describe, fail, kIOReturnBadArgument } from './io-return';
import { Meta } from './layout';
import type { IOUserNetworkPacket } from './packet';
import type { IOUserNetworkPacketBufferPool } from './pool';
import { holdUnpublished, initPacket } from './pool-ownership';
import { isUint32Array, lengthOf } from './typed-array';

const OP_REFILL = binding.hotOps.refill;
const OP_FLUSH = binding.hotOps.flush;
const OP_ALLOC_INDICES = binding.hotOps.allocIndices;
const OP_DEALLOC_INDICES = binding.hotOps.deallocIndices;

// A reusable scratch array of at least n entries: `array` itself, or a new one when it is too
// short (never on a steady-state path: the sizes stop growing after the first calls).
function atLeast(array: Uint32Array<ArrayBuffer>, n: number): Uint32Array<ArrayBuffer> {
  return array.length >= n ? array : new Uint32Array(Math.max(n, 32));
}

declare module './pool' {
  interface IOUserNetworkPacketBufferPool {
    /**
     * Takes up to `count` packets at once (one native call); the array is shorter when the pool
     * runs low. Pass `out` to reuse an array.
     */
    allocatePackets(count: number, out?: IOUserNetworkPacket[]): IOUserNetworkPacket[];
    /**
     * Gives back `count` (default all) packets at once: either an array of packets or a
     * Uint32Array of packet indices. All or nothing: if any entry is invalid, nothing is freed and
     * the error names the entry.
     */
    deallocatePackets(packets: readonly IOUserNetworkPacket[] | Uint32Array, count?: number): void;
    /**
     * Fills `out` with indices of newly allocated packets; returns how many (fewer when the pool
     * runs low). Served from this thread's cache, with at most one native call per refill. The
     * packets are this thread's until it hands them over with `publishPacketIndices`.
     */
    allocatePacketIndices(out: Uint32Array): number;
    /**
     * Deallocates `count` packets given by index, all or nothing: this thread's own (from its cache
     * when they fit, no native call) or ones another thread handed over (`publishPacketIndices`,
     * `packet.handOver()`).
     */
    deallocatePacketIndices(indices: Uint32Array, count?: number): void;
    /** @internal */
    _allocateIndices(out: Uint32Array, want: number): number;
    /** @internal */
    _deallocateIndices(indices: Uint32Array, count: number): void;
    /** @internal */
    _seenOf(): Uint32Array;
    /** @internal */
    _nextMark(): number;
    /** @internal */
    _undoOf(n: number): Uint32Array;
    /** @internal */
    _scratchOf(n: number): Uint32Array;
    /** @internal */
    _countOf(count: number | undefined, length: number): number;
  }
}

/** @internal */
export const batchMethods = {
  allocatePackets(count: number, out: IOUserNetworkPacket[] = []): IOUserNetworkPacket[] {
    this._checkOpen();
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > this._packetCount) {
      fail(kIOReturnBadArgument, `count must be an integer in 0..${this._packetCount}, got ${describe(count)}`);
    }
    if (!Array.isArray(out)) fail(kIOReturnBadArgument, `out must be an array, got ${describe(out)}`);
    const scratch = this._scratchOf(count);
    const got = this._allocateIndices(scratch, count);
    out.length = got;
    for (let i = 0; i < got; i++) out[i] = this._packetAt(scratch[i]);
    return out;
  },

  deallocatePackets(packets: readonly IOUserNetworkPacket[] | Uint32Array, count?: number): void {
    this._checkOpen();
    if (ArrayBuffer.isView(packets)) {
      if (!isUint32Array(packets)) {
        fail(kIOReturnBadArgument, `packets must be an array of packets or a Uint32Array, got ${describe(packets)}`);
      }
      this._deallocateIndices(packets, this._countOf(count, lengthOf(packets)));
      return;
    }
    if (!Array.isArray(packets)) {
      fail(kIOReturnBadArgument, `packets must be an array of packets or a Uint32Array, got ${describe(packets)}`);
    }
    const n = this._countOf(count, packets.length);
    const scratch = this._scratchOf(n);
    for (let i = 0; i < n; i++) {
      const p = packets[i];
      // The object this pool made for the slot, as in deallocatePacket.
      if (p == null || this._packets[p._index] !== p) {
        const what = types.isProxy(p) ? 'a Proxy' : describe(p);
        fail(kIOReturnBadArgument, `packets[${i}] is not a packet of this pool (${what})`);
      }
      scratch[i] = p._index;
    }
    this._deallocateIndices(scratch, n);
  },

  allocatePacketIndices(out: Uint32Array): number {
    this._checkOpen();
    if (!isUint32Array(out)) {
      fail(kIOReturnBadArgument, `out must be a Uint32Array, got ${describe(out)}`);
    }
    return this._allocateIndices(out, lengthOf(out));
  },

  deallocatePacketIndices(indices: Uint32Array, count?: number): void {
    this._checkOpen();
    if (!isUint32Array(indices)) {
      fail(kIOReturnBadArgument, `indices must be a Uint32Array, got ${describe(indices)}`);
    }
    this._deallocateIndices(indices, this._countOf(count, lengthOf(indices)));
  },

  // Batch allocation from this thread's cache, refilled from the ring in half-cache steps: the
  // same work as allocatePacket per packet (in the same order: held, then uncounted), without the
  // packet objects.
  _allocateIndices(out: Uint32Array, want: number): number {
    if (this._cacheSize === 0) return this._call(OP_ALLOC_INDICES, want, out);
    const u = this._u32;
    const cc = this._cacheCountIdx;
    const base = this._cacheBase;
    const packetCount = this._packetCount;
    let n = u[cc];
    let got = 0;
    while (got < want) {
      if (n === 0 || n > this._cacheSize) {
        u[cc] = n; // the core reads the count from the region (and clamps a scribbled one)
        n = this._cacheCall(OP_REFILL, 0);
        if (n === 0) break;
      }
      const index = u[base + n - 1];
      n -= 1;
      // Checked before the first write; an entry out of range (a scribbled region) is dropped.
      if (!(index < packetCount)) continue;
      out[got++] = index;
      initPacket(u, this._metaBase + index * Meta.Words, this._tag, this._headroom);
    }
    u[cc] = n;
    this._f64[this._allocIdx] += got;
    if (got < want) this._f64[this._failedIdx] += want - got;
    return got;
  },

  // Batch deallocation into this thread's cache. Each caller entry is read once, into a snapshot
  // (another thread may rewrite a shared array meanwhile). Anything unusual (an index that is
  // not ours, out of range, listed twice, chained buffers, a waiter, no cache) undoes what was
  // done and hands the snapshot to the core, which frees all or nothing and names the bad entry.
  _deallocateIndices(indices: Uint32Array, count: number): void {
    const u = this._u32;
    if (this._cacheSize === 0 || u[this._waitersWord] !== 0) {
      this._call(OP_DEALLOC_INDICES, count, indices);
      return;
    }
    const metaBase = this._metaBase;
    const packetCount = this._packetCount;
    const snapshot = this._scratchOf(count); // may be `indices` itself (deallocatePackets)
    const undo = this._undoOf(count);
    const seen = this._seenOf();
    const mark = this._nextMark();
    // 1. Check every entry; nothing is marked free yet, so a refusal only has to give back the
    //    published packets taken back below.
    let i = 0;
    for (; i < count; i++) {
      const index = (snapshot[i] = indices[i]);
      if (!(index < packetCount) || seen[index] === mark) break;
      seen[index] = mark;
      const m = metaBase + index * Meta.Words;
      if (u[m + Meta.BufferCount] !== 1) break;
      undo[i] = u[m];
      if (!holdUnpublished(u, m, this._tag, this._publishedTag)) break;
    }
    if (i < count) {
      for (let j = 0; j < i; j++) u[metaBase + snapshot[j] * Meta.Words] = undo[j];
      for (let j = i; j < count; j++) snapshot[j] = indices[j];
      this._call(OP_DEALLOC_INDICES, count, snapshot);
      return;
    }
    // 2. Into the cache, as in deallocatePacket: entries and count first, then the states, one
    //    cache-full at a time (a flush moves only packets already marked free).
    const cc = this._cacheCountIdx;
    const base = this._cacheBase;
    let n = u[cc];
    for (let j = 0; j < count;) {
      if (n >= this._cacheSize) n = this._cacheCall(OP_FLUSH, this._cacheHalf);
      const end = count - j < this._cacheSize - n ? count : j + this._cacheSize - n;
      for (let k = j; k < end; k++) u[base + n + k - j] = snapshot[k];
      n += end - j;
      u[cc] = n;
      for (; j < end; j++) u[metaBase + snapshot[j] * Meta.Words] = 0;
    }
    this._f64[this._deallocIdx] += count;
  },

  // Marks of the batch free's duplicate check: entry p is in the current batch when
  // seen[p] === the batch's mark. Made on first use (4 bytes per packet, per thread).
  _seenOf(): Uint32Array {
    if (this._seen.length !== this._packetCount) this._seen = new Uint32Array(this._packetCount);
    return this._seen;
  },

  _nextMark(): number {
    if (this._mark === 0xffffffff) {
      this._seen.fill(0);
      this._mark = 0;
    }
    return ++this._mark;
  },

  _undoOf(n: number): Uint32Array {
    return (this._undo = atLeast(this._undo, n));
  },

  _scratchOf(n: number): Uint32Array {
    return (this._scratch = atLeast(this._scratch, n));
  },

  _countOf(count: number | undefined, length: number): number {
    if (count === undefined) return length;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > length) {
      fail(kIOReturnBadArgument, `count must be an integer in 0..${length}, got ${describe(count)}`);
    }
    return count;
  },
} satisfies Partial<IOUserNetworkPacketBufferPool> & ThisType<IOUserNetworkPacketBufferPool>;

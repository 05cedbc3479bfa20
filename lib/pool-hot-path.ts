/**
 * The per-packet hot path of `IOUserNetworkPacketBufferPool`: `allocatePacket` and
 * `deallocatePacket` pop and push this thread's cache of free indices in the region, following
 * the ownership rules of pool-ownership.ts (twins of native/core/pool_alloc.cpp's `allocateOne` and
 * `deallocateOne`); anything unusual goes to a slow path that asks the core. Added to the pool's
 * one prototype by lib/pool.ts.
 */
import { binding } from './native';
import { describe, fail, kIOReturnBadArgument, kIOReturnNotPermitted } from './io-return';
import { Meta } from './layout';
import { IOUserNetworkPacket, mintPacket } from './packet';
import type { IOUserNetworkPacketBufferPool } from './pool';
import { holdUnpublished, initPacket } from './pool-ownership';

// The operations of the attachment's native call and allocOne's "pool empty" answer
// (native/addon/hot_calls.h), as constants the hot paths inline.
const OP_ALLOC_ONE = binding.hotOps.allocOne;
const OP_DEALLOC_ONE = binding.hotOps.deallocOne;
const OP_REFILL = binding.hotOps.refill;
const OP_FLUSH = binding.hotOps.flush;
const NO_PACKET = binding.hotOps.noPacket;

declare module './pool' {
  interface IOUserNetworkPacketBufferPool {
    /**
     * Takes a free packet (`allocatePacket`), or returns null when the pool is empty. The packet
     * comes with data offset = headroom, length 0, direction None, no timestamp, one buffer.
     * `options` (IOOptionBits, e.g. kIOUserNetworkNonBlocking: a uint32, else kIOReturnBadArgument)
     * is accepted; allocation never blocks.
     */
    allocatePacket(options?: number): IOUserNetworkPacket | null;
    /**
     * Gives a packet back (`deallocatePacket`), with any chained buffers. Throws
     * kIOReturnBadArgument for something that is not a packet of this pool and
     * kIOReturnNotPermitted for a packet that is not allocated (double free); the pool is unchanged.
     */
    deallocatePacket(packet: IOUserNetworkPacket): void;
    /** @internal This thread's packet object for a slot, made on first use and reused ever after. */
    _packetAt(index: number): IOUserNetworkPacket;
    /** @internal */ _makePacket(index: number): IOUserNetworkPacket;
    /** @internal */ _refill(): number;
    /** @internal */ _allocateSlow(): IOUserNetworkPacket | null;
    /** @internal */ _deallocateSlow(packet: IOUserNetworkPacket): void;
    /** @internal */ _badOptionBits(options: unknown): never;
  }
}

/** @internal */
export const hotPathMethods = {
  allocatePacket(options?: number): IOUserNetworkPacket | null {
    if (options !== undefined && (typeof options !== 'number' || options >>> 0 !== options))
      this._badOptionBits(options);
    const u = this._u32;
    const cc = this._cacheCountIdx;
    const n = u[cc] - 1;
    const index = u[this._cacheBase + n];
    // Anything unusual takes the slow path before the first write: an empty cache (n is -1, so
    // n >>> 0 is huge), no cache, a count or an entry scribbled out of range through the region.
    if (!(n >>> 0 < this._cacheSize && index < this._packetCount)) return this._allocateSlow();
    // Held before it leaves the cache: a thread stopped between the two stores leaves a packet
    // that is held and still counted, which the core's reclaim sorts out (Pool::adoptCache);
    // the other order would lose it.
    initPacket(u, this._metaBase + index * Meta.Words, this._tag, this._headroom);
    u[cc] = n;
    this._f64[this._allocIdx] += 1;
    return this._packetAt(index);
  },

  deallocatePacket(packet: IOUserNetworkPacket): void {
    // Only the object this pool made for the slot: not a Proxy, a look-alike or one built with
    // `new` (its identity differs from ours even when every field matches).
    if (packet == null || this._packets[packet._index] !== packet) return this._foreign(packet);
    const index = packet._index;
    const u = this._u32;
    const m = packet._m;
    // Slow path: chained buffers, no cache, a thread waiting for a packet (the core then puts it
    // in the shared ring and wakes it), or not ours (double free or another thread's).
    if (u[m + Meta.BufferCount] !== 1 || this._cacheSize === 0 || u[this._waitersWord] !== 0) {
      return this._deallocateSlow(packet);
    }
    if (!holdUnpublished(u, m, this._tag, this._publishedTag)) return this._deallocateSlow(packet);
    const cc = this._cacheCountIdx;
    let n = u[cc];
    if (n >= this._cacheSize) n = this._cacheCall(OP_FLUSH, this._cacheHalf);
    // In the cache before it is marked free: a thread stopped between these stores leaves a
    // packet that is still held, and counted or not; the core's reclaim frees it once.
    u[this._cacheBase + n] = index;
    u[cc] = n + 1;
    u[m] = 0;
    this._f64[this._deallocIdx] += 1;
  },

  _packetAt(index: number): IOUserNetworkPacket {
    return this._packets[index] ?? this._makePacket(index);
  },

  _makePacket(index: number): IOUserNetworkPacket {
    if (!(index < this._packetCount)) {
      fail(kIOReturnNotPermitted, `the pool's free list holds an invalid index ${index}; was its memory overwritten?`);
    }
    const packet = mintPacket(this, index, this._metaBase + index * Meta.Words);
    this._packets[index] = packet;
    return packet;
  },

  _refill(): number {
    this._checkOpen();
    const n: number = this._call(OP_REFILL, 0);
    if (n === 0) this._f64[this._failedIdx] += 1;
    return n;
  },

  // allocatePacket when the top of the cache is not a packet to hand out: refills an empty cache
  // (or, with cacheSize 0, lets the core take one packet straight from the ring), and drops
  // entries a scribbled region made out of range (the core clamps a count beyond the cache).
  _allocateSlow(): IOUserNetworkPacket | null {
    this._checkOpen();
    if (this._cacheSize === 0) {
      const index = this._call(OP_ALLOC_ONE, 0);
      return index === NO_PACKET ? null : this._packetAt(index);
    }
    const u = this._u32;
    const cc = this._cacheCountIdx;
    for (;;) {
      const n = u[cc];
      if (n === 0 || n > this._cacheSize) {
        if (this._refill() === 0) return null;
        continue;
      }
      const index = u[this._cacheBase + n - 1];
      if (!(index < this._packetCount)) {
        u[cc] = n - 1; // dropped
        continue;
      }
      // allocatePacket's stores, in its order (not a call to it: debug mode wraps the public method).
      initPacket(u, this._metaBase + index * Meta.Words, this._tag, this._headroom);
      u[cc] = n - 1;
      this._f64[this._allocIdx] += 1;
      return this._packetAt(index);
    }
  },

  _deallocateSlow(packet: IOUserNetworkPacket): void {
    this._checkOpen();
    // The core checks ownership (0 = double free), takes it over atomically from another thread
    // if needed, returns chained buffers, and puts the index in our cache or the ring.
    this._call(OP_DEALLOC_ONE, packet._index);
  },

  _badOptionBits(options: unknown): never {
    this._checkOpen();
    return fail(
      kIOReturnBadArgument,
      `options must be IOOptionBits (an integer in 0..4294967295), got ${describe(options)}`,
    );
  },
} satisfies Partial<IOUserNetworkPacketBufferPool> & ThisType<IOUserNetworkPacketBufferPool>;

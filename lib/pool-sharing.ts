/**
 * Sharing an `IOUserNetworkPacketBufferPool` between threads and processes: handles for
 * `attach`, handing packets over by index and taking them over (`newPacket`), giving this
 * thread's cache back, and reclaiming what dead threads held. Their counterparts in
 * native/core/pool_alloc.cpp are `Pool::publish`, `Pool::claimPacket`, `Pool::flushCache`, and in pool_slots.cpp
 * `Pool::reclaim`. Added to the pool's one prototype by lib/pool.ts.
 */
import { binding } from './native';
import { describe, fail, kIOReturnBadArgument, kIOReturnNotPermitted } from './io-return';
import { Meta } from './layout';
import type { IOUserNetworkPacket, IOUserNetworkPacketDescriptor } from './packet';
import type { IOUserNetworkPacketBufferPool } from './pool';
import { heldIndices, isOwnState, publishHeld } from './pool-ownership';
import { isUint32Array, lengthOf } from './typed-array';

const OP_FLUSH = binding.hotOps.flush;

/** A structured-clone-able description of a pool, for `attach()` in another thread or process. */
export interface IOUserNetworkPacketBufferPoolHandle {
  /** Process-local id of the pool (used by threads of the same process). */
  id: number;
  /** Process that made the handle; another process attaches through `fd` instead. */
  pid: number;
  /**
   * Present for `shared: true` pools: a duplicate of the pool's memfd (sealed against resizing)
   * that belongs to the caller, one per `createHandle()` call: close it once it has been passed on
   * (closing it never affects the pool). Another process passes its own fd number for it.
   */
  fd?: number;
  /** Size of the pool's region in bytes. */
  bytes: number;
  /** Present (true) when the pool was made in debug mode: attachments use debug mode too. */
  debug?: boolean;
  /**
   * The pool's identity (16 hex digits, random per pool); `attach` refuses a pool with another
   * one, so a stale handle cannot attach to a new pool that reused its fd number.
   */
  identity: string;
}

declare module './pool' {
  interface IOUserNetworkPacketBufferPool {
    /** A structured-clone-able handle for `IOUserNetworkPacketBufferPool.attach`. */
    createHandle(): IOUserNetworkPacketBufferPoolHandle;
    /**
     * Hands `count` (default all) packets this thread holds over to other threads, by index: from
     * now on another thread may take them over (`newPacket`) or free them (`deallocatePacketIndices`),
     * which it is refused (kIOReturnNotPermitted) for a packet that was never handed over. What
     * `packet.handOver()` does for one packet object; no native call. All or nothing:
     * kIOReturnBadArgument for an index out of range, kIOReturnNotPermitted for a packet this thread
     * does not hold, and then nothing is published.
     */
    publishPacketIndices(indices: Uint32Array, count?: number): void;
    /**
     * The packet object of a slot (`newPacket`). The packet must be allocated; if another thread
     * holds it, ownership moves to this thread (the sender must not touch it afterwards).
     * kIOReturnBadArgument for a bad index, kIOReturnNotPermitted for a free packet.
     */
    newPacket(descriptor: IOUserNetworkPacketDescriptor): IOUserNetworkPacket;
    /** Returns this thread's cached free packets to the shared ring. */
    flush(): void;
    /**
     * Returns to the pool the packets still held by threads that exited (or were terminated)
     * without giving them back. With a `threadId`, only that worker's; without, every exited
     * thread's. Returns how many packets came back. kIOReturnNotPermitted if that thread is still
     * attached, kIOReturnNotFound if no exited thread with that id holds packets.
     *
     * Packets a thread handed over (`handOver`, `publishPacketIndices`) stay the sender's until the
     * receiver claims or frees them: when the receiver dies first, the sender gets them back with
     * `reclaimHandedOverPackets()`. `worker.threadId` reads -1 once the worker has exited, so keep
     * the id from when the worker started (-1 is refused with a message saying so).
     */
    reclaimPackets(threadId?: number): number;
    /**
     * Takes back every packet this thread handed over (`handOver`, `publishPacketIndices`) that no
     * thread has claimed or freed since, and deallocates them; returns how many. For when the
     * thread they went to died before taking them: such packets are still charged to this thread
     * (`reclaimPackets` cannot see them). Call it only when no live thread still holds one of those
     * indices, since it frees them under that thread's feet.
     */
    reclaimHandedOverPackets(): number;
    /** @internal handOver(): marks a packet this thread holds as handed out (State.Published). */
    _handOver(m: number, index: number): void;
  }
}

/** @internal */
export const sharingMethods = {
  createHandle(): IOUserNetworkPacketBufferPoolHandle {
    this._checkOpen();
    const handle: IOUserNetworkPacketBufferPoolHandle = this._native!.createHandle();
    if (this._debug !== null) handle.debug = true;
    return handle;
  },

  publishPacketIndices(indices: Uint32Array, count?: number): void {
    this._checkOpen();
    if (!isUint32Array(indices)) {
      fail(kIOReturnBadArgument, `indices must be a Uint32Array, got ${describe(indices)}`);
    }
    const n = this._countOf(count, lengthOf(indices));
    const u = this._u32;
    // Each entry read once: another thread may be rewriting a shared array meanwhile.
    const snapshot = this._scratchOf(n);
    for (let i = 0; i < n; i++) {
      const index = (snapshot[i] = indices[i]);
      if (!(index < this._packetCount)) {
        fail(
          kIOReturnBadArgument,
          `indices[${i}]: packet index ${index} is out of range (packetCount ${this._packetCount})`,
        );
      }
      const state = u[this._metaBase + index * Meta.Words];
      if (!isOwnState(state, this._tag, this._publishedTag)) {
        fail(kIOReturnNotPermitted, `indices[${i}]: packet ${index} is not held by this thread`);
      }
    }
    for (let i = 0; i < n; i++) this._handOver(this._metaBase + snapshot[i] * Meta.Words, snapshot[i]);
  },

  newPacket(descriptor: IOUserNetworkPacketDescriptor): IOUserNetworkPacket {
    this._checkOpen();
    const index = descriptor !== null && typeof descriptor === 'object' ? descriptor.fPacketIndex : undefined;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= this._packetCount) {
      fail(
        kIOReturnBadArgument,
        `fPacketIndex must be an integer in 0..${this._packetCount - 1}, got ${describe(index)}`,
      );
    }
    const state = this._u32[this._metaBase + index * Meta.Words];
    if (!isOwnState(state, this._tag, this._publishedTag)) this._native!.claimPacket(index);
    return this._packetAt(index);
  },

  flush(): void {
    this._checkOpen();
    this._call(OP_FLUSH, 0);
  },

  reclaimPackets(threadId?: number): number {
    this._checkOpen();
    if (threadId === -1) {
      fail(
        kIOReturnBadArgument,
        'threadId -1: worker.threadId reads -1 once the worker has exited; keep the id from when it started ' +
          '(const id = worker.threadId) or call reclaimPackets() for every exited thread',
      );
    }
    return this._native!.reclaim(threadId);
  },

  reclaimHandedOverPackets(): number {
    this._checkOpen();
    const published = this._publishedTag;
    const indices = Uint32Array.from(heldIndices(this._u32, this._metaBase, this._packetCount, published, published));
    if (indices.length > 0) this._deallocateIndices(indices, indices.length);
    return indices.length;
  },

  _handOver(m: number, index: number): void {
    // Plain store (see publishHeld): only the owner writes the state of an unpublished packet.
    if (!publishHeld(this._u32, m, this._tag, this._publishedTag)) {
      fail(kIOReturnNotPermitted, `packet ${index} is not held by this thread`);
    }
  },
} satisfies Partial<IOUserNetworkPacketBufferPool> & ThisType<IOUserNetworkPacketBufferPool>;

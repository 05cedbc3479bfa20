/**
 * `IOUserNetworkPacketBufferPool`: the typed DriverKit surface over the native pool.
 *
 * The per-packet path (allocatePacket / deallocatePacket) runs entirely in JavaScript over
 * typed-array views of the region: it pops and pushes this thread's cache of free indices (which
 * lives in the region, so other threads can count it and the core can flush it when the thread
 * dies) and writes the packet's metadata record. Only when the cache runs empty or full does one
 * native call move half a cache to or from the shared lock-free ring.
 *
 * This file holds the class itself: every field (so that every pool object has one hidden class),
 * creation, attachment and release, and the native call. Its methods by concern live beside it
 * and join the one prototype through `addMethods` (their types through declaration merging):
 *
 * | file | methods |
 * |---|---|
 * | `pool-hot-path.ts` | `allocatePacket`, `deallocatePacket` and their slow paths |
 * | `pool-ownership.ts` | the ownership rules they follow, as plain functions (twins of native/core/pool_alloc.cpp) |
 * | `pool-batch.ts` | `allocatePackets`, `deallocatePackets`, `allocatePacketIndices`, `deallocatePacketIndices` |
 * | `pool-sharing.ts` | handles, handing over, `newPacket`, `flush`, reclaiming |
 * | `pool-waiting.ts` | `allocatePacketAsync` and its queue of waiters |
 * | `pool-statistics.ts` | sizes, identity, statistics, the leak report |
 * | `pool-packet-access.ts` | what `IOUserNetworkPacket` needs of its pool (`PacketPool`) |
 * | `pool-twins.ts` | the lower-case twins and upstream-deprecated capitalised forms |
 */
import { types } from 'node:util';
import { threadId } from 'node:worker_threads';

import { binding, type NativePool } from './native';
import { DebugState, debugFromEnvironment, installDebug } from './debug';
import { IONetworkPacketType } from './enums';
import {
  describe,
  fail,
  IOReturnError,
  kIOReturnAborted,
  kIOReturnBadArgument,
  kIOReturnNoMemory,
  kIOReturnNotAttached,
  kIOReturnNotPermitted,
  kIOReturnNotReady,
} from './io-return';
import { Slot, State } from './layout';
import { IOMemoryDescriptor } from './memory';
import { addMethods } from './mixin';
import { addressLimit, IOUserNetworkPacketBufferPoolOptions, toNativeOptions } from './options';
import { IOUserNetworkPacket } from './packet';
import { batchMethods } from './pool-batch';
import { hotPathMethods } from './pool-hot-path';
import { heldIndices } from './pool-ownership';
import { packetAccessMethods } from './pool-packet-access';
import { IOUserNetworkPacketBufferPoolHandle, sharingMethods } from './pool-sharing';
import { statisticsMethods } from './pool-statistics';
import { twinMethods } from './pool-twins';
import { PendingAllocation, waitingMethods } from './pool-waiting';

export type { IOUserNetworkPacketBufferPoolStatistics } from './pool-statistics';
export type { IOUserNetworkPacketBufferPoolHandle } from './pool-sharing';
export type { AllocatePacketAsyncOptions } from './pool-waiting';

const EMPTY_U32 = new Uint32Array(0);
const EMPTY_F64 = new Float64Array(0);
let warnedReleaseHolding = false; // release() while holding packets is reported once per process

/**
 * A pool of packets over one contiguous region (DriverKit `IOUserNetworkPacketBufferPool`).
 * Create it with `CreateWithOptions` (or `Create`, `withName`), take packets with
 * `allocatePacket`, give them back with `deallocatePacket`, share it with `createHandle` /
 * `attach`. Every method throws `IOReturnError`; after `release()` they throw
 * kIOReturnNotAttached.
 */
export class IOUserNetworkPacketBufferPool {
  // Hot-path state, all per thread. Public only to IOUserNetworkPacket (marked internal).
  /** @internal */ _u32: Uint32Array = EMPTY_U32;
  /** @internal */ _f64: Float64Array = EMPTY_F64;
  /** @internal */ _bufferSize = 0;
  /** @internal */ _baseAddress = 0n;
  /** @internal */ _native: NativePool | null = null;
  /** @internal */ readonly _releaseHooks = new Set<() => void>(); // raw interfaces close first
  // The native call of the per-packet, refill/flush and index-batch paths, bound to this
  // attachment (native/addon/hot_calls.h: no object lookup per call), and its two argument words.
  /** @internal */ _callFn: (array?: Uint32Array) => void = () => this._checkOpen();
  /** @internal */ _callWords: Uint32Array = new Uint32Array(2);
  /** @internal */ _region: ArrayBuffer | null = null;
  /** @internal */ _tag = -1;
  /** @internal */ _publishedTag = -1; // _tag | State.Published, as the unsigned value a Uint32Array reads
  /** @internal */ _headroom = 0;
  /** @internal */ _cacheSize = 0;
  /** @internal */ _cacheHalf = 0;
  /** @internal */ _cacheCountIdx = 0;
  /** @internal */ _cacheBase = 0;
  /** @internal */ _allocIdx = 0;
  /** @internal */ _deallocIdx = 0;
  /** @internal */ _failedIdx = 0;
  /** @internal */ _metaBase = 0;
  /** @internal */ _buffersOffset = 0;
  /** @internal */ _bufferStride = 0;
  /** @internal */ _chainWord = 0;
  /** @internal */ _chainPerPacket = 0;
  /** @internal */ _packetCount = 0;
  /** @internal */ _bufferCount = 0;
  /** @internal */ _name = '';
  /** @internal */ _owner: unknown = null;
  /** @internal */ _state: 'new' | 'open' | 'released' = 'new';
  /** @internal */ _packets: (IOUserNetworkPacket | null)[] = [];
  /** @internal debug mode's state (lib/debug.ts); null for a normal pool */
  _debug: DebugState | null = null;
  /** @internal */ _buffers: (Buffer | null)[] = [];
  /** @internal */ _scratch = new Uint32Array(0);
  /** @internal */ _undo = new Uint32Array(0); // states to restore when a batch free is refused
  /** @internal */ _seen = new Uint32Array(0); // see _seenOf
  /** @internal */ _mark = 0;
  /** @internal */ _waitersWord = 0;
  /** @internal */ _waiting: PendingAllocation[] = [];
  /** @internal Called by the native waiter when the shared ring has free packets (pool-waiting.ts). */
  readonly _onPacketFreed = (): void => this._servePending();

  // ---- creation ----------------------------------------------------------------------------

  /**
   * Creates a pool (DriverKit `Create`, deprecated upstream in favour of `CreateWithOptions`).
   * Throws IOReturnError: kIOReturnBadArgument for bad sizes, kIOReturnNoMemory if mapping fails.
   * @deprecated Upstream deprecated; use `CreateWithOptions`.
   */
  static Create(
    owner: unknown,
    name: string,
    packetCount: number,
    bufferCount: number,
    bufferSize: number,
  ): IOUserNetworkPacketBufferPool {
    return IOUserNetworkPacketBufferPool.CreateWithOptions(owner, name, { packetCount, bufferCount, bufferSize });
  }

  /**
   * Creates a pool from an options object (DriverKit `CreateWithOptions`). `device` is kept as the
   * owner (`getPoolOwnerDevice`). Throws IOReturnError (kIOReturnBadArgument for invalid options,
   * before any memory is mapped; kIOReturnNoMemory when the mapping or mlock fails).
   */
  static CreateWithOptions(
    device: unknown,
    name: string,
    options: IOUserNetworkPacketBufferPoolOptions,
  ): IOUserNetworkPacketBufferPool {
    const pool = new IOUserNetworkPacketBufferPool();
    pool._open(device, name, options);
    return pool;
  }

  /**
   * Factory of the kernel-side API (`withName`): the pool, or null on any failure.
   */
  static withName(
    poolName: string,
    owner: unknown,
    type: IONetworkPacketType,
    options: IOUserNetworkPacketBufferPoolOptions,
  ): IOUserNetworkPacketBufferPool | null {
    const pool = new IOUserNetworkPacketBufferPool();
    return pool.initWithName(poolName, owner, type, options) ? pool : null;
  }

  /**
   * Attaches to a pool created elsewhere: another worker thread of this process, or (for
   * `shared: true` pools, passing the fd number the memfd has in this process) another process.
   * Each attachment has its own cache and thread slot; all share rings, packets and statistics.
   */
  static attach(handle: IOUserNetworkPacketBufferPoolHandle): IOUserNetworkPacketBufferPool {
    if (handle === null || typeof handle !== 'object') {
      fail(kIOReturnBadArgument, `handle must be an object from createHandle(), got ${describe(handle)}`);
    }
    const pool = new IOUserNetworkPacketBufferPool();
    const debug = handle.debug === true || debugFromEnvironment();
    pool._bind(new binding.NativePool({ attach: handle, threadId }), null, debug);
    return pool;
  }

  /** Initialises a pool made with `new` (`initWithName`); false on failure. */
  initWithName(
    poolName: string,
    owner: unknown,
    type: IONetworkPacketType,
    options: IOUserNetworkPacketBufferPoolOptions,
  ): boolean {
    if (this._state !== 'new' || type !== IONetworkPacketType.Network) return false;
    try {
      this._open(owner, poolName, options);
      return true;
    } catch (err) {
      if (err instanceof IOReturnError) return false;
      throw err;
    }
  }

  /** OSObject `init`: true for an object that has not been released. */
  init(): boolean {
    return this._state !== 'released';
  }

  /** @internal */
  _open(owner: unknown, name: string, options: IOUserNetworkPacketBufferPoolOptions): void {
    if (this._state !== 'new') fail(kIOReturnNotPermitted, 'the pool is already initialised');
    const native = new binding.NativePool(toNativeOptions(name, options, threadId));
    const debug = (options as { debug?: boolean }).debug;
    this._bind(native, owner, debug === true || (debug === undefined && debugFromEnvironment()));
    const limit = addressLimit(options);
    if (limit !== undefined && this._baseAddress + BigInt(native.layoutInfo().totalBytes) > limit) {
      const where = this._baseAddress.toString(16);
      this.release();
      fail(kIOReturnNoMemory, `the pool at 0x${where} lies above dmaSpecification.maxAddressBits`);
    }
  }

  /** @internal */
  _bind(native: NativePool, owner: unknown, debug: boolean): void {
    const info = native.layoutInfo();
    const region: ArrayBuffer = native.regionBuffer();
    const slotWord = (info.slotsOffset + info.slot * info.slotBytes) / 4;
    this._native = native;
    const hot = native.hotCall();
    this._callFn = hot.call;
    this._callWords = hot.words;
    this._region = region;
    this._u32 = new Uint32Array(region);
    this._f64 = new Float64Array(region);
    this._owner = owner;
    this._name = info.name;
    this._tag = info.tag;
    this._publishedTag = info.tag + State.Published;
    this._headroom = info.headroom;
    this._bufferSize = info.bufferSize;
    this._bufferStride = info.bufferStride;
    this._buffersOffset = info.buffersOffset;
    this._packetCount = info.packetCount;
    this._bufferCount = info.bufferCount;
    this._cacheSize = info.cacheSize;
    this._cacheHalf = info.cacheSize / 2;
    this._waitersWord = info.waitersWord;
    this._cacheCountIdx = slotWord + Slot.CacheCountU32;
    this._cacheBase = slotWord + Slot.CacheU32;
    this._allocIdx = slotWord / 2 + Slot.AllocationsF64;
    this._deallocIdx = slotWord / 2 + Slot.DeallocationsF64;
    this._failedIdx = slotWord / 2 + Slot.FailedAllocationsF64;
    this._metaBase = info.metaOffset / 4;
    this._chainWord = info.chainOffset / 4;
    this._chainPerPacket = info.maxBuffersPerPacket - 1;
    this._packets = new Array(info.packetCount).fill(null);
    this._buffers = new Array(info.bufferCount).fill(null);
    this._baseAddress = info.baseAddress;
    this._state = 'open';
    if (debug) installDebug(this);
  }

  // ---- life cycle --------------------------------------------------------------------------

  /**
   * Releases this thread's attachment (OSObject `release`): later calls throw
   * kIOReturnNotAttached, Buffer views of packets read as empty, this thread's cached free
   * packets go back to the ring. The memory is unmapped once no thread, memory descriptor or
   * view uses it. Idempotent.
   */
  release(): void {
    if (this._state !== 'open') {
      this._state = 'released';
      return;
    }
    this._state = 'released';
    this._warnIfHolding();
    this._debug = null;
    for (const hook of [...this._releaseHooks]) hook();
    this._rejectWaiting(`pool "${this._name}" was released while waiting for a packet`);
    this._u32 = EMPTY_U32;
    this._f64 = EMPTY_F64;
    this._tag = -1;
    this._publishedTag = -1;
    this._region = null;
    this._packets = [];
    this._buffers = [];
    const native = this._native;
    this._native = null;
    this._callFn = () => this._checkOpen();
    native?.release();
  }

  // release() while this thread still holds packets: they were never given back (a leak unless
  // the pool is going away with this thread); other threads see them as orphaned until
  // reclaimPackets(). Node's way to say so without throwing: a process warning, once per process
  // (like Node's own deprecation warnings), so a program that does it on purpose is not flooded.
  /** @internal */
  _warnIfHolding(): void {
    if (warnedReleaseHolding) return;
    const held = heldIndices(this._u32, this._metaBase, this._packetCount, this._tag, this._publishedTag).length;
    if (held === 0) return;
    warnedReleaseHolding = true;
    process.emitWarning(
      `pool "${this._name}" was released while this thread held ${held} packet${held === 1 ? '' : 's'} ` +
        'it never deallocated; other threads count them as orphanedPackets until reclaimPackets() returns them',
      { code: 'PBP_RELEASED_HOLDING_PACKETS' },
    );
  }

  /** OSObject `free`: same as `release()`. */
  free(): void {
    this.release();
  }

  /** `using pool = ...` releases the pool at the end of the scope. */
  [Symbol.dispose](): void {
    this.release();
  }

  /**
   * A retained descriptor of the pool's whole memory (`CopyMemoryDescriptor`). It keeps the memory
   * mapped until it is released, even after the pool is.
   */
  CopyMemoryDescriptor(): IOMemoryDescriptor {
    this._checkOpen();
    return new IOMemoryDescriptor(this._native!.copyMemoryDescriptor());
  }

  // ---- the native call and the open check -------------------------------------------------

  // One native call: the operation and its number go in through the argument words, the result
  // comes back in the second (0 for operations without one).
  /** @internal */
  _call(op: number, arg: number, array?: Uint32Array): number {
    const w = this._callWords;
    w[0] = op;
    w[1] = arg;
    this._callFn(array);
    return w[1];
  }

  /** @internal */
  _checkOpen(): void {
    if (this._state === 'open') return;
    if (this._state === 'new') fail(kIOReturnNotReady, 'the pool is not initialised');
    fail(kIOReturnNotAttached, `pool "${this._name}" has been released`);
  }

  // A native refill or flush whose answer (the new cache count) the caller stores on. The call
  // clears the operation word when it runs; in a worker being terminated, Node-API may not run it
  // at all, and storing the stale answer word as the count would drop the cache's packets, so
  // the thread stops here instead.
  /** @internal */
  _cacheCall(op: number, arg: number): number {
    const n = this._call(op, arg);
    if (this._callWords[0] !== 0)
      fail(kIOReturnAborted, 'the native call did not run (is the thread being terminated?)');
    return n;
  }

  /** @internal */
  _foreign(packet: unknown): never {
    this._checkOpen();
    // Explains the refusal without running a caller's Proxy traps (getPrototypeOf, get).
    if (types.isProxy(packet)) fail(kIOReturnBadArgument, 'expected an IOUserNetworkPacket of this pool, got a Proxy');
    if (packet instanceof IOUserNetworkPacket) {
      const owner = packet._pool;
      const fromOtherPool = owner instanceof IOUserNetworkPacketBufferPool && owner !== this;
      if (fromOtherPool && owner._packets[packet._index] === packet) {
        fail(kIOReturnBadArgument, `packet ${packet._index} belongs to another pool ("${owner._name}")`);
      }
      fail(
        kIOReturnBadArgument,
        'this IOUserNetworkPacket was not made by this pool (packets come from allocatePacket or newPacket)',
      );
    }
    return fail(kIOReturnBadArgument, `expected an IOUserNetworkPacket of this pool, got ${describe(packet)}`);
  }
}

addMethods(IOUserNetworkPacketBufferPool, hotPathMethods);
addMethods(IOUserNetworkPacketBufferPool, batchMethods);
addMethods(IOUserNetworkPacketBufferPool, sharingMethods);
addMethods(IOUserNetworkPacketBufferPool, waitingMethods);
addMethods(IOUserNetworkPacketBufferPool, statisticsMethods);
addMethods(IOUserNetworkPacketBufferPool, packetAccessMethods);
addMethods(IOUserNetworkPacketBufferPool, twinMethods);

/**
 * `IOUserNetworkPacketBufferPool`: the typed DriverKit surface over the native pool.
 *
 * The per-packet path (allocatePacket / deallocatePacket) runs entirely in JavaScript over
 * typed-array views of the region: it pops and pushes this thread's cache of free indices (which
 * lives in the region, so other threads can count it and the core can flush it when the thread
 * dies) and writes the packet's metadata record. Only when the cache runs empty or full does one
 * native call move half a cache to or from the shared lock-free ring.
 */
import { types } from 'node:util';
import { threadId } from 'node:worker_threads';

import { binding, type NativePool } from './native';
import { checkKnownKeys, checkOptionalObject } from './check';
import { DebugState, debugFromEnvironment, installDebug, inUsePackets, IOUserNetworkPacketInUse } from './debug';
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
import { Meta, Slot, State } from './layout';
import { IOMemoryDescriptor } from './memory';
import { addressLimit, IOUserNetworkPacketBufferPoolOptions, toNativeOptions } from './options';
import { IOUserNetworkPacket, IOUserNetworkPacketDescriptor, mintPacket } from './packet';
import { isUint32Array, lengthOf } from './typed-array';



/** What `getStatistics()` returns. Exact when no other thread is mid-operation. */
export interface IOUserNetworkPacketBufferPoolStatistics {
  /** Packets handed out, by every thread, since creation. */
  allocations: number;
  /** Packets given back. */
  deallocations: number;
  /** Allocation requests that found no free packet (batch requests count missing packets). */
  failedAllocations: number;
  /** Packets returned by `reclaimPackets` on behalf of threads that exited holding them. */
  reclaimed: number;
  /** Packets held by someone: packetCount minus the free ones. */
  inUse: number;
  /** Free packets parked in threads' caches (free, not lost). */
  cached: number;
  /** Free packets in the shared ring. */
  freeInRing: number;
  /** Peak packets outside the shared ring (in use + cached); exact peak in use with cacheSize 0. */
  highWaterMark: number;
  /** Threads (and processes) attached now. */
  liveThreads: number;
  /** Threads that exited holding packets, waiting for `reclaimPackets`. */
  deadThreads: number;
  /** Packets held by those threads. */
  orphanedPackets: number;
  /** Packets inside packet queues, between a queue's two ends (counted in `inUse`). */
  queued: number;
  /** Extra (chain) buffers free. */
  freeBuffers: number;
}

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

/** Options of `allocatePacketAsync`. */
export interface AllocatePacketAsyncOptions {
  /** Aborting rejects the promise with kIOReturnAborted. */
  signal?: AbortSignal;
  /**
   * Whether the wait keeps the process alive, as a timer does (default true). With `ref: false`
   * the process may exit while the promise is pending, like a timer after `unref()`.
   */
  ref?: boolean;
}

const ASYNC_OPTION_KEYS: readonly (keyof AllocatePacketAsyncOptions)[] = ['signal', 'ref'];

interface PendingAllocation {
  resolve(packet: IOUserNetworkPacket): void;
  reject(error: Error): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  ref: boolean;
}

const EMPTY_U32 = new Uint32Array(0);
let warnedReleaseHolding = false; // release() while holding packets is reported once per process
// The operations of the attachment's native call and allocOne's "pool empty" answer
// (native/addon/hot_calls.h), as constants the hot paths inline.
const OP_ALLOC_ONE = binding.hotOps.allocOne;
const OP_DEALLOC_ONE = binding.hotOps.deallocOne;
const OP_REFILL = binding.hotOps.refill;
const OP_FLUSH = binding.hotOps.flush;
const OP_ALLOC_INDICES = binding.hotOps.allocIndices;
const OP_DEALLOC_INDICES = binding.hotOps.deallocIndices;
const NO_PACKET = binding.hotOps.noPacket;

const EMPTY_F64 = new Float64Array(0);

// A reusable scratch array of at least n entries: `array` itself, or a new one when it is too
// short (never on a steady-state path: the sizes stop growing after the first calls).
function atLeast(array: Uint32Array<ArrayBuffer>, n: number): Uint32Array<ArrayBuffer> {
  return array.length >= n ? array : new Uint32Array(Math.max(n, 32));
}

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
  private _callFn: (array?: Uint32Array) => void = () => this._checkOpen();
  private _callWords: Uint32Array = new Uint32Array(2);
  private _region: ArrayBuffer | null = null;
  /** @internal */ _tag = -1;
  /** @internal */ _publishedTag = -1; // _tag | State.Published, as the unsigned value a Uint32Array reads
  private _headroom = 0;
  private _cacheSize = 0;
  private _cacheHalf = 0;
  private _cacheCountIdx = 0;
  private _cacheBase = 0;
  private _allocIdx = 0;
  private _deallocIdx = 0;
  private _failedIdx = 0;
  /** @internal */ _metaBase = 0;
  private _buffersOffset = 0;
  private _bufferStride = 0;
  private _chainWord = 0;
  private _chainPerPacket = 0;
  /** @internal */ _packetCount = 0;
  private _bufferCount = 0;
  /** @internal */ _name = '';
  private _owner: unknown = null;
  private _state: 'new' | 'open' | 'released' = 'new';
  /** @internal */ _packets: (IOUserNetworkPacket | null)[] = [];
  /** @internal debug mode's state (lib/debug.ts); null for a normal pool */
  _debug: DebugState | null = null;
  private _buffers: (Buffer | null)[] = [];
  private _scratch = new Uint32Array(0);
  private _undo = new Uint32Array(0); // states to restore when a batch free is refused
  private _seen = new Uint32Array(0); // see _seenOf
  private _mark = 0;
  private _waitersWord = 0;
  private _waiting: PendingAllocation[] = [];

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

  private _open(owner: unknown, name: string, options: IOUserNetworkPacketBufferPoolOptions): void {
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

  private _bind(native: NativePool, owner: unknown, debug: boolean): void {
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
  private _warnIfHolding(): void {
    if (warnedReleaseHolding) return;
    const held = this._heldIndices(false).length;
    if (held === 0) return;
    warnedReleaseHolding = true;
    process.emitWarning(
      `pool "${this._name}" was released while this thread held ${held} packet${held === 1 ? '' : 's'} ` +
        'it never deallocated; other threads count them as orphanedPackets until reclaimPackets() returns them',
      { code: 'PBP_RELEASED_HOLDING_PACKETS' },
    );
  }

  // Indices of the packets this thread holds (all of them, or only those it handed over and
  // nobody has claimed or freed since): a scan of the state words, for the slow paths only.
  private _heldIndices(handedOverOnly: boolean): number[] {
    const u = this._u32;
    const tag = handedOverOnly ? this._publishedTag : this._tag;
    const published = this._publishedTag;
    const out: number[] = [];
    for (let i = 0, m = this._metaBase; i < this._packetCount; i++, m += Meta.Words) {
      const state = u[m];
      if (state === tag || state === published) out.push(i);
    }
    return out;
  }

  /** OSObject `free`: same as `release()`. */
  free(): void {
    this.release();
  }

  /** `using pool = ...` releases the pool at the end of the scope. */
  [Symbol.dispose](): void {
    this.release();
  }

  // ---- sizes and identity ------------------------------------------------------------------

  /** Number of buffers (DriverKit `GetBufferCount`; returns the value instead of an out-parameter). */
  GetBufferCount(): number {
    this._checkOpen();
    return this._bufferCount;
  }

  /** Number of packets (DriverKit `GetPacketCount`; returns the value instead of an out-parameter). */
  GetPacketCount(): number {
    this._checkOpen();
    return this._packetCount;
  }

  /** Number of buffers (packets' own plus chain buffers); lower-case twin of `GetBufferCount`. */
  getBufferCount(): number {
    return this.GetBufferCount();
  }

  /** Number of packets; lower-case twin of `GetPacketCount`. */
  getPacketCount(): number {
    return this.GetPacketCount();
  }

  /** Bytes per buffer. */
  getBufferSize(): number {
    this._checkOpen();
    return this._bufferSize;
  }

  /** The name given at creation. */
  getName(): string {
    this._checkOpen();
    return this._name;
  }

  /** The owner/device passed at creation (`getPoolOwnerDevice`); null for attached pools. */
  getPoolOwnerDevice(): unknown {
    this._checkOpen();
    return this._owner;
  }

  /** Free packets: in the shared ring plus in every thread's cache. */
  getFreePacketCount(): number {
    this._checkOpen();
    return this._native!.freePacketCount();
  }

  /** Counters of the whole pool (every thread and process attached to it). */
  getStatistics(): IOUserNetworkPacketBufferPoolStatistics {
    this._checkOpen();
    return this._native!.stats();
  }

  // ---- allocation (hot path) ---------------------------------------------------------------

  /**
   * Takes a free packet (`allocatePacket`), or returns null when the pool is empty. The packet
   * comes with data offset = headroom, length 0, direction None, no timestamp, one buffer.
   * `options` (IOOptionBits, e.g. kIOUserNetworkNonBlocking: a uint32, else kIOReturnBadArgument)
   * is accepted; allocation never blocks.
   */
  allocatePacket(options?: number): IOUserNetworkPacket | null {
    if (options !== undefined && (typeof options !== 'number' || options >>> 0 !== options)) this._badOptionBits(options);
    const u = this._u32;
    const cc = this._cacheCountIdx;
    const n = u[cc] - 1;
    const index = u[this._cacheBase + n];
    // Anything unusual takes the slow path before the first write: an empty cache (n is -1, so
    // n >>> 0 is huge), no cache, a count or an entry scribbled out of range through the region.
    if (!((n >>> 0) < this._cacheSize && index < this._packetCount)) return this._allocateSlow();
    // Held before it leaves the cache: a thread stopped between the two stores leaves a packet
    // that is held and still counted, which the core's reclaim sorts out (Pool::adoptCache);
    // the other order would lose it.
    this._initPacket(u, index);
    u[cc] = n;
    this._f64[this._allocIdx] += 1;
    return this._packetAt(index);
  }

  /**
   * Gives a packet back (`deallocatePacket`), with any chained buffers. Throws
   * kIOReturnBadArgument for something that is not a packet of this pool and
   * kIOReturnNotPermitted for a packet that is not allocated (double free); the pool is unchanged.
   */
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
    if (!this._holdUnpublished(u, m)) return this._deallocateSlow(packet);
    const cc = this._cacheCountIdx;
    let n = u[cc];
    if (n >= this._cacheSize) n = this._cacheCall(OP_FLUSH, this._cacheHalf);
    // In the cache before it is marked free: a thread stopped between these stores leaves a
    // packet that is still held, and counted or not; the core's reclaim frees it once.
    u[this._cacheBase + n] = index;
    u[cc] = n + 1;
    u[m] = 0;
    this._f64[this._deallocIdx] += 1;
  }

  /**
   * Resolves with a packet as soon as one is free, including one freed by another thread or
   * process; never polls the event loop (a native thread sleeps on the pool's futex). Rejects with
   * kIOReturnAborted when `signal` aborts or the pool is released meanwhile. Waiters are served
   * in order.
   */
  allocatePacketAsync(options?: AllocatePacketAsyncOptions): Promise<IOUserNetworkPacket> {
    try {
      this._checkOpen();
      const o = checkOptionalObject(options, 'options');
      if (o !== undefined) checkKnownKeys(o, ASYNC_OPTION_KEYS, 'options');
      const signal = o?.signal as AbortSignal | undefined;
      if (signal !== undefined && (signal === null || typeof signal.aborted !== 'boolean')) {
        fail(kIOReturnBadArgument, `signal must be an AbortSignal, got ${describe(signal)}`);
      }
      if (o?.ref !== undefined && typeof o.ref !== 'boolean') {
        fail(kIOReturnBadArgument, `ref must be a boolean, got ${describe(o.ref)}`);
      }
      if (signal?.aborted) fail(kIOReturnAborted, 'allocatePacketAsync was aborted before it started');
      const packet = this._waiting.length === 0 ? this._allocateUncounted() : null;
      if (packet !== null) return Promise.resolve(packet);
      return new Promise((resolve, reject) => {
        const pending: PendingAllocation = { resolve, reject, signal, onAbort: undefined, ref: o?.ref !== false };
        if (signal) {
          pending.onAbort = () => this._abortWaiting(pending);
          signal.addEventListener('abort', pending.onAbort, { once: true });
        }
        this._waiting.push(pending);
        this._wait();
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  // Called by the native waiter when the shared ring has free packets.
  private readonly _onPacketFreed = (): void => {
    if (this._state !== 'open') return;
    try {
      while (this._waiting.length > 0) {
        const packet = this._allocateUncounted();
        if (packet === null) break;
        const pending = this._waiting.shift()!;
        if (pending.onAbort) pending.signal!.removeEventListener('abort', pending.onAbort);
        pending.resolve(packet);
      }
      if (this._waiting.length > 0) this._wait();
    } catch (err) {
      // The pool broke under the wait (kIOReturnIOError: its shared state is corrupt): every
      // waiter learns it, instead of the error escaping this callback and waiting forever.
      this._rejectWaiting(err instanceof Error ? err.message : String(err), err);
      if (this._native !== null) this._native.stopWaiting();
    }
  };

  // (Re)arms the native waiter; it keeps the process alive while any pending wait wants that.
  private _wait(): void {
    this._native!.waitForPacket(this._onPacketFreed, this._waiting.some((p) => p.ref));
  }

  // allocatePacket for allocatePacketAsync's own attempts: a request that waits is not a failed
  // allocation, however many times it looks before a packet comes.
  private _allocateUncounted(): IOUserNetworkPacket | null {
    const failed = this._f64[this._failedIdx];
    const packet = this.allocatePacket();
    if (packet === null) this._f64[this._failedIdx] = failed;
    return packet;
  }

  private _abortWaiting(pending: PendingAllocation): void {
    const at = this._waiting.indexOf(pending);
    if (at < 0) return;
    this._waiting.splice(at, 1);
    if (this._native !== null) {
      if (this._waiting.length === 0) this._native!.stopWaiting();
      else this._wait(); // the aborted wait may have been the one keeping the process alive
    }
    pending.reject(new IOReturnError(kIOReturnAborted, 'allocatePacketAsync was aborted'));
  }

  private _rejectWaiting(message: string, cause?: unknown): void {
    const waiting = this._waiting;
    this._waiting = [];
    for (const pending of waiting) {
      if (pending.onAbort) pending.signal!.removeEventListener('abort', pending.onAbort);
      pending.reject(cause instanceof IOReturnError ? cause : new IOReturnError(kIOReturnAborted, message));
    }
  }

  /** @deprecated Upstream deprecated; use `deallocatePacket`. */
  DeallocatePacket(packet: IOUserNetworkPacket): void {
    this.deallocatePacket(packet);
  }

  /**
   * Takes up to `count` packets at once (one native call); the array is shorter when the pool
   * runs low. Pass `out` to reuse an array.
   */
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
  }

  /**
   * Gives back `count` (default all) packets at once: either an array of packets or a
   * Uint32Array of packet indices. All or nothing: if any entry is invalid, nothing is freed and
   * the error names the entry.
   */
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
  }

  /** @deprecated Upstream deprecated; use `deallocatePackets`. */
  DeallocatePackets(packets: readonly IOUserNetworkPacket[] | Uint32Array, count?: number): void {
    this.deallocatePackets(packets, count);
  }

  /**
   * Fills `out` with indices of newly allocated packets; returns how many (fewer when the pool
   * runs low). Served from this thread's cache, with at most one native call per refill. The
   * packets are this thread's until it hands them over with `publishPacketIndices`.
   */
  allocatePacketIndices(out: Uint32Array): number {
    this._checkOpen();
    if (!isUint32Array(out)) {
      fail(kIOReturnBadArgument, `out must be a Uint32Array, got ${describe(out)}`);
    }
    return this._allocateIndices(out, lengthOf(out));
  }

  /**
   * Deallocates `count` packets given by index, all or nothing: this thread's own (from its cache
   * when they fit, no native call) or ones another thread handed over (`publishPacketIndices`,
   * `packet.handOver()`).
   */
  deallocatePacketIndices(indices: Uint32Array, count?: number): void {
    this._checkOpen();
    if (!isUint32Array(indices)) {
      fail(kIOReturnBadArgument, `indices must be a Uint32Array, got ${describe(indices)}`);
    }
    this._deallocateIndices(indices, this._countOf(count, lengthOf(indices)));
  }

  /**
   * Hands `count` (default all) packets this thread holds over to other threads, by index: from
   * now on another thread may take them over (`newPacket`) or free them (`deallocatePacketIndices`),
   * which it is refused (kIOReturnNotPermitted) for a packet that was never handed over. What
   * `packet.handOver()` does for one packet object; no native call. All or nothing:
   * kIOReturnBadArgument for an index out of range, kIOReturnNotPermitted for a packet this thread
   * does not hold, and then nothing is published.
   */
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
        fail(kIOReturnBadArgument, `indices[${i}]: packet index ${index} is out of range (packetCount ${this._packetCount})`);
      }
      const state = u[this._metaBase + index * Meta.Words];
      if (state !== this._tag && state !== this._publishedTag) {
        fail(kIOReturnNotPermitted, `indices[${i}]: packet ${index} is not held by this thread`);
      }
    }
    for (let i = 0; i < n; i++) this._handOver(this._metaBase + snapshot[i] * Meta.Words, snapshot[i]);
  }

  /**
   * The packet object of a slot (`newPacket`). The packet must be allocated; if another thread
   * holds it, ownership moves to this thread (the sender must not touch it afterwards).
   * kIOReturnBadArgument for a bad index, kIOReturnNotPermitted for a free packet.
   */
  newPacket(descriptor: IOUserNetworkPacketDescriptor): IOUserNetworkPacket {
    this._checkOpen();
    const index = descriptor !== null && typeof descriptor === 'object' ? descriptor.fPacketIndex : undefined;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= this._packetCount) {
      fail(kIOReturnBadArgument, `fPacketIndex must be an integer in 0..${this._packetCount - 1}, got ${describe(index)}`);
    }
    const state = this._u32[this._metaBase + index * Meta.Words];
    if (state !== this._tag && state !== this._publishedTag) this._native!.claimPacket(index);
    return this._packetAt(index);
  }

  /** Returns this thread's cached free packets to the shared ring. */
  flush(): void {
    this._checkOpen();
    this._call(OP_FLUSH, 0);
  }

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
  }

  /**
   * Takes back every packet this thread handed over (`handOver`, `publishPacketIndices`) that no
   * thread has claimed or freed since, and deallocates them; returns how many. For when the
   * thread they went to died before taking them: such packets are still charged to this thread
   * (`reclaimPackets` cannot see them). Call it only when no live thread still holds one of those
   * indices, since it frees them under that thread's feet.
   */
  reclaimHandedOverPackets(): number {
    this._checkOpen();
    const indices = Uint32Array.from(this._heldIndices(true));
    if (indices.length > 0) this._deallocateIndices(indices, indices.length);
    return indices.length;
  }

  /** A structured-clone-able handle for `IOUserNetworkPacketBufferPool.attach`. */
  createHandle(): IOUserNetworkPacketBufferPoolHandle {
    this._checkOpen();
    const handle: IOUserNetworkPacketBufferPoolHandle = this._native!.createHandle();
    if (this._debug !== null) handle.debug = true;
    return handle;
  }

  /** Whether this pool object runs in debug mode (the `debug` option or PACKET_BUFFER_POOL_DEBUG). */
  isDebug(): boolean {
    this._checkOpen();
    return this._debug !== null;
  }

  /**
   * The leak report: every packet held by anyone, with its owner (this thread or another, and the
   * owner's slot tag) and whether it was handed over; in debug mode, this thread's packets also
   * carry their age and the stack of their allocation, oldest first. Check for leaks with
   * `getStatistics()` (allocations == deallocations + reclaimed + inUse) and find them here.
   */
  getInUsePackets(): IOUserNetworkPacketInUse[] {
    this._checkOpen();
    return inUsePackets(this);
  }

  /** @internal word index of a packet's metadata record */
  _metaWordOf(index: number): number {
    return this._metaBase + index * Meta.Words;
  }

  /** @internal whether a state word is this thread's (published or not) */
  _isOwnTag(state: number): boolean {
    return state === this._tag || state === this._publishedTag;
  }

  /**
   * A retained descriptor of the pool's whole memory (`CopyMemoryDescriptor`). It keeps the memory
   * mapped until it is released, even after the pool is.
   */
  CopyMemoryDescriptor(): IOMemoryDescriptor {
    this._checkOpen();
    return new IOMemoryDescriptor(this._native!.copyMemoryDescriptor());
  }

  // ---- internals used by IOUserNetworkPacket -----------------------------------------------

  /** @internal */
  _bufferOffset(bufferIndex: number): number {
    return this._buffersOffset + bufferIndex * this._bufferStride;
  }

  /** @internal Buffer over buffer `bufferIndex`, made once. */
  _bufferView(bufferIndex: number): Buffer {
    const cached = this._buffers[bufferIndex];
    if (cached) return cached;
    if (this._region === null) return Buffer.alloc(0);
    const view = Buffer.from(this._region, this._bufferOffset(bufferIndex), this._bufferSize);
    this._buffers[bufferIndex] = view;
    return view;
  }

  /** @internal Buffer index of chain entry `i` of a packet. */
  _chainEntry(packetIndex: number, i: number): number {
    return this._u32[this._chainWord + packetIndex * this._chainPerPacket + i];
  }

  /** @internal Throws the right error for an accessor on a packet that is not held. */
  _notHeld(packet: IOUserNetworkPacket): never {
    this._checkOpen();
    return fail(kIOReturnNotPermitted, `packet ${packet._index} is not allocated`);
  }

  // ---- slow paths --------------------------------------------------------------------------

  // One native call: the operation and its number go in through the argument words, the result
  // comes back in the second (0 for operations without one).
  private _call(op: number, arg: number, array?: Uint32Array): number {
    const w = this._callWords;
    w[0] = op;
    w[1] = arg;
    this._callFn(array);
    return w[1];
  }

  private _checkOpen(): void {
    if (this._state === 'open') return;
    if (this._state === 'new') fail(kIOReturnNotReady, 'the pool is not initialised');
    fail(kIOReturnNotAttached, `pool "${this._name}" has been released`);
  }

  private _badOptionBits(options: unknown): never {
    this._checkOpen();
    return fail(kIOReturnBadArgument, `options must be IOOptionBits (an integer in 0..4294967295), got ${describe(options)}`);
  }

  // A native refill or flush whose answer (the new cache count) the caller stores on. The call
  // clears the operation word when it runs; in a worker being terminated, Node-API may not run it
  // at all, and storing the stale answer word as the count would drop the cache's packets, so
  // the thread stops here instead.
  private _cacheCall(op: number, arg: number): number {
    const n = this._call(op, arg);
    if (this._callWords[0] !== 0) fail(kIOReturnAborted, 'the native call did not run (is the thread being terminated?)');
    return n;
  }

  private _refill(): number {
    this._checkOpen();
    const n: number = this._call(OP_REFILL, 0);
    if (n === 0) this._f64[this._failedIdx] += 1;
    return n;
  }

  // allocatePacket when the top of the cache is not a packet to hand out: refills an empty cache
  // (or, with cacheSize 0, lets the core take one packet straight from the ring), and drops
  // entries a scribbled region made out of range (the core clamps a count beyond the cache).
  private _allocateSlow(): IOUserNetworkPacket | null {
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
      this._initPacket(u, index);
      u[cc] = n - 1;
      this._f64[this._allocIdx] += 1;
      return this._packetAt(index);
    }
  }

  private _deallocateSlow(packet: IOUserNetworkPacket): void {
    this._checkOpen();
    // The core checks ownership (0 = double free), takes it over atomically from another thread
    // if needed, returns chained buffers, and puts the index in our cache or the ring.
    this._call(OP_DEALLOC_ONE, packet._index);
  }

  private _foreign(packet: unknown): never {
    this._checkOpen();
    // Explains the refusal without running a caller's Proxy traps (getPrototypeOf, get).
    if (types.isProxy(packet)) fail(kIOReturnBadArgument, 'expected an IOUserNetworkPacket of this pool, got a Proxy');
    if (packet instanceof IOUserNetworkPacket) {
      const owner = packet._pool;
      const fromOtherPool = owner instanceof IOUserNetworkPacketBufferPool && owner !== this;
      if (fromOtherPool && owner._packets[packet._index] === packet) {
        fail(kIOReturnBadArgument, `packet ${packet._index} belongs to another pool ("${owner._name}")`);
      }
      fail(kIOReturnBadArgument, 'this IOUserNetworkPacket was not made by this pool (packets come from allocatePacket or newPacket)');
    }
    return fail(kIOReturnBadArgument, `expected an IOUserNetworkPacket of this pool, got ${describe(packet)}`);
  }

  // Batch allocation from this thread's cache, refilled from the ring in half-cache steps: the
  // same work as allocatePacket per packet (in the same order: held, then uncounted), without the
  // packet objects.
  private _allocateIndices(out: Uint32Array, want: number): number {
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
      this._initPacket(u, index);
    }
    u[cc] = n;
    this._f64[this._allocIdx] += got;
    if (got < want) this._f64[this._failedIdx] += want - got;
    return got;
  }

  // Batch deallocation into this thread's cache. Each caller entry is read once, into a snapshot
  // (another thread may rewrite a shared array meanwhile). Anything unusual (an index that is
  // not ours, out of range, listed twice, chained buffers, a waiter, no cache) undoes what was
  // done and hands the snapshot to the core, which frees all or nothing and names the bad entry.
  private _deallocateIndices(indices: Uint32Array, count: number): void {
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
      if (!this._holdUnpublished(u, m)) break;
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
    for (let j = 0; j < count; ) {
      if (n >= this._cacheSize) n = this._cacheCall(OP_FLUSH, this._cacheHalf);
      const end = count - j < this._cacheSize - n ? count : j + this._cacheSize - n;
      for (let k = j; k < end; k++) u[base + n + k - j] = snapshot[k];
      n += end - j;
      u[cc] = n;
      for (; j < end; j++) u[metaBase + snapshot[j] * Meta.Words] = 0;
    }
    this._f64[this._deallocIdx] += count;
  }

  // Marks a packet taken from this thread's cache as ours and gives it fresh metadata: the same
  // words as the core's Pool::initPacket. Clearing the flags word is enough for the optional
  // fields (timestamp, VLAN, checksum, service class, completion status, trace id): each reads as
  // 0 / absent unless its flag is set.
  private _initPacket(u: Uint32Array, index: number): void {
    const m = this._metaBase + index * Meta.Words;
    const h = this._headroom;
    u[m + Meta.State] = this._tag;
    u[m + Meta.DataOffset] = h;
    u[m + Meta.DataLength] = 0;
    u[m + Meta.Headroom] = h;
    u[m + Meta.LinkHeaderLength] = 0;
    u[m + Meta.Direction] = 0;
    u[m + Meta.Flags] = 0;
  }

  // Makes sure this thread holds the packet whose state word is u[m] unpublished, so that
  // nobody else may write the word and it can be freed with plain stores in an interruption-safe
  // order; false, changing nothing, if it is not ours (free, another thread's, or taken first by
  // the thread it was handed to). Published: that thread may free or claim it at this very
  // moment, so taking it back is a CAS.
  private _holdUnpublished(u: Uint32Array, m: number): boolean {
    const state = u[m];
    if (state === this._tag) return true;
    const published = this._publishedTag;
    return state === published && Atomics.compareExchange(u, m, published, this._tag) === published;
  }

  /** @internal handOver(): marks a packet this thread holds as handed out (State.Published). */
  _handOver(m: number, index: number): void {
    const u = this._u32;
    const state = u[m];
    // Plain store: only the owner writes the state of an unpublished packet. The receiving thread
    // learns the index through some release/acquire of the caller's (postMessage, Atomics), which
    // orders this store before its CAS.
    if (state === this._tag) u[m] = this._publishedTag;
    else if (state !== this._publishedTag) fail(kIOReturnNotPermitted, `packet ${index} is not held by this thread`);
  }

  /** @internal This thread's packet object for a slot, made on first use and reused ever after. */
  _packetAt(index: number): IOUserNetworkPacket {
    return this._packets[index] ?? this._makePacket(index);
  }

  private _makePacket(index: number): IOUserNetworkPacket {
    if (!(index < this._packetCount)) {
      fail(kIOReturnNotPermitted, `the pool's free list holds an invalid index ${index}; was its memory overwritten?`);
    }
    const packet = mintPacket(this, index, this._metaBase + index * Meta.Words);
    this._packets[index] = packet;
    return packet;
  }

  // Marks of the batch free's duplicate check: entry p is in the current batch when
  // seen[p] === the batch's mark. Made on first use (4 bytes per packet, per thread).
  private _seenOf(): Uint32Array {
    if (this._seen.length !== this._packetCount) this._seen = new Uint32Array(this._packetCount);
    return this._seen;
  }

  private _nextMark(): number {
    if (this._mark === 0xffffffff) {
      this._seen.fill(0);
      this._mark = 0;
    }
    return ++this._mark;
  }

  private _undoOf(n: number): Uint32Array {
    return (this._undo = atLeast(this._undo, n));
  }

  private _scratchOf(n: number): Uint32Array {
    return (this._scratch = atLeast(this._scratch, n));
  }

  private _countOf(count: number | undefined, length: number): number {
    if (count === undefined) return length;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > length) {
      fail(kIOReturnBadArgument, `count must be an integer in 0..${length}, got ${describe(count)}`);
    }
    return count;
  }
}

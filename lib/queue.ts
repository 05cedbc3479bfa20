/**
 * DriverKit's packet queues (`IOUserNetworkTxSubmissionQueue`, `IOUserNetworkTxCompletionQueue`,
 * `IOUserNetworkRxSubmissionQueue`, `IOUserNetworkRxCompletionQueue`): bounded single-producer /
 * single-consumer rings of packet indices inside the pool's region, so the two ends may be in
 * different threads or processes attached to the pool.
 *
 * Enqueue hands a packet over (the producer must not touch it afterwards); dequeue takes
 * ownership. Both run here over the region's typed arrays with the protocol of
 * native/core/packet_queue.h (its header explains each step): no native call and no allocation per
 * packet. The native side is called once per queue object (create/open, binding an end to this
 * thread), to wake a sleeping consumer, and to wait.
 */
import { binding, type NativeQueueDescription, type NativeQueueWatcher } from './native';
import { IOUserNetworkPacketDirection } from './enums';
import {
  describe,
  fail,
  IOReturnError,
  kIOReturnAborted,
  kIOReturnBadArgument,
  kIOReturnIOError,
  kIOReturnNoSpace,
  kIOReturnNotAttached,
  kIOReturnNotPermitted,
} from './io-return';
import { Meta, QueueWord, State } from './layout';
import { IOUserNetworkPacket } from './packet';
import { IOUserNetworkPacketBufferPool } from './pool';
import { isUint32Array } from './typed-array';

/** Which of the four DriverKit queues a queue is (the values the region stores). */
export enum IOUserNetworkPacketQueueKind {
  /** `IOUserNetworkTxSubmissionQueue`: filled packets to transmit. */
  TxSubmission = 1,
  /** `IOUserNetworkTxCompletionQueue`: packets sent. */
  TxCompletion = 2,
  /** `IOUserNetworkRxSubmissionQueue`: empty packets to receive into. */
  RxSubmission = 3,
  /** `IOUserNetworkRxCompletionQueue`: packets with received data. */
  RxCompletion = 4,
}

/** Options of `waitForPackets`. */
export interface WaitForPacketsOptions {
  /** Aborting rejects the promise with kIOReturnAborted. */
  signal?: AbortSignal;
  /** Milliseconds; the promise then resolves `false` if the queue is still empty. */
  timeout?: number;
  /** Don't keep the process alive while waiting (like `timer.unref()`). */
  unref?: boolean;
}

interface PendingWait {
  resolve(ready: boolean): void;
  reject(error: Error): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  unref: boolean;
}



const MAX_WAIT_MS = 0x7fffffff;

/**
 * A packet queue of a pool (DriverKit `IOUserNetworkPacketQueue`). Create one end with the
 * subclass's `Create`; any other thread or process attached to the pool gets its own object for
 * the same queue with `Open(pool, queueId)`. One thread enqueues and one dequeues at a time: the
 * first enqueue (dequeue) binds the producer (consumer) end to the calling thread until `close()`
 * or the thread's exit; another thread that tries meanwhile gets kIOReturnExclusiveAccess.
 */
export class IOUserNetworkPacketQueue {
  private readonly _pool: IOUserNetworkPacketBufferPool;
  private readonly _owner: unknown;
  private readonly _id: number;
  private readonly _kind: IOUserNetworkPacketQueueKind;
  private readonly _capacity: number;
  private readonly _mask: number;
  private readonly _head: number;
  private readonly _pending: number;
  private readonly _tail: number;
  private readonly _entries: number;
  private readonly _waitersWord: number;
  private readonly _seqWord: number;
  private _tailSeen = 0; // producer: the consumer's tail as last read (never ahead of the real one)
  private _headSeen = 0; // consumer: the producer's head as last read
  private _producer = false;
  private _consumer = false;
  private _closed = false;
  private _watcher: NativeQueueWatcher | null = null;
  private _waiting: PendingWait[] = [];
  private _action: ((queue: this) => void) | null = null;

  /** @internal Queues come from `Create` / `Open`. */
  protected constructor(pool: IOUserNetworkPacketBufferPool, owner: unknown, d: NativeQueueDescription) {
    this._pool = pool;
    this._owner = owner;
    this._id = d.queueId;
    this._kind = d.kind;
    this._capacity = d.capacity;
    this._mask = d.capacity - 1;
    this._head = d.word + QueueWord.Head;
    this._pending = d.word + QueueWord.Pending;
    this._tail = d.word + QueueWord.Tail;
    this._entries = d.word + QueueWord.Entries;
    this._waitersWord = d.word + QueueWord.ConsumerWaiters;
    this._seqWord = d.word + QueueWord.DataSeq;
  }

  /** @internal */
  protected static _create(
    kind: IOUserNetworkPacketQueueKind,
    pool: IOUserNetworkPacketBufferPool,
    capacity: number,
    queueId: number,
  ): NativeQueueDescription {
    if (!(pool instanceof IOUserNetworkPacketBufferPool)) {
      fail(kIOReturnBadArgument, `pool must be an IOUserNetworkPacketBufferPool, got ${describe(pool)}`);
    }
    pool.getName(); // throws kIOReturnNotAttached after release
    return binding.queueCreate(pool._native!, kind, queueId, capacity);
  }

  /** @internal */
  protected static _open(
    kind: IOUserNetworkPacketQueueKind,
    pool: IOUserNetworkPacketBufferPool,
    queueId: number,
  ): NativeQueueDescription {
    if (!(pool instanceof IOUserNetworkPacketBufferPool)) {
      fail(kIOReturnBadArgument, `pool must be an IOUserNetworkPacketBufferPool, got ${describe(pool)}`);
    }
    pool.getName();
    const d: NativeQueueDescription = binding.queueOpen(pool._native!, queueId);
    if (d.kind !== kind) {
      fail(
        kIOReturnBadArgument,
        `queue ${queueId} is a ${IOUserNetworkPacketQueueKind[d.kind]} queue, not ${IOUserNetworkPacketQueueKind[kind]}`,
      );
    }
    return d;
  }

  // ---- identity ----------------------------------------------------------------------------

  /** The queue's id in the pool (0..maxQueues-1). */
  getQueueId(): number {
    return this._id;
  }

  /** Which of the four queues this is. */
  getKind(): IOUserNetworkPacketQueueKind {
    return this._kind;
  }

  /** Tx for the transmit queues, Rx for the receive queues. */
  getDirection(): IOUserNetworkPacketDirection {
    return this._kind <= IOUserNetworkPacketQueueKind.TxCompletion
      ? IOUserNetworkPacketDirection.Tx
      : IOUserNetworkPacketDirection.Rx;
  }

  /** Entries the queue can hold (the requested capacity rounded up to a power of two). */
  getCapacity(): number {
    return this._capacity;
  }

  /** The pool the queue lives in. */
  getPacketBufferPool(): IOUserNetworkPacketBufferPool {
    return this._pool;
  }

  /** The owner passed to `Create` (null for `Open`). */
  getOwner(): unknown {
    return this._owner;
  }

  /** Packets in the queue now (in flight between its two ends). */
  getCount(): number {
    const u = this._view();
    const n = (Atomics.load(u, this._head) - Atomics.load(u, this._tail)) >>> 0;
    return n > this._capacity ? this._capacity : n;
  }

  /** Entries the consumer refused because they did not name a queued packet (a scribbling peer). */
  getBadEntryCount(): number {
    return Atomics.load(this._view(), this._head - QueueWord.Head + QueueWord.BadEntries);
  }

  // ---- producer ----------------------------------------------------------------------------

  /**
   * Hands one packet this thread holds to the queue (`EnqueuePacket`). kIOReturnNoSpace when the
   * queue is full, kIOReturnNotPermitted for a packet this thread does not hold,
   * kIOReturnBadArgument for something that is not a packet of this pool.
   */
  EnqueuePacket(packet: IOUserNetworkPacket): void {
    const u = this._producerView();
    if (!(packet instanceof IOUserNetworkPacket) || packet._pool !== this._pool) this._notOurs(packet, 'packet');
    const head = u[this._head];
    if (this._spaceFor(u, head, 1) === 0) this._full(this._capacity);
    const ok = this._put(u, head, packet._index, packet._m);
    this._finish(u, head, ok ? 1 : 0);
    if (!ok) this._notHeld(packet._index, 'packet');
  }

  /**
   * Hands `count` (default all) packets to the queue (`EnqueuePackets`), in order; returns how many
   * were taken from the front: fewer when the queue fills up, or when an entry cannot be enqueued
   * (not held by this thread, listed twice), which is then reported with an error if it is the
   * first.
   */
  EnqueuePackets(packets: readonly IOUserNetworkPacket[], count?: number): number {
    const u = this._producerView();
    if (!Array.isArray(packets)) fail(kIOReturnBadArgument, `packets must be an array, got ${describe(packets)}`);
    const n = this._countOf(count, packets.length);
    const head = u[this._head];
    const take = this._spaceFor(u, head, n);
    const pool = this._pool;
    let done = 0;
    for (; done < take; done++) {
      const p = packets[done];
      if (!(p instanceof IOUserNetworkPacket) || p._pool !== pool) {
        if (done === 0) this._notOurs(p, 'packets[0]');
        break;
      }
      if (!this._put(u, head + done, p._index, p._m)) {
        if (done === 0) {
          this._finish(u, head, 0);
          this._notHeld(p._index, 'packets[0]');
        }
        break;
      }
    }
    return this._finish(u, head, done);
  }

  /** `enqueuePackets(packets, count, options)` of newer DriverKit: all or an error. */
  enqueuePackets(packets: readonly IOUserNetworkPacket[], count?: number, options?: number): void {
    void options;
    const n = this._countOf(count, Array.isArray(packets) ? packets.length : 0);
    if (n > this._capacity - this.getCount()) this._full(this.getCount());
    const done = this.EnqueuePackets(packets, n);
    if (done < n) fail(kIOReturnNotPermitted, `packets[${done}] could not be enqueued; the first ${done} were`);
  }

  /**
   * The index form of `EnqueuePackets`: hands the packets named in `indices` (held by this
   * thread) to the queue. Each entry is read once. Returns how many were taken from the front, as
   * `EnqueuePackets`.
   */
  enqueuePacketIndices(indices: Uint32Array, count?: number): number {
    const u = this._producerView();
    if (!isUint32Array(indices)) fail(kIOReturnBadArgument, `indices must be a Uint32Array, got ${describe(indices)}`);
    const n = this._countOf(count, indices.length);
    const head = u[this._head];
    const take = this._spaceFor(u, head, n);
    const pool = this._pool;
    const packetCount = pool._packetCount;
    const metaBase = pool._metaBase;
    let done = 0;
    for (; done < take; done++) {
      // Read once: the ring entry _put writes is our own copy of the index from here on; the
      // consumer never reads the caller's array.
      const index = indices[done];
      if (!(index < packetCount)) {
        if (done === 0) {
          fail(kIOReturnBadArgument, `indices[0]: packet index ${index} is out of range (packetCount ${packetCount})`);
        }
        break;
      }
      if (!this._put(u, head + done, index, metaBase + index * Meta.Words)) {
        if (done === 0) {
          this._finish(u, head, 0);
          this._notHeld(index, 'indices[0]');
        }
        break;
      }
    }
    return this._finish(u, head, done);
  }

  // ---- consumer ----------------------------------------------------------------------------

  /** Takes the oldest packet (`DequeuePacket`), now held by this thread; null when empty. */
  DequeuePacket(): IOUserNetworkPacket | null {
    const u = this._consumerView();
    const pool = this._pool;
    for (;;) {
      const tail = u[this._tail];
      if (this._available(u, tail, 1) === 0) return null;
      const index = u[this._entries + (tail & this._mask)];
      Atomics.store(u, this._tail, (tail + 1) >>> 0);
      if (this._take(u, index, pool._packetCount, pool._metaBase, pool._tag)) return pool._packetAt(index);
    }
  }

  /** Takes up to `max` (default: the capacity) packets into `out[0..]`; returns how many. */
  DequeuePackets(out: IOUserNetworkPacket[], max?: number): number {
    const u = this._consumerView();
    if (!Array.isArray(out)) fail(kIOReturnBadArgument, `out must be an array, got ${describe(out)}`);
    const want = max === undefined ? this._capacity : this._countOf(max, 0xffffffff);
    const pool = this._pool;
    const packetCount = pool._packetCount;
    const metaBase = pool._metaBase;
    const tag = pool._tag;
    const tail = u[this._tail];
    const take = this._available(u, tail, want);
    let got = 0;
    for (let i = 0; i < take; i++) {
      const index = u[this._entries + ((tail + i) & this._mask)];
      if (this._take(u, index, packetCount, metaBase, tag)) out[got++] = pool._packetAt(index);
    }
    if (take > 0) this._consumed(u, tail, take);
    return got;
  }

  /**
   * The index form of `DequeuePackets`: fills `out` with up to `max` (default out.length) indices
   * of packets now held by this thread; returns how many.
   */
  dequeuePacketIndices(out: Uint32Array, max?: number): number {
    const u = this._consumerView();
    if (!isUint32Array(out)) fail(kIOReturnBadArgument, `out must be a Uint32Array, got ${describe(out)}`);
    const want = this._countOf(max, out.length);
    const pool = this._pool;
    const packetCount = pool._packetCount;
    const metaBase = pool._metaBase;
    const tag = pool._tag;
    const tail = u[this._tail];
    const take = this._available(u, tail, want);
    let got = 0;
    for (let i = 0; i < take; i++) {
      const index = u[this._entries + ((tail + i) & this._mask)];
      if (this._take(u, index, packetCount, metaBase, tag)) out[got++] = index;
    }
    if (take > 0) this._consumed(u, tail, take);
    return got;
  }

  // ---- waiting -----------------------------------------------------------------------------

  /**
   * Resolves `true` as soon as the queue holds packets (enqueued by any thread or process),
   * without polling: a native thread sleeps on the queue's futex word. Resolves `false` after
   * `timeout` ms; rejects with kIOReturnAborted when `signal` aborts or the queue is closed.
   * Works on any thread.
   */
  waitForPackets(options?: WaitForPacketsOptions): Promise<boolean> {
    try {
      this._checkOpen();
      const signal = options?.signal;
      if (signal !== undefined && (signal === null || typeof signal.aborted !== 'boolean')) {
        fail(kIOReturnBadArgument, `signal must be an AbortSignal, got ${describe(signal)}`);
      }
      const timeout = options?.timeout;
      if (timeout !== undefined && !(typeof timeout === 'number' && timeout >= 0 && timeout <= MAX_WAIT_MS)) {
        fail(kIOReturnBadArgument, `timeout must be a number of ms in 0..${MAX_WAIT_MS}, got ${describe(timeout)}`);
      }
      if (signal?.aborted) fail(kIOReturnAborted, 'waitForPackets was aborted before it started');
      if (this.getCount() > 0) return Promise.resolve(true);
      if (timeout === 0) return Promise.resolve(false);
      return new Promise<boolean>((resolve, reject) => {
        const pending: PendingWait = {
          resolve,
          reject,
          signal,
          onAbort: undefined,
          timer: undefined,
          unref: options?.unref === true,
        };
        if (signal) {
          pending.onAbort = () => this._settle(pending, new IOReturnError(kIOReturnAborted, 'waitForPackets was aborted'));
          signal.addEventListener('abort', pending.onAbort, { once: true });
        }
        if (timeout !== undefined) {
          pending.timer = setTimeout(() => this._settle(pending, false), timeout);
          if (pending.unref) pending.timer.unref();
        }
        this._waiting.push(pending);
        this._watch();
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Blocks the calling thread until the queue holds packets or `timeoutMs` passes; true when it
   * does. For worker threads' busy loops (on the main thread it blocks the event loop).
   */
  waitForPacketsSync(timeoutMs: number): boolean {
    this._checkOpen();
    if (!(typeof timeoutMs === 'number' && Number.isInteger(timeoutMs) && timeoutMs >= 0 && timeoutMs <= MAX_WAIT_MS)) {
      fail(kIOReturnBadArgument, `timeoutMs must be an integer in 0..${MAX_WAIT_MS}, got ${describe(timeoutMs)}`);
    }
    return binding.queueWaitSync(this._pool._native!, this._id, timeoutMs);
  }

  /**
   * DriverKit's dequeue action: `action(queue)` runs on this thread's event loop whenever the
   * queue holds packets (it should dequeue them), until it is set to null. `unref: true` lets the
   * process exit while it is set.
   */
  setDequeueAction(action: ((queue: this) => void) | null, options?: { unref?: boolean }): void {
    this._checkOpen();
    if (action !== null && typeof action !== 'function') {
      fail(kIOReturnBadArgument, `action must be a function or null, got ${describe(action)}`);
    }
    this._action = action;
    if (action !== null) {
      this._watch();
      if (options?.unref) this._watcher!.unref();
      else this._watcher!.ref();
    } else if (this._waiting.length === 0 && this._watcher !== null) {
      this._watcher.stop();
      this._watcher = null;
    }
  }

  // ---- life cycle --------------------------------------------------------------------------

  /**
   * This thread is done with the queue: waits in progress reject with kIOReturnAborted, the
   * dequeue action stops, and the ends this object bound are free for other threads. The queue
   * itself (and the packets in it) stays for the other end. Idempotent.
   */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    this._action = null;
    const waiting = this._waiting;
    this._waiting = [];
    for (const w of waiting) this._settle(w, new IOReturnError(kIOReturnAborted, `queue ${this._id} was closed`), true);
    if (this._watcher !== null) {
      this._watcher.stop();
      this._watcher = null;
    }
    if (this._pool.init() && this._pool._native !== null) {
      if (this._producer) binding.queueReleaseEnd(this._pool._native!, this._id, true);
      if (this._consumer) binding.queueReleaseEnd(this._pool._native!, this._id, false);
    }
  }

  /**
   * Removes the queue from the pool (its id may be created again) and returns the packets still
   * in it to the pool; returns how many. Both ends should be done with it. Closes this object.
   */
  destroy(): number {
    this._checkOpen();
    this.close();
    return binding.queueDestroy(this._pool._native!, this._id);
  }

  /** `using queue = ...` closes the queue at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  // ---- internals ---------------------------------------------------------------------------

  private _view(): Uint32Array {
    if (this._closed) fail(kIOReturnNotAttached, `queue ${this._id} is closed`);
    const u = this._pool._u32;
    if (u.length === 0) this._pool.getName(); // released: throws kIOReturnNotAttached
    return u;
  }

  private _checkOpen(): void {
    this._view();
  }

  private _producerView(): Uint32Array {
    const u = this._view();
    if (!this._producer) {
      binding.queueAcquireEnd(this._pool._native!, this._id, true);
      this._producer = true;
    }
    return u;
  }

  private _consumerView(): Uint32Array {
    const u = this._view();
    if (!this._consumer) {
      binding.queueAcquireEnd(this._pool._native!, this._id, false);
      this._consumer = true;
    }
    return u;
  }

  // Writes the entry at counter `at` (>= head, not yet published) for the packet whose state word
  // is u[m] and makes the packet the queue's; false, changing no packet, if this thread does not
  // hold it (or a thread it was handed to took it meanwhile). The order is what lets the thread be
  // stopped anywhere (worker.terminate(), a killed process) without losing a packet: `pending`
  // covers the entry before its packet is marked queued, so [head, pending) names exactly the
  // entries of this call, and the core's repair (PacketQueue::repairEnqueue, when the thread's
  // slot is released or reclaimed) frees the marked ones that were never published; an unmarked
  // one is still this thread's and comes back with its other packets.
  private _put(u: Uint32Array, at: number, index: number, m: number): boolean {
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
  }

  // Publishes the `done` entries put at head.. and closes the pending range; returns `done`.
  private _finish(u: Uint32Array, head: number, done: number): number {
    if (done > 0) this._publishHead(u, head + done);
    u[this._pending] = (head + done) >>> 0;
    return done;
  }

  // Takes a dequeued entry if it names a queued packet: plain store of our tag, because only the
  // consumer end (this thread, bound by queueAcquireEnd) changes a queued packet's state.
  private _take(u: Uint32Array, index: number, packetCount: number, metaBase: number, tag: number): boolean {
    if (index < packetCount) {
      const m = metaBase + index * Meta.Words;
      if (u[m] === State.Queued) {
        u[m] = tag;
        return true;
      }
    }
    Atomics.add(u, this._head - QueueWord.Head + QueueWord.BadEntries, 1);
    return false;
  }

  // Free entries for `n` more. The tail seen last time is enough while it shows room (the real
  // tail is only ever further on), so the consumer's line is read only when the queue looks full,
  // as AF_XDP's cached_cons and DPDK's rings do; a reload is Atomics.load (acquire), so the
  // consumer's reads of the slots below it are done before we overwrite them.
  private _spaceFor(u: Uint32Array, head: number, n: number): number {
    let used = (head - this._tailSeen) >>> 0;
    if (used > this._capacity || this._capacity - used < n) {
      this._tailSeen = Atomics.load(u, this._tail);
      used = (head - this._tailSeen) >>> 0;
      if (used > this._capacity) this._broken(used);
    }
    const space = this._capacity - used;
    return n < space ? n : space;
  }

  // Entries to take, from the head seen last time while it shows enough; a reload is Atomics.load
  // (acquire), pairing with the producer's store so the entries and the packets' contents written
  // before it are visible.
  private _available(u: Uint32Array, tail: number, want: number): number {
    let avail = (this._headSeen - tail) >>> 0;
    if (avail > this._capacity || avail < want) {
      this._headSeen = Atomics.load(u, this._head);
      avail = (this._headSeen - tail) >>> 0;
      if (avail > this._capacity) this._broken(avail);
    }
    return avail < want ? avail : want;
  }

  // Releases the slots we read (Atomics.store orders our reads before the producer's reuse).
  private _consumed(u: Uint32Array, tail: number, take: number): void {
    Atomics.store(u, this._tail, (tail + take) >>> 0);
  }

  // Publishes entries (Atomics.store: release of the entries and packet contents), then wakes a
  // sleeping consumer. Atomics.store and Atomics.load are sequentially consistent, so either the
  // consumer's re-check after registering sees our head, or we see its registration here (the
  // argument in native/core/packet_queue.cpp).
  private _publishHead(u: Uint32Array, head: number): void {
    Atomics.store(u, this._head, head >>> 0);
    if (Atomics.load(u, this._waitersWord) !== 0) {
      Atomics.add(u, this._seqWord, 1);
      binding.queueWake(this._pool._native!, this._id);
    }
  }

  private _watch(): void {
    if (this._watcher === null) {
      this._watcher = new binding.QueueWatcher(this._pool._native!, this._id, this._onData);
    }
    this._watcher.want();
    if (this._action === null && this._waiting.every((w) => w.unref)) this._watcher.unref();
    else this._watcher.ref();
  }

  // Called by the native watcher on this thread when the queue holds packets (or is gone).
  private readonly _onData = (): void => {
    if (this._closed) return;
    const waiting = this._waiting;
    this._waiting = [];
    for (const w of waiting) this._settle(w, true, true);
    if (this._action !== null) this._action(this);
    if (this._action !== null || this._waiting.length > 0) this._watcher?.want();
  };

  private _settle(pending: PendingWait, result: boolean | Error, removed = false): void {
    if (!removed) {
      const at = this._waiting.indexOf(pending);
      if (at < 0) return;
      this._waiting.splice(at, 1);
    }
    if (pending.onAbort) pending.signal!.removeEventListener('abort', pending.onAbort);
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    if (result instanceof Error) pending.reject(result);
    else pending.resolve(result);
  }

  private _countOf(count: number | undefined, length: number): number {
    if (count === undefined) return length;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > length) {
      fail(kIOReturnBadArgument, `count must be an integer in 0..${length}, got ${describe(count)}`);
    }
    return count;
  }

  private _full(used: number): never {
    return fail(kIOReturnNoSpace, `queue ${this._id} is full (${used} of ${this._capacity} entries)`);
  }

  private _broken(distance: number): never {
    return fail(
      kIOReturnIOError,
      `queue ${this._id} is corrupt: head and tail are ${distance} entries apart, capacity ${this._capacity} ` +
        `(its memory was overwritten)`,
    );
  }

  private _notOurs(value: unknown, what: string): never {
    return fail(kIOReturnBadArgument, `${what} is not a packet of this pool (${describe(value)})`);
  }

  private _notHeld(index: number, what: string): never {
    return fail(kIOReturnNotPermitted, `${what}: packet ${index} is not held by this thread`);
  }
}

/** System -> driver: filled packets to transmit (DriverKit `IOUserNetworkTxSubmissionQueue`). */
export class IOUserNetworkTxSubmissionQueue extends IOUserNetworkPacketQueue {
  /** Creates queue `queueId` in the pool's region; `dispatchQueue` is accepted and unused. */
  static Create(
    pool: IOUserNetworkPacketBufferPool,
    owner: unknown,
    capacity: number,
    queueId: number,
    dispatchQueue?: unknown,
  ): IOUserNetworkTxSubmissionQueue {
    void dispatchQueue;
    const d = this._create(IOUserNetworkPacketQueueKind.TxSubmission, pool, capacity, queueId);
    return new IOUserNetworkTxSubmissionQueue(pool, owner, d);
  }

  /** This thread's (or process's) object for a queue created elsewhere. */
  static Open(pool: IOUserNetworkPacketBufferPool, queueId: number): IOUserNetworkTxSubmissionQueue {
    const d = this._open(IOUserNetworkPacketQueueKind.TxSubmission, pool, queueId);
    return new IOUserNetworkTxSubmissionQueue(pool, null, d);
  }
}

/** Driver -> system: packets sent, to recycle (DriverKit `IOUserNetworkTxCompletionQueue`). */
export class IOUserNetworkTxCompletionQueue extends IOUserNetworkPacketQueue {
  /** Creates queue `queueId` in the pool's region; `dispatchQueue` is accepted and unused. */
  static Create(
    pool: IOUserNetworkPacketBufferPool,
    owner: unknown,
    capacity: number,
    queueId: number,
    dispatchQueue?: unknown,
  ): IOUserNetworkTxCompletionQueue {
    void dispatchQueue;
    const d = this._create(IOUserNetworkPacketQueueKind.TxCompletion, pool, capacity, queueId);
    return new IOUserNetworkTxCompletionQueue(pool, owner, d);
  }

  /** This thread's (or process's) object for a queue created elsewhere. */
  static Open(pool: IOUserNetworkPacketBufferPool, queueId: number): IOUserNetworkTxCompletionQueue {
    const d = this._open(IOUserNetworkPacketQueueKind.TxCompletion, pool, queueId);
    return new IOUserNetworkTxCompletionQueue(pool, null, d);
  }
}

/** System -> driver: empty packets to receive into (DriverKit `IOUserNetworkRxSubmissionQueue`). */
export class IOUserNetworkRxSubmissionQueue extends IOUserNetworkPacketQueue {
  /** Creates queue `queueId` in the pool's region; `dispatchQueue` is accepted and unused. */
  static Create(
    pool: IOUserNetworkPacketBufferPool,
    owner: unknown,
    capacity: number,
    queueId: number,
    dispatchQueue?: unknown,
  ): IOUserNetworkRxSubmissionQueue {
    void dispatchQueue;
    const d = this._create(IOUserNetworkPacketQueueKind.RxSubmission, pool, capacity, queueId);
    return new IOUserNetworkRxSubmissionQueue(pool, owner, d);
  }

  /** This thread's (or process's) object for a queue created elsewhere. */
  static Open(pool: IOUserNetworkPacketBufferPool, queueId: number): IOUserNetworkRxSubmissionQueue {
    const d = this._open(IOUserNetworkPacketQueueKind.RxSubmission, pool, queueId);
    return new IOUserNetworkRxSubmissionQueue(pool, null, d);
  }
}

/** Driver -> system: packets filled with received data (DriverKit `IOUserNetworkRxCompletionQueue`). */
export class IOUserNetworkRxCompletionQueue extends IOUserNetworkPacketQueue {
  /** Creates queue `queueId` in the pool's region; `dispatchQueue` is accepted and unused. */
  static Create(
    pool: IOUserNetworkPacketBufferPool,
    owner: unknown,
    capacity: number,
    queueId: number,
    dispatchQueue?: unknown,
  ): IOUserNetworkRxCompletionQueue {
    void dispatchQueue;
    const d = this._create(IOUserNetworkPacketQueueKind.RxCompletion, pool, capacity, queueId);
    return new IOUserNetworkRxCompletionQueue(pool, owner, d);
  }

  /** This thread's (or process's) object for a queue created elsewhere. */
  static Open(pool: IOUserNetworkPacketBufferPool, queueId: number): IOUserNetworkRxCompletionQueue {
    const d = this._open(IOUserNetworkPacketQueueKind.RxCompletion, pool, queueId);
    return new IOUserNetworkRxCompletionQueue(pool, null, d);
  }
}

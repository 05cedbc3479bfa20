/**
 * `IOUserNetworkPacketQueue`, the base of DriverKit's four packet queues (lib/queue.ts): a
 * bounded single-producer / single-consumer ring of packet indices inside the pool's region, so
 * the two ends may be in different threads or processes attached to the pool.
 *
 * This file holds the class (every field, so queue objects keep one hidden class), creating and
 * opening, identity, closing and the checked views of the region. The rest joins the one
 * prototype through `addMethods`: queue-transfer.ts (enqueue and dequeue), queue-protocol.ts
 * (the ring protocol's steps, twins of native/core/packet_queue.h) and queue-waiting.ts
 * (promises, blocking waits and the dequeue action). The native side is called once per queue
 * object (create/open, binding an end to this thread), to wake a sleeping consumer, and to wait.
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
import { QueueWord } from './layout';
import { addMethods } from './mixin';
import { IOUserNetworkPacketBufferPool } from './pool';
import { protocolMethods } from './queue-protocol';
import { transferMethods } from './queue-transfer';
import { PendingWait, waitingMethods } from './queue-waiting';

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

/**
 * A packet queue of a pool (DriverKit `IOUserNetworkPacketQueue`). Create one end with the
 * subclass's `Create`; any other thread or process attached to the pool gets its own object for
 * the same queue with `Open(pool, queueId)`. One thread enqueues and one dequeues at a time: the
 * first enqueue (dequeue) binds the producer (consumer) end to the calling thread until `close()`
 * or the thread's exit; another thread that tries meanwhile gets kIOReturnExclusiveAccess.
 */
export class IOUserNetworkPacketQueue {
  /** @internal */ readonly _pool: IOUserNetworkPacketBufferPool;
  /** @internal */ readonly _owner: unknown;
  /** @internal */ readonly _id: number;
  /** @internal */ readonly _kind: IOUserNetworkPacketQueueKind;
  /** @internal */ readonly _capacity: number;
  /** @internal */ readonly _mask: number;
  /** @internal */ readonly _head: number;
  /** @internal */ readonly _pending: number;
  /** @internal */ readonly _tail: number;
  /** @internal */ readonly _entries: number;
  /** @internal */ readonly _waitersWord: number;
  /** @internal */ readonly _seqWord: number;
  /** @internal */ _tailSeen = 0; // producer: the consumer's tail as last read (never ahead of the real one)
  /** @internal */ _headSeen = 0; // consumer: the producer's head as last read
  /** @internal */ _producer = false;
  /** @internal */ _consumer = false;
  /** @internal */ _closed = false;
  /** @internal */ _watcher: NativeQueueWatcher | null = null;
  /** @internal */ _waiting: PendingWait[] = [];
  /** @internal */ _action: ((queue: this) => void) | null = null;
  /** @internal Called by the native watcher on this thread when the queue holds packets (or is gone). */
  readonly _onData = (): void => this._dataArrived();

  /** @internal Queues come from `Create` / `Open` (not `protected`: lib/queue.ts constructs from another file). */
  constructor(pool: IOUserNetworkPacketBufferPool, owner: unknown, d: NativeQueueDescription) {
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

  // ---- consumer ----------------------------------------------------------------------------

  // ---- waiting -----------------------------------------------------------------------------

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

  /** @internal */
  _view(): Uint32Array {
    if (this._closed) fail(kIOReturnNotAttached, `queue ${this._id} is closed`);
    const u = this._pool._u32;
    if (u.length === 0) this._pool.getName(); // released: throws kIOReturnNotAttached
    return u;
  }

  /** @internal */
  _checkOpen(): void {
    this._view();
  }

  /** @internal */
  _producerView(): Uint32Array {
    const u = this._view();
    if (!this._producer) {
      binding.queueAcquireEnd(this._pool._native!, this._id, true);
      this._producer = true;
    }
    return u;
  }

  /** @internal */
  _consumerView(): Uint32Array {
    const u = this._view();
    if (!this._consumer) {
      binding.queueAcquireEnd(this._pool._native!, this._id, false);
      this._consumer = true;
    }
    return u;
  }

  /** @internal */
  _countOf(count: number | undefined, length: number): number {
    if (count === undefined) return length;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > length) {
      fail(kIOReturnBadArgument, `count must be an integer in 0..${length}, got ${describe(count)}`);
    }
    return count;
  }

  /** @internal */
  _full(used: number): never {
    return fail(kIOReturnNoSpace, `queue ${this._id} is full (${used} of ${this._capacity} entries)`);
  }

  /** @internal */
  _broken(distance: number): never {
    return fail(
      kIOReturnIOError,
      `queue ${this._id} is corrupt: head and tail are ${distance} entries apart, capacity ${this._capacity} ` +
        `(its memory was overwritten)`,
    );
  }

  /** @internal */
  _notOurs(value: unknown, what: string): never {
    return fail(kIOReturnBadArgument, `${what} is not a packet of this pool (${describe(value)})`);
  }

  /** @internal */
  _notHeld(index: number, what: string): never {
    return fail(kIOReturnNotPermitted, `${what}: packet ${index} is not held by this thread`);
  }
}

addMethods(IOUserNetworkPacketQueue, transferMethods);
addMethods(IOUserNetworkPacketQueue, protocolMethods);
addMethods(IOUserNetworkPacketQueue, waitingMethods);

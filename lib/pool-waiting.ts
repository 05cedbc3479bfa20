/**
 * Waiting for a packet: `allocatePacketAsync` and its queue of waiters. Waiters are served in
 * order when the native waiter (a thread sleeping on the pool's futex word, `Pool::sleepUntilFreed`
 * in native/core/pool.cpp) reports free packets; abort signals and release reject them. Added to
 * the pool's one prototype by lib/pool.ts.
 */
import { checkKnownKeys, checkOptionalObject } from './check';
import { describe, fail, IOReturnError, kIOReturnAborted, kIOReturnBadArgument } from './io-return';
import type { IOUserNetworkPacket } from './packet';
import type { IOUserNetworkPacketBufferPool } from './pool';

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

/** @internal One pending `allocatePacketAsync`. */
export interface PendingAllocation {
  resolve(packet: IOUserNetworkPacket): void;
  reject(error: Error): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  ref: boolean;
}

declare module './pool' {
  interface IOUserNetworkPacketBufferPool {
    /**
     * Resolves with a packet as soon as one is free, including one freed by another thread or
     * process; never polls the event loop (a native thread sleeps on the pool's futex). Rejects with
     * kIOReturnAborted when `signal` aborts or the pool is released meanwhile. Waiters are served
     * in order.
     */
    allocatePacketAsync(options?: AllocatePacketAsyncOptions): Promise<IOUserNetworkPacket>;
    /** @internal Serves waiters in order; `_onPacketFreed` (the native waiter's callback) calls it. */
    _servePending(): void;
    /** @internal */ _wait(): void;
    /** @internal */ _allocateUncounted(): IOUserNetworkPacket | null;
    /** @internal */ _abortWaiting(pending: PendingAllocation): void;
    /** @internal */ _rejectWaiting(message: string, cause?: unknown): void;
  }
}

/** @internal */
export const waitingMethods = {
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
  },

  // Called (through _onPacketFreed) by the native waiter when the shared ring has free packets.
  _servePending(): void {
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
  },

  // (Re)arms the native waiter; it keeps the process alive while any pending wait wants that.
  _wait(): void {
    this._native!.waitForPacket(
      this._onPacketFreed,
      this._waiting.some((p) => p.ref),
    );
  },

  // allocatePacket for allocatePacketAsync's own attempts: a request that waits is not a failed
  // allocation, however many times it looks before a packet comes.
  _allocateUncounted(): IOUserNetworkPacket | null {
    const failed = this._f64[this._failedIdx];
    const packet = this.allocatePacket();
    if (packet === null) this._f64[this._failedIdx] = failed;
    return packet;
  },

  _abortWaiting(pending: PendingAllocation): void {
    const at = this._waiting.indexOf(pending);
    if (at < 0) return;
    this._waiting.splice(at, 1);
    if (this._native !== null) {
      if (this._waiting.length === 0) this._native!.stopWaiting();
      else this._wait(); // the aborted wait may have been the one keeping the process alive
    }
    pending.reject(new IOReturnError(kIOReturnAborted, 'allocatePacketAsync was aborted'));
  },

  _rejectWaiting(message: string, cause?: unknown): void {
    const waiting = this._waiting;
    this._waiting = [];
    for (const pending of waiting) {
      if (pending.onAbort) pending.signal!.removeEventListener('abort', pending.onAbort);
      pending.reject(cause instanceof IOReturnError ? cause : new IOReturnError(kIOReturnAborted, message));
    }
  },
} satisfies Partial<IOUserNetworkPacketBufferPool> & ThisType<IOUserNetworkPacketBufferPool>;

/**
 * Waiting on an `IOUserNetworkPacketQueue`: `waitForPackets` (a promise), `waitForPacketsSync`
 * (blocking, for workers) and DriverKit's dequeue action. A native watcher sleeps on the queue's
 * futex word (`PacketQueue::sleepUntilData` in native/core/packet_queue.cpp) and calls back on
 * this thread's event loop. Added to the queue's one prototype by lib/queue-base.ts.
 */
import { binding } from './native';
import { describe, fail, IOReturnError, kIOReturnAborted, kIOReturnBadArgument } from './io-return';
import type { IOUserNetworkPacketQueue } from './queue-base';

/** Options of `waitForPackets`. */
export interface WaitForPacketsOptions {
  /** Aborting rejects the promise with kIOReturnAborted. */
  signal?: AbortSignal;
  /** Milliseconds; the promise then resolves `false` if the queue is still empty. */
  timeout?: number;
  /** Don't keep the process alive while waiting (like `timer.unref()`). */
  unref?: boolean;
}

/** @internal One pending `waitForPackets`. */
export interface PendingWait {
  resolve(ready: boolean): void;
  reject(error: Error): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  unref: boolean;
}

const MAX_WAIT_MS = 0x7fffffff;

declare module './queue-base' {
  interface IOUserNetworkPacketQueue {
    /**
     * Resolves `true` as soon as the queue holds packets (enqueued by any thread or process),
     * without polling: a native thread sleeps on the queue's futex word. Resolves `false` after
     * `timeout` ms; rejects with kIOReturnAborted when `signal` aborts or the queue is closed.
     * Works on any thread.
     */
    waitForPackets(options?: WaitForPacketsOptions): Promise<boolean>;
    /**
     * Blocks the calling thread until the queue holds packets or `timeoutMs` passes; true when it
     * does. For worker threads' busy loops (on the main thread it blocks the event loop).
     */
    waitForPacketsSync(timeoutMs: number): boolean;
    /**
     * DriverKit's dequeue action: `action(queue)` runs on this thread's event loop whenever the
     * queue holds packets (it should dequeue them), until it is set to null. `unref: true` lets the
     * process exit while it is set.
     */
    setDequeueAction(action: ((queue: this) => void) | null, options?: { unref?: boolean }): void;
    /** @internal Serves waiters and the dequeue action; `_onData` (the watcher's callback) calls it. */
    _dataArrived(): void;
    /** @internal */ _watch(): void;
    /** @internal */ _settle(pending: PendingWait, result: boolean | Error, removed?: boolean): void;
  }
}

/** @internal */
export const waitingMethods = {
  _dataArrived(): void {
    if (this._closed) return;
    const waiting = this._waiting;
    this._waiting = [];
    for (const w of waiting) this._settle(w, true, true);
    if (this._action !== null) this._action(this);
    if (this._action !== null || this._waiting.length > 0) this._watcher?.want();
  },

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
          pending.onAbort = () =>
            this._settle(pending, new IOReturnError(kIOReturnAborted, 'waitForPackets was aborted'));
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
  },

  waitForPacketsSync(timeoutMs: number): boolean {
    this._checkOpen();
    if (!(typeof timeoutMs === 'number' && Number.isInteger(timeoutMs) && timeoutMs >= 0 && timeoutMs <= MAX_WAIT_MS)) {
      fail(kIOReturnBadArgument, `timeoutMs must be an integer in 0..${MAX_WAIT_MS}, got ${describe(timeoutMs)}`);
    }
    return binding.queueWaitSync(this._pool._native!, this._id, timeoutMs);
  },

  setDequeueAction(action: ((queue: IOUserNetworkPacketQueue) => void) | null, options?: { unref?: boolean }): void {
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
  },

  _watch(): void {
    if (this._watcher === null) {
      this._watcher = new binding.QueueWatcher(this._pool._native!, this._id, this._onData);
    }
    this._watcher.want();
    if (this._action === null && this._waiting.every((w) => w.unref)) this._watcher.unref();
    else this._watcher.ref();
  },

  _settle(pending: PendingWait, result: boolean | Error, removed = false): void {
    if (!removed) {
      const at = this._waiting.indexOf(pending);
      if (at < 0) return;
      this._waiting.splice(at, 1);
    }
    if (pending.onAbort) pending.signal!.removeEventListener('abort', pending.onAbort);
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    if (result instanceof Error) pending.reject(result);
    else pending.resolve(result);
  },
} satisfies Partial<IOUserNetworkPacketQueue> & ThisType<IOUserNetworkPacketQueue>;

/**
 * What the sharing tests have in common: starting fixture workers and child processes (plain .js
 * scripts in test/slow/fixtures that load the compiled package), and the two end-of-test checks
 * every test makes: every packet index is free exactly once, and the statistics add up.
 */
import { ChildProcess, execFile } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { IOUserNetworkPacketBufferPool, IOUserNetworkPacketBufferPoolStatistics } from '../../../lib';
import { range, sorted } from '../../helpers/pool';

import { FIXTURES } from './run-fixture';

export { FIXTURES };

export interface Message {
  kind: string;
  [key: string]: unknown;
}

export interface StartedWorker<T> {
  worker: Worker;
  /** Captured at creation: worker.threadId reads -1 once the worker has exited. */
  threadId: number;
  /** The worker's last { kind: 'result' } message, once it has exited with code 0. */
  result: Promise<T>;
  /** Resolves with the next message of this kind (listen before the worker can send it). */
  next(kind: string): Promise<Message>;
}

const started: Worker[] = [];

/**
 * For afterEach: terminates every worker startWorker made that is still running, so a failed test
 * cannot leave a looping worker behind to keep the test process alive.
 */
export async function terminateWorkers(): Promise<void> {
  await Promise.all(started.splice(0).map((w) => w.terminate()));
}

export function startWorker<T = Message>(script: string, workerData: unknown): StartedWorker<T> {
  const worker = new Worker(path.join(FIXTURES, script), { workerData });
  started.push(worker);
  const threadId = worker.threadId;
  const result = new Promise<T>((resolve, reject) => {
    let last: T | undefined;
    worker.on('message', (m: Message) => {
      if (m && m.kind === 'result') last = m as unknown as T;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${script} (thread ${threadId}) exited with code ${code}`));
      else if (last === undefined) reject(new Error(`${script} (thread ${threadId}) exited without a result`));
      else resolve(last);
    });
  });
  // A test that never awaits `result` (e.g. it terminates the worker) must not leave an
  // unhandled rejection behind.
  result.catch(() => undefined);
  const next = (kind: string): Promise<Message> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: Message): void => {
        if (!m || m.kind !== kind) return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve(m);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  return { worker, threadId, result, next };
}

/** Resolves when the worker has exited (with any code). */
export function exited(worker: Worker): Promise<number> {
  return new Promise((resolve) => worker.once('exit', resolve));
}

/** Resolves with the child's exit code and signal. */
export function childExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Resolves with the child's next IPC message of this kind. */
export function childMessage(child: ChildProcess, kind: string): Promise<Message> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Message): void => {
      if (!m || m.kind !== kind) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      child.off('message', onMessage);
      reject(new Error(`child exited (code ${code}, signal ${signal}) before sending '${kind}'`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** A zeroed Int32 per packet, shared with workers as their owner table. */
export function ownerTable(packetCount: number): SharedArrayBuffer {
  return new SharedArrayBuffer(packetCount * 4);
}

/** The start-line word of fixtures/barrier.js. */
export function barrier(): SharedArrayBuffer {
  return new SharedArrayBuffer(4);
}

/**
 * Allocates every packet from this thread (after returning this thread's cache to the ring) and
 * checks the indices are exactly 0..packetCount-1, each once: nothing lost, nothing duplicated.
 * Gives them all back and returns how many allocations that took (packetCount).
 */
export function expectEveryIndexFreeOnce(pool: IOUserNetworkPacketBufferPool): number {
  pool.flush();
  const got: number[] = [];
  for (let p = pool.allocatePacket(); p !== null; p = pool.allocatePacket()) got.push(p.getPacketIndex());
  expect(sorted(got)).toEqual(range(pool.getPacketCount()));
  pool.deallocatePacketIndices(Uint32Array.from(got));
  return got.length;
}

/** Every packet ever handed out was given back, is still held, or was reclaimed. */
export function expectBalanced(stats: IOUserNetworkPacketBufferPoolStatistics): void {
  expect(stats.allocations).toBe(stats.deallocations + stats.inUse + stats.reclaimed);
}

export function sum<T>(items: readonly T[], pick: (item: T) => number): number {
  return items.reduce((total, item) => total + pick(item), 0);
}

/** A fixtures/command-worker.js thread, driven one operation at a time. */
export interface CommandWorker extends StartedWorker<Message> {
  /** Runs `op` in the worker; rejects with an Error carrying the worker's codeName. */
  call<T = unknown>(op: string, args?: Record<string, unknown>): Promise<T>;
}

export interface WorkerError extends Error {
  codeName?: string;
}

export async function startCommandWorker(handle: unknown): Promise<CommandWorker> {
  const started = startWorker('command-worker.js', { handle });
  await started.next('ready');
  let nextId = 1;
  const call = <T>(op: string, args: Record<string, unknown> = {}): Promise<T> => {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      const onMessage = (
        m: Message & { id?: number; value?: T; error?: { codeName?: string; message: string } },
      ): void => {
        if (m.kind !== 'reply' || m.id !== id) return;
        started.worker.off('message', onMessage);
        if (m.error) reject(Object.assign(new Error(m.error.message), { codeName: m.error.codeName }) as WorkerError);
        else resolve(m.value as T);
      };
      started.worker.on('message', onMessage);
      started.worker.postMessage({ ...args, id, op });
    });
  };
  return { ...started, call };
}

/** The SharedArrayBuffer of a fixtures/spsc.js ring of packet indices (capacity a power of two). */
export function createIndexRing(capacity: number): SharedArrayBuffer {
  const spsc = require('../fixtures/spsc') as { createRing(capacity: number): SharedArrayBuffer };
  return spsc.createRing(capacity);
}

export interface NodeOutcome {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a fixture script in a fresh Node process and resolves with how it ended. A process that
 * crashes (a native abort) shows as signal SIGABRT and its FATAL ERROR text on stderr; one that
 * hangs is killed at `timeoutMs` (signal SIGTERM).
 */
export function runNode(script: string, args: string[] = [], timeoutMs = 30_000): Promise<NodeOutcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(FIXTURES, script), ...args],
      { timeout: timeoutMs },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string; signal?: string }) | null;
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
  });
}

/**
 * The control block shared by bench/scenarios/workers.ts and its worker threads: one Int32Array
 * over a SharedArrayBuffer. (A .cts file, compiled to .cjs: the scenario registry only loads .js
 * files.)
 */
import type { IOUserNetworkPacketBufferPoolHandle } from 'packet-buffer-pool';

/** What each worker thread is started with (its workerData). */
export interface WorkerInit {
  handle: IOUserNetworkPacketBufferPoolHandle;
  /** What the worker does per run: a key of workers-thread.cts's `work` table. */
  role: string;
  /** The control block (ctl.WORDS Int32 words). */
  ctlSab: SharedArrayBuffer;
  /** Handoff roles: the SPSC ring of packet indices this worker's pair shares. */
  ringSab: SharedArrayBuffer;
  /** Which sender/receiver pair (queue id and ring) the worker belongs to. */
  pair: number;
}

export const ctl = {
  GENERATION: 0, // bumped by the main thread to start a run (workers Atomics.wait on it)
  ITERATIONS: 1, // the run's iteration count
  DONE: 2, // workers that finished the run; the last one notifies
  PARTIES: 3, // how many workers take part
  QUIT: 4, // set before the last generation bump: workers exit
  SLEEPS: 5, // handoff: how often a side slept waiting for the other (diagnostics)
  SCRATCH: 6, // always 0: a word to sleep on with a timeout
  COMMAND: 7, // what a generation bump asks for: RUN, or COLLECT (full GC, then zero GCS)
  GCS: 8, // collections the workers saw during runs since the last COLLECT (v8.GCProfiler)
  REMAINING: 9, // alloc-free: iterations of the run not yet taken by a worker (taken in chunks)
  WORDS: 16,
  RUN: 0,
  COLLECT: 1,
} as const;

/**
 * One pool, several worker threads: how the per-packet path scales when threads share
 * the pool, and what handing packets from one thread to another costs.
 *
 *   pool.workers1.alloc-free   one worker doing allocatePacket/deallocatePacket: the same loop as
 *                              pool.alloc-free, through the same harness as the two-worker case,
 *                              so the scaling ratio compares like with like.
 *   pool.workers2.alloc-free   two workers doing that loop at the same time on one pool. nsPerOp is
 *                              wall time / total pairs of both workers, so 2x throughput shows as
 *                              half the ns/op of workers1. The pairs of a run are one shared count
 *                              that the workers take in chunks (workers-thread.cts), so the wall
 *                              time is that of the whole pool's throughput, not of the slower
 *                              worker: on a 2-vCPU VM one vCPU is often slowed for seconds at a
 *                              time by the host (one thread alone runs this loop at 15 or 23 ns
 *                              from one process to the next), and equal fixed shares made every
 *                              round wait for the slowed one.
 *   pool.workers2.handoff      worker A allocates packets, fills 64 bytes and pushes their indices
 *                              through a SharedArrayBuffer SPSC ring; worker B frees them by index
 *                              in batches of up to 32 (deallocatePacketIndices: one native call per
 *                              batch, straight to the shared ring). A's per-thread cache then
 *                              refills from the ring in bulk: every packet crosses the ring.
 *                              nsPerOp per packet.
 *   queue.workers2.handoff     the same handoff through the pool's own packet queue (lib/queue.ts)
 *                              instead of the hand-rolled ring: A enqueues per batch of 32, B
 *                              dequeues (taking ownership) and frees by index.
 *   pool.workers2.handoff-claim the same, but B takes each packet over with newPacket() (one native
 *                              call per packet) and deallocates it: what a receiver that reads the
 *                              packet pays. Slower; shown so the cost of per-packet ownership moves
 *                              is visible.
 *
 * Timing: run(iterations) bumps a generation word in a SharedArrayBuffer that the workers sleep on
 * (Atomics.wait): that is the start line. The main thread then blocks in Atomics.wait until the
 * last worker has incremented the done word and woken it. measure.js times run() as a whole, so
 * each sample includes one futex wake-up each way (tens of microseconds against 50 ms samples).
 *
 * gcCount: measure.js counts the main thread's collections (0 here by construction: it sleeps in
 * Atomics.wait through every sample) and adds externalGcCount(): the collections the workers
 * themselves saw (v8.GCProfiler around each run) in every run after setup. setup() warms the
 * workers' code up and has each run a full GC first, so that count starts from a clean young
 * generation; it also covers measure.js's own warm-up runs, so it is an upper bound on the
 * collections inside the measured window, never an undercount.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { IOUserNetworkTxSubmissionQueue } from 'packet-buffer-pool';

import { createPool } from '../fixtures';
import type { ScenarioDefinition, ScenarioInstance } from '../scenario';
import * as control from './workers-control.cjs';

// A module-level binding, as the JavaScript had it (an imported name is a property load per use).
const { ctl: C } = control;

const THREAD_SCRIPT = path.join(__dirname, 'workers-thread.cjs');
const RING_CAPACITY = 1024; // packet indices in flight between the handoff workers (pool: 4096)
const RING_HEADER_BYTES = 128;
const WARM_ROUNDS = 4;
const WARM_ITERATIONS = 50_000;

function once(worker: Worker, event: 'message' | 'exit'): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.once(event, resolve);
    worker.once('error', reject);
  });
}

/**
 * Starts one worker per role on a fresh pool; returns the scenario instance. Handoff roles pair up
 * in order (the k-th sender with the k-th receiver): each pair has its own ring and its own queue
 * (queue k), sharing the RING_CAPACITY packets in flight.
 */
async function startWorkers(name: string, roles: string[]): Promise<ScenarioInstance> {
  const pool = createPool(name);
  const seen = new Map<string, number>();
  const pairOf = roles.map((role) => {
    const k = seen.get(role) ?? 0;
    seen.set(role, k + 1);
    return k;
  });
  const pairs = Math.max(1, ...pairOf.map((k) => k + 1));
  const capacity = RING_CAPACITY / pairs;
  const queues = roles.some((r) => r.startsWith('queue-'))
    ? Array.from({ length: pairs }, (_, k) => IOUserNetworkTxSubmissionQueue.Create(pool, null, capacity, k))
    : [];
  const handle = pool.createHandle();
  const ctlSab = new SharedArrayBuffer(C.WORDS * 4);
  const ctl = new Int32Array(ctlSab);
  Atomics.store(ctl, C.PARTIES, roles.length);
  const ringSabs = Array.from({ length: pairs }, () => new SharedArrayBuffer(RING_HEADER_BYTES + capacity * 4));
  const workers = roles.map((role, i) => {
    const workerData: control.WorkerInit = { handle, role, ctlSab, ringSab: ringSabs[pairOf[i]], pair: pairOf[i] };
    return new Worker(THREAD_SCRIPT, { workerData });
  });
  await Promise.all(workers.map((w) => once(w, 'message')));
  let failure: Error | null = null;
  for (const w of workers) w.on('error', (err: Error) => (failure = err));

  // One generation: every worker does `command` (with `iterations`), the last one wakes us.
  function round(command: number, iterations: number): void {
    Atomics.store(ctl, C.DONE, 0);
    Atomics.store(ctl, C.COMMAND, command);
    Atomics.store(ctl, C.ITERATIONS, iterations);
    Atomics.store(ctl, C.REMAINING, iterations * roles.length);
    Atomics.add(ctl, C.GENERATION, 1);
    Atomics.notify(ctl, C.GENERATION);
    for (let done = Atomics.load(ctl, C.DONE); done < roles.length; done = Atomics.load(ctl, C.DONE)) {
      // A worker that threw never reports done: give up instead of hanging the bench.
      if (Atomics.wait(ctl, C.DONE, done, 10_000) === 'timed-out') {
        throw failure ?? new Error(`${name}: workers did not finish ${iterations} iterations in 10 s`);
      }
    }
  }

  // Optimise the workers' loops before anything is counted, then start the GC count from a
  // collected heap (see gcCount above).
  for (let i = 0; i < WARM_ROUNDS; i++) round(C.RUN, WARM_ITERATIONS);
  round(C.COLLECT, 0);

  return {
    run(iterations) {
      round(C.RUN, iterations);
    },
    externalGcCount() {
      return Atomics.load(ctl, C.GCS);
    },
    async teardown() {
      Atomics.store(ctl, C.QUIT, 1);
      Atomics.add(ctl, C.GENERATION, 1);
      Atomics.notify(ctl, C.GENERATION);
      await Promise.all(workers.map((w) => once(w, 'exit')));
      for (const queue of queues) queue.destroy();
      const stats = pool.getStatistics();
      pool.release();
      // Every packet must have come back; a bench that leaks is measuring something else.
      if (stats.inUse !== 0) throw new Error(`${name}: ${stats.inUse} packets still in use after the run`);
    },
  };
}

// Scaling runs (scripts/scaling.sh) ask for more workers: PBP_BENCH_WORKERS=1,2,4,8 adds
// pool.workersN.alloc-free and, for even N, queue.workersN.handoff (N/2 sender/receiver pairs,
// each over its own queue; nsPerOp is wall time / packets of all pairs) for the counts that the
// list below does not already have.
function scalingScenarios(): ScenarioDefinition[] {
  const counts = (process.env.PBP_BENCH_WORKERS ?? '').split(',').filter(Boolean).map(Number);
  const extra: ScenarioDefinition[] = [];
  for (const n of counts) {
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`PBP_BENCH_WORKERS: bad worker count ${n}`);
    if (n > 2) {
      extra.push({
        name: `pool.workers${n}.alloc-free`,
        opsPerIteration: n,
        minOps: 10_000_000,
        setup: () => startWorkers(`bench.workers${n}`, new Array(n).fill('alloc-free')),
      });
    }
    if (n > 2 && n % 2 === 0) {
      const roles: string[] = [];
      for (let k = 0; k < n / 2; k++) roles.push('queue-send', 'queue-free');
      extra.push({
        name: `queue.workers${n}.handoff`,
        opsPerIteration: n / 2,
        minOps: 5_000_000,
        setup: () => startWorkers(`bench.queue-handoff${n}`, roles),
      });
    }
  }
  return extra;
}

export const scenarios: ScenarioDefinition[] = [
  {
    name: 'pool.workers1.alloc-free',
    minOps: 10_000_000,
    setup: () => startWorkers('bench.workers1', ['alloc-free']),
  },
  {
    name: 'pool.workers2.alloc-free',
    opsPerIteration: 2,
    minOps: 10_000_000,
    setup: () => startWorkers('bench.workers2', ['alloc-free', 'alloc-free']),
  },
  {
    name: 'pool.workers2.handoff',
    minOps: 5_000_000,
    setup: () => startWorkers('bench.handoff', ['handoff-send', 'handoff-free']),
  },
  {
    name: 'queue.workers2.handoff',
    minOps: 5_000_000,
    setup: () => startWorkers('bench.queue-handoff', ['queue-send', 'queue-free']),
  },
  {
    name: 'pool.workers2.handoff-claim',
    minOps: 2_000_000,
    setup: () => startWorkers('bench.handoff-claim', ['handoff-send', 'handoff-claim']),
  },
  ...scalingScenarios(),
];

/**
 * The worker-thread side of the bench/scenarios/workers.ts scenarios (a .cts file, compiled to
 * .cjs, so the scenario registry, which loads every .js file here as a family, leaves it alone).
 *
 * Each worker attaches to the pool from workerData.handle, posts 'ready', then sleeps on the
 * control block (Atomics.wait) until the main thread bumps the generation word: that is the start
 * line of one measured run. It then does its share of the run (role below), adds the garbage
 * collections it saw meanwhile to the GCS word, and increments the done word; the last one to
 * finish wakes the main thread.
 *
 * Roles:
 *   alloc-free       allocatePacket + deallocatePacket (the same loop as the single-thread
 *                    pool.alloc-free scenario), in chunks taken from the run's shared count of
 *                    `iterations` x workers pairs until it is used up (see allocFree).
 *   handoff-send     allocatePacket, fill 64 bytes, push the index into the SPSC ring; `iterations`
 *                    packets.
 *   handoff-free     take `iterations` indices from the ring and free them in batches of up to 32
 *                    with one deallocatePacketIndices call per batch (a cross-thread free: the
 *                    sender still owns them).
 *   handoff-claim    take `iterations` indices; newPacket() each (one native call to move
 *                    ownership to this thread) and deallocatePacket it.
 *   queue-send       the handoff sender over the pool's own packet queue (queue `pair` of the pool):
 *                    allocatePacket, fill 64 bytes, EnqueuePackets per batch of 32.
 *   queue-free       dequeuePacketIndices up to 32 at a time (the packets are then this thread's)
 *                    and deallocatePacketIndices them.
 */
import { GCProfiler } from 'node:v8';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

import {
  IOUserNetworkPacketBufferPool,
  IOUserNetworkTxSubmissionQueue,
  type IOUserNetworkPacket,
} from 'packet-buffer-pool';

import * as fixtures from '../fixtures';
import * as control from './workers-control.cjs';

if (isMainThread) throw new Error('workers-thread.cjs is a worker thread entry (bench/scenarios/workers.ts starts it)');

// Module-level bindings, as the loops read them in JavaScript: an imported name would compile to a
// property load on the module object at each use inside the loops.
const { PAYLOAD64 } = fixtures;
const { ctl: C } = control;

const { handle, role, ctlSab, ringSab, pair = 0 } = workerData as control.WorkerInit; // pair: which queue / ring
const ctl = new Int32Array(ctlSab);
const parties = Atomics.load(ctl, C.PARTIES);
const pool = IOUserNetworkPacketBufferPool.attach(handle);

// ---- SPSC ring of packet indices (handoff roles) -----------------------------------------------
// head / tail are free-running Int32 counters on separate cache lines; the slots follow. Each
// side publishes its counter once per batch (Atomics.store), not once per packet, as AF_XDP and
// DPDK rings do: the counter's cache line then crosses cores once per batch.
const RING_HEAD = 0;
const RING_TAIL = 16;
const RING_HEADER_WORDS = 32;
const BATCH = 32;
// Null for the roles without a ring, which never touch them (hence the `!` where they are used).
let ringCtl: Int32Array | null = null;
let slots: Uint32Array | null = null;
let mask = 0;
if (ringSab) {
  ringCtl = new Int32Array(ringSab, 0, RING_HEADER_WORDS);
  slots = new Uint32Array(ringSab, RING_HEADER_WORDS * 4);
  mask = slots.length - 1;
}

// Waiting for the other side: poll for about SPIN_MS, then sleep 20 us at a time (no notify
// protocol; the counts of such sleeps stay in ctl so a run that spent its time waiting is visible).
// The same time for every waiting loop, not the same count of polls: a poll of the packet queue (a
// method call, ~30 ns here) costs two to three times a poll of the hand-rolled ring (one
// Atomics.load), and 200 polls each kept the queue's receiver polling 5-8 us against the ring's
// 2-4, re-reading the line the sender writes at each publish (a cross-core transfer per batch for
// the sender, which bounds the handoff). 2 us is what the ring's 200 polls took. Each loop times
// its own polls with the clock on its 1st, 2nd, 4th, 8th, ... wait (performance.now() allocates,
// so never per poll; the polls get faster as V8 optimizes the loop) and spins that many.
const SPIN_MS = 0.002;
const TIMED_POLLS = 32;

/** One waiting loop's spin: polls before it sleeps, and its timing state. */
interface Spin {
  polls: number;
  waits: number;
  timedFrom: number;
}

function spinOf(): Spin {
  return { polls: 200, waits: 0, timedFrom: 0 };
}

// Called with spins = 0, 1, 2, ... while the other side has nothing for this loop.
function backOff(spin: Spin, spins: number): void {
  if (spins === 0) {
    spin.waits++;
    spin.timedFrom = (spin.waits & (spin.waits - 1)) === 0 ? performance.now() : 0;
    return;
  }
  if (spins === TIMED_POLLS && spin.timedFrom !== 0) {
    const perPoll = (performance.now() - spin.timedFrom) / TIMED_POLLS;
    spin.polls = Math.max(TIMED_POLLS, Math.min(100_000, Math.round(SPIN_MS / perPoll)));
  }
  if (spins < spin.polls) return;
  Atomics.add(ctl, C.SLEEPS, 1);
  Atomics.wait(ctl, C.SCRATCH, 0, 0.02);
}

// One per waiting loop (a loop's polls have one cost).
const poolEmptySpin = spinOf();
const ringFullSpin = spinOf();
const ringEmptySpin = spinOf();
const queueFullSpin = spinOf();
const queueEmptySpin = spinOf();

function allocFreeLoop(n: number): void {
  for (let i = 0; i < n; i++) {
    const p = pool.allocatePacket()!;
    pool.deallocatePacket(p);
  }
}

// The run's iterations are shared, not split: each worker takes CHUNK at a time from REMAINING
// until none are left, so a worker that the machine slows down (another process, a V8 helper
// thread, the host) does fewer chunks instead of holding everyone at the finish line. The run then
// measures total throughput, which is what "two workers give 1.5x" asks about. One Atomics.sub
// per CHUNK pairs (~60 us of work) keeps the shared word out of the per-packet path.
const CHUNK = 4096;
function allocFree(): void {
  for (;;) {
    const before = Atomics.sub(ctl, C.REMAINING, CHUNK);
    if (before <= 0) return;
    allocFreeLoop(Math.min(before, CHUNK));
  }
}

function handoffSend(n: number): void {
  let tail = Atomics.load(ringCtl!, RING_TAIL);
  let headSeen = Atomics.load(ringCtl!, RING_HEAD);
  let unpublished = 0;
  for (let i = 0; i < n; i++) {
    let p = pool.allocatePacket();
    for (let spins = 0; p === null; spins++) {
      backOff(poolEmptySpin, spins);
      p = pool.allocatePacket();
    }
    p.getBuffer().set(PAYLOAD64, p.getDataOffset());
    p.setDataLength(64);
    for (let spins = 0; tail - headSeen > mask; spins++) {
      if (unpublished > 0) {
        Atomics.store(ringCtl!, RING_TAIL, tail);
        unpublished = 0;
      }
      backOff(ringFullSpin, spins);
      headSeen = Atomics.load(ringCtl!, RING_HEAD);
    }
    slots![tail & mask] = p.handOver();
    tail = (tail + 1) | 0;
    if (++unpublished === BATCH) {
      Atomics.store(ringCtl!, RING_TAIL, tail);
      unpublished = 0;
    }
  }
  Atomics.store(ringCtl!, RING_TAIL, tail);
}

const scratch = new Uint32Array(BATCH);

// Takes `n` indices from the ring, up to BATCH at a time into `scratch`, handing each batch to
// `consume(k)` after the slots are released to the sender.
function receive(n: number, consume: (k: number) => void): void {
  let head = Atomics.load(ringCtl!, RING_HEAD);
  for (let left = n; left > 0;) {
    let ready = (Atomics.load(ringCtl!, RING_TAIL) - head) | 0;
    for (let spins = 0; ready === 0; spins++) {
      backOff(ringEmptySpin, spins);
      ready = (Atomics.load(ringCtl!, RING_TAIL) - head) | 0;
    }
    const k = Math.min(ready, left, BATCH);
    for (let j = 0; j < k; j++) scratch[j] = slots![(head + j) & mask];
    head = (head + k) | 0;
    Atomics.store(ringCtl!, RING_HEAD, head);
    consume(k);
    left -= k;
  }
}

function freeBatch(k: number): void {
  pool.deallocatePacketIndices(scratch, k);
}

const descriptor = { fPacketIndex: 0 }; // reused: newPacket only reads it
function claimBatch(k: number): void {
  for (let j = 0; j < k; j++) {
    descriptor.fPacketIndex = scratch[j];
    pool.deallocatePacket(pool.newPacket(descriptor));
  }
}

// ---- the same handoff over a packet queue in the region ----------------------------------------
const queue = role.startsWith('queue-') ? IOUserNetworkTxSubmissionQueue.Open(pool, pair) : null;
const batch: IOUserNetworkPacket[] = new Array(BATCH).fill(null);

function queueSend(n: number): void {
  let k = 0;
  for (let i = 0; i < n; i++) {
    let p = pool.allocatePacket();
    for (let spins = 0; p === null; spins++) {
      backOff(poolEmptySpin, spins);
      p = pool.allocatePacket();
    }
    p.getBuffer().set(PAYLOAD64, p.getDataOffset());
    p.setDataLength(64);
    batch[k++] = p;
    if (k === BATCH || i === n - 1) {
      let done = queue!.EnqueuePackets(batch, k);
      for (let spins = 0; done < k; spins++) {
        backOff(queueFullSpin, spins);
        batch.copyWithin(0, done, k); // the queue took the first `done`
        k -= done;
        done = queue!.EnqueuePackets(batch, k);
      }
      k = 0;
    }
  }
}

function queueFree(n: number): void {
  for (let left = n; left > 0;) {
    let got = queue!.dequeuePacketIndices(scratch, Math.min(left, BATCH));
    for (let spins = 0; got === 0; spins++) {
      backOff(queueEmptySpin, spins);
      got = queue!.dequeuePacketIndices(scratch, Math.min(left, BATCH));
    }
    pool.deallocatePacketIndices(scratch, got);
    left -= got;
  }
}

const handoffFree = (n: number): void => receive(n, freeBatch);
const handoffClaim = (n: number): void => receive(n, claimBatch);

const work: ((n: number) => void) | undefined = (
  {
    'alloc-free': allocFree,
    'handoff-send': handoffSend,
    'handoff-free': handoffFree,
    'handoff-claim': handoffClaim,
    'queue-send': queueSend,
    'queue-free': queueFree,
  } as Record<string, (n: number) => void>
)[role];
if (work === undefined) throw new Error(`unknown role ${role}`);

parentPort!.postMessage('ready');
let generation = 0;
for (;;) {
  for (let g = Atomics.load(ctl, C.GENERATION); g === generation; g = Atomics.load(ctl, C.GENERATION)) {
    Atomics.wait(ctl, C.GENERATION, g);
  }
  generation = Atomics.load(ctl, C.GENERATION);
  if (Atomics.load(ctl, C.QUIT) !== 0) break;
  if (Atomics.load(ctl, C.COMMAND) === C.COLLECT) {
    // The bench child runs with --expose-gc, which workers inherit.
    if (typeof global.gc === 'function') global.gc();
    Atomics.store(ctl, C.GCS, 0);
  } else {
    // Counts this thread's collections during the run itself (a PerformanceObserver would need
    // this thread's event loop, which never turns while it sleeps in Atomics.wait).
    const profiler = new GCProfiler();
    profiler.start();
    work(Atomics.load(ctl, C.ITERATIONS));
    Atomics.add(ctl, C.GCS, profiler.stop().statistics.length);
  }
  if (Atomics.add(ctl, C.DONE, 1) + 1 === parties) Atomics.notify(ctl, C.DONE);
}
if (queue !== null) queue.close();
pool.release();

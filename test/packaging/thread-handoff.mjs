// The pool's hot path and a cross-thread handoff, sized to finish in seconds under an emulator
// (scripts/arm64-test.sh runs it on an arm64 Node under qemu-user). Two producer workers
// (thread-handoff-worker.mjs) allocate packets, stamp them (producer, sequence number, payload
// derived from both), hand each index over (handOver()) through a single-producer queue in
// a SharedArrayBuffer; the main thread takes each packet over (newPacket), checks the stamp and
// the order, and frees it. Every packet crosses threads through the pool's memory only, so a
// missing release/acquire between the producer's writes and the consumer's reads shows up as a
// bad stamp. Then the single-thread hot path (cached and cacheSize 0) with its counters.
// Prints `thread-handoff ok {...}`; any failed check throws (exit status 1).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { IOUserNetworkPacketBufferPool } from 'packet-buffer-pool';

const PRODUCERS = 2;
const PER_PRODUCER = Number(process.env.HANDOFF_PACKETS ?? 4000);
const QUEUE = 64; // entries per producer queue (a power of two)

const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'thread-handoff', {
  packetCount: 256,
  bufferCount: 256,
  bufferSize: 256,
  cacheSize: 16,
});
// Per producer: [head (written by the consumer), tail (written by the producer), entries...].
const queues = Array.from({ length: PRODUCERS }, () => new Int32Array(new SharedArrayBuffer(4 * (2 + QUEUE))));
const workers = queues.map(
  (queue, producer) =>
    new Worker(new URL('./thread-handoff-worker.mjs', import.meta.url), {
      workerData: { handle: pool.createHandle(), queue, producer, count: PER_PRODUCER, size: QUEUE },
    }),
);
const exits = workers.map((w) => once(w, 'exit'));
const failures = workers.map((w) => once(w, 'error').then(([err]) => Promise.reject(err)));

const expected = new Array(PRODUCERS).fill(0);
let received = 0;
const started = Date.now();
while (received < PRODUCERS * PER_PRODUCER) {
  let idle = true;
  for (let p = 0; p < PRODUCERS; p++) {
    const q = queues[p];
    const head = q[0];
    if (head === Atomics.load(q, 1)) continue; // acquire: the entry and the packet behind it
    idle = false;
    const index = q[2 + (head & (QUEUE - 1))];
    const packet = pool.newPacket({ fPacketIndex: index });
    const data = packet.getData();
    assert.equal(data.length, 16, `packet ${index}: data length`);
    const producer = data.readUInt32LE(0);
    const seq = data.readUInt32LE(4);
    assert.equal(producer, p, `packet ${index} came through queue ${p} stamped by producer ${producer}`);
    assert.equal(seq, expected[p], `producer ${p}: sequence ${seq}, expected ${expected[p]}`);
    assert.equal(data.readUInt32LE(8), (seq * 2654435761) >>> 0, `producer ${p} seq ${seq}: payload word 2`);
    assert.equal(data.readUInt32LE(12), (index ^ seq) >>> 0, `producer ${p} seq ${seq}: payload word 3`);
    expected[p] += 1;
    pool.deallocatePacket(packet);
    Atomics.store(q, 0, head + 1); // release: the producer may reuse the entry
    received += 1;
  }
  if (idle) {
    await Promise.race([new Promise((resolve) => setImmediate(resolve)), ...failures]);
    assert.ok(Date.now() - started < 120_000, `handoff stalled after ${received} packets`);
  }
}
await Promise.all(exits);
const handoffMs = Date.now() - started;

// The single-thread hot path: cached, then uncached (every operation a native call).
function allocFree(p, n) {
  for (let i = 0; i < n; i++) {
    const packet = p.allocatePacket();
    packet.setDataOffsetAndLength(packet.getHeadroom(), 1);
    p.deallocatePacket(packet);
  }
}
allocFree(pool, 20000);
const uncached = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'uncached', {
  packetCount: 64,
  bufferCount: 64,
  bufferSize: 256,
  cacheSize: 0,
});
allocFree(uncached, 5000);
assert.equal(uncached.getStatistics().deallocations, 5000);
assert.equal(uncached.getFreePacketCount(), 64);
uncached.release();

const stats = pool.getStatistics();
assert.equal(stats.inUse, 0, 'every packet came back');
assert.equal(stats.allocations, PRODUCERS * PER_PRODUCER + 20000);
assert.equal(stats.deallocations, stats.allocations);
assert.equal(pool.getFreePacketCount(), 256);
pool.release();
console.log(
  `thread-handoff ok ${JSON.stringify({ arch: process.arch, handedOver: received, handoffMs, allocations: stats.allocations })}`,
);

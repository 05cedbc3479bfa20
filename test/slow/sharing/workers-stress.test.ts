/**
 * Several worker threads hammering one pool: allocate, stamp, verify, deallocate, at least a
 * million cycles per worker, on a pool small enough (256 packets, workers holding up to their
 * share of it) that allocations fail, caches run empty and full, and indices cross the shared
 * ring all the time. Each worker checks every packet it holds against a shared owner table and
 * its own stamp (fixtures/stress-worker.js); afterwards every index must be free exactly once and
 * the statistics must match what the workers counted.
 */
import { IOUserNetworkPacketBufferPool } from '../../../lib';
import { range } from '../../helpers/pool';
import {
  barrier,
  expectBalanced,
  expectEveryIndexFreeOnce,
  ownerTable,
  startWorker,
  sum,
  terminateWorkers,
} from '../support/workers';

interface StressResult {
  allocations: number;
  deallocations: number;
  failedAllocations: number;
  cycles: number;
}

const PACKETS = 256;

afterEach(terminateWorkers);
jest.setTimeout(120_000);

async function stress(workers: number, cacheSize: number, cycles: number, batch: boolean): Promise<void> {
  const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, `stress-${workers}x${cacheSize}`, {
    packetCount: PACKETS,
    bufferCount: PACKETS,
    bufferSize: 64,
    cacheSize,
  });
  try {
    const ownersSab = ownerTable(PACKETS);
    const start = barrier();
    const handle = pool.createHandle();
    const started = range(workers).map((i) =>
      startWorker<StressResult>('stress-worker.js', {
        handle,
        owner: i + 1,
        cycles,
        // Together the workers may want 1.5x the pool, so allocations do run dry.
        maxHold: Math.floor((1.5 * PACKETS) / workers),
        ownersSab,
        barrierSab: start,
        parties: workers,
        seed: 0x5eed + i * 7919,
        batch,
      }),
    );
    const results = await Promise.all(started.map((w) => w.result));

    for (const r of results) {
      expect(r.cycles).toBeGreaterThanOrEqual(cycles);
      expect(r.deallocations).toBe(r.allocations);
    }
    expect(new Int32Array(ownersSab).filter((owner) => owner !== 0)).toHaveLength(0);

    const allocations = sum(results, (r) => r.allocations);
    const failed = sum(results, (r) => r.failedAllocations);
    let stats = pool.getStatistics();
    expect(stats).toMatchObject({
      allocations,
      deallocations: sum(results, (r) => r.deallocations),
      failedAllocations: failed,
      inUse: 0,
      reclaimed: 0,
      liveThreads: 1,
      deadThreads: 0,
      orphanedPackets: 0,
    });
    expectBalanced(stats);

    // Taking every packet from this thread counts packetCount allocations and one failure.
    const taken = expectEveryIndexFreeOnce(pool);
    stats = pool.getStatistics();
    expect(stats.allocations).toBe(allocations + taken);
    expect(stats.failedAllocations).toBe(failed + 1);
    expect(stats.inUse).toBe(0);
    expectBalanced(stats);
  } finally {
    pool.release();
  }
}

describe('per-thread cache of 16', () => {
  it.each([2, 4])('%i workers x 1,000,000 cycles: no packet has two owners, every index comes back once', (workers) =>
    stress(workers, 16, 1_000_000, false),
  );
});

describe('no cache: every operation goes through the shared ring', () => {
  it('2 workers x 1,000,000 cycles: no packet has two owners, every index comes back once', () =>
    stress(2, 0, 1_000_000, false));

  // Fewer cycles: with more threads than this machine's 2 cores, a thread preempted in the middle
  // of a ring operation stalls the others (see native/core/ring.h), so each operation costs tens
  // of microseconds here; a million would take minutes.
  it('4 workers x 100,000 cycles: no packet has two owners, every index comes back once', () =>
    stress(4, 0, 100_000, false));
});

it('batch operations (allocatePacketIndices / deallocatePacketIndices) from 4 workers at once, mixed with single ones', () =>
  stress(4, 16, 250_000, true));

/**
 * Threads coming and going while others use the pool: a worker terminated mid-loop while it holds
 * packets, the main thread releasing its attachment while workers keep working, and the process
 * exiting with workers (and a native waiter thread) alive. None may crash the process, lose a
 * packet or leave the statistics inconsistent.
 */
import {
  IOUserNetworkPacketBufferPool,
  kIOReturnNotAttached,
  kIOReturnNotFound,
  kIOReturnNotPermitted,
} from '../../../lib';
import { expectIOReturn } from '../../helpers/io-return';
import {
  expectBalanced,
  expectEveryIndexFreeOnce,
  runNode,
  startWorker,
  sum,
  terminateWorkers,
} from '../support/workers';

interface LoopResult {
  allocations: number;
  deallocations: number;
  cycles: number;
}

afterEach(terminateWorkers);
jest.setTimeout(60_000);

const PACKETS = 256;
const pools: IOUserNetworkPacketBufferPool[] = [];
function makePool(name: string): IOUserNetworkPacketBufferPool {
  const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, name, {
    packetCount: PACKETS,
    bufferCount: PACKETS,
    bufferSize: 64,
    cacheSize: 16,
  });
  pools.push(pool);
  return pool;
}
afterEach(() => {
  while (pools.length > 0) pools.pop()!.release();
});

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('a worker terminated mid-loop', () => {
  it('leaves the packets it held as orphaned; reclaimPackets(threadId) returns them and the books balance', async () => {
    const pool = makePool('terminate');
    const handle = pool.createHandle();
    const stopSab = new SharedArrayBuffer(4);
    // The victim keeps 10 packets and churns up to 8 more; it has no stop flag.
    const victim = startWorker('loop-worker.js', { handle, hold: 10, owner: 1 });
    const survivor = startWorker<LoopResult>('loop-worker.js', { handle, hold: 5, owner: 2, stopSab });
    await Promise.all([victim.next('running'), survivor.next('running')]);

    expectIOReturn(() => pool.reclaimPackets(survivor.threadId), kIOReturnNotPermitted, /still attached/);
    await victim.worker.terminate();
    // Why threadId is captured at creation: the Worker object forgets it on exit.
    expect(victim.worker.threadId).toBe(-1);

    let stats = pool.getStatistics();
    expect(stats.deadThreads).toBe(1);
    const orphaned = stats.orphanedPackets;
    expect(orphaned).toBeGreaterThanOrEqual(10);
    expect(orphaned).toBeLessThanOrEqual(18);

    Atomics.store(new Int32Array(stopSab), 0, 1);
    const survived = await survivor.result;
    expect(survived.deallocations).toBe(survived.allocations);
    stats = pool.getStatistics();
    expect(stats).toMatchObject({
      liveThreads: 1,
      deadThreads: 1,
      orphanedPackets: orphaned,
      inUse: orphaned,
      reclaimed: 0,
    });
    // The victim's counters were kept when its slot was retired: the orphans count as in use.
    expectBalanced(stats);

    expect(pool.reclaimPackets(victim.threadId)).toBe(orphaned);
    stats = pool.getStatistics();
    expect(stats).toMatchObject({ deadThreads: 0, orphanedPackets: 0, inUse: 0, reclaimed: orphaned });
    expectBalanced(stats);
    expectIOReturn(() => pool.reclaimPackets(victim.threadId), kIOReturnNotFound);
    expectEveryIndexFreeOnce(pool);
  });

  // In a child process: if terminating a worker that is inside a native call brought the process
  // down, it would take the test runner with it.
  it('while it is inside native calls (cacheSize 0: every operation is one) does not crash the process', async () => {
    const outcome = await runNode('terminate-native.js');
    expect(outcome).toEqual({ code: 0, signal: null, stdout: 'ok\n', stderr: '' });
  });

  it('at arbitrary points, again and again, loses no packet', async () => {
    const pool = makePool('terminate-often');
    const handle = pool.createHandle();
    let reclaimed = 0;
    for (let round = 0; round < 6; round++) {
      const victim = startWorker('loop-worker.js', { handle, hold: 3, owner: 1 });
      await victim.next('running');
      await delay(round * 3);
      await victim.worker.terminate();
      reclaimed += pool.reclaimPackets(victim.threadId);
      const stats = pool.getStatistics();
      expect(stats).toMatchObject({ deadThreads: 0, orphanedPackets: 0, inUse: 0, reclaimed });
      expectBalanced(stats);
      expectEveryIndexFreeOnce(pool);
    }
  });
});

it('the main thread releasing its pool does not disturb workers still using it; the memory lives until the last one lets go', async () => {
  const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'release-first', {
    packetCount: PACKETS,
    bufferCount: PACKETS,
    bufferSize: 64,
    cacheSize: 16,
  });
  const handle = pool.createHandle();
  const countersSab = new SharedArrayBuffer(3 * 4);
  const stopSab = new SharedArrayBuffer(4);
  const workers = [1, 2].map((owner) =>
    startWorker<LoopResult>('loop-worker.js', { handle, hold: 4, owner, countersSab, stopSab }),
  );
  await Promise.all(workers.map((w) => w.next('running')));

  const packet = pool.allocatePacket()!;
  const view = packet.getBuffer();
  expect(view.length).toBe(64);
  pool.deallocatePacket(packet);
  pool.release();
  // This thread's views no longer reach the memory, and its pool object refuses work.
  expect(view.length).toBe(0);
  expectIOReturn(() => pool.allocatePacket(), kIOReturnNotAttached);

  // The workers keep going on their own attachments.
  const counters = new Int32Array(countersSab);
  const before = [Atomics.load(counters, 1), Atomics.load(counters, 2)];
  while (Atomics.load(counters, 1) < before[0] + 10_000 || Atomics.load(counters, 2) < before[1] + 10_000)
    await delay(5);

  // The region is still there: the handle attaches this thread again while the workers hold it.
  const again = IOUserNetworkPacketBufferPool.attach(handle);
  try {
    Atomics.store(new Int32Array(stopSab), 0, 1);
    const results = await Promise.all(workers.map((w) => w.result));
    const stats = again.getStatistics();
    expect(stats).toMatchObject({
      // + 1: the packet this thread took and gave back before releasing.
      allocations: sum(results, (r) => r.allocations) + 1,
      deallocations: sum(results, (r) => r.deallocations) + 1,
      inUse: 0,
      liveThreads: 1,
      deadThreads: 0,
    });
    expectBalanced(stats);
    expectEveryIndexFreeOnce(again);
  } finally {
    again.release();
  }
  // Every thread has let go: the pool is gone and its handle no longer attaches.
  expectIOReturn(() => IOUserNetworkPacketBufferPool.attach(handle), kIOReturnNotAttached);
});

describe('process exit with workers alive', () => {
  // Each run is a fresh process; several, because a worker is only sometimes inside a native
  // call at the moment its environment is torn down.
  it.each([
    ['with the main thread still attached', []],
    ['after the main thread released its pools', ['release-first']],
  ])('%s: exit code 0, no signal, every time', async (_label, args) => {
    for (let run = 0; run < 4; run++) {
      const outcome = await runNode('process-exit.js', args);
      expect(outcome).toEqual({ code: 0, signal: null, stdout: 'exiting\n', stderr: '' });
    }
  });
});

/**
 * allocatePacketAsync when the only free packets sit in the cache of another thread that has gone
 * idle: the waiter watches the shared ring, and a packet freed before anyone
 * waited went into that thread's cache, not the ring. Within the process the waiter asks idle
 * threads to flush their caches, so it resolves as soon as one returns to its event loop.
 */
import { IOUserNetworkPacketBufferPool } from '../../../lib';
import { CommandWorker, startCommandWorker, terminateWorkers } from '../support/workers';

jest.setTimeout(60_000);

const PACKETS = 16;
let pool: IOUserNetworkPacketBufferPool;
let worker: CommandWorker;

beforeEach(async () => {
  pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'async-idle-cache', {
    packetCount: PACKETS,
    bufferCount: PACKETS,
    bufferSize: 64,
    cacheSize: 8,
  });
  worker = await startCommandWorker(pool.createHandle());
});

afterEach(async () => {
  await worker.call('release');
  await worker.call('exit');
  await worker.result.catch(() => undefined);
  pool.release();
});
// After the hook above (hooks of one block run in order): a worker it could not stop dies here.
afterEach(terminateWorkers);

const timeout = (ms: number): Promise<'timed out'> =>
  new Promise((resolve) => setTimeout(() => resolve('timed out'), ms));

it("resolves with a packet that was parked in an idle worker's cache", async () => {
  const held = await worker.call<number[]>('allocate', { count: PACKETS });
  expect(held).toHaveLength(PACKETS);
  // Freed while nobody waits: into the worker's own cache, not the shared ring.
  const freed = held.slice(0, 3);
  for (const index of freed) await worker.call('deallocate', { index });
  expect(pool.getFreePacketCount()).toBe(3);
  expect(pool.getStatistics()).toMatchObject({ freeInRing: 0, cached: 3 });
  expect(pool.allocatePacket()).toBeNull();

  // The worker is idle now (waiting for a message); the wait must still end.
  const got = await Promise.race([pool.allocatePacketAsync(), timeout(10_000)]);
  expect(got).not.toBe('timed out');
  const packet = got as Exclude<typeof got, 'timed out'>;
  expect(freed).toContain(packet.getPacketIndex());
  pool.deallocatePacket(packet);
  await worker.call('deallocateIndices', { indices: held.slice(3) });
});

/**
 * Packets moving between threads by index: `getPacketIndex()` on one side,
 * `newPacket({ fPacketIndex })` (or a free by index) on the other, with the bytes intact and the
 * accounting exact; and what happens when the sender breaks the rule and frees a packet it handed
 * over.
 */
import { IOUserNetworkPacketBufferPool, kIOReturnNotPermitted } from '../../../lib';
import {
  CommandWorker,
  createIndexRing,
  expectBalanced,
  expectEveryIndexFreeOnce,
  requireFreshDist,
  startCommandWorker,
  startWorker,
  terminateWorkers,
} from './helpers';

interface SenderResult {
  allocations: number;
  failedAllocations: number;
  asyncWaits: number;
}
interface ReceiverResult {
  received: number;
  claimed: number;
  freedByIndex: number;
  deallocations: number;
}

beforeAll(requireFreshDist);
afterEach(terminateWorkers);
jest.setTimeout(60_000);

const pools: IOUserNetworkPacketBufferPool[] = [];
function makePool(name: string, packetCount: number, cacheSize: number): IOUserNetworkPacketBufferPool {
  const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, name, {
    packetCount,
    bufferCount: packetCount,
    bufferSize: 128,
    cacheSize,
  });
  pools.push(pool);
  return pool;
}
afterEach(() => {
  while (pools.length > 0) pools.pop()!.release();
});

it('200,000 packets handed from one worker to another by index arrive intact and in order', async () => {
  const COUNT = 200_000;
  // 64 packets and an index ring of 128: the sender runs the pool dry and must wait for packets
  // the receiver frees (allocatePacketAsync across threads).
  const pool = makePool('handoff', 64, 8);
  const handle = pool.createHandle();
  const ringSab = createIndexRing(128);
  const flagSab = new SharedArrayBuffer(4);
  const sender = startWorker<SenderResult>('handoff-sender.js', { handle, count: COUNT, ringSab, flagSab });
  const receiver = startWorker<ReceiverResult>('handoff-receiver.js', { handle, ringSab, flagSab });
  const [sent, got] = await Promise.all([sender.result, receiver.result]);

  expect(sent.allocations).toBe(COUNT);
  expect(sent.asyncWaits).toBeGreaterThanOrEqual(1);
  expect(got.received).toBe(COUNT);
  expect(got.claimed).toBe(COUNT - COUNT / 4);
  expect(got.freedByIndex).toBe(COUNT / 4);

  const stats = pool.getStatistics();
  expect(stats).toMatchObject({
    allocations: COUNT,
    deallocations: COUNT,
    inUse: 0,
    deadThreads: 0,
    orphanedPackets: 0,
  });
  // Each dry spell is one failed allocatePacket, plus (when it still finds nothing) the
  // allocatePacketAsync request that then waits.
  expect(stats.failedAllocations).toBeGreaterThanOrEqual(sent.failedAllocations);
  expect(stats.failedAllocations).toBeLessThanOrEqual(2 * sent.failedAllocations);
  expectBalanced(stats);
  expectEveryIndexFreeOnce(pool);
});

describe('one packet handed to a worker', () => {
  let worker: CommandWorker;
  afterEach(async () => {
    await worker.call('release');
    await worker.call('exit');
    await worker.result.catch(() => undefined);
  });

  it('carries its bytes both ways, and newPacket moves ownership', async () => {
    const pool = makePool('handoff-one', 32, 4);
    worker = await startCommandWorker(pool.createHandle());
    const packet = pool.allocatePacket()!;
    const index = packet.getPacketIndex();
    const n = packet.getBuffer().write('from main', packet.getDataOffset());
    packet.setDataLength(n);

    await worker.call('newPacket', { index });
    expect(await worker.call('read', { index })).toBe('from main');
    await worker.call('write', { index, text: 'from the worker' });
    // The region is shared memory: the main thread's view sees the worker's bytes at once.
    expect(packet.getData().toString()).toBe('from the worker');

    await worker.call('deallocate', { index });
    expect(pool.getStatistics()).toMatchObject({ allocations: 1, deallocations: 1, inUse: 0 });
    // The worker freed it into its own cache: free, but only the worker allocates it from there.
    await worker.call('flush');
    // Freed by the worker: no longer allocated for anyone.
    expect(() => packet.getDataLength()).toThrow(expect.objectContaining({ code: kIOReturnNotPermitted }));
    await expect(worker.call('newPacket', { index })).rejects.toMatchObject({ codeName: 'kIOReturnNotPermitted' });
    expectEveryIndexFreeOnce(pool);
  });

  it("a sender that frees a packet it handed over frees it from under the receiver (a cross-thread free); the receiver's own free is then refused as a double free", async () => {
    const pool = makePool('handoff-misuse', 32, 4);
    worker = await startCommandWorker(pool.createHandle());
    const packet = pool.allocatePacket()!;
    const index = packet.getPacketIndex();
    await worker.call('newPacket', { index });

    // Any thread may free a packet that is allocated (TX completion on another thread is a
    // legitimate pattern), so the pool cannot tell this from a deliberate cross-thread free.
    pool.deallocatePacket(packet);
    expect(pool.getStatistics()).toMatchObject({ allocations: 1, deallocations: 1, inUse: 0 });

    await expect(worker.call('deallocate', { index })).rejects.toMatchObject({ codeName: 'kIOReturnNotPermitted' });
    // The refused free changed nothing: the packet is in the free list once, not twice.
    const stats = pool.getStatistics();
    expect(stats).toMatchObject({ allocations: 1, deallocations: 1, inUse: 0 });
    expectBalanced(stats);
    expectEveryIndexFreeOnce(pool);
  });
});

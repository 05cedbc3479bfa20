/**
 * Packets moving between threads by index: `handOver()` on one side,
 * `newPacket({ fPacketIndex })` (or a free by index) on the other, with the bytes intact and the
 * accounting exact; and what happens when the sender breaks the rule and frees a packet it handed
 * over.
 */
import { IOUserNetworkPacketBufferPool } from '../../../lib';
import {
  CommandWorker,
  createIndexRing,
  expectBalanced,
  expectEveryIndexFreeOnce,
  exited,
  startCommandWorker,
  startWorker,
  terminateWorkers,
} from '../support/workers';
const W = require('../fixtures/double-free-words') as Record<
  'ROUND' | 'INDEX' | 'DONE' | 'WINS' | 'REFUSED' | 'WORDS',
  number
>;

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
    const index = packet.handOver();
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
    expect(() => packet.getDataLength()).toThrow(expect.objectContaining({ code: 'kIOReturnNotPermitted' }));
    await expect(worker.call('newPacket', { index })).rejects.toMatchObject({ codeName: 'kIOReturnNotPermitted' });
    expectEveryIndexFreeOnce(pool);
  });

  it('a sender that frees a packet the receiver took over is refused, and the receiver keeps it', async () => {
    const pool = makePool('handoff-misuse', 32, 4);
    worker = await startCommandWorker(pool.createHandle());
    const packet = pool.allocatePacket()!;
    const index = packet.handOver();
    await worker.call('newPacket', { index });

    // newPacket made it the worker's own (unpublished) packet: the sender no longer may free it.
    expect(() => pool.deallocatePacket(packet)).toThrow(
      expect.objectContaining({
        code: 'kIOReturnNotPermitted',
        message: expect.stringContaining('has not handed it over'),
      }),
    );
    expect(pool.getStatistics()).toMatchObject({ allocations: 1, deallocations: 0, inUse: 1 });
    await worker.call('write', { index, text: 'still mine' });
    expect(await worker.call('read', { index })).toBe('still mine');

    await worker.call('deallocate', { index });
    const stats = pool.getStatistics();
    expect(stats).toMatchObject({ allocations: 1, deallocations: 1, inUse: 0 });
    expectBalanced(stats);
    await worker.call('flush'); // what the worker freed sits in its cache
    expectEveryIndexFreeOnce(pool);
  });

  it("a packet never handed over stays its owner's, whoever reads its index: another thread can neither take it over nor free it", async () => {
    const pool = makePool('handoff-unpublished', 32, 4);
    worker = await startCommandWorker(pool.createHandle());
    const packet = pool.allocatePacket()!;
    // getPacketIndex() is a pure getter: reading the index (to log it, say) hands nothing over.
    const index = packet.getPacketIndex();
    expect(packet.getPacketIndex()).toBe(index);

    await expect(worker.call('newPacket', { index })).rejects.toMatchObject({ codeName: 'kIOReturnNotPermitted' });
    await expect(worker.call('deallocateIndices', { indices: [index] })).rejects.toMatchObject({
      codeName: 'kIOReturnNotPermitted',
    });
    expect(pool.getStatistics()).toMatchObject({ allocations: 1, deallocations: 0, inUse: 1 });
    packet.setDataLength(5); // still ours

    expect(packet.handOver()).toBe(index);
    await worker.call('deallocateIndices', { indices: [index] });
    expect(pool.getStatistics()).toMatchObject({ allocations: 1, deallocations: 1, inUse: 0 });
    expect(() => pool.deallocatePacket(packet)).toThrow(expect.objectContaining({ code: 'kIOReturnNotPermitted' }));
    await worker.call('flush'); // what the worker freed sits in its cache
    expectEveryIndexFreeOnce(pool);
  });

  it("indices from allocatePacketIndices, once published, may be freed by another thread; the owner's batch free of the rest still works", async () => {
    const pool = makePool('handoff-indices', 32, 8);
    worker = await startCommandWorker(pool.createHandle());
    const indices = new Uint32Array(6);
    expect(pool.allocatePacketIndices(indices)).toBe(6);
    await expect(
      worker.call('deallocateIndices', { indices: Array.from(indices.subarray(0, 3)) }),
    ).rejects.toMatchObject({
      codeName: 'kIOReturnNotPermitted',
    });
    expect(pool.getStatistics()).toMatchObject({ deallocations: 0, inUse: 6 });
    pool.publishPacketIndices(indices);
    await worker.call('deallocateIndices', { indices: Array.from(indices.subarray(0, 3)) });
    // All or nothing: one already freed by the worker refuses the whole batch...
    expect(() => pool.deallocatePacketIndices(indices)).toThrow(
      expect.objectContaining({ code: 'kIOReturnNotPermitted' }),
    );
    expect(pool.getStatistics()).toMatchObject({ deallocations: 3, inUse: 3 });
    // ...and the three still held are freed by their owner.
    pool.deallocatePacketIndices(indices.subarray(3));
    const stats = pool.getStatistics();
    expect(stats).toMatchObject({ allocations: 6, deallocations: 6, inUse: 0 });
    await worker.call('flush'); // what the worker freed sits in its cache
    expectEveryIndexFreeOnce(pool);
  });
});

it('the owner and the thread it handed a packet to free it at the same moment: exactly one free wins, every round', async () => {
  const ROUNDS = 20_000;
  const pool = makePool('double-free-race', 16, 4);
  const ctlSab = new SharedArrayBuffer(W.WORDS * 4);
  const ctl = new Int32Array(ctlSab);
  const worker = startWorker('double-free-race.js', { handle: pool.createHandle(), ctlSab, rounds: ROUNDS });
  let mainWins = 0;
  let bothOrNeither = 0;
  let spin = 0;
  for (let r = 1; r <= ROUNDS; r++) {
    const packet = pool.allocatePacket()!;
    Atomics.store(ctl, W.INDEX, packet.handOver());
    const workerWinsBefore = Atomics.load(ctl, W.WINS);
    Atomics.store(ctl, W.ROUND, r);
    // The worker's free goes through a native call, so it lands a few hundred ns after the
    // round starts; sweeping our own start over 0..~2 us makes the two frees overlap in some
    // rounds whatever the machine's speed.
    for (let k = (r * 37) % 2048; k > 0; k--) spin = (spin + k) | 0;
    let won = true;
    try {
      pool.deallocatePacket(packet);
    } catch (err) {
      if ((err as { code?: string }).code !== 'kIOReturnNotPermitted') throw err;
      won = false;
    }
    while (Atomics.load(ctl, W.DONE) !== r); // spin: the worker spins too
    const workerWon = Atomics.load(ctl, W.WINS) !== workerWinsBefore;
    if (won === workerWon) bothOrNeither++;
    if (won) mainWins++;
  }
  await worker.result;
  expect(spin).not.toBeNaN(); // keeps the delay loop from being optimised away
  expect(bothOrNeither).toBe(0);
  expect(mainWins + Atomics.load(ctl, W.WINS)).toBe(ROUNDS);
  expect(Atomics.load(ctl, W.REFUSED)).toBe(mainWins);
  const stats = pool.getStatistics();
  expect(stats).toMatchObject({ allocations: ROUNDS, deallocations: ROUNDS, inUse: 0 });
  expectEveryIndexFreeOnce(pool);
});

it('a receiver that dies: what it claimed comes back with reclaimPackets(id), what it never took with reclaimHandedOverPackets()', async () => {
  const pool = makePool('handoff-dead-receiver', 32, 4);
  const worker = await startCommandWorker(pool.createHandle());
  const id = worker.threadId;
  const packets = pool.allocatePackets(6);
  const indices = packets.map((p) => p.handOver());
  await worker.call('newPacket', { index: indices[0] });
  await worker.call('newPacket', { index: indices[1] });
  await worker.call('exit').catch(() => undefined);
  await exited(worker.worker);

  // The two it claimed are orphaned with the dead worker; the four it never took are still ours.
  expect(pool.getStatistics()).toMatchObject({ inUse: 6, deadThreads: 1, orphanedPackets: 2 });
  expect(pool.reclaimPackets(id)).toBe(2);
  expect(pool.getStatistics()).toMatchObject({ inUse: 4, orphanedPackets: 0 });
  expect(
    pool
      .getInUsePackets()
      .map((e) => [e.index, e.published])
      .sort(),
  ).toEqual(
    indices
      .slice(2)
      .map((i) => [i, true])
      .sort(),
  );
  expect(pool.reclaimHandedOverPackets()).toBe(4);
  const stats = pool.getStatistics();
  expect(stats).toMatchObject({ allocations: 6, inUse: 0 });
  expectBalanced(stats);
  expectEveryIndexFreeOnce(pool);
});

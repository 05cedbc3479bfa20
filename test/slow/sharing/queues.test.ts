/**
 * Packet queues between threads and between processes: stamped packets through a queue smaller
 * than the traffic, with the pool run dry, arrive in order with one owner each; afterwards every
 * index is free exactly once. And the end of a queue is one thread's at a time.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

import { IOUserNetworkPacketBufferPool, IOUserNetworkTxSubmissionQueue, kIOReturnExclusiveAccess } from '../../../lib';
import {
  childExit,
  childMessage,
  expectBalanced,
  expectEveryIndexFreeOnce,
  FIXTURES,
  startCommandWorker,
  startWorker,
  terminateWorkers,
} from '../support/workers';

interface Result {
  kind: string;
  sent?: number;
  received?: number;
  waits: number;
}

afterEach(terminateWorkers);
jest.setTimeout(60_000);

const pools: IOUserNetworkPacketBufferPool[] = [];
function makePool(shared: boolean): IOUserNetworkPacketBufferPool {
  const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'queues', {
    packetCount: 64,
    bufferCount: 64,
    bufferSize: 128,
    cacheSize: 8,
    shared,
  });
  pools.push(pool);
  return pool;
}
afterEach(() => {
  while (pools.length > 0) pools.pop()!.release();
});

function expectAllBack(pool: IOUserNetworkPacketBufferPool): void {
  const stats = pool.getStatistics();
  expect(stats).toMatchObject({ inUse: 0, queued: 0, deadThreads: 0 });
  expectBalanced(stats);
  expectEveryIndexFreeOnce(pool);
}

it.each(['sync', 'async'])('100,000 packets from one worker to another through a queue (%s waits)', async (wait) => {
  const COUNT = 100_000;
  const pool = makePool(false);
  const queue = IOUserNetworkTxSubmissionQueue.Create(pool, null, 16, 0);
  const handle = pool.createHandle();
  const producer = startWorker<Result>('queue-pipe.js', { handle, role: 'producer', count: COUNT });
  const consumer = startWorker<Result>('queue-pipe.js', { handle, role: 'consumer', count: COUNT, wait });
  const [sent, got] = await Promise.all([producer.result, consumer.result]);
  expect(sent.sent).toBe(COUNT);
  expect(got.received).toBe(COUNT);
  // Both sides had to wait: the queue holds 16 and the pool 64.
  expect(sent.waits + got.waits).toBeGreaterThan(0);
  expect(queue.getBadEntryCount()).toBe(0);
  queue.destroy();
  expectAllBack(pool);
});

it('20,000 packets from a child process to this one through a queue in shared memory', async () => {
  const COUNT = 20_000;
  const pool = makePool(true);
  const queue = IOUserNetworkTxSubmissionQueue.Create(pool, null, 16, 0);
  const handle = pool.createHandle();
  const child = spawn(
    process.execPath,
    [path.join(FIXTURES, 'queue-pipe.js'), JSON.stringify({ handle, role: 'producer', count: COUNT })],
    { stdio: ['ignore', 'ignore', 'inherit', handle.fd!, 'ipc'] },
  );
  const sent = childMessage(child, 'result');
  // This process is the consumer, waiting with the promise form so its event loop keeps serving IPC.
  let received = 0;
  const out: ReturnType<typeof queue.DequeuePacket>[] = [];
  while (received < COUNT) {
    const got = queue.DequeuePackets(out as never[], 32);
    if (got === 0) {
      await queue.waitForPackets({ timeout: 5_000 });
      continue;
    }
    for (let i = 0; i < got; i++) {
      const p = out[i]!;
      const buf = p.getBuffer();
      expect(buf.readUInt32LE(p.getDataOffset() + 4)).toBe(received);
      pool.deallocatePacket(p);
      received += 1;
    }
  }
  expect((await sent).sent).toBe(COUNT);
  expect(await childExit(child)).toEqual({ code: 0, signal: null });
  queue.destroy();
  expectAllBack(pool);
});

it('a producer worker terminated at random points mid-enqueue loses no packet', async () => {
  const pool = makePool(false);
  const queue = IOUserNetworkTxSubmissionQueue.Create(pool, null, 16, 0);
  const handle = pool.createHandle();
  const out: never[] = [];
  let drained = 0;
  for (let round = 0; round < 12; round++) {
    const producer = startWorker<Result>('queue-pipe.js', { handle, role: 'producer', count: 1e9 });
    const threadId = producer.threadId;
    // Consume for a while so the producer is busy enqueueing when it is stopped.
    expect(await queue.waitForPackets({ timeout: 20_000 })).toBe(true);
    const until = Date.now() + 20 + round * 7;
    while (Date.now() < until) {
      const got = queue.DequeuePackets(out, 32);
      for (let i = 0; i < got; i++) pool.deallocatePacket(out[i]);
      drained += got;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await producer.worker.terminate();
    // Whatever it held comes back by reclaim; what it had half-enqueued came back at its exit.
    try {
      pool.reclaimPackets(threadId);
    } catch (err) {
      expect((err as { code: string }).code).toBe('kIOReturnNotFound');
    }
    for (let got = queue.DequeuePackets(out, 32); got > 0; got = queue.DequeuePackets(out, 32)) {
      for (let i = 0; i < got; i++) pool.deallocatePacket(out[i]);
    }
    const stats = pool.getStatistics();
    expect({ round, inUse: stats.inUse, queued: stats.queued }).toEqual({ round, inUse: 0, queued: 0 });
  }
  expect(drained).toBeGreaterThan(12 * 16);
  expect(queue.getBadEntryCount()).toBe(0);
  expectBalanced(pool.getStatistics());
  expectEveryIndexFreeOnce(pool);
});

it('a queue end belongs to one thread: another is refused until the first closes it', async () => {
  const pool = makePool(false);
  const queue = IOUserNetworkTxSubmissionQueue.Create(pool, null, 16, 0);
  queue.EnqueuePacket(pool.allocatePacket()!); // this thread is now the producer
  const worker = await startCommandWorker(pool.createHandle());
  await expect(worker.call('queueEnqueueOne', { queueId: 0 })).rejects.toMatchObject({
    codeName: 'kIOReturnExclusiveAccess',
  });
  expect(kIOReturnExclusiveAccess).toBeGreaterThan(0);
  queue.close();
  await expect(worker.call('queueEnqueueOne', { queueId: 0 })).resolves.toBe(2);
  await worker.call('release');
  const reader = IOUserNetworkTxSubmissionQueue.Open(pool, 0);
  const out: never[] = [];
  expect(reader.DequeuePackets(out)).toBe(2);
  for (const p of out) pool.deallocatePacket(p);
});

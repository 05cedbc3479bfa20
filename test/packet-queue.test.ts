/**
 * Packet queues in one thread: the four kinds, enqueue/dequeue (packet and index forms), what a
 * packet carries through a queue, full/empty, ownership rules, bad input, destroy, waiting, and a
 * scribbled queue.
 */
import {
  IOUserNetworkPacket,
  IOUserNetworkPacketDirection,
  IOUserNetworkPacketQueueKind,
  IOUserNetworkRxCompletionQueue,
  IOUserNetworkRxSubmissionQueue,
  IOUserNetworkTxCompletionQueue,
  IOUserNetworkTxSubmissionQueue,
  kIOReturnAborted,
  kIOReturnBadArgument,
  kIOReturnExclusiveAccess,
  kIOReturnIOError,
  kIOReturnNoSpace,
  kIOReturnNotAttached,
  kIOReturnNotFound,
  kIOReturnNotPermitted,
} from '../lib';
import { expectIOReturn } from './helpers/io-return';
import { makePool, releasePools, sorted } from './helpers/pool';

afterEach(releasePools);

describe('creating and opening', () => {
  it.each([
    [IOUserNetworkTxSubmissionQueue, IOUserNetworkPacketQueueKind.TxSubmission, IOUserNetworkPacketDirection.Tx],
    [IOUserNetworkTxCompletionQueue, IOUserNetworkPacketQueueKind.TxCompletion, IOUserNetworkPacketDirection.Tx],
    [IOUserNetworkRxSubmissionQueue, IOUserNetworkPacketQueueKind.RxSubmission, IOUserNetworkPacketDirection.Rx],
    [IOUserNetworkRxCompletionQueue, IOUserNetworkPacketQueueKind.RxCompletion, IOUserNetworkPacketDirection.Rx],
  ])('%p has its kind, direction, id, owner and a power-of-two capacity', (Kind, kind, direction) => {
    const pool = makePool();
    const owner = { driver: 1 };
    const q = Kind.Create(pool, owner, 12, 3);
    expect(q.getKind()).toBe(kind);
    expect(q.getDirection()).toBe(direction);
    expect(q.getQueueId()).toBe(3);
    expect(q.getCapacity()).toBe(16);
    expect(q.getOwner()).toBe(owner);
    expect(q.getPacketBufferPool()).toBe(pool);
    expect(q.getCount()).toBe(0);
    const other = Kind.Open(pool, 3);
    expect(other.getCapacity()).toBe(16);
    expect(other.getKind()).toBe(kind);
  });

  it('refuses a taken id, a missing id, a wrong kind, bad ids and capacities', () => {
    const pool = makePool({ maxQueues: 4 });
    IOUserNetworkTxSubmissionQueue.Create(pool, null, 8, 1);
    expectIOReturn(
      () => IOUserNetworkTxSubmissionQueue.Create(pool, null, 8, 1),
      kIOReturnExclusiveAccess,
      /queueId 1 is already in use/,
    );
    expectIOReturn(() => IOUserNetworkTxSubmissionQueue.Open(pool, 2), kIOReturnNotFound, /no queue with queueId 2/);
    expectIOReturn(
      () => IOUserNetworkRxCompletionQueue.Open(pool, 1),
      kIOReturnBadArgument,
      /TxSubmission queue, not RxCompletion/,
    );
    expectIOReturn(
      () => IOUserNetworkTxSubmissionQueue.Create(pool, null, 8, 4),
      kIOReturnBadArgument,
      /queueId 4 is out of range/,
    );
    expectIOReturn(
      () => IOUserNetworkTxSubmissionQueue.Create(pool, null, 0, 2),
      kIOReturnBadArgument,
      /capacity must be 1\.\.64/,
    );
    expectIOReturn(() => IOUserNetworkTxSubmissionQueue.Create(pool, null, 65, 2), kIOReturnBadArgument, /got 65/);
    expectIOReturn(
      () => IOUserNetworkTxSubmissionQueue.Create(pool, null, -1 as number, 2),
      kIOReturnBadArgument,
      /capacity/,
    );
    expectIOReturn(
      () => IOUserNetworkTxSubmissionQueue.Create({} as never, null, 8, 2),
      kIOReturnBadArgument,
      /pool must be/,
    );
  });

  it('refuses queue options the layout cannot hold', () => {
    expectIOReturn(() => makePool({ maxQueues: 257 }), kIOReturnBadArgument, /maxQueues 257 exceeds 256/);
    expectIOReturn(
      () => makePool({ queueCapacity: 100 }),
      kIOReturnBadArgument,
      /queueCapacity must be a power of two/,
    );
  });
});

describe('moving packets', () => {
  it('carries a packet and its metadata through, in order, with ownership moving', () => {
    const pool = makePool();
    const q = IOUserNetworkTxSubmissionQueue.Create(pool, null, 8, 0);
    const sent: IOUserNetworkPacket[] = [];
    for (let i = 0; i < 5; i++) {
      const p = pool.allocatePacket()!;
      p.setDataLength(10 + i);
      p.getBuffer()[p.getDataOffset()] = 0xa0 + i;
      q.EnqueuePacket(p);
      sent.push(p);
    }
    expect(q.getCount()).toBe(5);
    expect(pool.getStatistics().queued).toBe(5);
    // In the queue the packet is nobody's: freeing it is refused.
    expectIOReturn(() => pool.deallocatePacket(sent[0]), kIOReturnNotPermitted);
    for (let i = 0; i < 5; i++) {
      const p = q.DequeuePacket()!;
      expect(p).toBe(sent[i]);
      expect(p.getDataLength()).toBe(10 + i);
      expect(p.getBuffer()[p.getDataOffset()]).toBe(0xa0 + i);
      pool.deallocatePacket(p);
    }
    expect(q.DequeuePacket()).toBeNull();
    expect(pool.getStatistics()).toMatchObject({ inUse: 0, queued: 0 });
  });

  it('index batches: partial when full, wraps around many times, every index once', () => {
    const pool = makePool({ packetCount: 64, bufferCount: 64 });
    const q = IOUserNetworkRxCompletionQueue.Create(pool, null, 16, 0);
    const batch = new Uint32Array(24);
    const out = new Uint32Array(32);
    for (let round = 0; round < 50; round++) {
      expect(pool.allocatePacketIndices(batch)).toBe(24);
      expect(q.enqueuePacketIndices(batch)).toBe(16); // the queue holds 16
      expect(q.getCount()).toBe(16);
      expect(() => q.EnqueuePacket(pool.newPacket({ fPacketIndex: batch[16] }))).toThrow(/is full/);
      const got = q.dequeuePacketIndices(out);
      expect(got).toBe(16);
      expect(sorted(out.subarray(0, 16))).toEqual(sorted(batch.subarray(0, 16)));
      expect(q.enqueuePacketIndices(batch.subarray(16))).toBe(8);
      expect(q.dequeuePacketIndices(out, 8)).toBe(8);
      expect([...out.subarray(0, 8)]).toEqual([...batch.subarray(16)]);
      pool.deallocatePacketIndices(batch);
    }
    expect(pool.getStatistics()).toMatchObject({ inUse: 0, queued: 0 });
  });

  it('packet arrays: EnqueuePackets / DequeuePackets / enqueuePackets', () => {
    const pool = makePool();
    const q = IOUserNetworkTxCompletionQueue.Create(pool, null, 8, 0);
    const packets = pool.allocatePackets(10);
    expect(q.EnqueuePackets(packets)).toBe(8);
    const out: IOUserNetworkPacket[] = [];
    expect(q.DequeuePackets(out, 3)).toBe(3);
    expect(out).toEqual(packets.slice(0, 3));
    expect(q.DequeuePackets(out)).toBe(5);
    expect(out.slice(0, 5)).toEqual(packets.slice(3, 8));
    expectIOReturn(() => q.enqueuePackets(packets, 10), kIOReturnNoSpace, /queue 0 is full/);
    q.enqueuePackets(packets.slice(8));
    expect(q.DequeuePackets(out)).toBe(2);
    pool.deallocatePackets(packets);
  });

  it('a published packet can be enqueued by its owner (CAS path)', () => {
    const pool = makePool();
    const q = IOUserNetworkTxSubmissionQueue.Create(pool, null, 8, 0);
    const p = pool.allocatePacket()!;
    p.handOver(); // publishes
    q.EnqueuePacket(p);
    expect(q.DequeuePacket()).toBe(p);
    pool.deallocatePacket(p);
  });

  it('mixed unpublished and published batches keep their order and stop at the first refusal', () => {
    const pool = makePool();
    const q = IOUserNetworkTxSubmissionQueue.Create(pool, null, 16, 0);
    const packets = pool.allocatePackets(6);
    packets[1].handOver();
    packets[2].handOver();
    packets[5].handOver();
    const out: IOUserNetworkPacket[] = [];
    expect(q.EnqueuePackets(packets)).toBe(6);
    expect(q.DequeuePackets(out)).toBe(6);
    expect(out.slice(0, 6)).toEqual(packets);

    const indices = Uint32Array.from(packets, (p) => p.getPacketIndex());
    packets[0].handOver();
    packets[4].handOver();
    expect(q.enqueuePacketIndices(indices)).toBe(6);
    const outIndices = new Uint32Array(8);
    expect(q.dequeuePacketIndices(outIndices)).toBe(6);
    expect([...outIndices.subarray(0, 6)]).toEqual([...indices]);

    // A packet that is free (not held) in the middle: the ones before it go in, it and the rest
    // stay as they were (the last one still ours to free).
    const free = pool.allocatePacket()!;
    pool.deallocatePacket(free);
    expect(q.EnqueuePackets([packets[0], packets[1], free, packets[2]])).toBe(2);
    expect(q.enqueuePacketIndices(Uint32Array.of(indices[3], free.getPacketIndex(), indices[4]))).toBe(1);
    expect(q.enqueuePacketIndices(Uint32Array.of(indices[4], 0xffffffff, indices[5]))).toBe(1);
    expect(q.EnqueuePackets([packets[5], {} as IOUserNetworkPacket])).toBe(1);
    expect(q.getCount()).toBe(5);
    expect(pool.getStatistics().queued).toBe(5);
    pool.deallocatePacket(packets[2]); // not queued: still this thread's
    expect(q.DequeuePackets(out)).toBe(5);
    expect(out.slice(0, 5)).toEqual([packets[0], packets[1], packets[3], packets[4], packets[5]]);
    pool.deallocatePackets(out.slice(0, 5));
    expect(pool.getStatistics()).toMatchObject({ inUse: 0, queued: 0 });
    expect(q.getBadEntryCount()).toBe(0);
  });
});

describe('bad input', () => {
  it('refuses what this thread does not hold, foreign packets and non-arrays, changing nothing', () => {
    const pool = makePool();
    const other = makePool({}, 'other');
    const q = IOUserNetworkTxSubmissionQueue.Create(pool, null, 8, 0);
    const free = pool.allocatePacket()!;
    pool.deallocatePacket(free);
    expectIOReturn(() => q.EnqueuePacket(free), kIOReturnNotPermitted, /packet \d+ is not held by this thread/);
    expectIOReturn(() => q.EnqueuePacket(other.allocatePacket()!), kIOReturnBadArgument, /not a packet of this pool/);
    expectIOReturn(() => q.EnqueuePacket({ _index: 0, _m: 0 } as never), kIOReturnBadArgument);
    expectIOReturn(() => q.enqueuePacketIndices([1, 2] as never), kIOReturnBadArgument, /must be a Uint32Array/);
    const fake = { length: 1, 0: 1, [Symbol.toStringTag]: 'Uint32Array' };
    expectIOReturn(() => q.enqueuePacketIndices(fake as never), kIOReturnBadArgument, /must be a Uint32Array/);
    expectIOReturn(() => q.enqueuePacketIndices(new Uint32Array(2), 3), kIOReturnBadArgument, /count must be/);
    expectIOReturn(() => q.dequeuePacketIndices(new Int32Array(2) as never), kIOReturnBadArgument);
    expect(q.getCount()).toBe(0);
  });

  it('stops a batch at an entry listed twice: the first copy is enqueued, the second is not', () => {
    const pool = makePool();
    const q = IOUserNetworkTxSubmissionQueue.Create(pool, null, 8, 0);
    const idx = new Uint32Array(2);
    pool.allocatePacketIndices(idx);
    const twice = new Uint32Array([idx[0], idx[1], idx[0]]);
    expect(q.enqueuePacketIndices(twice)).toBe(2);
    const out = new Uint32Array(4);
    expect(q.dequeuePacketIndices(out)).toBe(2);
    pool.deallocatePacketIndices(out, 2);
    expect(pool.getStatistics().inUse).toBe(0);
  });

  it('after the pool is released every call says so', () => {
    const pool = makePool();
    const q = IOUserNetworkTxSubmissionQueue.Create(pool, null, 8, 0);
    pool.release();
    expectIOReturn(() => q.DequeuePacket(), kIOReturnNotAttached);
    expectIOReturn(() => q.getCount(), kIOReturnNotAttached);
  });
});

describe('ends', () => {
  it('one thread per end; close() frees the end for another object', () => {
    const pool = makePool();
    const a = IOUserNetworkTxSubmissionQueue.Create(pool, null, 8, 0);
    const b = IOUserNetworkTxSubmissionQueue.Open(pool, 0);
    const p = pool.allocatePacket()!;
    a.EnqueuePacket(p);
    // Same thread: the end is bound to the thread, so a second object of it may use it too.
    expect(b.DequeuePacket()).toBe(p);
    b.close();
    expectIOReturn(() => b.DequeuePacket(), kIOReturnNotAttached, /closed/);
    pool.deallocatePacket(p);
  });
});

describe('destroy', () => {
  it('returns the packets still queued to the pool and frees the id', () => {
    const pool = makePool();
    const q = IOUserNetworkRxSubmissionQueue.Create(pool, null, 32, 5);
    const idx = new Uint32Array(20);
    pool.allocatePacketIndices(idx);
    q.enqueuePacketIndices(idx);
    expect(pool.getStatistics()).toMatchObject({ inUse: 20, queued: 20 });
    expect(q.destroy()).toBe(20);
    expect(pool.getStatistics()).toMatchObject({ inUse: 0, queued: 0 });
    expectIOReturn(() => IOUserNetworkRxSubmissionQueue.Open(pool, 5), kIOReturnNotFound);
    IOUserNetworkRxSubmissionQueue.Create(pool, null, 8, 5); // the id is free again
  });
});

describe('waiting', () => {
  it('waitForPackets resolves when a packet arrives, false on timeout, rejects on abort', async () => {
    const pool = makePool();
    const q = IOUserNetworkTxSubmissionQueue.Create(pool, null, 8, 0);
    await expect(q.waitForPackets({ timeout: 20 })).resolves.toBe(false);
    const ready = q.waitForPackets();
    const p = pool.allocatePacket()!;
    setTimeout(() => q.EnqueuePacket(p), 10);
    await expect(ready).resolves.toBe(true);
    expect(q.DequeuePacket()).toBe(p);
    const ac = new AbortController();
    const aborted = q.waitForPackets({ signal: ac.signal });
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ ioReturn: kIOReturnAborted });
    const closed = q.waitForPackets();
    q.close();
    await expect(closed).rejects.toMatchObject({ ioReturn: kIOReturnAborted });
    pool.deallocatePacket(p);
  });

  it('waitForPacketsSync returns at once when there are packets, false after its timeout', () => {
    const pool = makePool();
    const q = IOUserNetworkTxSubmissionQueue.Create(pool, null, 8, 0);
    const start = Date.now();
    expect(q.waitForPacketsSync(30)).toBe(false);
    expect(Date.now() - start).toBeGreaterThanOrEqual(25);
    const p = pool.allocatePacket()!;
    q.EnqueuePacket(p);
    expect(q.waitForPacketsSync(10_000)).toBe(true);
    expectIOReturn(() => q.waitForPacketsSync(-1), kIOReturnBadArgument, /timeoutMs/);
  });

  it('the dequeue action runs on the event loop for each arrival until cleared', async () => {
    const pool = makePool();
    const q = IOUserNetworkRxCompletionQueue.Create(pool, null, 8, 0);
    const seen: number[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    q.setDequeueAction((queue) => {
      for (let p = queue.DequeuePacket(); p !== null; p = queue.DequeuePacket()) {
        seen.push(p.getPacketIndex());
        pool.deallocatePacket(p);
      }
      if (seen.length >= 3) done();
    });
    for (let i = 0; i < 3; i++) {
      q.EnqueuePacket(pool.allocatePacket()!);
      await new Promise((r) => setTimeout(r, 5));
    }
    await finished;
    q.setDequeueAction(null);
    expect(seen).toHaveLength(3);
    expect(pool.getStatistics().inUse).toBe(0);
  });
});

describe('a scribbled queue', () => {
  it('refuses entries that do not name a queued packet, and reports impossible head/tail', () => {
    const pool = makePool();
    const q = IOUserNetworkTxSubmissionQueue.Create(pool, null, 8, 0);
    const md = pool.CopyMemoryDescriptor();
    const map = md.createMapping();
    const words = new Uint32Array(map.getBuffer().buffer, map.getBuffer().byteOffset);
    const p = pool.allocatePacket()!;
    q.EnqueuePacket(p);
    // Find the queue's words through the region: the entry we just wrote holds p's index.
    const head = words.findIndex(
      (w, i) =>
        w === 1 &&
        words[i + 32] === 0 &&
        words[i + 64] === 1 &&
        words[i + 66] === 8 &&
        words[i + 96] === p.getPacketIndex(),
    );
    expect(head).toBeGreaterThan(0);
    words[head] = 3; // claims three entries; two of them name packets that are not queued
    words[head + 96 + 1] = 0xffffff; // out of range
    const out = new Uint32Array(8);
    expect(q.dequeuePacketIndices(out)).toBe(1);
    expect(out[0]).toBe(p.getPacketIndex());
    expect(q.getBadEntryCount()).toBe(2);
    words[head] = 1000; // more than the capacity apart
    expectIOReturn(() => q.dequeuePacketIndices(out), kIOReturnIOError, /corrupt/);
    expectIOReturn(() => q.EnqueuePacket(p), kIOReturnIOError, /corrupt/);
    pool.deallocatePacket(p);
    md.release();
  });
});

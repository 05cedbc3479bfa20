/**
 * allocatePacketAsync across threads: a wait resolved by a deallocation in another worker, several
 * waiters served in order, a wait aborted by its signal or by releasing the pool, and a process
 * whose only pending work was an aborted wait exiting on its own.
 */
import {
  IOReturnError,
  IOUserNetworkPacketBufferPool,
  kIOReturnAborted,
  kIOReturnBadArgument,
  kIOReturnNotAttached,
} from '../../../lib';
import {
  CommandWorker,
  expectBalanced,
  Message,
  runNode,
  startCommandWorker,
  terminateWorkers,
} from '../support/workers';

jest.setTimeout(60_000);

const PACKETS = 16;
let pool: IOUserNetworkPacketBufferPool;
let worker: CommandWorker;
/** Packets the worker took: all of them, so the main thread can only get what it frees. */
let held: number[];

beforeEach(async () => {
  pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'async', {
    packetCount: PACKETS,
    bufferCount: PACKETS,
    bufferSize: 64,
    cacheSize: 4,
  });
  worker = await startCommandWorker(pool.createHandle());
  held = await worker.call<number[]>('allocate', { count: PACKETS });
  expect(held).toHaveLength(PACKETS);
});

afterEach(async () => {
  await worker.call('release');
  await worker.call('exit');
  await worker.result.catch(() => undefined);
  pool.release();
});
// After the hook above (hooks of one block run in order): a worker it could not stop dies here.
afterEach(terminateWorkers);

/** A few event-loop turns: long enough for a wrongly resolved promise to have settled. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Whether the promise has settled yet (without waiting for it). */
async function isPending(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending');
  await settle();
  const first = await Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    Promise.resolve(marker),
  ]);
  return first === marker;
}

async function expectAborted(promise: Promise<unknown>): Promise<void> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IOReturnError);
  expect(err).toMatchObject({ code: 'kIOReturnAborted', ioReturn: kIOReturnAborted });
}

it("resolves with the packet another worker deallocates, which is then this thread's", async () => {
  const waiting = pool.allocatePacketAsync();
  expect(await isPending(waiting)).toBe(true);

  const freed = held.pop()!;
  await worker.call('deallocate', { index: freed });
  const packet = await waiting;
  expect(packet.getPacketIndex()).toBe(freed);
  const n = packet.getBuffer().write('mine now', packet.getDataOffset());
  packet.setDataLength(n);
  expect(packet.getData().toString()).toBe('mine now');
  const stats = pool.getStatistics();
  expect(stats).toMatchObject({ allocations: PACKETS + 1, deallocations: 1, inUse: PACKETS });
  expectBalanced(stats);
});

it('resolves a wait in a worker when the main thread frees a packet', async () => {
  const resolved = worker.next('async');
  await worker.call('allocateAsync', { tag: 'w' });
  // Take one of the worker's packets over, then free it from here.
  const packet = pool.newPacket({ fPacketIndex: held[0] });
  pool.deallocatePacket(packet);
  const message = (await resolved) as Message & { index?: number };
  expect(message).toMatchObject({ tag: 'w', index: held[0] });
});

it('serves several waiters in the order they started waiting', async () => {
  const order: number[] = [];
  const waits = [0, 1, 2].map((i) =>
    pool.allocatePacketAsync().then((p) => {
      order.push(i);
      return p.getPacketIndex();
    }),
  );
  expect(await isPending(waits[0])).toBe(true);

  const first = held.pop()!;
  await worker.call('deallocate', { index: first });
  expect(await waits[0]).toBe(first);
  expect(order).toEqual([0]);
  expect(await isPending(waits[1])).toBe(true);

  // Two at once, in one call: both remaining waiters, still in order.
  const two = [held.pop()!, held.pop()!];
  await worker.call('deallocateIndices', { indices: two });
  const rest = await Promise.all([waits[1], waits[2]]);
  expect(order).toEqual([0, 1, 2]);
  expect(rest.sort()).toEqual(two.sort());
});

describe('aborted by its signal', () => {
  it('rejects with kIOReturnAborted, and a packet freed afterwards stays free for others', async () => {
    const controller = new AbortController();
    const waiting = pool.allocatePacketAsync({ signal: controller.signal });
    expect(await isPending(waiting)).toBe(true);
    controller.abort();
    await expectAborted(waiting);

    const freed = held.pop()!;
    await worker.call('deallocate', { index: freed });
    await worker.call('flush');
    expect(pool.getFreePacketCount()).toBe(1);
    expect(pool.allocatePacket()!.getPacketIndex()).toBe(freed);
  });

  it('leaves the other waiters waiting; the next free packet goes to them', async () => {
    const controller = new AbortController();
    const aborted = pool.allocatePacketAsync({ signal: controller.signal });
    const other = pool.allocatePacketAsync();
    expect(await isPending(other)).toBe(true);
    controller.abort();
    await expectAborted(aborted);
    expect(await isPending(other)).toBe(true);

    const freed = held.pop()!;
    await worker.call('deallocate', { index: freed });
    expect((await other).getPacketIndex()).toBe(freed);
  });

  it('rejects at once for a signal that has already fired, and with kIOReturnBadArgument for a non-signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expectAborted(pool.allocatePacketAsync({ signal: controller.signal }));
    const bad = await pool.allocatePacketAsync({ signal: {} as AbortSignal }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(bad).toMatchObject({ code: 'kIOReturnBadArgument', ioReturn: kIOReturnBadArgument });
  });
});

it('rejects every waiter with kIOReturnAborted when the pool is released meanwhile; other threads carry on', async () => {
  const plain = pool.allocatePacketAsync();
  const withSignal = pool.allocatePacketAsync({ signal: new AbortController().signal });
  expect(await isPending(plain)).toBe(true);
  pool.release();
  await expectAborted(plain);
  await expectAborted(withSignal);
  const afterwards = await pool.allocatePacketAsync().then(
    () => null,
    (e: unknown) => e,
  );
  expect(afterwards).toMatchObject({ code: 'kIOReturnNotAttached', ioReturn: kIOReturnNotAttached });

  // The worker's attachment is untouched: it gives everything back and the books balance.
  await worker.call('deallocateIndices', { indices: held });
  const stats = await worker.call<ReturnType<IOUserNetworkPacketBufferPool['getStatistics']>>('stats');
  expect(stats).toMatchObject({ allocations: PACKETS, deallocations: PACKETS, inUse: 0, liveThreads: 1 });
  expectBalanced(stats);
});

describe('a process whose only pending work was a wait that ended', () => {
  it.each(['abort', 'abort-now', 'release'])('exits by itself (%s)', async (mode) => {
    const outcome = await runNode('async-exit.js', [mode], 20_000);
    // A leaked reference would keep it alive until the 20 s timeout kills it (signal SIGTERM).
    // Releasing the pool while holding its 8 packets says so, once (a process warning).
    const stderr =
      mode === 'release'
        ? expect.stringMatching(
            /^\(node:\d+\) \[PBP_RELEASED_HOLDING_PACKETS\] Warning: pool "async-exit" was released while this thread held 8 packets/,
          )
        : '';
    expect(outcome).toEqual({ code: 0, signal: null, stdout: 'kIOReturnAborted\nexit\n', stderr });
  });
});

describe("allocatePacketAsync's ref option", () => {
  it('ref: false lets the process exit with the wait pending', async () => {
    const outcome = await runNode('async-exit.js', ['unref'], 20_000);
    expect(outcome).toEqual({ code: 0, signal: null, stdout: 'exit\n', stderr: '' });
  });

  it("a ref: false wait beside an aborted ref'd one: the process exits once the ref'd one is gone", async () => {
    const outcome = await runNode('async-exit.js', ['unref-mixed'], 20_000);
    expect(outcome).toEqual({ code: 0, signal: null, stdout: 'ref: kIOReturnAborted\nexit\n', stderr: '' });
  });

  it('by default the wait keeps the process alive until a packet comes (the control)', async () => {
    const outcome = await runNode('async-exit.js', ['ref-control'], 20_000);
    expect(outcome).toEqual({ code: 0, signal: null, stdout: 'wait: resolved\nexit\n', stderr: '' });
  });
});

/**
 * A `shared: true` pool used by two processes at once: a child attaches through the memfd its
 * parent passes as fd 3, both allocate and deallocate concurrently, bytes written by one are read
 * by the other; and a child killed with SIGKILL while holding packets loses none of them:
 * the parent's reclaimPackets() brings them back.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

import { IOUserNetworkPacket, IOUserNetworkPacketBufferPool } from '../../../lib';
import {
  childExit,
  childMessage,
  expectBalanced,
  expectEveryIndexFreeOnce,
  FIXTURES,
  Message,
} from '../support/workers';

// The child's stamp and PRNG (fixtures are plain JS, shared by both sides of the test).
const { stamp, checkStamp, prng } = require('../fixtures/stamp') as {
  stamp(packet: IOUserNetworkPacket, owner: number, seq: number): void;
  checkStamp(packet: IOUserNetworkPacket, owner: number, seq: number, who: string): void;
  prng(seed: number): (bound: number) => number;
};

jest.setTimeout(60_000);

const PACKETS = 256;
const pools: IOUserNetworkPacketBufferPool[] = [];
const children: ChildProcess[] = [];
function makeSharedPool(name: string): IOUserNetworkPacketBufferPool {
  const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, name, {
    packetCount: PACKETS,
    bufferCount: PACKETS,
    bufferSize: 128,
    cacheSize: 16,
    shared: true,
  });
  pools.push(pool);
  return pool;
}
afterEach(() => {
  while (children.length > 0) {
    const child = children.pop()!;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  while (pools.length > 0) pools.pop()!.release();
});

/** Starts fixtures/shared-child.js with the pool's memfd as its fd 3 and an IPC channel. */
function startChild(
  pool: IOUserNetworkPacketBufferPool,
  args: Record<string, unknown>,
): { child: ChildProcess; stderr: () => string } {
  const handle = pool.createHandle();
  expect(handle.fd).toEqual(expect.any(Number));
  const child = spawn(process.execPath, [path.join(FIXTURES, 'shared-child.js'), JSON.stringify({ handle, ...args })], {
    stdio: ['ignore', 'ignore', 'pipe', handle.fd!, 'ipc'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, stderr: () => stderr };
}

function writeText(packet: IOUserNetworkPacket, text: string): void {
  const n = packet.getBuffer().write(text, packet.getDataOffset());
  packet.setDataLength(n);
}

/**
 * The parent's side of the concurrent test: the same stamped allocate/verify/deallocate cycles as
 * the child (owner 1 here, 2 there), in slices so that this process keeps serving IPC meanwhile.
 */
async function parentCycles(pool: IOUserNetworkPacketBufferPool, cycles: number, maxHold: number) {
  const held: IOUserNetworkPacket[] = [];
  const seqs: number[] = [];
  let seq = 0;
  let done = 0;
  let allocations = 0;
  let failedAllocations = 0;
  const next = prng(0x9e3779b9);
  while (done < cycles) {
    for (const end = Math.min(cycles, done + 5_000); done < end;) {
      const want = 1 + next(maxHold);
      while (held.length < want) {
        const packet = pool.allocatePacket();
        if (packet === null) {
          failedAllocations += 1;
          break;
        }
        allocations += 1;
        seq += 1;
        stamp(packet, 1, seq);
        held.push(packet);
        seqs.push(seq);
      }
      // The last round gives everything back.
      const k = done + held.length >= cycles ? held.length : held.length === 0 ? 0 : 1 + next(held.length);
      for (let j = 0; j < k; j++) giveBack();
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { allocations, deallocations: done, failedAllocations };

  function giveBack(): void {
    const packet = held.pop()!;
    checkStamp(packet, 1, seqs.pop()!, 'parent');
    pool.deallocatePacket(packet);
    done += 1;
  }
}

it('a child process attached through the memfd allocates and deallocates concurrently with the parent; each sees the bytes the other wrote', async () => {
  const CYCLES = 300_000;
  const pool = makeSharedPool('shared-concurrent');
  const x = pool.allocatePacket()!;
  writeText(x, 'hello from the parent');
  const { child, stderr } = startChild(pool, { mode: 'concurrent' });

  const attached = childMessage(child, 'attached');
  child.send({ kind: 'start', index: x.handOver() });
  const { read, y } = (await attached) as Message & { read: string; y: number };
  expect(read).toBe('hello from the parent');
  // The child's bytes, and the data length it set (metadata lives in the region too).
  expect(x.getData().toString()).toBe('hello from the child');
  const theirs = pool.newPacket({ fPacketIndex: y });
  expect(theirs.getData().toString()).toBe('packet of the child');
  pool.deallocatePacket(theirs);
  expect(pool.getStatistics().liveThreads).toBe(2);

  const result = childMessage(child, 'result');
  const exited = childExit(child);
  child.send({ kind: 'go', cycles: CYCLES, maxHold: 96 });
  const mine = await parentCycles(pool, CYCLES, 96);
  const childCounts = (await result) as Message & {
    allocations: number;
    deallocations: number;
    failedAllocations: number;
  };
  expect(await exited).toEqual({ code: 0, signal: null });
  expect(stderr()).toBe('');

  const stats = pool.getStatistics();
  expect(stats).toMatchObject({
    // + 1 each: the parent's packet x (freed by the child) and the child's y (freed here).
    allocations: mine.allocations + childCounts.allocations + 2,
    deallocations: mine.deallocations + childCounts.deallocations + 2,
    failedAllocations: mine.failedAllocations + childCounts.failedAllocations,
    inUse: 0,
    liveThreads: 1,
    deadThreads: 0,
    orphanedPackets: 0,
  });
  expectBalanced(stats);
  expectEveryIndexFreeOnce(pool);
});

it('a child killed with SIGKILL while holding packets: they show as orphaned and reclaimPackets() returns them', async () => {
  const HOLD = 20;
  const pool = makeSharedPool('shared-sigkill');
  const { child } = startChild(pool, { mode: 'hold', count: HOLD });
  const { indices } = (await childMessage(child, 'holding')) as Message & { indices: number[] };
  expect(indices).toHaveLength(HOLD);
  expect(pool.getStatistics()).toMatchObject({ liveThreads: 2, deadThreads: 0 });

  const exited = childExit(child);
  child.kill('SIGKILL');
  expect(await exited).toEqual({ code: null, signal: 'SIGKILL' });

  let stats = pool.getStatistics();
  expect(stats).toMatchObject({ liveThreads: 1, deadThreads: 1, orphanedPackets: HOLD });
  expect(pool.reclaimPackets()).toBe(HOLD);
  stats = pool.getStatistics();
  expect(stats).toMatchObject({
    // The dead process's counters are folded into the totals when its slot is reclaimed.
    allocations: HOLD,
    deallocations: 0,
    reclaimed: HOLD,
    inUse: 0,
    liveThreads: 1,
    deadThreads: 0,
    orphanedPackets: 0,
  });
  expectBalanced(stats);
  // Its cached free packets came back too: every index is free exactly once.
  expectEveryIndexFreeOnce(pool);
});

it('between a process dying and reclaimPackets(), the statistics stay consistent: counters do not go backwards and its cached free packets are not counted as in use', async () => {
  const HOLD = 20;
  const pool = makeSharedPool('shared-sigkill-stats');
  const { child } = startChild(pool, { mode: 'hold', count: HOLD });
  await childMessage(child, 'holding');
  const alive = pool.getStatistics();
  expect(alive).toMatchObject({ allocations: HOLD, inUse: HOLD, liveThreads: 2 });

  const exited = childExit(child);
  child.kill('SIGKILL');
  await exited;
  const dead = pool.getStatistics();
  // What a dead worker thread's slot shows (see worker-lifecycle.test.ts): its counters kept,
  // its held packets in use and orphaned, its free ones not lost.
  expect(dead).toMatchObject({ allocations: HOLD, inUse: HOLD, orphanedPackets: HOLD, deadThreads: 1 });
  expectBalanced(dead);
  expect(pool.reclaimPackets()).toBe(HOLD);
});

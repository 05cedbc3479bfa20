/**
 * The native call of the per-packet, refill/flush and index-batch paths
 * (native/addon/hot_calls.h) is a plain function bound to one attachment, told what to do through
 * two argument words, and reachable by anyone who digs it out of the pool object. Called directly
 * with a bad operation, bad arguments or scribbled words, or kept after release() or after its pool
 * object was collected, it answers with an IOReturnError and leaves the pool intact, never crashes.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import {
  IOUserNetworkPacketBufferPool,
  kIOReturnBadArgument,
  kIOReturnNotAttached,
  kIOReturnNotPermitted,
  kIOReturnOverrun,
} from '../lib';
import { binding } from '../lib/native';
import { expectIOReturn } from './helpers/io-return';
import { makePool, releasePools } from './helpers/pool';

afterEach(releasePools);

interface HotCall {
  call(array?: unknown): void;
  words: Uint32Array;
}
const hotCallOf = (pool: IOUserNetworkPacketBufferPool): HotCall => pool._native!.hotCall();
const ops = binding.hotOps;

/** Runs one operation through the words, returning words[1]. */
function run(hot: HotCall, op: number, arg: number, array?: unknown): number {
  hot.words[0] = op;
  hot.words[1] = arg;
  hot.call(array);
  return hot.words[1];
}

describe('the per-attachment native call, used directly', () => {
  it('allocOne / deallocOne pass the packet index through the second word', () => {
    const pool = makePool({ packetCount: 2, bufferCount: 2, cacheSize: 0 });
    const hot = hotCallOf(pool);
    const first = run(hot, ops.allocOne, 0);
    const second = run(hot, ops.allocOne, 0);
    expect([first, second].sort()).toEqual([0, 1]);
    expect(run(hot, ops.allocOne, 0)).toBe(ops.noPacket);
    expect(pool.getStatistics()).toEqual(expect.objectContaining({ inUse: 2, failedAllocations: 1 }));
    run(hot, ops.deallocOne, first);
    expect(pool.getFreePacketCount()).toBe(1);
  });

  it('a scribbled index is checked like any index: out of range, double free', () => {
    const pool = makePool({ packetCount: 4, bufferCount: 4, cacheSize: 0 });
    const hot = hotCallOf(pool);
    expectIOReturn(() => run(hot, ops.deallocOne, 4), kIOReturnBadArgument, /packet index 4 is out of range/);
    expectIOReturn(() => run(hot, ops.deallocOne, 0xffffffff), kIOReturnBadArgument, /4294967295/);
    expectIOReturn(() => run(hot, ops.deallocOne, 2), kIOReturnNotPermitted, /not allocated/);
    expect(pool.getFreePacketCount()).toBe(4);
    expect(pool.getStatistics().deallocations).toBe(0);
  });

  it('refuses an unknown operation, a missing or wrong array and a count beyond it', () => {
    const pool = makePool({ cacheSize: 8 });
    const hot = hotCallOf(pool);
    expectIOReturn(() => run(hot, 0, 0), kIOReturnBadArgument, /unknown operation 0/);
    expectIOReturn(() => run(hot, 99, 0), kIOReturnBadArgument, /unknown operation 99/);
    expectIOReturn(() => run(hot, ops.allocIndices, 1, [1, 2]), kIOReturnBadArgument, /out must be a Uint32Array/);
    expectIOReturn(
      () => run(hot, ops.allocIndices, 1, new Int32Array(2)),
      kIOReturnBadArgument,
      /out must be a Uint32Array/,
    );
    expectIOReturn(() => run(hot, ops.allocIndices, 3, new Uint32Array(2)), kIOReturnOverrun, /count 3 exceeds .* 2/);
    expectIOReturn(() => run(hot, ops.deallocIndices, 0), kIOReturnBadArgument, /indices must be a Uint32Array/);
    expectIOReturn(() => run(hot, ops.deallocIndices, 5, new Uint32Array(4)), kIOReturnOverrun, /count 5/);
    // A flush asked to keep more than the cache holds keeps what there is.
    expect(run(hot, ops.flush, 0xffffffff)).toBe(0);
    expect(pool.getStatistics()).toEqual(expect.objectContaining({ inUse: 0, allocations: 0 }));
  });

  it('answers kIOReturnNotAttached once the pool is released, for every operation', () => {
    const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'kept-call', {
      packetCount: 8,
      bufferCount: 8,
      bufferSize: 256,
      cacheSize: 0,
    });
    const hot = hotCallOf(pool);
    pool.release();
    for (const op of [ops.allocOne, ops.deallocOne, ops.refill, ops.flush, ops.allocIndices, ops.deallocIndices]) {
      expectIOReturn(() => run(hot, op, 0, new Uint32Array(1)), kIOReturnNotAttached, /released/);
    }
  });

  it('a call kept after the pool object was collected (never released) answers kIOReturnNotAttached', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const hot = (() => {
      const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'dropped', {
        packetCount: 8,
        bufferCount: 8,
        bufferSize: 256,
        cacheSize: 0,
      });
      return hotCallOf(pool);
    })();
    const deadline = Date.now() + 10_000;
    let outcome = 'attached';
    while (outcome === 'attached' && Date.now() < deadline) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
      try {
        run(hot, ops.refill, 0);
      } catch (err) {
        outcome = (err as Error).message;
      }
    }
    expect(outcome).toMatch(/released/);
    expectIOReturn(() => run(hot, ops.allocOne, 0), kIOReturnNotAttached);
  });
});

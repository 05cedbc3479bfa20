/**
 * The small calls a tool author reaches for: hasVlanTag, timestamps as plain
 * numbers, the data of chained packets as segments and copies, the -1 threadId hint, taking back
 * packets handed over to a thread that died, and the warning of a release() that leaks packets.
 * (allocatePacketAsync's `ref: false` needs a process of its own: test/slow/sharing/async.test.ts.)
 */
import { kIOReturnBadArgument, kIOReturnNotFound, kIOReturnNotPermitted, kIOReturnOverrun } from '../lib';
import { expectIOReturn } from './helpers/io-return';
import { makePool, releasePools } from './helpers/pool';

afterEach(releasePools);

// First in the file: the warning comes once per process (module instance), and the afterEach of
// later tests releases pools that still hold packets.
describe('release() while holding packets', () => {
  it('emits one process warning naming the pool and the count; none while nothing is held', () => {
    const emit = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const clean = makePool({}, 'clean');
      clean.deallocatePacket(clean.allocatePacket()!);
      clean.release();
      expect(emit).not.toHaveBeenCalled();
      const leaky = makePool({}, 'leaky');
      leaky.allocatePackets(3);
      leaky.release();
      leaky.release(); // idempotent
      const again = makePool({}, 'again');
      again.allocatePacket();
      again.release(); // once per process: not again
      expect(emit.mock.calls).toEqual([
        [
          expect.stringContaining('pool "leaky" was released while this thread held 3 packets'),
          { code: 'PBP_RELEASED_HOLDING_PACKETS' },
        ],
      ]);
    } finally {
      emit.mockRestore();
    }
  });
});

describe('hasVlanTag', () => {
  it('tells whether getVlanTag would throw; the tag is the full 802.1Q TCI', () => {
    const p = makePool().allocatePacket()!;
    expect(p.hasVlanTag()).toBe(false);
    expectIOReturn(() => p.getVlanTag(), kIOReturnNotFound);
    const tci = (5 << 13) | (1 << 12) | 100; // PCP 5, DEI 1, VLAN id 100
    p.setVlanTag(tci);
    expect(p.hasVlanTag()).toBe(true);
    expect(p.getVlanTag()).toBe(tci);
    expect([p.getVlanTag() >> 13, (p.getVlanTag() >> 12) & 1, p.getVlanTag() & 0xfff]).toEqual([5, 1, 100]);
    p.clearVlanTag();
    expect(p.hasVlanTag()).toBe(false);
  });
});

describe('timestamps as numbers', () => {
  it('setTimestamp(number) and getTimestampNumber() agree with the bigint forms, across the 32-bit boundary', () => {
    const p = makePool().allocatePacket()!;
    expect(p.getTimestampNumber()).toBe(0);
    for (const t of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 123_456_789_012_345, Number.MAX_SAFE_INTEGER]) {
      p.setTimestamp(t);
      expect({ t, n: p.getTimestampNumber(), b: p.getTimestamp() }).toEqual({ t, n: t, b: BigInt(t) });
    }
    // A bigint beyond 2^53 reads back exactly as a bigint, rounded as a number.
    const wallClock = 1_700_000_000_123_456_789n;
    p.setTimestamp(wallClock);
    expect(p.getTimestamp()).toBe(wallClock);
    expect(p.getTimestampNumber()).toBe(Number(wallClock));
    p.clearTimestamp();
    expect(p.getTimestampNumber()).toBe(0);
  });

  it.each([[-1], [1.5], [2 ** 53], [NaN], ['5']])(
    'setTimestamp(%p) is kIOReturnBadArgument and changes nothing',
    (t) => {
      const p = makePool().allocatePacket()!;
      p.setTimestamp(7);
      expectIOReturn(() => p.setTimestamp(t as number), kIOReturnBadArgument, 'timestamp');
      expect(p.getTimestamp()).toBe(7n);
    },
  );
});

describe('data across chained buffers', () => {
  const SIZE = 64;
  function chained(): ReturnType<ReturnType<typeof makePool>['allocatePacket']> & object {
    const pool = makePool({ packetCount: 4, bufferCount: 12, bufferSize: SIZE, maxBuffersPerPacket: 3, headroom: 16 });
    const p = pool.allocatePacket()!;
    p.addBuffer();
    p.addBuffer();
    return p;
  }
  const pattern = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff));

  it('writeData / readData copy across buffer edges; getDataSegments is the iovec list of the window', () => {
    const p = chained();
    const bytes = pattern(150); // 16..166: 48 bytes in buffer 0, 64 in buffer 1, 38 in buffer 2
    p.append(bytes.length);
    p.writeData(bytes);

    const segments = p.getDataSegments();
    expect(segments.map((s) => s.length)).toEqual([48, 64, 38]);
    expect(Buffer.concat(segments)).toEqual(bytes);
    // The segments are views of the packet's buffers, not copies.
    expect(segments[1].buffer).toBe(p.getBufferAt(1).buffer);
    expect(segments[1].byteOffset).toBe(p.getBufferAt(1).byteOffset);

    const out = Buffer.alloc(200);
    expect(p.readData(out)).toBe(150);
    expect(out.subarray(0, 150)).toEqual(bytes);
    const middle = Buffer.alloc(20);
    expect(p.readData(middle, 40)).toBe(20); // straddles buffers 0 and 1
    expect(middle).toEqual(bytes.subarray(40, 60));
    expect(p.readData(Buffer.alloc(10), 145)).toBe(5);
    expect(p.readData(Buffer.alloc(10), 150)).toBe(0);

    p.writeData(Buffer.from('edge'), 46); // 2 bytes in buffer 0, 2 in buffer 1
    expect(p.getBufferAt(0).subarray(62, 64).toString()).toBe('ed');
    expect(p.getBufferAt(1).subarray(0, 2).toString()).toBe('ge');
  });

  it('an empty window has no segments; writes past the window and reads past the data are refused', () => {
    const p = chained();
    expect(p.getDataSegments()).toEqual([]);
    p.append(10);
    expectIOReturn(() => p.writeData(Buffer.alloc(11)), kIOReturnOverrun, '11 bytes at offset 0 run past the 10 bytes');
    expectIOReturn(() => p.writeData(Buffer.alloc(2), 9), kIOReturnOverrun, 'offset 9');
    expectIOReturn(() => p.readData(Buffer.alloc(1), 11), kIOReturnOverrun, 'offset 11');
    expectIOReturn(() => p.readData('x' as never), kIOReturnBadArgument, 'target must be a Uint8Array');
    expectIOReturn(() => p.writeData([1] as never), kIOReturnBadArgument, 'source must be a Uint8Array');
    expectIOReturn(() => p.readData(Buffer.alloc(1), -1), kIOReturnBadArgument, 'offset');
    expect(p.getDataLength()).toBe(10);
  });
});

describe('reclaiming', () => {
  it('reclaimPackets(-1) says why: worker.threadId reads -1 after exit', () => {
    const pool = makePool();
    expectIOReturn(
      () => pool.reclaimPackets(-1),
      kIOReturnBadArgument,
      /threadId -1: worker.threadId reads -1 once the worker has exited/,
    );
  });

  it('reclaimHandedOverPackets takes back only what this thread handed over and nobody took', () => {
    const pool = makePool();
    const kept = pool.allocatePacket()!;
    const handed = pool.allocatePackets(5);
    for (const p of handed) p.handOver();
    const indices = Uint32Array.from(handed.slice(3).map((p) => p.getPacketIndex()));
    pool.deallocatePacketIndices(indices); // two of them came back already
    expect(pool.reclaimHandedOverPackets()).toBe(3);
    expect(pool.reclaimHandedOverPackets()).toBe(0);
    const stats = pool.getStatistics();
    expect(stats).toMatchObject({ allocations: 6, deallocations: 5, inUse: 1 });
    kept.setDataLength(1); // still ours
    expectIOReturn(() => handed[0].getDataLength(), kIOReturnNotPermitted);
  });
});

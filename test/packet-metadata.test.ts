/**
 * IOUserNetworkPacket's metadata: fresh state (also after a previous owner set every field), the
 * data window, headroom, link header, timestamp and the optional fields, the Buffer views, and
 * range checks of every setter (a refused value leaves the packet unchanged).
 */
import {
  IOUserNetworkPacket,
  IOUserNetworkPacketBufferPool,
  IOUserNetworkPacketDirection,
  kIOReturnBadArgument,
  kIOReturnNotFound,
  kIOReturnNotPermitted,
  kIOReturnOverrun,
} from '../lib';
import { expectIOReturn } from './helpers/io-return';
import { cacheModes, makePool, range, releasePools } from './helpers/pool';

afterEach(releasePools);

/** Every readable field of a packet, for before/after comparisons. */
function snapshot(p: IOUserNetworkPacket) {
  let vlan: number | null = null;
  try {
    vlan = p.getVlanTag();
  } catch {
    vlan = null;
  }
  return {
    dataOffset: p.getDataOffset(),
    dataLength: p.getDataLength(),
    headroom: p.getHeadroom(),
    linkHeaderLength: p.getLinkHeaderLength(),
    direction: p.getDirection(),
    timestamp: p.getTimestamp(),
    hasTimestamp: p.hasTimestamp(),
    vlan,
    broadcast: p.isLinkBroadcast(),
    multicast: p.isLinkMulticast(),
    rxChecksum: p.getRxChecksumInfo(),
    serviceClass: p.getServiceClass(),
    traceId: p.getTraceID(),
    completionStatus: p.getCompletionStatus(),
    bufferCount: p.getBufferCount(),
  };
}

function fresh(headroom: number) {
  return {
    dataOffset: headroom,
    dataLength: 0,
    headroom,
    linkHeaderLength: 0,
    direction: IOUserNetworkPacketDirection.None,
    timestamp: 0n,
    hasTimestamp: false,
    vlan: null,
    broadcast: false,
    multicast: false,
    rxChecksum: { flags: 0, value: 0 },
    serviceClass: 0,
    traceId: 0,
    completionStatus: 0,
    bufferCount: 1,
  };
}

/** Sets every field to a non-default value, as a previous owner might. */
function dirty(p: IOUserNetworkPacket, i: number): void {
  p.setHeadroom(40 + (i % 7));
  p.setDataOffsetAndLength(50 + (i % 3), 100 + i);
  p.setLinkHeaderLength(14);
  p.setDirection(i % 2 ? IOUserNetworkPacketDirection.Rx : IOUserNetworkPacketDirection.Tx);
  p.setTimestamp(1_700_000_000_000_000_000n + BigInt(i));
  p.setVlanTag(100 + i);
  p.setIsLinkBroadcast(true);
  p.setIsLinkMulticast(true);
  p.setRxChecksumInfo(3, 0xbeef);
  p.setServiceClass(7);
  p.setTraceID(0xdeadbeef);
  p.setCompletionStatus(0xe00002bc);
  p.getBuffer().fill(0x5a);
}

describe('fresh packets', () => {
  it('come with offset = headroom, length 0, direction None, no timestamp, no VLAN', () => {
    const pool = makePool({ headroom: 16 });
    const p = pool.allocatePacket()!;
    expect(snapshot(p)).toEqual(fresh(16));
    expectIOReturn(() => p.getVlanTag(), kIOReturnNotFound);
  });

  it('headroom defaults to 0', () => {
    const pool = makePool();
    expect(snapshot(pool.allocatePacket()!)).toEqual(fresh(0));
  });

  // Three ways a slot is handed out: the JS cache, the core's single allocation (cacheSize 0), and
  // the core's batch allocation. Each must reset what the previous owner left behind.
  describe.each([
    ...cacheModes.map(
      ([label, o]) =>
        [
          `allocatePacket, ${label}`,
          o,
          (pool: IOUserNetworkPacketBufferPool) => {
            const out: IOUserNetworkPacket[] = [];
            for (let p = pool.allocatePacket(); p; p = pool.allocatePacket()) out.push(p);
            return out;
          },
        ] as const,
    ),
    [
      'allocatePackets',
      {},
      (pool: IOUserNetworkPacketBufferPool) => pool.allocatePackets(pool.getPacketCount()),
    ] as const,
    [
      'allocatePacketIndices + newPacket',
      {},
      (pool: IOUserNetworkPacketBufferPool) => {
        const out = new Uint32Array(pool.getPacketCount());
        const n = pool.allocatePacketIndices(out);
        return [...out.subarray(0, n)].map((i) => pool.newPacket({ fPacketIndex: i }));
      },
    ] as const,
  ])('after a previous owner set every field (%s)', (_label, overrides, takeAll) => {
    it('every packet comes back fresh', () => {
      const pool = makePool({ ...overrides, packetCount: 32, bufferCount: 32, headroom: 8 });
      // Dirty every slot, give them all back (one by one, so the JS cache is used), take all again.
      const first = pool.allocatePackets(32);
      expect(first).toHaveLength(32);
      first.forEach(dirty);
      for (const p of first) pool.deallocatePacket(p);
      const again = takeAll(pool);
      expect(again).toHaveLength(32);
      for (const p of again) {
        expect(snapshot(p)).toEqual(fresh(8));
        expectIOReturn(() => p.getVlanTag(), kIOReturnNotFound);
      }
    });
  });
});

describe('data window', () => {
  it('setDataOffsetAndLength / setDataOffset / setDataLength', () => {
    const p = makePool().allocatePacket()!;
    p.setDataOffsetAndLength(10, 100);
    expect([p.getDataOffset(), p.getDataLength()]).toEqual([10, 100]);
    p.setDataOffset(20);
    expect([p.getDataOffset(), p.getDataLength()]).toEqual([20, 100]);
    p.setDataLength(236); // exactly to the end of the 256-byte buffer
    expect(p.getDataLength()).toBe(236);
    p.setDataOffsetAndLength(256, 0); // an empty window at the very end is allowed
    expect([p.getDataOffset(), p.getDataLength()]).toEqual([256, 0]);
  });

  it('the newer names getDataOff / setDataOff / setDataOffAndLen', () => {
    const p = makePool().allocatePacket()!;
    p.setDataOffAndLen(4, 8);
    expect([p.getDataOff(), p.getDataLength()]).toEqual([4, 8]);
    p.setDataOff(6);
    expect([p.getDataOffset(), p.getDataOff()]).toEqual([6, 6]);
  });

  it('the deprecated capitalised getters and setters', () => {
    const p = makePool().allocatePacket()!;
    p.SetDataOffset(12);
    p.SetDataLength(30);
    p.SetHeadroom(9);
    p.SetLinkHeaderLength(14);
    expect([p.GetDataOffset(), p.GetDataLength(), p.GetHeadroom(), p.GetLinkHeaderLength()]).toEqual([12, 30, 9, 14]);
    expect([p.getDataOffset(), p.getDataLength(), p.getHeadroom(), p.getLinkHeaderLength()]).toEqual([12, 30, 9, 14]);
    expect(p.GetMemorySegmentOffset()).toBe(p.getMemorySegmentOffset());
    expect(p.GetDataVirtualAddress()).toBe(p.getDataVirtualAddress());
    expect(p.GetDataIOVirtualAddress()).toBe(p.getDataIOVirtualAddress());
    expect(p.GetPacketBufferPool()).toBe(p.getPacketBufferPool());
  });

  it('headroom and link header length', () => {
    const p = makePool().allocatePacket()!;
    p.setHeadroom(255);
    expect(p.getHeadroom()).toBe(255);
    p.setLinkHeaderLength(14);
    expect(p.getLinkHeaderLength()).toBe(14);
  });
});

describe('metadata fields', () => {
  it('direction', () => {
    const p = makePool().allocatePacket()!;
    p.setDirection(IOUserNetworkPacketDirection.Tx);
    expect(p.getDirection()).toBe(IOUserNetworkPacketDirection.Tx);
    p.setDirection(IOUserNetworkPacketDirection.Rx);
    expect(p.getDirection()).toBe(IOUserNetworkPacketDirection.Rx);
    p.setDirection(IOUserNetworkPacketDirection.None);
    expect(p.getDirection()).toBe(IOUserNetworkPacketDirection.None);
  });

  it('timestamp: bigint and number, full 64 bits, clear', () => {
    const p = makePool().allocatePacket()!;
    p.setTimestamp(0xffff_ffff_ffff_ffffn);
    expect(p.getTimestamp()).toBe(0xffff_ffff_ffff_ffffn);
    p.setTimestamp(0x1_0000_0001n);
    expect(p.getTimestamp()).toBe(0x1_0000_0001n);
    p.setTimestamp(123_456);
    expect(p.getTimestamp()).toBe(123_456n);
    expect(p.hasTimestamp()).toBe(true);
    p.clearTimestamp();
    expect(p.getTimestamp()).toBe(0n);
    expect(p.hasTimestamp()).toBe(false);
    // A zero timestamp is still a timestamp.
    p.setTimestamp(0n);
    expect(p.hasTimestamp()).toBe(true);
  });

  it('VLAN tag: set, get, clear', () => {
    const p = makePool().allocatePacket()!;
    p.setVlanTag(0);
    expect(p.getVlanTag()).toBe(0);
    p.setVlanTag(0xffff);
    expect(p.getVlanTag()).toBe(0xffff);
    p.clearVlanTag();
    expectIOReturn(() => p.getVlanTag(), kIOReturnNotFound, String(p.getPacketIndex()));
  });

  it('link broadcast and multicast flags are independent', () => {
    const p = makePool().allocatePacket()!;
    p.setIsLinkMulticast(true);
    expect([p.isLinkBroadcast(), p.isLinkMulticast()]).toEqual([false, true]);
    p.setIsLinkBroadcast(true);
    expect([p.isLinkBroadcast(), p.isLinkMulticast()]).toEqual([true, true]);
    p.setIsLinkMulticast(false);
    expect([p.isLinkBroadcast(), p.isLinkMulticast()]).toEqual([true, false]);
  });

  it('rx checksum info, service class, trace id, completion status', () => {
    const p = makePool().allocatePacket()!;
    p.setRxChecksumInfo(0xffffffff, 0x1234);
    expect(p.getRxChecksumInfo()).toEqual({ flags: 0xffffffff, value: 0x1234 });
    p.setServiceClass(0x00400000);
    expect(p.getServiceClass()).toBe(0x00400000);
    p.setTraceID(0xffffffff);
    expect(p.getTraceID()).toBe(0xffffffff);
    p.setCompletionStatus(0xe00002eb);
    expect(p.getCompletionStatus()).toBe(0xe00002eb);
  });

  it('fields of one packet do not leak into its neighbours', () => {
    const pool = makePool();
    const [a, b, c] = pool.allocatePackets(3);
    dirty(b, 1);
    expect(snapshot(a)).toEqual(fresh(0));
    expect(snapshot(c)).toEqual(fresh(0));
  });
});

describe('identity and Buffer views', () => {
  it('getPacketIndex and getPacketBufferPool', () => {
    const pool = makePool();
    const packets = pool.allocatePackets(64);
    expect(packets.map((p) => p.getPacketIndex()).sort((x, y) => x - y)).toEqual(range(64));
    for (const p of packets) expect(p.getPacketBufferPool()).toBe(pool);
  });

  it('getBuffer covers the whole buffer and is the same Buffer every time, across reuse', () => {
    const pool = makePool({ cacheSize: 0, packetCount: 4, bufferCount: 4 });
    const p = pool.allocatePacket()!;
    const buffer = p.getBuffer();
    expect(Buffer.isBuffer(buffer)).toBe(true);
    expect(buffer.length).toBe(256);
    expect(p.getBuffer()).toBe(buffer);
    const index = p.getPacketIndex();
    pool.deallocatePacket(p);
    // With cacheSize 0 the ring is FIFO: drain until the same slot comes back.
    const again = pool.allocatePackets(4).find((q) => q.getPacketIndex() === index)!;
    expect(again.getBuffer()).toBe(buffer);
  });

  it('packet buffers do not overlap', () => {
    const pool = makePool();
    const packets = pool.allocatePackets(64);
    packets.forEach((p, i) => p.getBuffer().fill(i));
    packets.forEach((p, i) => expect(p.getBuffer().every((byte) => byte === i)).toBe(true));
  });

  it('getData is the data window of getBuffer', () => {
    const p = makePool().allocatePacket()!;
    p.setDataOffsetAndLength(30, 5);
    const data = p.getData();
    expect(data.length).toBe(5);
    data.set([1, 2, 3, 4, 5]);
    expect([...p.getBuffer().subarray(30, 35)]).toEqual([1, 2, 3, 4, 5]);
    p.getBuffer()[32] = 99;
    expect(data[2]).toBe(99);
    p.setDataLength(0);
    expect(p.getData().length).toBe(0);
  });

  it('accessors of a packet that was given back throw kIOReturnNotPermitted', () => {
    const pool = makePool();
    const p = pool.allocatePacket()!;
    pool.deallocatePacket(p);
    expectIOReturn(() => p.getDataLength(), kIOReturnNotPermitted, String(p.getPacketIndex()));
    expectIOReturn(() => p.setDataLength(1), kIOReturnNotPermitted);
    expectIOReturn(() => p.getBuffer(), kIOReturnNotPermitted);
    expectIOReturn(() => p.setTimestamp(1n), kIOReturnNotPermitted);
  });
});

describe('setters refuse out-of-range values and leave the packet unchanged', () => {
  // bufferSize 64 so headroom (uint8) can exceed it; data offset 0, length 0 to start with.
  type Case = [string, (p: IOUserNetworkPacket) => void, number, string];
  const bad = kIOReturnBadArgument;
  const over = kIOReturnOverrun;
  const cases: Case[] = [
    ['setDataLength(-1)', (p) => p.setDataLength(-1), bad, '-1'],
    ['setDataLength(1.5)', (p) => p.setDataLength(1.5), bad, '1.5'],
    ['setDataLength(2^32)', (p) => p.setDataLength(2 ** 32), bad, '4294967296'],
    ['setDataLength(NaN)', (p) => p.setDataLength(NaN), bad, 'NaN'],
    ['setDataLength("8")', (p) => p.setDataLength('8' as never), bad, '"8"'],
    ['setDataLength(65) past the buffer', (p) => p.setDataLength(65), over, '65'],
    ['setDataOffset(-1)', (p) => p.setDataOffset(-1), bad, '-1'],
    ['setDataOffset(65536) beyond uint16', (p) => p.setDataOffset(65536), bad, '65536'],
    ['setDataOffset(0.5)', (p) => p.setDataOffset(0.5), bad, '0.5'],
    ['setDataOffset(65) past the buffer', (p) => p.setDataOffset(65), over, '65'],
    ['setDataOffsetAndLength(-1, 0)', (p) => p.setDataOffsetAndLength(-1, 0), bad, '-1'],
    ['setDataOffsetAndLength(0, -1)', (p) => p.setDataOffsetAndLength(0, -1), bad, '-1'],
    ['setDataOffsetAndLength(60, 5) past the buffer', (p) => p.setDataOffsetAndLength(60, 5), over, '60'],
    [
      'setDataOffsetAndLength(0, 2^32-1) past the buffer',
      (p) => p.setDataOffsetAndLength(0, 2 ** 32 - 1),
      over,
      '4294967295',
    ],
    ['setDataOffAndLen(64, 1) past the buffer', (p) => p.setDataOffAndLen(64, 1), over, '64'],
    ['setHeadroom(256) beyond uint8', (p) => p.setHeadroom(256), bad, '256'],
    ['setHeadroom(-1)', (p) => p.setHeadroom(-1), bad, '-1'],
    ['setHeadroom(1.5)', (p) => p.setHeadroom(1.5), bad, '1.5'],
    ['setHeadroom(64) = bufferSize', (p) => p.setHeadroom(64), over, '64'],
    ['setLinkHeaderLength(256) beyond uint8', (p) => p.setLinkHeaderLength(256), bad, '256'],
    ['setLinkHeaderLength(-1)', (p) => p.setLinkHeaderLength(-1), bad, '-1'],
    ['setLinkHeaderLength(65) past the buffer', (p) => p.setLinkHeaderLength(65), over, '65'],
    ['setVlanTag(65536) beyond uint16', (p) => p.setVlanTag(65536), bad, '65536'],
    ['setVlanTag(-1)', (p) => p.setVlanTag(-1), bad, '-1'],
    ['setTimestamp(-1)', (p) => p.setTimestamp(-1), bad, '-1'],
    ['setTimestamp(-1n)', (p) => p.setTimestamp(-1n), bad, '-1n'],
    ['setTimestamp(2^64)', (p) => p.setTimestamp(2n ** 64n), bad, '18446744073709551616n'],
    ['setTimestamp(1.5)', (p) => p.setTimestamp(1.5), bad, '1.5'],
    ['setTimestamp(2^53) unsafe number', (p) => p.setTimestamp(2 ** 53), bad, '9007199254740992'],
    ['setTimestamp("1")', (p) => p.setTimestamp('1' as never), bad, '"1"'],
    ['setTraceID(2^32)', (p) => p.setTraceID(2 ** 32), bad, '4294967296'],
    ['setServiceClass(-1)', (p) => p.setServiceClass(-1), bad, '-1'],
    ['setCompletionStatus(1.5)', (p) => p.setCompletionStatus(1.5), bad, '1.5'],
    ['setRxChecksumInfo(2^32, 0)', (p) => p.setRxChecksumInfo(2 ** 32, 0), bad, '4294967296'],
    ['setRxChecksumInfo(0, -1)', (p) => p.setRxChecksumInfo(0, -1), bad, '-1'],
    ['setDirection(3)', (p) => p.setDirection(3 as IOUserNetworkPacketDirection), bad, '3'],
    ['setDirection("Tx")', (p) => p.setDirection('Tx' as never), bad, '"Tx"'],
    ['setIsLinkMulticast(1)', (p) => p.setIsLinkMulticast(1 as never), bad, '1'],
    ['setIsLinkBroadcast("true")', (p) => p.setIsLinkBroadcast('true' as never), bad, '"true"'],
  ];

  it.each(cases)('%s', (_label, call, code, mention) => {
    const pool = makePool({ bufferSize: 64 });
    const p = pool.allocatePacket()!;
    p.setTimestamp(5n);
    p.setVlanTag(9);
    const before = snapshot(p);
    expectIOReturn(() => call(p), code, mention);
    expect(snapshot(p)).toEqual(before);
  });

  it('a window that fits after a smaller offset is accepted in either order', () => {
    const p = makePool({ bufferSize: 64 }).allocatePacket()!;
    p.setDataOffsetAndLength(60, 4);
    // Growing the length first would overrun; moving the offset first then growing works.
    expectIOReturn(() => p.setDataLength(5), kIOReturnOverrun);
    p.setDataOffset(0);
    p.setDataLength(64);
    expect([p.getDataOffset(), p.getDataLength()]).toEqual([0, 64]);
  });

  it('the largest buffer: offset 65535 + length 1 fits, + length 2 overruns', () => {
    const p = makePool({ packetCount: 1, bufferCount: 1, bufferSize: 65536 }).allocatePacket()!;
    p.setDataOffsetAndLength(65535, 1);
    expectIOReturn(() => p.setDataLength(2), kIOReturnOverrun, '65535');
    expect(p.getDataLength()).toBe(1);
  });
});

/**
 * Packets that chain more than one buffer (maxBuffersPerPacket > 1): addBuffer takes one of the
 * extra buffers (bufferCount - packetCount), getBufferAt reads the chain, and giving a packet back
 * returns its chained buffers (watched through getStatistics().freeBuffers).
 */
import { IOUserNetworkPacket, IOUserNetworkPacketBufferPool, kIOReturnBadArgument, kIOReturnOverrun } from '../lib';
import { expectIOReturn } from './helpers/io-return';
import { makePool, releasePools } from './helpers/pool';

afterEach(releasePools);

const BUFFER_SIZE = 128;
const EXTRA = 6;

/** 8 packets, 6 extra buffers, up to 3 buffers per packet. */
function chainPool(): IOUserNetworkPacketBufferPool {
  return makePool({ packetCount: 8, bufferCount: 8 + EXTRA, bufferSize: BUFFER_SIZE, maxBuffersPerPacket: 3 });
}

const freeBuffers = (pool: IOUserNetworkPacketBufferPool): number => pool.getStatistics().freeBuffers;

describe('addBuffer / getBufferAt / getBufferCount', () => {
  it('a fresh packet has one buffer and every extra buffer is free', () => {
    const pool = chainPool();
    const p = pool.allocatePacket()!;
    expect(p.getBufferCount()).toBe(1);
    expect(freeBuffers(pool)).toBe(EXTRA);
    expect(p.getBufferAt(0)).toBe(p.getBuffer());
  });

  it('addBuffer chains a bufferSize Buffer that getBufferAt returns', () => {
    const pool = chainPool();
    const p = pool.allocatePacket()!;
    const second = p.addBuffer();
    expect(second).not.toBeNull();
    expect(second!.length).toBe(BUFFER_SIZE);
    expect(p.getBufferCount()).toBe(2);
    expect(p.getBufferAt(1)).toBe(second);
    expect(freeBuffers(pool)).toBe(EXTRA - 1);

    const third = p.addBuffer()!;
    expect(p.getBufferCount()).toBe(3);
    expect(p.getBufferAt(2)).toBe(third);
    expect(freeBuffers(pool)).toBe(EXTRA - 2);
  });

  it('addBuffer returns null at maxBuffersPerPacket and takes nothing', () => {
    const pool = chainPool();
    const p = pool.allocatePacket()!;
    p.addBuffer();
    p.addBuffer();
    expect(p.addBuffer()).toBeNull();
    expect(p.getBufferCount()).toBe(3);
    expect(freeBuffers(pool)).toBe(EXTRA - 2);
  });

  it('addBuffer returns null when no extra buffer is free', () => {
    const pool = chainPool();
    const packets = pool.allocatePackets(4);
    for (const p of packets.slice(0, 3)) {
      expect(p.addBuffer()).not.toBeNull();
      expect(p.addBuffer()).not.toBeNull();
    }
    expect(freeBuffers(pool)).toBe(0);
    expect(packets[3].addBuffer()).toBeNull();
    expect(packets[3].getBufferCount()).toBe(1);
  });

  it('a pool without extra buffers, or with maxBuffersPerPacket 1, never chains', () => {
    const noExtra = makePool({ packetCount: 4, bufferCount: 4, maxBuffersPerPacket: 4 });
    expect(freeBuffers(noExtra)).toBe(0);
    expect(noExtra.allocatePacket()!.addBuffer()).toBeNull();

    const single = makePool({ packetCount: 4, bufferCount: 8, maxBuffersPerPacket: 1 });
    const p = single.allocatePacket()!;
    expect(p.addBuffer()).toBeNull();
    expect(p.getBufferCount()).toBe(1);
    expect(freeBuffers(single)).toBe(4);
  });

  it('chained buffers are distinct from each other and from every packet buffer', () => {
    const pool = chainPool();
    const packets = pool.allocatePackets(8);
    const views: Buffer[] = packets.map((p) => p.getBuffer());
    for (const p of packets.slice(0, 3)) views.push(p.addBuffer()!, p.addBuffer()!);
    expect(views).toHaveLength(8 + EXTRA);
    views.forEach((v, i) => v.fill(i + 1));
    views.forEach((v, i) => expect(v.every((byte) => byte === i + 1)).toBe(true));
  });

  it.each([[-1], [3], [1.5], ['1']])('getBufferAt(%p) outside the chain is refused', (i) => {
    const p = chainPool().allocatePacket()!;
    p.addBuffer();
    p.addBuffer();
    expectIOReturn(() => p.getBufferAt(i as number), kIOReturnBadArgument, 'has 3');
  });

  it('getBufferAt(1) on an unchained packet is refused', () => {
    const p = chainPool().allocatePacket()!;
    expectIOReturn(() => p.getBufferAt(1), kIOReturnBadArgument, '1');
  });
});

describe('the data window spans the chain', () => {
  it('offset + length may reach the end of the last chained buffer, not beyond', () => {
    const p = chainPool().allocatePacket()!;
    expectIOReturn(() => p.setDataOffsetAndLength(0, BUFFER_SIZE + 1), kIOReturnOverrun);
    p.addBuffer();
    p.setDataOffsetAndLength(0, 2 * BUFFER_SIZE);
    expect(p.getDataLength()).toBe(2 * BUFFER_SIZE);
    expectIOReturn(() => p.setDataLength(2 * BUFFER_SIZE + 1), kIOReturnOverrun);
    // getData covers only the part of the window in the first buffer.
    expect(p.getData().length).toBe(BUFFER_SIZE);
  });
});

describe('giving back a chained packet returns its buffers', () => {
  const ways: [string, (pool: IOUserNetworkPacketBufferPool, ps: IOUserNetworkPacket[]) => void][] = [
    ['deallocatePacket', (pool, ps) => ps.forEach((p) => pool.deallocatePacket(p))],
    ['DeallocatePacket', (pool, ps) => ps.forEach((p) => pool.DeallocatePacket(p))],
    ['deallocatePackets(array)', (pool, ps) => pool.deallocatePackets(ps)],
    [
      'deallocatePackets(Uint32Array)',
      (pool, ps) => pool.deallocatePackets(Uint32Array.from(ps.map((p) => p.getPacketIndex()))),
    ],
    [
      'deallocatePacketIndices',
      (pool, ps) => pool.deallocatePacketIndices(Uint32Array.from(ps.map((p) => p.getPacketIndex()))),
    ],
  ];

  describe.each([
    ['default cache', {}],
    ['cacheSize 0', { cacheSize: 0 }],
  ])('%s', (_label, overrides) => {
    it.each(ways)('%s', (_name, giveBack) => {
      const pool = makePool({
        packetCount: 8,
        bufferCount: 8 + EXTRA,
        bufferSize: BUFFER_SIZE,
        maxBuffersPerPacket: 3,
        ...overrides,
      });
      const packets = pool.allocatePackets(3);
      packets[0].addBuffer();
      packets[0].addBuffer();
      packets[2].addBuffer();
      expect(freeBuffers(pool)).toBe(EXTRA - 3);

      giveBack(pool, packets);
      expect(freeBuffers(pool)).toBe(EXTRA);
      expect(pool.getFreePacketCount()).toBe(8);

      // Every slot comes back with one buffer, and all extra buffers can be chained again.
      const again = pool.allocatePackets(8);
      expect(again).toHaveLength(8);
      for (const p of again) expect(p.getBufferCount()).toBe(1);
      let chained = 0;
      for (const p of again) while (p.addBuffer() !== null) chained++;
      expect(chained).toBe(EXTRA);
    });
  });

  it('a failed batch deallocation keeps the chains intact', () => {
    const pool = chainPool();
    const packets = pool.allocatePackets(2);
    packets[0].addBuffer();
    packets[1].addBuffer();
    const free = pool.allocatePacket()!;
    pool.deallocatePacket(free);
    expect(() => pool.deallocatePackets([packets[0], free, packets[1]])).toThrow();
    expect(packets.map((p) => p.getBufferCount())).toEqual([2, 2]);
    expect(freeBuffers(pool)).toBe(EXTRA - 2);
  });
});

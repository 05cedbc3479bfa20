/**
 * getStatistics / getFreePacketCount / flush: the counters add up after every kind of operation,
 * free packets are counted whether they sit in the shared ring or in this thread's cache, and the
 * high-water mark and failed-allocation counts follow what happened.
 */
import { IOUserNetworkPacket, IOUserNetworkPacketBufferPool } from '../lib';
import { cacheModes, makePool, releasePools } from './helpers/pool';

afterEach(releasePools);

/** The identities that must hold whenever no other thread is mid-operation. */
function expectConsistent(pool: IOUserNetworkPacketBufferPool, held: number): void {
  const s = pool.getStatistics();
  const free = pool.getFreePacketCount();
  expect(s.inUse).toBe(held);
  expect(s.allocations - s.deallocations - s.reclaimed).toBe(s.inUse);
  expect(free + s.inUse).toBe(pool.getPacketCount());
  expect(s.cached + s.freeInRing).toBe(free);
  expect(s.highWaterMark).toBeGreaterThanOrEqual(s.inUse);
  expect(s.highWaterMark).toBeLessThanOrEqual(pool.getPacketCount());
}

describe('a new pool', () => {
  it('starts with everything free and nothing counted', () => {
    const pool = makePool({ packetCount: 16, bufferCount: 20, maxBuffersPerPacket: 2 });
    expect(pool.getStatistics()).toEqual({
      allocations: 0,
      deallocations: 0,
      failedAllocations: 0,
      reclaimed: 0,
      inUse: 0,
      cached: 0,
      freeInRing: 16,
      highWaterMark: 0,
      liveThreads: 1,
      deadThreads: 0,
      orphanedPackets: 0,
      queued: 0,
      freeBuffers: 4,
    });
    expect(pool.getFreePacketCount()).toBe(16);
  });
});

describe.each(cacheModes)('counters add up (%s)', (_label, overrides) => {
  it('after every step of a mixed sequence', () => {
    const pool = makePool(overrides);
    const held: IOUserNetworkPacket[] = [];
    let allocations = 0;
    let deallocations = 0;
    const step = () => {
      expectConsistent(pool, held.length);
      const s = pool.getStatistics();
      expect([s.allocations, s.deallocations]).toEqual([allocations, deallocations]);
    };

    step();
    for (let i = 0; i < 10; i++) held.push(pool.allocatePacket()!);
    allocations += 10;
    step();
    const batch = pool.allocatePackets(20);
    held.push(...batch);
    allocations += 20;
    step();
    const indices = new Uint32Array(5);
    const got = pool.allocatePacketIndices(indices);
    for (const i of indices.subarray(0, got)) held.push(pool.newPacket({ fPacketIndex: i }));
    allocations += got;
    step();
    for (let i = 0; i < 7; i++) pool.deallocatePacket(held.pop()!);
    deallocations += 7;
    step();
    pool.DeallocatePacket(held.pop()!);
    deallocations += 1;
    step();
    pool.deallocatePackets(held.splice(0, 6));
    deallocations += 6;
    step();
    pool.DeallocatePackets(Uint32Array.from(held.splice(0, 4).map((p) => p.getPacketIndex())));
    deallocations += 4;
    step();
    pool.deallocatePacketIndices(Uint32Array.from(held.splice(0, 2).map((p) => p.getPacketIndex())));
    deallocations += 2;
    step();
    pool.flush();
    step();
    for (let p = pool.allocatePacket(); p; p = pool.allocatePacket()) {
      held.push(p);
      allocations += 1;
    }
    step();
    pool.deallocatePackets(held.splice(0));
    deallocations += allocations - deallocations;
    step();
    expect(pool.getFreePacketCount()).toBe(64);
  });

  it('refused operations count nothing', () => {
    const pool = makePool(overrides);
    const p = pool.allocatePacket()!;
    const q = pool.allocatePacket()!;
    pool.deallocatePacket(q);
    const before = pool.getStatistics();
    expect(() => pool.deallocatePacket(q)).toThrow(); // double free
    expect(() => pool.deallocatePackets([p, q])).toThrow(); // all or nothing
    expect(() => pool.deallocatePacket({} as IOUserNetworkPacket)).toThrow();
    expect(pool.getStatistics()).toEqual(before);
    expectConsistent(pool, 1);
  });
});

describe('failedAllocations', () => {
  it.each(cacheModes)('counts each allocatePacket that found the pool empty (%s)', (_label, overrides) => {
    const pool = makePool({ ...overrides, packetCount: 8, bufferCount: 8 });
    for (let i = 0; i < 8; i++) expect(pool.allocatePacket()).not.toBeNull();
    expect(pool.getStatistics().failedAllocations).toBe(0);
    expect(pool.allocatePacket()).toBeNull();
    expect(pool.allocatePacket()).toBeNull();
    expect(pool.allocatePacket()).toBeNull();
    expect(pool.getStatistics().failedAllocations).toBe(3);
    expectConsistent(pool, 8);
  });

  it('counts the packets a batch request could not get', () => {
    const pool = makePool({ packetCount: 8, bufferCount: 8, cacheSize: 0 });
    expect(pool.allocatePackets(5)).toHaveLength(5);
    expect(pool.allocatePackets(5)).toHaveLength(3);
    expect(pool.getStatistics().failedAllocations).toBe(2);
    expect(pool.allocatePacketIndices(new Uint32Array(4))).toBe(0);
    expect(pool.getStatistics().failedAllocations).toBe(6);
  });
});

describe('highWaterMark', () => {
  it('with cacheSize 0 it is the exact peak of packets in use', () => {
    const pool = makePool({ cacheSize: 0 });
    const a = pool.allocatePackets(5);
    pool.deallocatePackets(a.slice(0, 3));
    expect(pool.getStatistics().highWaterMark).toBe(5);
    const b = [pool.allocatePacket()!, pool.allocatePacket()!];
    expect(pool.getStatistics().highWaterMark).toBe(5);
    b.push(...pool.allocatePackets(3));
    expect(pool.getStatistics().inUse).toBe(7);
    expect(pool.getStatistics().highWaterMark).toBe(7);
    pool.deallocatePackets([...a.slice(3), ...b]);
    expect(pool.getStatistics().highWaterMark).toBe(7);
  });

  it('with a cache it is at least the peak in use and never more than packetCount', () => {
    const pool = makePool();
    const held = pool.allocatePackets(30);
    for (let i = 0; i < 5; i++) held.push(pool.allocatePacket()!);
    pool.deallocatePackets(held);
    const s = pool.getStatistics();
    expect(s.highWaterMark).toBeGreaterThanOrEqual(35);
    expect(s.highWaterMark).toBeLessThanOrEqual(64);
  });
});

describe('cached vs freeInRing', () => {
  it('with cacheSize 0 nothing is ever cached', () => {
    const pool = makePool({ cacheSize: 0 });
    const p = pool.allocatePacket()!;
    expect(pool.getStatistics().cached).toBe(0);
    pool.deallocatePacket(p);
    expect(pool.getStatistics()).toMatchObject({ cached: 0, freeInRing: 64 });
  });

  it('with a cache, single deallocations park packets in it and flush() returns them', () => {
    const pool = makePool({ cacheSize: 8 });
    const held = pool.allocatePackets(20);
    for (const p of held.slice(0, 3)) pool.deallocatePacket(p);
    let s = pool.getStatistics();
    expect(s.cached).toBe(3);
    expect(s.freeInRing).toBe(44);
    expect(pool.getFreePacketCount()).toBe(47);

    pool.flush();
    s = pool.getStatistics();
    expect(s.cached).toBe(0);
    expect(s.freeInRing).toBe(47);
    expect(pool.getFreePacketCount()).toBe(47);
  });

  it('the cache never holds more than cacheSize packets', () => {
    const pool = makePool({ cacheSize: 8 });
    const held = pool.allocatePackets(64);
    for (const p of held) {
      pool.deallocatePacket(p);
      expect(pool.getStatistics().cached).toBeLessThanOrEqual(8);
    }
    expectConsistent(pool, 0);
    // And allocating singly never takes more than cacheSize out of the ring at once.
    pool.flush();
    pool.allocatePacket();
    const s = pool.getStatistics();
    expect(s.cached).toBeLessThan(8);
    expect(s.freeInRing).toBeGreaterThanOrEqual(64 - 8);
  });

  it('the smallest non-zero cacheSize, 2, is honoured', () => {
    const pool = makePool({ cacheSize: 2 });
    pool.allocatePacket();
    const s = pool.getStatistics();
    expect(s.cached + s.freeInRing).toBe(63);
    expect(s.cached).toBeLessThanOrEqual(2);
  });
});

describe('freeBuffers', () => {
  it('counts extra buffers only', () => {
    expect(makePool({ packetCount: 8, bufferCount: 8 }).getStatistics().freeBuffers).toBe(0);
    expect(makePool({ packetCount: 8, bufferCount: 11, maxBuffersPerPacket: 2 }).getStatistics().freeBuffers).toBe(3);
  });
});

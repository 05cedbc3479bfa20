/**
 * Taking packets from a pool and giving them back, one at a time and in batches: exhaustion,
 * every index handed out exactly once, newPacket by index, and all-or-nothing batch deallocation.
 */
import {
  IOUserNetworkPacket,
  IOUserNetworkPacketBufferPool,
  kIOReturnBadArgument,
  kIOReturnNotPermitted,
  kIOUserNetworkNonBlocking,
} from '../lib';
import { expectIOReturn } from './helpers/io-return';
import { cacheModes, makePool, range, releasePools, sorted } from './helpers/pool';

afterEach(releasePools);

/** Allocates one at a time until the pool says empty. */
function drain(pool: IOUserNetworkPacketBufferPool): IOUserNetworkPacket[] {
  const held: IOUserNetworkPacket[] = [];
  for (let p = pool.allocatePacket(); p !== null; p = pool.allocatePacket()) held.push(p);
  return held;
}

const indicesOf = (packets: readonly IOUserNetworkPacket[]): number[] => packets.map((p) => p.getPacketIndex());

/** The state word of a packet this thread holds (its tag, + 0x80000000 once published). */
function stateWord(pool: IOUserNetworkPacketBufferPool, index: number): number {
  return (pool as unknown as { _u32: Uint32Array })._u32[pool.newPacket({ fPacketIndex: index })._m];
}

describe.each(cacheModes)('allocatePacket / deallocatePacket (%s)', (_label, overrides) => {
  it('hands out a packet of this pool and takes it back', () => {
    const pool = makePool(overrides);
    const packet = pool.allocatePacket(kIOUserNetworkNonBlocking);
    expect(packet).toBeInstanceOf(IOUserNetworkPacket);
    expect(packet!.getPacketBufferPool()).toBe(pool);
    expect(pool.getFreePacketCount()).toBe(63);
    pool.deallocatePacket(packet!);
    expect(pool.getFreePacketCount()).toBe(64);
  });

  it('exhaustion: all, then null, then one freed can be allocated again', () => {
    const pool = makePool(overrides);
    const held = drain(pool);
    expect(held).toHaveLength(64);
    expect(pool.allocatePacket()).toBeNull();
    expect(pool.allocatePacket()).toBeNull();
    expect(pool.getFreePacketCount()).toBe(0);

    const victim = held[17];
    pool.deallocatePacket(victim);
    const again = pool.allocatePacket();
    expect(again).not.toBeNull();
    expect(again!.getPacketIndex()).toBe(victim.getPacketIndex());
    expect(pool.allocatePacket()).toBeNull();
  });

  it('every index is handed out exactly once', () => {
    const pool = makePool(overrides);
    expect(sorted(indicesOf(drain(pool)))).toEqual(range(64));
  });

  it('every index exactly once after churn through cache and ring', () => {
    const pool = makePool(overrides);
    let held: IOUserNetworkPacket[] = [];
    // A fixed pattern of takes and gives (no randomness: a failure must reproduce) that fills
    // and empties the per-thread cache several times and mixes single and batch calls.
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 7 + (round % 5) * 3; i++) {
        const p = pool.allocatePacket();
        if (p) held.push(p);
      }
      held.push(...pool.allocatePackets(round % 4));
      const give = held.filter((_, i) => (i + round) % 3 !== 0);
      held = held.filter((_, i) => (i + round) % 3 === 0);
      if (round % 2) pool.deallocatePackets(give);
      else for (const p of give) pool.deallocatePacket(p);
    }
    held.push(...drain(pool));
    expect(sorted(indicesOf(held))).toEqual(range(64));
  });

  it('the deprecated DeallocatePacket gives the packet back', () => {
    const pool = makePool(overrides);
    const packet = pool.allocatePacket()!;
    pool.DeallocatePacket(packet);
    expect(pool.getFreePacketCount()).toBe(64);
    expectIOReturn(() => pool.deallocatePacket(packet), kIOReturnNotPermitted);
  });
});

describe('allocatePackets', () => {
  it('returns count packets with distinct indices', () => {
    const pool = makePool();
    const packets = pool.allocatePackets(20);
    expect(packets).toHaveLength(20);
    expect(new Set(indicesOf(packets)).size).toBe(20);
    expect(pool.getFreePacketCount()).toBe(44);
  });

  it('returns a shorter array when the pool runs low, then an empty one', () => {
    const pool = makePool({ packetCount: 16, bufferCount: 16, cacheSize: 0 });
    const first = pool.allocatePackets(10);
    const second = pool.allocatePackets(10);
    expect(first).toHaveLength(10);
    expect(second).toHaveLength(6);
    expect(pool.allocatePackets(1)).toEqual([]);
    expect(sorted(indicesOf([...first, ...second]))).toEqual(range(16));
  });

  it('allocatePackets(0) takes nothing', () => {
    const pool = makePool();
    expect(pool.allocatePackets(0)).toEqual([]);
    expect(pool.getFreePacketCount()).toBe(64);
  });

  it('fills and returns the `out` array it is given', () => {
    const pool = makePool();
    const out: IOUserNetworkPacket[] = [];
    expect(pool.allocatePackets(3, out)).toBe(out);
    expect(out).toHaveLength(3);
    pool.deallocatePackets(out);
    // A reused array is truncated to what this call got.
    expect(pool.allocatePackets(2, out)).toHaveLength(2);
  });

  // DriverKit's batch allocation: "possibly shorter when the pool runs low". Here the pool is not low: the
  // free packets just sit in this thread's cache after one single allocation.
  it("sees free packets parked in this thread's cache", () => {
    const pool = makePool(); // default cache
    const one = pool.allocatePacket()!;
    const free = pool.getFreePacketCount();
    expect(free).toBe(63);
    const rest = pool.allocatePackets(free);
    expect(rest).toHaveLength(free);
    expect(sorted(indicesOf([one, ...rest]))).toEqual(range(64));
  });

  it('packets from allocatePackets are the same objects allocatePacket hands out for a slot', () => {
    const pool = makePool({ cacheSize: 0 });
    const [p] = pool.allocatePackets(1);
    expect(pool.newPacket({ fPacketIndex: p.getPacketIndex() })).toBe(p);
    pool.deallocatePacket(p);
    const all = drain(pool);
    expect(all).toContain(p);
  });
});

describe('deallocatePackets / DeallocatePackets', () => {
  it.each([
    [
      'deallocatePackets',
      (pool: IOUserNetworkPacketBufferPool, ps: IOUserNetworkPacket[], n?: number) => pool.deallocatePackets(ps, n),
    ],
    [
      'DeallocatePackets',
      (pool: IOUserNetworkPacketBufferPool, ps: IOUserNetworkPacket[], n?: number) => pool.DeallocatePackets(ps, n),
    ],
  ])('%s gives back an array of packets, or its first `count`', (_name, dealloc) => {
    const pool = makePool();
    const packets = pool.allocatePackets(10);
    dealloc(pool, packets, 4);
    expect(pool.getFreePacketCount()).toBe(58);
    // The first four are free now, the other six still held.
    for (const p of packets.slice(0, 4)) expectIOReturn(() => p.getDataLength(), kIOReturnNotPermitted);
    for (const p of packets.slice(4)) expect(p.getDataLength()).toBe(0);
    dealloc(pool, packets.slice(4));
    expect(pool.getFreePacketCount()).toBe(64);
  });

  it.each([
    [
      'deallocatePackets',
      (pool: IOUserNetworkPacketBufferPool, ix: Uint32Array, n?: number) => pool.deallocatePackets(ix, n),
    ],
    [
      'DeallocatePackets',
      (pool: IOUserNetworkPacketBufferPool, ix: Uint32Array, n?: number) => pool.DeallocatePackets(ix, n),
    ],
  ])('%s takes a Uint32Array of indices, or its first `count`', (_name, dealloc) => {
    const pool = makePool();
    const packets = pool.allocatePackets(8);
    const indices = Uint32Array.from(indicesOf(packets));
    dealloc(pool, indices, 3);
    expect(pool.getFreePacketCount()).toBe(59);
    dealloc(pool, indices.subarray(3));
    expect(pool.getFreePacketCount()).toBe(64);
    expect(sorted(indicesOf(drain(pool)))).toEqual(range(64));
  });

  it('count beyond the array is refused', () => {
    const pool = makePool();
    const packets = pool.allocatePackets(2);
    expectIOReturn(() => pool.deallocatePackets(packets, 3), kIOReturnBadArgument, '3');
    expectIOReturn(() => pool.deallocatePackets(packets, -1), kIOReturnBadArgument, '-1');
    expectIOReturn(
      () => pool.deallocatePackets(Uint32Array.from(indicesOf(packets)), 1.5),
      kIOReturnBadArgument,
      '1.5',
    );
    expect(pool.getFreePacketCount()).toBe(62);
  });
});

describe('batch deallocation is all or nothing', () => {
  /** Asserts every packet is still held by trying an accessor, then gives them back one by one. */
  function expectAllStillHeld(pool: IOUserNetworkPacketBufferPool, packets: IOUserNetworkPacket[]): void {
    expect(pool.getFreePacketCount()).toBe(64 - packets.length);
    for (const p of packets) expect(p.getDataLength()).toBe(0);
    for (const p of packets) pool.deallocatePacket(p);
    expect(pool.getFreePacketCount()).toBe(64);
  }

  it('a plain object in the middle of the array frees nothing', () => {
    const pool = makePool();
    const packets = pool.allocatePackets(6);
    const batch = [...packets.slice(0, 3), {} as IOUserNetworkPacket, ...packets.slice(3)];
    expectIOReturn(() => pool.deallocatePackets(batch), kIOReturnBadArgument, 'packets[3]');
    expectAllStillHeld(pool, packets);
  });

  it('a packet of another pool in the middle frees nothing', () => {
    const pool = makePool();
    const other = makePool({}, 'other');
    const packets = pool.allocatePackets(6);
    const batch = [...packets.slice(0, 3), other.allocatePacket()!, ...packets.slice(3)];
    expectIOReturn(() => pool.deallocatePackets(batch), kIOReturnBadArgument, 'packets[3]');
    expectAllStillHeld(pool, packets);
  });

  it('an already-free packet in the middle frees nothing', () => {
    const pool = makePool();
    const packets = pool.allocatePackets(7);
    const freed = packets.splice(3, 1)[0];
    pool.deallocatePacket(freed);
    const batch = [...packets.slice(0, 3), freed, ...packets.slice(3)];
    expectIOReturn(() => pool.deallocatePackets(batch), kIOReturnNotPermitted, 'packets[3]');
    expectAllStillHeld(pool, packets);
  });

  it('the same packet twice in one batch frees nothing', () => {
    const pool = makePool();
    const packets = pool.allocatePackets(5);
    const batch = [...packets, packets[1]];
    expectIOReturn(() => pool.deallocatePackets(batch), kIOReturnNotPermitted, 'packets[5]');
    expectAllStillHeld(pool, packets);
  });

  it('an out-of-range index in the middle of a Uint32Array frees nothing', () => {
    const pool = makePool();
    const packets = pool.allocatePackets(6);
    const indices = Uint32Array.from([...indicesOf(packets.slice(0, 3)), 64, ...indicesOf(packets.slice(3))]);
    expectIOReturn(() => pool.deallocatePackets(indices), kIOReturnBadArgument, '64');
    expectIOReturn(() => pool.deallocatePacketIndices(indices), kIOReturnBadArgument, '64');
    expectAllStillHeld(pool, packets);
  });

  it('a free index in the middle of a Uint32Array frees nothing', () => {
    const pool = makePool({ cacheSize: 0 });
    const packets = pool.allocatePackets(6);
    const free = pool.allocatePacket()!;
    pool.deallocatePacket(free);
    const indices = Uint32Array.from([
      ...indicesOf(packets.slice(0, 3)),
      free.getPacketIndex(),
      ...indicesOf(packets.slice(3)),
    ]);
    expectIOReturn(() => pool.deallocatePacketIndices(indices), kIOReturnNotPermitted);
    expectAllStillHeld(pool, packets);
  });
});

describe('allocatePacketIndices / deallocatePacketIndices / newPacket', () => {
  it('moves packets by index, the way they cross between threads', () => {
    const pool = makePool();
    const out = new Uint32Array(10);
    expect(pool.allocatePacketIndices(out)).toBe(10);
    expect(new Set(out).size).toBe(10);
    expect(pool.getFreePacketCount()).toBe(54);

    const packets = [...out].map((i) => pool.newPacket({ fPacketIndex: i }));
    expect(indicesOf(packets)).toEqual([...out]);
    // newPacket gives the slot's one packet object, which starts fresh.
    expect(pool.newPacket({ fPacketIndex: out[0] })).toBe(packets[0]);
    expect(packets[0].getDataLength()).toBe(0);

    pool.deallocatePacketIndices(out, 4);
    expect(pool.getFreePacketCount()).toBe(58);
    pool.deallocatePacketIndices(out.subarray(4));
    expect(pool.getFreePacketCount()).toBe(64);
  });

  it('allocatePacketIndices returns how many it got when the pool runs low', () => {
    const pool = makePool({ packetCount: 8, bufferCount: 8, cacheSize: 0 });
    const out = new Uint32Array(12);
    expect(pool.allocatePacketIndices(out)).toBe(8);
    expect(sorted(out.subarray(0, 8))).toEqual(range(8));
    expect(pool.allocatePacketIndices(out)).toBe(0);
  });

  it('newPacket of a packet this thread holds returns the same object', () => {
    const pool = makePool();
    const p = pool.allocatePacket()!;
    expect(pool.newPacket({ fPacketIndex: p.getPacketIndex() })).toBe(p);
  });

  it('publishPacketIndices marks held packets as handed over; the owner still frees them, by index or object', () => {
    const pool = makePool();
    const out = new Uint32Array(6);
    expect(pool.allocatePacketIndices(out)).toBe(6);
    const stateOf = (index: number): number => stateWord(pool, index);
    const tag = stateOf(out[0]);
    expect(tag).toBeGreaterThan(0);
    expect(tag).toBeLessThan(0x80000000);

    pool.publishPacketIndices(out, 4);
    expect([...out].map(stateOf)).toEqual([0, 1, 2, 3].map(() => tag + 0x80000000).concat([tag, tag]));
    pool.publishPacketIndices(out, 4); // again: no change
    expect(stateOf(out[3])).toBe(tag + 0x80000000);

    // Freed by their owner: by index (a CAS each), and as an object.
    pool.deallocatePacketIndices(out, 3);
    pool.deallocatePacket(pool.newPacket({ fPacketIndex: out[3] }));
    expect(pool.getStatistics()).toMatchObject({ deallocations: 4, inUse: 2 });
    expect(stateOf(out[4])).toBe(tag);
    pool.deallocatePacketIndices(out.subarray(4));
    expect(pool.getFreePacketCount()).toBe(64);
    expectIOReturn(() => pool.deallocatePacketIndices(out, 1), kIOReturnNotPermitted);
  });

  it('getPacketIndex is a pure getter; handOver publishes the packet and returns the same index', () => {
    const pool = makePool();
    const p = pool.allocatePacket()!;
    const tag = stateWord(pool, p.getPacketIndex());
    for (let i = 0; i < 3; i++) expect(p.getPacketIndex()).toBe(p.getPacketIndex());
    expect(stateWord(pool, p.getPacketIndex())).toBe(tag); // reading the index changed nothing

    const index = p.handOver();
    expect(index).toBe(p.getPacketIndex());
    expect(stateWord(pool, index)).toBe(tag + 0x80000000);
    expect(p.handOver()).toBe(index); // again: no change
    expect(stateWord(pool, index)).toBe(tag + 0x80000000);
    pool.deallocatePacket(p); // the owner still frees it (a CAS)
    expect(pool.getStatistics()).toMatchObject({ deallocations: 1, inUse: 0 });

    // A free packet cannot be handed over; its index still reads.
    expectIOReturn(() => p.handOver(), kIOReturnNotPermitted, String(index));
    expect(p.getPacketIndex()).toBe(index);
  });

  it('publishPacketIndices is all or nothing and names the bad entry', () => {
    const pool = makePool();
    const out = new Uint32Array(3);
    pool.allocatePacketIndices(out);
    const free = pool.allocatePacket()!;
    const freeIndex = free.getPacketIndex();
    pool.deallocatePacket(free);
    const stateNow = (): number[] => [...out].map((i) => stateWord(pool, i));
    const before = stateNow();

    expectIOReturn(
      () => pool.publishPacketIndices(Uint32Array.of(out[0], freeIndex)),
      kIOReturnNotPermitted,
      'indices[1]',
    );
    expectIOReturn(() => pool.publishPacketIndices(Uint32Array.of(out[0], 64)), kIOReturnBadArgument, '64');
    expectIOReturn(() => pool.publishPacketIndices([out[0]] as never), kIOReturnBadArgument, 'Uint32Array');
    expectIOReturn(() => pool.publishPacketIndices(out, 4), kIOReturnBadArgument, 'count');
    expect(stateNow()).toEqual(before);
    pool.publishPacketIndices(out, 0); // nothing
    expect(stateNow()).toEqual(before);
    pool.deallocatePacketIndices(out);
    expect(pool.getFreePacketCount()).toBe(64);
  });

  it('newPacket refuses a free slot and bad indices', () => {
    const pool = makePool();
    const p = pool.allocatePacket()!;
    pool.deallocatePacket(p);
    expectIOReturn(() => pool.newPacket({ fPacketIndex: p.getPacketIndex() }), kIOReturnNotPermitted);
    expectIOReturn(() => pool.newPacket({ fPacketIndex: 64 }), kIOReturnBadArgument, '64');
    expectIOReturn(() => pool.newPacket({ fPacketIndex: -1 }), kIOReturnBadArgument, '-1');
    expectIOReturn(() => pool.newPacket({ fPacketIndex: 0.5 }), kIOReturnBadArgument, '0.5');
    expectIOReturn(() => pool.newPacket({} as never), kIOReturnBadArgument, 'undefined');
    expectIOReturn(() => pool.newPacket(null as never), kIOReturnBadArgument);
    expect(pool.getFreePacketCount()).toBe(64);
  });
});

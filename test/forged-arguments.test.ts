/**
 * Objects that pose as packets or index arrays: a Proxy of a real packet, a
 * packet made with `new` or Object.create, a plain object that calls itself a Uint32Array, a
 * Uint32Array whose `length` was redefined. Only the packet objects a pool made, and real
 * Uint32Arrays (of any realm), are accepted; the rest is kIOReturnBadArgument and changes nothing.
 */
import * as vm from 'node:vm';

import { IOUserNetworkPacket, IOUserNetworkPacketBufferPool, kIOReturnBadArgument } from '../lib';
import { expectIOReturn } from './helpers/io-return';
import { makePool, range, releasePools, sorted } from './helpers/pool';

afterEach(releasePools);

/** Every packet but `held` is free, and those are still held (and can be freed once). */
function expectIntact(pool: IOUserNetworkPacketBufferPool, held: IOUserNetworkPacket[]): void {
  expect(pool.getFreePacketCount()).toBe(64 - held.length);
  for (const p of held) expect(p.getDataLength()).toBe(0); // throws if it is not allocated
  pool.deallocatePackets(held);
  const all = pool.allocatePackets(64);
  expect(sorted(all.map((p) => p.getPacketIndex()))).toEqual(range(64));
  expect(pool.allocatePacket()).toBeNull();
  pool.deallocatePackets(all);
}

describe('packets the pool did not make', () => {
  it('`new IOUserNetworkPacket(pool, index, metaWord)` is kIOReturnBadArgument', () => {
    const pool = makePool();
    const held = pool.allocatePackets(2);
    const Ctor = IOUserNetworkPacket as unknown as new (...args: unknown[]) => IOUserNetworkPacket;
    expectIOReturn(
      () => new Ctor(pool, held[0].getPacketIndex(), held[0]._m),
      kIOReturnBadArgument,
      'come from their pool',
    );
    class Sub extends (IOUserNetworkPacket as unknown as new (...args: unknown[]) => object) {}
    expectIOReturn(() => new Sub(pool, 0, 0), kIOReturnBadArgument);
    expectIntact(pool, held);
  });

  it("one made with Object.create and a real packet's fields is refused and frees nothing", () => {
    const pool = makePool();
    const held = pool.allocatePackets(2);
    const fake = Object.assign(Object.create(IOUserNetworkPacket.prototype), {
      _pool: pool,
      _index: held[1]._index,
      _m: held[1]._m,
    }) as IOUserNetworkPacket;
    expectIOReturn(() => pool.deallocatePacket(fake), kIOReturnBadArgument, 'not made by this pool');
    expectIOReturn(() => pool.deallocatePackets([held[0], fake]), kIOReturnBadArgument, 'packets[1]');
    expectIntact(pool, held);
  });

  it('a Proxy of a held packet is refused, whatever its traps answer', () => {
    const pool = makePool();
    const held = pool.allocatePackets(3);
    let reads = 0;
    // A different index on every read: the pool must not check one and free another.
    const proxy = new Proxy(held[0], {
      get(target, key, receiver) {
        if (key === '_index') return held[reads++ % 3]._index;
        return Reflect.get(target, key, receiver);
      },
    });
    expectIOReturn(() => pool.deallocatePacket(proxy), kIOReturnBadArgument, 'Proxy');
    expectIOReturn(() => pool.deallocatePackets([proxy]), kIOReturnBadArgument, 'Proxy');
    expectIOReturn(() => pool.deallocatePacket(new Proxy(held[1], {})), kIOReturnBadArgument, 'Proxy');
    expectIntact(pool, held);
  });
});

describe('index arrays that are not real Uint32Arrays', () => {
  // Claims to be a Uint32Array and returns a different index on each read of an entry.
  function lookAlike(indices: number[]): Uint32Array {
    let reads = 0;
    const fake: Record<string | symbol, unknown> = { [Symbol.toStringTag]: 'Uint32Array', length: indices.length };
    for (let i = 0; i < indices.length; i++)
      Object.defineProperty(fake, i, { get: () => indices[(i + reads++) % indices.length] });
    return fake as unknown as Uint32Array;
  }

  it.each([
    ['a plain object with Symbol.toStringTag "Uint32Array"', (i: number[]) => lookAlike(i)],
    ['a Proxy of a real Uint32Array', (i: number[]) => new Proxy(Uint32Array.from(i), {})],
  ])('%s is kIOReturnBadArgument everywhere an index array is taken', (_label, make) => {
    const pool = makePool();
    const held = pool.allocatePackets(4);
    const indices = held.map((p) => p._index);
    expectIOReturn(() => pool.deallocatePacketIndices(make(indices)), kIOReturnBadArgument, 'Uint32Array');
    expectIOReturn(() => pool.deallocatePackets(make(indices)), kIOReturnBadArgument, 'Uint32Array');
    expectIOReturn(() => pool.publishPacketIndices(make(indices)), kIOReturnBadArgument, 'Uint32Array');
    expectIOReturn(() => pool.allocatePacketIndices(make([0, 0])), kIOReturnBadArgument, 'Uint32Array');
    expectIntact(pool, held);
  });

  it('a real Uint32Array with its own `length` property counts its real elements', () => {
    const pool = makePool();
    const held = pool.allocatePackets(3);
    // One real element; the own `length` claims 3 (entries 1 and 2 would read as undefined = 0).
    const indices = Uint32Array.of(held[2]._index);
    Object.defineProperty(indices, 'length', { value: 3 });
    pool.deallocatePacketIndices(indices);
    expect(pool.getFreePacketCount()).toBe(62);
    expectIOReturn(() => pool.deallocatePacketIndices(indices, 3), kIOReturnBadArgument, 'count');
    const out = new Uint32Array(1);
    Object.defineProperty(out, 'length', { value: 40 });
    expect(pool.allocatePacketIndices(out)).toBe(1);
    pool.deallocatePacketIndices(out);
    expectIntact(pool, held.slice(0, 2));
  });

  it('a Uint32Array of another realm is accepted', () => {
    const pool = makePool();
    const held = pool.allocatePackets(2);
    const foreign = vm.runInNewContext('new Uint32Array(2)') as Uint32Array;
    expect(foreign instanceof Uint32Array).toBe(false);
    foreign[0] = held[0]._index;
    foreign[1] = held[1]._index;
    pool.deallocatePacketIndices(foreign);
    expect(pool.getFreePacketCount()).toBe(64);
  });
});

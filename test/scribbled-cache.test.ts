/**
 * A thread's cache lives in the region, where anyone holding a mapping can write. An entry or a
 * count scribbled out of range must not make the JavaScript hot path write a packet record
 * outside the metadata table: it is checked before the first write and dropped.
 */
import { IOUserNetworkPacketBufferPool } from '../lib';
import { makePool, releasePools } from './helpers/pool';

afterEach(releasePools);

/** The hot path's view of the region (internal fields, read here to scribble like a peer would). */
interface Internals {
  _u32: Uint32Array;
  _cacheBase: number;
  _cacheCountIdx: number;
  _metaBase: number;
  _cacheSize: number;
}
const internals = (pool: IOUserNetworkPacketBufferPool): Internals => pool as unknown as Internals;

/** Fills this thread's cache (takes a packet, gives it back) and returns the region words. */
function withFullCache(pool: IOUserNetworkPacketBufferPool): Internals {
  pool.deallocatePacket(pool.allocatePacket()!);
  const i = internals(pool);
  expect(i._u32[i._cacheCountIdx]).toBeGreaterThan(1);
  return i;
}

/** Every packet handed out is in range and distinct; `lost` of them went with the scribble. */
function expectUsable(pool: IOUserNetworkPacketBufferPool, lost: number): void {
  const got = new Set<number>();
  for (let p = pool.allocatePacket(); p !== null; p = pool.allocatePacket()) {
    expect(p.getPacketIndex()).toBeLessThan(64);
    got.add(p.getPacketIndex());
  }
  expect(got.size).toBe(64 - lost);
  pool.deallocatePacketIndices(Uint32Array.from(got));
}

it('allocatePacket drops a cache entry past the packet table before writing anything', () => {
  const pool = makePool({ cacheSize: 8 });
  const i = withFullCache(pool);
  const top = i._cacheBase + i._u32[i._cacheCountIdx] - 1;
  // Index 64 of a 64-packet pool: its "record" would be the first words after the table.
  i._u32[top] = 64;
  const record = i._metaBase + 64 * 16;
  const before = Array.from(i._u32.subarray(record, record + 16));
  const packet = pool.allocatePacket();
  expect(packet).not.toBeNull();
  expect(packet!.getPacketIndex()).toBeLessThan(64);
  expect(Array.from(i._u32.subarray(record, record + 16))).toEqual(before);
  pool.deallocatePacket(packet!);
  expectUsable(pool, 1);
});

it('allocatePacketIndices drops it too, and hands out only indices in range', () => {
  const pool = makePool({ cacheSize: 8 });
  const i = withFullCache(pool);
  const n = i._u32[i._cacheCountIdx];
  i._u32[i._cacheBase + n - 2] = 0xfffffff0;
  const out = new Uint32Array(n);
  const got = pool.allocatePacketIndices(out);
  expect(got).toBe(n); // the dropped entry is made up for from the ring
  for (const index of out) expect(index).toBeLessThan(64);
  pool.deallocatePacketIndices(out);
  expectUsable(pool, 1);
});

it('a cache count scribbled beyond the cache is not followed outside it', () => {
  const pool = makePool({ cacheSize: 8 });
  const i = withFullCache(pool);
  i._u32[i._cacheCountIdx] = 1000;
  const packet = pool.allocatePacket();
  expect(packet).not.toBeNull();
  expect(i._u32[i._cacheCountIdx]).toBeLessThanOrEqual(i._cacheSize);
  pool.deallocatePacket(packet!);
  expectUsable(pool, 0);
});

/**
 * A small pool factory for tests. Every pool it makes is remembered so a test file can release
 * them all in `afterEach(releasePools)`, whatever the test left allocated.
 */
import { IOUserNetworkPacketBufferPool, IOUserNetworkPacketBufferPoolOptions } from '../../lib';

/** Small enough to exhaust in a test, large enough that the default per-thread cache is not 0. */
export const baseOptions: IOUserNetworkPacketBufferPoolOptions = {
  packetCount: 64,
  bufferCount: 64,
  bufferSize: 256,
};

const live: IOUserNetworkPacketBufferPool[] = [];

export function makePool(
  overrides: Partial<IOUserNetworkPacketBufferPoolOptions> = {},
  name = 'test-pool',
  owner: unknown = null,
): IOUserNetworkPacketBufferPool {
  const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(owner, name, { ...baseOptions, ...overrides });
  live.push(pool);
  return pool;
}

/** Releases every pool made by makePool (release is idempotent, so tests may release too). */
export function releasePools(): void {
  while (live.length > 0) live.pop()!.release();
}

/** The two allocation paths: the JS per-thread cache, and straight from the shared ring. */
export const cacheModes: [string, Partial<IOUserNetworkPacketBufferPoolOptions>][] = [
  ['default cache', {}],
  ['cacheSize 0', { cacheSize: 0 }],
];

/** Sorted copy, for comparing sets of indices. */
export function sorted(values: Iterable<number>): number[] {
  return [...values].sort((a, b) => a - b);
}

/** 0..n-1. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

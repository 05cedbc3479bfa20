/**
 * One packet at a time through the public API: the path a networking tool takes per packet.
 * Take-then-return reuses the same cached index, so after warm-up the cache never needs the ring
 * (except with cacheSize 0, where every operation is a native call).
 */
import type { IOUserNetworkPacketBufferPool } from 'packet-buffer-pool';

import { createPool, PAYLOAD64 } from '../fixtures';
import type { ScenarioDefinition, ScenarioInstance } from '../scenario';

function allocFree(pool: IOUserNetworkPacketBufferPool): ScenarioInstance {
  return {
    run(iterations) {
      for (let i = 0; i < iterations; i++) {
        const p = pool.allocatePacket()!;
        pool.deallocatePacket(p);
      }
    },
    teardown() {
      pool.release();
    },
  };
}

export const scenarios: ScenarioDefinition[] = [
  {
    name: 'pool.alloc-free',
    // The zero-GC target is stated over at least 10 million operations.
    minOps: 10_000_000,
    setup: () => allocFree(createPool('bench.alloc-free')),
  },
  {
    name: 'pool.alloc-fill64-free',
    minOps: 10_000_000,
    setup() {
      const pool = createPool('bench.alloc-fill64-free');
      const payload = PAYLOAD64;
      return {
        run(iterations) {
          for (let i = 0; i < iterations; i++) {
            const p = pool.allocatePacket()!;
            p.getBuffer().set(payload, p.getDataOffset());
            p.setDataLength(64);
            pool.deallocatePacket(p);
          }
        },
        teardown() {
          pool.release();
        },
      };
    },
  },
  {
    // Debug mode's cost (a handle per allocation, poisoning, stacks captured at both ends), for
    // comparison with pool.alloc-free, whose path debug mode leaves untouched.
    name: 'pool.debug.alloc-free',
    setup: () => allocFree(createPool('bench.debug.alloc-free', { debug: true })),
  },
  {
    name: 'pool.nocache.alloc-free',
    setup: () => allocFree(createPool('bench.nocache', { cacheSize: 0 })),
  },
];

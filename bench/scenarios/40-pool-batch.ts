/**
 * Batches of 32 packet indices, one native call to take them and one to give them back
 * (nsPerOp is per packet, so it compares directly with the single-packet scenarios).
 */
import { createPool } from '../fixtures';
import type { ScenarioDefinition } from '../scenario';

const BATCH = 32;

export const scenarios: ScenarioDefinition[] = [
  {
    name: 'pool.batch32.alloc-free',
    opsPerIteration: BATCH,
    setup() {
      const pool = createPool('bench.batch32');
      const indices = new Uint32Array(BATCH);
      return {
        run(iterations) {
          for (let i = 0; i < iterations; i++) {
            const n = pool.allocatePacketIndices(indices);
            // A short batch would make nsPerOp per packet wrong; the pool is far larger than 32.
            if (n !== BATCH) throw new Error(`allocatePacketIndices returned ${n}, expected ${BATCH}`);
            pool.deallocatePacketIndices(indices, n);
          }
        },
        teardown() {
          pool.release();
        },
      };
    },
  },
];

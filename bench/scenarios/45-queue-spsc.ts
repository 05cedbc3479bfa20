/**
 * Packet queues in one thread: enqueuePacketIndices + dequeuePacketIndices of the same 32 held
 * packets, per packet. The queue protocol alone (ownership marks, entries, one Atomics.store of
 * head and of tail per batch), comparable with baseline.js-freelist.
 */
import { IOUserNetworkTxSubmissionQueue } from 'packet-buffer-pool';

import { createPool } from '../fixtures';
import type { ScenarioDefinition } from '../scenario';

const BATCH = 32;

export const scenarios: ScenarioDefinition[] = [
  {
    name: 'queue.spsc.batch32',
    opsPerIteration: BATCH,
    minOps: 10_000_000,
    setup() {
      const pool = createPool('bench.queue.spsc');
      const queue = IOUserNetworkTxSubmissionQueue.Create(pool, null, 256, 0);
      const indices = new Uint32Array(BATCH);
      if (pool.allocatePacketIndices(indices) !== BATCH) throw new Error('could not allocate a batch');
      return {
        run(iterations) {
          for (let i = 0; i < iterations; i++) {
            const n = queue.enqueuePacketIndices(indices, BATCH);
            const got = queue.dequeuePacketIndices(indices, BATCH);
            if (n !== BATCH || got !== BATCH) throw new Error(`queue moved ${n}/${got} of ${BATCH}`);
          }
        },
        teardown() {
          pool.deallocatePacketIndices(indices);
          queue.destroy();
          pool.release();
        },
      };
    },
  },
];

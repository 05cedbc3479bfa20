/**
 * Mapping a large pool again: createMapping() of a whole 1 GiB region, the mapping
 * dropped at once. It maps nothing new, so it should cost an object, not a garbage collection
 * (gcCount counts every collection in the run; before the fix each mapping forced a full one).
 */
import { IOUserNetworkPacketBufferPool, type IOMemoryMap } from 'packet-buffer-pool';

import type { ScenarioDefinition } from '../scenario';

// @ts-expect-error TS6133: written, never read, on purpose: a sink the engine cannot prove dead.
let sink: IOMemoryMap | null = null;

export const scenarios: ScenarioDefinition[] = [
  {
    name: 'pool.create-mapping-1gib',
    setup() {
      const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'bench.create-mapping', {
        packetCount: 16384,
        bufferCount: 16384,
        bufferSize: 65536,
        cacheSize: 0,
      });
      const descriptor = pool.CopyMemoryDescriptor();
      return {
        run(iterations) {
          for (let i = 0; i < iterations; i++) sink = descriptor.createMapping();
        },
        teardown() {
          sink = null;
          descriptor.release();
          pool.release();
        },
      };
    },
  },
];

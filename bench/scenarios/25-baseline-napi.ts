/**
 * What a native call costs by itself: a no-op Node-API function of the pool's own addon (a raw
 * napi_callback that reads nothing and returns undefined), called twice per iteration, as
 * `pool.nocache.alloc-free` makes two native calls per packet. The floor for any design that
 * crosses into C++ per packet (the target: pool.nocache.alloc-free <= 3x this, bench/ratios.ts).
 * The addon is internal (dist/native.js, typed by lib/native.ts), not part of the package's API.
 */
import * as path from 'node:path';

import { ROOT } from '../repo';
import type { ScenarioDefinition } from '../scenario';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { binding } = require(path.join(ROOT, 'dist', 'native')) as typeof import('../../dist/native');

export const scenarios: ScenarioDefinition[] = [
  {
    name: 'baseline.napi-noop',
    setup() {
      const noop = binding.noop;
      return {
        run(iterations) {
          for (let i = 0; i < iterations; i++) {
            noop();
            noop();
          }
        },
      };
    },
  },
];

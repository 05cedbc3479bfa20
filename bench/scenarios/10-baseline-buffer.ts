/**
 * What users do today: a fresh Buffer per packet, dropped after use (the garbage collector pays
 * for it later, which is part of what is measured).
 */
import * as fixtures from '../fixtures';
import type { ScenarioDefinition } from '../scenario';

// A module-level binding, as the loop read it in JavaScript: an imported name would compile to a
// property load on the module object at each use inside the loop.
const { PAYLOAD64, BUFFER_SIZE } = fixtures;

// Written after every run so the engine cannot treat the allocations as unused.
// @ts-expect-error TS6133: written, never read, on purpose: a sink the engine cannot prove dead.
let sink: Buffer | null = null;

export const scenarios: ScenarioDefinition[] = [
  {
    name: 'baseline.buffer-allocUnsafe',
    setup() {
      return {
        run(iterations) {
          let b = null;
          for (let i = 0; i < iterations; i++) b = Buffer.allocUnsafe(BUFFER_SIZE);
          sink = b;
        },
      };
    },
  },
  {
    name: 'baseline.buffer-allocUnsafe-fill64',
    setup() {
      const payload = PAYLOAD64;
      return {
        run(iterations) {
          let b = null;
          for (let i = 0; i < iterations; i++) {
            b = Buffer.allocUnsafe(BUFFER_SIZE);
            b.set(payload, 0);
          }
          sink = b;
        },
      };
    },
  },
];

'use strict';
/**
 * What users do today: a fresh Buffer per packet, dropped after use (the garbage collector pays
 * for it later, which is part of what is measured).
 */
const { PAYLOAD64, BUFFER_SIZE } = require('../fixtures');

// Written after every run so the engine cannot treat the allocations as unused.
let sink = null;

module.exports = [
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

'use strict';
/**
 * What a native call costs by itself: a no-op Node-API function of the pool's own addon (a raw
 * napi_callback that reads nothing and returns undefined), called twice per iteration, as
 * `pool.nocache.alloc-free` makes two native calls per packet. The floor for any design that
 * crosses into C++ per packet (the target: pool.nocache.alloc-free <= 3x this, bench/ratios.js).
 */
const { binding } = require('../../dist/native');

module.exports = [
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

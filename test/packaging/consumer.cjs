// A CommonJS program as a user writes it after `npm install packet-buffer-pool`: pack-test.sh
// copies it into a fresh project, where require() goes through the package's "exports" map to
// dist/index.js and the addon comes from prebuilds/ (PREBUILDS_ONLY=1: build/ is never looked at).
'use strict';
const assert = require('node:assert/strict');
const { IOUserNetworkPacketBufferPool, IOReturnError, kIOReturnNotPermitted } = require('packet-buffer-pool');

const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'consumer-cjs', {
  packetCount: 8,
  bufferCount: 8,
  bufferSize: 256,
  headroom: 16,
});
const packet = pool.allocatePacket();
assert.ok(packet, 'a fresh pool hands out a packet');

const payload = Buffer.from('hello from require()');
payload.copy(packet.getBuffer(), packet.getDataOffset());
packet.setDataLength(payload.length);
assert.equal(packet.getDataOffset(), 16);
assert.equal(packet.getData().toString(), 'hello from require()');

pool.deallocatePacket(packet);
assert.throws(
  () => pool.deallocatePacket(packet),
  (err) =>
    err instanceof IOReturnError && err.code === 'kIOReturnNotPermitted' && err.ioReturn === kIOReturnNotPermitted,
  'a double free is refused with kIOReturnNotPermitted',
);

const stats = pool.getStatistics();
assert.equal(stats.allocations, 1);
assert.equal(stats.deallocations, 1);
assert.equal(stats.inUse, 0);
pool.release();
console.log(
  `cjs ok ${JSON.stringify({ allocations: stats.allocations, deallocations: stats.deallocations, inUse: stats.inUse })}`,
);

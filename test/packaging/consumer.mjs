// The ES module twin of consumer.cjs: `import` goes through the "exports" map to dist/index.mjs,
// which re-exports the CommonJS build, so named, default and require()d classes are one and the
// same (one addon instance, one IOReturnError).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import api, { IOUserNetworkPacketBufferPool, IOReturnError, kIOReturnBadArgument } from 'packet-buffer-pool';

const required = createRequire(import.meta.url)('packet-buffer-pool');
assert.equal(api.IOUserNetworkPacketBufferPool, IOUserNetworkPacketBufferPool);
assert.equal(
  required.IOUserNetworkPacketBufferPool,
  IOUserNetworkPacketBufferPool,
  'import and require share one class',
);

const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'consumer-esm', {
  packetCount: 8,
  bufferCount: 8,
  bufferSize: 256,
});
const packets = pool.allocatePackets(3);
assert.equal(packets.length, 3);
packets.forEach((packet, i) => {
  const text = `packet ${i} from import`;
  packet.getBuffer().write(text, packet.getDataOffset());
  packet.setDataLength(Buffer.byteLength(text));
});
assert.deepEqual(
  packets.map((p) => p.getData().toString()),
  ['packet 0 from import', 'packet 1 from import', 'packet 2 from import'],
);
pool.deallocatePackets(packets);

assert.throws(
  () =>
    IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'bad', { packetCount: -1, bufferCount: 1, bufferSize: 1 }),
  (err) => err instanceof IOReturnError && err.code === 'kIOReturnBadArgument' && err.ioReturn === kIOReturnBadArgument,
);

const stats = pool.getStatistics();
assert.equal(stats.allocations, 3);
assert.equal(stats.deallocations, 3);
assert.equal(stats.inUse, 0);
pool.release();
console.log(
  `esm ok ${JSON.stringify({ allocations: stats.allocations, deallocations: stats.deallocations, inUse: stats.inUse })}`,
);

// The CommonJS twin of consumer-types.mts: `import = require()` under `module: nodenext` takes
// the "require" side of the exports map and the same .d.ts files.
import pbp = require('packet-buffer-pool');

const pool = pbp.IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'types-cjs', {
  packetCount: 2,
  bufferCount: 2,
  bufferSize: 64,
});
const packet: pbp.IOUserNetworkPacket | null = pool.allocatePacket();
// @ts-expect-error bufferSize is a number
pbp.IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'bad', { packetCount: 1, bufferCount: 1, bufferSize: '64' });
if (packet) pool.deallocatePacket(packet);
const code: number = pbp.kIOReturnNotPermitted;
void code;
pool.release();

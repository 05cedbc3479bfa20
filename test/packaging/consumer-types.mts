// Type-checked (never run) by pack-test.sh against the .d.ts files shipped in the tarball, from an
// ES module under `module: nodenext`: the "types" condition of the exports map must resolve, and
// the public types must be what a user writes against. Each @ts-expect-error fails the check if
// the line below it stops being an error.
import {
  IOReturnError,
  IOUserNetworkPacket,
  IOUserNetworkPacketBufferPool,
  kIOReturnBadArgument,
  type IOUserNetworkPacketBufferPoolOptions,
  type IOUserNetworkPacketBufferPoolStatistics,
} from 'packet-buffer-pool';

const options: IOUserNetworkPacketBufferPoolOptions = { packetCount: 4, bufferCount: 4, bufferSize: 128 };
const pool: IOUserNetworkPacketBufferPool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'types', options);

const maybe: IOUserNetworkPacket | null = pool.allocatePacket();
// @ts-expect-error allocatePacket() may return null when the pool is empty
const packet: IOUserNetworkPacket = pool.allocatePacket();
void packet;
if (maybe !== null) {
  const view: Buffer = maybe.getBuffer();
  const length: number = maybe.getDataLength();
  view.write('typed', maybe.getDataOffset());
  maybe.setDataLength(length + 5);
  pool.deallocatePacket(maybe);
}

// @ts-expect-error hot-path internals are @internal, stripped from the shipped .d.ts
void pool._u32;

const batch: IOUserNetworkPacket[] = pool.allocatePackets(2);
pool.deallocatePackets(batch);
const stats: IOUserNetworkPacketBufferPoolStatistics = pool.getStatistics();
const inUse: number = stats.inUse;
// @ts-expect-error statistics are numbers
const wrong: string = stats.allocations;
void inUse;
void wrong;

try {
  // @ts-expect-error options are required
  IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'no options');
} catch (err) {
  if (err instanceof IOReturnError) {
    const code: string = err.code;
    const value: number = err.ioReturn;
    console.log(code === 'kIOReturnBadArgument', value === kIOReturnBadArgument);
  }
}

const later: Promise<IOUserNetworkPacket> = pool.allocatePacketAsync({ signal: AbortSignal.timeout(10) });
void later;
{
  using scoped = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'scoped', options);
  void scoped;
}
pool.release();

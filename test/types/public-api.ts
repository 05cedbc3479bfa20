/**
 * Type-level checks of the public API, compiled (never run) by public-types.test.ts. `Expect<Equal<
 * A, B>>` fails to compile unless A and B are the same type; each `@ts-expect-error` fails to
 * compile if the line below it stops being an error. Everything is imported from the package's
 * entry point, so a type that stops being exported fails too.
 */
import {
  AllocatePacketAsyncOptions,
  IOAddressRange,
  IOMemoryDescriptor,
  IOMemoryMap,
  IONetworkPacketType,
  IOReturnError,
  type IOReturnCode,
  IOUserNetworkPacket,
  IOUserNetworkPacketBufferPool,
  IOUserNetworkPacketBufferPoolHandle,
  IOUserNetworkPacketBufferPoolOptions,
  IOUserNetworkPacketBufferPoolStatistics,
  IOUserNetworkPacketDescriptor,
  IOUserNetworkPacketDirection,
  RxChecksumInfo,
  ioReturnName,
  kIOReturnBadArgument,
} from '../../lib';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
type Pool = IOUserNetworkPacketBufferPool;
type Packet = IOUserNetworkPacket;
type Returns<K extends keyof Pool> = Pool[K] extends (...args: never[]) => infer R ? R : never;
type PacketReturns<K extends keyof Packet> = Packet[K] extends (...args: never[]) => infer R ? R : never;

export type PoolChecks = [
  // Creation: the pool, or null from the kernel-style factory.
  Expect<Equal<ReturnType<typeof IOUserNetworkPacketBufferPool.CreateWithOptions>, Pool>>,
  Expect<Equal<ReturnType<typeof IOUserNetworkPacketBufferPool.Create>, Pool>>,
  Expect<Equal<ReturnType<typeof IOUserNetworkPacketBufferPool.withName>, Pool | null>>,
  Expect<Equal<ReturnType<typeof IOUserNetworkPacketBufferPool.attach>, Pool>>,
  Expect<Equal<Parameters<typeof IOUserNetworkPacketBufferPool.attach>, [handle: IOUserNetworkPacketBufferPoolHandle]>>,
  // Allocation: null means "pool empty"; batches are arrays; the async form always resolves to one.
  Expect<Equal<Returns<'allocatePacket'>, Packet | null>>,
  Expect<Equal<Returns<'allocatePackets'>, Packet[]>>,
  Expect<Equal<Returns<'allocatePacketAsync'>, Promise<Packet>>>,
  Expect<Equal<Parameters<Pool['allocatePacketAsync']>, [options?: AllocatePacketAsyncOptions]>>,
  Expect<Equal<Returns<'allocatePacketIndices'>, number>>,
  Expect<Equal<Returns<'newPacket'>, Packet>>,
  Expect<Equal<Parameters<Pool['newPacket']>, [descriptor: IOUserNetworkPacketDescriptor]>>,
  Expect<Equal<Returns<'deallocatePacket'>, void>>,
  Expect<Equal<Returns<'reclaimPackets'>, number>>,
  Expect<Equal<Returns<'createHandle'>, IOUserNetworkPacketBufferPoolHandle>>,
  Expect<Equal<Returns<'CopyMemoryDescriptor'>, IOMemoryDescriptor>>,
  Expect<Equal<Returns<'getStatistics'>, IOUserNetworkPacketBufferPoolStatistics>>,
  Expect<Equal<Returns<'getPoolOwnerDevice'>, unknown>>,
  Expect<Equal<Returns<'initWithName'>, boolean>>,
];

// Every statistic is a number, and these are all of them.
export type StatisticsChecks = [
  Expect<Equal<IOUserNetworkPacketBufferPoolStatistics[keyof IOUserNetworkPacketBufferPoolStatistics], number>>,
  Expect<
    Equal<
      keyof IOUserNetworkPacketBufferPoolStatistics,
      | 'allocations'
      | 'deallocations'
      | 'failedAllocations'
      | 'reclaimed'
      | 'inUse'
      | 'cached'
      | 'freeInRing'
      | 'highWaterMark'
      | 'queued'
      | 'liveThreads'
      | 'deadThreads'
      | 'orphanedPackets'
      | 'freeBuffers'
    >
  >,
];

export type PacketChecks = [
  Expect<Equal<PacketReturns<'getBuffer'>, Buffer>>,
  Expect<Equal<PacketReturns<'getData'>, Buffer>>,
  Expect<Equal<PacketReturns<'addBuffer'>, Buffer | null>>,
  Expect<Equal<PacketReturns<'getDataLength'>, number>>,
  Expect<Equal<PacketReturns<'getDataVirtualAddress'>, bigint>>,
  Expect<Equal<PacketReturns<'getTimestamp'>, bigint>>,
  Expect<Equal<Parameters<Packet['setTimestamp']>, [timestamp: bigint | number]>>,
  Expect<Equal<PacketReturns<'getDirection'>, IOUserNetworkPacketDirection>>,
  Expect<Equal<PacketReturns<'getRxChecksumInfo'>, RxChecksumInfo>>,
  Expect<Equal<PacketReturns<'getPacketBufferPool'>, Pool>>,
];

export type MemoryChecks = [
  Expect<Equal<ReturnType<IOMemoryDescriptor['createMapping']>, IOMemoryMap>>,
  Expect<Equal<ReturnType<IOMemoryDescriptor['getAddressRange']>, IOAddressRange>>,
  Expect<Equal<ReturnType<IOMemoryMap['getAddress']>, bigint>>,
  Expect<Equal<ReturnType<IOMemoryMap['getBuffer']>, Buffer>>,
];

// IOReturnError: an Error with a string code (Node's convention) and the numeric IOReturn, neither
// writable.
export type ErrorChecks = [
  Expect<Equal<IOReturnError['code'], IOReturnCode>>,
  Expect<Equal<IOReturnError['ioReturn'], number>>,
  Expect<Equal<IOReturnError['codeName'], string>>,
  Expect<Equal<ReturnType<typeof ioReturnName>, string>>,
];
export function errorIsAnError(err: IOReturnError): Error {
  // @ts-expect-error code is readonly
  err.code = 'kIOReturnBadArgument';
  // @ts-expect-error ioReturn is readonly
  err.ioReturn = kIOReturnBadArgument;
  // @ts-expect-error code is a name, never a number
  if (err.code === kIOReturnBadArgument) return err;
  // @ts-expect-error a misspelt code does not compile
  if (err.code === 'kIOReturnNotPermited') return err;
  // @ts-expect-error codeName is readonly
  err.codeName = 'kIOReturnBadArgument';
  return err;
}

// What must not compile.
export function misuse(pool: Pool, packet: Packet, options: IOUserNetworkPacketBufferPoolOptions): void {
  // @ts-expect-error allocatePacket() may return null: check before use
  const held: Packet = pool.allocatePacket();
  // @ts-expect-error the three sizes are required
  IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'no sizes', { packetCount: 8 });
  // @ts-expect-error sizes are numbers
  IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'string size', { ...options, bufferSize: '2048' });
  // @ts-expect-error options have no such field
  IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'typo', { ...options, packetcount: 8 });
  // @ts-expect-error withName takes an IONetworkPacketType, not any number
  IOUserNetworkPacketBufferPool.withName('rx', null, 7, options);
  IOUserNetworkPacketBufferPool.withName('rx', null, IONetworkPacketType.Network, options);
  // @ts-expect-error deallocatePacket takes a packet, not its index
  pool.deallocatePacket(packet.getPacketIndex());
  // @ts-expect-error newPacket takes a descriptor, not a bare index
  pool.newPacket(3);
  // @ts-expect-error a direction is an IOUserNetworkPacketDirection
  packet.setDirection('tx');
  // @ts-expect-error statistics are read as numbers
  const text: string = pool.getStatistics().inUse;
  // @ts-expect-error packets come from a pool, not from user code
  new IOUserNetworkPacket();
  void held;
  void text;
}

// `using` releases pools and memory descriptors at the end of the scope.
export function scoped(options: IOUserNetworkPacketBufferPoolOptions): void {
  using pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'scoped', options);
  using memory = pool.CopyMemoryDescriptor();
  void memory;
}

/**
 * The options object of `CreateWithOptions` / `withName` (DriverKit's
 * `IOUserNetworkPacketBufferPoolOptions` plus this package's extra fields), and its validation.
 * Types and integer-ness are checked here; ranges and size arithmetic are checked by the core
 * (native/core/layout.cpp), before any memory is mapped.
 */
import { checkKnownKeys } from './check';
import { describe, fail, kIOReturnBadArgument } from './io-return';

/** DriverKit's `IODMASpecification` subset the options carry. */
export interface IODMASpecification {
  /** DMA option bits; accepted, no effect in user space. */
  options: number;
  /** Highest address bit the device can reach, 1..64 (0 = 64). The region must lie below it. */
  maxAddressBits: number;
}

/** Options of `CreateWithOptions` / `withName` (`IOUserNetworkPacketBufferPoolOptions`). */
export interface IOUserNetworkPacketBufferPoolOptions {
  /** Number of packets (metadata objects), each owning one buffer. */
  packetCount: number;
  /** Number of buffers, >= packetCount; the extra ones are for chaining. */
  bufferCount: number;
  /** Bytes per buffer, 1..65536. */
  bufferSize: number;
  /** Buffers one packet may chain, 1..64. Default 1. */
  maxBuffersPerPacket?: number;
  /** 0 = default. The pool is always one segment; any value is accepted. */
  memorySegmentSize?: number;
  /** PoolFlag* bits. PoolFlagPersistentMemory locks the memory in RAM. */
  poolFlags?: number;
  /** Addressing limits of the device; the region must lie below `maxAddressBits`. */
  dmaSpecification?: IODMASpecification;
  /** Extra: headroom (and initial data offset) of fresh packets, 0..255, < bufferSize. Default 0. */
  headroom?: number;
  /**
   * Extra: per-thread cache of free packet indices (even, 0..4096; 0 = every allocation goes to
   * the shared ring). Default min(256, packetCount / 8), rounded down to even.
   */
  cacheSize?: number;
  /** Extra: how many threads (and processes) may attach at once, 1..1024. Default 64. */
  maxThreads?: number;
  /** Extra: put the region in shared memory (memfd) so other processes can attach. */
  shared?: boolean;
  /** Extra: how many packet queues the region holds (queue ids 0..maxQueues-1), 0..256. Default 8. */
  maxQueues?: number;
  /**
   * Extra: the largest capacity a packet queue may have, a power of two. Default: the smallest
   * power of two >= packetCount (a queue can then hold every packet).
   */
  queueCapacity?: number;
  /**
   * Extra: debug mode (default: the PACKET_BUFFER_POOL_DEBUG environment variable, else off): a
   * distinct packet handle per allocation, stale handles refused with where they were freed,
   * freed buffers poisoned, allocation sites for `getInUsePackets()`. Slower; see the guide.
   */
  debug?: boolean;
}

/** What the addon's NativePool constructor takes. */
export interface NativePoolOptions {
  name: string;
  packetCount: number;
  bufferCount: number;
  bufferSize: number;
  maxBuffersPerPacket: number;
  headroom: number;
  cacheSize: number;
  maxThreads: number;
  poolFlags: number;
  maxQueues: number;
  queueCapacity: number;
  shared: boolean;
  threadId: number;
}

/**
 * Every key `CreateWithOptions` reads; any other key is refused (kIOReturnBadArgument naming it),
 * so a misspelt option cannot silently fall back to its default.
 */
export const POOL_OPTION_KEYS: readonly (keyof IOUserNetworkPacketBufferPoolOptions)[] = [
  'packetCount',
  'bufferCount',
  'bufferSize',
  'maxBuffersPerPacket',
  'memorySegmentSize',
  'poolFlags',
  'dmaSpecification',
  'headroom',
  'cacheSize',
  'maxThreads',
  'shared',
  'maxQueues',
  'queueCapacity',
  'debug',
];

const DMA_SPECIFICATION_KEYS: readonly (keyof IODMASpecification)[] = ['options', 'maxAddressBits'];

const UINT32_MAX = 0xffffffff;

function uint32(value: unknown, field: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
    fail(kIOReturnBadArgument, `${field} must be an integer in 0..4294967295, got ${describe(value)}`);
  }
  return value;
}

/** Validates a pool name (a string of at most 1023 UTF-8 bytes, checked by the core). */
export function checkName(name: unknown): string {
  if (typeof name !== 'string') fail(kIOReturnBadArgument, `name must be a string, got ${describe(name)}`);
  if (name.includes('\0')) fail(kIOReturnBadArgument, 'name must not contain NUL characters');
  return name;
}

export function defaultCacheSize(packetCount: number): number {
  return Math.min(256, Math.floor(packetCount / 16) * 2);
}

export function toNativeOptions(name: unknown, options: unknown, threadId: number): NativePoolOptions {
  const checkedName = checkName(name);
  if (options === null || typeof options !== 'object') {
    fail(kIOReturnBadArgument, `options must be an object, got ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  checkKnownKeys(o, POOL_OPTION_KEYS, 'options');
  const packetCount = uint32(o.packetCount, 'packetCount');
  const bufferCount = uint32(o.bufferCount, 'bufferCount');
  const bufferSize = uint32(o.bufferSize, 'bufferSize');
  uint32(o.memorySegmentSize, 'memorySegmentSize', 0);
  const dma = o.dmaSpecification;
  if (dma !== undefined) {
    if (dma === null || typeof dma !== 'object') {
      fail(kIOReturnBadArgument, `dmaSpecification must be an object, got ${describe(dma)}`);
    }
    const d = dma as Record<string, unknown>;
    checkKnownKeys(d, DMA_SPECIFICATION_KEYS, 'options.dmaSpecification');
    uint32(d.options, 'dmaSpecification.options', 0);
    const bits = uint32(d.maxAddressBits, 'dmaSpecification.maxAddressBits', 64);
    if (bits > 64) fail(kIOReturnBadArgument, `dmaSpecification.maxAddressBits must be 0..64, got ${bits}`);
  }
  if (o.debug !== undefined && typeof o.debug !== 'boolean') {
    fail(kIOReturnBadArgument, `debug must be a boolean, got ${describe(o.debug)}`);
  }
  if (o.shared !== undefined && typeof o.shared !== 'boolean') {
    fail(kIOReturnBadArgument, `shared must be a boolean, got ${describe(o.shared)}`);
  }
  const cacheSize = uint32(o.cacheSize, 'cacheSize', defaultCacheSize(packetCount));
  // A cache that could hold more packets than the pool has can never fill: a sizing mistake.
  if (cacheSize > packetCount) {
    fail(
      kIOReturnBadArgument,
      `cacheSize ${cacheSize} exceeds packetCount ${packetCount}: a thread's cache holds free packets of this pool`,
    );
  }
  return {
    name: checkedName,
    packetCount,
    bufferCount,
    bufferSize,
    maxBuffersPerPacket: uint32(o.maxBuffersPerPacket, 'maxBuffersPerPacket', 1),
    headroom: uint32(o.headroom, 'headroom', 0),
    cacheSize,
    maxThreads: uint32(o.maxThreads, 'maxThreads', 64),
    poolFlags: uint32(o.poolFlags, 'poolFlags', 0),
    maxQueues: uint32(o.maxQueues, 'maxQueues', 8),
    queueCapacity: uint32(o.queueCapacity, 'queueCapacity', 0),
    shared: o.shared === true,
    threadId,
  };
}

/** The largest address the DMA specification allows (exclusive), or undefined for 64 bits. */
export function addressLimit(options: unknown): bigint | undefined {
  const dma = (options as { dmaSpecification?: IODMASpecification }).dmaSpecification;
  const bits = dma?.maxAddressBits ?? 64;
  return bits === 0 || bits >= 64 ? undefined : 1n << BigInt(bits);
}

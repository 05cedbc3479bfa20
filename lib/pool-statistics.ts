/**
 * What an `IOUserNetworkPacketBufferPool` reports about itself: its sizes and identity, the
 * counters of the whole pool (`Pool::stats` in native/core/pool.cpp, summed over every thread
 * slot) and the leak report. Added to the pool's one prototype by lib/pool.ts.
 */
import { inUsePackets, IOUserNetworkPacketInUse } from './debug';
import type { IOUserNetworkPacketBufferPool } from './pool';

/** What `getStatistics()` returns. Exact when no other thread is mid-operation. */
export interface IOUserNetworkPacketBufferPoolStatistics {
  /** Packets handed out, by every thread, since creation. */
  allocations: number;
  /** Packets given back. */
  deallocations: number;
  /** Allocation requests that found no free packet (batch requests count missing packets). */
  failedAllocations: number;
  /** Packets returned by `reclaimPackets` on behalf of threads that exited holding them. */
  reclaimed: number;
  /** Packets held by someone: packetCount minus the free ones. */
  inUse: number;
  /** Free packets parked in threads' caches (free, not lost). */
  cached: number;
  /** Free packets in the shared ring. */
  freeInRing: number;
  /** Peak packets outside the shared ring (in use + cached); exact peak in use with cacheSize 0. */
  highWaterMark: number;
  /** Threads (and processes) attached now. */
  liveThreads: number;
  /** Threads that exited holding packets, waiting for `reclaimPackets`. */
  deadThreads: number;
  /** Packets held by those threads. */
  orphanedPackets: number;
  /** Packets inside packet queues, between a queue's two ends (counted in `inUse`). */
  queued: number;
  /** Extra (chain) buffers free. */
  freeBuffers: number;
}

declare module './pool' {
  interface IOUserNetworkPacketBufferPool {
    /** Number of buffers (DriverKit `GetBufferCount`; returns the value instead of an out-parameter). */
    GetBufferCount(): number;
    /** Number of packets (DriverKit `GetPacketCount`; returns the value instead of an out-parameter). */
    GetPacketCount(): number;
    /** Bytes per buffer. */
    getBufferSize(): number;
    /** The name given at creation. */
    getName(): string;
    /** The owner/device passed at creation (`getPoolOwnerDevice`); null for attached pools. */
    getPoolOwnerDevice(): unknown;
    /** Free packets: in the shared ring plus in every thread's cache. */
    getFreePacketCount(): number;
    /** Counters of the whole pool (every thread and process attached to it). */
    getStatistics(): IOUserNetworkPacketBufferPoolStatistics;
    /** Whether this pool object runs in debug mode (the `debug` option or PACKET_BUFFER_POOL_DEBUG). */
    isDebug(): boolean;
    /**
     * The leak report: every packet held by anyone, with its owner (this thread or another, and the
     * owner's slot tag) and whether it was handed over; in debug mode, this thread's packets also
     * carry their age and the stack of their allocation, oldest first. Check for leaks with
     * `getStatistics()` (allocations == deallocations + reclaimed + inUse) and find them here.
     */
    getInUsePackets(): IOUserNetworkPacketInUse[];
  }
}

/** @internal */
export const statisticsMethods = {
  GetBufferCount(): number {
    this._checkOpen();
    return this._bufferCount;
  },

  GetPacketCount(): number {
    this._checkOpen();
    return this._packetCount;
  },

  getBufferSize(): number {
    this._checkOpen();
    return this._bufferSize;
  },

  getName(): string {
    this._checkOpen();
    return this._name;
  },

  getPoolOwnerDevice(): unknown {
    this._checkOpen();
    return this._owner;
  },

  getFreePacketCount(): number {
    this._checkOpen();
    return this._native!.freePacketCount();
  },

  getStatistics(): IOUserNetworkPacketBufferPoolStatistics {
    this._checkOpen();
    return this._native!.stats();
  },

  isDebug(): boolean {
    this._checkOpen();
    return this._debug !== null;
  },

  getInUsePackets(): IOUserNetworkPacketInUse[] {
    this._checkOpen();
    return inUsePackets(this);
  },
} satisfies Partial<IOUserNetworkPacketBufferPool> & ThisType<IOUserNetworkPacketBufferPool>;

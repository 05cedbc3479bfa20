/**
 * The twins of `IOUserNetworkPacketBufferPool`'s methods: the lower-case forms of DriverKit's
 * capitalised getters and the capitalised forms upstream deprecated. Each only calls its twin,
 * so debug mode's own methods (lib/debug.ts) serve both names. Added to the pool's one prototype
 * by lib/pool.ts, like the other methods, so the pool keeps one prototype and one hidden class.
 */
import type { IOUserNetworkPacket } from './packet';
import type { IOUserNetworkPacketBufferPool } from './pool';

declare module './pool' {
  interface IOUserNetworkPacketBufferPool {
    /** Number of buffers (packets' own plus chain buffers); lower-case twin of `GetBufferCount`. */
    getBufferCount(): number;
    /** Number of packets; lower-case twin of `GetPacketCount`. */
    getPacketCount(): number;
    /** @deprecated Upstream deprecated; use `deallocatePacket`. */
    DeallocatePacket(packet: IOUserNetworkPacket): void;
    /** @deprecated Upstream deprecated; use `deallocatePackets`. */
    DeallocatePackets(packets: readonly IOUserNetworkPacket[] | Uint32Array, count?: number): void;
  }
}

/** @internal */
export const twinMethods = {
  getBufferCount(): number {
    return this.GetBufferCount();
  },

  getPacketCount(): number {
    return this.GetPacketCount();
  },

  DeallocatePacket(packet: IOUserNetworkPacket): void {
    this.deallocatePacket(packet);
  },

  DeallocatePackets(packets: readonly IOUserNetworkPacket[] | Uint32Array, count?: number): void {
    this.deallocatePackets(packets, count);
  },
} satisfies Partial<IOUserNetworkPacketBufferPool> & ThisType<IOUserNetworkPacketBufferPool>;

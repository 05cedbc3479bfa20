/**
 * The twins of `IOUserNetworkPacket`'s accessors: the newer short names (`getDataOff`...) and the
 * capitalised forms upstream deprecated. Each only calls its twin. Added to the packet's one
 * prototype by lib/packet.ts, so packets (and debug mode's handles) keep one hidden class.
 */
import type { IOUserNetworkPacketBufferPool } from './pool';
import type { IOUserNetworkPacket } from './packet';

declare module './packet' {
  interface IOUserNetworkPacket {
    /** Newer name of `getDataOffset`. */
    getDataOff(): number;
    /** Newer name of `setDataOffset`. */
    setDataOff(offset: number): void;
    /** Newer name of `setDataOffsetAndLength`. */
    setDataOffAndLen(offset: number, length: number): void;
    /** @deprecated Upstream deprecated; use `getDataLength`. */
    GetDataLength(): number;
    /** @deprecated Upstream deprecated; use `setDataLength`. */
    SetDataLength(length: number): void;
    /** @deprecated Upstream deprecated; use `getDataOffset`. */
    GetDataOffset(): number;
    /** @deprecated Upstream deprecated; use `setDataOffset`. */
    SetDataOffset(offset: number): void;
    /** @deprecated Upstream deprecated; use `getHeadroom`. */
    GetHeadroom(): number;
    /** @deprecated Upstream deprecated; use `setHeadroom`. */
    SetHeadroom(headroom: number): void;
    /** @deprecated Upstream deprecated; use `getLinkHeaderLength`. */
    GetLinkHeaderLength(): number;
    /** @deprecated Upstream deprecated; use `setLinkHeaderLength`. */
    SetLinkHeaderLength(length: number): void;
    /** @deprecated Upstream deprecated; use `getMemorySegmentOffset`. */
    GetMemorySegmentOffset(): number;
    /** @deprecated Upstream deprecated; use `getDataVirtualAddress`. */
    GetDataVirtualAddress(): bigint;
    /** @deprecated Upstream deprecated; use `getDataIOVirtualAddress`. */
    GetDataIOVirtualAddress(): bigint;
    /** @deprecated Upstream deprecated; use `getPacketBufferPool`. */
    GetPacketBufferPool(): IOUserNetworkPacketBufferPool;
  }
}

/** @internal */
export const twinMethods = {
  getDataOff(): number {
    return this.getDataOffset();
  },

  setDataOff(offset: number): void {
    this.setDataOffset(offset);
  },

  setDataOffAndLen(offset: number, length: number): void {
    this.setDataOffsetAndLength(offset, length);
  },

  GetDataLength(): number {
    return this.getDataLength();
  },

  SetDataLength(length: number): void {
    this.setDataLength(length);
  },

  GetDataOffset(): number {
    return this.getDataOffset();
  },

  SetDataOffset(offset: number): void {
    this.setDataOffset(offset);
  },

  GetHeadroom(): number {
    return this.getHeadroom();
  },

  SetHeadroom(headroom: number): void {
    this.setHeadroom(headroom);
  },

  GetLinkHeaderLength(): number {
    return this.getLinkHeaderLength();
  },

  SetLinkHeaderLength(length: number): void {
    this.setLinkHeaderLength(length);
  },

  GetMemorySegmentOffset(): number {
    return this.getMemorySegmentOffset();
  },

  GetDataVirtualAddress(): bigint {
    return this.getDataVirtualAddress();
  },

  GetDataIOVirtualAddress(): bigint {
    return this.getDataIOVirtualAddress();
  },

  GetPacketBufferPool(): IOUserNetworkPacketBufferPool {
    return this.getPacketBufferPool();
  },
} satisfies Partial<IOUserNetworkPacket> & ThisType<IOUserNetworkPacket>;

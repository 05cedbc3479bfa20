/**
 * What `IOUserNetworkPacket` needs of its pool, and nothing more: the `PacketPool` interface
 * (lib/packet-pool.ts) as the pool implements it, plus the two record helpers debug mode uses.
 * Added to the pool's one prototype by lib/pool.ts.
 */
import { fail, kIOReturnNotPermitted } from './io-return';
import { Meta } from './layout';
import type { IOUserNetworkPacket } from './packet';
import type { IOUserNetworkPacketBufferPool } from './pool';
import { isOwnState } from './pool-ownership';

declare module './pool' {
  interface IOUserNetworkPacketBufferPool {
    /** @internal */ _bufferOffset(bufferIndex: number): number;
    /** @internal */ _bufferAddress(bufferIndex: number): bigint;
    /** @internal Buffer over buffer `bufferIndex`, made once. */
    _bufferView(bufferIndex: number): Buffer;
    /** @internal Buffer index of chain entry `i` of a packet. */
    _chainEntry(packetIndex: number, i: number): number;
    /** @internal */ _addBuffer(packetIndex: number): number;
    /** @internal Throws the right error for an accessor on a packet that is not held. */
    _notHeld(packet: IOUserNetworkPacket): never;
    /** @internal word index of a packet's metadata record */
    _metaWordOf(index: number): number;
    /** @internal whether a state word is this thread's (published or not) */
    _isOwnTag(state: number): boolean;
  }
}

/** @internal */
export const packetAccessMethods = {
  _bufferOffset(bufferIndex: number): number {
    return this._buffersOffset + bufferIndex * this._bufferStride;
  },

  _bufferAddress(bufferIndex: number): bigint {
    return this._baseAddress + BigInt(this._bufferOffset(bufferIndex));
  },

  _bufferView(bufferIndex: number): Buffer {
    const cached = this._buffers[bufferIndex];
    if (cached) return cached;
    if (this._region === null) return Buffer.alloc(0);
    const view = Buffer.from(this._region, this._bufferOffset(bufferIndex), this._bufferSize);
    this._buffers[bufferIndex] = view;
    return view;
  },

  _chainEntry(packetIndex: number, i: number): number {
    return this._u32[this._chainWord + packetIndex * this._chainPerPacket + i];
  },

  _addBuffer(packetIndex: number): number {
    return this._native!.addBuffer(packetIndex);
  },

  _notHeld(packet: IOUserNetworkPacket): never {
    this._checkOpen();
    return fail(kIOReturnNotPermitted, `packet ${packet._index} is not allocated`);
  },

  _metaWordOf(index: number): number {
    return this._metaBase + index * Meta.Words;
  },

  _isOwnTag(state: number): boolean {
    return isOwnState(state, this._tag, this._publishedTag);
  },
} satisfies Partial<IOUserNetworkPacketBufferPool> & ThisType<IOUserNetworkPacketBufferPool>;

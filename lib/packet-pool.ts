/**
 * The narrow interface between a packet and its pool: everything `IOUserNetworkPacket`
 * (lib/packet*.ts) uses of `IOUserNetworkPacketBufferPool`, which implements it in
 * lib/pool-packet-access.ts. A packet reads and writes its metadata record through `_u32`
 * directly (the accessors' hot path); everything else is a call. Also the argument check the
 * packet files share.
 */
import { describe, fail, kIOReturnBadArgument } from './io-return';
import type { IOUserNetworkPacket } from './packet';

/** @internal What a packet needs of its pool. */
export interface PacketPool {
  /** The region as 32-bit words: a packet's record is `_u32[m .. m + Meta.Words)`. Empty after release. */
  readonly _u32: Uint32Array;
  /** Bytes per buffer. */
  readonly _bufferSize: number;
  /** Byte offset of buffer `bufferIndex` in the region. */
  _bufferOffset(bufferIndex: number): number;
  /** Address of buffer `bufferIndex` in this process (the region's base address plus its offset). */
  _bufferAddress(bufferIndex: number): bigint;
  /** A Buffer over buffer `bufferIndex`, made once (empty after release). */
  _bufferView(bufferIndex: number): Buffer;
  /** Buffer index of chain entry `i` (0 = the first chained buffer) of packet `packetIndex`. */
  _chainEntry(packetIndex: number, i: number): number;
  /** Chains a free buffer to packet `packetIndex`: its index, or -1 when none can be added. */
  _addBuffer(packetIndex: number): number;
  /** Marks the packet with record `m` handed over (`handOver()`); throws if this thread does not hold it. */
  _handOver(m: number, index: number): void;
  /** Throws the right error for an accessor on a packet that is not held (or a released pool). */
  _notHeld(packet: IOUserNetworkPacket): never;
}

/** @internal Throws kIOReturnBadArgument: `field` must be an integer in 0..max. */
export function badUint(field: string, value: unknown, max: number): never {
  return fail(kIOReturnBadArgument, `${field} must be an integer in 0..${max}, got ${describe(value)}`);
}

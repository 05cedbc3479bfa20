/**
 * An `IOUserNetworkPacket`'s metadata beside the data window: direction, timestamp, trace id,
 * completion status, VLAN tag, link-layer broadcast/multicast, receive checksum and service
 * class. The optional fields read as 0 / absent unless their `Flag` bit is set, which is why
 * allocation only clears the flags word (`initPacket` in lib/pool-ownership.ts). Added to the
 * packet's one prototype by lib/packet.ts.
 */
import { IOUserNetworkPacketDirection } from './enums';
import { describe, fail, kIOReturnBadArgument, kIOReturnNotFound } from './io-return';
import { Flag, Meta } from './layout';
import { badUint } from './packet-pool';
import type { IOUserNetworkPacket, RxChecksumInfo } from './packet';

declare module './packet' {
  interface IOUserNetworkPacket {
    /** Direction (an extra beside upstream's members; the kernel twin has it). */
    getDirection(): IOUserNetworkPacketDirection;
    /** Sets the direction: None, Tx or Rx (kIOReturnBadArgument otherwise). */
    setDirection(direction: IOUserNetworkPacketDirection): void;
    /** Timestamp in nanoseconds (`getTimestamp`); 0n when none is set. */
    getTimestamp(): bigint;
    /**
     * The timestamp in nanoseconds as a number, without allocating a bigint (0 when none is set).
     * Exact up to 2^53 ns (104 days: a monotonic clock such as `process.hrtime`); a wall-clock
     * time in ns since 1970 (~1.7e18) comes back rounded to a multiple of 256 ns.
     */
    getTimestampNumber(): number;
    /**
     * Sets the timestamp (`setTimestamp`): a uint64 as bigint, or a non-negative safe integer
     * (a number allocates nothing: the fast form for per-packet stamping).
     */
    setTimestamp(timestamp: bigint | number): void;
    /** Removes the timestamp (`clearTimestamp`). */
    clearTimestamp(): void;
    /** Whether a timestamp is set (extra). */
    hasTimestamp(): boolean;
    /** Trace identifier (`getTraceID`); set with `setTraceID` (extra). */
    getTraceID(): number;
    /** Sets the trace identifier (uint32; extra, upstream sets it in the kernel). */
    setTraceID(id: number): void;
    /** Records the transmit completion status, an IOReturn code (`setCompletionStatus`). */
    setCompletionStatus(status: number): void;
    /** The completion status last set (extra). */
    getCompletionStatus(): number;
    /** Whether the packet carries an 802.1Q tag (check before `getVlanTag`, which throws when not). */
    hasVlanTag(): boolean;
    /**
     * The 802.1Q tag (`getVlanTag`): the full 16-bit TCI, priority (PCP, bits 15-13), drop
     * eligible (DEI, bit 12) and VLAN id (bits 11-0: `tag & 0xfff`). Throws kIOReturnNotFound when
     * the packet has none (`hasVlanTag()` tells).
     */
    getVlanTag(): number;
    /** Sets the 802.1Q tag (`setVlanTag`): the full 16-bit TCI (PCP, DEI and VLAN id). */
    setVlanTag(tag: number): void;
    /** Removes the VLAN tag (extra). */
    clearVlanTag(): void;
    /** Whether the frame was a link-layer broadcast (`isLinkBroadcast`). */
    isLinkBroadcast(): boolean;
    /** Marks the frame as a link-layer broadcast (extra; the kernel side sets it upstream). */
    setIsLinkBroadcast(value: boolean): void;
    /** Whether the frame was a link-layer multicast (`isLinkMulticast`). */
    isLinkMulticast(): boolean;
    /** Marks the frame as a link-layer multicast (`setIsLinkMulticast`). */
    setIsLinkMulticast(value: boolean): void;
    /** Receive checksum offload result (`getRxChecksumInfo`). */
    getRxChecksumInfo(): RxChecksumInfo;
    /** Sets the receive checksum offload result (`setRxChecksumInfo`, two uint32). */
    setRxChecksumInfo(flags: number, value: number): void;
    /** Service class (`getServiceClass`); set with `setServiceClass` (extra). */
    getServiceClass(): number;
    /** Sets the service class (uint32; extra, upstream sets it in the kernel). */
    setServiceClass(serviceClass: number): void;
    /** @internal */ _optional(flag: number, word: number): number;
    /** @internal */ _setOptional(m: number, flag: number, word: number, value: number): void;
    /** @internal */ _setFlag(flag: number, value: boolean, field: string): void;
  }
}

/** @internal */
export const metadataMethods = {
  getDirection(): IOUserNetworkPacketDirection {
    return this._pool._u32[this._rec() + Meta.Direction];
  },

  setDirection(direction: IOUserNetworkPacketDirection): void {
    const m = this._rec();
    if (direction !== 0 && direction !== 1 && direction !== 2) {
      fail(kIOReturnBadArgument, `direction must be None (0), Tx (1) or Rx (2), got ${describe(direction)}`);
    }
    this._pool._u32[m + Meta.Direction] = direction;
  },

  getTimestamp(): bigint {
    const m = this._rec();
    const u = this._pool._u32;
    if (!(u[m + Meta.Flags] & Flag.Timestamp)) return 0n;
    return (BigInt(u[m + Meta.TimestampLo + 1]) << 32n) | BigInt(u[m + Meta.TimestampLo]);
  },

  getTimestampNumber(): number {
    const m = this._rec();
    const u = this._pool._u32;
    if (!(u[m + Meta.Flags] & Flag.Timestamp)) return 0;
    return u[m + Meta.TimestampLo + 1] * 0x100000000 + u[m + Meta.TimestampLo];
  },

  setTimestamp(timestamp: bigint | number): void {
    const m = this._rec();
    const u = this._pool._u32;
    if (typeof timestamp === 'number' && Number.isSafeInteger(timestamp) && timestamp >= 0) {
      u[m + Meta.TimestampLo] = timestamp % 0x100000000;
      u[m + Meta.TimestampLo + 1] = Math.floor(timestamp / 0x100000000);
      u[m + Meta.Flags] |= Flag.Timestamp;
      return;
    }
    if (typeof timestamp !== 'bigint') {
      fail(kIOReturnBadArgument, `timestamp must be a bigint or non-negative safe integer, got ${describe(timestamp)}`);
    }
    if (timestamp < 0n || timestamp > 0xffffffffffffffffn) {
      fail(kIOReturnBadArgument, `timestamp must fit in 64 unsigned bits, got ${timestamp}n`);
    }
    u[m + Meta.TimestampLo] = Number(timestamp & 0xffffffffn);
    u[m + Meta.TimestampLo + 1] = Number(timestamp >> 32n);
    u[m + Meta.Flags] |= Flag.Timestamp;
  },

  clearTimestamp(): void {
    const m = this._rec();
    const u = this._pool._u32;
    u[m + Meta.TimestampLo] = 0;
    u[m + Meta.TimestampLo + 1] = 0;
    u[m + Meta.Flags] &= ~Flag.Timestamp;
  },

  hasTimestamp(): boolean {
    return (this._pool._u32[this._rec() + Meta.Flags] & Flag.Timestamp) !== 0;
  },

  getTraceID(): number {
    return this._optional(Flag.TraceId, Meta.TraceId);
  },

  setTraceID(id: number): void {
    const m = this._rec();
    if (typeof id !== 'number' || id >>> 0 !== id) badUint('trace id', id, 0xffffffff);
    this._setOptional(m, Flag.TraceId, Meta.TraceId, id);
  },

  setCompletionStatus(status: number): void {
    const m = this._rec();
    if (typeof status !== 'number' || status >>> 0 !== status) badUint('completion status', status, 0xffffffff);
    this._setOptional(m, Flag.CompletionStatus, Meta.CompletionStatus, status);
  },

  getCompletionStatus(): number {
    return this._optional(Flag.CompletionStatus, Meta.CompletionStatus);
  },

  hasVlanTag(): boolean {
    return (this._pool._u32[this._rec() + Meta.Flags] & Flag.Vlan) !== 0;
  },

  getVlanTag(): number {
    const m = this._rec();
    const u = this._pool._u32;
    if (!(u[m + Meta.Flags] & Flag.Vlan)) fail(kIOReturnNotFound, `packet ${this._index} has no VLAN tag`);
    return u[m + Meta.VlanTag];
  },

  setVlanTag(tag: number): void {
    const m = this._rec();
    if (typeof tag !== 'number' || (tag & 0xffff) !== tag) badUint('VLAN tag', tag, 0xffff);
    const u = this._pool._u32;
    u[m + Meta.VlanTag] = tag;
    u[m + Meta.Flags] |= Flag.Vlan;
  },

  clearVlanTag(): void {
    const m = this._rec();
    this._pool._u32[m + Meta.Flags] &= ~Flag.Vlan;
  },

  isLinkBroadcast(): boolean {
    return (this._pool._u32[this._rec() + Meta.Flags] & Flag.LinkBroadcast) !== 0;
  },

  setIsLinkBroadcast(value: boolean): void {
    this._setFlag(Flag.LinkBroadcast, value, 'isLinkBroadcast');
  },

  isLinkMulticast(): boolean {
    return (this._pool._u32[this._rec() + Meta.Flags] & Flag.LinkMulticast) !== 0;
  },

  setIsLinkMulticast(value: boolean): void {
    this._setFlag(Flag.LinkMulticast, value, 'isLinkMulticast');
  },

  getRxChecksumInfo(): RxChecksumInfo {
    const m = this._rec();
    const u = this._pool._u32;
    if (!(u[m + Meta.Flags] & Flag.RxChecksum)) return { flags: 0, value: 0 };
    return { flags: u[m + Meta.RxChecksumFlags], value: u[m + Meta.RxChecksumValue] };
  },

  setRxChecksumInfo(flags: number, value: number): void {
    const m = this._rec();
    if (typeof flags !== 'number' || flags >>> 0 !== flags) badUint('checksum flags', flags, 0xffffffff);
    if (typeof value !== 'number' || value >>> 0 !== value) badUint('checksum value', value, 0xffffffff);
    const u = this._pool._u32;
    u[m + Meta.RxChecksumFlags] = flags;
    u[m + Meta.RxChecksumValue] = value;
    u[m + Meta.Flags] |= Flag.RxChecksum;
  },

  getServiceClass(): number {
    return this._optional(Flag.ServiceClass, Meta.ServiceClass);
  },

  setServiceClass(serviceClass: number): void {
    const m = this._rec();
    if (typeof serviceClass !== 'number' || serviceClass >>> 0 !== serviceClass)
      badUint('service class', serviceClass, 0xffffffff);
    this._setOptional(m, Flag.ServiceClass, Meta.ServiceClass, serviceClass);
  },

  _optional(flag: number, word: number): number {
    const m = this._rec();
    const u = this._pool._u32;
    return u[m + Meta.Flags] & flag ? u[m + word] : 0;
  },

  _setOptional(m: number, flag: number, word: number, value: number): void {
    const u = this._pool._u32;
    u[m + word] = value;
    u[m + Meta.Flags] |= flag;
  },

  _setFlag(flag: number, value: boolean, field: string): void {
    const m = this._rec();
    if (typeof value !== 'boolean') fail(kIOReturnBadArgument, `${field} must be a boolean, got ${describe(value)}`);
    const u = this._pool._u32;
    u[m + Meta.Flags] = value ? u[m + Meta.Flags] | flag : u[m + Meta.Flags] & ~flag;
  },
} satisfies Partial<IOUserNetworkPacket> & ThisType<IOUserNetworkPacket>;

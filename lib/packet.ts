/**
 * `IOUserNetworkPacket`: one packet slot of a pool. There is one object per slot per thread,
 * created on first use and handed out again after every deallocation (as DriverKit does), so
 * taking a packet allocates nothing. Every accessor reads or writes the packet's metadata record
 * in the pool region through a typed array; nothing here calls into C++ except chaining.
 */
import type { IOUserNetworkPacketBufferPool } from './pool';
import { IOUserNetworkPacketDirection } from './enums';
import {
  describe,
  fail,
  kIOReturnBadArgument,
  kIOReturnNotFound,
  kIOReturnOverrun,
} from './io-return';
import { Flag, Meta } from './layout';

/** `IOUserNetworkPacketDescriptor`: names a packet slot by index. */
export interface IOUserNetworkPacketDescriptor {
  /** Index of the packet slot, 0..packetCount-1. */
  fPacketIndex: number;
}

/** Receive checksum information (`getRxChecksumInfo` / `setRxChecksumInfo`). */
export interface RxChecksumInfo {
  /** Checksum offload flags (uint32). */
  flags: number;
  /** Checksum value (uint32). */
  value: number;
}

function badUint(field: string, value: unknown, max: number): never {
  return fail(kIOReturnBadArgument, `${field} must be an integer in 0..${max}, got ${describe(value)}`);
}

// True only while mintPacket runs: the constructor refuses every other caller.
let minting = false;

/** @internal The pool's way to make the one packet object of a slot. */
export function mintPacket(pool: IOUserNetworkPacketBufferPool, index: number, metaWord: number): IOUserNetworkPacket {
  return minted(() => new IOUserNetworkPacket(pool, index, metaWord));
}

/** @internal Runs `make`, which may construct packets (or a subclass: debug handles). */
export function minted<T>(make: () => T): T {
  minting = true;
  try {
    return make();
  } finally {
    minting = false;
  }
}

/**
 * A packet of a pool (DriverKit `IOUserNetworkPacket`): metadata (data window, headroom, link
 * header, timestamp, VLAN, checksum info...) and one or more buffers. Accessors on a packet that
 * is not allocated throw kIOReturnNotPermitted; after the pool's release, kIOReturnNotAttached.
 */
export class IOUserNetworkPacket {
  /** @internal */ readonly _pool: IOUserNetworkPacketBufferPool;
  /** @internal */ readonly _index: number;
  /** @internal word index of this packet's metadata record in the region */
  readonly _m: number;

  /**
   * @internal Packets come from their pool (`allocatePacket`, `newPacket`); `new` throws
   * kIOReturnBadArgument, so that no object but the pool's own can stand for a slot.
   */
  constructor(pool: IOUserNetworkPacketBufferPool, index: number, metaWord: number) {
    if (!minting) fail(kIOReturnBadArgument, 'IOUserNetworkPacket objects come from their pool (allocatePacket, newPacket)');
    this._pool = pool;
    this._index = index;
    this._m = metaWord;
  }

  /** @internal Word index of the record after checking the packet is held; throws otherwise. */
  _rec(): number {
    const m = this._m;
    // 0 = free; undefined = the pool's views were released.
    if (!this._pool._u32[m]) this._pool._notHeld(this);
    return m;
  }

  /** Usable bytes from the buffer start: bufferSize times the buffers chained so far. */
  private _capacity(m: number): number {
    return this._pool._bufferSize * this._pool._u32[m + Meta.BufferCount];
  }

  // ---- identity ----------------------------------------------------------------------------

  /**
   * Index of this packet's slot, 0..packetCount-1. A pure getter: reading it (to log it, to use
   * it as a key) changes nothing. To give the packet to another thread or process by index, use
   * `handOver()`, which returns the same number.
   */
  getPacketIndex(): number {
    return this._index;
  }

  /**
   * Hands the packet over and returns its index, the number to send to another thread or
   * process: from now on another thread may take the packet over (`newPacket`) or free it by
   * index (`deallocatePacketIndices`), which is refused (kIOReturnNotPermitted) for a packet that
   * was never handed over. The caller may still use and free it, at the cost of one atomic
   * compare-and-swap on the free. The one-packet form of `pool.publishPacketIndices`; calling it
   * again is harmless. kIOReturnNotPermitted if this thread does not hold the packet.
   */
  handOver(): number {
    this._pool._handOver(this._rec(), this._index);
    return this._index;
  }

  /** The pool this packet belongs to (`getPacketBufferPool`). */
  getPacketBufferPool(): IOUserNetworkPacketBufferPool {
    return this._pool;
  }

  // ---- data window -------------------------------------------------------------------------

  /** Length of the packet data in bytes (`getDataLength`). */
  getDataLength(): number {
    return this._pool._u32[this._rec() + Meta.DataLength];
  }

  /**
   * Sets the data length (`setDataLength`). kIOReturnBadArgument if not a uint32,
   * kIOReturnOverrun if data offset + length exceeds the packet's buffers.
   */
  setDataLength(length: number): void {
    const m = this._rec();
    if (typeof length !== 'number' || (length >>> 0) !== length) badUint('data length', length, 0xffffffff);
    const u = this._pool._u32;
    if (u[m + Meta.DataOffset] + length > this._capacity(m)) this._overrun(u[m + Meta.DataOffset], length);
    u[m + Meta.DataLength] = length;
  }

  /** Offset of the data from the start of the packet's first buffer (`getDataOffset`). */
  getDataOffset(): number {
    return this._pool._u32[this._rec() + Meta.DataOffset];
  }

  /**
   * Sets the data offset (`setDataOffset`, uint16): not below the headroom (kIOReturnOverrun:
   * `prepend()` is the way into the headroom), and offset + length within the buffers.
   */
  setDataOffset(offset: number): void {
    const m = this._rec();
    if (typeof offset !== 'number' || (offset & 0xffff) !== offset) badUint('data offset', offset, 0xffff);
    const u = this._pool._u32;
    if (offset < u[m + Meta.Headroom]) this._inHeadroom(m, offset);
    if (offset + u[m + Meta.DataLength] > this._capacity(m)) this._overrun(offset, u[m + Meta.DataLength]);
    u[m + Meta.DataOffset] = offset;
  }

  /**
   * Sets offset and length together (`setDataOffsetAndLength`), checked as one window: the offset
   * not below the headroom, the end within the buffers (kIOReturnOverrun).
   */
  setDataOffsetAndLength(offset: number, length: number): void {
    const m = this._rec();
    if (typeof offset !== 'number' || (offset & 0xffff) !== offset) badUint('data offset', offset, 0xffff);
    if (typeof length !== 'number' || (length >>> 0) !== length) badUint('data length', length, 0xffffffff);
    if (offset < this._pool._u32[m + Meta.Headroom]) this._inHeadroom(m, offset);
    if (offset + length > this._capacity(m)) this._overrun(offset, length);
    const u = this._pool._u32;
    u[m + Meta.DataOffset] = offset;
    u[m + Meta.DataLength] = length;
  }

  /** Newer name of `getDataOffset`. */
  getDataOff(): number {
    return this.getDataOffset();
  }

  /** Newer name of `setDataOffset`. */
  setDataOff(offset: number): void {
    this.setDataOffset(offset);
  }

  /** Newer name of `setDataOffsetAndLength`. */
  setDataOffAndLen(offset: number, length: number): void {
    this.setDataOffsetAndLength(offset, length);
  }

  // ---- moving the data window (DPDK's rte_pktmbuf_prepend / adj / append / trim) -------------

  /**
   * Grows the data window by `n` bytes at the front, into the headroom, for a header: the data
   * offset moves back by n and the length grows by n; the headroom shrinks to the new offset if
   * it was larger (the header now uses it). Returns the new data offset, where the header goes:
   * `packet.getBuffer().set(ethernetHeader, packet.prepend(14))`. kIOReturnOverrun if fewer than
   * n bytes lie before the data (the window never crosses the buffer's start).
   */
  prepend(n: number): number {
    const m = this._rec();
    if (typeof n !== 'number' || (n >>> 0) !== n) badUint('prepend length', n, 0xffffffff);
    const u = this._pool._u32;
    const offset = u[m + Meta.DataOffset];
    if (n > offset) {
      fail(kIOReturnOverrun, `prepend(${n}): only ${offset} bytes lie before the data of packet ${this._index}`);
    }
    const start = offset - n;
    u[m + Meta.DataOffset] = start;
    u[m + Meta.DataLength] += n;
    if (u[m + Meta.Headroom] > start) u[m + Meta.Headroom] = start;
    return start;
  }

  /**
   * Removes `n` bytes from the front of the data (a header that was read): the offset moves
   * forward by n, the length shrinks by n. Returns the new data offset. kIOReturnOverrun if the
   * data is shorter than n (or the offset would pass 65535).
   */
  adj(n: number): number {
    const m = this._rec();
    if (typeof n !== 'number' || (n >>> 0) !== n) badUint('adj length', n, 0xffffffff);
    const u = this._pool._u32;
    const offset = u[m + Meta.DataOffset];
    const length = u[m + Meta.DataLength];
    if (n > length) fail(kIOReturnOverrun, `adj(${n}): packet ${this._index} has only ${length} bytes of data`);
    if (offset + n > 0xffff) fail(kIOReturnOverrun, `adj(${n}): the data offset ${offset + n} would exceed 65535`);
    u[m + Meta.DataOffset] = offset + n;
    u[m + Meta.DataLength] = length - n;
    return offset + n;
  }

  /**
   * Grows the data window by `n` bytes at the end. Returns the offset (from the start of the
   * first buffer; past bufferSize the bytes lie in chained buffers) where the new bytes begin.
   * kIOReturnOverrun if the window would run past the packet's buffers (chain one with
   * `addBuffer()` first).
   */
  append(n: number): number {
    const m = this._rec();
    if (typeof n !== 'number' || (n >>> 0) !== n) badUint('append length', n, 0xffffffff);
    const u = this._pool._u32;
    const end = u[m + Meta.DataOffset] + u[m + Meta.DataLength];
    const room = this._capacity(m) - end;
    if (n > room) fail(kIOReturnOverrun, `append(${n}): only ${room} bytes are left after the data of packet ${this._index}`);
    u[m + Meta.DataLength] += n;
    return end;
  }

  /** Removes `n` bytes from the end of the data. kIOReturnOverrun if the data is shorter. */
  trim(n: number): void {
    const m = this._rec();
    if (typeof n !== 'number' || (n >>> 0) !== n) badUint('trim length', n, 0xffffffff);
    const u = this._pool._u32;
    const length = u[m + Meta.DataLength];
    if (n > length) fail(kIOReturnOverrun, `trim(${n}): packet ${this._index} has only ${length} bytes of data`);
    u[m + Meta.DataLength] = length - n;
  }

  /** Headroom reserved before the data (`getHeadroom`, uint8). */
  getHeadroom(): number {
    return this._pool._u32[this._rec() + Meta.Headroom];
  }

  /**
   * Sets the headroom (`setHeadroom`): uint8, and smaller than bufferSize (kIOReturnOverrun). The
   * headroom is the room before the data kept for headers: later `setDataOffset` calls may not
   * place the data inside it, `prepend()` grows the data into it. It does not move the data.
   */
  setHeadroom(headroom: number): void {
    const m = this._rec();
    if (typeof headroom !== 'number' || (headroom & 0xff) !== headroom) badUint('headroom', headroom, 0xff);
    if (headroom >= this._pool._bufferSize) {
      fail(kIOReturnOverrun, `headroom ${headroom} does not fit a ${this._pool._bufferSize}-byte buffer`);
    }
    this._pool._u32[m + Meta.Headroom] = headroom;
  }

  /** Length of the link-layer header at the start of the data (`getLinkHeaderLength`, uint8). */
  getLinkHeaderLength(): number {
    return this._pool._u32[this._rec() + Meta.LinkHeaderLength];
  }

  /** Sets the link header length (`setLinkHeaderLength`): uint8; offset + it must fit. */
  setLinkHeaderLength(length: number): void {
    const m = this._rec();
    if (typeof length !== 'number' || (length & 0xff) !== length) badUint('link header length', length, 0xff);
    const u = this._pool._u32;
    if (u[m + Meta.DataOffset] + length > this._capacity(m)) this._overrun(u[m + Meta.DataOffset], length);
    u[m + Meta.LinkHeaderLength] = length;
  }

  // ---- where the bytes are -----------------------------------------------------------------

  /** Byte offset of this packet's first buffer in the pool memory (`getMemorySegmentOffset`). */
  getMemorySegmentOffset(): number {
    this._rec();
    return this._pool._bufferOffset(this._index);
  }

  /** Address of the first buffer, not including the data offset (`getDataVirtualAddress`). */
  getDataVirtualAddress(): bigint {
    this._rec();
    return this._pool._baseAddress + BigInt(this._pool._bufferOffset(this._index));
  }

  /** Device-visible address of the first buffer; identical to the virtual one (no IOMMU). */
  getDataIOVirtualAddress(): bigint {
    return this.getDataVirtualAddress();
  }

  /**
   * A Buffer over the packet's whole first buffer (bufferSize bytes). Made once per slot and
   * reused; after the pool is released it reads as empty.
   */
  getBuffer(): Buffer {
    this._rec();
    return this._pool._bufferView(this._index);
  }

  /**
   * A new Buffer view of the data window (allocates a small view object: on the hot path use
   * `getBuffer()` with `getDataOffset()` / `getDataLength()`). Covers the part of the window that
   * lies in the first buffer.
   */
  getData(): Buffer {
    const m = this._rec();
    const u = this._pool._u32;
    const start = u[m + Meta.DataOffset];
    const end = Math.min(start + u[m + Meta.DataLength], this._pool._bufferSize);
    return this._pool._bufferView(this._index).subarray(start, end);
  }

  /** Buffers chained to this packet, including its own first one. */
  getBufferCount(): number {
    return this._pool._u32[this._rec() + Meta.BufferCount];
  }

  /**
   * Chains one of the pool's extra buffers to the packet and returns a Buffer over it; null
   * when none is free or the packet already has maxBuffersPerPacket buffers.
   */
  addBuffer(): Buffer | null {
    this._rec();
    const bufferIndex = this._pool._native!.addBuffer(this._index);
    return bufferIndex < 0 ? null : this._pool._bufferView(bufferIndex);
  }

  /** A Buffer over buffer `i` of the chain (0 = the packet's own). */
  getBufferAt(i: number): Buffer {
    const m = this._rec();
    const count = this._pool._u32[m + Meta.BufferCount];
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= count) {
      fail(kIOReturnBadArgument, `buffer index ${describe(i)} is out of range (packet has ${count})`);
    }
    return this._pool._bufferView(i === 0 ? this._index : this._pool._chainEntry(this._index, i - 1));
  }

  // ---- the data across chained buffers ------------------------------------------------------

  /**
   * The data window as a list of Buffers, one per buffer it touches, in order: an iovec list for
   * `socket.writev`-style I/O (`fs.writev(fd, packet.getDataSegments())`) or for iterating a
   * chained packet's bytes. Views into the pool's memory (no copy); allocates the views and array.
   */
  getDataSegments(): Buffer[] {
    const m = this._rec();
    const u = this._pool._u32;
    const size = this._pool._bufferSize;
    let at = u[m + Meta.DataOffset];
    const end = at + u[m + Meta.DataLength];
    const segments: Buffer[] = [];
    while (at < end) {
      const i = Math.floor(at / size);
      const from = at - i * size;
      const to = Math.min(size, end - i * size);
      segments.push(this._bufferAt(i).subarray(from, to));
      at = (i + 1) * size;
    }
    return segments;
  }

  /**
   * Copies data bytes out, from `offset` bytes into the data window, across chained buffers, into
   * `target` (a Buffer or other Uint8Array). Returns how many bytes were copied: the smaller of
   * the target's length and what the window holds past `offset`. kIOReturnOverrun if `offset`
   * lies beyond the data.
   */
  readData(target: Uint8Array, offset = 0): number {
    const m = this._rec();
    if (!(target instanceof Uint8Array)) fail(kIOReturnBadArgument, `target must be a Uint8Array, got ${describe(target)}`);
    const length = this._pool._u32[m + Meta.DataLength];
    if (typeof offset !== 'number' || (offset >>> 0) !== offset) badUint('offset', offset, 0xffffffff);
    if (offset > length) fail(kIOReturnOverrun, `offset ${offset} lies beyond the ${length} bytes of data`);
    const n = Math.min(target.length, length - offset);
    this._copy(m, offset, n, target, false);
    return n;
  }

  /**
   * Copies `source` into the data window at `offset` bytes from its start, across chained
   * buffers. The window must already cover it (kIOReturnOverrun otherwise: grow it first with
   * `append()` or `setDataLength()`); the window is unchanged.
   */
  writeData(source: Uint8Array, offset = 0): void {
    const m = this._rec();
    if (!(source instanceof Uint8Array)) fail(kIOReturnBadArgument, `source must be a Uint8Array, got ${describe(source)}`);
    const length = this._pool._u32[m + Meta.DataLength];
    if (typeof offset !== 'number' || (offset >>> 0) !== offset) badUint('offset', offset, 0xffffffff);
    if (offset + source.length > length) {
      fail(kIOReturnOverrun, `${source.length} bytes at offset ${offset} run past the ${length} bytes of data`);
    }
    this._copy(m, offset, source.length, source, true);
  }

  // Copies n bytes between `bytes` and the data window from `offset` into it, buffer by buffer.
  private _copy(m: number, offset: number, n: number, bytes: Uint8Array, intoPacket: boolean): void {
    const size = this._pool._bufferSize;
    let at = this._pool._u32[m + Meta.DataOffset] + offset;
    let done = 0;
    while (done < n) {
      const i = Math.floor(at / size);
      const from = at - i * size;
      const count = Math.min(size - from, n - done);
      const buffer = this._bufferAt(i);
      if (intoPacket) buffer.set(bytes.subarray(done, done + count), from);
      else bytes.set(buffer.subarray(from, from + count), done);
      done += count;
      at += count;
    }
  }

  // Buffer i of the chain (0 = the packet's own), unchecked.
  private _bufferAt(i: number): Buffer {
    return this._pool._bufferView(i === 0 ? this._index : this._pool._chainEntry(this._index, i - 1));
  }

  // ---- metadata ----------------------------------------------------------------------------

  /** Direction (an extra beside upstream's members; the kernel twin has it). */
  getDirection(): IOUserNetworkPacketDirection {
    return this._pool._u32[this._rec() + Meta.Direction];
  }

  /** Sets the direction: None, Tx or Rx (kIOReturnBadArgument otherwise). */
  setDirection(direction: IOUserNetworkPacketDirection): void {
    const m = this._rec();
    if (direction !== 0 && direction !== 1 && direction !== 2) {
      fail(kIOReturnBadArgument, `direction must be None (0), Tx (1) or Rx (2), got ${describe(direction)}`);
    }
    this._pool._u32[m + Meta.Direction] = direction;
  }

  /** Timestamp in nanoseconds (`getTimestamp`); 0n when none is set. */
  getTimestamp(): bigint {
    const m = this._rec();
    const u = this._pool._u32;
    if (!(u[m + Meta.Flags] & Flag.Timestamp)) return 0n;
    return (BigInt(u[m + Meta.TimestampLo + 1]) << 32n) | BigInt(u[m + Meta.TimestampLo]);
  }

  /**
   * The timestamp in nanoseconds as a number, without allocating a bigint (0 when none is set).
   * Exact up to 2^53 ns (104 days: a monotonic clock such as `process.hrtime`); a wall-clock
   * time in ns since 1970 (~1.7e18) comes back rounded to a multiple of 256 ns.
   */
  getTimestampNumber(): number {
    const m = this._rec();
    const u = this._pool._u32;
    if (!(u[m + Meta.Flags] & Flag.Timestamp)) return 0;
    return u[m + Meta.TimestampLo + 1] * 0x100000000 + u[m + Meta.TimestampLo];
  }

  /**
   * Sets the timestamp (`setTimestamp`): a uint64 as bigint, or a non-negative safe integer
   * (a number allocates nothing: the fast form for per-packet stamping).
   */
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
  }

  /** Removes the timestamp (`clearTimestamp`). */
  clearTimestamp(): void {
    const m = this._rec();
    const u = this._pool._u32;
    u[m + Meta.TimestampLo] = 0;
    u[m + Meta.TimestampLo + 1] = 0;
    u[m + Meta.Flags] &= ~Flag.Timestamp;
  }

  /** Whether a timestamp is set (extra). */
  hasTimestamp(): boolean {
    return (this._pool._u32[this._rec() + Meta.Flags] & Flag.Timestamp) !== 0;
  }

  /** Trace identifier (`getTraceID`); set with `setTraceID` (extra). */
  getTraceID(): number {
    return this._optional(Flag.TraceId, Meta.TraceId);
  }

  /** Sets the trace identifier (uint32; extra, upstream sets it in the kernel). */
  setTraceID(id: number): void {
    const m = this._rec();
    if (typeof id !== 'number' || (id >>> 0) !== id) badUint('trace id', id, 0xffffffff);
    this._setOptional(m, Flag.TraceId, Meta.TraceId, id);
  }

  /** Records the transmit completion status, an IOReturn code (`setCompletionStatus`). */
  setCompletionStatus(status: number): void {
    const m = this._rec();
    if (typeof status !== 'number' || (status >>> 0) !== status) badUint('completion status', status, 0xffffffff);
    this._setOptional(m, Flag.CompletionStatus, Meta.CompletionStatus, status);
  }

  /** The completion status last set (extra). */
  getCompletionStatus(): number {
    return this._optional(Flag.CompletionStatus, Meta.CompletionStatus);
  }

  /** Whether the packet carries an 802.1Q tag (check before `getVlanTag`, which throws when not). */
  hasVlanTag(): boolean {
    return (this._pool._u32[this._rec() + Meta.Flags] & Flag.Vlan) !== 0;
  }

  /**
   * The 802.1Q tag (`getVlanTag`): the full 16-bit TCI, priority (PCP, bits 15-13), drop
   * eligible (DEI, bit 12) and VLAN id (bits 11-0: `tag & 0xfff`). Throws kIOReturnNotFound when
   * the packet has none (`hasVlanTag()` tells).
   */
  getVlanTag(): number {
    const m = this._rec();
    const u = this._pool._u32;
    if (!(u[m + Meta.Flags] & Flag.Vlan)) fail(kIOReturnNotFound, `packet ${this._index} has no VLAN tag`);
    return u[m + Meta.VlanTag];
  }

  /** Sets the 802.1Q tag (`setVlanTag`): the full 16-bit TCI (PCP, DEI and VLAN id). */
  setVlanTag(tag: number): void {
    const m = this._rec();
    if (typeof tag !== 'number' || (tag & 0xffff) !== tag) badUint('VLAN tag', tag, 0xffff);
    const u = this._pool._u32;
    u[m + Meta.VlanTag] = tag;
    u[m + Meta.Flags] |= Flag.Vlan;
  }

  /** Removes the VLAN tag (extra). */
  clearVlanTag(): void {
    const m = this._rec();
    this._pool._u32[m + Meta.Flags] &= ~Flag.Vlan;
  }

  /** Whether the frame was a link-layer broadcast (`isLinkBroadcast`). */
  isLinkBroadcast(): boolean {
    return (this._pool._u32[this._rec() + Meta.Flags] & Flag.LinkBroadcast) !== 0;
  }

  /** Marks the frame as a link-layer broadcast (extra; the kernel side sets it upstream). */
  setIsLinkBroadcast(value: boolean): void {
    this._setFlag(Flag.LinkBroadcast, value, 'isLinkBroadcast');
  }

  /** Whether the frame was a link-layer multicast (`isLinkMulticast`). */
  isLinkMulticast(): boolean {
    return (this._pool._u32[this._rec() + Meta.Flags] & Flag.LinkMulticast) !== 0;
  }

  /** Marks the frame as a link-layer multicast (`setIsLinkMulticast`). */
  setIsLinkMulticast(value: boolean): void {
    this._setFlag(Flag.LinkMulticast, value, 'isLinkMulticast');
  }

  /** Receive checksum offload result (`getRxChecksumInfo`). */
  getRxChecksumInfo(): RxChecksumInfo {
    const m = this._rec();
    const u = this._pool._u32;
    if (!(u[m + Meta.Flags] & Flag.RxChecksum)) return { flags: 0, value: 0 };
    return { flags: u[m + Meta.RxChecksumFlags], value: u[m + Meta.RxChecksumValue] };
  }

  /** Sets the receive checksum offload result (`setRxChecksumInfo`, two uint32). */
  setRxChecksumInfo(flags: number, value: number): void {
    const m = this._rec();
    if (typeof flags !== 'number' || (flags >>> 0) !== flags) badUint('checksum flags', flags, 0xffffffff);
    if (typeof value !== 'number' || (value >>> 0) !== value) badUint('checksum value', value, 0xffffffff);
    const u = this._pool._u32;
    u[m + Meta.RxChecksumFlags] = flags;
    u[m + Meta.RxChecksumValue] = value;
    u[m + Meta.Flags] |= Flag.RxChecksum;
  }

  /** Service class (`getServiceClass`); set with `setServiceClass` (extra). */
  getServiceClass(): number {
    return this._optional(Flag.ServiceClass, Meta.ServiceClass);
  }

  /** Sets the service class (uint32; extra, upstream sets it in the kernel). */
  setServiceClass(serviceClass: number): void {
    const m = this._rec();
    if (typeof serviceClass !== 'number' || (serviceClass >>> 0) !== serviceClass) badUint('service class', serviceClass, 0xffffffff);
    this._setOptional(m, Flag.ServiceClass, Meta.ServiceClass, serviceClass);
  }

  // ---- upstream-deprecated capitalised forms ----------------------------------------------

  /** @deprecated Upstream deprecated; use `getDataLength`. */
  GetDataLength(): number {
    return this.getDataLength();
  }
  /** @deprecated Upstream deprecated; use `setDataLength`. */
  SetDataLength(length: number): void {
    this.setDataLength(length);
  }
  /** @deprecated Upstream deprecated; use `getDataOffset`. */
  GetDataOffset(): number {
    return this.getDataOffset();
  }
  /** @deprecated Upstream deprecated; use `setDataOffset`. */
  SetDataOffset(offset: number): void {
    this.setDataOffset(offset);
  }
  /** @deprecated Upstream deprecated; use `getHeadroom`. */
  GetHeadroom(): number {
    return this.getHeadroom();
  }
  /** @deprecated Upstream deprecated; use `setHeadroom`. */
  SetHeadroom(headroom: number): void {
    this.setHeadroom(headroom);
  }
  /** @deprecated Upstream deprecated; use `getLinkHeaderLength`. */
  GetLinkHeaderLength(): number {
    return this.getLinkHeaderLength();
  }
  /** @deprecated Upstream deprecated; use `setLinkHeaderLength`. */
  SetLinkHeaderLength(length: number): void {
    this.setLinkHeaderLength(length);
  }
  /** @deprecated Upstream deprecated; use `getMemorySegmentOffset`. */
  GetMemorySegmentOffset(): number {
    return this.getMemorySegmentOffset();
  }
  /** @deprecated Upstream deprecated; use `getDataVirtualAddress`. */
  GetDataVirtualAddress(): bigint {
    return this.getDataVirtualAddress();
  }
  /** @deprecated Upstream deprecated; use `getDataIOVirtualAddress`. */
  GetDataIOVirtualAddress(): bigint {
    return this.getDataIOVirtualAddress();
  }
  /** @deprecated Upstream deprecated; use `getPacketBufferPool`. */
  GetPacketBufferPool(): IOUserNetworkPacketBufferPool {
    return this.getPacketBufferPool();
  }

  // ---- helpers -----------------------------------------------------------------------------

  private _optional(flag: number, word: number): number {
    const m = this._rec();
    const u = this._pool._u32;
    return u[m + Meta.Flags] & flag ? u[m + word] : 0;
  }

  private _setOptional(m: number, flag: number, word: number, value: number): void {
    const u = this._pool._u32;
    u[m + word] = value;
    u[m + Meta.Flags] |= flag;
  }

  private _setFlag(flag: number, value: boolean, field: string): void {
    const m = this._rec();
    if (typeof value !== 'boolean') fail(kIOReturnBadArgument, `${field} must be a boolean, got ${describe(value)}`);
    const u = this._pool._u32;
    u[m + Meta.Flags] = value ? u[m + Meta.Flags] | flag : u[m + Meta.Flags] & ~flag;
  }

  private _inHeadroom(m: number, offset: number): never {
    const headroom = this._pool._u32[m + Meta.Headroom];
    return fail(
      kIOReturnOverrun,
      `data offset ${offset} lies inside the packet's ${headroom}-byte headroom (prepend() grows the data into it; setHeadroom() lowers it)`,
    );
  }

  private _overrun(offset: number, length: number): never {
    return fail(
      kIOReturnOverrun,
      `data offset ${offset} + length ${length} exceeds the packet's ${this._capacity(this._m)} bytes`,
    );
  }
}

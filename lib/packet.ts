/**
 * `IOUserNetworkPacket`: one packet slot of a pool. There is one object per slot per thread,
 * created on first use and handed out again after every deallocation (as DriverKit does), so
 * taking a packet allocates nothing. Every accessor reads or writes the packet's metadata record
 * in the pool region through a typed array; nothing here calls into C++ except chaining.
 *
 * A packet talks to its pool only through `PacketPool` (lib/packet-pool.ts). This file holds the
 * class (its fields, so packets keep one hidden class), identity and the data window; the other
 * accessors join the one prototype through `addMethods`: packet-buffers.ts (buffers, addresses,
 * the data across chained buffers), packet-metadata.ts (timestamp, VLAN, checksum...) and
 * packet-twins.ts (newer short names and upstream-deprecated capitalised forms).
 */
import type { IOUserNetworkPacketBufferPool } from './pool';
import { fail, kIOReturnBadArgument, kIOReturnOverrun } from './io-return';
import { Meta } from './layout';
import { addMethods } from './mixin';
import { bufferMethods } from './packet-buffers';
import { metadataMethods } from './packet-metadata';
import { badUint, type PacketPool } from './packet-pool';
import { twinMethods } from './packet-twins';

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

// True only while mintPacket runs: the constructor refuses every other caller.
let minting = false;

/** @internal The pool's way to make the one packet object of a slot. */
export function mintPacket(pool: PacketPool, index: number, metaWord: number): IOUserNetworkPacket {
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
  /** @internal the pool, seen through the narrow interface a packet needs */
  readonly _pool: PacketPool;
  /** @internal */ readonly _index: number;
  /** @internal word index of this packet's metadata record in the region */
  readonly _m: number;

  /**
   * @internal Packets come from their pool (`allocatePacket`, `newPacket`); `new` throws
   * kIOReturnBadArgument, so that no object but the pool's own can stand for a slot.
   */
  constructor(pool: PacketPool, index: number, metaWord: number) {
    if (!minting)
      fail(kIOReturnBadArgument, 'IOUserNetworkPacket objects come from their pool (allocatePacket, newPacket)');
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

  /** @internal Usable bytes from the buffer start: bufferSize times the buffers chained so far. */
  _capacity(m: number): number {
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
    // The pool is the one implementation of PacketPool.
    return this._pool as IOUserNetworkPacketBufferPool;
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
    if (typeof length !== 'number' || length >>> 0 !== length) badUint('data length', length, 0xffffffff);
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
    if (typeof length !== 'number' || length >>> 0 !== length) badUint('data length', length, 0xffffffff);
    if (offset < this._pool._u32[m + Meta.Headroom]) this._inHeadroom(m, offset);
    if (offset + length > this._capacity(m)) this._overrun(offset, length);
    const u = this._pool._u32;
    u[m + Meta.DataOffset] = offset;
    u[m + Meta.DataLength] = length;
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
    if (typeof n !== 'number' || n >>> 0 !== n) badUint('prepend length', n, 0xffffffff);
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
    if (typeof n !== 'number' || n >>> 0 !== n) badUint('adj length', n, 0xffffffff);
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
    if (typeof n !== 'number' || n >>> 0 !== n) badUint('append length', n, 0xffffffff);
    const u = this._pool._u32;
    const end = u[m + Meta.DataOffset] + u[m + Meta.DataLength];
    const room = this._capacity(m) - end;
    if (n > room)
      fail(kIOReturnOverrun, `append(${n}): only ${room} bytes are left after the data of packet ${this._index}`);
    u[m + Meta.DataLength] += n;
    return end;
  }

  /** Removes `n` bytes from the end of the data. kIOReturnOverrun if the data is shorter. */
  trim(n: number): void {
    const m = this._rec();
    if (typeof n !== 'number' || n >>> 0 !== n) badUint('trim length', n, 0xffffffff);
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

  // ---- helpers -----------------------------------------------------------------------------

  /** @internal */
  _inHeadroom(m: number, offset: number): never {
    const headroom = this._pool._u32[m + Meta.Headroom];
    return fail(
      kIOReturnOverrun,
      `data offset ${offset} lies inside the packet's ${headroom}-byte headroom (prepend() grows the data into it; setHeadroom() lowers it)`,
    );
  }

  /** @internal */
  _overrun(offset: number, length: number): never {
    return fail(
      kIOReturnOverrun,
      `data offset ${offset} + length ${length} exceeds the packet's ${this._capacity(this._m)} bytes`,
    );
  }
}

addMethods(IOUserNetworkPacket, bufferMethods);
addMethods(IOUserNetworkPacket, metadataMethods);
addMethods(IOUserNetworkPacket, twinMethods);

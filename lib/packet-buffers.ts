/**
 * Where an `IOUserNetworkPacket`'s bytes are: its first buffer and the chained ones, as offsets,
 * addresses and Buffer views, and the data window copied or listed across the chain. Everything
 * goes through the packet's `PacketPool` (lib/packet-pool.ts). Added to the packet's one prototype
 * by lib/packet.ts.
 */
import { describe, fail, kIOReturnBadArgument, kIOReturnOverrun } from './io-return';
import { Meta } from './layout';
import { badUint } from './packet-pool';
import type { IOUserNetworkPacket } from './packet';

declare module './packet' {
  interface IOUserNetworkPacket {
    /** Byte offset of this packet's first buffer in the pool memory (`getMemorySegmentOffset`). */
    getMemorySegmentOffset(): number;
    /** Address of the first buffer, not including the data offset (`getDataVirtualAddress`). */
    getDataVirtualAddress(): bigint;
    /** Device-visible address of the first buffer; identical to the virtual one (no IOMMU). */
    getDataIOVirtualAddress(): bigint;
    /**
     * A Buffer over the packet's whole first buffer (bufferSize bytes). Made once per slot and
     * reused; after the pool is released it reads as empty.
     */
    getBuffer(): Buffer;
    /**
     * A new Buffer view of the data window (allocates a small view object: on the hot path use
     * `getBuffer()` with `getDataOffset()` / `getDataLength()`). Covers the part of the window that
     * lies in the first buffer.
     */
    getData(): Buffer;
    /** Buffers chained to this packet, including its own first one. */
    getBufferCount(): number;
    /**
     * Chains one of the pool's extra buffers to the packet and returns a Buffer over it; null
     * when none is free or the packet already has maxBuffersPerPacket buffers.
     */
    addBuffer(): Buffer | null;
    /** A Buffer over buffer `i` of the chain (0 = the packet's own). */
    getBufferAt(i: number): Buffer;
    /**
     * The data window as a list of Buffers, one per buffer it touches, in order: an iovec list for
     * `socket.writev`-style I/O (`fs.writev(fd, packet.getDataSegments())`) or for iterating a
     * chained packet's bytes. Views into the pool's memory (no copy); allocates the views and array.
     */
    getDataSegments(): Buffer[];
    /**
     * Copies data bytes out, from `offset` bytes into the data window, across chained buffers, into
     * `target` (a Buffer or other Uint8Array). Returns how many bytes were copied: the smaller of
     * the target's length and what the window holds past `offset`. kIOReturnOverrun if `offset`
     * lies beyond the data.
     */
    readData(target: Uint8Array, offset?: number): number;
    /**
     * Copies `source` into the data window at `offset` bytes from its start, across chained
     * buffers. The window must already cover it (kIOReturnOverrun otherwise: grow it first with
     * `append()` or `setDataLength()`); the window is unchanged.
     */
    writeData(source: Uint8Array, offset?: number): void;
    /** @internal */ _copy(m: number, offset: number, n: number, bytes: Uint8Array, intoPacket: boolean): void;
    /** @internal */ _bufferAt(i: number): Buffer;
  }
}

/** @internal */
export const bufferMethods = {
  getMemorySegmentOffset(): number {
    this._rec();
    return this._pool._bufferOffset(this._index);
  },

  getDataVirtualAddress(): bigint {
    this._rec();
    return this._pool._bufferAddress(this._index);
  },

  getDataIOVirtualAddress(): bigint {
    return this.getDataVirtualAddress();
  },

  getBuffer(): Buffer {
    this._rec();
    return this._pool._bufferView(this._index);
  },

  getData(): Buffer {
    const m = this._rec();
    const u = this._pool._u32;
    const start = u[m + Meta.DataOffset];
    const end = Math.min(start + u[m + Meta.DataLength], this._pool._bufferSize);
    return this._pool._bufferView(this._index).subarray(start, end);
  },

  getBufferCount(): number {
    return this._pool._u32[this._rec() + Meta.BufferCount];
  },

  addBuffer(): Buffer | null {
    this._rec();
    const bufferIndex = this._pool._addBuffer(this._index);
    return bufferIndex < 0 ? null : this._pool._bufferView(bufferIndex);
  },

  getBufferAt(i: number): Buffer {
    const m = this._rec();
    const count = this._pool._u32[m + Meta.BufferCount];
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= count) {
      fail(kIOReturnBadArgument, `buffer index ${describe(i)} is out of range (packet has ${count})`);
    }
    return this._pool._bufferView(i === 0 ? this._index : this._pool._chainEntry(this._index, i - 1));
  },

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
  },

  readData(target: Uint8Array, offset = 0): number {
    const m = this._rec();
    if (!(target instanceof Uint8Array))
      fail(kIOReturnBadArgument, `target must be a Uint8Array, got ${describe(target)}`);
    const length = this._pool._u32[m + Meta.DataLength];
    if (typeof offset !== 'number' || offset >>> 0 !== offset) badUint('offset', offset, 0xffffffff);
    if (offset > length) fail(kIOReturnOverrun, `offset ${offset} lies beyond the ${length} bytes of data`);
    const n = Math.min(target.length, length - offset);
    this._copy(m, offset, n, target, false);
    return n;
  },

  writeData(source: Uint8Array, offset = 0): void {
    const m = this._rec();
    if (!(source instanceof Uint8Array))
      fail(kIOReturnBadArgument, `source must be a Uint8Array, got ${describe(source)}`);
    const length = this._pool._u32[m + Meta.DataLength];
    if (typeof offset !== 'number' || offset >>> 0 !== offset) badUint('offset', offset, 0xffffffff);
    if (offset + source.length > length) {
      fail(kIOReturnOverrun, `${source.length} bytes at offset ${offset} run past the ${length} bytes of data`);
    }
    this._copy(m, offset, source.length, source, true);
  },

  // Copies n bytes between `bytes` and the data window from `offset` into it, buffer by buffer.
  _copy(m: number, offset: number, n: number, bytes: Uint8Array, intoPacket: boolean): void {
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
  },

  // Buffer i of the chain (0 = the packet's own), unchecked.
  _bufferAt(i: number): Buffer {
    return this._pool._bufferView(i === 0 ? this._index : this._pool._chainEntry(this._index, i - 1));
  },
} satisfies Partial<IOUserNetworkPacket> & ThisType<IOUserNetworkPacket>;

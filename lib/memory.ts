/**
 * `IOMemoryDescriptor` / `IOMemoryMap`: the pool's memory as one block, the way a driver hands it
 * to a device. A descriptor retains the memory (it stays mapped until the descriptor is released,
 * even after the pool is); a mapping is a Buffer over a range of it.
 */
import { describe, fail, kIOReturnBadArgument, kIOReturnNotAttached } from './io-return';
import type { NativeMemoryDescriptor } from './native';

/** Address and length of a memory range (`IOAddressSegment`). */
export interface IOAddressRange {
  /** Virtual address of the first byte. */
  address: bigint;
  /** Length in bytes. */
  length: number;
}

/** A mapping of (part of) a memory descriptor (`IOMemoryMap`): address, length and a Buffer. */
export class IOMemoryMap {
  private readonly _address: bigint;
  private readonly _offset: number;
  private readonly _length: number;
  private readonly _buffer: Buffer;

  /** @internal Mappings come from `IOMemoryDescriptor.createMapping`; `arrayBuffer` spans the whole memory. */
  constructor(address: bigint, offset: number, length: number, arrayBuffer: ArrayBuffer) {
    this._address = address;
    this._offset = offset;
    this._length = length;
    this._buffer = Buffer.from(arrayBuffer, offset, length);
  }

  /** Address of the first mapped byte (`GetAddress`). */
  getAddress(): bigint {
    return this._address;
  }

  /** Mapped bytes (`GetLength`). */
  getLength(): number {
    return this._length;
  }

  /** Offset of the mapping within the descriptor (`GetOffset`). */
  getOffset(): number {
    return this._offset;
  }

  /** A Buffer over the mapped bytes; empty once the descriptor is released. */
  getBuffer(): Buffer {
    return this._buffer;
  }
}

/**
 * The pool's memory as one block (`IOMemoryDescriptor`), from `pool.CopyMemoryDescriptor()`. It
 * retains the memory until released; methods throw kIOReturnNotAttached afterwards.
 */
export class IOMemoryDescriptor {
  private _native: NativeMemoryDescriptor | null;
  private readonly _length: number;
  private readonly _address: bigint;

  /** @internal Descriptors come from `pool.CopyMemoryDescriptor()`. */
  constructor(native: NativeMemoryDescriptor) {
    this._native = native;
    this._length = native.length();
    this._address = native.address();
  }

  private _check(): void {
    if (this._native === null) fail(kIOReturnNotAttached, 'the memory descriptor has been released');
  }

  /** Length of the described memory in bytes (`GetLength`). */
  getLength(): number {
    this._check();
    return this._length;
  }

  /** Address and length of the memory (`GetAddressRange`). */
  getAddressRange(): IOAddressRange {
    this._check();
    return { address: this._address, length: this._length };
  }

  /**
   * Maps `length` bytes (default: to the end) from `offset` (default 0) (`CreateMapping`).
   * `options` is accepted for compatibility. kIOReturnBadArgument for a range outside the memory.
   */
  createMapping(options = 0, offset = 0, length?: number): IOMemoryMap {
    this._check();
    void options;
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset > this._length) {
      fail(kIOReturnBadArgument, `offset must be an integer in 0..${this._length}, got ${describe(offset)}`);
    }
    const len = length === undefined ? this._length - offset : length;
    if (typeof len !== 'number' || !Number.isInteger(len) || len < 0 || offset + len > this._length) {
      fail(
        kIOReturnBadArgument,
        `length ${describe(length)} at offset ${offset} exceeds the ${this._length}-byte memory`,
      );
    }
    const arrayBuffer: ArrayBuffer = this._native!.map(offset, len);
    return new IOMemoryMap(this._address + BigInt(offset), offset, len, arrayBuffer);
  }

  /** Drops this descriptor's hold on the memory; its mappings read as empty afterwards. */
  release(): void {
    if (this._native === null) return;
    const native = this._native;
    this._native = null;
    native.release();
  }

  /** `using md = pool.CopyMemoryDescriptor()` releases it at the end of the scope. */
  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * A classic pcap writer (libpcap's original format, microsecond timestamps) that writes packets
 * straight from pool buffers: one `writev` per batch, its iovecs pointing into the region, so a
 * packet's bytes are copied only by the write itself.
 */
import * as fs from 'node:fs';

import { binding } from './native';
import { describe, fail, kIOReturnBadArgument, kIOReturnNotAttached } from './io-return';
import type { IOUserNetworkPacket } from './packet';
import type { IOUserNetworkPacketBufferPool } from './pool';

/** Options of {@link PcapWriter.open}. */
export interface PcapWriterOptions {
  /** Bytes of each packet to keep (1..262144). Default 65535. */
  snapLength?: number;
  /** The pcap LINKTYPE. Default 1 (Ethernet). */
  linkType?: number;
}

/**
 * Writes pool packets to a pcap file or to any file descriptor (a pipe to `tcpdump -r -` or
 * `tshark -r -`, a socket). Each record's timestamp is the packet's (`setTimestamp`) or the time
 * of the write; its bytes are the packet's data window (`getDataOffset`, `getDataLength`) in its
 * first buffer.
 */
export class PcapWriter {
  private _fd: number;
  private readonly _ownsFd: boolean;
  private readonly _snapLength: number;
  private _bytes: number;
  private _packets = 0;
  private _scratch = new Uint32Array(64);

  private constructor(fd: number, ownsFd: boolean, snapLength: number, headerBytes: number) {
    this._fd = fd;
    this._ownsFd = ownsFd;
    this._snapLength = snapLength;
    this._bytes = headerBytes;
  }

  /**
   * Creates (truncates) the file at `target`, or writes to the open file descriptor `target`
   * (which the writer then does not close), and writes the pcap file header.
   */
  static open(target: string | number, options: PcapWriterOptions = {}): PcapWriter {
    const snapLength = options.snapLength ?? 65535;
    const linkType = options.linkType ?? 1;
    let fd: number;
    let owns = false;
    if (typeof target === 'string') {
      fd = fs.openSync(target, 'w');
      owns = true;
    } else if (Number.isInteger(target) && target >= 0) {
      fd = target;
    } else {
      return fail(kIOReturnBadArgument, `target must be a path or a file descriptor, got ${describe(target)}`);
    }
    try {
      const header = binding.pcapBegin(fd, snapLength, linkType);
      return new PcapWriter(fd, owns, snapLength, header);
    } catch (err) {
      if (owns) fs.closeSync(fd);
      throw err;
    }
  }

  /** Writes `indices[0..count)` of `pool`'s packets. */
  writePacketIndices(pool: IOUserNetworkPacketBufferPool, indices: Uint32Array, count: number = indices?.length): void {
    this._checkOpen();
    const native = pool?._native;
    if (!native) fail(kIOReturnNotAttached, 'the pool has been released (or is not a pool)');
    if (!(indices instanceof Uint32Array)) fail(kIOReturnBadArgument, `indices must be a Uint32Array, got ${describe(indices)}`);
    this._bytes += binding.pcapWrite(native, this._fd, this._snapLength, indices, count);
    this._packets += count;
  }

  /** Writes packets (objects) of one pool. */
  writePackets(packets: readonly IOUserNetworkPacket[], count: number = packets?.length): void {
    this._checkOpen();
    if (!Array.isArray(packets)) fail(kIOReturnBadArgument, `packets must be an array, got ${describe(packets)}`);
    if (count === 0) return;
    if (this._scratch.length < count) this._scratch = new Uint32Array(count);
    const pool = packets[0]?._pool;
    for (let i = 0; i < count; i++) {
      const p = packets[i];
      if (!p || p._pool !== pool) fail(kIOReturnBadArgument, `packets[${i}] is not a packet of the first packet's pool`);
      this._scratch[i] = p._index;
    }
    this.writePacketIndices(pool, this._scratch, count);
  }

  /** Packets written so far. */
  getPacketCount(): number {
    return this._packets;
  }

  /** Bytes written so far, file header included. */
  getByteCount(): number {
    return this._bytes;
  }

  /** Closes the file if the writer opened it. Idempotent. */
  close(): void {
    if (this._fd < 0) return;
    if (this._ownsFd) fs.closeSync(this._fd);
    this._fd = -1;
  }

  private _checkOpen(): void {
    if (this._fd < 0) fail(kIOReturnNotAttached, 'the pcap writer has been closed');
  }
}

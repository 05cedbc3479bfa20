/**
 * A packet capture writer, classic pcap (libpcap's original format, microsecond timestamps) or
 * pcapng (nanosecond timestamps), that writes packets straight from pool buffers: one `writev`
 * per batch, its iovecs pointing into the region, so a packet's bytes are copied only by the
 * write itself.
 */
import * as fs from 'node:fs';

import { checkKnownKeys, checkOptionalObject } from './check';
import { binding } from './native';
import { describe, fail, kIOReturnBadArgument, kIOReturnNotAttached } from './io-return';
import type { IOUserNetworkPacket } from './packet';
import type { IOUserNetworkPacketBufferPool } from './pool';

/** The file formats {@link PcapWriter} writes. */
export type PcapFormat = 'pcap' | 'pcapng';

/** Options of {@link PcapWriter.open}. */
export interface PcapWriterOptions {
  /**
   * `'pcap'` (default): classic pcap, microsecond timestamps. `'pcapng'`: a Section Header Block,
   * one Interface Description Block (the link type, the snap length, `if_tsresol` = 9:
   * nanosecond timestamps) and one Enhanced Packet Block per packet.
   */
  format?: PcapFormat;
  /** Bytes of each packet to keep (1..262144). Default 65535. */
  snapLength?: number;
  /** The LINKTYPE (0..65535 in pcapng, a 32-bit value in classic pcap). Default 1 (Ethernet). */
  linkType?: number;
}

const OPTION_KEYS = ['format', 'snapLength', 'linkType'] as const;
const FORMAT_CODES: Record<PcapFormat, number> = { pcap: 0, pcapng: 1 };

// Checks the options before the file is created, so a bad option leaves no empty file behind.
function readOptions(options: unknown): { format: number; snapLength: number; linkType: number } {
  const o = checkOptionalObject(options, 'options') ?? {};
  checkKnownKeys(o, OPTION_KEYS, 'options');
  const format = o.format ?? 'pcap';
  if (format !== 'pcap' && format !== 'pcapng') {
    fail(kIOReturnBadArgument, `options.format must be 'pcap' or 'pcapng', got ${describe(format)}`);
  }
  const snapLength = o.snapLength ?? 65535;
  if (!Number.isInteger(snapLength) || (snapLength as number) < 1 || (snapLength as number) > 262144) {
    fail(kIOReturnBadArgument, `options.snapLength must be an integer 1..262144, got ${describe(snapLength)}`);
  }
  const linkType = o.linkType ?? 1;
  const maxLinkType = format === 'pcapng' ? 0xffff : 0xffffffff;
  if (!Number.isInteger(linkType) || (linkType as number) < 0 || (linkType as number) > maxLinkType) {
    fail(
      kIOReturnBadArgument,
      `options.linkType must be an integer 0..${maxLinkType} in ${format}, got ${describe(linkType)}`,
    );
  }
  return { format: FORMAT_CODES[format], snapLength: snapLength as number, linkType: linkType as number };
}

/**
 * Writes pool packets to a pcap or pcapng file or to any file descriptor (a pipe to
 * `tcpdump -r -` or `tshark -r -`, a socket). Each record's timestamp is the packet's
 * (`setTimestamp`, nanoseconds: kept whole in pcapng, truncated to microseconds in classic pcap)
 * or the time of the write; its bytes are the packet's data window (`getDataOffset`,
 * `getDataLength`) in its first buffer.
 */
export class PcapWriter {
  private _fd: number;
  private readonly _ownsFd: boolean;
  private readonly _snapLength: number;
  private readonly _format: number;
  private _bytes: number;
  private _packets = 0;
  private _scratch = new Uint32Array(64);

  private constructor(fd: number, ownsFd: boolean, snapLength: number, format: number, headerBytes: number) {
    this._fd = fd;
    this._ownsFd = ownsFd;
    this._snapLength = snapLength;
    this._format = format;
    this._bytes = headerBytes;
  }

  /**
   * Creates (truncates) the file at `target`, or writes to the open file descriptor `target`
   * (which the writer then does not close), and writes the file header (pcapng: the Section
   * Header Block and the Interface Description Block). A bad option throws kIOReturnBadArgument
   * naming it and its value, before the file is created.
   */
  static open(target: string | number, options: PcapWriterOptions = {}): PcapWriter {
    const { format, snapLength, linkType } = readOptions(options);
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
      const header = binding.pcapBegin(fd, snapLength, format, linkType);
      return new PcapWriter(fd, owns, snapLength, format, header);
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
    if (!(indices instanceof Uint32Array))
      fail(kIOReturnBadArgument, `indices must be a Uint32Array, got ${describe(indices)}`);
    this._bytes += binding.pcapWrite(native, this._fd, this._snapLength, this._format, indices, count);
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
      if (!p || p._pool !== pool)
        fail(kIOReturnBadArgument, `packets[${i}] is not a packet of the first packet's pool`);
      this._scratch[i] = p._index;
    }
    this.writePacketIndices(pool, this._scratch, count);
  }

  /** Packets written so far. */
  getPacketCount(): number {
    return this._packets;
  }

  /** The file format being written. */
  getFormat(): PcapFormat {
    return this._format === FORMAT_CODES.pcapng ? 'pcapng' : 'pcap';
  }

  /** Bytes written so far, file header (pcapng: SHB and IDB) included. */
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

/**
 * Reads a classic pcap file (what tcpdump -w and PcapWriter write) or a pcapng file (what
 * PcapWriter writes with format 'pcapng': one section, one interface) into frames, for checks.
 */
import * as fs from 'node:fs';

export interface PcapRecord {
  seconds: number;
  micros: number;
  originalLength: number;
  data: Buffer;
}

export function readPcap(file: string): { linkType: number; snapLength: number; records: PcapRecord[] } {
  const b = fs.readFileSync(file);
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && b.readUInt32BE(0) !== 0xa1b2c3d4 && b.readUInt32BE(0) !== 0xa1b23c4d)
    throw new Error(`${file}: not a pcap file`);
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const records: PcapRecord[] = [];
  for (let o = 24; o + 16 <= b.length;) {
    const caplen = u32(o + 8);
    records.push({
      seconds: u32(o),
      micros: u32(o + 4),
      originalLength: u32(o + 12),
      data: b.subarray(o + 16, o + 16 + caplen),
    });
    o += 16 + caplen;
  }
  return { linkType: u32(20), snapLength: u32(16), records };
}

export interface PcapngInterface {
  linkType: number;
  snapLength: number;
  /** The if_tsresol option's byte (6, microseconds, when absent). */
  tsresol: number;
}

export interface PcapngRecord {
  interfaceId: number;
  /** The timestamp in units of the interface's resolution. */
  timestamp: bigint;
  originalLength: number;
  data: Buffer;
}

/**
 * Reads a pcapng file block by block, checking each block's leading and trailing lengths agree
 * and that it is 32-bit aligned; returns the blocks' types in order too.
 */
export function readPcapng(file: string): {
  blockTypes: number[];
  versionMajor: number;
  versionMinor: number;
  interfaces: PcapngInterface[];
  records: PcapngRecord[];
} {
  const b = fs.readFileSync(file);
  if (b.readUInt32LE(0) !== 0x0a0d0d0a) throw new Error(`${file}: not a pcapng file`);
  const le = b.readUInt32LE(8) === 0x1a2b3c4d;
  if (!le && b.readUInt32BE(8) !== 0x1a2b3c4d) throw new Error(`${file}: bad byte-order magic`);
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u16 = (o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const blockTypes: number[] = [];
  const interfaces: PcapngInterface[] = [];
  const records: PcapngRecord[] = [];
  let o = 0;
  while (o < b.length) {
    const type = u32(o);
    const total = u32(o + 4);
    if (total % 4 !== 0 || total < 12 || o + total > b.length)
      throw new Error(`${file}: bad block length ${total} at ${o}`);
    if (u32(o + total - 4) !== total) throw new Error(`${file}: trailing length of the block at ${o} differs`);
    blockTypes.push(type);
    if (type === 1) {
      let tsresol = 6;
      for (let p = o + 16; p + 4 <= o + total - 4;) {
        const code = u16(p);
        const len = u16(p + 2);
        if (code === 0) break;
        if (code === 9) tsresol = b[p + 4];
        p += 4 + ((len + 3) & ~3);
      }
      interfaces.push({ linkType: u16(o + 8), snapLength: u32(o + 12), tsresol });
    } else if (type === 6) {
      const caplen = u32(o + 20);
      records.push({
        interfaceId: u32(o + 8),
        timestamp: (BigInt(u32(o + 12)) << 32n) | BigInt(u32(o + 16)),
        originalLength: u32(o + 24),
        data: b.subarray(o + 28, o + 28 + caplen),
      });
      if (28 + ((caplen + 3) & ~3) + 4 !== total) throw new Error(`${file}: EPB at ${o} has options or bad padding`);
    }
    o += total;
  }
  return { blockTypes, versionMajor: u16(12), versionMinor: u16(14), interfaces, records };
}

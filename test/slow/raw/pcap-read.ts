/** Reads a classic pcap file (what tcpdump -w and PcapWriter write) into frames, for checks. */
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
  if (!le && b.readUInt32BE(0) !== 0xa1b2c3d4 && b.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${file}: not a pcap file`);
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const records: PcapRecord[] = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const caplen = u32(o + 8);
    records.push({ seconds: u32(o), micros: u32(o + 4), originalLength: u32(o + 12), data: b.subarray(o + 16, o + 16 + caplen) });
    o += 16 + caplen;
  }
  return { linkType: u32(20), snapLength: u32(16), records };
}

/**
 * PcapWriter on its own (no network, no root), in both formats: what it writes reads back in our
 * readers and in tshark with the packets' bytes, lengths and timestamps (microseconds in classic
 * pcap, nanoseconds in pcapng); snapLength clips; a pipe works as well as a file; bad input and
 * bad options are refused with the right code, naming the value, before any file is created.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { IOUserNetworkPacketBufferPool, PcapWriter, kIOReturnBadArgument, kIOReturnNotAttached } from '../../../lib';
import type { PcapFormat, PcapWriterOptions } from '../../../lib';
import { binding } from '../../../lib/native';
import { expectIOReturn } from '../../helpers/io-return';
import { readPcap, readPcapng } from './pcap-read';

const { writeFrame, lengthOf } = require('../fixtures/frames') as {
  writeFrame(buf: Buffer, offset: number, seq: number, length: number): void;
  lengthOf(seq: number): number;
};

let tmp: string;
let pool: IOUserNetworkPacketBufferPool;
const COUNT = 700; // more than one writev batch (512 classic, 340 pcapng)
const UNSTAMPED = 5; // this packet carries no timestamp: it gets the time of the write

// Nanosecond timestamps whose sub-microsecond digits differ from packet to packet.
function timestampOf(seq: number): bigint {
  return 1_700_000_000_123_456_789n + BigInt(seq) * 1_000_003_007n;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pbp-pcap-'));
  pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'pcap', {
    packetCount: 1024,
    bufferCount: 1024,
    bufferSize: 2048,
    headroom: 32,
  });
});
afterAll(() => {
  pool.release();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function framedPackets(): Uint32Array {
  const idx = new Uint32Array(COUNT);
  expect(pool.allocatePacketIndices(idx)).toBe(COUNT);
  idx.forEach((p, seq) => {
    const pkt = pool.newPacket({ fPacketIndex: p });
    writeFrame(pkt.getBuffer(), 32, seq, lengthOf(seq));
    pkt.setDataOffsetAndLength(32, lengthOf(seq));
    if (seq !== UNSTAMPED) pkt.setTimestamp(timestampOf(seq));
  });
  return idx;
}

function frameOf(seq: number): Buffer {
  const want = Buffer.alloc(lengthOf(seq));
  writeFrame(want, 0, seq, want.length);
  return want;
}

interface TsharkFrame {
  raw: Buffer;
  len: number;
  capLen: number;
  /** frame.time_epoch as tshark prints it: seconds, a dot, nine digits. */
  epoch: string;
}

/**
 * What tshark reads from `file`, or with `viaPipe` from its stdin, a pipe `cat` writes the file
 * into (a real pipe: tshark refuses the socket Node would give it): every frame's bytes, lengths
 * and time.
 */
function tshark(file: string, viaPipe = false): TsharkFrame[] {
  const command = viaPipe
    ? ['sh', '-c', 'cat "$0" | tshark -r - -T json -x', file]
    : ['tshark', '-r', file, '-T', 'json', '-x'];
  const out = execFileSync(command[0], command.slice(1), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 * 1024 * 1024,
  });
  type Layers = { frame_raw: [string, ...unknown[]]; frame: Record<string, string> };
  return (JSON.parse(out) as { _source: { layers: Layers } }[]).map(({ _source: { layers } }) => ({
    raw: Buffer.from(layers.frame_raw[0], 'hex'),
    len: Number(layers.frame['frame.len']),
    capLen: Number(layers.frame['frame.cap_len']),
    epoch: layers.frame['frame.time_epoch'],
  }));
}

/** Nanoseconds as tshark prints them: seconds, a dot, nine digits. */
function epochOf(ns: bigint): string {
  return `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
}

describe.each<PcapFormat>(['pcap', 'pcapng'])('format %s', (format) => {
  const HEADER = format === 'pcap' ? 24 : 28 + 32; // file header; SHB + IDB
  const recordBytes = (captured: number): number => (format === 'pcap' ? 16 + captured : 32 + ((captured + 3) & ~3));
  // What the file keeps of a timestamp: microseconds in classic pcap, every nanosecond in pcapng.
  const kept = (ns: bigint): bigint => (format === 'pcap' ? (ns / 1000n) * 1000n : ns);

  test('packets written from indices read back with their bytes, lengths and timestamps, in tshark too', () => {
    const idx = framedPackets();
    const file = path.join(tmp, `a.${format}`);
    const before = BigInt(Date.now()) * 1_000_000n;
    const w = PcapWriter.open(file, { format });
    expect(w.getFormat()).toBe(format);
    w.writePacketIndices(pool, idx, COUNT);
    const after = BigInt(Date.now() + 1) * 1_000_000n;
    w.close();
    const expectedBytes = HEADER + [...Array(COUNT).keys()].reduce((s, seq) => s + recordBytes(lengthOf(seq)), 0);
    expect(w.getByteCount()).toBe(expectedBytes);
    expect(fs.statSync(file).size).toBe(expectedBytes);
    expect(w.getPacketCount()).toBe(COUNT);

    // Our own readers: the structure of the file.
    let times: bigint[];
    if (format === 'pcap') {
      const { linkType, snapLength, records } = readPcap(file);
      expect({ linkType, snapLength }).toEqual({ linkType: 1, snapLength: 65535 });
      expect(records).toHaveLength(COUNT);
      records.forEach((r, seq) => {
        expect(r.data.equals(frameOf(seq))).toBe(true);
        expect(r.originalLength).toBe(lengthOf(seq));
      });
      times = records.map((r) => BigInt(r.seconds) * 1_000_000_000n + BigInt(r.micros) * 1000n);
    } else {
      const { blockTypes, versionMajor, versionMinor, interfaces, records } = readPcapng(file);
      expect(blockTypes.slice(0, 2)).toEqual([0x0a0d0d0a, 1]);
      expect(blockTypes.slice(2).every((t) => t === 6)).toBe(true);
      expect({ versionMajor, versionMinor }).toEqual({ versionMajor: 1, versionMinor: 0 });
      expect(interfaces).toEqual([{ linkType: 1, snapLength: 65535, tsresol: 9 }]);
      expect(records).toHaveLength(COUNT);
      records.forEach((r, seq) => {
        expect(r.interfaceId).toBe(0);
        expect(r.data.equals(frameOf(seq))).toBe(true);
        expect(r.originalLength).toBe(lengthOf(seq));
      });
      times = records.map((r) => r.timestamp);
    }
    times.forEach((t, seq) => {
      if (seq === UNSTAMPED) {
        expect(t).toBeGreaterThanOrEqual(kept(before));
        expect(t).toBeLessThanOrEqual(after);
      } else {
        expect(t).toBe(kept(timestampOf(seq)));
      }
    });

    // tshark: bytes, lengths and timestamps.
    const frames = tshark(file);
    expect(frames).toHaveLength(COUNT);
    frames.forEach((f, seq) => {
      expect(f.raw.equals(frameOf(seq))).toBe(true);
      expect({ len: f.len, capLen: f.capLen }).toEqual({ len: lengthOf(seq), capLen: lengthOf(seq) });
      expect(f.epoch).toBe(epochOf(seq === UNSTAMPED ? times[seq] : kept(timestampOf(seq))));
    });
    pool.deallocatePacketIndices(idx, COUNT);
  });

  test('snapLength clips the captured bytes but keeps the original length; packet objects work too', () => {
    const idx = framedPackets();
    const packets = [...idx].map((p) => pool.newPacket({ fPacketIndex: p }));
    const file = path.join(tmp, `b.${format}`);
    const w = PcapWriter.open(file, { format, snapLength: 41 }); // odd: pcapng pads every record
    w.writePackets(packets);
    w.close();
    expect(w.getByteCount()).toBe(HEADER + COUNT * recordBytes(41));
    const records = format === 'pcap' ? readPcap(file).records : readPcapng(file).records;
    expect(format === 'pcap' ? readPcap(file).snapLength : readPcapng(file).interfaces[0].snapLength).toBe(41);
    records.forEach((r, seq) => {
      expect(r.data.equals(frameOf(seq).subarray(0, 41))).toBe(true);
      expect(r.originalLength).toBe(lengthOf(seq));
    });
    const frames = tshark(file);
    expect(frames).toHaveLength(COUNT);
    frames.forEach((f, seq) => {
      expect(f.raw.equals(frameOf(seq).subarray(0, 41))).toBe(true);
      expect({ len: f.len, capLen: f.capLen }).toEqual({ len: lengthOf(seq), capLen: 41 });
    });
    pool.deallocatePackets(packets);
  });

  test('writes to a file descriptor it does not own, and tshark reads the result from a pipe', () => {
    const idx = framedPackets();
    const file = path.join(tmp, `c.${format}`);
    const fd = fs.openSync(file, 'w');
    const w = PcapWriter.open(fd, { format });
    w.writePacketIndices(pool, idx, 10);
    w.writePacketIndices(pool, idx.subarray(10), 5); // a second call appends records only
    w.close();
    fs.writeSync(fd, Buffer.alloc(0)); // still open: the writer did not close it
    fs.closeSync(fd);
    const frames = tshark(file, true);
    expect(frames).toHaveLength(15);
    frames.forEach((f, seq) => expect(f.raw.equals(frameOf(seq))).toBe(true));
    pool.deallocatePacketIndices(idx, COUNT);
  });
});

test('bad input is refused with the right code', () => {
  expectIOReturn(() => PcapWriter.open(-1), kIOReturnBadArgument);
  expectIOReturn(() => PcapWriter.open(path.join(tmp, 'd.pcap'), { snapLength: 0 }), kIOReturnBadArgument);
  const w = PcapWriter.open(path.join(tmp, 'e.pcap'));
  expectIOReturn(() => w.writePacketIndices(pool, Uint32Array.of(5000), 1), kIOReturnBadArgument, 'out of range');
  expectIOReturn(() => w.writePacketIndices(pool, [1, 2] as unknown as Uint32Array, 2), kIOReturnBadArgument);
  w.close();
  expectIOReturn(() => w.writePacketIndices(pool, Uint32Array.of(1), 1), kIOReturnNotAttached);
});

test('bad options are refused with kIOReturnBadArgument naming the value, and no file is created', () => {
  const file = path.join(tmp, 'never.pcap');
  const bad: [unknown, RegExp][] = [
    [{ format: 'pcap-ng' }, /options\.format .*"pcap-ng"/],
    [{ format: 'PCAPNG' }, /options\.format .*"PCAPNG"/],
    [{ format: 1 }, /options\.format .*got 1\b/],
    [{ snapLength: 0 }, /options\.snapLength .*got 0\b/],
    [{ snapLength: 262145 }, /options\.snapLength .*got 262145/],
    [{ snapLength: 1.5 }, /options\.snapLength .*got 1\.5/],
    [{ snapLength: '100' }, /options\.snapLength .*got "100"/],
    [{ format: 'pcapng', linkType: 65536 }, /options\.linkType .*0\.\.65535 in pcapng, got 65536/],
    [{ linkType: -1 }, /options\.linkType .*got -1/],
    [{ linkType: 2 ** 32 }, /options\.linkType .*got 4294967296/],
    [{ snaplen: 100 }, /unknown key "snaplen"/],
    [null, /options must be an object, got null/],
    ['pcapng', /options must be an object, got "pcapng"/],
  ];
  for (const [options, mention] of bad) {
    expectIOReturn(() => PcapWriter.open(file, options as PcapWriterOptions), kIOReturnBadArgument, mention);
  }
  expect(fs.existsSync(file)).toBe(false);
  // A classic file keeps 32-bit link types (their upper bits carry FCS information).
  PcapWriter.open(path.join(tmp, 'f.pcap'), { linkType: 0x04000001 }).close();
});

test('the addon checks the format and the pcapng link type itself', () => {
  const fd = fs.openSync(path.join(tmp, 'g.pcapng'), 'w');
  try {
    expectIOReturn(() => binding.pcapBegin(fd, 65535, 2, 1), kIOReturnBadArgument, /format .*got 2/);
    expectIOReturn(() => binding.pcapBegin(fd, 65535, 1, 65536), kIOReturnBadArgument, /linkType .*got 65536/);
    expectIOReturn(
      () => binding.pcapWrite(pool._native!, fd, 65535, 9, new Uint32Array(1), 1),
      kIOReturnBadArgument,
      /format .*got 9/,
    );
    expect(fs.fstatSync(fd).size).toBe(0);
  } finally {
    fs.closeSync(fd);
  }
});

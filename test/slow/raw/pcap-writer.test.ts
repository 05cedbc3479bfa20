/**
 * PcapWriter on its own (no network, no root): what it writes reads back in our reader and in
 * tshark with the packets' bytes, lengths and timestamps; snapLength clips; a pipe works as well
 * as a file; bad input is refused with the right code.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { IOUserNetworkPacketBufferPool, PcapWriter, kIOReturnBadArgument, kIOReturnNotAttached } from '../../../lib';
import { expectIOReturn } from '../../helpers/io-return';
import { readPcap } from './pcap-read';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { writeFrame, lengthOf } = require('../fixtures/frames') as {
  writeFrame(buf: Buffer, offset: number, seq: number, length: number): void;
  lengthOf(seq: number): number;
};

let tmp: string;
let pool: IOUserNetworkPacketBufferPool;
const COUNT = 700; // more than one writev batch (512)

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pbp-pcap-'));
  pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'pcap', { packetCount: 1024, bufferCount: 1024, bufferSize: 2048, headroom: 32 });
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
    if (seq === 1) pkt.setTimestamp(1_700_000_000_123_456_789n);
  });
  return idx;
}

test('packets written from indices read back with their bytes, lengths and timestamps, in tshark too', () => {
  const idx = framedPackets();
  const file = path.join(tmp, 'a.pcap');
  const w = PcapWriter.open(file);
  w.writePacketIndices(pool, idx, COUNT);
  w.close();
  const expectedBytes = 24 + [...Array(COUNT).keys()].reduce((s, seq) => s + 16 + lengthOf(seq), 0);
  expect(w.getByteCount()).toBe(expectedBytes);
  expect(w.getPacketCount()).toBe(COUNT);
  const { linkType, snapLength, records } = readPcap(file);
  expect({ linkType, snapLength }).toEqual({ linkType: 1, snapLength: 65535 });
  expect(records).toHaveLength(COUNT);
  records.forEach((r, seq) => {
    const want = Buffer.alloc(lengthOf(seq));
    writeFrame(want, 0, seq, want.length);
    expect(r.data.equals(want)).toBe(true);
    expect(r.originalLength).toBe(want.length);
  });
  expect(records[1]).toMatchObject({ seconds: 1_700_000_000, micros: 123_456 });
  const lens = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.len', '-e', 'eth.type'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }).trim().split('\n');
  expect(lens).toHaveLength(COUNT);
  lens.forEach((l, seq) => expect(l).toBe(`${lengthOf(seq)}\t0x88b5`));
  pool.deallocatePacketIndices(idx, COUNT);
});

test('snapLength clips the captured bytes but keeps the original length; packet objects work too', () => {
  const idx = framedPackets();
  const packets = [...idx].map((p) => pool.newPacket({ fPacketIndex: p }));
  const file = path.join(tmp, 'b.pcap');
  const w = PcapWriter.open(file, { snapLength: 40 });
  w.writePackets(packets);
  w.close();
  const { snapLength, records } = readPcap(file);
  expect(snapLength).toBe(40);
  records.forEach((r, seq) => {
    expect(r.data.length).toBe(40);
    expect(r.originalLength).toBe(lengthOf(seq));
  });
  pool.deallocatePackets(packets);
});

test('writes to a file descriptor it does not own (a pipe into tshark)', () => {
  const idx = framedPackets();
  const file = path.join(tmp, 'c.pcap');
  const fd = fs.openSync(file, 'w');
  const w = PcapWriter.open(fd);
  w.writePacketIndices(pool, idx, 10);
  w.close();
  fs.writeSync(fd, Buffer.alloc(0)); // still open: the writer did not close it
  fs.closeSync(fd);
  const out = execFileSync('sh', ['-c', `cat ${file} | tshark -r - -T fields -e frame.len`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  expect(out.trim().split('\n')).toHaveLength(10);
  pool.deallocatePacketIndices(idx, COUNT);
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

/**
 * The raw interface driven by its four DriverKit packet queues (TX submission -> kernel TX ring,
 * completion ring -> TX completion, RX submission -> fill ring, RX ring -> RX completion), on a
 * veth pair in a namespace this file creates and removes: frames enqueued are captured on the
 * peer byte for byte, frames injected on the peer come out of RX completion, and closing with
 * packets everywhere (queues, kernel rings) hands every one back. Needs root (CI runs as root).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { kIOReturnBadArgument } from '../../../lib';
import { FIXTURES, reportOf, runFixture } from '../support/run-fixture';
import { createVethNamespace, startIn, VethNamespace } from './netns';
import { readPcap } from './pcap-read';
import { inject, waitExit } from './raw-helpers';

const { frame, lengthOf } = require('../fixtures/frames') as {
  frame(seq: number, length: number): Buffer;
  lengthOf(seq: number): number;
};

jest.setTimeout(120_000);

let n: VethNamespace;
let tmp: string;
beforeAll(() => {
  n = createVethNamespace();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pbp-rawq-'));
});
afterAll(() => {
  n?.remove();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

interface Report {
  info: { backend: string };
  statuses: Record<string, number>;
  free: number;
  total: number;
  [k: string]: unknown;
}

function run(args: Record<string, unknown>): Report {
  return reportOf<Report>(
    runFixture('raw-queues.js', { args: [JSON.stringify({ ifname: 'va', ...args })], wrapper: n.exec }),
  );
}

const COUNT = 300;

/**
 * Sends COUNT test frames through TX submission (every `emptyEvery`-th one with an empty data
 * window instead) and checks them: the others captured on the peer byte for byte and in order,
 * every packet back through TX completion (status 0, or kIOReturnBadArgument for the empty ones).
 */
async function sendAndCapture(backend: string, opts: { emptyEvery?: number; bufferSize?: number } = {}) {
  const every = opts.emptyEvery ?? 0;
  const isEmpty = (seq: number) => every > 0 && seq % every === every - 1;
  const wanted = Array.from({ length: COUNT }, (_, seq) => seq).filter((seq) => !isEmpty(seq));
  const file = path.join(tmp, `qtx-${backend}-${every}-${opts.bufferSize ?? 0}.pcap`);
  const dump = await startIn(
    n,
    ['tcpdump', '-i', 'vb', '-U', '-n', '-c', String(wanted.length), '-w', file, 'ether proto 0x88b5'],
    'listening on',
  );
  const r = run({ mode: 'tx', backend, count: COUNT, ...opts });
  expect(r.info.backend).toBe(backend);
  expect(r.completed).toBe(COUNT);
  const refused = COUNT - wanted.length;
  expect(r.statuses).toEqual(refused ? { 0: wanted.length, [kIOReturnBadArgument]: refused } : { 0: COUNT });
  expect(r.byIndexError).toBe('kIOReturnNotPermitted');
  expect(r.counters).toMatchObject({ txPosted: COUNT, txCompleted: COUNT, driverHeld: 0 });
  await waitExit(dump.child, dump.exited, 10_000);
  const { records } = readPcap(file);
  expect(records).toHaveLength(wanted.length);
  records.forEach((rec, i) => expect(rec.data.equals(frame(wanted[i], lengthOf(wanted[i])))).toBe(true));
  expect(r.free).toBe(r.total);
}

/** Injects COUNT test frames on the peer and checks that they come out of RX completion intact. */
async function injectAndReceive(backend: string, opts: { bufferSize?: number } = {}) {
  const rx = await startIn(
    n,
    [
      process.execPath,
      path.join(FIXTURES, 'raw-queues.js'),
      JSON.stringify({ mode: 'rx', ifname: 'va', backend, count: COUNT, ...opts }),
    ],
    'READY',
  );
  const sent = Array.from({ length: COUNT }, (_, seq) => frame(seq, lengthOf(seq)));
  inject(n, sent);
  await waitExit(rx.child, rx.exited, 20_000);
  const r = reportOf<
    Report & { frames: string[]; aborted: number; counters: { rxCompleted: number; kernelDrops: number } }
  >({
    status: 0,
    signal: null,
    ...rx.output(),
  });
  // kernelDrops says whether a missing frame was dropped by the kernel (the receiver stalled).
  expect({ frames: r.frames.length, kernelDrops: r.counters.kernelDrops }).toEqual({ frames: COUNT, kernelDrops: 0 });
  r.frames.forEach((hex, seq) => expect(hex).toBe(sent[seq].toString('hex')));
  // The 512 buffers posted at the end come back through RX completion, aborted and empty.
  expect(r.statuses[r.aborted]).toBe(512);
  expect(r.free).toBe(r.total);
}

describe.each(['af_xdp', 'af_packet'])('%s', (backend) => {
  test('frames enqueued to TX submission are captured on the peer; all come back through TX completion', async () => {
    await sendAndCapture(backend);
  });

  test('a packet with an empty data window comes back with kIOReturnBadArgument; the rest are sent', async () => {
    await sendAndCapture(backend, { emptyEvery: 7 });
  });

  test('frames injected on the peer come out of RX completion; close aborts the posted buffers', async () => {
    await injectAndReceive(backend);
  });

  test('event-driven: frames flow both ways with no service() call', async () => {
    const tx = run({ mode: 'auto-tx', backend, count: COUNT });
    expect(tx.completed).toBe(COUNT);
    expect(tx.statuses).toEqual({ 0: COUNT });
    expect(tx.free).toBe(tx.total);
    const rx = await startIn(
      n,
      [
        process.execPath,
        path.join(FIXTURES, 'raw-queues.js'),
        JSON.stringify({ mode: 'auto-rx', ifname: 'va', backend, count: COUNT }),
      ],
      'READY',
    );
    const sent = Array.from({ length: COUNT }, (_, seq) => frame(seq, lengthOf(seq)));
    inject(n, sent);
    await waitExit(rx.child, rx.exited, 20_000);
    const r = reportOf<Report & { frames: string[]; counters: { kernelDrops: number } }>({
      status: 0,
      signal: null,
      ...rx.output(),
    });
    expect({ frames: r.frames.length, kernelDrops: r.counters.kernelDrops }).toEqual({ frames: COUNT, kernelDrops: 0 });
    r.frames.forEach((hex, seq) => expect(hex).toBe(sent[seq].toString('hex')));
    expect(r.free).toBe(r.total);
  });

  test('closing with packets in the queues and on the kernel rings hands every one back', () => {
    const r = run({ mode: 'inflight', backend });
    expect(r.freeBeforeClose).toBeLessThan(r.total);
    const back = Object.values(r.statuses).reduce((a, b) => a + b, 0);
    expect(back).toBe(512);
    expect(r.statuses[r.aborted as number]).toBeGreaterThan(0);
    expect(r.free).toBe(r.total);
  });
});

// A stride that is not a power of two (bufferSize 3000: buffers 3008 bytes apart) puts the UMEM in
// unaligned chunk mode, where the driver finds a frame's packet by division, not a shift.
describe('af_xdp, unaligned chunks (bufferSize 3000)', () => {
  test('frames go out and come in byte for byte', async () => {
    await sendAndCapture('af_xdp', { bufferSize: 3000 });
    await injectAndReceive('af_xdp', { bufferSize: 3000 });
  });
});

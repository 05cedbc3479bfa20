/**
 * The raw Ethernet interface (AF_XDP and AF_PACKET) on a veth pair inside a network namespace
 * this file creates and removes: frames sent through the pool are captured by tcpdump on the
 * peer and compared byte for byte; frames injected by a raw socket on the peer arrive in pool
 * packets with their bytes and lengths; the pcap the receiver writes reads back in tshark; every
 * packet is back in the pool after close and after the process is killed; the errors for missing
 * privileges, a missing interface, a busy queue, a too-large MTU and a missing libxdp.
 *
 * Needs root (CI runs as root); the pool side runs in child processes inside the namespace.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { IOUserNetworkPacketBufferPool } from '../../../lib';
import { FIXTURES, reportOf, runFixture } from '../support/run-fixture';
import { createVethNamespace, startIn, VethNamespace } from './netns';
import { readPcap } from './pcap-read';
import { inject, waitExit } from './raw-helpers';

const { frame, lengthOf } = require('../fixtures/frames') as {
  frame(seq: number, length: number): Buffer;
  lengthOf(seq: number): number;
};

jest.setTimeout(120_000);

const ROOT = path.join(__dirname, '..', '..', '..');
let n: VethNamespace;
let tmp: string;

beforeAll(() => {
  n = createVethNamespace();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pbp-raw-'));
});

afterAll(() => {
  n?.remove();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

interface Report {
  ok?: boolean;
  code?: string;
  message?: string;
  info?: { backend: string; xdpMode: string; zeroCopy: boolean; chunkMode: string; fallbackReason: string };
  free: number;
  total: number;
  [k: string]: unknown;
}

function runPort(
  args: Record<string, unknown>,
  opts: { wrapper?: string[]; env?: Record<string, string> } = {},
): Report {
  const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const wrapper = [...n.exec, ...(env.length ? ['env', ...env] : []), ...(opts.wrapper ?? [])];
  return reportOf<Report>(
    runFixture('raw-port.js', { args: [JSON.stringify({ ifname: 'va', ...args })], wrapper, timeoutMs: 60_000 }),
  );
}

// af_xdp with bufferSize 3000 runs the UMEM in unaligned chunk mode (stride 3008).
describe.each([
  ['af_xdp', 2048],
  ['af_xdp', 3000],
  ['af_packet', 2048],
])('%s, bufferSize %d', (backend, bufferSize) => {
  const COUNT = 300;

  test('frames sent from pool packets are captured on the peer byte for byte', async () => {
    const file = path.join(tmp, `tx-${backend}-${bufferSize}.pcap`);
    const dump = await startIn(
      n,
      ['tcpdump', '-i', 'vb', '-U', '-n', '-c', String(COUNT), '-w', file, 'ether proto 0x88b5'],
      'listening on',
    );
    const r = runPort({ mode: 'tx', backend, bufferSize, count: COUNT });
    expect(r.info).toMatchObject({
      backend,
      chunkMode: backend === 'af_packet' ? '' : bufferSize === 2048 ? 'aligned' : 'unaligned',
    });
    expect(r.completed).toBe(COUNT);
    await waitExit(dump.child, dump.exited, 10_000);
    const { records } = readPcap(file);
    expect(records).toHaveLength(COUNT);
    records.forEach((rec, seq) => {
      expect(rec.data.equals(frame(seq, lengthOf(seq)))).toBe(true);
    });
    // Every packet is back after close: the ones the interface held and the ones we held.
    expect(r.returned).toBe(0);
    expect(r.free).toBe(r.total);
  });

  test('frames injected by a raw socket arrive in pool packets, and the pcap reads back in tshark', async () => {
    const file = path.join(tmp, `rx-${backend}-${bufferSize}.pcap`);
    const rx = await startIn(
      n,
      [
        process.execPath,
        path.join(FIXTURES, 'raw-port.js'),
        JSON.stringify({ mode: 'rx', ifname: 'va', backend, bufferSize, count: COUNT, pcap: file }),
      ],
      'READY',
    );
    const sent = Array.from({ length: COUNT }, (_, seq) => frame(seq, lengthOf(seq)));
    inject(n, sent);
    await waitExit(rx.child, rx.exited, 20_000);
    const r = reportOf<Report & { frames: string[]; postedRx: number; counters: { kernelDrops: number } }>({
      status: 0,
      signal: null,
      ...rx.output(),
    });
    expect(r.info!.backend).toBe(backend);
    // kernelDrops says whether a missing frame was dropped by the kernel (the receiver stalled).
    expect({ frames: r.frames.length, kernelDrops: r.counters.kernelDrops }).toEqual({ frames: COUNT, kernelDrops: 0 });
    r.frames.forEach((hex, seq) => expect(hex).toBe(sent[seq].toString('hex')));
    // The receive buffers still posted come back on close.
    expect(r.returned).toBe(r.postedRx);
    expect(r.free).toBe(r.total);

    const fields = execFileSync(
      'tshark',
      ['-r', file, '-Y', 'eth.type == 0x88b5', '-T', 'fields', '-e', 'frame.len', '-e', 'eth.src', '-e', 'data.data'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    )
      .trim()
      .split('\n');
    expect(fields).toHaveLength(COUNT);
    fields.forEach((line, seq) => {
      const [len, src, data] = line.split('\t');
      expect(Number(len)).toBe(sent[seq].length);
      expect(src).toBe('02:02:02:02:02:01');
      expect(data.replace(/:/g, '')).toBe(sent[seq].subarray(14).toString('hex'));
    });
  });

  test('a killed process leaves no XDP program attached, and reclaimPackets returns its frames', async () => {
    const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'raw-kill', {
      packetCount: 1024,
      bufferCount: 1024,
      bufferSize,
      shared: true,
    });
    try {
      const handle = pool.createHandle();
      const child = spawn(
        n.exec[0],
        [
          ...n.exec.slice(1),
          process.execPath,
          path.join(FIXTURES, 'raw-port.js'),
          JSON.stringify({ mode: 'hold', ifname: 'va', backend, handle, attachFd: 3 }),
        ],
        { stdio: ['ignore', 'pipe', 'pipe', handle.fd] },
      );
      let out = '';
      let err = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (err += d));
      const exited = new Promise((resolve) => child.on('close', resolve));
      const deadline = Date.now() + 20_000;
      while (!out.includes('"ready"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect({ out, err }).toEqual({ out: expect.stringContaining('"ready":true'), err: expect.anything() });
      const held = JSON.parse(out.trim().split('\n').pop()!) as { held: number; rx: number; tx: number };
      expect(held.rx).toBe(256);
      expect(held.held).toBeGreaterThanOrEqual(256);
      if (backend === 'af_xdp') expect(n.ip('link', 'show', 'va')).toMatch(/xdp/);
      child.kill('SIGKILL');
      await exited;
      expect(n.ip('link', 'show', 'va')).not.toMatch(/xdp/);
      expect(pool.getFreePacketCount()).toBeLessThan(1024);
      const reclaimed = pool.reclaimPackets();
      expect(reclaimed).toBeGreaterThanOrEqual(held.held);
      expect(pool.getFreePacketCount()).toBe(1024);
    } finally {
      pool.release();
    }
  });
});

describe('errors', () => {
  test('a missing interface is kIOReturnNoDevice', () => {
    const r = runPort({ mode: 'open', ifname: 'nosuch0' });
    expect(r).toMatchObject({ ok: false, code: 'kIOReturnNoDevice' });
    expect(r.message).toContain("'nosuch0'");
    expect(r.free).toBe(r.total);
  });

  test('a queue bound by another AF_XDP socket is kIOReturnExclusiveAccess', () => {
    const r = runPort({ mode: 'open', backend: 'af_xdp', second: true });
    expect(r.ok).toBe(true);
    expect(r.second).toMatchObject({ ok: false, code: 'kIOReturnExclusiveAccess' });
    expect((r.second as Report).message).toContain('queue 0 of va');
  });

  test('a queue the interface does not have is kIOReturnBadArgument', () => {
    const r = runPort({ mode: 'open', queueId: 5 });
    expect(r).toMatchObject({ ok: false, code: 'kIOReturnBadArgument' });
    expect(r.message).toContain('queueId 5');
  });

  test('an MTU larger than the frames is kIOReturnMessageTooLarge, for both backends', () => {
    n.ip('link', 'set', 'va', 'mtu', '3000');
    try {
      for (const backend of ['af_xdp', 'af_packet', 'auto']) {
        const r = runPort({ mode: 'open', backend });
        expect(r).toMatchObject({ ok: false, code: 'kIOReturnMessageTooLarge' });
        expect(r.message).toContain('MTU of va is 3000');
      }
      const big = runPort({ mode: 'open', backend: 'af_xdp', bufferSize: 4096 });
      expect(big.info).toMatchObject({ backend: 'af_xdp', chunkMode: 'aligned' });
    } finally {
      n.ip('link', 'set', 'va', 'mtu', '1500');
    }
  });

  test('a buffer stride that is not a power of two uses unaligned chunks', () => {
    const r = runPort({ mode: 'open', backend: 'af_xdp', bufferSize: 3000 });
    expect(r.info).toMatchObject({ backend: 'af_xdp', chunkMode: 'unaligned' });
    const small = runPort({ mode: 'open', backend: 'af_xdp', bufferSize: 1600 });
    expect(small).toMatchObject({ ok: false, code: 'kIOReturnUnsupported' });
    expect(small.message).toContain('2048');
  });

  test('without capabilities the open is kIOReturnNotPrivileged naming what is missing', () => {
    const none = ['setpriv', '--inh-caps=-all', '--bounding-set=-all', '--'];
    for (const backend of ['auto', 'af_packet', 'af_xdp']) {
      const r = runPort({ mode: 'open', backend }, { wrapper: none });
      expect(r).toMatchObject({ ok: false, code: 'kIOReturnNotPrivileged' });
      expect(r.message).toContain('CAP_NET_RAW');
    }
    // With CAP_NET_RAW but no CAP_BPF / CAP_SYS_ADMIN: AF_XDP is refused, auto falls back.
    const noBpf = ['setpriv', '--inh-caps=-all', '--bounding-set=-bpf,-sys_admin', '--'];
    const xdp = runPort({ mode: 'open', backend: 'af_xdp' }, { wrapper: noBpf });
    expect(xdp).toMatchObject({ ok: false, code: 'kIOReturnNotPrivileged' });
    expect(xdp.message).toContain('CAP_BPF');
    const auto = runPort({ mode: 'open', backend: 'auto' }, { wrapper: noBpf });
    expect(auto.info).toMatchObject({ backend: 'af_packet' });
    expect(auto.info!.fallbackReason).toContain('CAP_BPF');
  });

  test('without libxdp the addon still loads, AF_XDP says what is missing and auto falls back', () => {
    const needed = execFileSync('readelf', ['-d', path.join(ROOT, 'build', 'Release', 'packet_buffer_pool.node')], {
      encoding: 'utf8',
    });
    expect(needed).toContain('NEEDED');
    expect(needed).not.toMatch(/libxdp|libbpf/);
    const env = { PBP_LIBXDP: '/nonexistent/libxdp.so.1' };
    const xdp = runPort({ mode: 'open', backend: 'af_xdp' }, { env });
    expect(xdp).toMatchObject({ ok: false, code: 'kIOReturnUnsupported' });
    expect(xdp.message).toContain('/nonexistent/libxdp.so.1');
    expect(xdp.message).toContain('apt install libxdp1 libbpf1');
    const auto = runPort({ mode: 'open', backend: 'auto' }, { env });
    expect(auto.info).toMatchObject({ backend: 'af_packet' });
    expect(auto.info!.fallbackReason).toContain('libxdp');
  });
});

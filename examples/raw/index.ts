/**
 * demo:raw: a raw Ethernet frame generator and a capture tool on packet-buffer-pool
 * (RawEthernetInterface: AF_XDP with the pool's buffers as the UMEM, or AF_PACKET), run on a veth
 * pair inside a network namespace this script creates and removes, then the same two tools
 * written with node:dgram over the same pair; prints frames per second, CPU per frame and GCs
 * of each side.
 *
 *   npm run demo:raw [-- --seconds 2 --size 64 --backend auto|af_xdp|af_packet --pcap file.pcap]
 *
 * Needs root (network namespaces, AF_XDP); without it, it says so and exits. `npm run demo:raw`
 * compiles the examples (tsconfig.examples.json) and runs build-ts/examples/raw/index.js, which
 * runs the compiled pool-tool.js and dgram-tool.js beside it.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

import type { RawEthernetInterfaceInfo } from 'packet-buffer-pool';

// Shared with the tests and benches; compiled beside the examples (see tsconfig.examples.json).
import { createNamespace } from '../../scripts/netns';

type Namespace = ReturnType<typeof createNamespace>;

interface DemoOptions {
  seconds: number;
  size: number;
  backend: 'auto' | 'af_xdp' | 'af_packet';
  pcap: string | undefined;
  json: boolean;
}

/** One tool's JSON line (pool-tool.ts, dgram-tool.ts); the pool tool adds the last three. */
interface ToolResult {
  frames: number;
  seconds: number;
  cpuUs: number;
  gcCount: number;
  info?: RawEthernetInterfaceInfo;
  free?: number;
  total?: number;
}

interface PairResult {
  sent: ToolResult;
  received: ToolResult;
}

const BACKENDS = ['auto', 'af_xdp', 'af_packet'] as const;

function isBackend(name: string): name is DemoOptions['backend'] {
  return (BACKENDS as readonly string[]).includes(name);
}

const USAGE =
  'usage: npm run demo:raw -- [--seconds S (0.5..30, default 2)] [--size BYTES (60..1514, default 64)]\n' +
  '                          [--backend auto|af_xdp|af_packet] [--pcap FILE (first 1000 captured frames)] [--json]';

function parse(argv: string[]): DemoOptions {
  const o: DemoOptions = { seconds: 2, size: 64, backend: 'auto', pcap: undefined, json: false };
  let backend = 'auto';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--seconds') o.seconds = Number(next());
    else if (a === '--size') o.size = Number(next());
    else if (a === '--backend') backend = next();
    else if (a === '--pcap') o.pcap = path.resolve(next());
    else if (a === '--json') o.json = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (!(o.seconds >= 0.5 && o.seconds <= 30)) throw new Error(`--seconds must be 0.5..30, got ${o.seconds}`);
  if (!(Number.isInteger(o.size) && o.size >= 60 && o.size <= 1514))
    throw new Error(`--size must be an integer 60..1514, got ${o.size}`);
  if (!isBackend(backend)) throw new Error(`--backend must be auto, af_xdp or af_packet, got ${backend}`);
  o.backend = backend;
  return o;
}

/** Runs `argv` with the `exec` prefix (a namespace); { ready: Promise, result: Promise<object> }. */
function startTool(exec: string[], argv: string[]): { ready: Promise<void>; result: Promise<ToolResult> } {
  const child = spawn(exec[0], [...exec.slice(1), process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady = (): void => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (d: Buffer) => {
    out += d;
    if (out.includes('ready\n')) onReady();
  });
  child.stderr.on('data', (d: Buffer) => (err += d));
  const result = new Promise<ToolResult>((resolve, reject) => {
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop();
      if (code === 0 && last && last.startsWith('{')) resolve(JSON.parse(last));
      else
        reject(
          new Error(
            `${path.basename(argv[0])} ${argv[1]} failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`,
          ),
        );
    });
  });
  result.catch(() => onReady());
  return { ready, result };
}

// The capture tool runs on vb (in its own namespace), the generator on va.
async function runPair(ns: Namespace, capture: string[], gen: string[]): Promise<PairResult> {
  const rx = startTool(ns.peerExec, capture);
  await rx.ready;
  const tx = startTool(ns.exec, gen);
  const [sent, received] = await Promise.all([tx.result, rx.result]);
  return { sent, received };
}

function row(name: string, { sent, received }: PairResult): string[] {
  const pps = (r: ToolResult): number => Math.round(r.frames / r.seconds);
  const us = (r: ToolResult): string => (r.frames ? (r.cpuUs / r.frames).toFixed(3) : '-');
  return [
    name,
    String(pps(sent)),
    String(pps(received)),
    String(sent.frames),
    String(received.frames),
    us(sent),
    us(received),
    `${sent.gcCount}/${received.gcCount}`,
  ];
}

function table(rows: string[][]): string {
  const header = [
    'tool',
    'sent frames/s',
    'captured frames/s',
    'sent',
    'captured',
    'sender us/frame',
    'capture us/frame',
    'GCs (send/capture)',
  ];
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  return all
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '))
    .join('\n');
}

async function main(): Promise<void> {
  let o: DemoOptions;
  try {
    o = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${messageOf(err)}\n${USAGE}\n`);
    process.exit(2);
  }
  if (process.getuid && process.getuid() !== 0) {
    process.stderr.write(
      'demo:raw needs root: it creates a network namespace with a veth pair (ip netns, ip link) and opens\n' +
        'raw sockets on it (CAP_NET_RAW; AF_XDP also needs CAP_NET_ADMIN and CAP_BPF). Run it as root,\n' +
        'e.g. `sudo npm run demo:raw`.\n',
    );
    process.exit(1);
  }
  const ns = createNamespace('pbp-demo', { split: true });
  const cleanup = () => ns.remove();
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const tool = path.join(__dirname, 'pool-tool.js');
    const dgramTool = path.join(__dirname, 'dgram-tool.js');
    const window = String(o.seconds + 3);
    const raw = await runPair(
      ns,
      [tool, 'capture', 'vb', window, o.backend, ...(o.pcap ? [o.pcap] : [])],
      [tool, 'gen', 'va', String(o.seconds), String(o.size), o.backend],
    );
    ns.ip('addr', 'add', '10.77.0.1/24', 'dev', 'va');
    ns.peerIp('addr', 'add', '10.77.0.2/24', 'dev', 'vb');
    const udp = await runPair(
      ns,
      [dgramTool, 'capture', '10.77.0.2', window],
      [dgramTool, 'gen', '10.77.0.1', '10.77.0.2', String(o.seconds), String(o.size)],
    );
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ options: o, raw, dgram: udp })}\n`);
      return;
    }
    const i = need(raw.sent.info, 'the generator reported no interface info');
    const c = need(raw.received.info, 'the capture tool reported no interface info');
    process.stdout.write(
      `veth pair va (namespace ${ns.name}) <-> vb (namespace ${ns.peer}), ${o.size}-byte frames, ${o.seconds} s per tool\n` +
        `generator: ${i.backend}${i.xdpMode ? ` (${i.xdpMode} XDP, ${i.zeroCopy ? 'zero-copy' : 'copy mode'}, ${i.chunkMode} chunks)` : ''}` +
        `${i.fallbackReason ? ` [fallback: ${i.fallbackReason}]` : ''}\n` +
        `capture:   ${c.backend}${c.xdpMode ? ` (${c.xdpMode} XDP, ${c.zeroCopy ? 'zero-copy' : 'copy mode'})` : ''}` +
        `${o.pcap ? `, first frames written to ${o.pcap}` : ''}\n` +
        `pool packets back after close: generator ${raw.sent.free}/${raw.sent.total}, capture ${raw.received.free}/${raw.received.total}\n\n` +
        `${table([row('pool RawEthernetInterface', raw), row('node:dgram (UDP)', udp)])}\n`,
    );
  } finally {
    cleanup();
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(what);
  return value;
}

main().catch((err: unknown) => {
  process.stderr.write(`demo:raw: ${messageOf(err)}\n`);
  process.exitCode = 1;
});

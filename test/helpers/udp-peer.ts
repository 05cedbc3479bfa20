/**
 * The outside peer of the UDP interface tests: native/test/udp_peer.c (plain C sockets), started
 * as a child process. Its datagrams follow one byte pattern (see the C file) that
 * fillPatternDatagram() writes and checkPatternDatagram() checks, so every byte can be verified on
 * either side. Every run is bounded: the receiver gives up after its timeout without data.
 */
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as path from 'node:path';

const { cTool } = require('../../scripts/c-tools') as { cTool(source: string): string };

const PEER = cTool('native/test/udp_peer.c');

export interface ReceiverReport {
  received: number;
  bad: number;
  bytes: number;
  duplicates: number;
  firstBad: number;
  maxSequence: number;
}

function lines(child: ChildProcessWithoutNullStreams): AsyncGenerator<string> {
  let pending = '';
  const queue: string[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      queue.push(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
    wake?.();
  });
  child.stdout.on('end', () => {
    ended = true;
    wake?.();
  });
  return (async function* () {
    for (;;) {
      if (queue.length) yield queue.shift()!;
      else if (ended) return;
      else await new Promise<void>((r) => (wake = r));
    }
  })();
}

/** A C receiver bound to `host`:0; resolves its port and a promise of its report. */
export async function startReceiver(options: {
  host?: string;
  count: number;
  gro?: boolean;
  timeoutMs?: number;
}): Promise<{ port: number; report: Promise<ReceiverReport> }> {
  const host = options.host ?? '127.0.0.1';
  const child = spawn(PEER, [
    'recv',
    '--bind',
    host.includes(':') ? `[${host}]:0` : `${host}:0`,
    '--count',
    String(options.count),
    '--gro',
    options.gro ? '1' : '0',
    '--timeout-ms',
    String(options.timeoutMs ?? 2000),
  ]);
  const it = lines(child);
  const first = await it.next();
  if (first.done) throw new Error('udp_peer recv did not start');
  const report = (async () => {
    let last = '';
    for await (const line of it) last = line;
    return JSON.parse(last) as ReceiverReport;
  })();
  return { port: Number(first.value), report };
}

/** Runs the C sender to completion; resolves { sent, port } (port: where the datagrams came from). */
export async function runSender(options: {
  host?: string;
  port: number;
  count: number;
  size: number;
  gso?: boolean;
  first?: number;
}): Promise<{ sent: number; port: number }> {
  const host = options.host ?? '127.0.0.1';
  const child = spawn(PEER, [
    'send',
    '--dest',
    host.includes(':') ? `[${host}]:${options.port}` : `${host}:${options.port}`,
    '--count',
    String(options.count),
    '--size',
    String(options.size),
    '--gso',
    options.gso ? '1' : '0',
    '--first',
    String(options.first ?? 0),
  ]);
  let last = '';
  for await (const line of lines(child)) last = line;
  return JSON.parse(last);
}

/** Writes datagram `sequence` of `size` bytes in udp_peer's pattern into buf[at..]. */
export function fillPatternDatagram(buf: Buffer, at: number, sequence: number, size: number): void {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(sequence >>> 0, 0);
  header.writeUInt32LE(size, 4);
  for (let j = 0; j < size; j++) buf[at + j] = j < 8 ? header[j] : (sequence * 31 + j) & 0xff;
}

/** The sequence number of a datagram in the pattern, or -1 if any byte is wrong. */
export function checkPatternDatagram(buf: Buffer, at: number, size: number): number {
  if (size < 8) return -1;
  const sequence = buf.readUInt32LE(at);
  if (buf.readUInt32LE(at + 4) !== size) return -1;
  for (let j = 8; j < size; j++) if (buf[at + j] !== ((sequence * 31 + j) & 0xff)) return -1;
  return sequence;
}

export const PEER_PATH = path.relative(process.cwd(), PEER);

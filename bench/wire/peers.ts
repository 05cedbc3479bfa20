/**
 * The outside ends of the wire.* scenarios, all run from native/bench/udp_gso_sender.c (the C
 * reference): a sink nobody reads (the tx scenarios' destination: the kernel takes each datagram
 * through loopback to the full socket queue and drops it there, the same work for every sender),
 * the reference sender driven run by run (wire.udp.c-tx), and a sender that blasts until stopped
 * (the rx scenarios' traffic).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

import { cTool } from '../repo';

type Child = ChildProcessByStdio<Writable, Readable, null>;

/** The sink: the port it is bound to. */
export interface Sink {
  port: number;
  stop(): Promise<void>;
}

/** How the reference sender sends. */
export interface SenderOptions {
  host?: string;
  port: number;
  size: number;
  gso?: boolean;
  segments?: number;
}

/** One run of the reference sender: datagrams sent, its own CPU and wall-clock time. */
export interface SenderRun {
  sent: number;
  cpuNs: number;
  wallNs: number;
}

const SENDER = 'native/bench/udp_gso_sender.c';

/** Calls onLine for each line the child prints. */
function lines(child: Child, onLine: (line: string) => void): void {
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  });
}

function stopper(child: Child | ChildProcessByStdio<Writable, null, null>): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.stdin.end();
    });
}

/** A bound UDP socket that is never read; resolves { port, stop() }. */
export function startSink(host = '127.0.0.1'): Promise<Sink> {
  const child = spawn(cTool(SENDER), ['--sink', `${host}:0`], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    lines(child, (line) => resolve({ port: Number(line), stop: stopper(child) }));
  });
}

function senderArgs({ host = '127.0.0.1', port, size, gso = true, segments }: SenderOptions): string[] {
  const args = ['--dest', `${host}:${port}`, '--size', String(size), '--gso', gso ? '1' : '0'];
  if (segments) args.push('--segments', String(segments));
  return args;
}

/**
 * The reference sender in --runs mode: run(n) sends n datagrams and resolves
 * { sent, cpuNs, wallNs } (the C process's own CPU time for the run).
 */
export function startRunSender(options: SenderOptions): { run(n: number): Promise<SenderRun>; stop(): Promise<void> } {
  const child = spawn(cTool(SENDER), [...senderArgs(options), '--runs'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: ((run: SenderRun) => void)[] = [];
  lines(child, (line) => {
    const [sent, cpuNs, wallNs] = line.split(' ').map(Number);
    waiting.shift()!({ sent, cpuNs, wallNs });
  });
  return {
    run(n) {
      return new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin.write(`${n}\n`);
      });
    },
    stop: stopper(child),
  };
}

/** The reference sender sending as fast as it can until stop(). */
export function startBlaster(options: SenderOptions): { stop(): Promise<void> } {
  const child = spawn(cTool(SENDER), senderArgs(options), { stdio: ['pipe', 'ignore', 'inherit'] });
  return { stop: stopper(child) };
}

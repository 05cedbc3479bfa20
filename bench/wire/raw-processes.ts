/**
 * The processes of the wire.raw.* benches, shared by the scenarios (bench/scenarios/70-wire-raw.ts)
 * and the interleaved comparison (bench/wire/raw-alternate.ts): which command each scenario
 * measures, whether a C sender blasts frames at it from the other end of the veth pair, and how
 * to start them inside a network namespace, pinned to a CPU, speaking the runs protocol
 * ("N" in, "N cpuNs wallNs [gcCount]" out, after one "ready" line).
 *
 * Pinning: on a machine with two or more CPUs the measured process runs on the last CPU and the
 * sender on CPU 0 (`taskset -c`), so that the two never take turns on one CPU and a run's numbers
 * do not depend on where the scheduler put them. The kernel's receive work for a frame runs in
 * softirq on whichever CPU raised it, which pinning makes the same for every scenario.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

import { cTool, type Namespace } from '../repo';

/** How one scenario runs: the measured process's argv, and whether a C sender blasts from vb. */
export interface RawCommand {
  argv: () => string[];
  senderOnPeer?: boolean;
}

const REF = 'native/bench/raw_xdp_ref.c';
const PEER = path.join(__dirname, 'raw-pool-peer.js');
/** Frame size of every wire.raw scenario. */
export const FRAME_SIZE = 64;

const ref = (...args: string[]): string[] => [cTool(REF, ['-lxdp', '-lbpf']), ...args];
const pool = (...args: string[]): string[] => [process.execPath, PEER, ...args];
const size = String(FRAME_SIZE);

/** Every wire.raw scenario by name, in table order. */
export const RAW_COMMANDS: Record<string, RawCommand> = {
  'wire.raw.c-tx': { argv: () => ref('--tx', 'va', '--size', size, '--runs') },
  'wire.raw.pool-tx': { argv: () => pool('tx', 'va', size, 'queues') },
  'wire.raw.pool-tx.objects': { argv: () => pool('tx', 'va', size, 'objects') },
  'wire.raw.pool-tx.indices': { argv: () => pool('tx', 'va', size, 'indices') },
  'wire.raw.c-rx': { argv: () => ref('--rx', 'va', '--runs'), senderOnPeer: true },
  'wire.raw.pool-rx': { argv: () => pool('rx', 'va', '0', 'queues'), senderOnPeer: true },
  'wire.raw.pool-rx.objects': { argv: () => pool('rx', 'va', '0', 'objects'), senderOnPeer: true },
  'wire.raw.pool-rx.indices': { argv: () => pool('rx', 'va', '0', 'indices'), senderOnPeer: true },
};

/** Why the raw scenarios cannot run here, or null. */
export function whyNotRaw(): string | null {
  if (process.getuid && process.getuid() !== 0) return 'needs root (a network namespace, a veth pair, AF_XDP)';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'needs iproute2 (ip)';
  }
  return null;
}

/** The CPUs to pin to: { measured, sender }, or undefined on one CPU or without taskset. */
export function rawCpus(): { measured: number; sender: number } | undefined {
  const n = os.cpus().length;
  if (n < 2) return undefined;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return { measured: n - 1, sender: 0 };
}

function inNamespace(ns: Namespace, argv: string[], cpu: number | undefined): string[] {
  const pinned = cpu === undefined ? argv : ['taskset', '-c', String(cpu), ...argv];
  return ['netns', 'exec', ns.name, ...pinned];
}

/** One run's line: frames, CPU ns of the process, wall ns, GCs seen (pool processes only). */
export interface RunFields {
  n: number;
  cpuNs: number;
  wallNs: number;
  gcCount: number;
}

/** A measured process inside the namespace speaking the runs protocol. */
export interface Runner {
  run(n: number): Promise<RunFields>;
  stop(): Promise<void>;
  /** SIGKILL, for a harness that is itself being killed. */
  kill(): void;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.stdin!.end();
  });
}

/** Starts `argv` in the namespace (pinned to `cpu` if given); resolves once it printed "ready". */
export function startRunner(ns: Namespace, argv: string[], cpu?: number): Promise<Runner> {
  const child = spawn('ip', inNamespace(ns, argv, cpu), { stdio: ['pipe', 'pipe', 'inherit'] });
  let pending = '';
  const waiting: ((fields: number[]) => void)[] = [];
  let ready: () => void;
  const readyPromise = new Promise<void>((resolve, reject) => {
    ready = resolve;
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited (${code}) before it was ready`)));
  });
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line === 'ready') ready();
      else waiting.shift()!(line.split(' ').map(Number));
    }
  });
  return readyPromise.then(() => ({
    run: (n: number) =>
      new Promise<RunFields>((resolve) => {
        waiting.push(([frames, cpuNs, wallNs, gc]) => resolve({ n: frames, cpuNs, wallNs, gcCount: gc || 0 }));
        child.stdin!.write(`${n}\n`);
      }),
    stop: () => stopChild(child),
    kill: () => child.kill('SIGKILL'),
  }));
}

/** The C sender on vb: blasts 64-byte frames until stopped; pause() / resume() stop it in between. */
export interface Sender {
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
  /** SIGKILL (a stopped process dies of it too), for a harness that is itself being killed. */
  kill(): void;
}

/** Starts the C sender on the namespace's vb (pinned to `cpu` if given), once it is ready. */
export function startSender(ns: Namespace, cpu?: number): Promise<Sender> {
  const argv = ref('--tx', 'vb', '--size', size);
  const child = spawn('ip', inNamespace(ns, argv, cpu), { stdio: ['pipe', 'pipe', 'ignore'] });
  return new Promise<Sender>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited (${code}) before it was ready`)));
    child.stdout!.setEncoding('utf8');
    child.stdout!.once('data', () => {
      child.stdout!.resume();
      // SIGSTOP / SIGCONT go to the sender itself: `ip netns exec` and taskset exec it in place.
      resolve({
        pause: () => child.kill('SIGSTOP'),
        resume: () => child.kill('SIGCONT'),
        stop: () => {
          child.kill('SIGCONT');
          return stopChild(child);
        },
        kill: () => child.kill('SIGKILL'),
      });
    });
  });
}

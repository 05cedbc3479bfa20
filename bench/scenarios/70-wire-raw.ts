/**
 * Raw Ethernet frames over a veth pair: frames per second, CPU per frame and GCs of
 * the pool's RawEthernetInterface (AF_XDP, the pool's buffers as the UMEM) beside a C reference
 * of the same technique, 64-byte frames. One op = one frame.
 *
 *   wire.raw.c-tx      native/bench/raw_xdp_ref.c: AF_XDP TX in copy mode, batches of 64, a
 *                      4-byte sequence number stamped into each frame; counted when completed.
 *   wire.raw.pool-tx   bench/wire/raw-pool-peer.ts: the same loop in JavaScript over pool packets
 *                      through the DriverKit queues (enqueue and dequeue in JS over the region,
 *                      one service() call per batch moves them to and from the kernel).
 *   wire.raw.pool-tx.indices   the same by index (postTxPacketIndices / pollTxCompletionIndices:
 *                      two native calls per batch, no queues).
 *   wire.raw.c-rx      the C reference receiving (poll() when the ring is empty) while another
 *                      C process sends as fast as it can from the peer end.
 *   wire.raw.pool-rx   the pool receiving the same way, from the same sender, through the queues
 *                      (and wire.raw.pool-rx.indices by index).
 *
 * Both sides of every scenario run as child processes inside a network namespace the scenario
 * creates (veth va <-> vb) and removes, driven by the same "N" -> "N cpuNs wallNs" protocol, so
 * cpuUsPerPacket is the working process's own CPU and the pool's GCs are counted where they
 * happen. On this 2-vCPU VM the sender and receiver share the CPUs with the kernel's softirq
 * work; compare ratios within one run.
 *
 * Needs root (namespaces, AF_XDP) and libxdp-dev/libbpf-dev (the C reference links them);
 * otherwise the scenarios are left out, run.js prints the reason on stderr and puts it in the
 * JSON report's `skipped`.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';

import { cTool, createNamespace, type Namespace } from '../repo';
import type { ScenarioDefinition, ScenarioInstance, SkippedFamily } from '../scenario';

/** A child inside the namespace speaking the runs protocol. */
interface Runner {
  run(n: number): Promise<void>;
  cpuMsOfLastRun(): number;
  gcCount(): number;
  stop(): Promise<void>;
}

/** How one scenario runs: the measured process's argv, and whether a C sender blasts from vb. */
interface How {
  receiver: () => string[];
  senderOnPeer?: boolean;
}

const REF = 'native/bench/raw_xdp_ref.c';
const PEER = path.join(__dirname, '..', 'wire', 'raw-pool-peer.js');
const SIZE = 64;

function whyNot(): string | null {
  if (process.getuid && process.getuid() !== 0) return 'needs root (a network namespace, a veth pair, AF_XDP)';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'needs iproute2 (ip)';
  }
  return null;
}

/** A child inside the namespace speaking the runs protocol; resolves once it printed "ready". */
function startRunner(ns: Namespace, argv: string[]): Promise<Runner> {
  const child = spawn('ip', ['netns', 'exec', ns.name, ...argv], { stdio: ['pipe', 'pipe', 'inherit'] });
  let pending = '';
  const waiting: ((fields: number[]) => void)[] = [];
  let ready: () => void;
  const readyPromise = new Promise<void>((resolve, reject) => {
    ready = resolve;
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited (${code}) before it was ready`)));
  });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line === 'ready') ready();
      else waiting.shift()!(line.split(' ').map(Number));
    }
  });
  let gcTotal = 0;
  let lastCpuMs = 0;
  return readyPromise.then(() => ({
    run(n: number) {
      return new Promise<void>((resolve) => {
        waiting.push(([, cpuNs, , gc]) => {
          lastCpuMs = cpuNs / 1e6;
          gcTotal += gc || 0;
          resolve();
        });
        child.stdin.write(`${n}\n`);
      });
    },
    cpuMsOfLastRun: () => lastCpuMs,
    gcCount: () => gcTotal,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  }));
}

function scenario(name: string, { receiver, senderOnPeer }: How): ScenarioDefinition {
  return {
    name,
    async setup(): Promise<ScenarioInstance> {
      const ns = createNamespace('pbp-bench');
      const peers: (() => Promise<void>)[] = [];
      try {
        if (senderOnPeer) {
          const blaster = spawn(
            'ip',
            ['netns', 'exec', ns.name, cTool(REF, ['-lxdp', '-lbpf']), '--tx', 'vb', '--size', String(SIZE)],
            {
              stdio: ['pipe', 'ignore', 'ignore'],
            },
          );
          peers.push(
            () =>
              new Promise<void>((resolve) => {
                if (blaster.exitCode !== null) return resolve();
                blaster.once('exit', () => resolve());
                blaster.stdin.end();
              }),
          );
        }
        const runner = await startRunner(ns, receiver());
        peers.unshift(runner.stop);
        return {
          run: (n) => runner.run(n),
          cpuMsOfLastRun: runner.cpuMsOfLastRun,
          externalGcCount: runner.gcCount,
          async teardown() {
            for (const stop of peers) await stop();
            ns.remove();
          },
        };
      } catch (err) {
        for (const stop of peers) await stop();
        ns.remove();
        throw err;
      }
    },
  };
}

const ref = (...args: string[]): string[] => [cTool(REF, ['-lxdp', '-lbpf']), ...args, '--runs'];
const pool = (...args: string[]): string[] => [process.execPath, PEER, ...args];

const SCENARIOS: Record<string, How> = {
  'wire.raw.c-tx': { receiver: () => ref('--tx', 'va', '--size', String(SIZE)) },
  'wire.raw.pool-tx': { receiver: () => pool('tx', 'va', String(SIZE), 'queues') },
  'wire.raw.pool-tx.indices': { receiver: () => pool('tx', 'va', String(SIZE), 'indices') },
  'wire.raw.c-rx': { receiver: () => ref('--rx', 'va'), senderOnPeer: true },
  'wire.raw.pool-rx': { receiver: () => pool('rx', 'va', '0', 'queues'), senderOnPeer: true },
  'wire.raw.pool-rx.indices': { receiver: () => pool('rx', 'va', '0', 'indices'), senderOnPeer: true },
};

// Without root the list is empty and says why (bench/scenarios/index.ts: `skipped`), so that
// run.ts prints the reason and bench/ratios.ts reports the raw targets as skipped, not failed.
const reason = whyNot();
export const scenarios: ScenarioDefinition[] = reason
  ? []
  : Object.entries(SCENARIOS).map(([name, how]) => scenario(name, how));
export const skipped: SkippedFamily | undefined = reason
  ? { group: 'wire.raw.*', names: Object.keys(SCENARIOS), reason }
  : undefined;

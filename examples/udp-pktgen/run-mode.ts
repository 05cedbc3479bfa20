/**
 * Runs one mode end to end: starts the senders (this thread, or N workers), shows progress,
 * waits for every send to complete and for the sink to catch up, and returns the mode's result.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import type { IOUserNetworkPacketBufferPool, IOUserNetworkPacketBufferPoolHandle } from 'packet-buffer-pool';

import { RX_BYTES, RX_GAPS, RX_INVALID, RX_RECEIVED, RX_REORDERED, MODES, rxIndex, totalSent } from './counters';
import type { Counters, Mode } from './counters';
import type { SenderWorkerData, SenderWorkerMessage } from './messages';
import type { PktgenOptions } from './options';
import { startProgress } from './report';
import type { ModeResult, SenderResult } from './results';
import { runSender } from './sender';
import type { SenderOptions } from './sender';
import type { Sink } from './sink-thread';

/** What every mode of a run shares. */
export interface RunContext {
  options: PktgenOptions;
  /** The shared pool when the pool mode is part of the run; null otherwise. */
  pool: IOUserNetworkPacketBufferPool | null;
  counters: Counters;
  /** The node:dgram sink (pool and buffer modes). */
  sink: Sink;
  /** Starts the udp mode's own sink: the pool's UDP interface receiving in a worker. */
  startUdpSink: () => Promise<Sink>;
  inflightPerSender: number;
}

const DRAIN_QUIET_MS = 250; // the sink is done when its count stops moving for this long
const DRAIN_MAX_MS = 2000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Starts `workers` sender threads and resolves with their results (rejects on any error). */
function runWorkers(
  common: SenderOptions,
  workers: number,
  handle: IOUserNetworkPacketBufferPoolHandle | null,
): Promise<SenderResult[]> {
  const { count } = common;
  const share = (i: number): number =>
    Number.isFinite(count) ? Math.floor(count / workers) + (i < count % workers ? 1 : 0) : Infinity;
  // The pool object stays here: a worker attaches to it through the handle.
  const { pool: _pool, ...shared } = common;
  const runs: Promise<SenderResult>[] = [];
  for (let i = 0; i < workers; i++) {
    const rate = common.rate / workers;
    const workerData: SenderWorkerData = { ...shared, handle, stream: i + 1, count: share(i), rate };
    runs.push(
      new Promise((resolve, reject) => {
        const worker = new Worker(path.join(__dirname, 'sender-worker.js'), { workerData });
        let outcome: SenderWorkerMessage | null = null;
        worker.on('message', (m: SenderWorkerMessage) => {
          outcome = m;
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (outcome && outcome.type === 'done') resolve(outcome.result);
          else reject(new Error(outcome ? outcome.message : `sender worker ${i + 1} exited with code ${code}`));
        });
      }),
    );
  }
  return Promise.allSettled(runs).then((settled) => {
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  });
}

/** Waits until the sink has received `sent` packets or its count stops moving. */
async function drain(counters: Counters, modeId: number, sent: number): Promise<void> {
  const start = Date.now();
  let last = -1;
  let lastChange = start;
  for (;;) {
    const received = counters[rxIndex(modeId, RX_RECEIVED)];
    const now = Date.now();
    if (received !== last) {
      last = received;
      lastChange = now;
    }
    if (received >= sent || now - lastChange >= DRAIN_QUIET_MS || now - start >= DRAIN_MAX_MS) return;
    await sleep(10);
  }
}

/** Runs `mode` and returns its result (with `error` set instead of numbers if its senders failed). */
export async function runMode(mode: Mode, ctx: RunContext): Promise<ModeResult> {
  const { options, pool, counters } = ctx;
  const modeId = MODES.indexOf(mode);
  // The udp mode has its own sink: the pool's UDP interface receiving in a worker.
  const sink = mode === 'udp' ? await ctx.startUdpSink() : ctx.sink;
  try {
    return await measureMode(mode, modeId, { options, pool, counters, sink, inflightPerSender: ctx.inflightPerSender });
  } finally {
    if (mode === 'udp') await sink.stop();
  }
}

async function measureMode(mode: Mode, modeId: number, ctx: Omit<RunContext, 'startUdpSink'>): Promise<ModeResult> {
  const { options, pool, counters, sink } = ctx;
  const poolBefore = pool ? pool.getStatistics() : null;
  const receiverGcBefore = (await sink.snapshot()).gcCount;
  const common: SenderOptions = {
    mode,
    modeId,
    pool: mode === 'pool' ? pool : null,
    slotViews: options.slotViews,
    size: options.size,
    count: options.count,
    durationMs: options.durationS * 1000,
    stream: 0,
    port: sink.port,
    inflight: ctx.inflightPerSender,
    burst: options.burst,
    rate: options.rate,
    counters,
  };
  const progress = startProgress({
    mode,
    modeId,
    counters,
    quiet: options.quiet,
    poolInUse: () => {
      if (mode === 'udp') return "- (the interface's own pools)";
      if (mode !== 'pool' || pool === null) return '- (Buffer per packet)';
      const stats = pool.getStatistics();
      return `${stats.inUse}/${pool.getPacketCount()} (high-water ${stats.highWaterMark})`;
    },
  });
  // CPU time of the whole process (senders, sink, kernel work on their behalf): on a shared
  // machine it moves much less than packets/s does.
  const cpuBefore = process.cpuUsage();
  let senders: SenderResult[];
  try {
    senders =
      options.workers === 0
        ? [await runSender(common)]
        : await runWorkers(common, options.workers, mode === 'pool' && pool ? pool.createHandle() : null);
  } catch (err) {
    progress.stop();
    return { mode, error: err instanceof Error ? err.message : String(err) };
  }
  const sent = senders.reduce((a, s) => a + s.sent, 0);
  await drain(counters, modeId, sent);
  const cpu = process.cpuUsage(cpuBefore);
  progress.stop();
  const receiverGcAfter = (await sink.snapshot()).gcCount;

  const seconds = Math.max(...senders.map((s) => s.seconds));
  const received = counters[rxIndex(modeId, RX_RECEIVED)];
  const poolAfter = pool ? pool.getStatistics() : null;
  return {
    mode,
    senders: senders.length,
    sent,
    sendErrors: senders.reduce((a, s) => a + s.sendErrors, 0),
    received,
    drops: Math.max(0, totalSent(counters, modeId) - received),
    invalid: counters[rxIndex(modeId, RX_INVALID)],
    gaps: counters[rxIndex(modeId, RX_GAPS)],
    reordered: counters[rxIndex(modeId, RX_REORDERED)],
    bytesSent: sent * options.size,
    bytesReceived: counters[rxIndex(modeId, RX_BYTES)],
    seconds,
    pps: sent / seconds,
    rxPps: received / seconds,
    mbps: (sent * options.size * 8) / seconds / 1e6,
    gc: {
      count: senders.reduce((a, s) => a + s.gcCount, 0),
      ms: senders.reduce((a, s) => a + s.gcMs, 0),
    },
    // The worst sender thread's loop delay.
    eventLoopDelay: {
      p50Ms: Math.max(...senders.map((s) => s.eventLoopDelay.p50Ms)),
      p99Ms: Math.max(...senders.map((s) => s.eventLoopDelay.p99Ms)),
      maxMs: Math.max(...senders.map((s) => s.eventLoopDelay.maxMs)),
    },
    cpu: {
      userMs: cpu.user / 1000,
      systemMs: cpu.system / 1000,
      usPerPacket: sent > 0 ? (cpu.user + cpu.system) / sent : 0,
    },
    receiverGcCount: receiverGcAfter - receiverGcBefore,
    poolEmptyWaits: senders.reduce((a, s) => a + s.poolEmptyWaits, 0),
    pool:
      mode === 'pool' && poolBefore && poolAfter
        ? {
            inUseAtEnd: poolAfter.inUse,
            allocations: poolAfter.allocations - poolBefore.allocations,
            deallocations: poolAfter.deallocations - poolBefore.deallocations,
            failedAllocations: poolAfter.failedAllocations - poolBefore.failedAllocations,
            highWaterMark: poolAfter.highWaterMark,
          }
        : null,
  };
}

'use strict';
/**
 * Runs one mode end to end: starts the senders (this thread, or N workers), shows progress,
 * waits for every send to complete and for the sink to catch up, and returns the mode's result.
 */
const path = require('node:path');
const { Worker } = require('node:worker_threads');

const {
  RX_BYTES,
  RX_GAPS,
  RX_INVALID,
  RX_RECEIVED,
  RX_REORDERED,
  MODES,
  rxIndex,
  totalSent,
} = require('./counters');
const { startProgress } = require('./report');
const { runSender } = require('./sender');

const DRAIN_QUIET_MS = 250; // the sink is done when its count stops moving for this long
const DRAIN_MAX_MS = 2000;

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Starts `workers` sender threads and resolves with their results (rejects on any error). */
function runWorkers(common, workers, handle) {
  const share = (i) =>
    Number.isFinite(common.count) ? Math.floor(common.count / workers) + (i < common.count % workers ? 1 : 0) : Infinity;
  const runs = [];
  for (let i = 0; i < workers; i++) {
    const workerData = { ...common, pool: undefined, handle, stream: i + 1, count: share(i), rate: common.rate / workers };
    runs.push(
      new Promise((resolve, reject) => {
        const worker = new Worker(path.join(__dirname, 'sender-worker.js'), { workerData });
        let outcome = null;
        worker.on('message', (m) => {
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
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => s.value);
  });
}

/** Waits until the sink has received `sent` packets or its count stops moving. */
async function drain(counters, modeId, sent) {
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

/**
 * `ctx`: { options, pool (or null), counters, sink: { port, snapshot() } }. Returns the result
 * object of the mode (with `error` set instead of numbers if its senders failed).
 */
async function runMode(mode, ctx) {
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

async function measureMode(mode, modeId, ctx) {
  const { options, pool, counters, sink } = ctx;
  const poolBefore = pool ? pool.getStatistics() : null;
  const receiverGcBefore = (await sink.snapshot()).gcCount;
  const common = {
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
      if (mode === 'udp') return '- (the interface\'s own pools)';
      if (mode !== 'pool') return '- (Buffer per packet)';
      const stats = pool.getStatistics();
      return `${stats.inUse}/${pool.getPacketCount()} (high-water ${stats.highWaterMark})`;
    },
  });
  // CPU time of the whole process (senders, sink, kernel work on their behalf): on a shared
  // machine it moves much less than packets/s does.
  const cpuBefore = process.cpuUsage();
  let senders;
  try {
    senders =
      options.workers === 0
        ? [await runSender(common)]
        : await runWorkers(common, options.workers, mode === 'pool' ? pool.createHandle() : null);
  } catch (err) {
    progress.stop();
    return { mode, error: err.message };
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
      mode === 'pool'
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

module.exports = { runMode };

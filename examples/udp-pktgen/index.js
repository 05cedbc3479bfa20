#!/usr/bin/env node
'use strict';
/**
 * udp-pktgen: a UDP packet generator and sink over loopback, built on packet-buffer-pool, that
 * compares sending from pool packets with allocating a Buffer per packet. `--help` for options.
 *
 * Threads: the sink always runs in a worker, so the sending thread (main, or N workers with
 * --workers) measures only sending. Counters live in a SharedArrayBuffer (counters.js).
 */
const path = require('node:path');
const { Worker } = require('node:worker_threads');

const { IOUserNetworkPacketBufferPool } = require('../..');
const { createCounters, STOP } = require('./counters');
const { USAGE, UsageError, parseOptions, MAX_DURATION_S } = require('./options');
const { formatResults } = require('./report');
const { runMode } = require('./run-mode');

const POOL_MEMORY_LIMIT = 256 << 20; // bytes of packet buffers at most

function startSink(port, counters, script = 'sink.js') {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, script), { workerData: { port, counters } });
    const waiting = [];
    worker.once('error', reject);
    worker.on('message', (m) => {
      if (m.type === 'ready') {
        resolve({
          port: m.port,
          recvBufferSize: m.recvBufferSize,
          snapshot: () => new Promise((r) => (waiting.push(r), worker.postMessage('snapshot'))),
          stop: () => new Promise((r) => (worker.once('exit', r), worker.postMessage('stop'))),
        });
      } else if (m.type === 'snapshot') {
        waiting.shift()(m);
      } else if (m.type === 'error') {
        reject(new Error(`sink: ${m.message}`));
      }
    });
  });
}

/** Pool geometry for the run: enough packets for every sender's in-flight frames and cache. */
function poolPlan(options) {
  const senders = Math.max(1, options.workers);
  const bufferSize = Math.max(64, Math.ceil(options.size / 64) * 64);
  const packets = Math.max(256, Math.min(senders * 2048, Math.floor(POOL_MEMORY_LIMIT / bufferSize)));
  const inflightPerSender = Math.max(1, Math.min(options.inflight, Math.floor(packets / senders / 2)));
  // Per-thread caches hold at most a quarter of each sender's share, so one sender's cache can
  // never starve the others.
  const cacheSize = Math.min(256, Math.floor(packets / senders / 8) * 2);
  return { packets, bufferSize, inflightPerSender, cacheSize };
}

async function main(argv) {
  let options;
  try {
    options = parseOptions(argv);
  } catch (err) {
    if (!(err instanceof UsageError) && !String(err.code).startsWith('ERR_PARSE_ARGS')) throw err;
    process.stderr.write(`udp-pktgen: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (options.durationCapped) process.stderr.write(`udp-pktgen: --duration capped at ${MAX_DURATION_S} s\n`);

  // Whatever happens, the process does not outlive its bound.
  const boundS = options.modes.length * (options.durationS + 5) + 15;
  setTimeout(() => {
    process.stderr.write(`\nudp-pktgen: still running after ${boundS} s, aborting\n`);
    process.exit(3);
  }, boundS * 1000).unref();

  const counters = createCounters();
  // Ctrl-C ends the current mode (senders watch the STOP slot); a second one exits at once.
  process.once('SIGINT', () => {
    counters[STOP] = 1;
    process.once('SIGINT', () => process.exit(130));
  });

  const plan = poolPlan(options);
  const sink = await startSink(options.port, counters);
  const pool = options.modes.includes('pool')
    ? IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'udp-pktgen', {
        packetCount: plan.packets,
        bufferCount: plan.packets,
        bufferSize: plan.bufferSize,
        maxBuffersPerPacket: 1,
        memorySegmentSize: 0,
        poolFlags: 0,
        dmaSpecification: { options: 0, maxAddressBits: 64 },
        cacheSize: plan.cacheSize,
        maxThreads: options.workers + 2,
      })
    : null;

  const results = [];
  for (const mode of options.modes) {
    if (counters[STOP] !== 0) break;
    const startUdpSink = () => startSink(0, counters, 'sink-udp.js');
    results.push(await runMode(mode, { options, pool, counters, sink, startUdpSink, inflightPerSender: plan.inflightPerSender }));
  }
  await sink.stop();
  const poolAtEnd = pool ? pool.getStatistics() : null;
  if (pool) pool.release();

  const byMode = Object.fromEntries(results.filter((r) => !r.error).map((r) => [r.mode, r]));
  const report = {
    node: process.version,
    config: {
      size: options.size,
      count: Number.isFinite(options.count) ? options.count : null,
      durationS: options.durationS,
      workers: options.workers,
      rate: options.rate,
      burst: options.burst,
      slotViews: options.slotViews,
      inflightPerSender: plan.inflightPerSender,
      dest: options.dest,
      port: sink.port,
      poolPackets: plan.packets,
      bufferSize: plan.bufferSize,
      recvBufferSize: sink.recvBufferSize,
    },
    results,
    comparison:
      byMode.pool && byMode.buffer
        ? {
            ppsRatio: byMode.pool.pps / byMode.buffer.pps,
            udpPpsRatio: byMode.udp ? byMode.udp.pps / byMode.buffer.pps : null,
            gcUdp: byMode.udp ? byMode.udp.gc.count : null,
            gcPool: byMode.pool.gc.count,
            gcBuffer: byMode.buffer.gc.count,
            gcMsPool: byMode.pool.gc.ms,
            gcMsBuffer: byMode.buffer.gc.ms,
            p99Pool: byMode.pool.eventLoopDelay.p99Ms,
            p99Buffer: byMode.buffer.eventLoopDelay.p99Ms,
          }
        : null,
    poolInUseAtEnd: poolAtEnd ? poolAtEnd.inUse : null,
  };
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${formatResults(report)}\n`);

  const corrupted = results.some((r) => r.invalid > 0);
  const leaked = poolAtEnd !== null && poolAtEnd.inUse !== 0;
  const failed = results.some((r) => r.error);
  if (corrupted) process.stderr.write('udp-pktgen: corrupted frames were received\n');
  if (leaked) process.stderr.write(`udp-pktgen: ${poolAtEnd.inUse} packets still in use at the end\n`);
  return corrupted || leaked || failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`udp-pktgen: ${err.stack || err}\n`);
    process.exitCode = 1;
  },
);

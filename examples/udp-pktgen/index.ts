/**
 * udp-pktgen: a UDP packet generator and sink over loopback, built on packet-buffer-pool, that
 * compares sending from pool packets with allocating a Buffer per packet. `--help` for options.
 *
 * Threads: the sink always runs in a worker, so the sending thread (main, or N workers with
 * --workers) measures only sending. Counters live in a SharedArrayBuffer (counters.ts).
 *
 * Run: `npm run demo -- [options]` compiles the examples (tsconfig.examples.json) and runs the
 * compiled build-ts/examples/udp-pktgen/index.js.
 */
import { IOUserNetworkPacketBufferPool } from 'packet-buffer-pool';

import { createCounters, STOP } from './counters';
import { USAGE, UsageError, parseOptions, MAX_DURATION_S } from './options';
import type { PktgenOptions } from './options';
import { formatResults } from './report';
import { isMeasured } from './results';
import type { MeasuredMode, ModeResult, Report } from './results';
import { runMode } from './run-mode';
import { startSink } from './sink-thread';

const POOL_MEMORY_LIMIT = 256 << 20; // bytes of packet buffers at most

interface PoolPlan {
  packets: number;
  bufferSize: number;
  inflightPerSender: number;
  cacheSize: number;
}

/** Pool geometry for the run: enough packets for every sender's in-flight frames and cache. */
function poolPlan(options: PktgenOptions): PoolPlan {
  const senders = Math.max(1, options.workers);
  const bufferSize = Math.max(64, Math.ceil(options.size / 64) * 64);
  const packets = Math.max(256, Math.min(senders * 2048, Math.floor(POOL_MEMORY_LIMIT / bufferSize)));
  const inflightPerSender = Math.max(1, Math.min(options.inflight, Math.floor(packets / senders / 2)));
  // Per-thread caches hold at most a quarter of each sender's share, so one sender's cache can
  // never starve the others.
  const cacheSize = Math.min(256, Math.floor(packets / senders / 8) * 2);
  return { packets, bufferSize, inflightPerSender, cacheSize };
}

/** node:util.parseArgs' errors (an unknown option, a missing value) carry an ERR_PARSE_ARGS_* code. */
function isParseArgsError(err: unknown): err is Error {
  return err instanceof Error && String((err as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS');
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (err) {
    if (!(err instanceof UsageError) && !isParseArgsError(err)) throw err;
    process.stderr.write(`udp-pktgen: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const options = parsed;
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

  const results: ModeResult[] = [];
  for (const mode of options.modes) {
    if (counters[STOP] !== 0) break;
    const startUdpSink = () => startSink(0, counters, 'sink-udp.js');
    const { inflightPerSender } = plan;
    results.push(await runMode(mode, { options, pool, counters, sink, startUdpSink, inflightPerSender }));
  }
  await sink.stop();
  const poolAtEnd = pool ? pool.getStatistics() : null;
  if (pool) pool.release();

  const byMode: Partial<Record<MeasuredMode['mode'], MeasuredMode>> = Object.fromEntries(
    results.filter(isMeasured).map((r) => [r.mode, r]),
  );
  const report: Report = {
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

  const corrupted = results.some((r) => isMeasured(r) && r.invalid > 0);
  const leaked = poolAtEnd !== null && poolAtEnd.inUse !== 0;
  const failed = results.some((r) => !isMeasured(r));
  if (corrupted) process.stderr.write('udp-pktgen: corrupted frames were received\n');
  if (leaked) process.stderr.write(`udp-pktgen: ${poolAtEnd?.inUse} packets still in use at the end\n`);
  return corrupted || leaked || failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`udp-pktgen: ${(err instanceof Error && err.stack) || err}\n`);
    process.exitCode = 1;
  },
);

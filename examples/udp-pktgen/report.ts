/** What udp-pktgen prints: the live progress line (stderr) and the final table (stdout). */
import { RX_RECEIVED, rxIndex, totalSent } from './counters';
import type { Counters, Mode } from './counters';
import { isMeasured } from './results';
import type { MeasuredMode, Report } from './results';

function num(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function rate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} Mpps`;
  return `${(n / 1e3).toFixed(1)} kpps`;
}

interface ProgressOptions {
  mode: Mode;
  modeId: number;
  counters: Counters;
  /** The pool column's text. */
  poolInUse: () => string;
  quiet: boolean;
}

/**
 * Starts the progress line for a mode: every 500 ms in place when stderr is a terminal,
 * otherwise a line per second. `poolInUse()` returns a string for the pool column.
 */
export function startProgress({ mode, modeId, counters, poolInUse, quiet }: ProgressOptions): { stop(): void } {
  if (quiet) return { stop() {} };
  const tty = process.stderr.isTTY === true;
  const periodMs = tty ? 500 : 1000;
  const t0 = Date.now();
  let lastSent = 0;
  let lastTime = t0;
  const tick = (): void => {
    const now = Date.now();
    const sent = totalSent(counters, modeId);
    const received = counters[rxIndex(modeId, RX_RECEIVED)];
    const pps = ((sent - lastSent) * 1000) / Math.max(1, now - lastTime);
    lastSent = sent;
    lastTime = now;
    const line =
      `[${mode.padEnd(6)}] ${((now - t0) / 1000).toFixed(1).padStart(5)}s  ` +
      `tx ${num(sent).padStart(11)}  ${rate(pps).padStart(11)}  rx ${num(received).padStart(11)}  ` +
      `drops ${num(Math.max(0, sent - received)).padStart(9)}  pool in use ${poolInUse()}`;
    process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  const timer = setInterval(tick, periodMs);
  return {
    stop() {
      clearInterval(timer);
      // A last line with the final counts, unless the last periodic one already showed them.
      if (tty || totalSent(counters, modeId) !== lastSent) tick();
      if (tty) process.stderr.write('\n');
    },
  };
}

interface Column<Row> {
  title: string;
  value: (row: Row) => string | number;
}

function table<Row>(rows: Row[], columns: Column<Row>[]): string {
  const cells = [columns.map((c) => c.title), ...rows.map((r) => columns.map((c) => String(c.value(r))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells
    .map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '))
    .join('\n');
}

/** The final comparison, as text. */
export function formatResults(report: Report): string {
  const { config } = report;
  const who = config.workers === 0 ? '1 sender (main thread)' : `${config.workers} worker senders`;
  const lines = [
    '',
    `udp-pktgen: ${config.size}-byte payloads to ${config.dest}:${config.port}, ${who}, ` +
      `up to ${config.durationS} s${config.count !== null && Number.isFinite(config.count) ? ` or ${num(config.count)} packets` : ''} per mode` +
      `${config.rate ? `, rate cap ${num(config.rate)} pps` : ''}`,
    `pool: ${config.poolPackets} packets x ${config.bufferSize} bytes, in flight <= ${config.inflightPerSender} ` +
      `per sender, burst ${config.burst}, ${config.slotViews ? 'one view per slot' : 'send(buffer, offset, length)'}; ` +
      `node ${report.node}`,
    '',
  ];
  const ok = report.results.filter(isMeasured);
  lines.push(
    table<MeasuredMode>(ok, [
      { title: 'mode', value: (r) => r.mode },
      { title: 'sent', value: (r) => num(r.sent) },
      { title: 'received', value: (r) => num(r.received) },
      { title: 'drops', value: (r) => num(r.drops) },
      { title: 'tx pkts/s', value: (r) => num(r.pps) },
      { title: 'rx pkts/s', value: (r) => num(r.rxPps) },
      { title: 'tx Mbit/s', value: (r) => r.mbps.toFixed(0) },
      { title: 'CPU us/pkt', value: (r) => r.cpu.usPerPacket.toFixed(1) },
      { title: 'GCs', value: (r) => r.gc.count },
      { title: 'GC ms', value: (r) => r.gc.ms.toFixed(1) },
      { title: 'p99 loop delay ms', value: (r) => r.eventLoopDelay.p99Ms.toFixed(2) },
      { title: 'invalid', value: (r) => r.invalid },
    ]),
  );
  for (const r of report.results) if (!isMeasured(r)) lines.push(`${r.mode}: ${r.error}`);
  const c = report.comparison;
  if (c) {
    lines.push(
      '',
      `pool vs buffer: ${c.ppsRatio.toFixed(2)}x the packets/s, ${c.gcPool} vs ${c.gcBuffer} GCs ` +
        `(${c.gcMsPool.toFixed(1)} vs ${c.gcMsBuffer.toFixed(1)} ms), p99 loop delay ` +
        `${c.p99Pool.toFixed(2)} vs ${c.p99Buffer.toFixed(2)} ms`,
    );
    if (c.udpPpsRatio !== null) {
      lines.push(
        `udp interface vs buffer: ${c.udpPpsRatio.toFixed(2)}x the packets/s, ${c.gcUdp} vs ${c.gcBuffer} GCs`,
      );
    }
  }
  lines.push(
    'GCs, GC ms and loop delay are measured in the sending thread(s); the sink runs in its own thread',
    '(udp mode: its own sink, the UDP interface receiving with GRO into pool packets).',
    'CPU us/pkt: CPU time of the whole process (senders + sink) per packet sent.',
  );
  return lines.join('\n');
}

/**
 * `npm run bench`: runs every scenario (bench/scenarios) and prints a table, or with --json one
 * JSON object { node, cpu, clock, results: [{ name, nsPerOp, gcCount, ops }], skipped: [{ name,
 * reason }] } and nothing else on stdout (use `npm run -s bench -- --json`: npm itself prints a
 * banner on stdout otherwise). `skipped` lists the scenarios (matching --filter) that cannot run
 * here, e.g. wire.raw.* without root; their reasons are printed on stderr too. `npm run bench`
 * compiles bench/ (tsconfig.bench.json) into build-ts/bench/ and runs build-ts/bench/run.js.
 *
 * Each scenario runs in its own child process (run-scenario.ts), and the whole list runs
 * `rounds` times, scenario after scenario, so that a burst of load on a shared machine is spread
 * over every scenario instead of landing on one; nsPerOp is the median of all samples of all
 * rounds, gcCount and ops are their sums.
 *
 * wire.* results also carry `pps` (packets per second, from the median wall-clock sample) and
 * `cpuUsPerPacket` (median CPU time per packet of the process doing the work).
 *
 * Options: --json, --quick (short smoke run, no minimum operation counts), --filter <substring>,
 * --rounds <n>, --clock wall|cpu (what nsPerOp measures: wall-clock time, the default, or the
 * process's CPU time, which time spent descheduled on a loaded machine does not inflate).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { median } from './measure';
import { formatChecks, RATIOS, ZERO_GC, type BenchReport, type BenchResult } from './ratios';
import { ROOT, staleDistFiles } from './repo';
import type { MeasureConfig, Measurement } from './scenario';
import { loadScenarios, skippedScenarios } from './scenarios';

type Clock = 'wall' | 'cpu';

interface RunConfig extends MeasureConfig {
  rounds: number;
}

interface Args {
  json: boolean;
  quick: boolean;
  filter: string;
  rounds: number | undefined;
  clock: Clock;
}

/** Every sample of one scenario over all rounds. */
interface Collected {
  wall: number[];
  cpu: number[];
  gcCount: number;
  ops: number;
}

/** A result of this run: it always counts its operations. */
interface RunResult extends BenchResult {
  ops: number;
}

interface Report extends BenchReport {
  node: string;
  cpu: string;
  clock: Clock;
  results: RunResult[];
  skipped: { name: string; reason: string }[];
}

const FULL: RunConfig = { rounds: 3, warmMs: 300, samples: 15, sampleMs: 50, minOps: true };
const QUICK: RunConfig = { rounds: 1, warmMs: 20, samples: 3, sampleMs: 2, minOps: false };

function usage(message?: string): never {
  process.stderr.write(
    `${message ? `${message}\n` : ''}` +
      'usage: npm run bench -- [--json] [--quick] [--filter <substring>] [--rounds <n>] [--clock wall|cpu]\n',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const args: Args = { json: false, quick: false, filter: '', rounds: undefined, clock: 'wall' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = (): string | undefined => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--json') args.json = true;
    else if (flag === '--quick') args.quick = true;
    else if (flag === '--filter') args.filter = value() ?? usage('--filter needs a value');
    else if (flag === '--rounds') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) usage('--rounds needs a positive integer');
      args.rounds = n;
    } else if (flag === '--clock') {
      const clock = value();
      if (clock !== 'wall' && clock !== 'cpu') usage('--clock must be wall or cpu');
      args.clock = clock;
    } else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown option ${argv[i]}`);
  }
  return args;
}

// The bench measures dist/ (what `import 'packet-buffer-pool'` loads); stale output would measure old code.
function warnIfDistStale() {
  if (!fs.existsSync(path.join(ROOT, 'lib'))) return;
  const stale = staleDistFiles();
  if (stale.length === 0) return;
  process.stderr.write(`warning: dist/ is older than lib/${stale[0]}; run \`npm run build:ts\`\n`);
}

function runScenario(name: string, config: MeasureConfig): Measurement {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', path.join(__dirname, 'run-scenario.js'), name, JSON.stringify(config)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024 },
  );
  if (child.status !== 0) {
    throw new Error(`scenario ${name} failed (exit ${child.status}${child.signal ? `, ${child.signal}` : ''})`);
  }
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Measurement;
}

function cpuName(): string {
  const cpus = os.cpus();
  return `${cpus.length ? cpus[0].model.trim() : 'unknown'} x ${cpus.length}`;
}

function formatTable(report: Report, collected: Map<string, Collected>, clock: Clock): string[] {
  const base = report.results.find((r) => r.name === 'baseline.buffer-allocUnsafe');
  const other = clock === 'wall' ? 'cpu' : 'wall';
  const header = ['scenario', 'ns/op', `${clock} min..max`, `${other} ns/op`, 'ops', 'GCs', 'Buffer / this'];
  const rows = report.results.map((r) => {
    const c = collected.get(r.name)!;
    const sorted = [...c[clock]].sort((a, b) => a - b);
    return [
      r.name,
      r.nsPerOp.toFixed(2),
      `${sorted[0].toFixed(1)}..${sorted[sorted.length - 1].toFixed(1)}`,
      median(c[other]).toFixed(2),
      r.ops >= 1e6 ? `${(r.ops / 1e6).toFixed(1)}M` : String(r.ops),
      String(r.gcCount),
      base ? (base.nsPerOp / r.nsPerOp).toFixed(1) : '',
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const config: RunConfig = { ...(args.quick ? QUICK : FULL) };
  if (args.rounds !== undefined) config.rounds = args.rounds;
  const scenarios = loadScenarios().filter((s) => s.name.includes(args.filter));
  const skipped = skippedScenarios().filter((s) => s.name.includes(args.filter));
  if (scenarios.length === 0 && skipped.length === 0) {
    usage(`no scenario matches --filter ${JSON.stringify(args.filter)}`);
  }
  for (const [group, reason] of new Map(skipped.map((s) => [s.group, s.reason] as const))) {
    process.stderr.write(`${group}: skipped: ${reason}\n`);
  }
  warnIfDistStale();

  const progress = process.stderr.isTTY ? (text: string) => process.stderr.write(text) : () => {};
  const collected = new Map(
    scenarios.map((s): [string, Collected] => [s.name, { wall: [], cpu: [], gcCount: 0, ops: 0 }]),
  );
  for (let round = 1; round <= config.rounds; round++) {
    for (const s of scenarios) {
      progress(`\r\x1b[Kround ${round}/${config.rounds}: ${s.name}`);
      const r = runScenario(s.name, {
        warmMs: config.warmMs,
        samples: config.samples,
        sampleMs: config.sampleMs,
        minOps: config.minOps,
      });
      const c = collected.get(s.name)!;
      c.wall.push(...r.samples);
      c.cpu.push(...r.cpuSamples);
      c.gcCount += r.gcCount;
      c.ops += r.ops;
    }
  }
  progress('\r\x1b[K');

  const report: Report = {
    node: process.version,
    cpu: cpuName(),
    clock: args.clock,
    results: scenarios.map((s) => {
      const c = collected.get(s.name)!;
      const result: RunResult = { name: s.name, nsPerOp: median(c[args.clock]), gcCount: c.gcCount, ops: c.ops };
      // wire.* scenarios move packets: also packets per second (wall clock) and CPU per packet.
      if (s.name.startsWith('wire.')) {
        result.pps = Math.round(1e9 / median(c.wall));
        result.cpuUsPerPacket = Number((median(c.cpu) / 1000).toFixed(4));
      }
      return result;
    }),
    skipped: skipped.map(({ name, reason }) => ({ name, reason })),
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }

  const [load1] = os.loadavg();
  const out = [
    `node ${report.node}, ${report.cpu}, load ${load1.toFixed(2)}; ` +
      `${config.rounds} round(s) x ${config.samples} samples; ns/op = median ${args.clock} time` +
      (args.quick ? ' (quick: numbers are rough)' : ''),
    '',
    ...formatTable(report, collected, args.clock),
  ];
  // The targets when every scenario they name ran or was skipped for a reason (reported as SKIP).
  const needed = new Set([...RATIOS.flatMap((r) => [r.num, r.den]), ...ZERO_GC]);
  const skippedNames = new Set(skipped.map((s) => s.name));
  if ([...needed].every((name) => collected.has(name) || skippedNames.has(name))) {
    out.push('', 'targets (issues 3, 4, 10, 11, 15):', ...formatChecks([report]).lines);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main();

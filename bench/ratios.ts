/**
 * The targets of issues 3, 4, 10, 11 and 15, checked on the JSON of `npm run bench -- --json`.
 * As a CLI it reads one or more of those JSON objects from stdin (anything around them, such as
 * npm's "> packet-buffer-pool bench" banner, is skipped), prints every check for every run and,
 * for several runs, the median of each check; exits 1 if a check (its median) fails.
 *   for i in 1 2 3; do npm run -s bench -- --json; done | node build-ts/bench/ratios.js
 * A check whose scenario the report lists in `skipped` (wire.raw.* without root) is SKIP with
 * the reason, and does not fail; a scenario missing without a reason fails the check.
 */

/** One scenario's line of the bench report (run.ts writes it; these checks read it). */
export interface BenchResult {
  name: string;
  nsPerOp: number;
  gcCount: number;
  /** Absent in hand-written reports; a zero-GC check then does not ask for enough operations. */
  ops?: number;
  /** wire.* only: packets per second and CPU microseconds per packet. */
  pps?: number;
  cpuUsPerPacket?: number;
}

/** What the checks need of a report of `npm run bench -- --json`. */
export interface BenchReport {
  results: BenchResult[];
  skipped?: { name: string; reason: string }[];
}

type Op = '>=' | '<=' | '=';

/** A target: nsPerOp of `num` over nsPerOp of `den`, compared with `target` by `op`. */
export interface Ratio {
  num: string;
  den: string;
  op: Op;
  target: number;
}

/** The outcome of one target in one run. */
export interface Check {
  label: string;
  /** null when a scenario is missing. */
  value: number | null;
  op: Op;
  target: number;
  pass: boolean;
  /** The reason, when a missing scenario is in the report's `skipped`. */
  skipped?: string;
}

export const RATIOS: Ratio[] = [
  { num: 'baseline.buffer-allocUnsafe', den: 'pool.alloc-free', op: '>=', target: 25 },
  { num: 'pool.alloc-free', den: 'baseline.js-freelist', op: '<=', target: 3 },
  { num: 'pool.batch32.alloc-free', den: 'baseline.js-freelist', op: '<=', target: 3 },
  { num: 'pool.batch32.alloc-free', den: 'pool.nocache.alloc-free', op: '<=', target: 0.5 },
  // Workers: two workers give 1.5x the single-thread throughput (ns/op ratio), handoff <= 5x.
  { num: 'pool.alloc-free', den: 'pool.workers2.alloc-free', op: '>=', target: 1.5 },
  { num: 'pool.workers2.handoff', den: 'pool.alloc-free', op: '<=', target: 5 },
  // Packet queues: enqueue + dequeue cost at most 2x a JavaScript free list's push + pop per
  // packet, and two workers hand packets over a queue no slower than over the hand-rolled ring.
  { num: 'queue.spsc.batch32', den: 'baseline.js-freelist', op: '<=', target: 2 },
  { num: 'queue.workers2.handoff', den: 'pool.workers2.handoff', op: '<=', target: 1 },
  // Native call cost: two native calls per packet (cacheSize 0) cost at most 3x two no-op Node-API calls.
  { num: 'pool.nocache.alloc-free', den: 'baseline.napi-noop', op: '<=', target: 3 },
  // UDP: the UDP interface sends >= 5x node:dgram's packets/s and >= 0.9x the C sender's (same
  // technique) at 64 and 512 bytes, and receives >= 5x node:dgram's at 512 (ns/op ratios).
  ...[64, 512].flatMap((size): Ratio[] => [
    { num: `wire.udp.dgram-tx.${size}`, den: `wire.udp.pool-tx.${size}`, op: '>=', target: 5 },
    { num: `wire.udp.c-tx.${size}`, den: `wire.udp.pool-tx.${size}`, op: '>=', target: 0.9 },
  ]),
  { num: 'wire.udp.dgram-rx.512', den: 'wire.udp.pool-rx.512', op: '>=', target: 5 },
  // Raw Ethernet, 64-byte frames, ns/op ratios like the UDP ones (den's frames/s over
  // num's): wire.raw.pool-tx sends >= 0.9x the C reference's frames/s (same technique) and
  // >= 3x node:dgram's UDP packets/s; wire.raw.pool-rx receives >= 0.9x the C reference's.
  { num: 'wire.raw.c-tx', den: 'wire.raw.pool-tx', op: '>=', target: 0.9 },
  { num: 'wire.udp.dgram-tx.64', den: 'wire.raw.pool-tx', op: '>=', target: 3 },
  { num: 'wire.raw.c-rx', den: 'wire.raw.pool-rx', op: '>=', target: 0.9 },
];
export const ZERO_GC = [
  'pool.alloc-free',
  'pool.alloc-fill64-free',
  'wire.udp.pool-tx.512',
  'wire.udp.pool-rx.512',
  // Every pool raw scenario (issue 11); each covers >= 3.4M frames a round (70-wire-raw.ts).
  ...['tx', 'rx'].flatMap((dir) => ['', '.objects', '.indices'].map((path) => `wire.raw.pool-${dir}${path}`)),
];
const ZERO_GC_MIN_OPS = 10_000_000;

function passes(value: number | null, op: Op, target: number): boolean {
  if (value === null || !Number.isFinite(value)) return false;
  if (op === '>=') return value >= target;
  if (op === '<=') return value <= target;
  return value === target;
}

/**
 * The checks for one run: [{ label, value (null if a scenario is missing), op, target, pass,
 * skipped (the reason, when a missing scenario is in the report's `skipped`) }]. A skipped check
 * passes: it says nothing about the targets.
 */
export function computeChecks(report: BenchReport): Check[] {
  const byName = new Map(report.results.map((r) => [r.name, r]));
  const whySkipped = new Map((report.skipped ?? []).map((s) => [s.name, s.reason]));
  const skipReason = (names: string[]): string | undefined => {
    const missing = names.filter((name) => !byName.has(name));
    if (missing.length === 0 || !missing.every((name) => whySkipped.has(name))) return undefined;
    return whySkipped.get(missing[0]);
  };
  const checks = RATIOS.map(({ num, den, op, target }) => {
    const a = byName.get(num);
    const b = byName.get(den);
    const value = a && b ? a.nsPerOp / b.nsPerOp : null;
    const skipped = skipReason([num, den]);
    const pass = skipped !== undefined || passes(value, op, target);
    const check: Check = { label: `${num} / ${den}`, value, op, target, pass };
    return skipped === undefined ? check : { ...check, skipped };
  });
  for (const name of ZERO_GC) {
    const r = byName.get(name);
    const value = r ? r.gcCount : null;
    // A zero count only means something over enough operations; runs that report `ops` are held to it.
    const enough = !r || r.ops === undefined || r.ops >= ZERO_GC_MIN_OPS;
    const label = `gcCount ${name} (over >= ${ZERO_GC_MIN_OPS / 1e6}M ops)`;
    const skipped = skipReason([name]);
    const pass = skipped !== undefined || (enough && passes(value, '=', 0));
    const check: Check = { label, value, op: '=', target: 0, pass };
    checks.push(skipped === undefined ? check : { ...check, skipped });
  }
  return checks;
}

/** Every top-level JSON object in `text` that looks like a bench report. */
export function extractReports(text: string): BenchReport[] {
  const reports: BenchReport[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"' && depth > 0) {
      inString = true;
    } else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && depth > 0 && --depth === 0) {
      try {
        const obj: unknown = JSON.parse(text.slice(start, i + 1));
        if (isReport(obj)) reports.push(obj);
      } catch {
        // Not JSON after all (e.g. braces in a banner): skip it.
      }
    }
  }
  return reports;
}

function isReport(obj: unknown): obj is BenchReport {
  return typeof obj === 'object' && obj !== null && Array.isArray((obj as { results?: unknown }).results);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function format(value: number | null, skipped: string | undefined): string {
  if (value === null) return skipped === undefined ? 'missing' : 'skipped';
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** Lines of a table of the checks of each run, plus their medians when there are several runs. */
export function formatChecks(runs: BenchReport[]): { lines: string[]; allPass: boolean } {
  const perRun = runs.map(computeChecks);
  const multi = runs.length > 1;
  const runHeaders = runs.map((_, i) => `run ${i + 1}`);
  const header = ['check', ...runHeaders, ...(multi ? ['median'] : []), 'target', 'result'];
  const rows: string[][] = [];
  let allPass = true;
  perRun[0].forEach((first, k) => {
    const values = perRun.map((checks) => checks[k].value);
    // Runs that skipped the check (with a reason) leave it to the others; if all did, it is SKIP.
    const ran = perRun.filter((checks) => checks[k].skipped === undefined);
    const skipped = ran.length === 0 ? first.skipped : undefined;
    let shown: number | null;
    let pass: boolean;
    if (skipped !== undefined) {
      shown = null;
      pass = true;
    } else if (multi) {
      const present = ran.map((checks) => checks[k].value).filter((v) => v !== null);
      shown = present.length === ran.length ? median(present) : null;
      // Ratios: the median decides, as the issue states its targets on the median of the runs.
      // Zero GC: every run must pass (one run with collections is not zero-GC).
      pass = first.op === '=' ? ran.every((c) => c[k].pass) : passes(shown, first.op, first.target);
    } else {
      shown = values[0];
      pass = first.pass;
    }
    allPass &&= pass;
    const medianCell = multi ? [format(shown, skipped)] : [];
    const target = `${first.op} ${first.target}`;
    const result = skipped !== undefined ? `SKIP (${skipped})` : pass ? 'PASS' : 'FAIL';
    const cells = values.map((v, run) => format(v, perRun[run][k].skipped));
    rows.push([first.label, ...cells, ...medianCell, target, result]);
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return { lines: [line(header), ...rows.map(line)], allPass };
}

if (require.main === module) {
  let input = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => (input += chunk));
  process.stdin.on('end', () => {
    const runs = extractReports(input);
    if (runs.length === 0) {
      process.stderr.write(
        'ratios.js: no bench JSON on stdin (try `npm run -s bench -- --json | node build-ts/bench/ratios.js`)\n',
      );
      process.exit(2);
    }
    const { lines, allPass } = formatChecks(runs);
    process.stdout.write(`${lines.join('\n')}\n`);
    process.exitCode = allPass ? 0 : 1;
  });
}

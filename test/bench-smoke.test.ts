/**
 * Smoke test of the benchmark harness (bench/run.ts): a quick run in a child process must print
 * exactly one JSON report with every scenario the targets in bench/ratios.ts name. No timing is
 * asserted (the machine is shared); only the shape and sanity of the numbers. The bench measures
 * the compiled package (dist/), which jest's global setup rebuilds when lib/ is newer, and runs
 * compiled itself: this file first compiles bench/ the way `npm run bench` does, so a type error
 * in bench/ fails the test suite (and CI).
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'build-ts', 'bench');
const RUN = path.join(OUT, 'run.js');

beforeAll(() => {
  try {
    execFileSync('npm', ['run', '-s', 'build:bench'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const { stdout, stderr } = err as { stdout: string; stderr: string };
    throw new Error(`tsc -p tsconfig.bench.json failed:\n${stdout}${stderr}`);
  }
}, 120_000);

const NAMED_SCENARIOS = [
  'baseline.buffer-allocUnsafe',
  'baseline.js-freelist',
  'pool.alloc-free',
  'pool.alloc-fill64-free',
  'baseline.buffer-allocUnsafe-fill64',
  'pool.batch32.alloc-free',
  'pool.nocache.alloc-free',
  'baseline.napi-noop',
  'pool.create-mapping-1gib',
  ...[64, 512, 1400].flatMap((size) => ['dgram-tx', 'c-tx', 'dgram-rx'].map((kind) => `wire.udp.${kind}.${size}`)),
];

function bench(...args: string[]): string {
  return execFileSync(process.execPath, [RUN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

interface Result {
  name: string;
  nsPerOp: number;
  gcCount: number;
  ops: number;
  pps?: number;
  cpuUsPerPacket?: number;
}

describe('npm run bench -- --json --quick', () => {
  let stdout = '';
  let report: { node: string; cpu: string; results: Result[]; skipped: { name: string; reason: string }[] };

  beforeAll(() => {
    stdout = bench('--json', '--quick');
    report = JSON.parse(stdout);
  }, 120_000);

  it('prints one JSON object and nothing else on stdout', () => {
    // JSON.parse above would have thrown on anything around the object; check it is an object.
    expect(stdout.trim().startsWith('{')).toBe(true);
    expect(report).toEqual(
      expect.objectContaining({ node: process.version, cpu: expect.any(String), results: expect.any(Array) }),
    );
    expect(report.cpu.length).toBeGreaterThan(0);
    // Scenarios that cannot run here (wire.raw.* without root) are listed with the reason.
    expect(Array.isArray(report.skipped)).toBe(true);
    for (const s of report.skipped)
      expect(s).toEqual({ name: expect.stringMatching(/^wire\.raw\./), reason: expect.any(String) });
  });

  it('reports every named scenario once, with a positive finite nsPerOp and an integer gcCount', () => {
    const names = report.results.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(NAMED_SCENARIOS));
    for (const r of report.results) {
      expect(typeof r.nsPerOp).toBe('number');
      expect(Number.isFinite(r.nsPerOp) && r.nsPerOp > 0).toBe(true);
      expect(Number.isInteger(r.gcCount) && r.gcCount >= 0).toBe(true);
      expect(Number.isInteger(r.ops) && r.ops > 0).toBe(true);
    }
  });

  it('gives every wire.* scenario packets per second and CPU microseconds per packet', () => {
    const wire = report.results.filter((r) => r.name.startsWith('wire.'));
    expect(wire.length).toBeGreaterThanOrEqual(9);
    for (const r of wire) {
      expect(r.pps).toBe(Math.round(1e9 / r.nsPerOp));
      expect(r.cpuUsPerPacket! > 0 && Number.isFinite(r.cpuUsPerPacket)).toBe(true);
    }
  });

  it('feeds bench/ratios.ts, which prints every target check as PASS or FAIL', () => {
    let out = '';
    let status = 0;
    try {
      out = execFileSync(process.execPath, [path.join(OUT, 'ratios.js')], {
        input: stdout,
        encoding: 'utf8',
      });
    } catch (err) {
      // Quick numbers may well miss a target (exit 1); the table must still be there.
      ({ stdout: out, status } = err as { stdout: string; status: number });
    }
    expect([0, 1]).toContain(status);
    for (const label of [
      'baseline.buffer-allocUnsafe / pool.alloc-free',
      'pool.alloc-free / baseline.js-freelist',
      'pool.batch32.alloc-free / baseline.js-freelist',
      'pool.batch32.alloc-free / pool.nocache.alloc-free',
      'gcCount pool.alloc-free',
      'gcCount pool.alloc-fill64-free',
    ]) {
      expect(out).toMatch(new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*(PASS|FAIL)$`, 'm'));
    }
    // The raw Ethernet targets: measured as root, SKIP with the reason otherwise.
    const skipped = report.skipped.map((s) => s.name);
    for (const label of [
      'wire.raw.c-tx / wire.raw.pool-tx',
      'wire.udp.dgram-tx.64 / wire.raw.pool-tx',
      'wire.raw.c-rx / wire.raw.pool-rx',
    ]) {
      const result = skipped.includes('wire.raw.pool-tx') ? 'SKIP \\(needs root.*\\)' : '(PASS|FAIL)';
      expect(out).toMatch(new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*${result}$`, 'm'));
    }
  });
});

describe('bench options', () => {
  it('--filter runs only the matching scenarios', () => {
    const report = JSON.parse(bench('--json', '--quick', '--filter', 'pool.nocache'));
    expect(report.results.map((r: Result) => r.name)).toEqual(['pool.nocache.alloc-free']);
  }, 60_000);

  it('refuses an unknown option or a filter that matches nothing, with exit status 2', () => {
    for (const args of [['--bogus'], ['--quick', '--filter', 'no-such-scenario']]) {
      let status: number | null = null;
      try {
        bench(...args);
      } catch (err) {
        status = (err as { status: number | null }).status;
      }
      expect(status).toBe(2);
    }
  });
});

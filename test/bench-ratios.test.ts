/**
 * bench/ratios.ts on made-up reports (no bench run): the raw Ethernet targets are
 * computed like the UDP ones (ns/op ratios), reported SKIP with the reason when the report says
 * the wire.raw.* scenarios were skipped (not root), and FAIL when a scenario is missing without
 * a reason.
 */
import * as ratios from '../bench/ratios';
import type { BenchReport as Report, Check } from '../bench/ratios';

const RAW_LABELS = [
  'wire.raw.c-tx / wire.raw.pool-tx',
  'wire.udp.dgram-tx.64 / wire.raw.pool-tx',
  'wire.raw.c-rx / wire.raw.pool-rx',
];
const REASON = 'needs root (a network namespace, a veth pair, AF_XDP)';
const POOL_RAW = ['pool-tx', 'pool-tx.objects', 'pool-tx.indices', 'pool-rx', 'pool-rx.objects', 'pool-rx.indices'];
const RAW_NAMES = ['c-tx', 'c-rx', ...POOL_RAW].map((n) => `wire.raw.${n}`);

// frames/s -> a result (ns/op = 1e9 / frames per second).
const at = (name: string, pps: number): Report['results'][number] => ({
  name,
  nsPerOp: 1e9 / pps,
  gcCount: 0,
  ops: 1e6,
});

function rawChecks(report: Report): Check[] {
  return ratios.computeChecks(report).filter((c) => RAW_LABELS.includes(c.label));
}

test('the raw targets are frames/s ratios: pool-tx vs c-tx (0.9) and dgram-tx 64 (3), pool-rx vs c-rx (0.9)', () => {
  const report: Report = {
    results: [
      at('wire.udp.dgram-tx.64', 200_000),
      at('wire.raw.c-tx', 1_000_000),
      at('wire.raw.pool-tx', 950_000),
      at('wire.raw.c-rx', 800_000),
      at('wire.raw.pool-rx', 640_000),
    ],
  };
  const checks = rawChecks(report);
  expect(checks.map((c) => c.label)).toEqual(RAW_LABELS);
  const byLabel = Object.fromEntries(checks.map((c) => [c.label, c]));
  expect(byLabel[RAW_LABELS[0]]).toMatchObject({ op: '>=', target: 0.9, pass: true });
  expect(byLabel[RAW_LABELS[0]].value).toBeCloseTo(0.95);
  expect(byLabel[RAW_LABELS[1]]).toMatchObject({ op: '>=', target: 3, pass: true });
  expect(byLabel[RAW_LABELS[1]].value).toBeCloseTo(4.75);
  expect(byLabel[RAW_LABELS[2]]).toMatchObject({ op: '>=', target: 0.9, pass: false });
  expect(byLabel[RAW_LABELS[2]].value).toBeCloseTo(0.8);
  expect(checks.every((c) => c.skipped === undefined)).toBe(true);
});

test('skipped raw scenarios make the raw checks SKIP with the reason, not FAIL', () => {
  const report: Report = {
    results: [at('wire.udp.dgram-tx.64', 200_000)],
    skipped: RAW_NAMES.map((name) => ({ name, reason: REASON })),
  };
  const checks = rawChecks(report);
  expect(checks).toHaveLength(3);
  for (const c of checks) expect(c).toMatchObject({ value: null, pass: true, skipped: REASON });
  const { lines } = ratios.formatChecks([report]);
  for (const label of RAW_LABELS) {
    const line = lines.find((l) => l.startsWith(`${label} `));
    expect(line).toMatch(/ skipped .*SKIP \(needs root \(a network namespace, a veth pair, AF_XDP\)\)$/);
  }
});

test('a raw scenario missing without a reason fails its check', () => {
  const checks = rawChecks({ results: [at('wire.udp.dgram-tx.64', 200_000), at('wire.raw.c-tx', 1e6)] });
  for (const c of checks) expect(c).toMatchObject({ value: null, pass: false });
  expect(checks.some((c) => c.skipped !== undefined)).toBe(false);
});

test('over several runs, runs that skipped leave the median to the runs that measured', () => {
  const measured: Report = {
    results: [at('wire.udp.dgram-tx.64', 200_000), at('wire.raw.c-tx', 1e6), at('wire.raw.pool-tx', 9.5e5)],
  };
  const skipped: Report = {
    results: [at('wire.udp.dgram-tx.64', 200_000)],
    skipped: RAW_NAMES.map((name) => ({ name, reason: REASON })),
  };
  const { lines } = ratios.formatChecks([measured, skipped, measured]);
  expect(lines.find((l) => l.startsWith(`${RAW_LABELS[0]} `))).toMatch(/0\.95 +skipped +0\.95 +0\.95 +>= 0\.9 +PASS$/);
  const both = ratios.formatChecks([skipped, skipped]).lines;
  expect(both.find((l) => l.startsWith(`${RAW_LABELS[2]} `))).toMatch(/skipped +skipped +skipped +>= 0\.9 +SKIP \(/);
});

test('every pool raw scenario is held to zero GCs over 10M frames, and SKIPs when the raw ones were skipped', () => {
  const gcLabel = (name: string) => `gcCount wire.raw.${name} (over >= 10M ops)`;
  const gcChecks = (report: Report) =>
    ratios.computeChecks(report).filter((c) => c.label.startsWith('gcCount wire.raw.'));
  const clean = POOL_RAW.map((name) => ({ ...at(`wire.raw.${name}`, 1e6), ops: 10_200_000 }));
  expect(gcChecks({ results: clean }).map((c) => c.label)).toEqual(POOL_RAW.map(gcLabel));
  expect(gcChecks({ results: clean }).every((c) => c.pass)).toBe(true);
  // One collection, or too few frames to say, fails that scenario's check only.
  const dirty = clean.map((r, i) => (i === 1 ? { ...r, gcCount: 1 } : i === 4 ? { ...r, ops: 1e6 } : r));
  const failed = gcChecks({ results: dirty }).filter((c) => !c.pass);
  expect(failed.map((c) => c.label)).toEqual([gcLabel('pool-tx.objects'), gcLabel('pool-rx.objects')]);
  const skipped = gcChecks({ results: [], skipped: RAW_NAMES.map((name) => ({ name, reason: REASON })) });
  for (const c of skipped) expect(c).toMatchObject({ value: null, pass: true, skipped: REASON });
});

/**
 * The runnable examples, run the way `npm run tour` and `npm run demo` run them: compiled from
 * TypeScript into build-ts/examples/ (jest's global setup compiles them, test/setup/
 * compile-examples.js), then node build-ts/examples/pool-tour.js and .../udp-pktgen/index.js in
 * child processes, importing the package by name (dist/). Short runs (1 s per mode, small
 * counts); nothing here asserts on speed, only that packets flow, are accounted for, and every
 * pool packet comes back.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const BUILT = path.join(ROOT, 'build-ts', 'examples');
const TOUR = path.join(BUILT, 'pool-tour.js');
const PKTGEN = path.join(BUILT, 'udp-pktgen', 'index.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

interface ModeResult {
  mode: string;
  senders: number;
  sent: number;
  sendErrors: number;
  received: number;
  drops: number;
  invalid: number;
  bytesReceived: number;
  seconds: number;
  pps: number;
  gc: { count: number; ms: number };
  eventLoopDelay: { p50Ms: number; p99Ms: number; maxMs: number };
  cpu: { userMs: number; systemMs: number; usPerPacket: number };
  pool: { inUseAtEnd: number; allocations: number; deallocations: number } | null;
  error?: string;
}

interface Report {
  config: { size: number; count: number | null; durationS: number; workers: number; dest: string; port: number };
  results: ModeResult[];
  comparison: { ppsRatio: number; gcPool: number; gcBuffer: number } | null;
  poolInUseAtEnd: number | null;
}

function expectSaneMode(r: ModeResult, mode: string, size: number, count: number): void {
  expect(r.error).toBeUndefined();
  expect(r.mode).toBe(mode);
  expect(r.sent).toBeGreaterThan(0);
  expect(r.sent).toBeLessThanOrEqual(count);
  expect(r.received).toBeGreaterThan(0);
  expect(r.received).toBeLessThanOrEqual(r.sent);
  expect(r.drops).toBe(r.sent - r.received);
  // Every frame that arrived had its header and pattern intact, and was the right size.
  expect(r.invalid).toBe(0);
  expect(r.bytesReceived).toBe(r.received * size);
  expect(r.seconds).toBeGreaterThan(0);
  expect(r.pps).toBeCloseTo(r.sent / r.seconds, 6);
  expect(Number.isInteger(r.gc.count) && r.gc.count >= 0).toBe(true);
  expect(r.eventLoopDelay.p99Ms).toBeGreaterThanOrEqual(0);
  expect(r.eventLoopDelay.maxMs).toBeGreaterThanOrEqual(r.eventLoopDelay.p99Ms);
  expect(r.cpu.usPerPacket).toBeCloseTo(((r.cpu.userMs + r.cpu.systemMs) * 1000) / r.sent, 6);
}

jest.setTimeout(90_000);

describe('examples/pool-tour.ts (npm run tour)', () => {
  it('moves packets through an RX pool, refuses a double free, and ends with nothing in use', async () => {
    const { code, stdout, stderr } = await run(TOUR);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const received = /received (\d+) frames/.exec(stdout);
    expect(received).not.toBeNull();
    expect(Number(received![1])).toBeGreaterThan(0);
    expect(stdout).toMatch(/jumbo frame: 9000 bytes in 5 chained buffers/);
    expect(stdout).toMatch(/exhaustion: took all 1024 packets/);
    expect(stdout).toMatch(/double free refused: kIOReturnNotPermitted \(0xe00002e2\)/);
    expect(stdout).toMatch(/foreign object refused: kIOReturnBadArgument \(0xe00002c2\)/);
    const stat = (name: string): number => Number(new RegExp(`^\\s+${name}\\s+(\\d+)$`, 'm').exec(stdout)![1]);
    expect(stat('inUse')).toBe(0);
    expect(stat('allocations')).toBeGreaterThan(Number(received![1]));
    expect(stat('allocations')).toBe(stat('deallocations'));
    expect(stdout.trimEnd().endsWith('ok')).toBe(true);
  });
});

describe('examples/udp-pktgen (npm run demo)', () => {
  it('runs the three modes (pool, buffer, udp interface) from the main thread and reports them as JSON', async () => {
    const count = 3000;
    const { code, stdout, stderr } = await run(PKTGEN, [
      '--duration',
      '1',
      '--count',
      String(count),
      '--size',
      '200',
      '--json',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    expect(report.config).toMatchObject({ size: 200, count, durationS: 1, workers: 0, dest: '127.0.0.1' });
    expect(report.config.port).toBeGreaterThan(0);
    expect(report.results.map((r) => r.mode)).toEqual(['pool', 'buffer', 'udp']);
    for (const r of report.results) {
      expectSaneMode(r, r.mode, 200, count);
      expect(r.senders).toBe(1);
    }
    // Every pool packet sent went back to the pool in its send callback.
    const pool = report.results[0].pool!;
    expect(pool.inUseAtEnd).toBe(0);
    expect(pool.allocations).toBe(report.results[0].sent + report.results[0].sendErrors);
    expect(pool.deallocations).toBe(pool.allocations);
    expect(report.results[1].pool).toBeNull();
    expect(report.results[2].pool).toBeNull(); // the udp sender has its own pool, released at its end
    expect(report.poolInUseAtEnd).toBe(0);
    expect(report.comparison!.ppsRatio).toBeCloseTo(report.results[0].pps / report.results[1].pps, 6);
    expect(report.comparison!.gcPool).toBe(report.results[0].gc.count);
    // Progress goes to stderr (not a TTY here: whole lines), at least one per mode.
    expect(stderr).toMatch(/^\[pool {2}\] .*tx .*rx .*drops .*pool in use \d+\/\d+ \(high-water \d+\)$/m);
    expect(stderr).toMatch(/^\[buffer\] .*tx .*rx .*drops /m);
    expect(stderr).toMatch(/^\[udp {3}\] .*tx .*rx .*drops /m);
  });

  it('sends from worker threads, each attached to the pool, and gets every packet back', async () => {
    const count = 2000;
    const { code, stdout } = await run(PKTGEN, [
      '--workers',
      '2',
      '--duration',
      '1',
      '--count',
      String(count),
      '--json',
      '--quiet',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    expect(report.config.workers).toBe(2);
    for (const r of report.results) {
      expectSaneMode(r, r.mode, 512, count);
      expect(r.senders).toBe(2);
    }
    expect(report.results[0].pool!.inUseAtEnd).toBe(0);
    expect(report.poolInUseAtEnd).toBe(0);
  });

  it('--slot-views sends pool packets through one view per slot, with the same accounting', async () => {
    const count = 1000;
    const { code, stdout } = await run(PKTGEN, [
      '--mode',
      'pool',
      '--slot-views',
      '--duration',
      '1',
      '--count',
      String(count),
      '--json',
      '--quiet',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report & { config: { slotViews: boolean } };
    expect(report.config.slotViews).toBe(true);
    expect(report.results.map((r) => r.mode)).toEqual(['pool']);
    expectSaneMode(report.results[0], 'pool', 512, count);
    expect(report.results[0].pool!.inUseAtEnd).toBe(0);
    expect(report.comparison).toBeNull();
  });

  it('prints a table by default', async () => {
    const { code, stdout } = await run(PKTGEN, ['--mode', 'buffer', '--duration', '1', '--count', '500', '--quiet']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^mode\s+sent\s+received\s+drops\s+tx pkts\/s/m);
    expect(stdout).toMatch(/^buffer\s+500\s+\d/m);
    expect(stdout).not.toMatch(/^pool\s/m);
  });

  it('refuses any destination but 127.0.0.1, and other bad options, with status 2', async () => {
    const refused = await run(PKTGEN, ['--dest', '192.0.2.1', '--duration', '1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--dest "192\.0\.2\.1" refused: udp-pktgen only sends to 127\.0\.0\.1/);
    expect(refused.stdout).toBe('');
    for (const args of [
      ['--size', '8'],
      ['--workers', '-1'],
      ['--mode', 'zero-copy'],
      ['--duration', '0'],
      ['--bogus'],
    ]) {
      const bad = await run(PKTGEN, args);
      expect({ args, code: bad.code }).toEqual({ args, code: 2 });
      expect(bad.stderr).toMatch(/^udp-pktgen: /);
    }
  });

  it('--help describes every option and exits 0', async () => {
    const { code, stdout } = await run(PKTGEN, ['--help']);
    expect(code).toBe(0);
    for (const option of ['--size', '--count', '--duration', '--workers', '--port', '--json', '--help']) {
      expect(stdout).toContain(option);
    }
  });
});

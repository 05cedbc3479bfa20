/**
 * `npm run demo:raw` the way a user runs it (as root; CI is root), i.e. examples/raw/index.ts as
 * compiled into build-ts/examples/ (by jest's global setup here): frames flow through the pool
 * tools and the node:dgram tools, every pool packet is back after close, and the namespaces it
 * made are gone afterwards. Nothing here asserts on speed.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

jest.setTimeout(120_000);

const ROOT = path.join(__dirname, '..', '..', '..');

interface Side {
  frames: number;
  seconds: number;
  cpuUs: number;
  gcCount: number;
  free?: number;
  total?: number;
  info?: { backend: string };
}

test('demo:raw runs the generator and capture tools and cleans up after itself', () => {
  const out = execFileSync(
    process.execPath,
    [path.join(ROOT, 'build-ts', 'examples', 'raw', 'index.js'), '--seconds', '0.5', '--json'],
    {
      encoding: 'utf8',
      timeout: 90_000,
    },
  );
  const r = JSON.parse(out.trim().split('\n').pop()!) as {
    raw: { sent: Side; received: Side };
    dgram: { sent: Side; received: Side };
  };
  expect(r.raw.sent.info!.backend).toBe('af_xdp');
  expect(r.raw.sent.frames).toBeGreaterThan(1000);
  expect(r.raw.received.frames).toBeGreaterThan(0);
  expect(r.raw.received.frames).toBeLessThanOrEqual(r.raw.sent.frames);
  for (const side of [r.raw.sent, r.raw.received]) expect(side.free).toBe(side.total);
  expect(r.dgram.sent.frames).toBeGreaterThan(100);
  expect(r.dgram.received.frames).toBeGreaterThan(0);
  // Other test files make namespaces of their own at the same time: look for the demo's only.
  expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toMatch(/pbp-demo-/);
});

/**
 * Under memory pressure pool creation fails cleanly with kIOReturnNoMemory (no crash, nothing
 * left mapped or open), in child processes run with lowered limits:
 * - PoolFlagPersistentMemory (mlock) beyond RLIMIT_MEMLOCK. Root has CAP_IPC_LOCK, which ignores
 *   that limit, so the child drops the capability (setpriv, or capsh) and reports that it did;
 * - a mapping beyond RLIMIT_AS (virtual memory), low enough that the pool's mmap fails but node
 *   (about 0.7 GiB of reservations) still starts.
 * Controls show each limit is what made the difference.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { reportOf, runFixture } from './support/run-fixture';

interface Attempt {
  label: string;
  ok: boolean;
  code?: string;
  message?: string;
  lockedKiB?: number;
  used?: string;
}
interface Report {
  attempts: Attempt[];
  after: { poolMaps: number; poolFds: number };
  ipcLock: boolean;
  memlockLimit: string;
  addressSpaceLimit: string;
}

const MiB = 2 ** 20;
const PERSISTENT = 0x4;
const MEMLOCK_LIMIT = 8 * MiB;
const AS_LIMIT = 1536 * MiB;

// 16 buffers of 64 KiB per MiB.
const locked = (label: string, mib: number, shared = false): { label: string; options: object } => ({
  label,
  options: { packetCount: mib * 16, bufferCount: mib * 16, bufferSize: 65536, poolFlags: PERSISTENT, shared },
});
const plain = (label: string, buffers: number, shared = false): { label: string; options: object } => ({
  label,
  options: { packetCount: 1024, bufferCount: buffers, bufferSize: 65536, shared },
});

/** Runs the command under `ulimit -<flag> <kib>` (bash's ulimit sets soft and hard limits). */
function ulimit(flag: 'l' | 'v', bytes: number): string[] {
  return ['bash', '-c', `ulimit -${flag} ${bytes / 1024} && exec "$@"`, 'bash'];
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && fs.existsSync(path.join(dir, tool)));
}

function holdsIpcLock(): boolean {
  const line = fs
    .readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('CapEff:'));
  return ((BigInt(`0x${line!.slice(7).trim()}`) >> 14n) & 1n) === 1n;
}

/** A wrapper that runs the child without CAP_IPC_LOCK (needed only when we hold it). */
function withoutIpcLock(): string[] {
  if (onPath('setpriv')) return ['setpriv', '--inh-caps=-ipc_lock', '--bounding-set=-ipc_lock'];
  if (onPath('capsh')) return ['capsh', '--drop=cap_ipc_lock', '--', '-c', 'exec "$0" "$@"'];
  if (!holdsIpcLock()) return [];
  throw new Error('running with CAP_IPC_LOCK and neither setpriv (util-linux) nor capsh (libcap2-bin) can drop it');
}

function run(attempts: object[], wrapper: string[]): Report {
  return reportOf<Report>(
    runFixture('create-pools.js', { args: [JSON.stringify(attempts)], wrapper, timeoutMs: 60_000 }),
  );
}

function byLabel(report: Report): Record<string, Attempt> {
  return Object.fromEntries(report.attempts.map((a) => [a.label, a]));
}

describe('memory pressure', () => {
  describe('a locked pool beyond RLIMIT_MEMLOCK (8 MiB, CAP_IPC_LOCK dropped)', () => {
    let report: Report;
    beforeAll(() => {
      report = run(
        [
          locked('64 MiB locked', 64),
          locked('64 MiB locked, shared', 64, true),
          locked('1 MiB locked', 1),
          plain('64 MiB unlocked', 1024),
        ],
        [...ulimit('l', MEMLOCK_LIMIT), ...withoutIpcLock()],
      );
    }, 60_000);

    it('ran with the limit in force and without CAP_IPC_LOCK', () => {
      expect(report.memlockLimit).toBe(String(MEMLOCK_LIMIT));
      expect(report.ipcLock).toBe(false);
    });

    it('fails with kIOReturnNoMemory, private or shared, leaving nothing mapped or open', () => {
      const a = byLabel(report);
      for (const label of ['64 MiB locked', '64 MiB locked, shared']) {
        expect(a[label]).toMatchObject({
          ok: false,
          code: 'kIOReturnNoMemory',
          message: expect.stringContaining('mlock'),
        });
      }
      expect(report.after).toMatchObject({ poolMaps: 0, poolFds: 0 });
    });

    it('still locks a pool within the limit, and maps a large one without the flag', () => {
      const a = byLabel(report);
      expect(a['1 MiB locked']).toMatchObject({ ok: true, used: 'returned' });
      expect(a['1 MiB locked'].lockedKiB).toBeGreaterThanOrEqual(1024);
      expect(a['64 MiB unlocked']).toMatchObject({ ok: true, used: 'returned' });
    });
  });

  it('the limit binds only without CAP_IPC_LOCK: keeping it, the same pool locks fine', () => {
    const report = run([locked('64 MiB locked', 64)], ulimit('l', MEMLOCK_LIMIT));
    const hasCap = holdsIpcLock();
    expect(report.ipcLock).toBe(hasCap);
    expect(byLabel(report)['64 MiB locked'].ok).toBe(hasCap);
  }, 60_000);

  // Three 6 MiB locked pools one after another, each released before the next, under an 8 MiB
  // limit: a released pool must give its locked memory back.
  it('a released locked pool gives its locked memory back', () => {
    const report = run(
      [locked('first', 6), locked('second', 6), locked('third', 6)],
      [...ulimit('l', MEMLOCK_LIMIT), ...withoutIpcLock()],
    );
    expect(report.attempts.map((a) => a.code ?? 'ok')).toEqual(['ok', 'ok', 'ok']);
  }, 60_000);

  // 100 M entries (400 MB) fit under the limit next to node (864-930 MB of address space here,
  // depending on its threads); a second copy of them does not. 150 M left only 6-72 MB to spare
  // and failed now and then in the array's own allocation.
  it('a batch free with a huge count is refused like any other under RLIMIT_AS (no heap copy of it)', () => {
    const entries = 100_000_000;
    const report = reportOf<{ freed: string; message: string; after: string }>(
      runFixture('huge-batch.js', { args: [String(entries)], wrapper: ulimit('v', AS_LIMIT), timeoutMs: 60_000 }),
    );
    expect(report).toMatchObject({ freed: 'kIOReturnNotPermitted', after: 'returned' });
    expect(report.message).toMatch(/^packets\[0\]: packet 0 is not allocated/);
  }, 60_000);

  describe('a pool whose mmap fails (RLIMIT_AS 1.5 GiB, pool 2.3 GiB)', () => {
    const attempts = [plain('2.3 GiB', 38000), plain('2.3 GiB, shared', 38000, true), plain('64 MiB', 1024)];
    let report: Report;
    beforeAll(() => {
      report = run(attempts, ulimit('v', AS_LIMIT));
    }, 60_000);

    it('ran with the limit in force', () => {
      expect(report.addressSpaceLimit).toBe(String(AS_LIMIT));
    });

    it('fails with kIOReturnNoMemory, private or shared, leaving nothing mapped or open', () => {
      const a = byLabel(report);
      for (const label of ['2.3 GiB', '2.3 GiB, shared']) {
        expect(a[label]).toMatchObject({
          ok: false,
          code: 'kIOReturnNoMemory',
          message: expect.stringContaining('mmap'),
        });
      }
      expect(report.after).toMatchObject({ poolMaps: 0, poolFds: 0 });
    });

    it('still creates a pool that fits', () => {
      expect(byLabel(report)['64 MiB']).toMatchObject({ ok: true, used: 'returned' });
    });

    it('creates the same pools without the limit (so the limit made them fail)', () => {
      const unlimited = run(attempts, []);
      expect(unlimited.attempts.map((a) => a.code ?? 'ok')).toEqual(['ok', 'ok', 'ok']);
    }, 60_000);
  });
});

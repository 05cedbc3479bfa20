/**
 * A 256 MiB pool, fully touched, with every packet held, dropped without release(): forced GC
 * unmaps it (gone from /proc/self/maps) and RSS falls back.
 */
import { reportOf, runFixture } from '../support/run-fixture';

interface Report {
  length: number;
  held: number;
  mappedBefore: boolean;
  gcRounds: number;
  mappedAfter: boolean;
  rssStart: number;
  rssTouched: number;
  rssAfter: number;
}

const MiB = 2 ** 20;

describe('a pool dropped without release()', () => {
  let report: Report;

  beforeAll(() => {
    report = reportOf<Report>(runFixture('drop-without-release.js'));
  }, 60_000);

  it('was mapped and resident before GC', () => {
    expect(report.length).toBeGreaterThanOrEqual(256 * MiB);
    expect(report.held).toBe(4096);
    expect(report.mappedBefore).toBe(true);
    expect(report.rssTouched - report.rssStart).toBeGreaterThan(200 * MiB);
  });

  it('is unmapped by GC', () => {
    expect(report.mappedAfter).toBe(false);
    expect(report.gcRounds).toBeLessThanOrEqual(10);
  });

  it('gives the memory back', () => {
    expect(report.rssTouched - report.rssAfter).toBeGreaterThan(200 * MiB);
  });
});

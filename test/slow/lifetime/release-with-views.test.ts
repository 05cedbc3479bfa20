/**
 * release() with packets, Buffer views and a pending allocatePacketAsync still held (in a child
 * process, so a segfault fails the test): views read as empty, every call throws
 * kIOReturnNotAttached, the waiter is aborted, and GC unmaps the region while views still exist.
 */
import { reportOf, runFixture } from '../support/run-fixture';

interface Report {
  mappedBefore: boolean;
  lengthsBefore: number[];
  lengthsAfter: number[];
  staleRead: string;
  staleFill: string;
  staleCopy: string;
  codes: Record<string, string>;
  releaseAgain: string;
  asyncOutcome: string;
  unmappedAfterGc: boolean;
  lengthsAfterGc: number[];
}

describe('release() while packets and views are held', () => {
  let report: Report;

  beforeAll(() => {
    report = reportOf<Report>(runFixture('release-with-views.js'));
  }, 60_000);

  it('detaches every view: they read as empty, Buffer methods throw, nothing crashes', () => {
    expect(report.mappedBefore).toBe(true);
    expect(report.lengthsBefore.every((n) => n > 0)).toBe(true);
    expect(report.lengthsAfter).toEqual(report.lengthsBefore.map(() => 0));
    expect(report.staleRead).toBe('undefined');
    expect(report.staleFill).toMatch(/^TypeError: .*detached/);
    expect(report.staleCopy).toBe('returned');
  });

  it('makes every pool and packet call throw kIOReturnNotAttached', () => {
    const calls = Object.keys(report.codes);
    expect(calls.length).toBeGreaterThan(20);
    expect(report.codes).toEqual(Object.fromEntries(calls.map((c) => [c, 'kIOReturnNotAttached'])));
    expect(report.releaseAgain).toBe('returned');
  });

  it('aborts a pending allocatePacketAsync', () => {
    expect(report.asyncOutcome).toBe('kIOReturnAborted');
  });

  it('unmaps the region at GC even though views are still referenced', () => {
    expect(report.unmappedAfterGc).toBe(true);
    expect(report.lengthsAfterGc).toEqual(report.lengthsBefore.map(() => 0));
  });
});

/**
 * CopyMemoryDescriptor outliving the pool: its mappings stay valid (readable and writable) after
 * pool.release() and through GC, until the descriptor is released; then they read as empty and
 * GC unmaps the region. A descriptor dropped without release() lets the region go at GC.
 */
import { reportOf, runFixture } from '../support/run-fixture';

interface Report {
  released: {
    length: number;
    afterPool: {
      packetGetBuffer: string;
      mapLength: number;
      mapText: string;
      lateText: string;
      descriptorLength: number;
    };
    survivedRounds: number;
    afterGc: { mapped: boolean; mapText: string };
    afterDescriptor: {
      mapLength: number;
      lateLength: number;
      getLength: string;
      createMapping: string;
      releaseAgain: string;
    };
    unmapped: boolean;
  };
  dropped: { mappedBefore: boolean; unmapped: boolean };
}

describe('a memory descriptor outliving its pool', () => {
  let report: Report;

  beforeAll(() => {
    report = reportOf<Report>(runFixture('descriptor-outlives-release.js'));
  }, 60_000);

  it('keeps the memory readable and writable after pool.release()', () => {
    const r = report.released;
    expect(r.afterPool).toEqual({
      packetGetBuffer: 'kIOReturnNotAttached',
      mapLength: 2048,
      mapText: 'still here',
      lateText: 'rewritten!',
      descriptorLength: r.length,
    });
  });

  it('keeps it mapped through GC while the descriptor is held', () => {
    expect(report.released.survivedRounds).toBe(5); // never unmapped in 4 rounds
    expect(report.released.afterGc).toEqual({ mapped: true, mapText: 'rewritten!' });
  });

  it('lets it go when the descriptor is released', () => {
    expect(report.released.afterDescriptor).toEqual({
      mapLength: 0,
      lateLength: 0,
      getLength: 'kIOReturnNotAttached',
      createMapping: 'kIOReturnNotAttached',
      releaseAgain: 'returned',
    });
    expect(report.released.unmapped).toBe(true);
  });

  it('lets it go at GC when the descriptor is dropped without release()', () => {
    expect(report.dropped).toMatchObject({ mappedBefore: true, unmapped: true });
  });
});

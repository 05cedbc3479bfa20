/**
 * A peer that overwrites one word of the shared ring state, or dies between
 * reserving ring slots and completing the reservation (the same state: a head moved past a tail
 * that never follows). Before, the next ring operation read or wrote outside the ring or spun
 * forever, and release(), worker.terminate() and process exit hung with it. Each scenario runs in
 * a child process (fixtures/ring-scribble.js) with a worker churning the same pool: every call
 * answers normally or kIOReturnIOError, terminate and release return, the child exits 0.
 */
import { reportOf, runFixture } from './support/run-fixture';

interface Scenario {
  word: string;
  delta?: number;
  value?: number;
  outcomes: Record<string, string>;
  workerError: string | null;
  ms: number;
}

const ALLOWED = new Set(['returned', 'kIOReturnIOError']);

function run(scenarios: object[]): Scenario[] {
  return reportOf<Scenario[]>(
    runFixture('ring-scribble.js', { args: [JSON.stringify(scenarios)], timeoutMs: 120_000 }),
  );
}

describe.each([
  ['a producer that died mid-operation (prod.head one ahead)', { word: 'prodHead', delta: 1 }],
  ['a consumer that died mid-operation (cons.head one ahead)', { word: 'consHead', delta: 1 }],
  ['prod.tail past prod.head', { word: 'prodTail', delta: 1000 }],
  ['prod.head far behind', { word: 'prodHead', value: 0xffff0000 }],
  ['cons.tail far ahead', { word: 'consTail', delta: 100000 }],
  ['cons.head wrapped', { word: 'consHead', value: 0xffffffff }],
])('%s', (_, scenario) => {
  let result: Scenario;
  beforeAll(() => {
    [result] = run([scenario]);
  }, 130_000);

  it('every call answers normally or kIOReturnIOError, and the pool says it is broken', () => {
    for (const [call, outcome] of Object.entries(result.outcomes)) {
      if (call === 'allocatePacketAsync') continue;
      expect({ call, outcome, allowed: ALLOWED.has(outcome) }).toEqual({ call, outcome, allowed: true });
    }
    expect(Object.values(result.outcomes)).toContain('kIOReturnIOError');
  });

  it('an async allocation is rejected with kIOReturnIOError instead of waiting forever', () => {
    expect(result.outcomes.allocatePacketAsync).toBe('kIOReturnIOError');
  });

  it('release() works and the worker was terminated (the child exited on its own)', () => {
    expect(result.outcomes.release).toBe('returned');
  });
});

/**
 * Argument generators for the model-based tests. Numbers are described relative to the limit the
 * pool's state allows at the time of the call (a generator cannot know it in advance), so
 * boundary values (limit, limit + 1) come up often; wrong types come from a fixed list.
 */
import fc from 'fast-check';

/** A value that is never a valid integer argument, whatever the limit. */
export const WRONG_VALUES: readonly unknown[] = [
  NaN,
  -1,
  -0.5,
  1.5,
  Infinity,
  -Infinity,
  2 ** 32,
  2 ** 53,
  Number.MAX_VALUE,
  '1',
  '',
  1n,
  2n ** 70n,
  Symbol('not a number'),
  {},
  [],
  [1],
  null,
  undefined,
  true,
  // An object whose conversion to a number throws: a setter must reject it by type, not by
  // coercing it.
  {
    valueOf(): number {
      throw new Error('valueOf must not be called');
    },
  },
];

/** A numeric argument, resolved against the limit when the command runs. */
export type NumArg =
  | { kind: 'inRange'; ratio: number }
  | { kind: 'edge'; delta: number }
  | { kind: 'int'; value: number }
  | { kind: 'wrong'; value: unknown };

export function numArg(): fc.Arbitrary<NumArg> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .double({ min: 0, max: 1, maxExcluded: true, noNaN: true })
        .map((ratio) => ({ kind: 'inRange' as const, ratio })),
    },
    { weight: 3, arbitrary: fc.integer({ min: -2, max: 2 }).map((delta) => ({ kind: 'edge' as const, delta })) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 33 }).map((value) => ({ kind: 'int' as const, value })),
    },
    { weight: 2, arbitrary: fc.constantFrom(...WRONG_VALUES).map((value) => ({ kind: 'wrong' as const, value })) },
  );
}

/** The concrete value of `arg` when the largest valid value is `limit` (may be negative). */
export function resolve(arg: NumArg, limit: number): unknown {
  switch (arg.kind) {
    case 'inRange':
      return limit < 0 ? 0 : Math.floor(arg.ratio * (limit + 1));
    case 'edge':
      return limit + arg.delta;
    case 'int':
    case 'wrong':
      return arg.value;
  }
}

/** An integer 0..max of type number (-0 included: it is 0). */
export function isUint(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

/** Prints a value for a counterexample without throwing on symbols or hostile objects. */
export function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'string') return JSON.stringify(value);
  if (Object.is(value, -0)) return '-0';
  if (value !== null && typeof value === 'object') {
    if (Array.isArray(value)) return `[${value.map(show).join(',')}]`;
    return Object.prototype.hasOwnProperty.call(value, 'valueOf') ? '{valueOf throws}' : '{}';
  }
  return String(value);
}

export function showArg(arg: NumArg): string {
  switch (arg.kind) {
    case 'inRange':
      return `inRange(${arg.ratio.toFixed(3)})`;
    case 'edge':
      return `limit${arg.delta >= 0 ? '+' : ''}${arg.delta}`;
    default:
      return show(arg.value);
  }
}

/**
 * Runs one call and checks its outcome against what the model expects: a value, or an
 * IOReturnError with one exact code. Anything else (another error class, a TypeError from a
 * coercion, a missing throw) fails with the call named.
 */
import { IOReturnError, ioReturnName } from '../../lib';

/** `null` = the call must succeed; a number = it must throw IOReturnError with that code. */
export type Expected = number | null;

export function expectOutcome<T>(what: string, expected: Expected, call: () => T): T | undefined {
  let result: T;
  try {
    result = call();
  } catch (err) {
    if (expected === null) throw new Error(`${what}: expected success, threw ${describeError(err)}`);
    if (!(err instanceof IOReturnError)) {
      throw new Error(`${what}: expected IOReturnError ${ioReturnName(expected)}, threw ${describeError(err)}`);
    }
    if (err.ioReturn !== expected) {
      throw new Error(`${what}: expected ${ioReturnName(expected)}, got ${err.code}: ${err.message}`);
    }
    return undefined;
  }
  if (expected !== null) throw new Error(`${what}: expected ${ioReturnName(expected)}, but it returned`);
  return result;
}

function describeError(err: unknown): string {
  if (err instanceof IOReturnError) return `IOReturnError ${err.code}: ${err.message}`;
  if (err instanceof Error) return `${err.constructor.name}: ${err.message}`;
  return String(err);
}

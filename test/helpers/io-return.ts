/**
 * Assertion helper for the one error type the package throws: checks the class, the string code
 * (Node's convention), the numeric `ioReturn` and (optionally) that the message names the offending value, and hands the error back for
 * further checks.
 */
import { IOReturnError, ioReturnName } from '../../lib';

export function expectIOReturn(fn: () => unknown, code: number, mention?: string | RegExp): IOReturnError {
  let threw = false;
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    threw = true;
    thrown = err;
  }
  if (!threw) throw new Error(`expected an IOReturnError ${ioReturnName(code)}, but nothing was thrown`);
  expect(thrown).toBeInstanceOf(IOReturnError);
  const err = thrown as IOReturnError;
  // The string code first: a mismatch then reads 'kIOReturnOverrun' vs 'kIOReturnBadArgument',
  // not two large numbers.
  expect(err.code).toBe(ioReturnName(code));
  expect(err.ioReturn).toBe(code);
  if (mention !== undefined) expect(err.message).toMatch(mention);
  return err;
}

/**
 * IOReturn codes with IOKit's real values, and the one error type every API of this package
 * throws.
 */

import * as codes from './io-return-codes';
import type { IOReturnCode } from './io-return-codes';

// The kIOReturn* constants and the IOReturnCode type are generated from native/core/layout.json,
// the table the C++ core's enum class IOReturn comes from.
export * from './io-return-codes';

const codeNames: ReadonlyMap<number, string> = new Map(
  Object.entries(codes).map(([name, value]) => [value as number, name]),
);

/** The symbolic name of an IOReturn code, e.g. `'kIOReturnBadArgument'`. */
export function ioReturnName(code: number): string {
  return codeNames.get(code) ?? `0x${(code >>> 0).toString(16)}`;
}

/**
 * An IOReturn failure, in Node's error convention: `code` is a string naming the failure
 * (`'kIOReturnNotPermitted'`), as `err.code === 'ENOENT'` is for system errors, and `ioReturn`
 * is IOKit's numeric value (0xE00002E2). The message says what was wrong and with which value.
 *
 * In 0.1.0 `code` was the number; compare `err.ioReturn` with the exported `kIOReturn*`
 * constants, or `err.code` with their names (see CHANGELOG.md).
 */
export class IOReturnError extends Error {
  /** The IOReturn's name, e.g. 'kIOReturnBadArgument' (Node's convention: a string code). */
  readonly code: IOReturnCode;
  /** The numeric kIOReturn value, e.g. 0xE00002C2 (`kIOReturnBadArgument`). */
  readonly ioReturn: number;
  /** Same as `code`. @deprecated Use `code`. */
  readonly codeName: string;

  /** `ioReturn` is the numeric kIOReturn value; the string `code` is derived from it. */
  constructor(ioReturn: number, message: string) {
    const name = ioReturnName(ioReturn);
    super(`${message} (${name})`);
    this.name = 'IOReturnError';
    // An unknown value keeps its hex spelling as the code, so a code is never missing.
    this.code = name as IOReturnCode;
    this.ioReturn = ioReturn;
    this.codeName = name;
  }
}

/** Throws an IOReturnError; typed `never` so callers can `return fail(...)`. */
export function fail(code: number, message: string): never {
  throw new IOReturnError(code, message);
}

/** Describes a value for an error message without throwing on exotic inputs. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `array(${value.length})`;
  const name = (value as object).constructor?.name;
  if (name === 'Object') return 'a plain object';
  return name ? `an instance of ${name}` : 'an object';
}

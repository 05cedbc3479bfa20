/**
 * IOReturn codes with IOKit's real values, and the one error type every API of this package
 * throws.
 */

/** Operation succeeded. */
export const kIOReturnSuccess = 0;
/** General error. */
export const kIOReturnError = 0xe00002bc;
/** Could not allocate or map memory. */
export const kIOReturnNoMemory = 0xe00002bd;
/** Resource shortage (for example, all thread slots in use). */
export const kIOReturnNoResources = 0xe00002be;
/** No such device (a raw interface's network interface does not exist). */
export const kIOReturnNoDevice = 0xe00002c0;
/** The caller lacks a privilege (a raw interface without CAP_NET_RAW / CAP_NET_ADMIN / CAP_BPF). */
export const kIOReturnNotPrivileged = 0xe00002c1;
/** Invalid argument: wrong type, not an integer, out of its type's range. */
export const kIOReturnBadArgument = 0xe00002c2;
/** Someone else holds it exclusively (a network queue already bound, another XDP program attached). */
export const kIOReturnExclusiveAccess = 0xe00002c5;
/** Unsupported function or option. */
export const kIOReturnUnsupported = 0xe00002c7;
/** No space left (a packet queue is full). */
export const kIOReturnNoSpace = 0xe00002c4;
/** A system call failed for a reason the message names (errno), or shared state was found impossible (a scribbled queue). */
export const kIOReturnIOError = 0xe00002ca;
/** Object not initialised yet. */
export const kIOReturnNotReady = 0xe00002d8;
/** The pool (or descriptor) has been released. */
export const kIOReturnNotAttached = 0xe00002d9;
/** Too large: the interface's MTU does not fit the pool's frames. */
export const kIOReturnMessageTooLarge = 0xe00002e1;
/** Not permitted: the packet is not allocated (double free) or not held by the caller. */
export const kIOReturnNotPermitted = 0xe00002e2;
/** A value would run past the end of a buffer. */
export const kIOReturnOverrun = 0xe00002e8;
/** Operation aborted (an AbortSignal fired, or the pool was released while waiting). */
export const kIOReturnAborted = 0xe00002eb;
/** Nothing found (no VLAN tag on the packet, no such thread to reclaim). */
export const kIOReturnNotFound = 0xe00002f0;
/** The network or host is unreachable (ENETUNREACH, EHOSTUNREACH). */
export const kIOReturnOffline = 0xe00002d7;
/** The peer refused (ECONNREFUSED: nothing listens on the port). */
export const kIOReturnNotResponding = 0xe00002ed;

const codeNames: ReadonlyMap<number, string> = new Map([
  [kIOReturnSuccess, 'kIOReturnSuccess'],
  [kIOReturnError, 'kIOReturnError'],
  [kIOReturnNoMemory, 'kIOReturnNoMemory'],
  [kIOReturnNoResources, 'kIOReturnNoResources'],
  [kIOReturnNoDevice, 'kIOReturnNoDevice'],
  [kIOReturnNotPrivileged, 'kIOReturnNotPrivileged'],
  [kIOReturnBadArgument, 'kIOReturnBadArgument'],
  [kIOReturnNoSpace, 'kIOReturnNoSpace'],
  [kIOReturnExclusiveAccess, 'kIOReturnExclusiveAccess'],
  [kIOReturnUnsupported, 'kIOReturnUnsupported'],
  [kIOReturnIOError, 'kIOReturnIOError'],
  [kIOReturnNotReady, 'kIOReturnNotReady'],
  [kIOReturnNotAttached, 'kIOReturnNotAttached'],
  [kIOReturnMessageTooLarge, 'kIOReturnMessageTooLarge'],
  [kIOReturnNotPermitted, 'kIOReturnNotPermitted'],
  [kIOReturnOverrun, 'kIOReturnOverrun'],
  [kIOReturnAborted, 'kIOReturnAborted'],
  [kIOReturnNotFound, 'kIOReturnNotFound'],
  [kIOReturnOffline, 'kIOReturnOffline'],
  [kIOReturnNotResponding, 'kIOReturnNotResponding'],
]);

/** The symbolic name of an IOReturn code, e.g. `'kIOReturnBadArgument'`. */
export function ioReturnName(code: number): string {
  return codeNames.get(code) ?? `0x${(code >>> 0).toString(16)}`;
}

/** The names `IOReturnError.code` takes: one per kIOReturn constant this package exports. */
export type IOReturnCode =
  | 'kIOReturnSuccess'
  | 'kIOReturnError'
  | 'kIOReturnNoMemory'
  | 'kIOReturnNoResources'
  | 'kIOReturnBadArgument'
  | 'kIOReturnNoSpace'
  | 'kIOReturnExclusiveAccess'
  | 'kIOReturnUnsupported'
  | 'kIOReturnIOError'
  | 'kIOReturnNotReady'
  | 'kIOReturnNotAttached'
  | 'kIOReturnNotPermitted'
  | 'kIOReturnOverrun'
  | 'kIOReturnAborted'
  | 'kIOReturnNotFound'
  | 'kIOReturnNoDevice'
  | 'kIOReturnNotPrivileged'
  | 'kIOReturnMessageTooLarge'
  | 'kIOReturnOffline'
  | 'kIOReturnNotResponding';

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

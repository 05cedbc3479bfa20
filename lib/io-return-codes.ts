// GENERATED from native/core/layout.json by scripts/generate-layout.js. Do not edit: edit the table and
// run `npm run generate:layout`.

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
/** No space left (a packet queue is full). */
export const kIOReturnNoSpace = 0xe00002db;
/**
 * Someone else holds it exclusively (a network queue already bound, another XDP program attached).
 */
export const kIOReturnExclusiveAccess = 0xe00002c5;
/** Unsupported function or option. */
export const kIOReturnUnsupported = 0xe00002c7;
/**
 * A system call failed for a reason the message names (errno), or shared state was found impossible
 * (a scribbled queue).
 */
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

/** The names `IOReturnError.code` takes: one per kIOReturn constant this package exports. */
export type IOReturnCode =
  | 'kIOReturnSuccess'
  | 'kIOReturnError'
  | 'kIOReturnNoMemory'
  | 'kIOReturnNoResources'
  | 'kIOReturnNoDevice'
  | 'kIOReturnNotPrivileged'
  | 'kIOReturnBadArgument'
  | 'kIOReturnNoSpace'
  | 'kIOReturnExclusiveAccess'
  | 'kIOReturnUnsupported'
  | 'kIOReturnIOError'
  | 'kIOReturnNotReady'
  | 'kIOReturnNotAttached'
  | 'kIOReturnMessageTooLarge'
  | 'kIOReturnNotPermitted'
  | 'kIOReturnOverrun'
  | 'kIOReturnAborted'
  | 'kIOReturnNotFound'
  | 'kIOReturnOffline'
  | 'kIOReturnNotResponding';

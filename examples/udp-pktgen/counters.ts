/**
 * Live counters shared by every thread of a run, in one SharedArrayBuffer: the sink and the
 * senders write their own slots, the main thread reads them for the progress line without
 * messages. Each slot has one writer, so plain Float64Array stores suffice; exact final numbers
 * are read after a postMessage round trip, which orders them.
 */
export const MAX_SENDERS = 33; // the main thread (stream 0) + up to 32 workers
export const MODES = ['pool', 'buffer', 'udp'] as const;

/** A way of sending (see sender.ts); its index in MODES is the mode byte of its frames. */
export type Mode = (typeof MODES)[number];

/** The counters of a run: a Float64Array over a SharedArrayBuffer, passed to workers as is. */
export type Counters = Float64Array;

export const RX_RECEIVED = 0;
export const RX_BYTES = 1;
export const RX_INVALID = 2;
export const RX_GAPS = 3;
export const RX_REORDERED = 4;
const TX_BASE = 8;
export const TX_SENT = 0;
export const TX_ERRORS = 1;
const MODE_STRIDE = TX_BASE + MAX_SENDERS * 2;
export const STOP = MODES.length * MODE_STRIDE; // set to 1 (Ctrl-C) to end the current mode early

export function createCounters(): Counters {
  return new Float64Array(new SharedArrayBuffer(8 * (STOP + 1)));
}

export function rxIndex(modeId: number, field: number): number {
  return modeId * MODE_STRIDE + field;
}

export function txIndex(modeId: number, stream: number, field: number): number {
  return modeId * MODE_STRIDE + TX_BASE + stream * 2 + field;
}

/** Packets sent (completed) by every sender of a mode so far. */
export function totalSent(counters: Counters, modeId: number): number {
  let sum = 0;
  for (let s = 0; s < MAX_SENDERS; s++) sum += counters[txIndex(modeId, s, TX_SENT)];
  return sum;
}

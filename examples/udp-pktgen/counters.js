'use strict';
/**
 * Live counters shared by every thread of a run, in one SharedArrayBuffer: the sink and the
 * senders write their own slots, the main thread reads them for the progress line without
 * messages. Each slot has one writer, so plain Float64Array stores suffice; exact final numbers
 * are read after a postMessage round trip, which orders them.
 */
const MAX_SENDERS = 33; // the main thread (stream 0) + up to 32 workers
const MODES = ['pool', 'buffer', 'udp'];

const RX_RECEIVED = 0;
const RX_BYTES = 1;
const RX_INVALID = 2;
const RX_GAPS = 3;
const RX_REORDERED = 4;
const TX_BASE = 8;
const TX_SENT = 0;
const TX_ERRORS = 1;
const MODE_STRIDE = TX_BASE + MAX_SENDERS * 2;
const STOP = MODES.length * MODE_STRIDE; // set to 1 (Ctrl-C) to end the current mode early

function createCounters() {
  return new Float64Array(new SharedArrayBuffer(8 * (STOP + 1)));
}

function rxIndex(modeId, field) {
  return modeId * MODE_STRIDE + field;
}

function txIndex(modeId, stream, field) {
  return modeId * MODE_STRIDE + TX_BASE + stream * 2 + field;
}

/** Packets sent (completed) by every sender of a mode so far. */
function totalSent(counters, modeId) {
  let sum = 0;
  for (let s = 0; s < MAX_SENDERS; s++) sum += counters[txIndex(modeId, s, TX_SENT)];
  return sum;
}

module.exports = {
  MAX_SENDERS,
  MODES,
  RX_RECEIVED,
  RX_BYTES,
  RX_INVALID,
  RX_GAPS,
  RX_REORDERED,
  TX_SENT,
  TX_ERRORS,
  STOP,
  createCounters,
  rxIndex,
  txIndex,
  totalSent,
};

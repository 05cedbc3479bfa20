/**
 * The sink (a worker thread, so the sender's thread measures only sending): one UDP socket on
 * 127.0.0.1 that counts packets and bytes per mode, checks each frame's header and pattern, and
 * follows each stream's sequence numbers (a jump forward counts the missing packets as gaps, a
 * step back counts as reordered).
 *
 * Messages from the main thread: 'snapshot' -> { type: 'snapshot', gcCount }, 'stop' -> closes.
 */
import * as dgram from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';

import { MAX_SENDERS, RX_RECEIVED, RX_BYTES, RX_INVALID, RX_GAPS, RX_REORDERED, rxIndex } from './counters';
import { frameIsValid, HEADER_BYTES } from './frame';
import type { SinkMessage, SinkWorkerData } from './messages';
import { gcCounter } from './metrics';
import { LOOPBACK } from './options';

if (parentPort === null) throw new Error('sink.js runs in a worker thread (sink-thread.ts starts it)');
const parent = parentPort;
const post = (m: SinkMessage): void => parent.postMessage(m);
const { counters, port } = workerData as SinkWorkerData;
const gc = gcCounter();
// Next expected sequence number per (mode, stream).
const expected = new Float64Array(3 * MAX_SENDERS);

function onMessage(msg: Buffer): void {
  const modeId = msg.length >= HEADER_BYTES && msg[4] <= 2 ? msg[4] : 0;
  const stream = msg.length >= HEADER_BYTES ? msg.readUInt16BE(6) : 0;
  counters[rxIndex(modeId, RX_RECEIVED)] += 1;
  counters[rxIndex(modeId, RX_BYTES)] += msg.length;
  if (!frameIsValid(msg) || stream >= MAX_SENDERS) {
    counters[rxIndex(modeId, RX_INVALID)] += 1;
    return;
  }
  const k = modeId * MAX_SENDERS + stream;
  const seq = msg.readUInt32BE(8);
  const want = expected[k];
  if (seq >= want) {
    if (seq > want) counters[rxIndex(modeId, RX_GAPS)] += seq - want;
    expected[k] = seq + 1;
  } else {
    counters[rxIndex(modeId, RX_REORDERED)] += 1;
  }
}

const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
socket.on('message', onMessage);
socket.on('error', (err) => {
  post({ type: 'error', message: err.message });
  socket.close();
});
socket.bind(port, LOOPBACK, () => {
  post({
    type: 'ready',
    port: socket.address().port,
    // The kernel caps the request at net.core.rmem_max; report what we got.
    recvBufferSize: socket.getRecvBufferSize(),
  });
});

parent.on('message', (m: 'snapshot' | 'stop') => {
  if (m === 'snapshot') post({ type: 'snapshot', gcCount: gc.read() });
  if (m === 'stop') {
    socket.close();
    parent.close();
  }
});

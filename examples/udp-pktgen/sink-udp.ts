/**
 * The sink of the udp mode (a worker thread): the pool's UDP interface receiving straight into
 * pool packets, with UDP GRO (one packet may hold a run of frames of the same size: its segment
 * size says where each one starts). The RX completion queue's dequeue action checks every frame
 * like sink.ts does, then puts the packets back on the RX submission queue: nothing is allocated
 * per frame.
 *
 * Messages from the main thread: 'snapshot' -> { type: 'snapshot', gcCount }, 'stop' -> closes.
 */
import { parentPort, workerData } from 'node:worker_threads';

import {
  getPacketSegmentSize,
  IOUserNetworkPacketBufferPool,
  IOUserNetworkRxCompletionQueue,
  IOUserNetworkRxSubmissionQueue,
  IOUserNetworkUDPInterface,
} from 'packet-buffer-pool';
import type { IOUserNetworkPacket } from 'packet-buffer-pool';

import { MAX_SENDERS, MODES, RX_RECEIVED, RX_BYTES, RX_INVALID, RX_GAPS, RX_REORDERED, rxIndex } from './counters';
import { frameIsValidAt, HEADER_BYTES } from './frame';
import type { SinkMessage, SinkWorkerData } from './messages';
import { gcCounter } from './metrics';
import { LOOPBACK } from './options';

if (parentPort === null) throw new Error('sink-udp.js runs in a worker thread (sink-thread.ts starts it)');
const parent = parentPort;
const post = (m: SinkMessage): void => parent.postMessage(m);

const MODE_ID = MODES.indexOf('udp');
const PACKETS = 256; // of 64 KB: room for GRO super-packets
const RECEIVE_BUFFER = 8 << 20;

const { counters } = workerData as SinkWorkerData;
const gc = gcCounter();
const expected = new Float64Array(MAX_SENDERS);

function onFrame(buf: Buffer, at: number, length: number): void {
  counters[rxIndex(MODE_ID, RX_RECEIVED)] += 1;
  counters[rxIndex(MODE_ID, RX_BYTES)] += length;
  const stream = length >= HEADER_BYTES ? buf.readUInt16BE(at + 6) : 0;
  if (!frameIsValidAt(buf, at, length) || buf[at + 4] !== MODE_ID || stream >= MAX_SENDERS) {
    counters[rxIndex(MODE_ID, RX_INVALID)] += 1;
    return;
  }
  const seq = buf.readUInt32BE(at + 8);
  const want = expected[stream];
  if (seq >= want) {
    if (seq > want) counters[rxIndex(MODE_ID, RX_GAPS)] += seq - want;
    expected[stream] = seq + 1;
  } else {
    counters[rxIndex(MODE_ID, RX_REORDERED)] += 1;
  }
}

const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'udp-pktgen-sink', {
  packetCount: PACKETS,
  bufferCount: PACKETS,
  bufferSize: 65536,
  headroom: 0,
});
const rxSubmission = IOUserNetworkRxSubmissionQueue.Create(pool, null, PACKETS, 0);
const rxCompletion = IOUserNetworkRxCompletionQueue.Create(pool, null, PACKETS, 1);
const iface = IOUserNetworkUDPInterface.Create(pool, {
  localAddress: LOOPBACK,
  rxSubmissionQueue: rxSubmission,
  rxCompletionQueue: rxCompletion,
  gro: true,
  receiveBufferSize: RECEIVE_BUFFER,
});
rxSubmission.EnqueuePackets(pool.allocatePackets(PACKETS));

const batch: IOUserNetworkPacket[] = [];
rxCompletion.setDequeueAction((queue) => {
  const n = queue.DequeuePackets(batch);
  for (let i = 0; i < n; i++) {
    const p = batch[i];
    const buf = p.getBuffer();
    const start = p.getDataOffset();
    const length = p.getDataLength();
    const segment = getPacketSegmentSize(p) || length;
    for (let at = 0; at < length; at += segment) onFrame(buf, start + at, Math.min(segment, length - at));
  }
  rxSubmission.EnqueuePackets(batch, n);
});

post({ type: 'ready', port: iface.getLocalAddress().port, recvBufferSize: RECEIVE_BUFFER });
parent.on('message', (m: 'snapshot' | 'stop') => {
  if (m === 'snapshot') post({ type: 'snapshot', gcCount: gc.read() });
  if (m === 'stop') {
    rxCompletion.setDequeueAction(null);
    iface.close();
    rxSubmission.close();
    rxCompletion.close();
    pool.release();
    parent.close();
  }
});

/**
 * One sender: a connected UDP socket and a loop that builds frames and sends them, in the main
 * thread or in a worker. Two ways to get a frame's memory:
 *
 *   pool:   allocatePacket(), write the frame into packet.getBuffer(), send that Buffer with
 *           (offset, length) -- dgram makes a view, the bytes are not copied -- and give the packet
 *           back in the send callback, when the kernel has taken the bytes. Each packet slot gets
 *           its callback once, so steady state creates no closures.
 *           With --slot-views, each slot's data window gets one Buffer view, made once and sent
 *           whole, instead (dgram's offset/length form makes a view object per send).
 *   buffer: Buffer.allocUnsafe(size) per frame, sent whole; the GC reclaims it.
 *   udp:    no dgram socket: the pool's UDP interface (connected, GSO). Each turn takes a batch
 *           of packets (allocatePackets), writes the frames, enqueues them on the TX submission
 *           queue and calls transmit(), which sends them with sendmmsg (runs of frames as UDP GSO
 *           super-packets) and gives them straight back to the pool. This thread's own pool.
 *
 * Back-pressure: at most `burst` frames per event-loop turn, at most `inflight` frames not yet
 * completed, and when the pool is empty the loop yields (setImmediate) until callbacks return
 * packets. Yielding every burst also lets completions, timers and the progress line run. With
 * --rate the loop sleeps (setTimeout) while it is ahead of schedule.
 */
import * as dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';

import {
  IOUserNetworkPacketBufferPool,
  IOUserNetworkTxSubmissionQueue,
  IOUserNetworkUDPInterface,
} from 'packet-buffer-pool';
import type { IOUserNetworkPacket } from 'packet-buffer-pool';

import { STOP, TX_ERRORS, TX_SENT, txIndex } from './counters';
import type { Counters, Mode } from './counters';
import { writeFrame } from './frame';
import { startThreadMetrics } from './metrics';
import { LOOPBACK } from './options';
import type { SenderResult } from './results';

/** One sender's job. Everything but `pool` travels to a sender worker as its workerData. */
export interface SenderOptions {
  mode: Mode;
  modeId: number;
  /** The shared pool in pool mode (this thread's attachment to it); null otherwise. */
  pool: IOUserNetworkPacketBufferPool | null;
  slotViews: boolean;
  /** UDP payload bytes per packet. */
  size: number;
  /** Packets to send at most (Infinity: until durationMs). */
  count: number;
  durationMs: number;
  /** Which sender: 0 = the main thread, 1..N = workers. */
  stream: number;
  /** The sink's port on 127.0.0.1. */
  port: number;
  inflight: number;
  burst: number;
  /** Packets/s cap of this sender; 0: none. */
  rate: number;
  counters: Counters;
}

/** Runs one mode's sending from this thread; resolves with what it sent and measured. */
export function runSender(o: SenderOptions): Promise<SenderResult> {
  if (o.mode === 'udp') return runInterfaceSender(o);
  const pool = o.mode === 'pool' ? o.pool : null;
  if (o.mode === 'pool' && pool === null) return Promise.reject(new Error('pool mode needs the pool'));
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
    socket.once('error', reject);
    socket.connect(o.port, LOOPBACK, () => {
      socket.off('error', reject);
      socket.on('error', () => {}); // send errors arrive through the callbacks
      sendLoop(o, pool, socket, resolve);
    });
  });
}

/** `pool`: null in buffer mode. */
/**
 * The --rate limit (packets per second since t0, 0 = none): how many of `budget` packets may go
 * at `now`, `sent` having gone. null when the sender is ahead of the rate: `pump` is then
 * scheduled for when the next packet is due (sleeping instead of spinning).
 */
function paced(rate: number, t0: number, now: number, sent: number, budget: number, pump: () => void): number | null {
  if (rate <= 0) return budget;
  const allowed = Math.floor((rate * (now - t0)) / 1000) - sent;
  if (allowed > 0) return Math.min(budget, allowed);
  setTimeout(pump, Math.max(1, ((sent + 1) * 1000) / rate - (now - t0)));
  return null;
}

function sendLoop(
  o: SenderOptions,
  pool: IOUserNetworkPacketBufferPool | null,
  socket: dgram.Socket,
  resolve: (result: SenderResult) => void,
): void {
  const { size, modeId, stream, counters } = o;
  const sentSlot = txIndex(modeId, stream, TX_SENT);
  const errorSlot = txIndex(modeId, stream, TX_ERRORS);
  const metrics = startThreadMetrics();
  const t0 = performance.now();
  const deadline = t0 + o.durationMs;
  let seq = 0;
  let inflight = 0;
  let sent = 0;
  let sendErrors = 0;
  let poolEmptyWaits = 0;
  let stopping = false;
  let finished = false;

  function completed(err: Error | null): void {
    inflight -= 1;
    if (err) counters[errorSlot] = ++sendErrors;
    else counters[sentSlot] = ++sent;
    if (stopping && inflight === 0) finish();
  }

  // Pool mode: one callback per packet slot, made on first use and reused for every send of it.
  type SendCallback = (err: Error | null) => void;
  const callbacks = new Array<SendCallback | null>(pool ? pool.getPacketCount() : 0).fill(null);
  function callbackFor(from: IOUserNetworkPacketBufferPool, packet: IOUserNetworkPacket): SendCallback {
    const index = packet.getPacketIndex();
    let callback = callbacks[index];
    if (callback === null) {
      callback = (err) => {
        from.deallocatePacket(packet);
        completed(err);
      };
      callbacks[index] = callback;
    }
    return callback;
  }
  const bufferSent: SendCallback = (err) => completed(err);

  // --slot-views: a Buffer over each slot's data window, made once. dgram's (buffer, offset,
  // length) form makes a new view object per send; this saves that allocation.
  const views: (Buffer | null)[] | null =
    pool && o.slotViews ? new Array<Buffer | null>(pool.getPacketCount()).fill(null) : null;
  function viewOf(slots: (Buffer | null)[], packet: IOUserNetworkPacket, buf: Buffer, offset: number): Buffer {
    const index = packet.getPacketIndex();
    let view = slots[index];
    if (view === null || view.byteOffset !== buf.byteOffset + offset) {
      view = buf.subarray(offset, offset + size);
      slots[index] = view;
    }
    return view;
  }

  function pump(): void {
    const now = performance.now();
    if (seq >= o.count || now >= deadline || counters[STOP] !== 0) {
      stopping = true;
      if (inflight === 0) finish();
      return;
    }
    let budget = paced(o.rate, t0, now, seq, Math.min(o.burst, o.count - seq, o.inflight - inflight), pump);
    if (budget === null) return;
    for (; budget > 0; budget--) {
      if (pool !== null) {
        const packet = pool.allocatePacket();
        if (packet === null) {
          poolEmptyWaits += 1;
          break;
        }
        const buf = packet.getBuffer();
        const offset = packet.getDataOffset();
        packet.setDataLength(size);
        writeFrame(buf, offset, size, modeId, stream, seq);
        if (views === null) socket.send(buf, offset, size, callbackFor(pool, packet));
        else socket.send(viewOf(views, packet, buf, offset), callbackFor(pool, packet));
      } else {
        const buf = Buffer.allocUnsafe(size);
        writeFrame(buf, 0, size, modeId, stream, seq);
        socket.send(buf, bufferSent);
      }
      seq += 1;
      inflight += 1;
    }
    setImmediate(pump);
  }

  function finish(): void {
    if (finished) return;
    finished = true;
    const seconds = (performance.now() - t0) / 1000;
    const m = metrics.stop();
    socket.close();
    resolve({ stream, sent, sendErrors, poolEmptyWaits, seconds, ...m });
  }

  pump();
}

const UDP_PACKETS = 4096;
const UDP_BATCH_MIN = 512; // packets per transmit() call at least: batching is the point

function runInterfaceSender(o: SenderOptions): Promise<SenderResult> {
  const { size, modeId, stream, counters } = o;
  const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, `udp-pktgen-tx-${stream}`, {
    packetCount: UDP_PACKETS,
    bufferCount: UDP_PACKETS,
    bufferSize: Math.max(64, Math.ceil(size / 64) * 64),
  });
  const txSubmission = IOUserNetworkTxSubmissionQueue.Create(pool, null, UDP_PACKETS, 0);
  const iface = IOUserNetworkUDPInterface.Create(pool, {
    remoteAddress: LOOPBACK,
    remotePort: o.port,
    txSubmissionQueue: txSubmission,
    txCompleteToPool: true,
    eventDriven: false,
    sendBufferSize: 4 << 20,
  });
  const sentSlot = txIndex(modeId, stream, TX_SENT);
  const batchMax = Math.max(o.burst, UDP_BATCH_MIN);
  const packets: IOUserNetworkPacket[] = [];
  const metrics = startThreadMetrics();
  const t0 = performance.now();
  const deadline = t0 + o.durationMs;
  let seq = 0;
  let poolEmptyWaits = 0;

  return new Promise((resolve) => {
    function pump(): void {
      const now = performance.now();
      if (seq >= o.count || now >= deadline || counters[STOP] !== 0) return finish();
      const budget = paced(o.rate, t0, now, seq, Math.min(batchMax, o.count - seq), pump);
      if (budget === null) return;
      pool.allocatePackets(budget, packets);
      const got = packets.length;
      if (got < budget) poolEmptyWaits += 1;
      for (let i = 0; i < got; i++) {
        const packet = packets[i];
        packet.setDataLength(size);
        writeFrame(packet.getBuffer(), packet.getDataOffset(), size, modeId, stream, seq++);
      }
      txSubmission.EnqueuePackets(packets, got);
      for (let done = 0; done < got;) done += iface.transmit();
      counters[sentSlot] += got; // refused sends are taken off at the end (statistics)
      setImmediate(pump);
    }

    function finish(): void {
      const seconds = (performance.now() - t0) / 1000;
      const m = metrics.stop();
      const stats = iface.getStatistics();
      iface.close();
      txSubmission.close();
      pool.release();
      counters[sentSlot] = stats.txPackets;
      counters[txIndex(modeId, stream, TX_ERRORS)] = stats.txErrors;
      resolve({ stream, sent: stats.txPackets, sendErrors: stats.txErrors, poolEmptyWaits, seconds, ...m });
    }

    pump();
  });
}

/**
 * The pool side of the wire.raw.pool-* scenarios, run inside the bench's network namespace
 * (`ip netns exec`): a RawEthernetInterface on `ifname` over a pool of 4096 packets of 2048 bytes,
 * driven by the same protocol and the same per-frame work as native/bench/raw_xdp_ref.c:
 *
 *   node build-ts/bench/wire/raw-pool-peer.js tx IFNAME SIZE PATH   per stdin line "N": send N frames (each stamped
 *                                               with a 4-byte sequence number), counted when
 *                                               completed
 *   node build-ts/bench/wire/raw-pool-peer.js rx IFNAME 0 PATH   per stdin line "N": receive N frames (reading each
 *                                               one's sequence number), waiting in poll() when
 *                                               the ring is empty
 *
 * and prints "N cpuNs wallNs gcCount" per run (CPU of this process, collections seen here).
 * PATH is how packets reach the interface, in batches of 64:
 *   queues   the DriverKit queues: JS enqueues to TX/RX submission and dequeues TX/RX completion
 *            over the region (no native call), then one service() call per batch moves them
 *            to and from the kernel's rings
 *   indices  postTxPacketIndices / pollTxCompletionIndices etc.: a native call per batch each way
 */
import { PerformanceObserver } from 'node:perf_hooks';
import * as readline from 'node:readline';

import {
  IOUserNetworkPacketBufferPool,
  IOUserNetworkRxCompletionQueue,
  IOUserNetworkRxSubmissionQueue,
  IOUserNetworkTxCompletionQueue,
  IOUserNetworkTxSubmissionQueue,
  RawEthernetInterface,
} from 'packet-buffer-pool';

const [mode, ifname, sizeArg, pathArg] = process.argv.slice(2);
const size = Number(sizeArg ?? 64);
const viaQueues = (pathArg ?? 'queues') === 'queues';
const PACKETS = 4096;
const BATCH = 64;

let gcCount = 0;
new PerformanceObserver((list) => (gcCount += list.getEntries().length)).observe({ entryTypes: ['gc'] });

const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'wire-raw', {
  packetCount: PACKETS,
  bufferCount: PACKETS,
  bufferSize: 2048,
});
const queues = viaQueues
  ? {
      txSubmission: IOUserNetworkTxSubmissionQueue.Create(pool, null, PACKETS, 0),
      txCompletion: IOUserNetworkTxCompletionQueue.Create(pool, null, PACKETS, 1),
      rxSubmission: IOUserNetworkRxSubmissionQueue.Create(pool, null, PACKETS, 2),
      rxCompletion: IOUserNetworkRxCompletionQueue.Create(pool, null, PACKETS, 3),
    }
  : undefined;
// A busy loop that calls service() itself: no event-loop driver needed.
const iface = RawEthernetInterface.Open(pool, { interfaceName: ifname, backend: 'af_xdp', queues, eventDriven: false });
const info = iface.getInfo();

// Every packet's Buffer and data offset, by index (made once: nothing is allocated per frame).
const indices = new Uint32Array(PACKETS);
const got = pool.allocatePacketIndices(indices);
const buffers: Buffer[] = new Array(PACKETS);
const offsets = new Uint32Array(PACKETS);
for (let i = 0; i < got; i++) {
  const p = pool.newPacket({ fPacketIndex: indices[i] });
  buffers[indices[i]] = p.getBuffer();
  offsets[indices[i]] = p.getHeadroom();
  if (mode === 'tx') {
    const b = p.getBuffer();
    const o = p.getHeadroom();
    b.fill(0x02, o, o + 12);
    b[o + 5] = 0x02;
    b[o + 11] = 0x01;
    b[o + 12] = 0x88;
    b[o + 13] = 0xb5;
    for (let j = 18; j < size; j++) b[o + j] = j & 0xff;
    p.setDataOffsetAndLength(o, size);
  }
}

const free = new Uint32Array(PACKETS); // a stack of this thread's idle packets
let freeTop = 0;
for (let i = 0; i < got; i++) free[freeTop++] = indices[i];
const batch = new Uint32Array(BATCH);
const done = new Uint32Array(2048);
let seq = 0;

// The two paths differ only in these four calls.
const txComplete = viaQueues
  ? (out: Uint32Array): number => queues!.txCompletion.dequeuePacketIndices(out, out.length)
  : (out: Uint32Array): number => iface.pollTxCompletionIndices(out, out.length);
const txPost = viaQueues
  ? (b: Uint32Array, n: number): number => {
      const taken = queues!.txSubmission.enqueuePacketIndices(b, n);
      iface.service();
      return taken;
    }
  : (b: Uint32Array, n: number): number => (n ? iface.postTxPacketIndices(b, n) : 0);
const rxTake = viaQueues
  ? (out: Uint32Array, max: number): number => {
      iface.service();
      return queues!.rxCompletion.dequeuePacketIndices(out, max);
    }
  : (out: Uint32Array, max: number): number => iface.pollRxPacketIndices(out, max);
const rxPost = viaQueues
  ? (b: Uint32Array, n: number): number => queues!.rxSubmission.enqueuePacketIndices(b, n)
  : (b: Uint32Array, n: number): number => iface.postRxPacketIndices(b, n);

function sendFrames(n: number): void {
  let queued = 0;
  let completed = 0;
  while (completed < n) {
    const c = txComplete(done);
    for (let i = 0; i < c; i++) free[freeTop++] = done[i];
    completed += c;
    let want = BATCH;
    if (want > freeTop) want = freeTop;
    if (want > n - queued) want = n - queued;
    for (let i = 0; i < want; i++) {
      const p = free[--freeTop];
      buffers[p].writeUInt32LE(seq++ >>> 0, offsets[p] + 14);
      batch[i] = p;
    }
    const taken = txPost(batch, want);
    for (let i = want - 1; i >= taken; i--) free[freeTop++] = batch[i];
    seq -= want - taken;
    queued += taken;
  }
}

let checksum = 0;
function refill(): void {
  const n = rxPost(free, freeTop);
  // It takes from the front: move what is left down.
  free.copyWithin(0, n, freeTop);
  freeTop -= n;
}

function receiveFrames(n: number): void {
  let received = 0;
  while (received < n) {
    const k = rxTake(done, BATCH);
    if (k === 0) {
      iface.waitForFramesSync(100);
      continue;
    }
    for (let i = 0; i < k; i++) {
      const p = done[i];
      checksum = (checksum + buffers[p].readUInt32LE(offsetsRx(p) + 14)) | 0;
      free[freeTop++] = p;
    }
    received += k;
    refill();
  }
}

// Received frames start where the kernel put them (XDP's 256-byte headroom), the same for all.
const rxOffset = info.rxDataOffset;
function offsetsRx(_index: number): number {
  return rxOffset;
}

if (mode === 'rx') refill();
process.stdout.write('ready\n');
const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const n = Number(line);
  const gc0 = gcCount;
  const c0 = process.cpuUsage();
  const w0 = process.hrtime.bigint();
  if (mode === 'rx') receiveFrames(n);
  else sendFrames(n);
  const wall = process.hrtime.bigint() - w0;
  const cpu = process.cpuUsage(c0);
  process.stdout.write(`${n} ${(cpu.user + cpu.system) * 1000} ${wall} ${gcCount - gc0}\n`);
});
lines.on('close', () => {
  iface.close();
  pool.deallocatePacketIndices(free, freeTop); // the idle packets this thread still holds
  pool.release();
  if (checksum === 0.5) process.stdout.write('');
});

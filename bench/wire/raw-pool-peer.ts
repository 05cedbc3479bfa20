/**
 * The pool side of the wire.raw.pool-* scenarios, run inside the bench's network namespace
 * (`ip netns exec`): a RawEthernetInterface on `ifname` over a pool of 4096 packets of 2048 bytes,
 * driven by the same protocol and the same per-frame work as native/bench/raw_xdp_ref.c:
 *
 *   node build-ts/bench/wire/raw-pool-peer.js tx IFNAME SIZE PATH   per stdin line "N": send N
 *                            frames (each stamped with a 4-byte sequence number), counted when
 *                            completed
 *   node build-ts/bench/wire/raw-pool-peer.js rx IFNAME 0 PATH      per stdin line "N": receive N
 *                            frames (reading each one's sequence number), waiting in poll() when
 *                            the ring is empty
 *
 * and prints "N cpuNs wallNs gcCount" per run (CPU of this process, collections seen here).
 * PATH is how packets reach the interface, in batches of 64 (the C reference's batch):
 *   queues   the DriverKit queues by index: JS enqueues to TX/RX submission and dequeues TX/RX
 *            completion over the region (no native call), then one service() call per batch
 *            moves them to and from the kernel's rings
 *   objects  the same queues in object form: EnqueuePackets / DequeuePackets with the pool's
 *            IOUserNetworkPacket objects (the pool keeps one object per index: no allocation)
 *   indices  postTxPacketIndices / pollTxCompletionIndices etc.: a native call per batch each way
 *
 * The technique is the C reference's: every frame is stamped (TX) or read (RX) at byte 14 of
 * the frame through one view of the whole region, at the frame's address in it (C: `area + addr +
 * 14`); here one DataView over `pool.CopyMemoryDescriptor().createMapping()`. A Buffer method
 * per frame (`buffers[p].writeUInt32LE`) costs several times more: node's internal buffer code
 * is shared by every Buffer in the process and its inline caches go megamorphic.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import * as readline from 'node:readline';

import {
  IOUserNetworkPacket,
  IOUserNetworkPacketBufferPool,
  IOUserNetworkRxCompletionQueue,
  IOUserNetworkRxSubmissionQueue,
  IOUserNetworkTxCompletionQueue,
  IOUserNetworkTxSubmissionQueue,
  RawEthernetInterface,
} from 'packet-buffer-pool';

import { regionView } from '../fixtures';

const [mode, ifname, sizeArg, pathArg] = process.argv.slice(2);
const size = Number(sizeArg ?? 64);
const path = pathArg ?? 'queues';
if (mode !== 'tx' && mode !== 'rx') throw new Error(`mode must be tx or rx, got ${mode}`);
if (path !== 'queues' && path !== 'objects' && path !== 'indices') {
  throw new Error(`path must be queues, objects or indices, got ${path}`);
}
const PACKETS = 4096;
const BATCH = 64;
const SEQUENCE_AT = 14; // the sequence number's offset in a frame, as in raw_xdp_ref.c

let gcCount = 0;
new PerformanceObserver((list) => (gcCount += list.getEntries().length)).observe({ entryTypes: ['gc'] });

const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'wire-raw', {
  packetCount: PACKETS,
  bufferCount: PACKETS,
  bufferSize: 2048,
});
const queues =
  path === 'indices'
    ? undefined
    : {
        txSubmission: IOUserNetworkTxSubmissionQueue.Create(pool, null, PACKETS, 0),
        txCompletion: IOUserNetworkTxCompletionQueue.Create(pool, null, PACKETS, 1),
        rxSubmission: IOUserNetworkRxSubmissionQueue.Create(pool, null, PACKETS, 2),
        rxCompletion: IOUserNetworkRxCompletionQueue.Create(pool, null, PACKETS, 3),
      };
// A busy loop that calls service() itself: no event-loop driver needed.
const iface = RawEthernetInterface.Open(pool, { interfaceName: ifname, backend: 'af_xdp', queues, eventDriven: false });
const info = iface.getInfo();

// The whole region as one DataView, and where each packet's frame starts in it: TX frames at the
// packet's headroom, received ones where the kernel put them (XDP's 256-byte headroom, the same
// for every frame). Made once: nothing is allocated per frame.
const { region, memory } = regionView(pool);
const frameAt = new Uint32Array(PACKETS);

const indices = new Uint32Array(PACKETS);
const got = pool.allocatePacketIndices(indices);
const objects: IOUserNetworkPacket[] = new Array(PACKETS);
for (let i = 0; i < got; i++) {
  const p = pool.newPacket({ fPacketIndex: indices[i] });
  objects[i] = p;
  const o = mode === 'tx' ? p.getHeadroom() : info.rxDataOffset;
  frameAt[indices[i]] = p.getMemorySegmentOffset() + o;
  if (mode === 'tx') {
    const b = p.getBuffer();
    b.fill(0x02, o, o + 12);
    b[o + 5] = 0x02;
    b[o + 11] = 0x01;
    b[o + 12] = 0x88;
    b[o + 13] = 0xb5;
    for (let j = 18; j < size; j++) b[o + j] = j & 0xff;
    p.setDataOffsetAndLength(o, size);
  }
}

let seq = 0;
let checksum = 0;
let sendFrames: (n: number) => void;
let receiveFrames: (n: number) => void;
let close: () => void;

if (path === 'objects') {
  const q = queues!;
  const free: IOUserNetworkPacket[] = objects.slice(0, got); // a stack of this thread's idle packets
  let freeTop = got;
  const batch: IOUserNetworkPacket[] = new Array(BATCH).fill(objects[0]);
  const done: IOUserNetworkPacket[] = new Array(2048).fill(objects[0]);

  sendFrames = (n) => {
    let queued = 0;
    let completed = 0;
    while (completed < n) {
      const c = q.txCompletion.DequeuePackets(done, done.length);
      for (let i = 0; i < c; i++) free[freeTop++] = done[i];
      completed += c;
      let want = BATCH;
      if (want > freeTop) want = freeTop;
      if (want > n - queued) want = n - queued;
      for (let i = 0; i < want; i++) {
        const p = free[--freeTop];
        region.setUint32(frameAt[p.getPacketIndex()] + SEQUENCE_AT, seq++ >>> 0, true);
        batch[i] = p;
      }
      const taken = want ? q.txSubmission.EnqueuePackets(batch, want) : 0;
      iface.service();
      for (let i = want - 1; i >= taken; i--) free[freeTop++] = batch[i];
      seq -= want - taken;
      queued += taken;
    }
  };

  const refill = (): void => {
    const n = q.rxSubmission.EnqueuePackets(free, freeTop);
    // It takes from the front: move what is left down.
    free.copyWithin(0, n, freeTop);
    freeTop -= n;
  };
  receiveFrames = (n) => {
    let received = 0;
    while (received < n) {
      iface.service();
      const k = q.rxCompletion.DequeuePackets(done, BATCH);
      if (k === 0) {
        iface.waitForFramesSync(100);
        continue;
      }
      for (let i = 0; i < k; i++) {
        const p = done[i];
        checksum = (checksum + region.getUint32(frameAt[p.getPacketIndex()] + SEQUENCE_AT, true)) | 0;
        free[freeTop++] = p;
      }
      received += k;
      refill();
    }
  };
  if (mode === 'rx') refill();
  close = () => {
    iface.close();
    for (let c; (c = q.txCompletion.DequeuePackets(done, done.length)) > 0;) pool.deallocatePackets(done, c);
    for (let c; (c = q.rxCompletion.DequeuePackets(done, done.length)) > 0;) pool.deallocatePackets(done, c);
    pool.deallocatePackets(free, freeTop); // the idle packets this thread still holds
  };
} else {
  const free = new Uint32Array(PACKETS); // a stack of this thread's idle packets
  let freeTop = 0;
  for (let i = 0; i < got; i++) free[freeTop++] = indices[i];
  const batch = new Uint32Array(BATCH);
  const done = new Uint32Array(2048);

  // The two index paths differ only in these four calls.
  const txComplete = queues
    ? (out: Uint32Array): number => queues.txCompletion.dequeuePacketIndices(out, out.length)
    : (out: Uint32Array): number => iface.pollTxCompletionIndices(out, out.length);
  const txPost = queues
    ? (b: Uint32Array, n: number): number => {
        const taken = queues.txSubmission.enqueuePacketIndices(b, n);
        iface.service();
        return taken;
      }
    : (b: Uint32Array, n: number): number => (n ? iface.postTxPacketIndices(b, n) : 0);
  const rxTake = queues
    ? (out: Uint32Array, max: number): number => {
        iface.service();
        return queues.rxCompletion.dequeuePacketIndices(out, max);
      }
    : (out: Uint32Array, max: number): number => iface.pollRxPacketIndices(out, max);
  const rxPost = queues
    ? (b: Uint32Array, n: number): number => queues.rxSubmission.enqueuePacketIndices(b, n)
    : (b: Uint32Array, n: number): number => iface.postRxPacketIndices(b, n);

  sendFrames = (n) => {
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
        region.setUint32(frameAt[p] + SEQUENCE_AT, seq++ >>> 0, true);
        batch[i] = p;
      }
      const taken = txPost(batch, want);
      for (let i = want - 1; i >= taken; i--) free[freeTop++] = batch[i];
      seq -= want - taken;
      queued += taken;
    }
  };

  const refill = (): void => {
    const n = rxPost(free, freeTop);
    // It takes from the front: move what is left down.
    free.copyWithin(0, n, freeTop);
    freeTop -= n;
  };
  receiveFrames = (n) => {
    let received = 0;
    while (received < n) {
      const k = rxTake(done, BATCH);
      if (k === 0) {
        iface.waitForFramesSync(100);
        continue;
      }
      for (let i = 0; i < k; i++) {
        const p = done[i];
        checksum = (checksum + region.getUint32(frameAt[p] + SEQUENCE_AT, true)) | 0;
        free[freeTop++] = p;
      }
      received += k;
      refill();
    }
  };
  if (mode === 'rx') refill();
  close = () => {
    iface.close();
    if (queues) {
      for (let c; (c = queues.txCompletion.dequeuePacketIndices(done)) > 0;) pool.deallocatePacketIndices(done, c);
      for (let c; (c = queues.rxCompletion.dequeuePacketIndices(done)) > 0;) pool.deallocatePacketIndices(done, c);
    }
    pool.deallocatePacketIndices(free, freeTop); // the idle packets this thread still holds
  };
}

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
  close();
  memory.release();
  pool.release();
  if (checksum === 0.5) process.stdout.write('');
});

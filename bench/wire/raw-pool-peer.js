'use strict';
/**
 * The pool side of the wire.raw.pool-* scenarios, run inside the bench's network namespace
 * (`ip netns exec`): a RawEthernetInterface on `ifname` over a pool of 4096 packets of 2048 bytes,
 * driven by the same protocol and the same per-frame work as native/bench/raw_xdp_ref.c:
 *
 *   node raw-pool-peer.js tx IFNAME SIZE   per stdin line "N": send N frames (each stamped with a
 *                                          4-byte sequence number), counted when completed
 *   node raw-pool-peer.js rx IFNAME        per stdin line "N": receive N frames (reading each
 *                                          one's sequence number), waiting in poll() when empty
 *
 * and prints "N cpuNs wallNs gcCount" per run (CPU of this process, collections seen here).
 * Packets move by index in batches of 64: one native call posts a batch, one takes completions.
 */
const path = require('node:path');
const readline = require('node:readline');
const { PerformanceObserver } = require('node:perf_hooks');

const { IOUserNetworkPacketBufferPool, RawEthernetInterface } = require(path.join(__dirname, '..', '..'));

const [mode, ifname, sizeArg] = process.argv.slice(2);
const size = Number(sizeArg ?? 64);
const PACKETS = 4096;
const BATCH = 64;

let gcCount = 0;
new PerformanceObserver((list) => (gcCount += list.getEntries().length)).observe({ entryTypes: ['gc'] });

const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'wire-raw', {
  packetCount: PACKETS, bufferCount: PACKETS, bufferSize: 2048,
});
const iface = RawEthernetInterface.Open(pool, { interfaceName: ifname, backend: 'af_xdp' });
const info = iface.getInfo();

// Every packet's Buffer and data offset, by index (made once: nothing is allocated per frame).
const indices = new Uint32Array(PACKETS);
const got = pool.allocatePacketIndices(indices);
const buffers = new Array(PACKETS);
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

function sendFrames(n) {
  let queued = 0;
  let completed = 0;
  while (completed < n) {
    const c = iface.pollTxCompletionIndices(done, done.length);
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
    const taken = want ? iface.postTxPacketIndices(batch, want) : 0;
    for (let i = want - 1; i >= taken; i--) free[freeTop++] = batch[i];
    seq -= want - taken;
    queued += taken;
  }
}

let checksum = 0;
function refill() {
  const n = iface.postRxPacketIndices(free, freeTop);
  // It takes from the front: move what is left down.
  free.copyWithin(0, n, freeTop);
  freeTop -= n;
}

function receiveFrames(n) {
  let received = 0;
  while (received < n) {
    const k = iface.pollRxPacketIndices(done, BATCH);
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
function offsetsRx() {
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
  pool.release();
  if (checksum === 0.5) process.stdout.write('');
});

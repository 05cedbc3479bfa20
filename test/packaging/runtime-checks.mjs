// The program runtime-matrix.sh runs on each runtime (Node 20, newest Node, Bun, Deno) against
// the installed tarball. Each check exercises one thing the package promises; it prints
// `PASS name` or `FAIL name: <error message>` and a closing `RESULT {...}` line that the matrix
// script compares with what it expects of that runtime. Exit status 1 when any check failed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import {
  IOUserNetworkPacketBufferPool,
  IOReturnError,
  kIOReturnAborted,
  kIOReturnNotPermitted,
} from 'packet-buffer-pool';

const here = (file) => new URL(file, import.meta.url);
// The command that starts another process of this runtime: the runtime itself, or, under an
// emulator (scripts/arm64-test.sh runs an arm64 Node under qemu-user, and the kernel cannot exec
// an arm64 binary by itself), PBP_CHILD_RUNNER (the emulator's command line) before it.
const childCommand = [...(process.env.PBP_CHILD_RUNNER ?? '').split(' ').filter(Boolean), process.execPath];
const small = { packetCount: 4, bufferCount: 4, bufferSize: 128, cacheSize: 0 };
const isCode = (code) => (err) => err instanceof IOReturnError && err.ioReturn === code;

function startHolder(pool, options) {
  return new Worker(here('./runtime-worker.mjs'), { workerData: { handle: pool.createHandle(), ...options } });
}

// A worker's attachment is released when the runtime tears down its Node-API environment. Node
// and Bun do that before the worker's 'exit' event and before terminate() resolves; Deno may do
// it later (terminate() resolves first). Until then reclaimPackets() refuses with
// kIOReturnNotPermitted ("still attached"): print that as a NOTE, wait up to 5 s, then reclaim.
async function reclaimDead(pool, threadId, held, when) {
  try {
    assert.equal(pool.reclaimPackets(threadId), held);
  } catch (err) {
    if (!isCode(kIOReturnNotPermitted)(err)) throw err;
    console.log(`NOTE reclaimPackets ${when}: ${err.message}`);
    const deadline = Date.now() + 5000;
    while (pool.getStatistics().deadThreads === 0 && Date.now() < deadline) await delay(20);
    assert.equal(pool.reclaimPackets(threadId), held);
  }
  assert.equal(pool.getStatistics().inUse, 0);
}

const checks = {
  // Create, allocate, write through the packet's Buffer view of the region, free, count.
  basic() {
    const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'rt-basic', small);
    const packet = pool.allocatePacket();
    packet.getBuffer().write('runtime', packet.getDataOffset());
    packet.setDataLength(7);
    assert.equal(packet.getData().toString(), 'runtime');
    pool.deallocatePacket(packet);
    assert.throws(() => pool.deallocatePacket(packet), isCode(kIOReturnNotPermitted));
    assert.equal(pool.getStatistics().inUse, 0);
    pool.release();
  },

  // One native call per batch, packets identified by index.
  batch() {
    const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'rt-batch', small);
    const packets = pool.allocatePackets(4);
    assert.equal(packets.length, 4);
    assert.equal(pool.allocatePacket(), null);
    pool.deallocatePackets(packets);
    const indices = new Uint32Array(4);
    assert.equal(pool.allocatePacketIndices(indices), 4);
    pool.deallocatePacketIndices(indices);
    assert.equal(pool.getFreePacketCount(), 4);
    pool.release();
  },

  // A native thread sleeps on the pool's futex and calls back into JavaScript
  // (a thread-safe function) when a packet is freed; an AbortSignal cancels a wait.
  async async() {
    const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'rt-async', small);
    const held = pool.allocatePackets(4);
    const waiting = pool.allocatePacketAsync();
    setTimeout(() => pool.deallocatePacket(held.pop()), 20);
    const packet = await waiting;
    assert.equal(pool.getStatistics().inUse, 4);
    const aborted = pool.allocatePacketAsync({ signal: AbortSignal.timeout(20) });
    await assert.rejects(aborted, isCode(kIOReturnAborted));
    pool.deallocatePackets([...held, packet]);
    pool.release();
  },

  // A worker thread attaches to the same pool from a handle, fills a packet and passes its index.
  async worker() {
    const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'rt-worker', small);
    const worker = startHolder(pool, { hold: 0 });
    const [index] = await once(worker, 'message');
    const packet = pool.newPacket({ fPacketIndex: index });
    assert.equal(packet.getData().toString(), 'from a worker');
    pool.deallocatePacket(packet);
    await once(worker, 'exit');
    assert.equal(pool.getStatistics().inUse, 0);
    pool.release();
  },

  // A worker that exits holding packets: its attachment is torn down with its environment (a
  // Node-API cleanup hook), so the pool counts it dead and reclaimPackets() takes the packets back.
  async reclaim() {
    const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'rt-reclaim', small);
    const worker = startHolder(pool, { hold: 2 });
    const threadId = worker.threadId; // reads -1 once the worker has exited
    await once(worker, 'message');
    await once(worker, 'exit');
    await reclaimDead(pool, threadId, 2, 'after its exit event');
    pool.release();
  },

  // The same for a worker terminated while it holds packets (and keeps its event loop busy).
  async terminate() {
    const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'rt-terminate', small);
    const worker = startHolder(pool, { hold: 3, stay: true });
    const threadId = worker.threadId;
    await once(worker, 'message');
    await worker.terminate();
    await reclaimDead(pool, threadId, 3, 'after terminate() resolved');
    pool.release();
  },

  // Another process (the same runtime) attaches to a shared (memfd) pool through an inherited fd.
  async process() {
    const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'rt-process', { ...small, shared: true });
    const handle = pool.createHandle();
    const [command, ...prefix] = childCommand;
    const child = spawn(command, [...prefix, here('./runtime-child.mjs').pathname, JSON.stringify(handle)], {
      stdio: ['ignore', 'pipe', 'inherit', handle.fd],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, `child exited with ${code}: ${out}`);
    const packet = pool.newPacket({ fPacketIndex: Number(out.trim()) });
    assert.equal(packet.getData().toString(), 'from a process');
    pool.deallocatePacket(packet);
    pool.release();
  },
};

const result = {};
for (const [name, check] of Object.entries(checks)) {
  try {
    await check();
    result[name] = 'pass';
    console.log(`PASS ${name}`);
  } catch (err) {
    result[name] = 'fail';
    console.log(`FAIL ${name}: ${err && err.message ? err.message.split('\n')[0] : String(err)}`);
  }
}
console.log(`RESULT ${JSON.stringify(result)}`);
process.exitCode = Object.values(result).every((r) => r === 'pass') ? 0 : 1;

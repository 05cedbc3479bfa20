/**
 * The raw-frame generator and capture tool on a RawEthernetInterface (run by index.ts inside its
 * network namespace; usable alone too):
 *
 *   node pool-tool.js gen IFNAME SECONDS SIZE [BACKEND]          send SIZE-byte frames for SECONDS
 *   node pool-tool.js capture IFNAME SECONDS [BACKEND] [PCAP]    receive until SECONDS pass or the
 *                                                                line goes quiet; the first 1000
 *                                                                frames go to PCAP if given
 *
 * Prints "ready" when the interface is open, then one JSON line: frames, seconds (a capture's from
 * its first frame to its last), cpuUs (this process's CPU), gcCount, the interface's info, and the
 * pool's free count after close. (pool-tool.js: this file as compiled into build-ts/examples/raw/.)
 */
import { PerformanceObserver } from 'node:perf_hooks';

import { IOUserNetworkPacketBufferPool, RawEthernetInterface, PcapWriter } from 'packet-buffer-pool';
import type { RawBackend } from 'packet-buffer-pool';

const [mode, ifname, secondsArg, ...rest] = process.argv.slice(2);
const seconds = Number(secondsArg);
const size = mode === 'gen' ? Number(rest[0]) : 0;
// index.ts checks the backend name; one given by hand goes to Open(), which refuses a bad one.
const backend = ((mode === 'gen' ? rest[1] : rest[0]) || 'auto') as RawBackend;
const pcapPath = mode === 'capture' ? rest[1] : undefined;
const PACKETS = 4096;
const BATCH = 64;
const PCAP_LIMIT = 1000;

let gcCount = 0;
new PerformanceObserver((list) => (gcCount += list.getEntries().length)).observe({ entryTypes: ['gc'] });

const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, `raw-${mode}`, {
  packetCount: PACKETS,
  bufferCount: PACKETS,
  bufferSize: 2048,
});
const iface = RawEthernetInterface.Open(pool, { interfaceName: ifname, backend });

const idle = new Uint32Array(PACKETS); // a stack of packets this thread holds and is not using
let idleTop = pool.allocatePacketIndices(idle);
const buffers: Buffer[] = [];
for (let i = 0; i < idleTop; i++) buffers[idle[i]] = pool.newPacket({ fPacketIndex: idle[i] }).getBuffer();
const out = new Uint32Array(2048);

function generate(): number {
  // Every frame: broadcast-free unicast to 02:..:02 from 02:..:01, EtherType 0x88B5, a sequence
  // number at byte 14. Written once per packet; only the sequence number changes per send.
  for (let i = 0; i < idleTop; i++) {
    const b = buffers[idle[i]];
    b.fill(0x02, 0, 12);
    b[5] = 0x02;
    b[11] = 0x01;
    b.writeUInt16BE(0x88b5, 12);
    pool.newPacket({ fPacketIndex: idle[i] }).setDataOffsetAndLength(0, size);
  }
  const batch = new Uint32Array(BATCH);
  let seq = 0;
  let completed = 0;
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < end) {
    for (let round = 0; round < 64; round++) {
      const c = iface.pollTxCompletionIndices(out);
      for (let i = 0; i < c; i++) idle[idleTop++] = out[i];
      completed += c;
      const want = Math.min(BATCH, idleTop);
      for (let i = 0; i < want; i++) {
        const p = idle[--idleTop];
        buffers[p].writeUInt32BE(seq++ >>> 0, 14);
        batch[i] = p;
      }
      const taken = iface.postTxPacketIndices(batch, want);
      for (let i = want - 1; i >= taken; i--) idle[idleTop++] = batch[i];
    }
  }
  // Let the last frames complete.
  for (let i = 0; i < 100 && iface.getCounters().held > 0; i++) {
    const c = iface.pollTxCompletionIndices(out);
    for (let k = 0; k < c; k++) idle[idleTop++] = out[k];
    completed += c;
  }
  return completed;
}

let lastFrame = 0n;
let activeSeconds = 0;

function capture(): number {
  const writer = pcapPath ? PcapWriter.open(pcapPath) : null;
  let frames = 0;
  let first = 0n;
  let post = iface.postRxPacketIndices(idle, idleTop);
  idle.copyWithin(0, post, idleTop);
  idleTop -= post;
  const end = Date.now() + seconds * 1000;
  let quietSince = 0;
  while (Date.now() < end) {
    const got = iface.pollRxPacketIndices(out);
    if (got === 0) {
      if (!iface.waitForFramesSync(100)) {
        if (frames > 0 && quietSince && Date.now() - quietSince > 300) break;
        quietSince ||= Date.now();
      }
      continue;
    }
    quietSince = 0;
    if (frames === 0) first = process.hrtime.bigint();
    lastFrame = process.hrtime.bigint();
    if (writer && writer.getPacketCount() < PCAP_LIMIT) {
      writer.writePacketIndices(pool, out, Math.min(got, PCAP_LIMIT - writer.getPacketCount()));
    }
    frames += got;
    post = iface.postRxPacketIndices(out, got);
    for (let i = post; i < got; i++) idle[idleTop++] = out[i];
  }
  writer?.close();
  activeSeconds = frames ? Number(lastFrame - first) / 1e9 : 0;
  return frames;
}

const info = iface.getInfo();
process.stdout.write('ready\n');
const c0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const frames = mode === 'gen' ? generate() : capture();
// A capture's rate counts from its first frame to its last, not the wait before the generator.
const elapsed = mode === 'gen' ? Number(process.hrtime.bigint() - t0) / 1e9 : activeSeconds;
const cpu = process.cpuUsage(c0);
iface.close();
pool.deallocatePacketIndices(idle, idleTop);
const free = pool.getFreePacketCount();
pool.release();
setImmediate(() => {
  process.stdout.write(
    `${JSON.stringify({ frames, seconds: elapsed, cpuUs: cpu.user + cpu.system, gcCount, info, free, total: PACKETS })}\n`,
  );
});

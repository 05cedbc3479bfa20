/**
 * A tour of the pool, the way a NIC driver's receive path uses it (`npm run tour`):
 *
 *   1. create an RX pool with the full DriverKit options object,
 *   2. "receive" bursts of frames: take packets in bursts, write a frame into each packet's buffer,
 *      then read every frame back through the pool's memory map (what a device would see),
 *   3. receive one jumbo frame that needs chained buffers,
 *   4. give packets back in batches, show exhaustion, and show a double free being refused,
 *   5. print what happened with the pool's statistics.
 *
 * It checks what it reads back and exits 1 if anything is wrong, so it doubles as a smoke test.
 * Bounded in time: the receive loop stops after ROUNDS bursts or TIME_LIMIT_MS, whichever first.
 */
import {
  IOUserNetworkPacketBufferPool,
  IOUserNetworkPacketDirection,
  IOReturnError,
  kIOReturnNotPermitted,
  kIOReturnBadArgument,
} from 'packet-buffer-pool';
import type { IOUserNetworkPacket, IOUserNetworkPacketBufferPoolOptions } from 'packet-buffer-pool';

const BURST = 32; // a typical NIC descriptor burst (DPDK's default rx burst)
const ROUNDS = 2000;
const TIME_LIMIT_MS = 2000;
const JUMBO_BYTES = 9000;
const ETH_HEADER = 14;

let problems = 0;
function check(ok: boolean, what: string): void {
  if (!ok) {
    problems += 1;
    console.error(`  !! ${what}`);
  }
}

/** A value the tour cannot go on without: reports its absence and exits 1. */
function need<T>(value: T | null, what: string): T {
  if (value !== null) return value;
  console.error(`  !! ${what}`);
  process.exit(1);
}

function hex(code: number): string {
  return `0x${(code >>> 0).toString(16)}`;
}

// ---- 1. create --------------------------------------------------------------------------------

const options = {
  packetCount: 1024,
  // 1024 packets each own a buffer; 256 more buffers are free for chaining (jumbo frames).
  bufferCount: 1024 + 256,
  bufferSize: 2048,
  // 5 x 2048 bytes holds a 9000-byte jumbo frame.
  maxBuffersPerPacket: 5,
  memorySegmentSize: 0,
  poolFlags: 0,
  dmaSpecification: { options: 0, maxAddressBits: 64 },
} satisfies IOUserNetworkPacketBufferPoolOptions;
const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'rx', options);
const md = pool.CopyMemoryDescriptor();
const map = md.createMapping();
const region = map.getBuffer();

console.log(
  `pool "${pool.getName()}": ${pool.getPacketCount()} packets, ${pool.getBufferCount()} buffers of ` +
    `${pool.getBufferSize()} bytes, ${options.maxBuffersPerPacket} buffers per packet at most`,
);
console.log(`memory: ${md.getLength()} bytes at 0x${map.getAddress().toString(16)} (one region, mapped once)`);

// ---- 2. receive bursts ------------------------------------------------------------------------

// Writes a minimal Ethernet + payload frame: broadcast destination, a fixed source, EtherType
// 0x88b5 (local experimental), then the sequence number and a byte pattern derived from it.
function writeFrame(buf: Buffer, offset: number, length: number, seq: number): void {
  buf.fill(0xff, offset, offset + 6);
  buf.writeUIntBE(0x02000000cafe, offset + 6, 6);
  buf.writeUInt16BE(0x88b5, offset + 12);
  buf.writeUInt32BE(seq, offset + ETH_HEADER);
  buf.fill(seq & 0xff, offset + ETH_HEADER + 4, offset + length);
}

// Reads the frame where a device would: at the packet's offset in the whole region.
function frameIsIntact(packet: IOUserNetworkPacket, seq: number): boolean {
  const at = packet.getMemorySegmentOffset() + packet.getDataOffset();
  const length = packet.getDataLength();
  if (region.readUInt16BE(at + 12) !== 0x88b5 || region.readUInt32BE(at + ETH_HEADER) !== seq) return false;
  const pattern = seq & 0xff;
  return region[at + ETH_HEADER + 4] === pattern && region[at + length - 1] === pattern;
}

const burst: IOUserNetworkPacket[] = [];
let seq = 0;
let bytes = 0;
let rounds = 0;
const started = process.hrtime.bigint();
const deadline = Date.now() + TIME_LIMIT_MS;
while (rounds < ROUNDS && Date.now() < deadline) {
  pool.allocatePackets(BURST, burst);
  for (let i = 0; i < burst.length; i++) {
    const packet = burst[i];
    const length = 60 + ((seq * 37) % 1400); // 60..1459 bytes, like mixed traffic
    packet.setDirection(IOUserNetworkPacketDirection.Rx);
    packet.setLinkHeaderLength(ETH_HEADER);
    packet.setDataOffsetAndLength(packet.getHeadroom(), length);
    packet.setTimestamp(process.hrtime.bigint());
    writeFrame(packet.getBuffer(), packet.getDataOffset(), length, seq);
    if (!frameIsIntact(packet, seq)) check(false, `frame ${seq} in packet ${packet.getPacketIndex()} reads back wrong`);
    seq += 1;
    bytes += length;
  }
  // The "stack" has consumed the burst: hand it all back in one call.
  pool.deallocatePackets(burst);
  rounds += 1;
}
const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
console.log(
  `received ${seq} frames (${(bytes / 1e6).toFixed(1)} MB) in ${rounds} bursts of ${BURST} in ` +
    `${elapsedMs.toFixed(0)} ms (${Math.round(seq / (elapsedMs / 1000)).toLocaleString('en-US')} frames/s), ` +
    'each read back through the memory map',
);

// ---- 3. a jumbo frame -------------------------------------------------------------------------

const jumbo = need(pool.allocatePacket(), 'no packet for the jumbo frame');
const segments = [jumbo.getBuffer()];
while (segments.length * pool.getBufferSize() < JUMBO_BYTES) {
  const extra = jumbo.addBuffer();
  check(extra !== null, 'addBuffer() returned null before the jumbo frame fit');
  if (extra === null) break;
  segments.push(extra);
}
jumbo.setDataOffsetAndLength(0, JUMBO_BYTES);
// Fill each chained buffer with its segment number, then read it back through getBufferAt(i).
segments.forEach((segment, i) => segment.fill(0xa0 + i));
for (let i = 0; i < jumbo.getBufferCount(); i++) {
  const segment = jumbo.getBufferAt(i);
  check(segment[0] === 0xa0 + i && segment[segment.length - 1] === 0xa0 + i, `jumbo segment ${i} reads back wrong`);
}
const freeBuffersWhileChained = pool.getStatistics().freeBuffers;
console.log(
  `jumbo frame: ${JUMBO_BYTES} bytes in ${jumbo.getBufferCount()} chained buffers ` +
    `(${freeBuffersWhileChained} chain buffers left free)`,
);
pool.deallocatePacket(jumbo); // returns the chained buffers too
check(
  pool.getStatistics().freeBuffers === options.bufferCount - options.packetCount,
  'chained buffers did not come back with the packet',
);

// ---- 4. exhaustion, double free, foreign object ------------------------------------------------

// Take everything: one big burst from the shared ring, then single packets (which also drain this
// thread's cache of free packets) until allocatePacket() says the pool is empty by returning null.
const all = pool.allocatePackets(pool.getPacketCount());
const fromBurst = all.length;
for (let packet = pool.allocatePacket(); packet !== null; packet = pool.allocatePacket()) all.push(packet);
console.log(
  `exhaustion: took all ${all.length} packets (${fromBurst} in one burst, ${all.length - fromBurst} ` +
    `one by one); the next allocatePacket() returned null, free count ${pool.getFreePacketCount()}`,
);
check(all.length === pool.getPacketCount(), `only ${all.length} packets could be taken`);
pool.deallocatePackets(all);

const once = need(pool.allocatePacket(), 'no packet for the double free');
pool.deallocatePacket(once);
try {
  pool.deallocatePacket(once);
  check(false, 'a double free was accepted');
} catch (err) {
  if (!(err instanceof IOReturnError)) throw err;
  check(err.code === 'kIOReturnNotPermitted' && err.ioReturn === kIOReturnNotPermitted, `double free threw ${err}`);
  console.log(`double free refused: ${err.code} (${hex(err.ioReturn)}): ${err.message}`);
}
try {
  // Deliberately not a packet (a descriptor-shaped plain object, as untyped JavaScript could
  // pass): the cast gets it past the compiler so the pool's own check can be seen refusing it.
  pool.deallocatePacket({ fPacketIndex: 0 } as unknown as IOUserNetworkPacket);
  check(false, 'a plain object was accepted as a packet');
} catch (err) {
  if (!(err instanceof IOReturnError)) throw err;
  check(err.code === 'kIOReturnBadArgument' && err.ioReturn === kIOReturnBadArgument, `foreign object threw ${err}`);
  console.log(`foreign object refused: ${err.code} (${hex(err.ioReturn)})`);
}

// ---- 5. statistics ----------------------------------------------------------------------------

const stats = pool.getStatistics();
console.log('statistics:');
for (const [key, value] of Object.entries(stats)) console.log(`  ${key.padEnd(18)} ${value}`);
check(stats.inUse === 0, `${stats.inUse} packets still in use at the end`);
check(stats.allocations === stats.deallocations, 'allocations and deallocations differ');
check(stats.failedAllocations >= 1, 'the empty allocatePacket() was not counted as failed');

md.release();
pool.release();
if (problems > 0) {
  console.error(`${problems} problem(s) found`);
  process.exit(1);
}
console.log('ok');

/**
 * UDP over loopback: packets per second, CPU per packet and GCs of a sender and a
 * receiver, each at 64, 512 and 1400 bytes of payload. One op = one datagram.
 *
 *   wire.udp.dgram-tx   node:dgram on a connected socket, one reused Buffer, up to 64 sends in
 *                       flight (a new send from each callback): today's best case.
 *   wire.udp.c-tx       native/bench/udp_gso_sender.c: sendmmsg of UDP GSO super-packets from
 *                       separate 2048-byte buffers, the technique of the pool's interface; the
 *                       reference. Its CPU is the C process's own.
 *   wire.udp.pool-tx    the pool's UDP interface, the same technique: 1024 packets allocated
 *                       once, each keeping its length; JavaScript takes the sent ones back off the
 *                       TX completion queue, stamps up to 512 idle ones (one DataView of the
 *                       region), enqueues them on the TX submission queue by index and calls
 *                       transmit() (connected socket, GSO on); eventDriven off, a busy sender.
 *   wire.udp.pool-tx-alloc  the allocating variant: packets in batches of 512 from
 *                       allocatePackets (objects), each one's length set and stamped through its
 *                       Buffer, EnqueuePackets, transmit(), sent packets straight back to the pool
 *                       (txCompleteToPool): what a pool round trip per packet adds.
 *   wire.udp.dgram-rx   a node:dgram socket counting 'message' events while the C sender blasts
 *                       GSO super-packets at it (it splits them: one message per datagram).
 *   wire.udp.pool-rx    the interface receiving with UDP_GRO on the event loop (its default): its
 *                       completion action dequeues the RX completion queue, counts the datagrams in each packet
 *                       (length / segment size) and puts the packets straight back on the RX
 *                       submission queue. One op = one datagram, as for dgram-rx. Receive
 *                       coalescing of 200 us (coalesceMicroseconds; PBP_BENCH_RX_COALESCE_US=0
 *                       for none): Node allocates in every event-loop iteration, so without it the
 *                       receiving thread GCs once per ~20k wake-ups (see README).
 *
 * Every datagram carries a 4-byte sequence number written just before it is sent (the C sender
 * does the same), so each sender does the same per-packet work. The tx scenarios send to a socket
 * nobody reads (bench/wire/peers.js): the receive path up to the full queue runs in the sender's
 * context on loopback, the same for every sender. The rx scenarios count what arrives; the sender
 * sends more than any receiver takes, so the receiver is the limit.
 */
import * as dgram from 'node:dgram';

import * as pbp from 'packet-buffer-pool';
import {
  IOUserNetworkPacketBufferPool,
  IOUserNetworkRxCompletionQueue,
  IOUserNetworkRxSubmissionQueue,
  IOUserNetworkTxCompletionQueue,
  IOUserNetworkTxSubmissionQueue,
  IOUserNetworkUDPInterface,
  type IOUserNetworkPacket,
} from 'packet-buffer-pool';

import { createPool, regionView } from '../fixtures';
import type { ScenarioDefinition } from '../scenario';
import { startBlaster, startRunSender, startSink } from '../wire/peers';

// A module-level binding, as the receive loop called it in JavaScript: an imported name would
// compile to a getter call on the package's exports at each packet.
const { getPacketSegmentSize } = pbp;

const SIZES = [64, 512, 1400];
const DGRAM_WINDOW = 64;
const RECEIVE_BUFFER = 4 << 20;
const RX_COALESCE_US = Number(process.env.PBP_BENCH_RX_COALESCE_US ?? 200);
const POOL_TX_BATCH = 512;
const POOL_TX_PACKETS = 1024;
const RX_PACKETS = 256; // 64 KB packets for GRO super-packets
// The zero-GC target needs >= 10M packets over the default 3 rounds: asked of the 512-byte runs.
const ZERO_GC_MIN_OPS_PER_ROUND = 3_400_000;

/**
 * The receive scenarios' finish line: `until(n)` resolves once `add()` has counted n more datagrams
 * (the receivers count in their own callbacks; a run is "n more datagrams arrived").
 */
function receiveCounter(): { add(datagrams: number): void; until(n: number): Promise<void> } {
  let received = 0;
  let target = Infinity;
  let wake: (() => void) | null = null;
  return {
    add(datagrams) {
      received += datagrams;
      if (received >= target) {
        target = Infinity;
        wake!();
      }
    },
    until(n) {
      return new Promise<void>((resolve) => {
        target = received + n;
        wake = resolve;
      });
    },
  };
}

function dgramTx(size: number): ScenarioDefinition {
  return {
    name: `wire.udp.dgram-tx.${size}`,
    async setup() {
      const sink = await startSink();
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.connect(sink.port, '127.0.0.1', resolve);
      });
      const buffer = Buffer.alloc(size, 0xab);
      let sequence = 0;
      return {
        run(n) {
          return new Promise<void>((resolve) => {
            let sent = 0;
            let done = 0;
            const onSent = () => {
              done++;
              if (sent < n) {
                buffer.writeUInt32LE(sequence++ >>> 0, 0);
                sent++;
                socket.send(buffer, 0, size, onSent);
              } else if (done === n) resolve();
            };
            for (; sent < Math.min(n, DGRAM_WINDOW); sent++) {
              buffer.writeUInt32LE(sequence++ >>> 0, 0);
              socket.send(buffer, 0, size, onSent);
            }
          });
        },
        async teardown() {
          socket.close();
          await sink.stop();
        },
      };
    },
  };
}

function cTx(size: number): ScenarioDefinition {
  return {
    name: `wire.udp.c-tx.${size}`,
    async setup() {
      const sink = await startSink();
      const sender = startRunSender({ port: sink.port, size, gso: true });
      let lastCpuMs = 0;
      return {
        async run(n) {
          const r = await sender.run(n);
          lastCpuMs = r.cpuNs / 1e6;
        },
        cpuMsOfLastRun: () => lastCpuMs,
        async teardown() {
          await sender.stop();
          await sink.stop();
        },
      };
    },
  };
}

function dgramRx(size: number): ScenarioDefinition {
  return {
    name: `wire.udp.dgram-rx.${size}`,
    async setup() {
      const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: RECEIVE_BUFFER });
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, '127.0.0.1', resolve);
      });
      const counter = receiveCounter();
      socket.on('message', () => counter.add(1));
      const sender = startBlaster({ port: socket.address().port, size, gso: true });
      return {
        run: (n) => counter.until(n),
        async teardown() {
          await sender.stop();
          socket.close();
        },
      };
    },
  };
}

function poolTx(size: number): ScenarioDefinition {
  return {
    name: `wire.udp.pool-tx.${size}`,
    minOps: size === 512 ? ZERO_GC_MIN_OPS_PER_ROUND : 0,
    async setup() {
      const sink = await startSink();
      // As many 2048-byte buffers as the C sender cycles through (1024): the same memory footprint.
      const pool = createPool(`wire-pool-tx-${size}`, { packetCount: POOL_TX_PACKETS, bufferCount: POOL_TX_PACKETS });
      const txs = IOUserNetworkTxSubmissionQueue.Create(pool, null, POOL_TX_PACKETS, 0);
      const txc = IOUserNetworkTxCompletionQueue.Create(pool, null, POOL_TX_PACKETS, 1);
      const iface = IOUserNetworkUDPInterface.Create(pool, {
        remoteAddress: '127.0.0.1',
        remotePort: sink.port,
        txSubmissionQueue: txs,
        txCompletionQueue: txc,
        eventDriven: false,
      });
      // Every packet is allocated once and keeps its length; the loop stamps and sends the idle
      // ones and takes them back off the TX completion queue, as the C sender reuses its buffers.
      const idle = new Uint32Array(POOL_TX_PACKETS); // a stack of this thread's idle packets
      let idleTop = pool.allocatePacketIndices(idle);
      // Where each packet's data starts in the region, for stamping through one DataView of the
      // whole region (a Buffer method per packet costs more than the rest of the loop).
      const dataAt = new Uint32Array(POOL_TX_PACKETS);
      for (let i = 0; i < idleTop; i++) {
        const p = pool.newPacket({ fPacketIndex: idle[i] });
        p.setDataLength(size);
        dataAt[idle[i]] = p.getMemorySegmentOffset() + p.getDataOffset();
      }
      const { region, memory } = regionView(pool);
      const batch = new Uint32Array(POOL_TX_BATCH);
      const completed = new Uint32Array(POOL_TX_PACKETS);
      let sequence = 0;
      return {
        run(n) {
          let sent = 0;
          let queued = 0;
          while (sent < n) {
            const c = txc.dequeuePacketIndices(completed);
            for (let i = 0; i < c; i++) idle[idleTop++] = completed[i];
            sent += c;
            let want = Math.min(POOL_TX_BATCH, idleTop, n - queued);
            for (let i = 0; i < want; i++) {
              const p = idle[--idleTop];
              region.setUint32(dataAt[p], sequence++ >>> 0, true);
              batch[i] = p;
            }
            want = txs.enqueuePacketIndices(batch, want);
            queued += want;
            iface.transmit();
          }
        },
        async teardown() {
          iface.close();
          for (let c; (c = txc.dequeuePacketIndices(completed)) > 0;) pool.deallocatePacketIndices(completed, c);
          pool.deallocatePacketIndices(idle, idleTop);
          txc.close();
          txs.close();
          memory.release();
          pool.release();
          await sink.stop();
        },
      };
    },
  };
}

function poolTxAlloc(size: number): ScenarioDefinition {
  return {
    name: `wire.udp.pool-tx-alloc.${size}`,
    async setup() {
      const sink = await startSink();
      // As many 2048-byte buffers as the C sender cycles through (1024): the same memory footprint.
      const pool = createPool(`wire-pool-tx-alloc-${size}`, {
        packetCount: POOL_TX_PACKETS,
        bufferCount: POOL_TX_PACKETS,
      });
      const txs = IOUserNetworkTxSubmissionQueue.Create(pool, null, POOL_TX_BATCH, 0);
      const iface = IOUserNetworkUDPInterface.Create(pool, {
        remoteAddress: '127.0.0.1',
        remotePort: sink.port,
        txSubmissionQueue: txs,
        txCompleteToPool: true,
        eventDriven: false,
      });
      const packets: IOUserNetworkPacket[] = [];
      let sequence = 0;
      return {
        run(n) {
          for (let left = n; left > 0;) {
            pool.allocatePackets(Math.min(POOL_TX_BATCH, left), packets);
            const got = packets.length;
            for (let i = 0; i < got; i++) {
              const p = packets[i];
              p.setDataLength(size);
              p.getBuffer().writeUInt32LE(sequence++ >>> 0, p.getDataOffset());
            }
            txs.EnqueuePackets(packets, got);
            for (let done = 0; done < got;) done += iface.transmit();
            left -= got;
          }
        },
        async teardown() {
          iface.close();
          txs.close();
          pool.release();
          await sink.stop();
        },
      };
    },
  };
}

function poolRx(size: number): ScenarioDefinition {
  return {
    name: `wire.udp.pool-rx.${size}`,
    minOps: size === 512 ? ZERO_GC_MIN_OPS_PER_ROUND : 0,
    async setup() {
      const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, `wire-pool-rx-${size}`, {
        packetCount: RX_PACKETS,
        bufferCount: RX_PACKETS,
        bufferSize: 65536,
        headroom: 0,
      });
      const rxs = IOUserNetworkRxSubmissionQueue.Create(pool, null, RX_PACKETS, 0);
      const rxc = IOUserNetworkRxCompletionQueue.Create(pool, null, RX_PACKETS, 1);
      const iface = IOUserNetworkUDPInterface.Create(pool, {
        localAddress: '127.0.0.1',
        rxSubmissionQueue: rxs,
        rxCompletionQueue: rxc,
        gro: true,
        receiveBufferSize: RECEIVE_BUFFER,
        coalesceMicroseconds: RX_COALESCE_US,
      });
      const empty = new Uint32Array(RX_PACKETS);
      rxs.enqueuePacketIndices(empty, pool.allocatePacketIndices(empty));
      const packets: IOUserNetworkPacket[] = [];
      const counter = receiveCounter();
      iface.setCompletionAction(() => {
        const got = rxc.DequeuePackets(packets, RX_PACKETS);
        let datagrams = 0;
        for (let i = 0; i < got; i++) {
          const p = packets[i];
          const segment = getPacketSegmentSize(p);
          datagrams += segment === 0 ? 1 : Math.ceil(p.getDataLength() / segment);
        }
        rxs.EnqueuePackets(packets, got);
        counter.add(datagrams);
      });
      const sender = startBlaster({ port: iface.getLocalAddress().port, size, gso: true });
      return {
        run: (n) => counter.until(n),
        async teardown() {
          await sender.stop();
          iface.setCompletionAction(null);
          iface.close();
          rxc.close();
          rxs.close();
          pool.release();
        },
      };
    },
  };
}

export const scenarios: ScenarioDefinition[] = SIZES.flatMap((size) => [
  dgramTx(size),
  poolTx(size),
  poolTxAlloc(size),
  cTx(size),
  dgramRx(size),
  poolRx(size),
]);

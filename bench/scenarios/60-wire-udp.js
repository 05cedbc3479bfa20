'use strict';
/**
 * UDP over loopback (issue 10): packets per second, CPU per packet and GCs of a sender and a
 * receiver, each at 64, 512 and 1400 bytes of payload. One op = one datagram.
 *
 *   wire.udp.dgram-tx   node:dgram on a connected socket, one reused Buffer, up to 64 sends in
 *                       flight (a new send from each callback): today's best case.
 *   wire.udp.c-tx       native/bench/udp_gso_sender.c: sendmmsg of UDP GSO super-packets from
 *                       separate 2048-byte buffers, the technique of the pool's interface; the
 *                       reference. Its CPU is the C process's own.
 *   wire.udp.dgram-rx   a node:dgram socket counting 'message' events while the C sender blasts
 *                       GSO super-packets at it (it splits them: one message per datagram).
 *
 * Every datagram carries a 4-byte sequence number written just before it is sent (the C sender
 * does the same), so each sender does the same per-packet work. The tx scenarios send to a socket
 * nobody reads (bench/wire/peers.js): the receive path up to the full queue runs in the sender's
 * context on loopback, the same for every sender. The rx scenarios count what arrives; the sender
 * sends more than any receiver takes, so the receiver is the limit.
 */
const dgram = require('node:dgram');

const { startSink, startRunSender, startBlaster } = require('../wire/peers');

const SIZES = [64, 512, 1400];
const DGRAM_WINDOW = 64;
const RECEIVE_BUFFER = 4 << 20;

function dgramTx(size) {
  return {
    name: `wire.udp.dgram-tx.${size}`,
    async setup() {
      const sink = await startSink();
      const socket = dgram.createSocket('udp4');
      await new Promise((resolve, reject) => {
        socket.once('error', reject);
        socket.connect(sink.port, '127.0.0.1', resolve);
      });
      const buffer = Buffer.alloc(size, 0xab);
      let sequence = 0;
      return {
        run(n) {
          return new Promise((resolve) => {
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

function cTx(size) {
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

function dgramRx(size) {
  return {
    name: `wire.udp.dgram-rx.${size}`,
    async setup() {
      const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: RECEIVE_BUFFER });
      await new Promise((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, '127.0.0.1', resolve);
      });
      let received = 0;
      let target = Infinity;
      let wake = null;
      socket.on('message', () => {
        if (++received >= target) {
          target = Infinity;
          wake();
        }
      });
      const sender = startBlaster({ port: socket.address().port, size, gso: true });
      return {
        run(n) {
          return new Promise((resolve) => {
            target = received + n;
            wake = resolve;
          });
        },
        async teardown() {
          await sender.stop();
          socket.close();
        },
      };
    },
  };
}

module.exports = SIZES.flatMap((size) => [dgramTx(size), cTx(size), dgramRx(size)]);

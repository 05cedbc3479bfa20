/**
 * The same generator and capture tool written with node:dgram (run by index.ts inside its
 * network namespace, over the same veth pair with IPv4 addresses on it): UDP datagrams whose
 * frames are as long as the raw tool's (SIZE - 42 bytes of payload), up to 64 sends in flight.
 *
 *   node dgram-tool.js gen SRC_IP DST_IP SECONDS SIZE
 *   node dgram-tool.js capture BIND_IP SECONDS
 *
 * (dgram-tool.js: this file as compiled into build-ts/examples/raw/.)
 */
import * as dgram from 'node:dgram';
import { PerformanceObserver } from 'node:perf_hooks';

const PORT = 9999;
const WINDOW = 64;
const [mode, ...args] = process.argv.slice(2);

let gcCount = 0;
new PerformanceObserver((list) => (gcCount += list.getEntries().length)).observe({ entryTypes: ['gc'] });

/** Prints the one JSON line; `seconds` defaults to the time since `t0`. */
function finish(frames: number, c0: NodeJS.CpuUsage, t0: bigint, seconds?: number): void {
  const cpu = process.cpuUsage(c0);
  const elapsed = seconds ?? Number(process.hrtime.bigint() - t0) / 1e9;
  setImmediate(() =>
    process.stdout.write(`${JSON.stringify({ frames, seconds: elapsed, cpuUs: cpu.user + cpu.system, gcCount })}\n`),
  );
}

if (mode === 'gen') {
  const [src, dst, secondsArg, sizeArg] = args;
  const payload = Buffer.alloc(Math.max(1, Number(sizeArg) - 42));
  const socket = dgram.createSocket('udp4');
  socket.bind(0, src, () => {
    socket.connect(PORT, dst, () => {
      process.stdout.write('ready\n');
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const end = Date.now() + Number(secondsArg) * 1000;
      let sent = 0;
      let inFlight = 0;
      let seq = 0;
      const onSent = () => {
        sent++;
        inFlight--;
        if (Date.now() < end) send();
        else if (inFlight === 0) {
          socket.close();
          finish(sent, c0, t0);
        }
      };
      const send = () => {
        payload.writeUInt32BE(seq++ >>> 0, 0);
        inFlight++;
        socket.send(payload, onSent);
      };
      for (let i = 0; i < WINDOW; i++) send();
    });
  });
} else {
  const [bindIp, secondsArg] = args;
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  let frames = 0;
  let first = 0n;
  let last = 0;
  let lastNs = 0n;
  // Both restart when the socket is bound, which is before any frame can arrive.
  let c0 = process.cpuUsage();
  let t0 = process.hrtime.bigint();
  socket.on('message', () => {
    if (frames++ === 0) first = process.hrtime.bigint();
    last = Date.now();
    lastNs = process.hrtime.bigint();
  });
  socket.bind(PORT, bindIp, () => {
    process.stdout.write('ready\n');
    c0 = process.cpuUsage();
    t0 = process.hrtime.bigint();
    const end = Date.now() + Number(secondsArg) * 1000;
    const timer = setInterval(() => {
      if (Date.now() > end || (frames > 0 && Date.now() - last > 300)) {
        clearInterval(timer);
        socket.close();
        // The rate counts from the first datagram to the last, not the wait before the generator.
        finish(frames, c0, t0, frames ? Number(lastNs - first) / 1e9 : 0);
      }
    }, 50);
  });
}

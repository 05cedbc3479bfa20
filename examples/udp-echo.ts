/**
 * A UDP echo reflector on the pool's UDP interface: datagrams are received straight into pool
 * packets and sent back from the very same packets, without a copy and without a Buffer per
 * datagram. A received packet's address record holds its source, which is where an unconnected
 * interface sends it: the reply needs no address work at all.
 *
 *   RX completion --(dequeue action)--> TX submission --(interface)--> TX completion
 *        ^                                                                  |
 *        +------ RX submission <--------(dequeue action)--------------------+
 *
 * Run (after `npm install`, which builds the package):
 *   npm run build:examples && node build-ts/examples/udp-echo.js 7007
 * then e.g. `socat - UDP:127.0.0.1:7007`. Options: [port] [--count N] (exit after N echoes).
 */
import {
  IOUserNetworkPacket,
  IOUserNetworkPacketBufferPool,
  IOUserNetworkRxCompletionQueue,
  IOUserNetworkRxSubmissionQueue,
  IOUserNetworkTxCompletionQueue,
  IOUserNetworkTxSubmissionQueue,
  IOUserNetworkUDPInterface,
} from 'packet-buffer-pool';

const args = process.argv.slice(2);
const countAt = args.indexOf('--count');
const limit = countAt >= 0 ? Number(args.splice(countAt, 2)[1]) : Infinity;
const port = Number(args[0] ?? 7007);
const PACKETS = 1024;

const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'udp-echo', {
  packetCount: PACKETS,
  bufferCount: PACKETS,
  bufferSize: 2048,
});
const rxSubmission = IOUserNetworkRxSubmissionQueue.Create(pool, null, PACKETS, 0);
const rxCompletion = IOUserNetworkRxCompletionQueue.Create(pool, null, PACKETS, 1);
const txSubmission = IOUserNetworkTxSubmissionQueue.Create(pool, null, PACKETS, 2);
const txCompletion = IOUserNetworkTxCompletionQueue.Create(pool, null, PACKETS, 3);
const iface = IOUserNetworkUDPInterface.Create(pool, {
  localAddress: '127.0.0.1',
  localPort: port,
  rxSubmissionQueue: rxSubmission,
  rxCompletionQueue: rxCompletion,
  txSubmissionQueue: txSubmission,
  txCompletionQueue: txCompletion,
});

// Every packet starts out empty, waiting for a datagram.
rxSubmission.EnqueuePackets(pool.allocatePackets(PACKETS));

const batch: IOUserNetworkPacket[] = []; // reused: no allocation per datagram
let echoed = 0;

rxCompletion.setDequeueAction((queue) => {
  const n = queue.DequeuePackets(batch);
  txSubmission.EnqueuePackets(batch, n); // same bytes, same buffer, back to where it came from
});

txCompletion.setDequeueAction((queue) => {
  const n = queue.DequeuePackets(batch);
  echoed += n;
  rxSubmission.EnqueuePackets(batch, n); // ready for the next datagram
  if (echoed >= limit) shutdown();
});

function shutdown(): void {
  const stats = iface.getStatistics();
  iface.close();
  for (const q of [rxSubmission, rxCompletion, txSubmission, txCompletion]) q.close();
  pool.release();
  const { rxPackets, txPackets, txErrors } = stats;
  console.log(JSON.stringify({ echoed, rxPackets, txPackets, txErrors }));
}

process.once('SIGINT', shutdown);
console.log(`echoing on 127.0.0.1:${iface.getLocalAddress().port}`);

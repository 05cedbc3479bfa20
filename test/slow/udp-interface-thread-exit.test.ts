/**
 * The thread that owns a UDP interface exits (worker.terminate()) while the interface holds
 * packets and more wait in its RX submission queue: every packet comes back exactly once, on the
 * RX completion queue with kIOReturnAborted, and the pool's accounting is exact afterwards.
 */
import { Worker } from 'node:worker_threads';

import {
  IOUserNetworkPacket,
  IOUserNetworkPacketBufferPool,
  IOUserNetworkRxCompletionQueue,
  IOUserNetworkRxSubmissionQueue,
  kIOReturnAborted,
} from '../../lib';

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const P = require(workerData.lib);
const pool = P.IOUserNetworkPacketBufferPool.attach(workerData.handle);
const rxs = P.IOUserNetworkRxSubmissionQueue.Open(pool, 0);
const rxc = P.IOUserNetworkRxCompletionQueue.Open(pool, 1);
const iface = P.IOUserNetworkUDPInterface.Create(pool, {
  localAddress: '127.0.0.1', rxSubmissionQueue: rxs, rxCompletionQueue: rxc,
});
iface.receive(); // takes the empty packets the main thread submitted: the interface holds them
parentPort.postMessage(iface.getStatistics().inFlight);
setInterval(() => {}, 1000); // stays alive until terminated
`;

it('hands every packet back when the owner thread is terminated', async () => {
  const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'udp-thread-exit', {
    packetCount: 256,
    bufferCount: 256,
    bufferSize: 2048,
  });
  try {
    const total = pool.getFreePacketCount();
    const rxs = IOUserNetworkRxSubmissionQueue.Create(pool, null, 256, 0);
    const rxc = IOUserNetworkRxCompletionQueue.Create(pool, null, 256, 1);
    const first = pool.allocatePackets(100);
    expect(rxs.EnqueuePackets(first)).toBe(100);
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { lib: require.resolve('../../dist'), handle: pool.createHandle() },
    });
    const inFlight = await new Promise<{ rxHeld: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(inFlight.rxHeld).toBe(100);
    // More empty packets after the interface took the first ones: they wait in the queue.
    expect(rxs.EnqueuePackets(pool.allocatePackets(30))).toBe(30);
    await worker.terminate();

    const back: IOUserNetworkPacket[] = [];
    rxc.DequeuePackets(back);
    expect(back.length).toBe(130);
    expect(new Set(back.map((p) => p.getPacketIndex())).size).toBe(130);
    for (const p of back) {
      expect(p.getCompletionStatus()).toBe(kIOReturnAborted);
      expect(p.getDataLength()).toBe(0);
    }
    expect(rxs.getCount()).toBe(0);
    pool.deallocatePackets(back);
    expect(pool.getFreePacketCount()).toBe(total);
  } finally {
    pool.release();
  }
}, 30_000);

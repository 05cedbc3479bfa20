// Worker of runtime-checks.mjs: attaches to the pool from workerData.handle and fills one packet.
// hold 0: hands the packet's index to the main thread and releases its attachment.
// hold N: takes N packets and exits without giving them back or releasing (a leaking thread);
// with stay, it keeps running until terminated.
import { parentPort, workerData } from 'node:worker_threads';
import { IOUserNetworkPacketBufferPool } from 'packet-buffer-pool';

const pool = IOUserNetworkPacketBufferPool.attach(workerData.handle);
if (workerData.hold > 0) {
  parentPort.postMessage(pool.allocatePackets(workerData.hold).length);
  if (workerData.stay) setInterval(() => undefined, 1000);
} else {
  const packet = pool.allocatePacket();
  packet.getBuffer().write('from a worker', packet.getDataOffset());
  packet.setDataLength(13);
  parentPort.postMessage(packet.handOver());
  pool.release();
}

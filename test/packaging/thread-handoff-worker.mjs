// Producer of thread-handoff.mjs: attaches to the pool, and for each sequence number allocates a
// packet (waiting for the consumer to free some when the pool runs dry), writes a 16-byte stamp
// through its Buffer, hands its index over (handOver) and appends it to the queue.
import { workerData } from 'node:worker_threads';
import { IOUserNetworkPacketBufferPool } from 'packet-buffer-pool';

const { handle, queue: q, producer, count, size } = workerData;
const pool = IOUserNetworkPacketBufferPool.attach(handle);
const pause = new Int32Array(new SharedArrayBuffer(4));
for (let seq = 0; seq < count; seq++) {
  let packet = pool.allocatePacket();
  while (packet === null) {
    Atomics.wait(pause, 0, 0, 1);
    packet = pool.allocatePacket();
  }
  const index = packet.handOver();
  const buffer = packet.getBuffer();
  const at = packet.getDataOffset();
  buffer.writeUInt32LE(producer, at);
  buffer.writeUInt32LE(seq, at + 4);
  buffer.writeUInt32LE((seq * 2654435761) >>> 0, at + 8);
  buffer.writeUInt32LE((index ^ seq) >>> 0, at + 12);
  packet.setDataLength(16);
  const tail = q[1];
  while (tail - Atomics.load(q, 0) >= size) Atomics.wait(pause, 0, 0, 1); // queue full
  q[2 + (tail & (size - 1))] = index;
  Atomics.store(q, 1, tail + 1); // release: the stamp, the metadata and the entry before the tail
}
// Until the consumer has taken every packet over, this thread is still their owner of record.
while (Atomics.load(q, 0) < count) Atomics.wait(pause, 0, 0, 1);
pool.release();

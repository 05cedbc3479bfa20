// Child process of runtime-checks.mjs: the shared pool's memfd arrives as fd 3; attach with that
// fd number, fill one packet and print its index for the parent.
import { IOUserNetworkPacketBufferPool } from 'packet-buffer-pool';

const handle = { ...JSON.parse(process.argv[2]), fd: 3 };
const pool = IOUserNetworkPacketBufferPool.attach(handle);
const packet = pool.allocatePacket();
packet.getBuffer().write('from a process', packet.getDataOffset());
packet.setDataLength(14);
console.log(packet.handOver());
pool.release();

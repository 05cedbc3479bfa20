/**
 * What the pool scenarios share: one way to make the pool, so every pool scenario measures the
 * same geometry (2048-byte buffers, the size the Buffer baselines allocate).
 */
import { IOUserNetworkPacketBufferPool, type IOUserNetworkPacketBufferPoolOptions } from 'packet-buffer-pool';

export const PACKET_COUNT = 4096;
export const BUFFER_SIZE = 2048;

/** A pool of PACKET_COUNT packets of BUFFER_SIZE bytes; `extra` overrides options (cacheSize). */
export function createPool(
  name: string,
  extra: Partial<IOUserNetworkPacketBufferPoolOptions> = {},
): IOUserNetworkPacketBufferPool {
  return IOUserNetworkPacketBufferPool.CreateWithOptions(null, name, {
    packetCount: PACKET_COUNT,
    bufferCount: PACKET_COUNT,
    bufferSize: BUFFER_SIZE,
    ...extra,
  });
}

/** 64 bytes of recognisable payload for the fill64 scenarios (allocated once, outside the loop). */
export const PAYLOAD64 = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 7 + 1) & 0xff));

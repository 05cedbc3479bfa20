/**
 * What the pool scenarios share: one way to make the pool, so every pool scenario measures the
 * same geometry (2048-byte buffers, the size the Buffer baselines allocate).
 */
import {
  IOUserNetworkPacketBufferPool,
  type IOMemoryDescriptor,
  type IOUserNetworkPacketBufferPoolOptions,
} from 'packet-buffer-pool';

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

/**
 * The pool's whole region as one DataView, for writing into packets at their region offsets
 * (`getMemorySegmentOffset()` + a data offset) without a Buffer method per packet: node's shared
 * buffer code goes through a megamorphic load. `memory` keeps the mapping: release it at teardown.
 */
export function regionView(pool: IOUserNetworkPacketBufferPool): { region: DataView; memory: IOMemoryDescriptor } {
  const memory = pool.CopyMemoryDescriptor();
  const mapping = memory.createMapping().getBuffer();
  return { region: new DataView(mapping.buffer, mapping.byteOffset, mapping.length), memory };
}

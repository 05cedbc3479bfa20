/** Direction of a packet (`IOUserNetworkPacketDirection`). */
export enum IOUserNetworkPacketDirection {
  /** Not set (fresh packets). */
  None = 0,
  /** Transmit. */
  Tx = 1,
  /** Receive. */
  Rx = 2,
}

/** `IONetworkPacketType`; the kernel value of `Network` is 1. */
export enum IONetworkPacketType {
  /** Network packets. */
  Network = 1,
}

/** Upstream pool flags (`IOUserNetworkPacketBufferPoolOptions.poolFlags`). */
export const PoolFlagSingleMemorySegment = 0x2;
/** Lock the pool's memory in RAM (`mlock`); creation fails with kIOReturnNoMemory if it cannot. */
export const PoolFlagPersistentMemory = 0x4;
/** Accepted for compatibility; no effect in user space. */
export const PoolFlagMapToDext = 0x10000000;
/** Accepted for compatibility; no effect in user space. */
export const PoolFlagMapToDevice = 0x20000000;

/** Option bit drivers pass to `allocatePacket`; allocation here never blocks anyway. */
export const kIOUserNetworkNonBlocking = 0x1;

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

// The upstream pool flags (PoolFlagSingleMemorySegment, ...) are generated from the layout table.
export * from './pool-flags';

/** Option bit drivers pass to `allocatePacket`; allocation here never blocks anyway. */
export const kIOUserNetworkNonBlocking = 0x1;

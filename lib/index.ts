/**
 * packet-buffer-pool: Apple NetworkingDriverKit's IOUserNetworkPacketBufferPool for Node.js.
 * @packageDocumentation
 */
export { IOReturnError, ioReturnName } from './io-return';
export * from './io-return-codes';
export * from './enums';
export { IOUserNetworkPacketBufferPool } from './pool';
export type {
  AllocatePacketAsyncOptions,
  IOUserNetworkPacketBufferPoolHandle,
  IOUserNetworkPacketBufferPoolStatistics,
} from './pool';
export type { IOUserNetworkPacketInUse } from './debug';
export { IOUserNetworkPacket } from './packet';
export type { IOUserNetworkPacketDescriptor, RxChecksumInfo } from './packet';
export { IOMemoryDescriptor, IOMemoryMap } from './memory';
export {
  IOUserNetworkPacketQueue,
  IOUserNetworkPacketQueueKind,
  IOUserNetworkRxCompletionQueue,
  IOUserNetworkRxSubmissionQueue,
  IOUserNetworkTxCompletionQueue,
  IOUserNetworkTxSubmissionQueue,
} from './queue';
export type { WaitForPacketsOptions } from './queue';
export type { IOAddressRange } from './memory';
export type { IOUserNetworkPacketBufferPoolOptions, IODMASpecification } from './options';
export { RawEthernetInterface } from './raw';
export type {
  RawBackend,
  RawEthernetInterfaceCounters,
  RawEthernetInterfaceInfo,
  RawEthernetInterfaceOptions,
  RawEthernetInterfaceQueues,
  RawXdpMode,
  RawZeroCopy,
} from './raw';
export { PcapWriter } from './pcap';
export type { PcapFormat, PcapWriterOptions } from './pcap';
export { IOUserNetworkUDPInterface } from './udp-interface';
export type {
  IOUserNetworkUDPInterfaceInFlight,
  IOUserNetworkUDPInterfaceEventLoop,
  IOUserNetworkUDPInterfaceOptions,
  IOUserNetworkUDPInterfaceStatistics,
} from './udp-interface';
export {
  clearPacketAddress,
  getPacketAddress,
  getPacketSegmentSize,
  parseIpAddress,
  setPacketAddress,
} from './packet-address';
export type { IOUserNetworkPacketAddress, IOUserNetworkParsedIpAddress } from './packet-address';

/**
 * Word indices of the packet metadata records and thread slots inside the region, mirrored from
 * native/core/layout.h. They are `const enum`s so tsc writes them into the hot path as literals
 * (imported plain consts compile to property loads on the module object, measured ~15% of
 * allocatePacket+deallocatePacket); `checkLayout` compares them with what the addon was compiled
 * with, once, at load time.
 */
import { fail, kIOReturnUnsupported } from './io-return';

export const LAYOUT_VERSION = 4;

/** uint32 word offsets inside a packet's 16-word metadata record. */
export const enum Meta {
  Words = 16,
  State = 0, // 0 = free, else the owner thread slot's tag, | State.Published once handed out
  DataOffset = 1,
  DataLength = 2,
  Headroom = 3,
  LinkHeaderLength = 4,
  Direction = 5,
  Flags = 6,
  BufferCount = 7,
  TimestampLo = 8, // uint64: lo word, then hi word
  VlanTag = 10,
  RxChecksumFlags = 11,
  RxChecksumValue = 12,
  ServiceClass = 13,
  CompletionStatus = 14,
  TraceId = 15,
}

/**
 * The published bit of Meta.State (meta::kStatePublished): set once the owner has handed the
 * packet's index out (handOver, publishPacketIndices). Only then may another thread claim or free it,
 * and everyone, the owner included, frees it with a compare-and-swap; an unpublished packet is
 * its owner's alone, freed with a plain check-and-store.
 */
export const enum State {
  Published = 0x80000000,
  /** meta::kStateQueued: the packet's index sits in a packet queue; only its consumer takes it. */
  Queued = 0x7fffffff,
}

/** uint32 word offsets inside a packet queue (native/core/layout.h, namespace queue). */
export const enum QueueWord {
  Head = 0, // producer's line
  Pending = 1, // head + the entries an enqueue is committing (for the repair after a thread dies)
  Tail = 32, // consumer's line
  State = 64,
  ConsumerWaiters = 67,
  DataSeq = 68,
  BadEntries = 69,
  Entries = 96,
}

/** Words per packet address record (native/core/layout.h, PacketAddress). */
export const enum AddressWord {
  Words = 8,
  FamilyPort = 0,
  Scope = 1,
  Addr = 2,
  Segment = 6,
}

/** Bits of Meta.Flags. The optional fields read as absent/0 unless their bit is set. */
export const enum Flag {
  Timestamp = 1 << 0,
  LinkBroadcast = 1 << 1,
  LinkMulticast = 1 << 2,
  Vlan = 1 << 3,
  RxChecksum = 1 << 4,
  ServiceClass = 1 << 5,
  CompletionStatus = 1 << 6,
  TraceId = 1 << 7,
}

/** Offsets inside a thread slot, from the slot's start, in float64 or uint32 units. */
export const enum Slot {
  AllocationsF64 = 8,
  DeallocationsF64 = 9,
  FailedAllocationsF64 = 10,
  CacheCountU32 = 22,
  CacheU32 = 32,
}

/** The values the addon must report in `binding.layout` (its names, this file's values). */
export const expectedNativeLayout: Readonly<Record<string, number>> = {
  version: LAYOUT_VERSION,
  metaWords: Meta.Words,
  metaState: Meta.State,
  metaStatePublished: State.Published,
  metaDataOffset: Meta.DataOffset,
  metaDataLength: Meta.DataLength,
  metaHeadroom: Meta.Headroom,
  metaLinkHeaderLength: Meta.LinkHeaderLength,
  metaDirection: Meta.Direction,
  metaFlags: Meta.Flags,
  metaBufferCount: Meta.BufferCount,
  metaTimestampLo: Meta.TimestampLo,
  metaVlanTag: Meta.VlanTag,
  metaRxChecksumFlags: Meta.RxChecksumFlags,
  metaRxChecksumValue: Meta.RxChecksumValue,
  metaServiceClass: Meta.ServiceClass,
  metaCompletionStatus: Meta.CompletionStatus,
  metaTraceId: Meta.TraceId,
  slotAllocationsF64: Slot.AllocationsF64,
  slotDeallocationsF64: Slot.DeallocationsF64,
  slotFailedAllocationsF64: Slot.FailedAllocationsF64,
  slotCacheCountU32: Slot.CacheCountU32,
  slotCacheU32: Slot.CacheU32,
  metaStateQueued: State.Queued,
  queueHeadU32: QueueWord.Head,
  queuePendingU32: QueueWord.Pending,
  queueTailU32: QueueWord.Tail,
  queueStateU32: QueueWord.State,
  queueConsumerWaitersU32: QueueWord.ConsumerWaiters,
  queueDataSeqU32: QueueWord.DataSeq,
  queueBadEntriesU32: QueueWord.BadEntries,
  queueEntriesU32: QueueWord.Entries,
  addressWords: AddressWord.Words,
};

/** Throws kIOReturnUnsupported if the addon's layout differs from this file's. */
export function checkLayout(native: Record<string, number>): void {
  for (const [key, value] of Object.entries(expectedNativeLayout)) {
    if (native[key] !== value) {
      fail(kIOReturnUnsupported, `native layout mismatch: ${key} is ${native[key]} in the addon, ${value} in lib`);
    }
  }
}

// GENERATED from native/core/layout.json by scripts/generate-layout.js. Do not edit: edit the table and
// run `npm run generate:layout`.
/**
 * Word indices, bits and codes of the region, from the table the C++ core is built from. They are
 * `const enum`s so tsc writes them into the hot path as literals (imported plain consts compile to
 * property loads on the module object, measured ~15% of allocatePacket+deallocatePacket);
 * `checkLayout` compares them with what the addon was compiled with, once, at load time.
 */
import { fail } from './io-return';
import * as poolFlag from './pool-flags';
import * as ioReturn from './io-return-codes';

export const LAYOUT_VERSION = 8;

/**
 * uint32 word offsets inside a packet's metadata record (one cache line per packet, so two threads
 * working on different packets never write the same line).
 */
export const enum Meta {
  Words = 16, // words per record
  State = 0, // 0 = free, otherwise the owner slot's tag [| State.Published], or State.Queued
  DataOffset = 1,
  DataLength = 2,
  Headroom = 3,
  LinkHeaderLength = 4,
  Direction = 5,
  Flags = 6, // Flag bits
  BufferCount = 7, // buffers in the chain, >= 1
  TimestampLo = 8, // uint64 nanoseconds: lo word (8-byte aligned), then hi word
  TimestampHi = 9,
  VlanTag = 10,
  RxChecksumFlags = 11,
  RxChecksumValue = 12,
  ServiceClass = 13,
  CompletionStatus = 14,
  TraceId = 15,
}

/**
 * Values of the packet record's State word besides 0 (free) and a bare owner tag. Published: set
 * once the owner has handed the packet's index out (handOver, publishPacketIndices); only then may
 * another thread claim or free it, and everyone, the owner included, frees it with a
 * compare-and-swap; an unpublished packet is its owner's alone, freed with a plain check-and-store.
 * Queued: the index sits in a packet queue; only the queue's consumer changes the word (to its own
 * tag), so a duplicated or forged entry finds another state and is refused. TagMask: the owner-tag
 * bits.
 */
export const enum State {
  Published = 0x80000000,
  TagMask = 0x7fffffff,
  Queued = 0x7fffffff, // the tag mask itself: never handed out as a slot tag
}

/**
 * Bits of the record's Flags word. The optional fields read as absent/0 unless their bit is set, so
 * allocation only clears the flags word instead of every field.
 */
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

/**
 * Offsets inside a thread slot, from the slot's start. Line 0 (control, uint32 words) is written by
 * the core when the slot is claimed or released; line 1 (hot: float64 counters exact to 2^53, then
 * the cache count) and the cache are written only by the owning thread.
 */
export const enum Slot {
  State = 0, // SlotState
  Tag = 1, // 1..2^31-1, in the State word of packets this slot holds
  ThreadId = 2, // Node worker threadId (0 = main thread)
  Pid = 3,
  AllocationsF64 = 8, // float64 index from the slot start
  DeallocationsF64 = 9,
  FailedAllocationsF64 = 10,
  CacheCountU32 = 22, // uint32 index from the slot start
  // nonzero while the owning thread is inside a core operation that moves free packets between its
  // hands and a shared free ring; a process that dies with it set breaks the pool (see pool.h
  // CoreOpMark); Ring::reservedMark while a ring reservation is copied and not yet published
  CoreOpU32 = 23,
  CoreOpHeadU32 = 24, // that reservation's first ring position (ring.h, the operation log)
  CoreOpCountU32 = 25, // that reservation's length
  CacheU32 = 32, // first cache entry, uint32 index from the slot start
}

/** Values of a thread slot's State word. */
export const enum SlotState {
  Free = 0,
  Live = 1,
  Dead = 2, // its thread is gone but packets tagged with it are still out
  Reclaiming = 3, // reclaim() is returning its packets
}

/**
 * uint32 word offsets inside a packet queue (a single-producer / single-consumer ring of packet
 * indices, DriverKit's IOUserNetworkPacketQueue): the producer's line, the consumer's line, the
 * descriptor line, then the entries.
 */
export const enum QueueWord {
  Head = 0, // producer line: next entry to write
  Tail = 32, // consumer line: next entry to read
  Desc = 64, // descriptor line
  State = 64, // QueueState
  Kind = 65, // QueueKind
  Capacity = 66, // a power of two
  ConsumerWaiters = 67, // threads sleeping for entries
  DataSeq = 68, // futex word they sleep on
  BadEntries = 69, // entries the consumer refused
  ProducerTag = 70, // slot tag of the producer end
  ConsumerTag = 71, // slot tag of the consumer end
  // producer only: head + the entries an enqueue is putting in (for the repair after a thread
  // dies); not on the head's line, which the consumer polls
  Pending = 72,
  Entries = 96, // first entry
}

/** Values of a packet queue's State word. */
export const enum QueueState {
  Free = 0,
  Active = 1,
  Changing = 2, // being created or destroyed
}

/**
 * uint32 word offsets inside a packet address record (struct PacketAddress: where a packet came
 * from or goes to, for interfaces that carry addresses), one per packet in a side table so the
 * metadata record stays one cache line.
 */
export const enum AddressWord {
  Words = 8, // words per record
  FamilyPort = 0, // family | port << 16 (little-endian)
  Scope = 1, // IPv6 scope id
  Addr = 2, // 16 bytes, network byte order; IPv4 in the first 4
  Segment = 6, // segmentSize | flags << 16
}

/** The fields of the C++ LayoutFields struct, as the addon's layoutInfo() reports them. */
export interface NativeLayoutFields {
  readonly packetCount: number;
  readonly bufferCount: number;
  readonly bufferSize: number;
  readonly bufferStride: number;
  readonly maxBuffersPerPacket: number;
  readonly headroom: number;
  readonly cacheSize: number;
  readonly maxThreads: number;
  readonly slotBytes: number;
  readonly packetRingCapacity: number;
  readonly bufferRingCapacity: number;
  readonly maxQueues: number;
  readonly queueCapacity: number;
  readonly queueBytes: number;
  readonly metaOffset: number;
  readonly chainOffset: number;
  readonly slotsOffset: number;
  readonly packetRingOffset: number;
  readonly bufferRingOffset: number;
  readonly queuesOffset: number;
  readonly addressesOffset: number;
  readonly buffersOffset: number;
  readonly totalBytes: number;
}

/** The values the addon must report in `binding.layout`, keyed "group.Name". */
export const expectedNativeLayout: Readonly<Record<string, number>> = {
  version: LAYOUT_VERSION,
  'meta.Words': Meta.Words,
  'meta.State': Meta.State,
  'meta.DataOffset': Meta.DataOffset,
  'meta.DataLength': Meta.DataLength,
  'meta.Headroom': Meta.Headroom,
  'meta.LinkHeaderLength': Meta.LinkHeaderLength,
  'meta.Direction': Meta.Direction,
  'meta.Flags': Meta.Flags,
  'meta.BufferCount': Meta.BufferCount,
  'meta.TimestampLo': Meta.TimestampLo,
  'meta.TimestampHi': Meta.TimestampHi,
  'meta.VlanTag': Meta.VlanTag,
  'meta.RxChecksumFlags': Meta.RxChecksumFlags,
  'meta.RxChecksumValue': Meta.RxChecksumValue,
  'meta.ServiceClass': Meta.ServiceClass,
  'meta.CompletionStatus': Meta.CompletionStatus,
  'meta.TraceId': Meta.TraceId,
  'state.Published': State.Published,
  'state.TagMask': State.TagMask,
  'state.Queued': State.Queued,
  'flag.Timestamp': Flag.Timestamp,
  'flag.LinkBroadcast': Flag.LinkBroadcast,
  'flag.LinkMulticast': Flag.LinkMulticast,
  'flag.Vlan': Flag.Vlan,
  'flag.RxChecksum': Flag.RxChecksum,
  'flag.ServiceClass': Flag.ServiceClass,
  'flag.CompletionStatus': Flag.CompletionStatus,
  'flag.TraceId': Flag.TraceId,
  'slot.State': Slot.State,
  'slot.Tag': Slot.Tag,
  'slot.ThreadId': Slot.ThreadId,
  'slot.Pid': Slot.Pid,
  'slot.AllocationsF64': Slot.AllocationsF64,
  'slot.DeallocationsF64': Slot.DeallocationsF64,
  'slot.FailedAllocationsF64': Slot.FailedAllocationsF64,
  'slot.CacheCountU32': Slot.CacheCountU32,
  'slot.CoreOpU32': Slot.CoreOpU32,
  'slot.CoreOpHeadU32': Slot.CoreOpHeadU32,
  'slot.CoreOpCountU32': Slot.CoreOpCountU32,
  'slot.CacheU32': Slot.CacheU32,
  'slotState.Free': SlotState.Free,
  'slotState.Live': SlotState.Live,
  'slotState.Dead': SlotState.Dead,
  'slotState.Reclaiming': SlotState.Reclaiming,
  'queue.Head': QueueWord.Head,
  'queue.Tail': QueueWord.Tail,
  'queue.Desc': QueueWord.Desc,
  'queue.State': QueueWord.State,
  'queue.Kind': QueueWord.Kind,
  'queue.Capacity': QueueWord.Capacity,
  'queue.ConsumerWaiters': QueueWord.ConsumerWaiters,
  'queue.DataSeq': QueueWord.DataSeq,
  'queue.BadEntries': QueueWord.BadEntries,
  'queue.ProducerTag': QueueWord.ProducerTag,
  'queue.ConsumerTag': QueueWord.ConsumerTag,
  'queue.Pending': QueueWord.Pending,
  'queue.Entries': QueueWord.Entries,
  'queueState.Free': QueueState.Free,
  'queueState.Active': QueueState.Active,
  'queueState.Changing': QueueState.Changing,
  'address.Words': AddressWord.Words,
  'address.FamilyPort': AddressWord.FamilyPort,
  'address.Scope': AddressWord.Scope,
  'address.Addr': AddressWord.Addr,
  'address.Segment': AddressWord.Segment,
  'poolFlag.SingleMemorySegment': poolFlag.PoolFlagSingleMemorySegment,
  'poolFlag.PersistentMemory': poolFlag.PoolFlagPersistentMemory,
  'poolFlag.MapToDext': poolFlag.PoolFlagMapToDext,
  'poolFlag.MapToDevice': poolFlag.PoolFlagMapToDevice,
  'ioReturn.Success': ioReturn.kIOReturnSuccess,
  'ioReturn.Error': ioReturn.kIOReturnError,
  'ioReturn.NoMemory': ioReturn.kIOReturnNoMemory,
  'ioReturn.NoResources': ioReturn.kIOReturnNoResources,
  'ioReturn.NoDevice': ioReturn.kIOReturnNoDevice,
  'ioReturn.NotPrivileged': ioReturn.kIOReturnNotPrivileged,
  'ioReturn.BadArgument': ioReturn.kIOReturnBadArgument,
  'ioReturn.NoSpace': ioReturn.kIOReturnNoSpace,
  'ioReturn.ExclusiveAccess': ioReturn.kIOReturnExclusiveAccess,
  'ioReturn.Unsupported': ioReturn.kIOReturnUnsupported,
  'ioReturn.IOError': ioReturn.kIOReturnIOError,
  'ioReturn.NotReady': ioReturn.kIOReturnNotReady,
  'ioReturn.NotAttached': ioReturn.kIOReturnNotAttached,
  'ioReturn.MessageTooLarge': ioReturn.kIOReturnMessageTooLarge,
  'ioReturn.NotPermitted': ioReturn.kIOReturnNotPermitted,
  'ioReturn.Overrun': ioReturn.kIOReturnOverrun,
  'ioReturn.Aborted': ioReturn.kIOReturnAborted,
  'ioReturn.NotFound': ioReturn.kIOReturnNotFound,
  'ioReturn.Offline': ioReturn.kIOReturnOffline,
  'ioReturn.NotResponding': ioReturn.kIOReturnNotResponding,
};

/** Throws kIOReturnUnsupported if the addon was built from another version of the layout table. */
export function checkLayout(native: Readonly<Record<string, number>>): void {
  const keys = new Set([...Object.keys(expectedNativeLayout), ...Object.keys(native)]);
  for (const key of keys) {
    if (native[key] !== expectedNativeLayout[key]) {
      fail(
        ioReturn.kIOReturnUnsupported,
        `native layout mismatch: ${key} is ${native[key]} in the addon, ${expectedNativeLayout[key]} in lib`,
      );
    }
  }
}

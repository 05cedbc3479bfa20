// GENERATED from native/core/layout.json by scripts/generate-layout.js. Do not edit: edit the table and
// run `npm run generate:layout`.
#pragma once

#include <cstddef>
#include <cstdint>

#include "io_return_codes.h"

namespace pbp {

// Layout versions: 2: meta::kStatePublished; 3: RegionHeader::identity; 4: packet queues, packet
// addresses; 5: the header holds LayoutFields as one block; 6: the rings' shared `broken` word
// (ring.h); 7: slot::kCoreOpU32, the in-core-operation mark; 8: RegionHeader::symmetricFences;
// freers fence lightly (asymmetric_fence.h).
constexpr uint32_t kLayoutVersion = 8;

// uint32 word offsets inside a packet's metadata record (one cache line per packet, so two threads
// working on different packets never write the same line).
namespace meta {
constexpr uint32_t kWords = 16u;  // words per record
// 0 = free, otherwise the owner slot's tag [| State.Published], or State.Queued
constexpr uint32_t kState = 0u;
constexpr uint32_t kDataOffset = 1u;
constexpr uint32_t kDataLength = 2u;
constexpr uint32_t kHeadroom = 3u;
constexpr uint32_t kLinkHeaderLength = 4u;
constexpr uint32_t kDirection = 5u;
constexpr uint32_t kFlags = 6u;        // Flag bits
constexpr uint32_t kBufferCount = 7u;  // buffers in the chain, >= 1
constexpr uint32_t kTimestampLo = 8u;  // uint64 nanoseconds: lo word (8-byte aligned), then hi word
constexpr uint32_t kTimestampHi = 9u;
constexpr uint32_t kVlanTag = 10u;
constexpr uint32_t kRxChecksumFlags = 11u;
constexpr uint32_t kRxChecksumValue = 12u;
constexpr uint32_t kServiceClass = 13u;
constexpr uint32_t kCompletionStatus = 14u;
constexpr uint32_t kTraceId = 15u;
}  // namespace meta

// Values of the packet record's State word besides 0 (free) and a bare owner tag. Published: set
// once the owner has handed the packet's index out (handOver, publishPacketIndices); only then may
// another thread claim or free it, and everyone, the owner included, frees it with a
// compare-and-swap; an unpublished packet is its owner's alone, freed with a plain check-and-store.
// Queued: the index sits in a packet queue; only the queue's consumer changes the word (to its own
// tag), so a duplicated or forged entry finds another state and is refused. TagMask: the owner-tag
// bits.
namespace meta {
constexpr uint32_t kStatePublished = 0x80000000u;
constexpr uint32_t kStateTagMask = 0x7fffffffu;
// the tag mask itself: never handed out as a slot tag
constexpr uint32_t kStateQueued = 0x7fffffffu;
}  // namespace meta

// Bits of the record's Flags word. The optional fields read as absent/0 unless their bit is set, so
// allocation only clears the flags word instead of every field.
namespace meta {
constexpr uint32_t kFlagTimestamp = 1u << 0;
constexpr uint32_t kFlagLinkBroadcast = 1u << 1;
constexpr uint32_t kFlagLinkMulticast = 1u << 2;
constexpr uint32_t kFlagVlan = 1u << 3;
constexpr uint32_t kFlagRxChecksum = 1u << 4;
constexpr uint32_t kFlagServiceClass = 1u << 5;
constexpr uint32_t kFlagCompletionStatus = 1u << 6;
constexpr uint32_t kFlagTraceId = 1u << 7;
}  // namespace meta

// Offsets inside a thread slot, from the slot's start. Line 0 (control, uint32 words) is written by
// the core when the slot is claimed or released; line 1 (hot: float64 counters exact to 2^53, then
// the cache count) and the cache are written only by the owning thread.
namespace slot {
constexpr uint32_t kState = 0u;     // SlotState
constexpr uint32_t kTag = 1u;       // 1..2^31-1, in the State word of packets this slot holds
constexpr uint32_t kThreadId = 2u;  // Node worker threadId (0 = main thread)
constexpr uint32_t kPid = 3u;
constexpr uint32_t kAllocationsF64 = 8u;  // float64 index from the slot start
constexpr uint32_t kDeallocationsF64 = 9u;
constexpr uint32_t kFailedAllocationsF64 = 10u;
constexpr uint32_t kCacheCountU32 = 22u;  // uint32 index from the slot start
// nonzero while the owning thread is inside a core operation that moves free packets between its
// hands and a shared free ring; a process that dies with it set breaks the pool (see pool.h
// CoreOpMark); Ring::reservedMark while a ring reservation is copied and not yet published
constexpr uint32_t kCoreOpU32 = 23u;
// that reservation's first ring position (ring.h, the operation log)
constexpr uint32_t kCoreOpHeadU32 = 24u;
constexpr uint32_t kCoreOpCountU32 = 25u;  // that reservation's length
constexpr uint32_t kCacheU32 = 32u;        // first cache entry, uint32 index from the slot start
}  // namespace slot

// Values of a thread slot's State word.
namespace slot {
constexpr uint32_t kFree = 0u;
constexpr uint32_t kLive = 1u;
constexpr uint32_t kDead = 2u;        // its thread is gone but packets tagged with it are still out
constexpr uint32_t kReclaiming = 3u;  // reclaim() is returning its packets
}  // namespace slot

// uint32 word offsets inside a packet queue (a single-producer / single-consumer ring of packet
// indices, DriverKit's IOUserNetworkPacketQueue): the producer's line, the consumer's line, the
// descriptor line, then the entries.
namespace queue {
constexpr uint32_t kHeadU32 = 0u;              // producer line: next entry to write
constexpr uint32_t kTailU32 = 32u;             // consumer line: next entry to read
constexpr uint32_t kDescU32 = 64u;             // descriptor line
constexpr uint32_t kStateU32 = 64u;            // QueueState
constexpr uint32_t kKindU32 = 65u;             // QueueKind
constexpr uint32_t kCapacityU32 = 66u;         // a power of two
constexpr uint32_t kConsumerWaitersU32 = 67u;  // threads sleeping for entries
constexpr uint32_t kDataSeqU32 = 68u;          // futex word they sleep on
constexpr uint32_t kBadEntriesU32 = 69u;       // entries the consumer refused
constexpr uint32_t kProducerTagU32 = 70u;      // slot tag of the producer end
constexpr uint32_t kConsumerTagU32 = 71u;      // slot tag of the consumer end
// producer only: head + the entries an enqueue is putting in (for the repair after a thread dies);
// not on the head's line, which the consumer polls
constexpr uint32_t kPendingU32 = 72u;
constexpr uint32_t kEntriesU32 = 96u;  // first entry
}  // namespace queue

// Values of a packet queue's State word.
namespace queue {
constexpr uint32_t kFree = 0u;
constexpr uint32_t kActive = 1u;
constexpr uint32_t kChanging = 2u;  // being created or destroyed
}  // namespace queue

// uint32 word offsets inside a packet address record (struct PacketAddress: where a packet came
// from or goes to, for interfaces that carry addresses), one per packet in a side table so the
// metadata record stays one cache line.
namespace address {
constexpr uint32_t kWords = 8u;          // words per record
constexpr uint32_t kFamilyPortU32 = 0u;  // family | port << 16 (little-endian)
constexpr uint32_t kScopeU32 = 1u;       // IPv6 scope id
constexpr uint32_t kAddrU32 = 2u;        // 16 bytes, network byte order; IPv4 in the first 4
constexpr uint32_t kSegmentU32 = 6u;     // segmentSize | flags << 16
}  // namespace address

// Upstream pool flags (IOUserNetworkPacketBufferPoolOptions.poolFlags).
// Upstream pool flag: the pool's memory is one segment (it always is here).
constexpr uint32_t kPoolFlagSingleMemorySegment = 0x2u;
// Lock the pool's memory in RAM (`mlock`); creation fails with kIOReturnNoMemory if it cannot.
constexpr uint32_t kPoolFlagPersistentMemory = 0x4u;
// Accepted for compatibility; no effect in user space.
constexpr uint32_t kPoolFlagMapToDext = 0x10000000u;
// Accepted for compatibility; no effect in user space.
constexpr uint32_t kPoolFlagMapToDevice = 0x20000000u;
constexpr uint32_t kKnownPoolFlags =
    kPoolFlagSingleMemorySegment | kPoolFlagPersistentMemory | kPoolFlagMapToDext | kPoolFlagMapToDevice;

// struct LayoutFields: what Layout::compute produces, what the region header stores as one block
// and Layout::fromHeader compares as one block, and what the addon's layoutInfo() reports. uint32
// fields first, an even number of them, so the uint64 fields need no padding.
#define PBP_LAYOUT_FIELDS(X)       \
  X(uint32_t, packetCount)         \
  X(uint32_t, bufferCount)         \
  X(uint32_t, bufferSize)          \
  X(uint32_t, bufferStride)        \
  X(uint32_t, maxBuffersPerPacket) \
  X(uint32_t, headroom)            \
  X(uint32_t, cacheSize)           \
  X(uint32_t, maxThreads)          \
  X(uint32_t, slotBytes)           \
  X(uint32_t, packetRingCapacity)  \
  X(uint32_t, bufferRingCapacity)  \
  X(uint32_t, maxQueues)           \
  X(uint32_t, queueCapacity)       \
  X(uint32_t, queueBytes)          \
  X(uint64_t, metaOffset)          \
  X(uint64_t, chainOffset)         \
  X(uint64_t, slotsOffset)         \
  X(uint64_t, packetRingOffset)    \
  X(uint64_t, bufferRingOffset)    \
  X(uint64_t, queuesOffset)        \
  X(uint64_t, addressesOffset)     \
  X(uint64_t, buffersOffset)       \
  X(uint64_t, totalBytes)          \
  /* end */
constexpr size_t kLayoutFieldsBytes = 128;

// Every value above by "group.Name": the addon exports them as `layout`, and lib/layout.ts
// compares them with its own (generated from the same table) once at load time, so a binary
// built from another version of the table is refused instead of misreading the region.
struct LayoutConstant {
  const char* key;
  uint32_t value;
};
inline constexpr LayoutConstant kLayoutConstants[] = {
    {"version", kLayoutVersion},
    {"meta.Words", meta::kWords},
    {"meta.State", meta::kState},
    {"meta.DataOffset", meta::kDataOffset},
    {"meta.DataLength", meta::kDataLength},
    {"meta.Headroom", meta::kHeadroom},
    {"meta.LinkHeaderLength", meta::kLinkHeaderLength},
    {"meta.Direction", meta::kDirection},
    {"meta.Flags", meta::kFlags},
    {"meta.BufferCount", meta::kBufferCount},
    {"meta.TimestampLo", meta::kTimestampLo},
    {"meta.TimestampHi", meta::kTimestampHi},
    {"meta.VlanTag", meta::kVlanTag},
    {"meta.RxChecksumFlags", meta::kRxChecksumFlags},
    {"meta.RxChecksumValue", meta::kRxChecksumValue},
    {"meta.ServiceClass", meta::kServiceClass},
    {"meta.CompletionStatus", meta::kCompletionStatus},
    {"meta.TraceId", meta::kTraceId},
    {"state.Published", meta::kStatePublished},
    {"state.TagMask", meta::kStateTagMask},
    {"state.Queued", meta::kStateQueued},
    {"flag.Timestamp", meta::kFlagTimestamp},
    {"flag.LinkBroadcast", meta::kFlagLinkBroadcast},
    {"flag.LinkMulticast", meta::kFlagLinkMulticast},
    {"flag.Vlan", meta::kFlagVlan},
    {"flag.RxChecksum", meta::kFlagRxChecksum},
    {"flag.ServiceClass", meta::kFlagServiceClass},
    {"flag.CompletionStatus", meta::kFlagCompletionStatus},
    {"flag.TraceId", meta::kFlagTraceId},
    {"slot.State", slot::kState},
    {"slot.Tag", slot::kTag},
    {"slot.ThreadId", slot::kThreadId},
    {"slot.Pid", slot::kPid},
    {"slot.AllocationsF64", slot::kAllocationsF64},
    {"slot.DeallocationsF64", slot::kDeallocationsF64},
    {"slot.FailedAllocationsF64", slot::kFailedAllocationsF64},
    {"slot.CacheCountU32", slot::kCacheCountU32},
    {"slot.CoreOpU32", slot::kCoreOpU32},
    {"slot.CoreOpHeadU32", slot::kCoreOpHeadU32},
    {"slot.CoreOpCountU32", slot::kCoreOpCountU32},
    {"slot.CacheU32", slot::kCacheU32},
    {"slotState.Free", slot::kFree},
    {"slotState.Live", slot::kLive},
    {"slotState.Dead", slot::kDead},
    {"slotState.Reclaiming", slot::kReclaiming},
    {"queue.Head", queue::kHeadU32},
    {"queue.Tail", queue::kTailU32},
    {"queue.Desc", queue::kDescU32},
    {"queue.State", queue::kStateU32},
    {"queue.Kind", queue::kKindU32},
    {"queue.Capacity", queue::kCapacityU32},
    {"queue.ConsumerWaiters", queue::kConsumerWaitersU32},
    {"queue.DataSeq", queue::kDataSeqU32},
    {"queue.BadEntries", queue::kBadEntriesU32},
    {"queue.ProducerTag", queue::kProducerTagU32},
    {"queue.ConsumerTag", queue::kConsumerTagU32},
    {"queue.Pending", queue::kPendingU32},
    {"queue.Entries", queue::kEntriesU32},
    {"queueState.Free", queue::kFree},
    {"queueState.Active", queue::kActive},
    {"queueState.Changing", queue::kChanging},
    {"address.Words", address::kWords},
    {"address.FamilyPort", address::kFamilyPortU32},
    {"address.Scope", address::kScopeU32},
    {"address.Addr", address::kAddrU32},
    {"address.Segment", address::kSegmentU32},
    {"poolFlag.SingleMemorySegment", kPoolFlagSingleMemorySegment},
    {"poolFlag.PersistentMemory", kPoolFlagPersistentMemory},
    {"poolFlag.MapToDext", kPoolFlagMapToDext},
    {"poolFlag.MapToDevice", kPoolFlagMapToDevice},
    {"ioReturn.Success", uint32_t(IOReturn::Success)},
    {"ioReturn.Error", uint32_t(IOReturn::Error)},
    {"ioReturn.NoMemory", uint32_t(IOReturn::NoMemory)},
    {"ioReturn.NoResources", uint32_t(IOReturn::NoResources)},
    {"ioReturn.NoDevice", uint32_t(IOReturn::NoDevice)},
    {"ioReturn.NotPrivileged", uint32_t(IOReturn::NotPrivileged)},
    {"ioReturn.BadArgument", uint32_t(IOReturn::BadArgument)},
    {"ioReturn.NoSpace", uint32_t(IOReturn::NoSpace)},
    {"ioReturn.ExclusiveAccess", uint32_t(IOReturn::ExclusiveAccess)},
    {"ioReturn.Unsupported", uint32_t(IOReturn::Unsupported)},
    {"ioReturn.IOError", uint32_t(IOReturn::IOError)},
    {"ioReturn.NotReady", uint32_t(IOReturn::NotReady)},
    {"ioReturn.NotAttached", uint32_t(IOReturn::NotAttached)},
    {"ioReturn.MessageTooLarge", uint32_t(IOReturn::MessageTooLarge)},
    {"ioReturn.NotPermitted", uint32_t(IOReturn::NotPermitted)},
    {"ioReturn.Overrun", uint32_t(IOReturn::Overrun)},
    {"ioReturn.Aborted", uint32_t(IOReturn::Aborted)},
    {"ioReturn.NotFound", uint32_t(IOReturn::NotFound)},
    {"ioReturn.Offline", uint32_t(IOReturn::Offline)},
    {"ioReturn.NotResponding", uint32_t(IOReturn::NotResponding)},
};

}  // namespace pbp

// Where everything lives inside a pool region. The region holds only offsets and indices, never
// pointers, so any thread or process that maps it can use it as-is:
//
//   [ header | packet metadata | chain table | thread slots | free-packet ring | free-buffer ring
//     | packet queues | packet addresses | buffers ... ]
//
// JavaScript reads and writes the metadata and thread slots through typed arrays over the same
// bytes, so the word indices below are mirrored in lib/layout.ts (the addon exports these values
// and lib/ checks them at load time).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "cpu_relax.h"
#include "io_return.h"

namespace pbp {

constexpr uint32_t kRegionMagic = 0x4C504250;  // "PBPL"
// 2: meta::kStatePublished; 3: RegionHeader::identity; 4: packet queues, packet addresses
constexpr uint32_t kLayoutVersion = 4;
constexpr uint32_t kMaxNameBytes = 1023;       // DriverKit's name[1024] with its terminator
constexpr uint32_t kMaxBufferSize = 65536;     // buffer offsets/lengths are uint16 upstream
constexpr uint32_t kMaxHeadroom = 255;         // uint8 upstream
constexpr uint32_t kMaxThreadSlots = 1024;
constexpr uint32_t kMaxCacheSize = 4096;
constexpr uint64_t kMaxRegionBytes = 1ull << 32;  // one ArrayBuffer per thread must cover it
constexpr uint32_t kMaxQueues = 256;
constexpr uint32_t kDefaultMaxQueues = 8;
constexpr uint32_t kMaxQueueCapacity = 1u << 24;

// Upstream pool flags.
constexpr uint32_t kPoolFlagSingleMemorySegment = 0x2;
constexpr uint32_t kPoolFlagPersistentMemory = 0x4;
constexpr uint32_t kPoolFlagMapToDext = 0x10000000;
constexpr uint32_t kPoolFlagMapToDevice = 0x20000000;
constexpr uint32_t kKnownPoolFlags =
    kPoolFlagSingleMemorySegment | kPoolFlagPersistentMemory | kPoolFlagMapToDext | kPoolFlagMapToDevice;

// Packet metadata record: 16 uint32 words = one cache line per packet, so two threads working
// on different packets never write the same line.
namespace meta {
constexpr uint32_t kWords = 16;
constexpr uint32_t kState = 0;             // 0 = free, otherwise owner tag [| kStatePublished]
constexpr uint32_t kDataOffset = 1;
constexpr uint32_t kDataLength = 2;
constexpr uint32_t kHeadroom = 3;
constexpr uint32_t kLinkHeaderLength = 4;
constexpr uint32_t kDirection = 5;
constexpr uint32_t kFlags = 6;             // see flag bits below
constexpr uint32_t kBufferCount = 7;       // buffers in the chain, >= 1
constexpr uint32_t kTimestampLo = 8;       // uint64 nanoseconds, 8-byte aligned
constexpr uint32_t kTimestampHi = 9;
constexpr uint32_t kVlanTag = 10;
constexpr uint32_t kRxChecksumFlags = 11;
constexpr uint32_t kRxChecksumValue = 12;
constexpr uint32_t kServiceClass = 13;
constexpr uint32_t kCompletionStatus = 14;
constexpr uint32_t kTraceId = 15;

constexpr uint32_t kFlagTimestamp = 1u << 0;
constexpr uint32_t kFlagLinkBroadcast = 1u << 1;
constexpr uint32_t kFlagLinkMulticast = 1u << 2;
constexpr uint32_t kFlagVlan = 1u << 3;
// The optional fields below read as 0 unless their flag is set, so allocation only has to clear
// the flags word instead of every field.
constexpr uint32_t kFlagRxChecksum = 1u << 4;
constexpr uint32_t kFlagServiceClass = 1u << 5;
constexpr uint32_t kFlagCompletionStatus = 1u << 6;
constexpr uint32_t kFlagTraceId = 1u << 7;

// kState of a held packet is its owner slot's tag (below 2^31), plus kStatePublished once the
// owner has handed its index out (handOver, publishPacketIndices): only then may another
// thread take it over or free it. The rule lets the owner free an unpublished packet with a plain
// check-and-store: nobody else may change that word, so no race can make two frees succeed. A
// published packet is freed or claimed with a CAS by everyone, its owner included.
constexpr uint32_t kStatePublished = 1u << 31;
constexpr uint32_t kStateTagMask = kStatePublished - 1;
// kState of a packet whose index sits in a packet queue: it belongs to the queue, not to a
// thread. Never handed out as a slot tag. Only the queue's consumer changes it (to its own tag),
// so a duplicated or forged queue entry finds some other state and is refused, never taken twice.
constexpr uint32_t kStateQueued = kStateTagMask;
}  // namespace meta

// Per-thread slot. Line 0 is written by the core when the slot is claimed or released; line 1
// and the cache are written only by the owning thread (its JS hot path or its native calls).
namespace slot {
constexpr uint32_t kControlBytes = kCacheLine;
constexpr uint32_t kHotBytes = kCacheLine;
// control line, uint32 words
constexpr uint32_t kState = 0;       // kFree / kLive / kDead
constexpr uint32_t kTag = 1;         // 1..2^31-1, in meta::kState of packets this slot holds
constexpr uint32_t kThreadId = 2;    // Node worker threadId (0 = main thread)
constexpr uint32_t kPid = 3;
// hot line: float64 counters (exact to 2^53), then the cache count
constexpr uint32_t kAllocationsF64 = 8;         // float64 index from the slot start
constexpr uint32_t kDeallocationsF64 = 9;
constexpr uint32_t kFailedAllocationsF64 = 10;
constexpr uint32_t kCacheCountU32 = 22;         // uint32 index from the slot start
constexpr uint32_t kCacheU32 = 32;              // first cache entry, uint32 index from the slot start

constexpr uint32_t kFree = 0;
constexpr uint32_t kLive = 1;
constexpr uint32_t kDead = 2;  // its thread is gone but packets tagged with it are still out
constexpr uint32_t kReclaiming = 3;  // reclaim() is returning its packets
}  // namespace slot

// A packet queue: a single-producer / single-consumer ring of packet indices (DriverKit's
// IOUserNetworkPacketQueue; AF_XDP's rings are the same shape). Three lines of control, then the
// entries. Word indices from the queue's start.
namespace queue {
constexpr uint32_t kControlBytes = 3 * kFalseSharingRange;
constexpr uint32_t kHeadU32 = 0;                                 // producer line: next entry to write
constexpr uint32_t kPendingU32 = 1;                              //   head + entries an enqueue is committing
constexpr uint32_t kTailU32 = kFalseSharingRange / 4;            // consumer line: next entry to read
constexpr uint32_t kDescU32 = 2 * kFalseSharingRange / 4;        // descriptor line:
constexpr uint32_t kStateU32 = kDescU32 + 0;                     //   kFree / kActive
constexpr uint32_t kKindU32 = kDescU32 + 1;                      //   QueueKind
constexpr uint32_t kCapacityU32 = kDescU32 + 2;                  //   power of two
constexpr uint32_t kConsumerWaitersU32 = kDescU32 + 3;           //   threads sleeping for entries
constexpr uint32_t kDataSeqU32 = kDescU32 + 4;                   //   futex word they sleep on
constexpr uint32_t kBadEntriesU32 = kDescU32 + 5;                //   entries the consumer refused
constexpr uint32_t kProducerTagU32 = kDescU32 + 6;               //   slot tag of the producer end
constexpr uint32_t kConsumerTagU32 = kDescU32 + 7;               //   slot tag of the consumer end
constexpr uint32_t kEntriesU32 = kControlBytes / 4;              // first entry

constexpr uint32_t kFree = 0;
constexpr uint32_t kActive = 1;
constexpr uint32_t kChanging = 2;  // being created or destroyed
}  // namespace queue

// Where a packet came from (RX) or goes to (TX), for interfaces that carry addresses (UDP). One
// record per packet in a side table, so the 64-byte metadata record stays one cache line.
struct PacketAddress {
  uint16_t family;       // 0 = none, 4 = IPv4, 6 = IPv6
  uint16_t port;         // host byte order
  uint32_t scopeId;      // IPv6 scope
  uint8_t addr[16];      // network byte order; IPv4 in the first 4 bytes
  uint16_t segmentSize;  // TX: GSO segment size to use; RX: GRO segment size seen (0 = none)
  uint16_t flags;
  uint32_t reserved;
};
static_assert(sizeof(PacketAddress) == 32, "the JS side reads the address record as 8 words");
namespace address {
constexpr uint32_t kWords = 8;
constexpr uint32_t kFamilyPortU32 = 0;   // family | port << 16 (little-endian)
constexpr uint32_t kScopeU32 = 1;
constexpr uint32_t kAddrU32 = 2;
constexpr uint32_t kSegmentU32 = 6;      // segmentSize | flags << 16
}  // namespace address

struct PoolOptions {
  std::string name;
  uint32_t packetCount = 0;
  uint32_t bufferCount = 0;
  uint32_t bufferSize = 0;
  uint32_t maxBuffersPerPacket = 1;
  uint32_t headroom = 0;
  uint32_t cacheSize = 0;
  uint32_t maxThreads = 64;
  uint32_t poolFlags = 0;
  uint32_t maxQueues = kDefaultMaxQueues;
  uint32_t queueCapacity = 0;  // 0 = the next power of two >= packetCount
  bool shared = false;  // memfd-backed, attachable from other processes
};

// The header at offset 0 of every region.
struct alignas(kFalseSharingRange) RegionHeader {
  uint32_t magic;
  uint32_t version;
  uint32_t packetCount;
  uint32_t bufferCount;
  uint32_t bufferSize;
  uint32_t bufferStride;
  uint32_t maxBuffersPerPacket;
  uint32_t headroom;
  uint32_t cacheSize;
  uint32_t maxThreads;
  uint32_t poolFlags;
  uint32_t slotBytes;
  uint64_t totalBytes;
  uint64_t metaOffset;
  uint64_t chainOffset;
  uint64_t slotsOffset;
  uint64_t packetRingOffset;
  uint64_t bufferRingOffset;
  uint64_t buffersOffset;
  // Random, nonzero, set once at creation. A handle carries it and attach() checks it, so a stale
  // handle (its pool released, its fd number reused by another pool) cannot attach elsewhere.
  uint64_t identity;
  uint32_t maxQueues;
  uint32_t queueCapacity;
  uint64_t queuesOffset;
  uint64_t addressesOffset;
  char name[kMaxNameBytes + 1];

  // Tags handed to thread slots; not reused before 2^31 claims, so a packet held by a thread that
  // died is never mistaken for one held by the thread that later reuses its slot.
  alignas(kFalseSharingRange) std::atomic<uint32_t> nextTag;
  // Counters of slots that were released, folded in so totals survive threads coming and going.
  alignas(kFalseSharingRange) std::atomic<uint64_t> retiredAllocations;
  std::atomic<uint64_t> retiredDeallocations;
  std::atomic<uint64_t> retiredFailedAllocations;
  std::atomic<uint64_t> reclaimedPackets;
  // Peak number of packets outside the free ring (in use plus parked in thread caches).
  alignas(kFalseSharingRange) std::atomic<uint32_t> outOfRingPeak;
  // Threads (of any process) sleeping until a packet is freed, and the futex word they sleep on.
  // Read on every deallocation (JS reads `waiters` through the region view), written only when a
  // thread starts or stops waiting, so the line stays shared in every core's cache.
  alignas(kFalseSharingRange) std::atomic<uint32_t> waiters;
  uint32_t freeSequence;  // futex word: bumped after packets reach the ring while waiters > 0
};

struct Layout {
  uint32_t packetCount = 0;
  uint32_t bufferCount = 0;
  uint32_t bufferSize = 0;
  uint32_t bufferStride = 0;
  uint32_t maxBuffersPerPacket = 1;
  uint32_t headroom = 0;
  uint32_t cacheSize = 0;
  uint32_t maxThreads = 0;
  uint32_t slotBytes = 0;
  uint32_t packetRingCapacity = 0;
  uint32_t bufferRingCapacity = 0;
  uint32_t maxQueues = 0;
  uint32_t queueCapacity = 0;
  uint32_t queueBytes = 0;  // one queue's control + entries
  uint64_t metaOffset = 0;
  uint64_t chainOffset = 0;
  uint64_t slotsOffset = 0;
  uint64_t packetRingOffset = 0;
  uint64_t bufferRingOffset = 0;
  uint64_t queuesOffset = 0;
  uint64_t addressesOffset = 0;
  uint64_t buffersOffset = 0;
  uint64_t totalBytes = 0;

  uint32_t extraBufferCount() const { return bufferCount - packetCount; }
  uint32_t chainSlotsPerPacket() const { return maxBuffersPerPacket - 1; }

  // Validates options and computes every offset, in 64-bit arithmetic with overflow checks.
  static Status compute(const PoolOptions& options, Layout& out);
  // Rebuilds the layout from a header found in an existing region (another process's pool).
  static Status fromHeader(const RegionHeader& header, uint64_t mappedBytes, Layout& out);
};

}  // namespace pbp

// Where everything lives inside a pool region. The region holds only offsets and indices, never
// pointers, so any thread or process that maps it can use it as-is:
//
//   [ header | packet metadata | chain table | thread slots | free-packet ring | free-buffer ring
//     | packet queues | packet addresses | buffers ... ]
//
// JavaScript reads and writes the metadata, thread slots and queues through typed arrays over the
// same bytes. The word indices both sides use come from one table, layout.json, which
// scripts/generate-layout.js turns into layout_table.h and lib/layout.ts; the addon exports the
// values it was built with and lib/ compares them with its own at load time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "cpu_relax.h"
#include "io_return.h"
#include "layout_table.h"

namespace pbp {

constexpr uint32_t kRegionMagic = 0x4C504250;  // "PBPL"
constexpr uint32_t kMaxNameBytes = 1023;       // DriverKit's name[1024] with its terminator
constexpr uint32_t kMaxBufferSize = 65536;     // buffer offsets/lengths are uint16 upstream
constexpr uint32_t kMaxHeadroom = 255;         // uint8 upstream
constexpr uint32_t kMaxThreadSlots = 1024;
constexpr uint32_t kMaxCacheSize = 4096;
constexpr uint64_t kMaxRegionBytes = 1ull << 32;  // one ArrayBuffer per thread must cover it
constexpr uint32_t kMaxQueues = 256;
constexpr uint32_t kDefaultMaxQueues = 8;
constexpr uint32_t kMaxQueueCapacity = 1u << 24;

// The word indices, bits and codes themselves (meta::, slot::, queue::, address::, pool flags,
// kLayoutVersion) are in layout_table.h, generated from layout.json with their TypeScript twins.
// What follows are the rules those numbers must obey, checked when the core compiles.

// Packet metadata record: one cache line per packet, so two threads working on different packets
// never write the same line.
static_assert(meta::kWords * 4 == kCacheLine, "a packet record is exactly one cache line");
static_assert(meta::kTraceId < meta::kWords && meta::kVlanTag < meta::kWords, "fields inside the record");
static_assert(meta::kTimestampLo % 2 == 0 && meta::kTimestampHi == meta::kTimestampLo + 1,
              "the uint64 timestamp is 8-byte aligned, lo word first");
// kState of a held packet is its owner slot's tag (below 2^31), plus kStatePublished once the
// owner has handed its index out (handOver, publishPacketIndices): only then may another
// thread take it over or free it. The rule lets the owner free an unpublished packet with a plain
// check-and-store: nobody else may change that word, so no race can make two frees succeed. A
// published packet is freed or claimed with a CAS by everyone, its owner included.
// kStateQueued: the packet's index sits in a packet queue; it belongs to the queue, not to a
// thread, and is never handed out as a slot tag. Only the queue's consumer changes it (to its own
// tag), so a duplicated or forged queue entry finds some other state and is refused.
static_assert(meta::kStatePublished == 1u << 31 && meta::kStateTagMask == meta::kStatePublished - 1,
              "tags use the low 31 bits, the published bit is the top one");
static_assert(meta::kStateQueued == meta::kStateTagMask, "the queued state is the one tag never handed out");

// Per-thread slot. Line 0 is written by the core when the slot is claimed or released; line 1
// and the cache are written only by the owning thread (its JS hot path or its native calls).
namespace slot {
constexpr uint32_t kControlBytes = kCacheLine;
constexpr uint32_t kHotBytes = kCacheLine;
static_assert(kPid * 4 < kControlBytes && kTag * 4 < kControlBytes, "control words in the control line");
static_assert(kAllocationsF64 * 8 >= kControlBytes && kDeallocationsF64 * 8 >= kControlBytes &&
                  (kFailedAllocationsF64 + 1) * 8 <= kControlBytes + kHotBytes,
              "the float64 counters are in the hot line");
static_assert(kCacheCountU32 * 4 >= (kFailedAllocationsF64 + 1) * 8 && kCacheCountU32 * 4 < kControlBytes + kHotBytes,
              "the cache count is in the hot line, after the counters");
static_assert(kCoreOpU32 > kCacheCountU32 && kCoreOpCountU32 * 4 < kControlBytes + kHotBytes,
              "the core-operation mark is in the hot line, written only by the owner like the count");
static_assert(kCoreOpHeadU32 == kCoreOpU32 + 1 && kCoreOpCountU32 == kCoreOpU32 + 2,
              "the three words of a ring operation log (ring.h) are consecutive");
static_assert(kCacheU32 * 4 == kControlBytes + kHotBytes, "the cache starts right after the hot line");
}  // namespace slot

// A packet queue: a single-producer / single-consumer ring of packet indices (DriverKit's
// IOUserNetworkPacketQueue; AF_XDP's rings are the same shape). Three lines of control, then the
// entries.
namespace queue {
constexpr uint32_t kControlBytes = 3 * kFalseSharingRange;
static_assert(kPendingU32 >= kDescU32 && (kPendingU32 + 1) * 4 <= kControlBytes,
              "the pending word is off the head's line (the consumer polls that one)");
static_assert(kHeadU32 == 0 && kTailU32 * 4 == kFalseSharingRange && kDescU32 * 4 == 2 * kFalseSharingRange,
              "producer, consumer and descriptor each own a false-sharing range");
static_assert(kStateU32 >= kDescU32 && (kConsumerTagU32 + 1) * 4 <= kControlBytes &&
                  (kBadEntriesU32 + 1) * 4 <= kControlBytes,
              "descriptor words inside the descriptor line");
static_assert(kEntriesU32 * 4 == kControlBytes, "entries follow the control lines");
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
static_assert(sizeof(PacketAddress) == address::kWords * 4, "the JS side reads the address record as words");
static_assert(offsetof(PacketAddress, family) == address::kFamilyPortU32 * 4 &&
                  offsetof(PacketAddress, port) == address::kFamilyPortU32 * 4 + 2 &&
                  offsetof(PacketAddress, scopeId) == address::kScopeU32 * 4 &&
                  offsetof(PacketAddress, addr) == address::kAddrU32 * 4 &&
                  offsetof(PacketAddress, segmentSize) == address::kSegmentU32 * 4 &&
                  offsetof(PacketAddress, flags) == address::kSegmentU32 * 4 + 2,
              "PacketAddress matches the address words of layout.json");

// Sizes and offsets of one pool's region: computed from its options by Layout::compute, stored as
// one block in the region header, compared as one block by Layout::fromHeader and reported field
// by field by the addon's layoutInfo(). The field list is PBP_LAYOUT_FIELDS (layout.json).
struct LayoutFields {
#define PBP_DECLARE_FIELD(type, name) type name = 0;
  PBP_LAYOUT_FIELDS(PBP_DECLARE_FIELD)
#undef PBP_DECLARE_FIELD

  bool operator==(const LayoutFields& other) const {
#define PBP_COMPARE_FIELD(type, name) &&name == other.name
    return true PBP_LAYOUT_FIELDS(PBP_COMPARE_FIELD);
#undef PBP_COMPARE_FIELD
  }
  bool operator!=(const LayoutFields& other) const { return !(*this == other); }
};
static_assert(sizeof(LayoutFields) == kLayoutFieldsBytes, "no padding: uint32 fields in pairs, then uint64");

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
  bool shared = false;         // memfd-backed, attachable from other processes
};

// The header at offset 0 of every region.
struct alignas(kFalseSharingRange) RegionHeader {
  uint32_t magic;    // at offset 0 and ...
  uint32_t version;  // ... 4 in every version, so any build can tell a region it cannot read
  uint32_t poolFlags;
  uint32_t reserved;
  // Random, nonzero, set once at creation. A handle carries it and attach() checks it, so a stale
  // handle (its pool released, its fd number reused by another pool) cannot attach elsewhere.
  uint64_t identity;
  LayoutFields layout;
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
  // Nonzero once a process that cannot use membarrier(2) mapped the pool: freers and waiters then
  // use full fences on both sides (asymmetric_fence.h). On the waiters' line: read with it.
  std::atomic<uint32_t> symmetricFences;
};
static_assert(offsetof(RegionHeader, magic) == 0 && offsetof(RegionHeader, version) == 4,
              "magic and version stay where every layout version has them");
static_assert(offsetof(RegionHeader, layout) % 8 == 0, "the uint64 layout fields are 8-byte aligned");

struct Layout : LayoutFields {
  uint32_t extraBufferCount() const { return bufferCount - packetCount; }
  uint32_t chainSlotsPerPacket() const { return maxBuffersPerPacket - 1; }

  // Validates options and computes every offset, in 64-bit arithmetic with overflow checks.
  static Status compute(const PoolOptions& options, Layout& out);
  // Rebuilds the layout from a header found in an existing region (another process's pool).
  static Status fromHeader(const RegionHeader& header, uint64_t mappedBytes, Layout& out);
};

}  // namespace pbp

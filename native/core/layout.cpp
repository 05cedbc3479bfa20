#include "layout.h"

#include <cstdio>

#include "ring.h"

namespace pbp {
namespace {

constexpr uint64_t kPage = 4096;

uint64_t roundUp(uint64_t value, uint64_t to) { return (value + to - 1) / to * to; }

std::string str(uint64_t v) { return std::to_string(v); }

Status bad(const std::string& message) { return Status::fail(IOReturn::BadArgument, message); }

// Adds `bytes` (already overflow-checked by the caller's limits) at the next `align` boundary.
uint64_t place(uint64_t& cursor, uint64_t bytes, uint64_t align) {
  uint64_t at = roundUp(cursor, align);
  cursor = at + bytes;
  return at;
}

}  // namespace

Status Layout::compute(const PoolOptions& o, Layout& out) {
  if (o.name.size() > kMaxNameBytes)
    return bad("name is " + str(o.name.size()) + " bytes; the limit is " + str(kMaxNameBytes));
  if (o.packetCount == 0) return bad("packetCount must be at least 1, got 0");
  if (o.bufferCount == 0) return bad("bufferCount must be at least 1, got 0");
  if (o.bufferCount < o.packetCount)
    return bad("bufferCount (" + str(o.bufferCount) + ") must be >= packetCount (" + str(o.packetCount) + ")");
  if (o.bufferCount > Ring::kMaxCapacity)
    return bad("bufferCount " + str(o.bufferCount) + " exceeds " + str(Ring::kMaxCapacity));
  if (o.bufferSize == 0) return bad("bufferSize must be at least 1, got 0");
  if (o.bufferSize > kMaxBufferSize) return bad("bufferSize " + str(o.bufferSize) + " exceeds " + str(kMaxBufferSize));
  if (o.maxBuffersPerPacket == 0) return bad("maxBuffersPerPacket must be at least 1, got 0");
  if (o.maxBuffersPerPacket > 64) return bad("maxBuffersPerPacket " + str(o.maxBuffersPerPacket) + " exceeds 64");
  if (o.headroom > kMaxHeadroom) return bad("headroom " + str(o.headroom) + " exceeds " + str(kMaxHeadroom));
  if (o.headroom >= o.bufferSize)
    return bad("headroom " + str(o.headroom) + " must be smaller than bufferSize " + str(o.bufferSize));
  if (o.cacheSize > kMaxCacheSize) return bad("cacheSize " + str(o.cacheSize) + " exceeds " + str(kMaxCacheSize));
  if (o.cacheSize % 2 != 0) return bad("cacheSize must be even, got " + str(o.cacheSize));
  if (o.maxThreads == 0 || o.maxThreads > kMaxThreadSlots)
    return bad("maxThreads must be 1.." + str(kMaxThreadSlots) + ", got " + str(o.maxThreads));
  if ((o.poolFlags & ~kKnownPoolFlags) != 0)
    return bad("poolFlags has unknown bits 0x" + [&] {
      char buf[16];
      snprintf(buf, sizeof buf, "%x", o.poolFlags & ~kKnownPoolFlags);
      return std::string(buf);
    }());

  if (o.maxQueues > kMaxQueues) return bad("maxQueues " + str(o.maxQueues) + " exceeds " + str(kMaxQueues));
  uint32_t queueCapacity = o.queueCapacity;
  if (queueCapacity == 0) {
    queueCapacity = 1;
    while (queueCapacity < o.packetCount && queueCapacity < kMaxQueueCapacity) queueCapacity <<= 1;
  }
  if (queueCapacity > kMaxQueueCapacity || (queueCapacity & (queueCapacity - 1)) != 0)
    return bad("queueCapacity must be a power of two in 1.." + str(kMaxQueueCapacity) + ", got " + str(queueCapacity));

  Layout l;
  l.packetCount = o.packetCount;
  l.bufferCount = o.bufferCount;
  l.bufferSize = o.bufferSize;
  l.bufferStride = uint32_t(roundUp(o.bufferSize, kCacheLine));
  l.maxBuffersPerPacket = o.maxBuffersPerPacket;
  l.headroom = o.headroom;
  l.cacheSize = o.cacheSize;
  l.maxThreads = o.maxThreads;
  l.slotBytes = uint32_t(slot::kControlBytes + slot::kHotBytes + roundUp(o.cacheSize * 4ull, kCacheLine));
  l.packetRingCapacity = Ring::capacityFor(o.packetCount);
  l.bufferRingCapacity = Ring::capacityFor(l.extraBufferCount());
  l.maxQueues = o.maxQueues;
  l.queueCapacity = queueCapacity;
  l.queueBytes = uint32_t(roundUp(queue::kControlBytes + queueCapacity * 4ull, kFalseSharingRange));

  // Every term below is bounded by the limits checked above (counts <= 2^30, sizes <= 64 KiB),
  // so 64-bit sums cannot overflow; the total is then checked against the region limit.
  uint64_t cursor = 0;
  place(cursor, sizeof(RegionHeader), kPage);
  l.metaOffset = place(cursor, uint64_t(o.packetCount) * meta::kWords * 4, kPage);
  l.chainOffset = place(cursor, uint64_t(o.packetCount) * l.chainSlotsPerPacket() * 4, kCacheLine);
  l.slotsOffset = place(cursor, uint64_t(o.maxThreads) * l.slotBytes, kCacheLine);
  l.packetRingOffset = place(cursor, Ring::bytesFor(l.packetRingCapacity), kFalseSharingRange);
  l.bufferRingOffset = place(cursor, Ring::bytesFor(l.bufferRingCapacity), kFalseSharingRange);
  l.queuesOffset = place(cursor, uint64_t(l.maxQueues) * l.queueBytes, kFalseSharingRange);
  l.addressesOffset = place(cursor, uint64_t(o.packetCount) * sizeof(PacketAddress), kCacheLine);
  l.buffersOffset = place(cursor, uint64_t(o.bufferCount) * l.bufferStride, kPage);
  l.totalBytes = roundUp(cursor, kPage);
  if (l.totalBytes > kMaxRegionBytes)
    return bad("pool needs " + str(l.totalBytes) + " bytes (bufferCount " + str(o.bufferCount) + " x bufferSize " +
               str(o.bufferSize) + " plus metadata); the limit is " + str(kMaxRegionBytes));
  out = l;
  return Status::ok();
}

Status Layout::fromHeader(const RegionHeader& h, uint64_t mappedBytes, Layout& out) {
  if (h.magic != kRegionMagic) return bad("memory is not a packet-buffer-pool region (bad magic)");
  if (h.version != kLayoutVersion)
    return Status::fail(IOReturn::Unsupported,
                        "region layout version " + str(h.version) + ", this build reads " + str(kLayoutVersion));
  const LayoutFields& f = h.layout;
  PoolOptions o;
  o.packetCount = f.packetCount;
  o.bufferCount = f.bufferCount;
  o.bufferSize = f.bufferSize;
  o.maxBuffersPerPacket = f.maxBuffersPerPacket;
  o.headroom = f.headroom;
  o.cacheSize = f.cacheSize;
  o.maxThreads = f.maxThreads;
  o.poolFlags = h.poolFlags;
  o.maxQueues = f.maxQueues;
  o.queueCapacity = f.queueCapacity;
  Layout l;
  Status s = compute(o, l);
  if (!s.isOk()) return s;
  // The header must describe exactly the layout we would compute, or we would trust offsets
  // that point outside the mapping.
  if (static_cast<const LayoutFields&>(l) != f || l.totalBytes > mappedBytes)
    return bad("region header is inconsistent with its own sizes");
  out = l;
  return Status::ok();
}

}  // namespace pbp

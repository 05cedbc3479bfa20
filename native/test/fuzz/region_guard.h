// Knows which bytes of a pool region the core may touch (the "used spans": header counters,
// metadata, chain table, the live words of each thread slot, ring counters and slots, the
// bufferSize bytes of each buffer) and poisons everything else for AddressSanitizer. The region
// is mmap'd, so without this ASan would only notice an access that leaves the mapping entirely;
// with it, a core access that strays a few bytes past a cache, a ring or a chain is reported
// at the faulting instruction.
//
// The spans also give snapshot(): a copy of every used byte, so a refused call can be checked
// to have left the pool exactly as it was.
#pragma once

#include <sanitizer/asan_interface.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "pool.h"
#include "ring_peek.h"

namespace pbp::fuzz {

class RegionGuard {
 public:
  explicit RegionGuard(const Pool& pool) : base_(pool.base()), bytes_(pool.bytes()) {
    const Layout& l = pool.layout();
    const RegionHeader* h = reinterpret_cast<const RegionHeader*>(base_);
    // The header's fixed fields (sizes, offsets, name) are written once by create() and read
    // only by attach; the atomics from nextTag on are the core's running counters.
    add(size_t(reinterpret_cast<const uint8_t*>(&h->nextTag) - base_), sizeof(RegionHeader));
    add(l.metaOffset, l.metaOffset + size_t(l.packetCount) * meta::kWords * 4);
    add(l.chainOffset, l.chainOffset + size_t(l.packetCount) * l.chainSlotsPerPacket() * 4);
    // Packet queues and packet address records: read by stats() (queued) and the interfaces.
    add(l.queuesOffset, l.queuesOffset + size_t(l.maxQueues) * l.queueBytes);
    add(l.addressesOffset, l.addressesOffset + size_t(l.packetCount) * sizeof(PacketAddress));
    for (uint32_t s = 0; s < l.maxThreads; ++s) {
      size_t at = l.slotsOffset + size_t(s) * l.slotBytes;
      add(at, at + 4 * (slot::kPid + 1));  // control words
      // counters, count, core-operation mark and ring operation log
      add(at + 8 * slot::kAllocationsF64, at + 4 * (slot::kCoreOpCountU32 + 1));
      add(at + 4 * slot::kCacheU32, at + 4 * (slot::kCacheU32 + l.cacheSize));  // cache entries
    }
    addRing(l.packetRingOffset, l.packetRingCapacity);
    addRing(l.bufferRingOffset, l.bufferRingCapacity);
    // Packet queues (read by stats() and reclaim) and the per-packet address table.
    add(l.queuesOffset, l.queuesOffset + size_t(l.maxQueues) * l.queueBytes);
    add(l.addressesOffset, l.addressesOffset + size_t(l.packetCount) * sizeof(PacketAddress));
    for (uint32_t b = 0; b < l.bufferCount; ++b) {
      size_t at = l.buffersOffset + size_t(b) * l.bufferStride;
      add(at, at + l.bufferSize);
    }
    std::sort(spans_.begin(), spans_.end());
    size_t cursor = 0;
    for (const Span& s : spans_) {
      if (s.begin > cursor) ASAN_POISON_MEMORY_REGION(base_ + cursor, s.begin - cursor);
      cursor = std::max(cursor, s.end);
    }
    if (bytes_ > cursor) ASAN_POISON_MEMORY_REGION(base_ + cursor, bytes_ - cursor);
  }

  // Before the pool unmaps the region: shadow memory outlives the mapping, and the next mmap
  // at the same address must not inherit our poison.
  ~RegionGuard() { ASAN_UNPOISON_MEMORY_REGION(base_, bytes_); }

  RegionGuard(const RegionGuard&) = delete;
  RegionGuard& operator=(const RegionGuard&) = delete;

  std::vector<uint8_t> snapshot() const {
    std::vector<uint8_t> out;
    for (const Span& s : spans_) out.insert(out.end(), base_ + s.begin, base_ + s.end);
    return out;
  }

  // Region offset of the first byte that differs from `before`, or -1.
  long firstDifference(const std::vector<uint8_t>& before) const {
    size_t i = 0;
    for (const Span& s : spans_) {
      size_t n = s.end - s.begin;
      if (i + n > before.size()) return long(s.begin);
      if (std::memcmp(before.data() + i, base_ + s.begin, n) != 0)
        for (size_t k = 0; k < n; ++k)
          if (before[i + k] != base_[s.begin + k]) return long(s.begin + k);
      i += n;
    }
    return -1;
  }

 private:
  struct Span {
    size_t begin, end;
    bool operator<(const Span& o) const { return begin < o.begin; }
  };

  void add(size_t begin, size_t end) {
    if (end > begin) spans_.push_back({begin, end});
  }

  void addRing(size_t at, uint32_t capacity) {
    add(at + ring_peek::kCapacity, at + ring_peek::kCapacity + 12);  // capacity, mask, broken
    add(at + ring_peek::kProdHead, at + ring_peek::kProdHead + 8);
    add(at + ring_peek::kConsHead, at + ring_peek::kConsHead + 8);
    add(at + ring_peek::kSlots, at + ring_peek::kSlots + size_t(capacity) * 4);
  }

  uint8_t* base_;
  size_t bytes_;
  std::vector<Span> spans_;
};

}  // namespace pbp::fuzz

// Layout::compute: option validation (every bad option is BadArgument with a message naming the
// offending value, before any memory is mapped) and the placement of each part of the region.
#include <functional>

#include "test_support.h"

namespace pbp::test {
namespace {

PoolOptions valid() {
  PoolOptions o;
  o.name = "layout";
  o.packetCount = 100;
  o.bufferCount = 150;
  o.bufferSize = 2000;
  o.maxBuffersPerPacket = 4;
  o.headroom = 32;
  o.cacheSize = 64;
  o.maxThreads = 16;
  return o;
}

TEST(Layout, ValidOptionsPlaceEveryPartAlignedAndDisjoint) {
  Layout l;
  Status s = Layout::compute(valid(), l);
  ASSERT_TRUE(s.isOk()) << s.message;
  EXPECT_EQ(l.packetCount, 100u);
  EXPECT_EQ(l.bufferCount, 150u);
  EXPECT_EQ(l.extraBufferCount(), 50u);
  EXPECT_EQ(l.chainSlotsPerPacket(), 3u);
  EXPECT_EQ(l.bufferStride, 2048u) << "bufferSize rounded up to a cache line";
  EXPECT_EQ(l.packetRingCapacity, 128u);
  EXPECT_EQ(l.bufferRingCapacity, 64u);
  EXPECT_GE(l.slotBytes, 2 * kCacheLine + 64 * 4);
  EXPECT_EQ(l.slotBytes % kCacheLine, 0u);

  EXPECT_EQ(l.metaOffset % 4096, 0u);
  EXPECT_EQ(l.buffersOffset % 4096, 0u);
  EXPECT_EQ(l.totalBytes % 4096, 0u);
  EXPECT_EQ(l.chainOffset % kCacheLine, 0u);
  EXPECT_EQ(l.slotsOffset % kCacheLine, 0u);
  EXPECT_EQ(l.packetRingOffset % kFalseSharingRange, 0u);
  EXPECT_EQ(l.bufferRingOffset % kFalseSharingRange, 0u);

  // In order and not overlapping.
  EXPECT_GE(l.metaOffset, sizeof(RegionHeader));
  EXPECT_GE(l.chainOffset, l.metaOffset + uint64_t(l.packetCount) * meta::kWords * 4);
  EXPECT_GE(l.slotsOffset, l.chainOffset + uint64_t(l.packetCount) * l.chainSlotsPerPacket() * 4);
  EXPECT_GE(l.packetRingOffset, l.slotsOffset + uint64_t(l.maxThreads) * l.slotBytes);
  EXPECT_GE(l.bufferRingOffset, l.packetRingOffset + Ring::bytesFor(l.packetRingCapacity));
  EXPECT_GE(l.buffersOffset, l.bufferRingOffset + Ring::bytesFor(l.bufferRingCapacity));
  EXPECT_LE(l.buffersOffset + uint64_t(l.bufferCount) * l.bufferStride, l.totalBytes);
}

TEST(Layout, SlotCacheFitsInSlot) {
  PoolOptions o = valid();
  o.cacheSize = kMaxCacheSize;
  Layout l;
  ASSERT_TRUE(Layout::compute(o, l).isOk());
  EXPECT_GE(uint64_t(l.slotBytes), uint64_t(slot::kCacheU32 + kMaxCacheSize) * 4);
}

struct BadCase {
  const char* what;
  std::function<void(PoolOptions&)> change;
  std::vector<std::string> mustMention;
};

TEST(Layout, EachBadOptionIsBadArgumentNamingTheValue) {
  const std::vector<BadCase> cases = {
      {"zero packetCount", [](PoolOptions& o) { o.packetCount = 0; }, {"packetCount", "0"}},
      {"zero bufferCount", [](PoolOptions& o) { o.bufferCount = 0; }, {"bufferCount", "0"}},
      {"bufferCount < packetCount",
       [](PoolOptions& o) {
         o.packetCount = 100;
         o.bufferCount = 99;
       },
       {"bufferCount (99)", "packetCount (100)"}},
      {"bufferCount above ring limit",
       [](PoolOptions& o) { o.bufferCount = Ring::kMaxCapacity + 1; },
       {std::to_string(Ring::kMaxCapacity + 1)}},
      {"zero bufferSize", [](PoolOptions& o) { o.bufferSize = 0; }, {"bufferSize", "0"}},
      {"bufferSize above 64 KiB", [](PoolOptions& o) { o.bufferSize = 65537; }, {"bufferSize", "65537", "65536"}},
      {"huge bufferSize", [](PoolOptions& o) { o.bufferSize = 0xFFFFFFFF; }, {"4294967295"}},
      {"headroom == bufferSize",
       [](PoolOptions& o) {
         o.bufferSize = 64;
         o.headroom = 64;
       },
       {"headroom 64", "bufferSize 64"}},
      {"headroom > bufferSize",
       [](PoolOptions& o) {
         o.bufferSize = 100;
         o.headroom = 200;
       },
       {"headroom 200", "100"}},
      {"headroom above 255", [](PoolOptions& o) { o.headroom = 256; }, {"headroom", "256"}},
      {"odd cacheSize", [](PoolOptions& o) { o.cacheSize = 7; }, {"cacheSize", "7"}},
      {"cacheSize above limit",
       [](PoolOptions& o) { o.cacheSize = kMaxCacheSize + 2; },
       {"cacheSize", std::to_string(kMaxCacheSize + 2)}},
      {"zero maxThreads", [](PoolOptions& o) { o.maxThreads = 0; }, {"maxThreads", "got 0"}},
      {"too many maxThreads",
       [](PoolOptions& o) { o.maxThreads = kMaxThreadSlots + 1; },
       {"maxThreads", std::to_string(kMaxThreadSlots + 1)}},
      {"zero maxBuffersPerPacket", [](PoolOptions& o) { o.maxBuffersPerPacket = 0; }, {"maxBuffersPerPacket", "0"}},
      {"maxBuffersPerPacket above 64",
       [](PoolOptions& o) { o.maxBuffersPerPacket = 65; },
       {"maxBuffersPerPacket", "65"}},
      {"unknown pool flag bit 0", [](PoolOptions& o) { o.poolFlags = 0x1; }, {"poolFlags", "0x1"}},
      {"unknown high pool flag",
       [](PoolOptions& o) { o.poolFlags = kPoolFlagSingleMemorySegment | 0x80000000u; },
       {"poolFlags", "0x80000000"}},
      {"name of 1024 bytes", [](PoolOptions& o) { o.name = std::string(1024, 'n'); }, {"name", "1024", "1023"}},
      {"region above 4 GiB",
       [](PoolOptions& o) {
         o.packetCount = 70000;
         o.bufferCount = 70000;
         o.bufferSize = 65536;
         o.headroom = 0;
       },
       {"70000", "65536", "4294967296"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    PoolOptions o = valid();
    c.change(o);
    Layout l;
    l.totalBytes = 12345;  // must stay untouched on failure
    Status s = Layout::compute(o, l);
    EXPECT_TRUE(isCode(s, IOReturn::BadArgument));
    EXPECT_FALSE(s.message.empty());
    for (const auto& needle : c.mustMention)
      EXPECT_NE(s.message.find(needle), std::string::npos)
          << "message \"" << s.message << "\" does not mention \"" << needle << "\"";
    EXPECT_EQ(l.totalBytes, 12345u);

    // Pool::create reports the same error and maps nothing.
    std::shared_ptr<Pool> pool;
    Status ps = Pool::create(o, pool);
    EXPECT_EQ(ps.code, s.code);
    EXPECT_EQ(ps.message, s.message);
    EXPECT_EQ(pool, nullptr);
  }
}

TEST(Layout, LimitsThemselvesAreAccepted) {
  PoolOptions o = valid();
  o.name = std::string(kMaxNameBytes, 'x');
  o.bufferSize = kMaxBufferSize;
  o.headroom = kMaxHeadroom;
  o.cacheSize = 0;
  o.maxThreads = 1;
  o.maxBuffersPerPacket = 64;
  o.poolFlags = kKnownPoolFlags;
  Layout l;
  Status s = Layout::compute(o, l);
  EXPECT_TRUE(s.isOk()) << s.message;

  PoolOptions one;
  one.packetCount = one.bufferCount = one.bufferSize = 1;
  EXPECT_TRUE(Layout::compute(one, l).isOk());
  EXPECT_EQ(l.bufferStride, kCacheLine);
  EXPECT_EQ(l.extraBufferCount(), 0u);
}

TEST(Layout, FromHeaderRejectsForeignAndInconsistentHeaders) {
  std::shared_ptr<Pool> pool = makePool(valid());
  ASSERT_NE(pool, nullptr);
  const auto& h = *reinterpret_cast<const RegionHeader*>(pool->base());
  Layout l;
  ASSERT_TRUE(Layout::fromHeader(h, pool->bytes(), l).isOk());
  EXPECT_EQ(l.buffersOffset, pool->layout().buffersOffset);
  EXPECT_EQ(l.totalBytes, pool->layout().totalBytes);

  EXPECT_TRUE(isCode(Layout::fromHeader(h, pool->bytes() - 4096, l), IOReturn::BadArgument))
      << "a mapping shorter than the header says must be refused";

  RegionHeader copy;
  std::memcpy(static_cast<void*>(&copy), &h, sizeof copy);
  copy.magic = 0x12345678;
  EXPECT_TRUE(isCode(Layout::fromHeader(copy, pool->bytes(), l), IOReturn::BadArgument));

  std::memcpy(static_cast<void*>(&copy), &h, sizeof copy);
  copy.version = kLayoutVersion + 1;
  Status s = Layout::fromHeader(copy, pool->bytes(), l);
  EXPECT_TRUE(isCode(s, IOReturn::Unsupported));
  EXPECT_NE(s.message.find(std::to_string(kLayoutVersion + 1)), std::string::npos) << s.message;

  std::memcpy(static_cast<void*>(&copy), &h, sizeof copy);
  copy.layout.buffersOffset += 4096;  // points past what the sizes imply
  EXPECT_TRUE(isCode(Layout::fromHeader(copy, pool->bytes(), l), IOReturn::BadArgument));

  std::memcpy(static_cast<void*>(&copy), &h, sizeof copy);
  copy.layout.chainOffset += kCacheLine;  // every field of the block is compared, derived ones too
  EXPECT_TRUE(isCode(Layout::fromHeader(copy, pool->bytes(), l), IOReturn::BadArgument));

  std::memcpy(static_cast<void*>(&copy), &h, sizeof copy);
  copy.layout.bufferSize = 0;  // sizes that would not pass compute()
  EXPECT_TRUE(isCode(Layout::fromHeader(copy, pool->bytes(), l), IOReturn::BadArgument));
}

}  // namespace
}  // namespace pbp::test

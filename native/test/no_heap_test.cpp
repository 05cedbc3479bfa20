// No call path of the core allocates heap memory in proportion to its input or to the pool
// (bounded stack stages instead): under an address-space limit such an allocation threw std::bad_alloc through
// Node-API and aborted the process. This binary replaces the global operator new so it can count
// the allocations a call makes, and make them fail, on the calling thread.
#include <cstdlib>
#include <new>

#include "test_support.h"

// GCC pairs the replaced operator new with the library's delete when inlining and warns about
// free() of a pointer "from new"; here both are ours and both use malloc/free.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {

// Per thread, so gtest's and other threads' allocations are neither counted nor failed.
thread_local bool tCounting = false;
// Like an address-space limit: large requests fail, small ones (an error message) still succeed.
thread_local bool tFailingLarge = false;
constexpr size_t kLarge = 1024;
thread_local size_t tAllocations = 0;
thread_local size_t tBytes = 0;

void* allocate(size_t n) {
  if (tCounting) {
    ++tAllocations;
    tBytes += n;
  }
  if (tFailingLarge && n >= kLarge) return nullptr;
  return std::malloc(n == 0 ? 1 : n);
}

}  // namespace

void* operator new(size_t n) {
  if (void* p = allocate(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  if (void* p = allocate(n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return allocate(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return allocate(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace pbp::test {
namespace {

// Heap allocations `body` makes on this thread.
template <typename Body>
size_t allocationsOf(Body&& body) {
  tAllocations = 0;
  tBytes = 0;
  tCounting = true;
  body();
  tCounting = false;
  return tAllocations;
}

TEST(NoHeap, CreateAllocatesTheSameWhateverThePoolSize) {
  std::shared_ptr<Pool> small, large;
  size_t forSmall = allocationsOf([&] { ASSERT_TRUE(Pool::create(smallOptions(64, 16), small).isOk()); });
  size_t smallBytes = tBytes;
  size_t forLarge = allocationsOf([&] { ASSERT_TRUE(Pool::create(smallOptions(65536, 16), large).isOk()); });
  size_t largeBytes = tBytes;
  EXPECT_EQ(forSmall, forLarge);
  EXPECT_EQ(smallBytes, largeBytes) << "heap memory grows with packetCount";
  EXPECT_LE(forLarge, 8u);
}

TEST(NoHeap, DataPathCallsAllocateNothing) {
  auto pool = makePool(smallOptions(4096, 64));
  uint32_t s, t;
  ASSERT_TRUE(pool->claimSlot(1, s).isOk());
  ASSERT_TRUE(pool->claimSlot(2, t).isOk());
  std::vector<uint32_t> batch(4096);
  uint32_t got = 0, one = 0;
  size_t n = allocationsOf([&] {
    got = pool->allocateBurst(s, batch.data(), 4096);
    pool->refillCache(t);
    pool->flushCache(t, 0);
    ASSERT_TRUE(pool->deallocateBulk(s, batch.data(), 200).isOk());  // fits the stack stage
    ASSERT_TRUE(pool->allocateOne(s, one));
    ASSERT_TRUE(pool->deallocateOne(s, one).isOk());
    pool->publish(s, batch[300]);
    ASSERT_TRUE(pool->claimPacket(t, batch[300]).isOk());
    ASSERT_TRUE(pool->deallocateOne(t, batch[300]).isOk());
  });
  EXPECT_EQ(got, 4096u);
  EXPECT_EQ(n, 0u);
  pool->releaseSlot(t);
  pool->releaseSlot(s);
}

TEST(NoHeap, ALargeBulkFreeWithoutMemoryIsNoMemoryAndFreesNothing) {
  auto pool = makePool(smallOptions(4096, 0));
  uint32_t s;
  ASSERT_TRUE(pool->claimSlot(1, s).isOk());
  std::vector<uint32_t> held(4096);
  ASSERT_EQ(pool->allocateBurst(s, held.data(), 4096), 4096u);
  Status st;
  tFailingLarge = true;
  st = pool->deallocateBulk(s, held.data(), 4096);  // beyond the stack stage: needs the heap
  tFailingLarge = false;
  EXPECT_TRUE(isCode(st, IOReturn::NoMemory));
  EXPECT_EQ(pool->freePacketCount(), 0u) << "a refused batch freed something";
  for (uint32_t p : held) ASSERT_EQ(pool->metaOf(p)[meta::kState], pool->tagOf(s));
  // With memory it goes through.
  EXPECT_TRUE(pool->deallocateBulk(s, held.data(), 4096).isOk());
  EXPECT_EQ(pool->freePacketCount(), 4096u);
  pool->releaseSlot(s);
}

TEST(NoHeap, AHugeCountStagesAtMostPacketCountPlusOneEntries) {
  // Every entry 0: the second one repeats the first, so the batch fails at entry 1 whatever the
  // count says, and the stage never needs more than packetCount + 1 entries.
  auto pool = makePool(smallOptions(64, 0));
  uint32_t s;
  ASSERT_TRUE(pool->claimSlot(1, s).isOk());
  uint32_t p;
  ASSERT_TRUE(pool->allocateOne(s, p));
  std::vector<uint32_t> same(1000, p);
  Status st = pool->deallocateBulk(s, same.data(), 1000);
  EXPECT_TRUE(isCode(st, IOReturn::NotPermitted));
  EXPECT_NE(st.message.find("packets[1]"), std::string::npos) << st.message;
  EXPECT_EQ(pool->metaOf(p)[meta::kState], pool->tagOf(s)) << "the refused batch freed its first entry";
  pool->releaseSlot(s);
}

}  // namespace
}  // namespace pbp::test

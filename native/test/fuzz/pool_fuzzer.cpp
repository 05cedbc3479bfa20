// libFuzzer target for the C++ core: drives pbp::Pool and pbp::Ring with byte-encoded operation
// sequences and checks them against a reference model after every operation (see
// pool_invariants.h for the list), under ASan + UBSan. Built and run by scripts/fuzz.sh.
//
// Input encoding (bytes past the end of the input read as 0):
//
//   byte 0  mode    bit 7: scribble mode (honoured only when PBP_FUZZ_SCRIBBLE=1, see below)
//                   bit 6: shared pool (memfd) instead of private memory
//                   bits 5..2: standalone ring start counter: 0, or 2^32 - 9*n for n = 1..15
//                   bits 1..0: poolFlags: 0, SingleMemorySegment, MapToDext|MapToDevice,
//                              or the unknown bit 0x1 (invalid)
//   byte 1  packetCount          = b % 65            (0 is invalid)
//   byte 2  extra buffers        = b % 33; b >= 0xF0 means bufferCount = packetCount - 1 (invalid)
//   byte 3  bufferSize           = b, or 65537 for 0xFF (0 and 65537 are invalid)
//   byte 4  headroom             = b & 0x0F          (>= bufferSize is invalid)
//   byte 5  maxBuffersPerPacket  = b % 5             (0 is invalid)
//   byte 6  cacheSize            = b % 18            (odd is invalid)
//   byte 7  maxThreads           = b % 5             (0 is invalid)
//   byte 8  standalone ring capacity = 1 << (b % 7)
//
// An invalid combination must make Pool::create fail with kIOReturnBadArgument, and the input
// ends there. Otherwise the rest of the input is a sequence of operations, an opcode byte
// (taken % 18) followed by its argument bytes:
//
//    0 claimSlot       t         threadId t % 4
//    1 releaseSlot     s
//    2 reclaim         t         t % 5, where 4 means any thread (kAnyThread)
//    3 allocateOne     s
//    4 deallocateOne   s p
//    5 allocateBurst   s n       n % (packetCount + 3) packets
//    6 deallocateBulk  s n p...  n % 9 entries, then one p byte per entry
//    7 addBuffer       p
//    8 claimPacket     s p
//    9 refillCache     s
//   10 flushCache      s k       keep k % (cacheSize + 3)
//   11 markGone        h s       the slot's process "dies" attached: its pid word is set to a
//                                pid that does not exist, so reclaim() must recover its packets;
//                                h % 3: 1 inside a ring reservation freeing one of its packets, 2
//                                inside one taking a free packet (then reclaim() at once)
//   12 ring enqueue    m n       standalone ring; m & 1: Burst, else Bulk; n % (2 * capacity + 2)
//   13 ring dequeue    m n
//   14 attachFd                  map the pool a second time (shared) / expect refusal (private)
//   15 scribble mode:  a i v0 v1 v2 v3   write the little-endian word v into the JS-writable
//                      region part (a & 7) % 6: 0 cache count, 1 cache entry, 2 metadata word,
//                      3 chain entry, 4 float64 counter, 5 a ring counter (a >> 3 & 1: buffer
//                      ring, a >> 4 & 3: prod.head/prod.tail/cons.head/cons.tail, a >> 6 & 1: add
//                      the signed byte v0 instead of storing v, e.g. a peer that died between
//                      its head CAS and its tail store); i and a >> 3 pick the slot, entry,
//                      packet or word (see PoolHarness::scribble)
//      otherwise:      p         rewrite a held packet's payload, as JS would
//   16 waiter          w         w & 1: addWaiter (up to 4), else removeWaiter (if any)
//   17 publish         s p       handOver(): the owner lets other slots claim/free p
//
//   s picks a live slot of this process (s % maxThreads, or the next one; the op is skipped if
//   there is none); p picks a packet: top bits 00/01 a held packet, 10 any index, 11 an out-of-range
//   index (see PoolHarness::pickPacket).
//
// Scribble mode models a JS caller (or a peer process) writing arbitrary values through its view
// of the region. It asserts that the core does not crash, hang or trip a sanitizer, and that a
// pool that found its ring counters impossible answers kIOReturnIOError from then on, and it is off unless
// PBP_FUZZ_SCRIBBLE=1 so the default invariant run stays clean while the core trusts those words.
// PBP_FUZZ_TRACE=1 prints each decoded operation.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "byte_stream.h"
#include "fuzz_check.h"
#include "pool.h"
#include "pool_ops.h"
#include "ring_harness.h"

namespace pbp::fuzz {
namespace {

bool gScribbleAllowed = false;

struct Config {
  PoolOptions options;
  bool valid = true;
  bool scribble = false;
  uint32_t ringCapacity = 1;
  uint32_t ringStart = 0;
};

Config decodeConfig(ByteStream& in) {
  Config c;
  uint8_t mode = in.byte();
  c.scribble = gScribbleAllowed && (mode & 0x80);
  c.options.shared = mode & 0x40;
  uint32_t startSel = (mode >> 2) & 0x0F;
  c.ringStart = startSel == 0 ? 0 : 0u - 9 * startSel;
  static const uint32_t kFlags[] = {0, kPoolFlagSingleMemorySegment, kPoolFlagMapToDext | kPoolFlagMapToDevice, 0x1};
  c.options.poolFlags = kFlags[mode & 3];

  PoolOptions& o = c.options;
  o.name = "fuzz";
  o.packetCount = in.byte() % 65;
  uint8_t extra = in.byte();
  o.bufferCount = extra >= 0xF0 ? o.packetCount - 1 : o.packetCount + extra % 33;
  uint8_t size = in.byte();
  o.bufferSize = size == 0xFF ? kMaxBufferSize + 1 : size;
  o.headroom = in.byte() & 0x0F;
  o.maxBuffersPerPacket = in.byte() % 5;
  o.cacheSize = in.byte() % 18;
  o.maxThreads = in.byte() % 5;
  c.ringCapacity = 1u << (in.byte() % 7);

  c.valid = o.packetCount >= 1 && o.bufferCount >= 1 && o.bufferCount >= o.packetCount && o.bufferSize >= 1 &&
            o.bufferSize <= kMaxBufferSize && o.headroom < o.bufferSize && o.maxBuffersPerPacket >= 1 &&
            o.cacheSize % 2 == 0 && o.maxThreads >= 1 && (o.poolFlags & ~kKnownPoolFlags) == 0;
  return c;
}

void runOne(ByteStream& in, PoolHarness& h, RingHarness& ring, bool scribble) {
  const Layout& l = h.layout();
  uint8_t op = in.byte() % 18;
  // Ops that need a live slot read their slot byte first and are skipped without one.
  auto slotArg = [&](int& s) {
    s = h.pickSlot(in.byte());
    return s >= 0;
  };
  int s;
  switch (op) {
    case 0:
      h.claimSlot(in.byte() % 4);
      break;
    case 1:
      if (slotArg(s)) h.releaseSlot(uint32_t(s));
      break;
    case 2: {
      uint32_t t = in.byte() % 5;
      h.reclaim(t == 4 ? Pool::kAnyThread : t);
      break;
    }
    case 3:
      if (slotArg(s)) h.allocateOne(uint32_t(s));
      break;
    case 4: {
      bool have = slotArg(s);
      uint32_t p = h.pickPacket(in.byte());
      if (have) h.deallocateOne(uint32_t(s), p);
      break;
    }
    case 5: {
      bool have = slotArg(s);
      uint32_t n = in.byte() % (l.packetCount + 3);
      if (have) h.allocateBurst(uint32_t(s), n);
      break;
    }
    case 6: {
      bool have = slotArg(s);
      uint32_t n = in.byte() % 9;
      std::vector<uint32_t> batch;
      for (uint32_t i = 0; i < n; ++i) batch.push_back(h.pickPacket(in.byte()));
      if (have) h.deallocateBulk(uint32_t(s), batch);
      break;
    }
    case 7:
      h.addBuffer(h.pickPacket(in.byte()));
      break;
    case 8: {
      bool have = slotArg(s);
      uint32_t p = h.pickPacket(in.byte());
      if (have) h.claimPacket(uint32_t(s), p);
      break;
    }
    case 9:
      if (slotArg(s)) h.refillCache(uint32_t(s));
      break;
    case 10: {
      bool have = slotArg(s);
      uint32_t keep = in.byte() % (l.cacheSize + 3);
      if (have) h.flushCache(uint32_t(s), keep);
      break;
    }
    case 11: {
      uint8_t how = in.byte();
      if (slotArg(s)) h.markGone(uint32_t(s), how);
      break;
    }
    case 12:
    case 13: {
      bool burst = in.byte() & 1;
      unsigned n = in.byte() % (2 * ring.capacity() + 2);
      if (op == 12) ring.enqueue(burst, n);
      else
        ring.dequeue(burst, n);
      break;
    }
    case 14:
      h.attachView();
      break;
    case 16:
      h.waiter(in.byte() & 1);
      break;
    case 17: {
      bool have = slotArg(s);
      uint32_t p = h.pickPacket(in.byte());
      if (have) h.publish(uint32_t(s), p);
      break;
    }
    default:
      if (scribble) {
        uint8_t area = in.byte();
        uint8_t index = in.byte();
        h.scribble(area, index, in.u32());
      } else {
        h.rewritePayload(h.pickPacket(in.byte()));
      }
      break;
  }
  h.check();
}

}  // namespace
}  // namespace pbp::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* scribble = std::getenv("PBP_FUZZ_SCRIBBLE");
  const char* trace = std::getenv("PBP_FUZZ_TRACE");
  pbp::fuzz::gScribbleAllowed = scribble && scribble[0] == '1';
  pbp::fuzz::traceEnabled() = trace && trace[0] == '1';
  pbp::fuzz::assertRingLayout();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pbp;
  using namespace pbp::fuzz;
  ByteStream in(data, size);
  Config c = decodeConfig(in);
  std::shared_ptr<Pool> pool;
  Status st = Pool::create(c.options, pool);
  FUZZ_TRACE(
      "create(packets %u, buffers %u, size %u, headroom %u, chain %u, cache %u, threads %u, "
      "flags 0x%x, shared %d) -> %s\n",
      c.options.packetCount, c.options.bufferCount, c.options.bufferSize, c.options.headroom,
      c.options.maxBuffersPerPacket, c.options.cacheSize, c.options.maxThreads, c.options.poolFlags,
      int(c.options.shared), ioReturnName(st.code));
  if (!c.valid) {
    FUZZ_CHECK(st.code == IOReturn::BadArgument,
               std::string("invalid options gave ") + ioReturnName(st.code) + " (" + st.message + ")");
    FUZZ_CHECK(!pool, "a refused create still produced a pool");
    return 0;
  }
  FUZZ_CHECK(st.isOk(), "valid options were refused: " + st.message);
  RingHarness ring(c.ringCapacity, c.ringStart);
  {
    PoolHarness h(*pool);  // destroyed (region unpoisoned) before the pool unmaps
    h.check();
    while (!in.done()) runOne(in, h, ring, c.scribble);
    h.finish();
  }
  return 0;
}

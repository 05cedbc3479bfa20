// pbp_native_bench: nanoseconds per object for the core's ring and pool, next to DPDK's rte_ring
// (when built with it) running the very same loops in the same process.
//
//   pbp_native_bench                      table
//   pbp_native_bench --json               {"cpu":..., "results":[{"name":..., "nsPerOp":...}]}
//   pbp_native_bench --threads 1,2,4,8    thread counts for the ring take-then-return runs
//   pbp_native_bench --reps 7 --ms 200    repetitions (the median is reported) and run length
//   pbp_native_bench --clock cpu          nsPerOp from each thread's CPU time instead of wall time
//
// Ring results are ns per object (one entry taken and given back) as seen by each thread;
// "ring.*" is pbp::Ring, "dpdk.*" is rte_ring MP/MC with 4-byte elements. Repetitions of a ring
// scenario alternate between the two implementations, so both see the same machine noise.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bench_dpdk.h"
#include "bench_loops.h"
#include "pool.h"
#include "ring.h"

namespace pbp::bench {
namespace {

struct Config {
  bool json = false;
  bool pin = true;
  unsigned reps = 7;
  unsigned ms = 200;
  bool cpuClock = false;
  std::vector<unsigned> threads = {1, 2};
  std::vector<unsigned> poolThreads = {1};
};

struct Result {
  std::string name;
  Cost cost;  // medians
};

// pbp::Ring behind the adapter interface of bench_loops.h.
class PbpRing {
 public:
  explicit PbpRing(uint32_t capacity) {
    size_t bytes = (Ring::bytesFor(capacity) + 127) / 128 * 128;
    mem_ = std::aligned_alloc(128, bytes);
    if (!mem_) std::abort();
    std::memset(mem_, 0, bytes);
    ring_ = Ring::create(mem_, capacity);
  }
  ~PbpRing() { std::free(mem_); }
  PbpRing(const PbpRing&) = delete;
  PbpRing& operator=(const PbpRing&) = delete;

  bool enqueue(uint32_t v) { return ring_.enqueue(v); }
  bool dequeue(uint32_t& v) { return ring_.dequeue(v); }
  bool enqueueBulk(const uint32_t* v, unsigned n) { return ring_.enqueueMany(v, n, Ring::Mode::Bulk) == n; }
  bool dequeueBulk(uint32_t* v, unsigned n) { return ring_.dequeueMany(v, n, Ring::Mode::Bulk) == n; }

 private:
  void* mem_ = nullptr;
  Ring ring_;
};

Cost pbpTakeReturnOnce(RingOp op, unsigned threads, unsigned ms, bool pin) {
  PbpRing ring(kRingSize);
  if (!prefill(ring)) return {-1, -1};
  return measureTakeReturn(ring, op, threads, ms, pin);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Median of each clock separately.
Cost median(const std::vector<Cost>& runs) {
  std::vector<double> wall, cpu;
  for (const Cost& c : runs) {
    wall.push_back(c.wall);
    cpu.push_back(c.cpu);
  }
  return {median(wall), median(cpu)};
}

std::string cpuName() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0 || line.rfind("Model", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string v = line.substr(colon + 1);
        v.erase(0, v.find_first_not_of(" \t"));
        return v;
      }
    }
  }
  return "unknown";
}

std::string jsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

// ---- pool scenarios: each thread with its own slot, ns per packet ----------------------------

enum class PoolOp { OneByOne, Burst32 };

struct PoolBench {
  std::shared_ptr<Pool> pool;
  std::vector<uint32_t> slots;  // one per benchmark thread
};

bool makePool(uint32_t cacheSize, unsigned threads, PoolBench& out, std::string& why) {
  PoolOptions o;
  o.name = "bench";
  // Enough packets that every thread's cache can be full and the ring still holds some.
  o.packetCount = std::max(4096u, threads * 512u);
  o.bufferCount = o.packetCount;
  o.bufferSize = 2048;
  o.cacheSize = cacheSize;
  o.maxThreads = std::max(4u, threads);
  Status s = Pool::create(o, out.pool);
  if (!s.isOk()) {
    why = s.message;
    return false;
  }
  for (unsigned t = 0; t < threads; ++t) {
    uint32_t slot;
    s = out.pool->claimSlot(t, slot);
    if (!s.isOk()) {
      why = s.message;
      return false;
    }
    out.slots.push_back(slot);
  }
  return true;
}

Cost poolOnce(PoolBench& b, PoolOp op, unsigned ms, bool pin) {
  Pool& pool = *b.pool;
  return runTimed(unsigned(b.slots.size()), ms, pin, [&](unsigned t, const std::atomic<bool>& stop) -> uint64_t {
    const uint32_t s = b.slots[t];
    uint64_t moved = 0;
    if (op == PoolOp::OneByOne) {
      while (!stop.load(std::memory_order_relaxed)) {
        for (unsigned i = 0; i < kChunk; ++i) {
          uint32_t p;
          if (pool.allocateOne(s, p)) {
            pool.deallocateOne(s, p);
            ++moved;
          }
        }
      }
    } else {
      uint32_t buf[kBulk];
      while (!stop.load(std::memory_order_relaxed)) {
        for (unsigned i = 0; i < kChunk; ++i) {
          uint32_t got = pool.allocateBurst(s, buf, kBulk);
          if (got) pool.deallocateBulk(s, buf, got);
          moved += got;
        }
      }
    }
    return moved;
  });
}

// ---- driver ----------------------------------------------------------------------------------

void usage(FILE* f) {
  std::fprintf(f,
               "usage: pbp_native_bench [--json] [--threads N[,N...]] [--pool-threads N[,N...]] [--reps N] [--ms N] "
               "[--clock wall|cpu] [--no-pin]\n"
               "  --threads  thread counts for the ring take-then-return runs (default 1,2)\n"
               "  --pool-threads  thread counts for the pool runs, one slot each (default 1; names\n"
               "             get a .Nt suffix for N > 1)\n"
               "  --reps     repetitions per scenario; the median is reported (default 7)\n"
               "  --ms       length of one repetition in milliseconds (default 200)\n"
               "  --clock    what nsPerOp measures: wall-clock time (default) or the threads' CPU\n"
               "             time, which a busy shared machine inflates far less\n"
               "  --no-pin   do not pin benchmark thread i to CPU i %% ncpu\n");
}

bool parseUnsigned(const char* s, unsigned& out) {
  char* end = nullptr;
  unsigned long v = std::strtoul(s, &end, 10);
  if (!s[0] || *end || v == 0 || v > 4096) return false;
  out = unsigned(v);
  return true;
}

int parseArgs(int argc, char** argv, Config& c) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", name);
        return nullptr;
      }
      return argv[++i];
    };
    if (a == "--json") {
      c.json = true;
    } else if (a == "--no-pin") {
      c.pin = false;
    } else if (a == "--threads" || a == "--pool-threads") {
      const char* v = value(a.c_str());
      if (!v) return 2;
      std::vector<unsigned>& list = a == "--threads" ? c.threads : c.poolThreads;
      list.clear();
      std::stringstream ss(v);
      std::string item;
      while (std::getline(ss, item, ',')) {
        unsigned n;
        if (!parseUnsigned(item.c_str(), n) || n > 256) {
          std::fprintf(stderr, "%s: bad thread count '%s'\n", a.c_str(), item.c_str());
          return 2;
        }
        list.push_back(n);
      }
      if (list.empty()) return std::fprintf(stderr, "%s: empty list\n", a.c_str()), 2;
    } else if (a == "--reps") {
      const char* v = value("--reps");
      if (!v || !parseUnsigned(v, c.reps)) return std::fprintf(stderr, "--reps: bad value\n"), 2;
    } else if (a == "--ms") {
      const char* v = value("--ms");
      if (!v || !parseUnsigned(v, c.ms)) return std::fprintf(stderr, "--ms: bad value\n"), 2;
    } else if (a == "--clock") {
      const char* v = value("--clock");
      if (!v) return 2;
      if (std::strcmp(v, "wall") == 0) c.cpuClock = false;
      else if (std::strcmp(v, "cpu") == 0)
        c.cpuClock = true;
      else
        return std::fprintf(stderr, "--clock must be wall or cpu\n"), 2;
    } else if (a == "--help" || a == "-h") {
      usage(stdout);
      return 1;
    } else {
      std::fprintf(stderr, "unknown argument '%s'\n", a.c_str());
      usage(stderr);
      return 2;
    }
  }
  return 0;
}

int run(int argc, char** argv) {
  Config cfg;
  int rc = parseArgs(argc, argv, cfg);
  if (rc == 1) return 0;
  if (rc != 0) return rc;

  std::string dpdkWhy;
  bool dpdk = dpdkRingWorks(dpdkWhy);
  if (!dpdk && cfg.json) std::fprintf(stderr, "pbp_native_bench: no DPDK comparison: %s\n", dpdkWhy.c_str());
  const bool showProgress = !cfg.json && isatty(2);

  std::vector<Result> results;
  auto progress = [&](const std::string& what) {
    if (showProgress) std::fprintf(stderr, "  running %-40s\r", (what + "...").c_str());
  };

  // Warm up caches, frequency and the allocator once before anything is recorded.
  pbpTakeReturnOnce(RingOp::Single, 1, 50, cfg.pin);
  if (dpdk) dpdkTakeReturnOnce(RingOp::Single, 1, 50, cfg.pin);

  for (RingOp op : {RingOp::Single, RingOp::Bulk32}) {
    const char* opName = op == RingOp::Single ? "single" : "bulk32";
    for (unsigned t : cfg.threads) {
      std::string suffix = std::string(opName) + "." + std::to_string(t) + "t";
      progress(suffix);
      std::vector<Cost> ours, theirs;
      for (unsigned r = 0; r < cfg.reps; ++r) {
        ours.push_back(pbpTakeReturnOnce(op, t, cfg.ms, cfg.pin));
        if (dpdk) theirs.push_back(dpdkTakeReturnOnce(op, t, cfg.ms, cfg.pin));
      }
      results.push_back({"ring." + suffix, median(ours)});
      if (dpdk) results.push_back({"dpdk." + suffix, median(theirs)});
    }
  }

  struct PoolScenario {
    const char* name;
    uint32_t cacheSize;
    PoolOp op;
  };
  for (const PoolScenario& sc : {PoolScenario{"pool.alloc-free.cache256", 256, PoolOp::OneByOne},
                                 PoolScenario{"pool.alloc-free.cache0", 0, PoolOp::OneByOne},
                                 PoolScenario{"pool.burst-bulk32.cache256", 256, PoolOp::Burst32},
                                 PoolScenario{"pool.burst-bulk32.cache0", 0, PoolOp::Burst32}}) {
    for (unsigned t : cfg.poolThreads) {
      std::string name = std::string(sc.name) + (t > 1 ? "." + std::to_string(t) + "t" : "");
      progress(name);
      PoolBench b;
      std::string why;
      if (!makePool(sc.cacheSize, t, b, why)) {
        std::fprintf(stderr, "pbp_native_bench: cannot create pool: %s\n", why.c_str());
        return 1;
      }
      poolOnce(b, sc.op, 20, cfg.pin);  // warm-up
      std::vector<Cost> v;
      for (unsigned r = 0; r < cfg.reps; ++r) v.push_back(poolOnce(b, sc.op, cfg.ms, cfg.pin));
      results.push_back({name, median(v)});
      for (uint32_t slot : b.slots) b.pool->releaseSlot(slot);
    }
  }

  std::string cpu = cpuName();
  unsigned cpus = std::thread::hardware_concurrency();
  const char* clock = cfg.cpuClock ? "cpu" : "wall";
  auto ns = [&](const Result& r) { return cfg.cpuClock ? r.cost.cpu : r.cost.wall; };
  if (cfg.json) {
    std::printf("{\"cpu\":\"%s\",\"cpus\":%u,\"dpdk\":", jsonEscape(cpu).c_str(), cpus);
    if (dpdk) std::printf("\"%s\"", jsonEscape(dpdkVersion()).c_str());
    else
      std::printf("null");
    std::printf(",\"clock\":\"%s\",\"reps\":%u,\"ms\":%u,\"results\":[", clock, cfg.reps, cfg.ms);
    for (size_t i = 0; i < results.size(); ++i)
      std::printf("%s{\"name\":\"%s\",\"nsPerOp\":%.3f,\"wallNsPerOp\":%.3f,\"cpuNsPerOp\":%.3f}", i ? "," : "",
                  jsonEscape(results[i].name).c_str(), ns(results[i]), results[i].cost.wall, results[i].cost.cpu);
    std::printf("]}\n");
    return 0;
  }

  if (showProgress) std::fprintf(stderr, "%60s\r", "");
  std::printf("pbp_native_bench  cpu: %s (%u CPUs)\n", cpu.c_str(), cpus);
  if (dpdk) std::printf("comparing with DPDK %s rte_ring (MP/MC, 4-byte elements, no EAL)\n", dpdkVersion());
  else
    std::printf("no DPDK comparison: %s\n", dpdkWhy.c_str());
  std::printf(
      "median of %u runs x %u ms; ns per object (ring: taken and returned) per thread;\n"
      "ns/op by %s clock (--clock wall|cpu); ring/dpdk compares ns/op\n\n",
      cfg.reps, cfg.ms, clock);
  std::printf("%-30s %10s %10s %10s %10s\n", "name", "ns/op", "wall ns", "cpu ns", "ring/dpdk");
  for (const Result& r : results) {
    std::string ratio;
    if (dpdk && r.name.rfind("ring.", 0) == 0) {
      std::string other = "dpdk." + r.name.substr(5);
      for (const Result& o : results)
        if (o.name == other && ns(o) > 0) {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.3gx", ns(r) / ns(o));
          ratio = buf;
        }
    }
    std::printf("%-30s %10.2f %10.2f %10.2f %10s\n", r.name.c_str(), ns(r), r.cost.wall, r.cost.cpu, ratio.c_str());
  }
  std::printf("\nring/dpdk < 1 means pbp::Ring is faster.\n");
  return 0;
}

}  // namespace
}  // namespace pbp::bench

int main(int argc, char** argv) { return pbp::bench::run(argc, argv); }

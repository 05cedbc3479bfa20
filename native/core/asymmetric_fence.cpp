#include "asymmetric_fence.h"

#include <mutex>

#if defined(__linux__)
#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace pbp::fences {

std::atomic<bool> registered{false};

namespace {

#if defined(__linux__)
int membarrier(int cmd) { return int(syscall(__NR_membarrier, cmd, 0u, 0)); }

bool registerNow() {
  int supported = membarrier(MEMBARRIER_CMD_QUERY);
  return supported >= 0 && (supported & MEMBARRIER_CMD_GLOBAL_EXPEDITED) != 0 &&
         membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0;
}

// A forked child has a new address space, which the kernel need not keep registered, and the
// child's pools already skip the freer's fence: register again before the child runs anything.
void registerInChild() { registered.store(registerNow(), std::memory_order_relaxed); }
#endif

}  // namespace

bool registerProcess() {
#if defined(__linux__)
  static std::once_flag once;
  std::call_once(once, [] {
    bool ok = registerNow();
    if (ok) pthread_atfork(nullptr, nullptr, registerInChild);
    registered.store(ok, std::memory_order_relaxed);
  });
#endif
  return registered.load(std::memory_order_relaxed);
}

bool heavyBarrier() {
#if defined(__linux__)
  return membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) == 0;
#else
  return false;
#endif
}

}  // namespace pbp::fences

#include "futex.h"

#include <ctime>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace pbp {

void futexWait(uint32_t* word, uint32_t expected, uint32_t timeoutMs) {
  struct timespec ts;
  ts.tv_sec = timeoutMs / 1000;
  ts.tv_nsec = long(timeoutMs % 1000) * 1000000L;
#if defined(__linux__)
  // The kernel re-reads *word under its own lock, so a wake between our caller's check and this
  // call is never lost: the call returns at once with EAGAIN.
  syscall(SYS_futex, word, FUTEX_WAIT, expected, &ts, nullptr, 0);
#else
  if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != expected) return;
  ts.tv_sec = 0;
  ts.tv_nsec = 1000000L;  // 1 ms
  nanosleep(&ts, nullptr);
#endif
}

void futexWakeAll(uint32_t* word) {
#if defined(__linux__)
  syscall(SYS_futex, word, FUTEX_WAKE, 0x7fffffff, nullptr, nullptr, 0);
#else
  (void)word;
#endif
}

}  // namespace pbp

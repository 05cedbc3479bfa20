// Makes the free packets parked in idle threads' caches reachable to a thread of this process
// that waits for one (allocatePacketAsync). Every attachment owns a CacheFlusher: a thread-safe
// function that flushes its thread's cache to the shared ring, run on that thread. A waiter that
// finds the ring empty asks every flusher of the pool in this process (requestFlushes).
//
// Why on the owner's thread: a cache is written by its thread with plain stores, so no other
// thread may move its entries. The call runs between two JavaScript tasks, when the hot path is
// never half-way through an operation, so every entry within the count is free. A thread that
// is inside a long synchronous loop (or blocked in Atomics.wait) flushes when it next returns to
// its event loop; meanwhile its deallocations already go to the ring, because they see the waiter.
// Caches of other processes are out of reach (see the README's Safety section).
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>

#include "../core/pool.h"

namespace pbp_addon {

class CacheFlusher {
 public:
  CacheFlusher(Napi::Env env, std::shared_ptr<pbp::Pool> pool, uint32_t slot);
  // On the owner's thread: no flush is requested or run after this.
  ~CacheFlusher();
  CacheFlusher(const CacheFlusher&) = delete;
  CacheFlusher& operator=(const CacheFlusher&) = delete;

  // Any thread: asks every thread attached to `pool` in this process to flush its cache soon.
  static void requestFlushes(const pbp::Pool* pool);

 private:
  // What a queued call finds when it runs; it can outlive the flusher (calls still queued run
  // after it is gone), so the thread-safe function's finalizer frees it. `pool` and `stopped`
  // are touched only on the owner's thread; `pending` by requesters too.
  struct Target {
    std::shared_ptr<pbp::Pool> pool;
    uint32_t slot;
    bool stopped;
    std::atomic<bool> pending;
  };

  static void callJs(Napi::Env env, Napi::Function, Target* target, void*);
  static void finalizeTarget(Napi::Env, void*, Target* target) { delete target; }
  void request();

  using Tsfn = Napi::TypedThreadSafeFunction<Target, void, &CacheFlusher::callJs>;

  const pbp::Pool* key_;
  Target* target_;  // owned by tsfn_ (freed by its finalizer)
  Tsfn tsfn_;
};

}  // namespace pbp_addon

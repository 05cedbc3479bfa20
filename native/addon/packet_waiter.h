// Lets a JS thread wait for a free packet without polling its event loop: a native thread sleeps
// on the pool's futex word (woken by deallocations in any thread or process) and, once the shared
// ring holds a packet, calls back into JS through a thread-safe function. It hands over no packet
// itself: the JS side allocates as usual when called, so nothing is in flight if the wait is
// abandoned.
#pragma once

#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "../core/pool.h"

namespace pbp_addon {

class PacketWaiter {
 public:
  PacketWaiter(Napi::Env env, std::shared_ptr<pbp::Pool> pool, Napi::Function onFreed);
  ~PacketWaiter();
  PacketWaiter(const PacketWaiter&) = delete;
  PacketWaiter& operator=(const PacketWaiter&) = delete;

  // JS thread: call onFreed once, as soon as the shared ring has a free packet. Keeps the event
  // loop alive until then if keepAlive (a caller that asked for ref: false does not want that);
  // calling it again while waiting only updates keepAlive.
  void want(Napi::Env env, bool keepAlive);
  // JS thread: stops waiting and joins the native thread. Idempotent.
  void stop();

 private:
  // What a queued call finds when it runs. Calls still queued when the waiter is stopped run
  // after it is gone, so this outlives it: the thread-safe function's finalizer frees it.
  // `owner` is valid while `stopped` is false; both are touched only on the JS thread.
  struct CallTarget {
    PacketWaiter* owner;
    bool stopped;
  };

  void run();
  static void callJs(Napi::Env env, Napi::Function onFreed, CallTarget* target, void*);
  static void finalizeTarget(Napi::Env, void*, CallTarget* target) { delete target; }

  using Tsfn = Napi::TypedThreadSafeFunction<CallTarget, void, &PacketWaiter::callJs>;

  std::shared_ptr<pbp::Pool> pool_;
  CallTarget* target_;  // owned by tsfn_ (freed by its finalizer)
  Tsfn tsfn_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;      // guarded by mutex_
  bool registered_ = false;  // counted in the pool's waiters; guarded by mutex_
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;
};

}  // namespace pbp_addon

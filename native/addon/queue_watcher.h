// Waits for entries in a packet queue without polling the event loop: a native thread sleeps on
// the queue's futex word (woken by producers in any thread or process, see packet_queue.h) and,
// once the queue holds entries, calls back into JS through a thread-safe function. It dequeues
// nothing itself, so nothing is in flight when a wait is abandoned. The backing of
// queue.waitForPackets() and the queue's dequeue action.
#pragma once

#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "../core/pool.h"

namespace pbp_addon {

class QueueWatcher : public Napi::ObjectWrap<QueueWatcher> {
 public:
  static Napi::Function define(Napi::Env env);
  // new QueueWatcher(nativePool, queueId, onData)
  explicit QueueWatcher(const Napi::CallbackInfo& info);
  ~QueueWatcher() override;

 private:
  // want(): call onData once, on this thread, as soon as the queue holds entries (or is
  // destroyed). Keeps the event loop alive until then unless unref() was called.
  Napi::Value want(const Napi::CallbackInfo& info);
  Napi::Value stop(const Napi::CallbackInfo& info);
  Napi::Value ref(const Napi::CallbackInfo& info);
  Napi::Value unref(const Napi::CallbackInfo& info);

  struct CallTarget {  // outlives the watcher: the tsfn's finalizer frees it
    QueueWatcher* owner;
    bool stopped;
  };
  void run();
  void shutdown();
  static void callJs(Napi::Env env, Napi::Function onData, CallTarget* target, void*);
  static void finalizeTarget(Napi::Env, void*, CallTarget* target) { delete target; }
  using Tsfn = Napi::TypedThreadSafeFunction<CallTarget, void, &QueueWatcher::callJs>;

  std::shared_ptr<pbp::Pool> pool_;
  pbp::PacketQueue queue_;
  CallTarget* target_ = nullptr;
  Tsfn tsfn_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;      // guarded by mutex_
  bool registered_ = false;  // counted in the queue's consumer waiters; guarded by mutex_
  bool refed_ = true;        // JS thread only
  bool tsfnRefed_ = false;   // JS thread only
  std::atomic<bool> stopping_{false};
  bool stopped_ = true;
};

}  // namespace pbp_addon

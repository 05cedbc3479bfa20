#include "queue_watcher.h"

#include "errors.h"
#include "pool_wrap.h"

namespace pbp_addon {
namespace {
// Upper bound on one sleep: the queue may be destroyed and recreated under us, or a producer in a
// process that died may have skipped its wake; a bounded sleep re-checks instead of hanging.
constexpr uint32_t kMaxSleepMs = 100;
}  // namespace

Napi::Function QueueWatcher::define(Napi::Env env) {
  return DefineClass(env, "QueueWatcher",
                     {InstanceMethod<&QueueWatcher::want>("want"), InstanceMethod<&QueueWatcher::stop>("stop"),
                      InstanceMethod<&QueueWatcher::ref>("ref"), InstanceMethod<&QueueWatcher::unref>("unref")});
}

QueueWatcher::QueueWatcher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<QueueWatcher>(info) {
  Napi::Env env = info.Env();
  PoolWrap* pw = PoolWrap::fromArg(info, 0);
  uint32_t id;
  if (pw == nullptr || !readUint32(info, 1, "queueId", id)) return;
  if (info.Length() < 3 || !info[2].IsFunction()) {
    throwIOReturn(env, pbp::IOReturn::BadArgument, "QueueWatcher expects a callback");
    return;
  }
  pbp::Status s = pw->pool()->openQueue(id, queue_);
  if (!s.isOk()) {
    throwStatus(env, s);
    return;
  }
  pool_ = pw->pool();
  target_ = new CallTarget{this, false};
  tsfn_ = Tsfn::New(env, info[2].As<Napi::Function>(), "packet-buffer-pool queue watcher", 0, 1, target_,
                    finalizeTarget, static_cast<void*>(nullptr));
  tsfn_.Unref(env);  // only a pending want() keeps the process alive
  stopped_ = false;
  thread_ = std::thread([this] { run(); });
}

QueueWatcher::~QueueWatcher() { shutdown(); }

Napi::Value QueueWatcher::want(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (stopped_) return throwIOReturn(env, pbp::IOReturn::NotAttached, "the queue watcher was stopped");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (wanted_) return env.Undefined();
    wanted_ = true;
    if (!registered_) {
      // Register before the thread looks at the queue (it looks only after the notify below).
      queue_.addWaiter();
      registered_ = true;
    }
  }
  if (refed_ && !tsfnRefed_) {
    tsfn_.Ref(env);
    tsfnRefed_ = true;
  }
  wake_.notify_one();
  return env.Undefined();
}

void QueueWatcher::run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return wanted_ || stopping_.load(); });
      if (stopping_.load()) return;
    }
    uint32_t seen = queue_.dataSequence();
    // A queue destroyed meanwhile (its descriptor no longer active) also ends the wait: the JS
    // side then finds out and reports it.
    bool gone = !pbp::PacketQueue(*pool_, queue_.id()).valid();
    if (gone || queue_.size() > 0) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        wanted_ = false;
        if (registered_) {
          queue_.removeWaiter();
          registered_ = false;
        }
      }
      tsfn_.NonBlockingCall();
      continue;
    }
    queue_.sleepUntilData(seen, kMaxSleepMs);
  }
}

void QueueWatcher::callJs(Napi::Env env, Napi::Function onData, CallTarget* target, void*) {
  if (env == nullptr || target->stopped) return;  // torn down, or stopped meanwhile
  QueueWatcher* self = target->owner;
  if (self->tsfnRefed_) {
    self->tsfn_.Unref(env);
    self->tsfnRefed_ = false;
  }
  onData.Call({});
}

Napi::Value QueueWatcher::ref(const Napi::CallbackInfo& info) {
  refed_ = true;
  bool pending;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending = wanted_;
  }
  if (!stopped_ && pending && !tsfnRefed_) {
    tsfn_.Ref(info.Env());
    tsfnRefed_ = true;
  }
  return info.Env().Undefined();
}

Napi::Value QueueWatcher::unref(const Napi::CallbackInfo& info) {
  refed_ = false;
  if (!stopped_ && tsfnRefed_) {
    tsfn_.Unref(info.Env());
    tsfnRefed_ = false;
  }
  return info.Env().Undefined();
}

Napi::Value QueueWatcher::stop(const Napi::CallbackInfo& info) {
  shutdown();
  return info.Env().Undefined();
}

void QueueWatcher::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true);
  wake_.notify_one();
  queue_.wakeAll();  // interrupts our futex sleep (other sleepers re-check and sleep again)
  if (thread_.joinable()) thread_.join();
  if (registered_) {
    queue_.removeWaiter();
    registered_ = false;
  }
  target_->stopped = true;  // calls still queued must not reach this object
  tsfn_.Release();
}

}  // namespace pbp_addon

#include "packet_waiter.h"

#include "cache_flusher.h"

namespace pbp_addon {

namespace {
// Upper bound on one sleep, so a lost wake-up (a deallocation that raced with our registration
// and parked its packet in a thread cache) is retried rather than waited on forever.
constexpr uint32_t kMaxSleepMs = 100;

// After a call back that found nothing, the next one waits this long at first, doubling up to
// kMaxSleepMs while nothing is freed.
constexpr uint32_t kFirstBackoffMs = 1;
}  // namespace

PacketWaiter::PacketWaiter(Napi::Env env, std::shared_ptr<pbp::Pool> pool, Napi::Function onFreed)
    : pool_(std::move(pool)), target_(new CallTarget{this, false}) {
  tsfn_ =
      Tsfn::New(env, onFreed, "packet-buffer-pool waiter", 0, 1, target_, finalizeTarget, static_cast<void*>(nullptr));
  tsfn_.Unref(env);  // only a pending want() keeps the process alive
  try {
    thread_ = std::thread([this] { run(); });
  } catch (...) {
    // No thread (std::system_error): the destructor will not run, so let the function go here;
    // the caller answers kIOReturnNoResources (errors.h).
    target_->stopped = true;
    tsfn_.Release();
    throw;
  }
}

PacketWaiter::~PacketWaiter() { stop(); }

void PacketWaiter::want(Napi::Env env, bool keepAlive) {
  // Ref/Unref of a thread-safe function are a flag, not a count: the last call wins.
  if (keepAlive) tsfn_.Ref(env);
  else
    tsfn_.Unref(env);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (wanted_) return;
    wanted_ = true;
    if (!registered_) {
      // Register before the thread looks at the ring (it only looks after being notified below).
      pool_->addWaiter();
      registered_ = true;
    }
  }
  wake_.notify_one();
}

void PacketWaiter::run() {
  // JS asks again (want()) only when the packets it was called for were not there. If nothing
  // was freed since that call (the free sequence has not moved), looking at the ring again at
  // once would find the same count and call back at once: with a ring count that cannot be taken
  // (a scribbled consumer tail, or packets another thread takes first) both threads would spin
  // at 100% CPU. So after such a fruitless call the waiter sleeps until something is freed or a
  // backoff (1, 2, 4 ... 100 ms) passes, and only then looks again.
  bool calledBack = false;
  uint32_t calledAt = 0;  // free sequence when we last called back
  uint32_t backoffMs = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return wanted_ || stopping_.load(); });
      if (stopping_.load()) return;
    }
    if (calledBack && pool_->freeSequence() == calledAt) {
      backoffMs = backoffMs == 0 ? kFirstBackoffMs : backoffMs * 2 > kMaxSleepMs ? kMaxSleepMs : backoffMs * 2;
      pool_->sleepUntilFreed(calledAt, backoffMs);
      if (stopping_.load()) return;
    }
    uint32_t seen = pool_->freeSequence();
    if (seen != calledAt) backoffMs = 0;  // something was freed: the next fruitless call starts over
    // A broken pool calls back too: JS then gets kIOReturnIOError and rejects its waiters.
    if (pool_->freeInRing() > 0 || pool_->broken()) {
      calledBack = true;
      calledAt = seen;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        wanted_ = false;
        if (registered_) {
          pool_->removeWaiter();
          registered_ = false;
        }
      }
      tsfn_.NonBlockingCall();
      continue;
    }
    // Free packets may sit in the caches of threads that are idle: ask them (this process's
    // only) to flush to the ring; the flush wakes us through the sequence like any free.
    CacheFlusher::requestFlushes(pool_.get());
    pool_->sleepUntilFreed(seen, kMaxSleepMs);
  }
}

void PacketWaiter::callJs(Napi::Env env, Napi::Function onFreed, CallTarget* target, void*) {
  if (env == nullptr || target->stopped) return;  // torn down, or the waiter was stopped meanwhile
  target->owner->tsfn_.Unref(env);
  onFreed.Call({});
}

void PacketWaiter::stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true);
  wake_.notify_one();
  pool_->wakeWaiters();  // interrupts our futex sleep (others just re-check and sleep again)
  if (thread_.joinable()) thread_.join();
  if (registered_) {
    pool_->removeWaiter();
    registered_ = false;
  }
  target_->stopped = true;  // calls still queued must not reach this object
  tsfn_.Release();
}

}  // namespace pbp_addon

#include "cache_flusher.h"

#include <mutex>
#include <unordered_map>

namespace pbp_addon {
namespace {

// The flushers of each pool in this process. Leaked on purpose, like the pool registry: worker
// threads may still unregister while the process exits, after static destructors would have run.
struct Flushers {
  std::mutex mutex;
  std::unordered_multimap<const pbp::Pool*, CacheFlusher*> byPool;
};

Flushers& flushers() {
  static Flushers* f = new Flushers();
  return *f;
}

}  // namespace

CacheFlusher::CacheFlusher(Napi::Env env, std::shared_ptr<pbp::Pool> pool, uint32_t slot)
    : key_(pool.get()), target_(new Target{std::move(pool), slot, false, {false}}) {
  tsfn_ = Tsfn::New(env, "packet-buffer-pool cache flush", 0, 1, target_, finalizeTarget, static_cast<void*>(nullptr));
  tsfn_.Unref(env);  // a pending flush must not keep the thread alive
  Flushers& f = flushers();
  std::lock_guard<std::mutex> lock(f.mutex);
  try {
    f.byPool.emplace(key_, this);
  } catch (...) {
    // No memory for the entry (std::bad_alloc): the destructor will not run, so let the function
    // go here; PoolWrap answers the exception (errors.h).
    target_->stopped = true;
    tsfn_.Release();
    throw;
  }
}

CacheFlusher::~CacheFlusher() {
  {
    // Unregistered before the release below: requestFlushes() calls the function under the
    // same lock, so no call can be made on a released one.
    Flushers& f = flushers();
    std::lock_guard<std::mutex> lock(f.mutex);
    auto range = f.byPool.equal_range(key_);
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second == this) {
        f.byPool.erase(it);
        break;
      }
    }
  }
  target_->stopped = true;  // calls still queued must not flush a slot that is given back
  target_->pool.reset();
  tsfn_.Release();
}

void CacheFlusher::requestFlushes(const pbp::Pool* pool) {
  Flushers& f = flushers();
  std::lock_guard<std::mutex> lock(f.mutex);
  auto range = f.byPool.equal_range(pool);
  for (auto it = range.first; it != range.second; ++it) it->second->request();
}

void CacheFlusher::request() {
  // One call in flight at most: a thread that does not reach its event loop for a while must
  // not collect one queued call per waiter wake-up.
  if (target_->pending.exchange(true)) return;
  if (tsfn_.NonBlockingCall() != napi_ok) target_->pending.store(false);
}

void CacheFlusher::callJs(Napi::Env env, Napi::Function, Target* target, void*) {
  if (env == nullptr || target->stopped) return;  // torn down, or the thread let go of the pool
  target->pending.store(false);
  target->pool->flushCache(target->slot, 0);
}

}  // namespace pbp_addon

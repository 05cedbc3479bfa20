#include "queue_wrap.h"

#include <chrono>

#include "../core/futex.h"
#include "../core/pool.h"
#include "errors.h"
#include "pool_wrap.h"
#include "queue_listeners.h"
#include "queue_watcher.h"

namespace pbp_addon {
namespace {

using pbp::IOReturn;
using pbp::PacketQueue;
using pbp::Status;

// What JS needs to run the queue protocol over its typed arrays: where the words are (uint32
// index into the region) and the capacity this process trusts (read once, at open).
Napi::Value describeQueue(Napi::Env env, const pbp::Pool& pool, const PacketQueue& q) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("queueId", q.id());
  o.Set("kind", uint32_t(q.kind()));
  o.Set("capacity", q.capacity());
  o.Set("word", double((reinterpret_cast<uint8_t*>(q.words()) - pool.base()) / 4));
  return o;
}

bool openArg(const Napi::CallbackInfo& info, PoolWrap*& pw, PacketQueue& q) {
  uint32_t id;
  pw = PoolWrap::fromArg(info, 0);
  if (pw == nullptr || !readUint32(info, 1, "queueId", id)) return false;
  Status s = pw->pool()->openQueue(id, q);
  if (!s.isOk()) {
    throwStatus(info.Env(), s);
    return false;
  }
  return true;
}

// queueCreate(nativePool, kind, queueId, capacity) -> description
Napi::Value queueCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PoolWrap* pw = PoolWrap::fromArg(info, 0);
  uint32_t kind, id, capacity;
  if (pw == nullptr || !readUint32(info, 1, "kind", kind) || !readUint32(info, 2, "queueId", id) ||
      !readUint32(info, 3, "capacity", capacity))
    return env.Undefined();
  PacketQueue q;
  Status s = pw->pool()->createQueue(pbp::QueueKind(kind), id, capacity, q);
  if (!s.isOk()) return throwStatus(env, s);
  return describeQueue(env, *pw->pool(), q);
}

// queueOpen(nativePool, queueId) -> description
Napi::Value queueOpen(const Napi::CallbackInfo& info) {
  PoolWrap* pw;
  PacketQueue q;
  if (!openArg(info, pw, q)) return info.Env().Undefined();
  return describeQueue(info.Env(), *pw->pool(), q);
}

// queueDestroy(nativePool, queueId) -> packets returned to the pool
Napi::Value queueDestroy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PoolWrap* pw = PoolWrap::fromArg(info, 0);
  uint32_t id, returned = 0;
  if (pw == nullptr || !readUint32(info, 1, "queueId", id)) return env.Undefined();
  Status s = pw->pool()->destroyQueue(id, returned, pw->slot());
  if (!s.isOk()) return throwStatus(env, s);
  return Napi::Number::New(env, returned);
}

// queueAcquireEnd(nativePool, queueId, producer: boolean)
Napi::Value queueAcquireEnd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PoolWrap* pw;
  PacketQueue q;
  if (!openArg(info, pw, q)) return env.Undefined();
  Status s = pw->pool()->acquireQueueEnd(q, info.Length() > 2 && info[2].ToBoolean().Value(), pw->slot());
  if (!s.isOk()) return throwStatus(env, s);
  return env.Undefined();
}

// queueReleaseEnd(nativePool, queueId, producer: boolean): lets another thread take the end over.
Napi::Value queueReleaseEnd(const Napi::CallbackInfo& info) {
  PoolWrap* pw;
  PacketQueue q;
  if (!openArg(info, pw, q)) return info.Env().Undefined();
  pw->pool()->releaseQueueEnd(q, info.Length() > 2 && info[2].ToBoolean().Value(), pw->slot());
  return info.Env().Undefined();
}

// queueWake(nativePool, queueId): after JS producers bumped the data sequence (they saw a waiter).
Napi::Value queueWake(const Napi::CallbackInfo& info) {
  PoolWrap* pw;
  PacketQueue q;
  if (!openArg(info, pw, q)) return info.Env().Undefined();
  pbp::futexWakeAll(q.words() + pbp::queue::kDataSeqU32);
  notifyQueueListeners(pw->pool().get(), q.id());  // drivers on an event loop of this process
  return info.Env().Undefined();
}

// queueWaitSync(nativePool, queueId, timeoutMs) -> true when the queue holds entries. Blocks the
// calling thread (meant for workers); a timeout of 0 only looks.
Napi::Value queueWaitSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PoolWrap* pw;
  PacketQueue q;
  uint32_t timeoutMs;
  if (!openArg(info, pw, q) || !readUint32(info, 2, "timeout", timeoutMs)) return env.Undefined();
  if (q.size() > 0 || timeoutMs == 0) return Napi::Boolean::New(env, q.size() > 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  q.addWaiter();
  bool ready = false;
  for (;;) {
    uint32_t seen = q.dataSequence();
    if (q.size() > 0 || !PacketQueue(*pw->pool(), q.id()).valid()) {
      ready = q.size() > 0;
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    // Bounded sleeps: see QueueWatcher's kMaxSleepMs.
    q.sleepUntilData(seen, uint32_t(left.count() < 100 ? left.count() : 100));
  }
  q.removeWaiter();
  return Napi::Boolean::New(env, ready);
}

}  // namespace

void defineQueueFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("queueCreate", Napi::Function::New(env, queueCreate, "queueCreate"));
  exports.Set("queueOpen", Napi::Function::New(env, queueOpen, "queueOpen"));
  exports.Set("queueDestroy", Napi::Function::New(env, queueDestroy, "queueDestroy"));
  exports.Set("queueAcquireEnd", Napi::Function::New(env, queueAcquireEnd, "queueAcquireEnd"));
  exports.Set("queueReleaseEnd", Napi::Function::New(env, queueReleaseEnd, "queueReleaseEnd"));
  exports.Set("queueWake", Napi::Function::New(env, queueWake, "queueWake"));
  exports.Set("queueWaitSync", Napi::Function::New(env, queueWaitSync, "queueWaitSync"));
  exports.Set("QueueWatcher", QueueWatcher::define(env));
}

}  // namespace pbp_addon

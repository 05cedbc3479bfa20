// NativePool: one JavaScript thread's attachment to a pool. It owns a thread slot (the per-thread
// cache and counters), one external ArrayBuffer over the whole region (the typed-array views of
// the JS hot path), and a reference that keeps the region mapped. Thin: every decision about
// packets is made in the core (native/core/pool.h) or in lib/.
#pragma once

#include <napi.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "../core/pool.h"
#include "cache_flusher.h"
#include "errors.h"
#include "hot_calls.h"
#include "packet_waiter.h"

namespace pbp_addon {

class PoolWrap : public Napi::ObjectWrap<PoolWrap> {
 public:
  static Napi::Function define(Napi::Env env);

  // new NativePool(options) creates a pool; new NativePool({ attach: handle }) attaches.
  explicit PoolWrap(const Napi::CallbackInfo& info);
  ~PoolWrap() override;

  // For other wrappers that work on this thread's attachment (network interfaces): the wrap
  // behind a NativePool object, or nullptr (after throwing kIOReturnBadArgument) for anything else.
  static PoolWrap* from(Napi::Env env, Napi::Value value);
  // from() for argument `i` that must also be attached (else kIOReturnNotAttached, nullptr).
  static PoolWrap* fromArg(const Napi::CallbackInfo& info, size_t i);
  // Null once released.
  const std::shared_ptr<pbp::Pool>& pool() const { return pool_; }
  uint32_t slot() const { return slot_; }
  // Bindings that hold packets under this attachment's thread slot (interfaces' drivers): their
  // hook runs when the attachment goes (release(), thread exit), before the slot is released.
  uint64_t addDetachHook(std::function<void()> hook);
  void removeDetachHook(uint64_t id);

 private:
  Napi::Value layoutInfo(const Napi::CallbackInfo& info);
  Napi::Value regionBuffer(const Napi::CallbackInfo& info);
  Napi::Value hotCall(const Napi::CallbackInfo& info);
  Napi::Value claimPacket(const Napi::CallbackInfo& info);
  Napi::Value addBuffer(const Napi::CallbackInfo& info);
  Napi::Value stats(const Napi::CallbackInfo& info);
  Napi::Value freePacketCount(const Napi::CallbackInfo& info);
  Napi::Value reclaim(const Napi::CallbackInfo& info);
  Napi::Value createHandle(const Napi::CallbackInfo& info);
  Napi::Value copyMemoryDescriptor(const Napi::CallbackInfo& info);
  Napi::Value release(const Napi::CallbackInfo& info);
  Napi::Value waitForPacket(const Napi::CallbackInfo& info);
  Napi::Value stopWaiting(const Napi::CallbackInfo& info);

  // Every method is registered through this, so no C++ exception reaches Node-API (errors.h).
  template <Napi::Value (PoolWrap::*Method)(const Napi::CallbackInfo&)>
  Napi::Value guard(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&] { return (this->*Method)(info); });
  }
  void construct(const Napi::CallbackInfo& info);

  bool attached(Napi::Env env);  // throws kIOReturnNotAttached when released, IOError when broken
  bool healthy(Napi::Env env);   // throws kIOReturnIOError when the pool is broken
  void detach();                 // gives the slot back and drops the pool; idempotent
  static void onEnvCleanup(void* self);

  std::shared_ptr<pbp::Pool> pool_;
  std::map<uint64_t, std::function<void()>> detachHooks_;
  uint64_t nextDetachHook_ = 1;
  std::unique_ptr<PacketWaiter> waiter_;
  std::unique_ptr<CacheFlusher> flusher_;  // lets waiters of this process reach our cache
  uint32_t slot_ = 0;
  std::shared_ptr<HotState> hot_;  // what hotCall()'s function acts on; cleared by detach()
  Napi::Reference<Napi::ArrayBuffer> region_;
  napi_env env_ = nullptr;
  bool cleanupHookAdded_ = false;
};

// Wraps a pool reference in an external ArrayBuffer over [offset, offset + length) of its
// region; the mapping stays valid for as long as the ArrayBuffer (or anything viewing it) lives.
// `newlyMapped`: this process mapped the region just now (create, attach by fd).
Napi::ArrayBuffer externalRegionBuffer(Napi::Env env, const std::shared_ptr<pbp::Pool>& pool, uint64_t offset,
                                       uint64_t length, bool newlyMapped);

}  // namespace pbp_addon

// NativeMemoryDescriptor: what CopyMemoryDescriptor() returns. It holds its own reference to the
// region ("Copy" = retained), so the memory stays mapped until it is released even if every pool
// handle has been released. Mappings are views of one external ArrayBuffer over the whole region,
// made at the first mapping (a new ArrayBuffer per mapping made V8 count the region again each
// time, and collect garbage over it); it is detached when the descriptor is released.
#pragma once

#include <napi.h>

#include <memory>

#include "../core/pool.h"
#include "errors.h"

namespace pbp_addon {

class MemoryDescriptorWrap : public Napi::ObjectWrap<MemoryDescriptorWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  static Napi::Value create(Napi::Env env, const std::shared_ptr<pbp::Pool>& pool);

  explicit MemoryDescriptorWrap(const Napi::CallbackInfo& info);
  ~MemoryDescriptorWrap() override;

 private:
  Napi::Value length(const Napi::CallbackInfo& info);
  Napi::Value address(const Napi::CallbackInfo& info);
  Napi::Value map(const Napi::CallbackInfo& info);
  Napi::Value release(const Napi::CallbackInfo& info);
  // Every method is registered through this, so no C++ exception reaches Node-API (errors.h).
  template <Napi::Value (MemoryDescriptorWrap::*Method)(const Napi::CallbackInfo&)>
  Napi::Value guard(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&] { return (this->*Method)(info); });
  }
  void dropPool();  // gives up this descriptor's hold on the pool; idempotent

  std::shared_ptr<pbp::Pool> pool_;
  Napi::Reference<Napi::ArrayBuffer> region_;  // what mappings view; empty until the first
};

}  // namespace pbp_addon

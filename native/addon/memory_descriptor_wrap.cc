#include "memory_descriptor_wrap.h"

#include "errors.h"
#include "pool_wrap.h"

namespace pbp_addon {

using pbp::IOReturn;

Napi::Function MemoryDescriptorWrap::define(Napi::Env env) {
  return DefineClass(env, "NativeMemoryDescriptor",
                     {
                         InstanceMethod<&MemoryDescriptorWrap::guard<&MemoryDescriptorWrap::length>>("length"),
                         InstanceMethod<&MemoryDescriptorWrap::guard<&MemoryDescriptorWrap::address>>("address"),
                         InstanceMethod<&MemoryDescriptorWrap::guard<&MemoryDescriptorWrap::map>>("map"),
                         InstanceMethod<&MemoryDescriptorWrap::guard<&MemoryDescriptorWrap::release>>("release"),
                     });
}

Napi::Value MemoryDescriptorWrap::create(Napi::Env env, const std::shared_ptr<pbp::Pool>& pool) {
  auto* data = env.GetInstanceData<AddonData>();
  Napi::Object obj = data->memoryDescriptorClass.New({});
  if (env.IsExceptionPending()) return env.Undefined();
  if (!pool->acquireUser()) return throwIOReturn(env, IOReturn::NotAttached, "the pool has been released");
  MemoryDescriptorWrap::Unwrap(obj)->pool_ = pool;
  return obj;
}

MemoryDescriptorWrap::MemoryDescriptorWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<MemoryDescriptorWrap>(info) {}

MemoryDescriptorWrap::~MemoryDescriptorWrap() { dropPool(); }

void MemoryDescriptorWrap::dropPool() {
  if (!pool_) return;
  pool_->releaseUser();
  pool_.reset();
}

Napi::Value MemoryDescriptorWrap::length(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!pool_) return throwIOReturn(env, IOReturn::NotAttached, "the memory descriptor has been released");
  return Napi::Number::New(env, double(pool_->bytes()));
}

Napi::Value MemoryDescriptorWrap::address(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!pool_) return throwIOReturn(env, IOReturn::NotAttached, "the memory descriptor has been released");
  return Napi::BigInt::New(env, uint64_t(reinterpret_cast<uintptr_t>(pool_->base())));
}

// map(offset, length) -> the ArrayBuffer over the whole region that mappings view (lib/ makes the
// Buffer over [offset, offset + length)). The range is validated by lib/ and again here.
Napi::Value MemoryDescriptorWrap::map(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!pool_) return throwIOReturn(env, IOReturn::NotAttached, "the memory descriptor has been released");
  double offset = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  double length = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
  double total = double(pool_->bytes());
  if (!(offset >= 0 && length >= 0 && offset + length <= total) || offset != uint64_t(offset) ||
      length != uint64_t(length))
    return throwIOReturn(env, IOReturn::BadArgument,
                         "mapping range offset " + std::to_string(offset) + " length " + std::to_string(length) +
                             " is outside the descriptor (" + std::to_string(pool_->bytes()) + " bytes)");
  if (region_.IsEmpty()) region_ = Napi::Persistent(externalRegionBuffer(env, pool_, 0, pool_->bytes(), false));
  return region_.Value();
}

Napi::Value MemoryDescriptorWrap::release(const Napi::CallbackInfo& info) {
  if (!region_.IsEmpty()) {
    Napi::ArrayBuffer ab = region_.Value();
    if (!ab.IsDetached()) ab.Detach();  // every mapping's Buffer now reads as empty
    region_.Reset();
  }
  dropPool();
  return info.Env().Undefined();
}

}  // namespace pbp_addon

// NativePool's calls on an attached pool: the layout and region the JS side reads, the hot-call
// binding, single-packet and buffer calls, statistics, reclaim, the memory descriptor, and
// waiting for a free packet. Construction, attach, handles and release: pool_wrap.cc.
#include "pool_wrap.h"

#include "memory_descriptor_wrap.h"

namespace pbp_addon {

using pbp::IOReturn;

Napi::Value PoolWrap::layoutInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!attached(env)) return env.Undefined();
  const pbp::Layout& l = pool_->layout();
  Napi::Object o = Napi::Object::New(env);
  // uint64 fields go out as doubles: every offset is below kMaxRegionBytes (2^32).
#define PBP_EXPORT_FIELD(type, field) o.Set(#field, double(l.field));
  PBP_LAYOUT_FIELDS(PBP_EXPORT_FIELD)
#undef PBP_EXPORT_FIELD
  o.Set("name", pool_->name());
  o.Set("poolFlags", pool_->poolFlags());
  o.Set("shared", pool_->fd() >= 0);
  o.Set("baseAddress", Napi::BigInt::New(env, uint64_t(reinterpret_cast<uintptr_t>(pool_->base()))));
  o.Set("slot", slot_);
  o.Set("tag", pool_->tagOf(slot_));
  o.Set("waitersWord", pbp::Pool::waitersWordIndex());
  return o;
}

Napi::Value PoolWrap::regionBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!attached(env)) return env.Undefined();
  return region_.Value();
}

// The per-packet, refill/flush and index-batch calls: one function bound to this attachment
// (hot_calls.h).
Napi::Value PoolWrap::hotCall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!attached(env)) return env.Undefined();
  return makeHotCall(env, hot_);
}

Napi::Value PoolWrap::claimPacket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t packet;
  if (!attached(env) || !readUint32(info, 0, "fPacketIndex", packet)) return env.Undefined();
  pbp::Status s = pool_->claimPacket(slot_, packet);
  if (!s.isOk()) return throwStatus(env, s);
  return env.Undefined();
}

Napi::Value PoolWrap::addBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t packet, buffer;
  if (!attached(env) || !readUint32(info, 0, "packet index", packet)) return env.Undefined();
  pbp::Status s = pool_->addBuffer(packet, buffer, slot_);
  if (s.code == IOReturn::NoResources || s.code == IOReturn::Overrun) return Napi::Number::New(env, -1);
  if (!s.isOk()) return throwStatus(env, s);
  return Napi::Number::New(env, buffer);
}

Napi::Value PoolWrap::stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!attached(env)) return env.Undefined();
  pbp::PoolStats st = pool_->stats();
  Napi::Object o = Napi::Object::New(env);
  o.Set("allocations", double(st.allocations));
  o.Set("deallocations", double(st.deallocations));
  o.Set("failedAllocations", double(st.failedAllocations));
  o.Set("reclaimed", double(st.reclaimed));
  o.Set("inUse", st.inUse);
  o.Set("cached", st.cached);
  o.Set("freeInRing", st.freeInRing);
  o.Set("highWaterMark", st.highWaterMark);
  o.Set("liveThreads", st.liveThreads);
  o.Set("deadThreads", st.deadThreads);
  o.Set("orphanedPackets", st.orphanedPackets);
  o.Set("queued", st.queued);
  o.Set("freeBuffers", pool_->freeBufferCount());
  return o;
}

Napi::Value PoolWrap::freePacketCount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!attached(env)) return env.Undefined();
  return Napi::Number::New(env, pool_->freePacketCount());
}

Napi::Value PoolWrap::reclaim(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!attached(env)) return env.Undefined();
  uint32_t threadId = pbp::Pool::kAnyThread;
  if (info.Length() > 0 && !info[0].IsUndefined() && !readUint32(info, 0, "threadId", threadId)) return env.Undefined();
  uint32_t count = 0;
  pbp::Status s = pool_->reclaim(threadId, count, slot_);
  if (!s.isOk()) return throwStatus(env, s);
  return Napi::Number::New(env, count);
}

Napi::Value PoolWrap::copyMemoryDescriptor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!attached(env)) return env.Undefined();
  return MemoryDescriptorWrap::create(env, pool_);
}

// waitForPacket(onFreed, keepAlive = true): onFreed() is called once, on this thread, when the
// shared ring has a free packet. Call again to keep waiting (or to change keepAlive: whether the
// wait keeps the event loop alive). The callback is fixed by the first call.
Napi::Value PoolWrap::waitForPacket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!attached(env)) return env.Undefined();
  if (!waiter_) {
    if (info.Length() < 1 || !info[0].IsFunction())
      return throwIOReturn(env, IOReturn::BadArgument, "waitForPacket expects a callback");
    waiter_.reset(new PacketWaiter(env, pool_, info[0].As<Napi::Function>()));
  }
  waiter_->want(env, info.Length() < 2 || info[1].ToBoolean().Value());
  return env.Undefined();
}

Napi::Value PoolWrap::stopWaiting(const Napi::CallbackInfo& info) {
  waiter_.reset();
  return info.Env().Undefined();
}

}  // namespace pbp_addon

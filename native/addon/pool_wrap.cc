// NativePool's lifecycle: construction (a new pool or an attach by handle), the region buffer,
// handles, detach hooks, detach and release. The calls on an attached pool: pool_wrap_calls.cc.
#include "pool_wrap.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "errors.h"
#include "pool_registry.h"

namespace pbp_addon {
namespace {

using pbp::IOReturn;

// An optional uint32 field: absent leaves `out` at its default.
bool readOption(Napi::Env env, Napi::Object o, const char* key, uint32_t& out) {
  Napi::Value v = o.Get(key);
  return v.IsUndefined() || toUint32(env, v, key, out);
}

// A pool's identity travels in handles as 16 hex digits (a string: JSON and structured clone
// carry it unchanged, and 64 bits do not fit a JS number).
std::string identityText(uint64_t identity) {
  char buf[20];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(identity));
  return buf;
}

bool readIdentity(Napi::Env env, Napi::Value v, uint64_t& out) {
  std::string text = v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
  out = 0;
  bool ok = text.size() == 16;
  for (size_t i = 0; ok && i < text.size(); ++i) {
    char c = text[i];
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    ok = digit >= 0;
    out = out << 4 | uint64_t(digit < 0 ? 0 : digit);
  }
  if (ok && out != 0) return true;
  throwIOReturn(env, IOReturn::BadArgument,
                "handle.identity must be the 16 hex digits createHandle() put there, got " +
                    (v.IsString() ? "\"" + text.substr(0, 40) + "\"" : std::string("no string")));
  return false;
}

}  // namespace

namespace {
// What an external ArrayBuffer over the region keeps alive until V8 collects it.
struct RegionHold {
  std::shared_ptr<pbp::Pool> pool;
  int64_t bytes;  // reported to V8 on top of its own count of the buffer
};
}  // namespace

Napi::ArrayBuffer externalRegionBuffer(Napi::Env env, const std::shared_ptr<pbp::Pool>& pool, uint64_t offset,
                                       uint64_t length, bool newlyMapped) {
  // V8 counts every ArrayBuffer's length as external memory of its isolate. A region this process
  // has just mapped is reported once more, so that dropped pools are collected (and unmapped)
  // soon, not whenever the small JS heap happens to fill. Buffers over a region that is already
  // mapped (another thread's pool) add nothing new to the process and report nothing more.
  auto* hold = new RegionHold{pool, newlyMapped ? int64_t(length) : 0};
  int64_t ignored;
  if (hold->bytes != 0) napi_adjust_external_memory(env, hold->bytes, &ignored);
  return Napi::ArrayBuffer::New(
      env, pool->base() + offset, size_t(length),
      [](Napi::Env finalizeEnv, void*, RegionHold* h) {
        int64_t ignoredTotal;
        if (h->bytes != 0) napi_adjust_external_memory(finalizeEnv, -h->bytes, &ignoredTotal);
        delete h;
      },
      hold);
}

Napi::Function PoolWrap::define(Napi::Env env) {
  return DefineClass(env, "NativePool",
                     {
                         InstanceMethod<&PoolWrap::guard<&PoolWrap::layoutInfo>>("layoutInfo"),
                         InstanceMethod<&PoolWrap::guard<&PoolWrap::regionBuffer>>("regionBuffer"),
                         InstanceMethod<&PoolWrap::guard<&PoolWrap::hotCall>>("hotCall"),
                         InstanceMethod<&PoolWrap::guard<&PoolWrap::claimPacket>>("claimPacket"),
                         InstanceMethod<&PoolWrap::guard<&PoolWrap::addBuffer>>("addBuffer"),
                         InstanceMethod<&PoolWrap::guard<&PoolWrap::stats>>("stats"),
                         InstanceMethod<&PoolWrap::guard<&PoolWrap::freePacketCount>>("freePacketCount"),
                         InstanceMethod<&PoolWrap::guard<&PoolWrap::reclaim>>("reclaim"),
                         InstanceMethod<&PoolWrap::guard<&PoolWrap::createHandle>>("createHandle"),
                         InstanceMethod<&PoolWrap::guard<&PoolWrap::copyMemoryDescriptor>>("copyMemoryDescriptor"),
                         InstanceMethod<&PoolWrap::guard<&PoolWrap::release>>("release"),
                         InstanceMethod<&PoolWrap::guard<&PoolWrap::waitForPacket>>("waitForPacket"),
                         InstanceMethod<&PoolWrap::guard<&PoolWrap::stopWaiting>>("stopWaiting"),
                     });
}

// Constructor argument: either pool options
//   { name, packetCount, bufferCount, bufferSize, maxBuffersPerPacket, headroom, cacheSize,
//     maxThreads, poolFlags, shared, threadId }
// or an attachment request { attach: { id, pid, fd }, threadId }.
PoolWrap::PoolWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PoolWrap>(info) {
  env_ = info.Env();
  try {
    construct(info);
  } catch (...) {
    // Whatever was acquired goes back (the slot, the pool reference); the wrapper is discarded
    // because an exception is now pending.
    detach();
    answerCppException(env_);
  }
}

void PoolWrap::construct(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    throwIOReturn(env, IOReturn::BadArgument, "NativePool expects an options object");
    return;
  }
  Napi::Object o = info[0].As<Napi::Object>();
  uint32_t threadId = 0;
  if (!readOption(env, o, "threadId", threadId)) return;

  Napi::Value attach = o.Get("attach");
  pbp::Status s;
  bool newlyMapped = true;  // false for a pool another thread of this process already maps
  if (attach.IsObject()) {
    Napi::Object h = attach.As<Napi::Object>();
    uint32_t pid = 0, fd = 0xFFFFFFFF;
    double id = h.Get("id").IsNumber() ? h.Get("id").As<Napi::Number>().DoubleValue() : 0;
    if (!readOption(env, h, "pid", pid) || !readOption(env, h, "fd", fd)) return;
    uint64_t identity;
    if (!readIdentity(env, h.Get("identity"), identity)) return;
    // The registry's ids are never reused within a process, but the identity is checked anyway:
    // one rule for both ways in.
    if (pid == uint32_t(getpid()) && id > 0) pool_ = findPool(uint64_t(id));
    if (pool_ && pool_->identity() != identity) pool_.reset();
    newlyMapped = !pool_;
    if (!pool_ && fd != 0xFFFFFFFF) {
      s = pbp::Pool::attachFd(int(fd), pool_, identity);
      if (!s.isOk()) {
        throwStatus(env, s);
        return;
      }
    }
    if (!pool_) {
      throwIOReturn(env, IOReturn::NotAttached,
                    "the pool behind this handle (id " + std::to_string(uint64_t(id)) +
                        ") has been released, or it is not shared and lives in another process");
      return;
    }
  } else {
    pbp::PoolOptions opts;
    Napi::Value name = o.Get("name");
    if (name.IsString()) opts.name = name.As<Napi::String>().Utf8Value();
    if (!readOption(env, o, "packetCount", opts.packetCount) || !readOption(env, o, "bufferCount", opts.bufferCount) ||
        !readOption(env, o, "bufferSize", opts.bufferSize) ||
        !readOption(env, o, "maxBuffersPerPacket", opts.maxBuffersPerPacket) ||
        !readOption(env, o, "headroom", opts.headroom) || !readOption(env, o, "cacheSize", opts.cacheSize) ||
        !readOption(env, o, "maxThreads", opts.maxThreads) || !readOption(env, o, "poolFlags", opts.poolFlags) ||
        !readOption(env, o, "maxQueues", opts.maxQueues) || !readOption(env, o, "queueCapacity", opts.queueCapacity))
      return;
    opts.shared = o.Get("shared").ToBoolean();
    s = pbp::Pool::create(opts, pool_);
    if (!s.isOk()) {
      throwStatus(env, s);
      return;
    }
  }

  if (!pool_->acquireUser()) {
    pool_.reset();
    throwIOReturn(env, IOReturn::NotAttached, "the pool behind this handle has been released");
    return;
  }
  s = pool_->claimSlot(threadId, slot_);
  if (!s.isOk()) {
    pool_->releaseUser();
    pool_.reset();
    throwStatus(env, s);
    return;
  }
  hot_ = std::make_shared<HotState>();
  hot_->pool = pool_.get();
  hot_->slot = slot_;
  region_ = Napi::Persistent(externalRegionBuffer(env, pool_, 0, pool_->bytes(), newlyMapped));
  flusher_ = std::make_unique<CacheFlusher>(env, pool_, slot_);
  napi_add_env_cleanup_hook(env, onEnvCleanup, this);
  cleanupHookAdded_ = true;
}

PoolWrap* PoolWrap::from(Napi::Env env, Napi::Value value) {
  auto* data = env.GetInstanceData<AddonData>();
  if (value.IsObject() && data && !data->poolClass.IsEmpty() &&
      value.As<Napi::Object>().InstanceOf(data->poolClass.Value()))
    return PoolWrap::Unwrap(value.As<Napi::Object>());
  throwIOReturn(env, IOReturn::BadArgument, "expected a NativePool");
  return nullptr;
}

PoolWrap::~PoolWrap() {
  if (cleanupHookAdded_) napi_remove_env_cleanup_hook(env_, onEnvCleanup, this);
  detach();
}

// The thread is going away (worker exit or terminate, process exit) without release(): hand the
// slot back so cached indices return to the ring and held packets show up as orphaned.
void PoolWrap::onEnvCleanup(void* self) {
  auto* wrap = static_cast<PoolWrap*>(self);
  wrap->cleanupHookAdded_ = false;
  wrap->detach();
}

uint64_t PoolWrap::addDetachHook(std::function<void()> hook) {
  detachHooks_[nextDetachHook_] = std::move(hook);
  return nextDetachHook_++;
}

void PoolWrap::removeDetachHook(uint64_t id) { detachHooks_.erase(id); }

void PoolWrap::detach() {
  waiter_.reset();  // joins the waiter thread before the pool reference goes
  if (hot_) hot_->pool = nullptr;
  flusher_.reset();  // no flush of the slot once it is given back
  if (!pool_) return;
  auto hooks = std::move(detachHooks_);
  detachHooks_.clear();
  for (auto& h : hooks) h.second();
  pool_->releaseSlot(slot_);
  pool_->releaseUser();
  pool_.reset();
}

PoolWrap* PoolWrap::fromArg(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  PoolWrap* wrap = from(env, i < info.Length() ? info[i] : env.Undefined());
  return wrap != nullptr && wrap->attached(env) ? wrap : nullptr;
}

bool PoolWrap::attached(Napi::Env env) {
  if (!pool_) {
    throwIOReturn(env, IOReturn::NotAttached, "the pool has been released");
    return false;
  }
  return healthy(env);
}

// A broken pool (its shared ring state is impossible: ring.h) answers kIOReturnIOError to
// everything but release(); checked before each call and again after calls that used a ring,
// since that call may be the one that found out.
bool PoolWrap::healthy(Napi::Env env) {
  if (!pool_->broken()) return true;
  throwStatus(env, pool_->brokenStatus());
  return false;
}

Napi::Value PoolWrap::createHandle(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!attached(env)) return env.Undefined();
  Napi::Object h = Napi::Object::New(env);
  h.Set("id", double(idOfPool(pool_)));
  h.Set("pid", double(getpid()));
  if (pool_->fd() >= 0) {
    // The caller's own descriptor: closing it (or passing it on and closing it) cannot close
    // the pool's. Close-on-exec like the pool's; a child gets it through spawn's stdio.
    int own = fcntl(pool_->fd(), F_DUPFD_CLOEXEC, 0);
    if (own < 0)
      return throwIOReturn(env, IOReturn::NoResources,
                           std::string("createHandle: cannot duplicate the pool's memfd: ") + strerror(errno));
    h.Set("fd", own);
  }
  h.Set("bytes", double(pool_->bytes()));
  h.Set("identity", identityText(pool_->identity()));
  return h;
}

Napi::Value PoolWrap::release(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!region_.IsEmpty()) {
    Napi::ArrayBuffer ab = region_.Value();
    // Views handed to JS now read as empty instead of touching memory that may be unmapped.
    if (!ab.IsDetached()) ab.Detach();
    region_.Reset();
  }
  if (cleanupHookAdded_) {
    napi_remove_env_cleanup_hook(env_, onEnvCleanup, this);
    cleanupHookAdded_ = false;
  }
  detach();
  return env.Undefined();
}

}  // namespace pbp_addon

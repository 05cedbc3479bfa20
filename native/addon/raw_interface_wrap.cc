#include "raw_interface_wrap.h"

#include <poll.h>

#include "errors.h"
#include "pool_wrap.h"

namespace pbp_addon {
namespace {

using pbp::IOReturn;
namespace meta = pbp::meta;

bool readEnum(Napi::Env env, Napi::Object o, const char* key, uint32_t max, uint32_t& out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return true;
  if (!toUint32(env, v, key, out)) return false;
  if (out <= max) return true;
  throwIOReturn(env, IOReturn::BadArgument,
                std::string(key) + " must be 0.." + std::to_string(max) + ", got " + std::to_string(out));
  return false;
}

}  // namespace

Napi::Function RawInterfaceWrap::define(Napi::Env env) {
  return DefineClass(env, "NativeRawInterface",
                     {
                         InstanceMethod<&RawInterfaceWrap::info>("info"),
                         InstanceMethod<&RawInterfaceWrap::postRx>("postRx"),
                         InstanceMethod<&RawInterfaceWrap::pollRx>("pollRx"),
                         InstanceMethod<&RawInterfaceWrap::postTx>("postTx"),
                         InstanceMethod<&RawInterfaceWrap::pollTxCompletions>("pollTxCompletions"),
                         InstanceMethod<&RawInterfaceWrap::counters>("counters"),
                         InstanceMethod<&RawInterfaceWrap::waitReadable>("waitReadable"),
                         InstanceMethod<&RawInterfaceWrap::bindQueues>("bindQueues"),
                         InstanceMethod<&RawInterfaceWrap::service>("service"),
                         InstanceMethod<&RawInterfaceWrap::setRef>("setRef"),
                         InstanceMethod<&RawInterfaceWrap::close>("close"),
                     });
}

RawInterfaceWrap::RawInterfaceWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RawInterfaceWrap>(info) {
  Napi::Env env = info.Env();
  env_ = env;
  PoolWrap* poolWrap = PoolWrap::from(env, info.Length() > 0 ? info[0] : env.Undefined());
  if (!poolWrap) return;
  if (!poolWrap->pool()) {
    throwIOReturn(env, IOReturn::NotAttached, "the pool has been released");
    return;
  }
  if (info.Length() < 2 || !info[1].IsObject()) {
    throwIOReturn(env, IOReturn::BadArgument, "NativeRawInterface expects an options object");
    return;
  }
  Napi::Object o = info[1].As<Napi::Object>();
  pbp::raw::RawPortOptions opts;
  Napi::Value ifname = o.Get("ifname");
  if (!ifname.IsString()) {
    throwIOReturn(env, IOReturn::BadArgument, "interfaceName must be a string");
    return;
  }
  opts.ifname = ifname.As<Napi::String>().Utf8Value();
  uint32_t backend = 0, xdpMode = 0, zeroCopy = 0, threadId = 0;
  if (!readEnum(env, o, "queueId", 0xFFFFFFFF, opts.queueId) || !readEnum(env, o, "backend", 2, backend) ||
      !readEnum(env, o, "xdpMode", 2, xdpMode) || !readEnum(env, o, "zeroCopy", 2, zeroCopy) ||
      !readEnum(env, o, "ringSize", 0xFFFFFFFF, opts.ringSize) || !readEnum(env, o, "threadId", 0xFFFFFFFF, threadId))
    return;
  opts.backend = pbp::raw::Backend(backend);
  opts.xdpMode = pbp::raw::XdpAttachMode(xdpMode);
  opts.zeroCopy = pbp::raw::ZeroCopy(zeroCopy);

  std::shared_ptr<pbp::Pool> pool = poolWrap->pool();
  if (!pool->acquireUser()) {
    throwIOReturn(env, IOReturn::NotAttached, "the pool has been released");
    return;
  }
  pbp::Status s = pool->claimSlot(threadId, slot_);
  if (!s.isOk()) {
    pool->releaseUser();
    throwStatus(env, s);
    return;
  }
  s = pbp::raw::RawPort::open(pool, opts, port_);
  if (!s.isOk()) {
    pool->releaseSlot(slot_);
    pool->releaseUser();
    throwStatus(env, s);
    return;
  }
  pool_ = pool;
  callerSlot_ = poolWrap->slot();
  poolObject_ = Napi::Persistent(info[0].As<Napi::Object>());
  napi_add_env_cleanup_hook(env, onEnvCleanup, this);
  cleanupHookAdded_ = true;
}

RawInterfaceWrap::~RawInterfaceWrap() {
  if (cleanupHookAdded_) napi_remove_env_cleanup_hook(env_, onEnvCleanup, this);
  shutdown();
}

// The thread is going away without close(): the socket closes and every frame goes back.
void RawInterfaceWrap::onEnvCleanup(void* self) {
  auto* wrap = static_cast<RawInterfaceWrap*>(self);
  wrap->cleanupHookAdded_ = false;
  wrap->shutdown();
}

uint32_t RawInterfaceWrap::shutdown() {
  if (!pool_) return 0;
  std::vector<uint32_t> held;
  // With queues, the driver hands its packets back to the completion queues (aborted) or the
  // pool; what is left for us is nothing. Without, the port's packets go back to the pool.
  if (loop_) loop_->close();  // no callback runs after this
  loop_ = nullptr;
  if (driver_) driver_->shutdown();
  driver_.reset();
  port_->close(held);
  port_.reset();
  // Every packet the port held is under our tag; free them all (owner frees: plain stores).
  if (!held.empty()) pool_->deallocateBulk(slot_, held.data(), uint32_t(held.size()));
  pool_->releaseSlot(slot_);
  pool_->releaseUser();
  pool_.reset();
  poolObject_.Reset();
  return uint32_t(held.size());
}

bool RawInterfaceWrap::open(Napi::Env env) {
  if (pool_) return true;
  throwIOReturn(env, IOReturn::NotAttached, "the raw interface has been closed");
  return false;
}

bool RawInterfaceWrap::byIndex(Napi::Env env) {
  if (!open(env)) return false;
  if (!driver_) return true;
  throwIOReturn(env, IOReturn::NotPermitted,
                "the raw interface is driven by its packet queues; use the queues, not the index calls");
  return false;
}

uint32_t RawInterfaceWrap::takeFromCaller(const uint32_t* packets, uint32_t n) {
  const uint32_t callerTag = pool_->tagOf(callerSlot_);
  const uint32_t myTag = pool_->tagOf(slot_);
  const uint32_t count = pool_->layout().packetCount;
  uint32_t i = 0;
  for (; i < n; i++) {
    uint32_t p = packets[i];
    if (p >= count) break;
    uint32_t* state = pool_->metaOf(p) + meta::kState;
    uint32_t seen = pbp::loadRelaxed(state);
    if (seen == callerTag) {
      // Unpublished: only its owner (this thread) writes the word, so a plain store hands it over.
      pbp::storeRelaxed(state, myTag);
    } else if (seen == (callerTag | meta::kStatePublished)) {
      // Published: another thread may free it at the same moment; exactly one of us wins.
      if (!pbp::casAcqRel(state, seen, myTag)) break;
    } else {
      break;
    }
  }
  return i;
}

void RawInterfaceWrap::giveToCaller(const uint32_t* packets, uint32_t n) {
  const uint32_t callerTag = pool_->tagOf(callerSlot_);
  // The interface's unpublished packets: nobody else writes their state word.
  for (uint32_t i = 0; i < n; i++) pbp::storeRelaxed(pool_->metaOf(packets[i]) + meta::kState, callerTag);
}

Napi::Value RawInterfaceWrap::info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open(env)) return env.Undefined();
  const pbp::raw::RawPortInfo& i = port_->info();
  Napi::Object o = Napi::Object::New(env);
  o.Set("backend", i.backend);
  o.Set("xdpMode", i.xdpMode);
  o.Set("zeroCopy", i.zeroCopy);
  o.Set("chunkMode", i.chunkMode);
  o.Set("chunkSize", i.chunkSize);
  o.Set("rxDataOffset", i.rxDataOffset);
  o.Set("maxFrameBytes", i.maxFrameBytes);
  o.Set("mtu", i.mtu);
  o.Set("ifindex", i.ifindex);
  o.Set("fallbackReason", i.fallbackReason);
  o.Set("fd", port_->fd());
  return o;
}

// postRx(indices, count) / postTx(indices, count) -> how many the port took, in order. It stops
// at the first packet the caller does not hold, or when the ring is full.
Napi::Value RawInterfaceWrap::postRx(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint32Array a;
  uint32_t n;
  if (!byIndex(env) || !readUint32Array(info, 0, "indices", a) || !readCount(info, 1, a.ElementLength(), n))
    return env.Undefined();
  n = std::min(n, port_->rxSpace());
  uint32_t moved = takeFromCaller(a.Data(), n);
  uint32_t taken = port_->postRx(a.Data(), moved);
  giveToCaller(a.Data() + taken, moved - taken);
  return Napi::Number::New(env, taken);
}

Napi::Value RawInterfaceWrap::postTx(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint32Array a;
  uint32_t n;
  if (!byIndex(env) || !readUint32Array(info, 0, "indices", a) || !readCount(info, 1, a.ElementLength(), n))
    return env.Undefined();
  n = std::min(n, port_->txSpace());
  uint32_t moved = takeFromCaller(a.Data(), n);
  uint32_t taken = port_->postTx(a.Data(), moved);
  giveToCaller(a.Data() + taken, moved - taken);
  return Napi::Number::New(env, taken);
}

// pollRx(out, max) / pollTxCompletions(out, max) -> how many packets came out (now the caller's).
Napi::Value RawInterfaceWrap::pollRx(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint32Array a;
  uint32_t n;
  if (!byIndex(env) || !readUint32Array(info, 0, "out", a) || !readCount(info, 1, a.ElementLength(), n))
    return env.Undefined();
  uint32_t got = port_->pollRx(a.Data(), n);
  giveToCaller(a.Data(), got);
  return Napi::Number::New(env, got);
}

Napi::Value RawInterfaceWrap::pollTxCompletions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint32Array a;
  uint32_t n;
  if (!byIndex(env) || !readUint32Array(info, 0, "out", a) || !readCount(info, 1, a.ElementLength(), n))
    return env.Undefined();
  uint32_t got = port_->pollTxCompletions(a.Data(), n);
  giveToCaller(a.Data(), got);
  return Napi::Number::New(env, got);
}

Napi::Value RawInterfaceWrap::counters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open(env)) return env.Undefined();
  Napi::Object o = Napi::Object::New(env);
  o.Set("held", port_->held());
  o.Set("txInFlight", port_->txInFlight());
  o.Set("rxSpace", port_->rxSpace());
  o.Set("txSpace", port_->txSpace());
  o.Set("droppedDescriptors", double(port_->droppedDescriptors()));
  o.Set("kernelDrops", double(port_->kernelDrops()));
  if (driver_) {
    const pbp::raw::RawDriverCounters& c = driver_->counters();
    o.Set("txPosted", double(c.txPosted));
    o.Set("txCompleted", double(c.txCompleted));
    o.Set("rxPosted", double(c.rxPosted));
    o.Set("rxCompleted", double(c.rxCompleted));
    o.Set("driverHeld", driver_->held());
  }
  return o;
}

// waitReadable(timeoutMs) -> true when received frames are waiting (poll(2) on the socket; blocks
// the calling thread, for workers and command-line tools).
Napi::Value RawInterfaceWrap::waitReadable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t timeoutMs;
  if (!open(env) || !readUint32(info, 0, "timeoutMs", timeoutMs)) return env.Undefined();
  pollfd p{port_->fd(), POLLIN, 0};
  int rc = poll(&p, 1, int(std::min<uint32_t>(timeoutMs, 0x7FFFFFFF)));
  return Napi::Boolean::New(env, rc > 0 && (p.revents & POLLIN));
}

// bindQueues(txSubmission, txCompletion, rxSubmission, rxCompletion, eventDriven): queue ids
// (0xFFFFFFFF for a direction left out). From then on the interface moves packets between the
// queues and the kernel, and the index calls are refused. eventDriven: by itself on this thread's
// event loop (DriverLoop: socket readiness, the submission queues' wake-ups, a 1 ms timer while
// frames are in flight); otherwise only when service() is called. Packets the caller posted by
// index before stay in the port and come back through the queues too.
Napi::Value RawInterfaceWrap::bindQueues(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t ids[4];
  if (!byIndex(env)) return env.Undefined();
  for (uint32_t i = 0; i < 4; i++)
    if (!readUint32(info, i, "queueId", ids[i])) return env.Undefined();
  bool eventDriven = info.Length() > 4 && info[4].ToBoolean().Value();
  pbp::Status s = pbp::raw::RawDriver::create(pool_, slot_, *port_, ids[0], ids[1], ids[2], ids[3], driver_);
  if (!s.isOk()) return throwStatus(env, s);
  if (eventDriven) {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr)
      return throwIOReturn(env, IOReturn::Unsupported, "this runtime gives no event loop to drive the interface on");
    loop_ = DriverLoop::start(loop, *driver_, port_->fd(), driver_->hasTx() ? &driver_->txSubmission() : nullptr,
                              driver_->hasRx() ? &driver_->rxSubmission() : nullptr);
  }
  return env.Undefined();
}

// service(max) -> packets moved: one pass of the driver each way (TX submission to the kernel,
// completions to TX completion; RX submission to the fill ring, received frames to RX
// completion), up to `max` per step. Callers read counters() for detail.
Napi::Value RawInterfaceWrap::service(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t max;
  if (!open(env) || !readUint32(info, 0, "max", max)) return env.Undefined();
  if (!driver_) return throwIOReturn(env, IOReturn::NotReady, "the raw interface has no packet queues bound");
  uint32_t moved = driver_->transmit(max) + driver_->receive(max);
  if (loop_ && (driver_->txBlocked() || driver_->wantsTimer())) loop_->kick();  // let the loop follow up
  return Napi::Number::New(env, moved);
}

// setRef(bool): whether the open interface keeps the process alive (eventDriven only).
Napi::Value RawInterfaceWrap::setRef(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open(env)) return env.Undefined();
  if (loop_) loop_->setRef(info.Length() > 0 && info[0].ToBoolean().Value());
  return env.Undefined();
}

// close() -> how many packets went back to the pool. Idempotent (0 the second time).
Napi::Value RawInterfaceWrap::close(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), shutdown());
}

}  // namespace pbp_addon

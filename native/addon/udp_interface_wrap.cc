#include "udp_interface_wrap.h"

#include <cerrno>
#include <string>

#include "errors.h"

namespace pbp_addon {
namespace {

using pbp::IOReturn;
using pbp::PacketQueue;
using pbp::QueueKind;
using pbp::Status;

// Throws `status` as an IOReturnError that also carries the kernel's errno (when there is one).
void throwWithErrno(Napi::Env env, const Status& status, int err) {
  throwStatus(env, status);
  if (err == 0 || !env.IsExceptionPending()) return;
  Napi::Error e = env.GetAndClearPendingException();
  e.Set("errno", Napi::Number::New(env, err));
  e.ThrowAsJavaScriptException();
}

// Receive coalescing beyond 100 ms is a stall, not a batch.
constexpr uint32_t kMaxCoalesceMicroseconds = 100000;

bool readBool(Napi::Object o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  return v.IsUndefined() ? fallback : v.ToBoolean().Value();
}

bool readU32(Napi::Env env, Napi::Object o, const char* key, uint32_t fallback, uint32_t& out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) {
    out = fallback;
    return true;
  }
  return toUint32(env, v, std::string("options.") + key, out);
}

// "address" + "port" of the options as a record (family 0 when the address is absent).
bool readAddress(Napi::Env env, Napi::Object o, const char* addrKey, const char* portKey,
                 pbp::io::PacketAddressRecord& out) {
  out = pbp::io::PacketAddressRecord{};
  Napi::Value a = o.Get(addrKey);
  uint32_t port;
  if (!readU32(env, o, portKey, 0, port)) return false;
  if (port > 65535) {
    throwIOReturn(env, IOReturn::BadArgument,
                  std::string("options.") + portKey + " " + std::to_string(port) + " is not a port");
    return false;
  }
  out.port = uint16_t(port);
  if (a.IsUndefined() || a.IsNull()) return true;
  if (!a.IsString()) {
    throwIOReturn(env, IOReturn::BadArgument, std::string("options.") + addrKey + " must be a string");
    return false;
  }
  Status s = pbp::io::parseAddress(a.As<Napi::String>().Utf8Value().c_str(), out);
  if (!s.isOk()) {
    throwStatus(env, s);
    return false;
  }
  return true;
}

// Queue option `key`: an id of a queue of `kind` in the pool, or absent.
bool readQueue(Napi::Env env, pbp::Pool& pool, Napi::Object o, const char* key, QueueKind kind, bool& present,
               PacketQueue& out) {
  Napi::Value v = o.Get(key);
  present = !(v.IsUndefined() || v.IsNull());
  if (!present) return true;
  uint32_t id;
  if (!toUint32(env, v, std::string("options.") + key, id)) return false;
  Status s = pool.openQueue(id, out);
  if (s.isOk() && out.kind() != kind)
    s = Status::fail(IOReturn::BadArgument, std::string("options.") + key + ": queue " + std::to_string(id) + " is a " +
                                                pbp::queueKindName(out.kind()) + " queue, not " +
                                                pbp::queueKindName(kind));
  if (!s.isOk()) {
    throwStatus(env, s);
    return false;
  }
  return true;
}

Napi::Object addressObject(Napi::Env env, const pbp::io::PacketAddressRecord& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("family", r.family);
  o.Set("port", r.port);
  o.Set("scopeId", r.scopeId);
  o.Set("address", Napi::Buffer<uint8_t>::Copy(env, r.addr, r.family == pbp::io::kFamilyIPv4 ? 4 : 16));
  return o;
}

}  // namespace

Napi::Function UdpInterfaceWrap::define(Napi::Env env) {
  return DefineClass(env, "NativeUdpInterface",
                     {
                         InstanceMethod<&UdpInterfaceWrap::transmit>("transmit"),
                         InstanceMethod<&UdpInterfaceWrap::receive>("receive"),
                         InstanceMethod<&UdpInterfaceWrap::stats>("stats"),
                         InstanceMethod<&UdpInterfaceWrap::localAddress>("localAddress"),
                         InstanceMethod<&UdpInterfaceWrap::setRef>("setRef"),
                         InstanceMethod<&UdpInterfaceWrap::setCompletionAction>("setCompletionAction"),
                         InstanceMethod<&UdpInterfaceWrap::close>("close"),
                     });
}

UdpInterfaceWrap::UdpInterfaceWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UdpInterfaceWrap>(info) {
  Napi::Env env = info.Env();
  env_ = env;
  PoolWrap* pw = PoolWrap::fromArg(info, 0);
  if (pw == nullptr) return;
  if (info.Length() < 2 || !info[1].IsObject()) {
    throwIOReturn(env, IOReturn::BadArgument, "options must be an object");
    return;
  }
  Napi::Object o = info[1].As<Napi::Object>();
  pbp::Pool& pool = *pw->pool();

  pbp::io::UdpOptions uo;
  uint32_t family, sndbuf, rcvbuf, segments, coalesceUs;
  if (!readU32(env, o, "family", 4, family) || !readU32(env, o, "coalesceMicroseconds", 0, coalesceUs) ||
      !readU32(env, o, "sendBufferSize", 0, sndbuf) || !readU32(env, o, "receiveBufferSize", 0, rcvbuf) ||
      !readU32(env, o, "maxSegments", 64, segments) || !readAddress(env, o, "localAddress", "localPort", uo.local) ||
      !readAddress(env, o, "remoteAddress", "remotePort", uo.remote))
    return;
  if (coalesceUs > kMaxCoalesceMicroseconds) {
    throwIOReturn(env, IOReturn::BadArgument,
                  "options.coalesceMicroseconds " + std::to_string(coalesceUs) + " is more than " +
                      std::to_string(kMaxCoalesceMicroseconds));
    return;
  }
  uo.family = uint16_t(family > 0xFFFF ? 0 : family);
  uo.sendBufferBytes = sndbuf;
  uo.receiveBufferBytes = rcvbuf;
  uo.maxSegments = segments;
  uo.gso = readBool(o, "gso", true);
  uo.gro = readBool(o, "gro", false);
  uo.timestamps = readBool(o, "timestamps", true);
  if (uo.remote.family != 0 && uo.remote.port == 0) {
    throwIOReturn(env, IOReturn::BadArgument, "options.remotePort is needed with options.remoteAddress");
    return;
  }

  pbp::io::DriverQueues& q = queues_;
  bool txSub, txComp, rxSub, rxComp;
  if (!readQueue(env, pool, o, "txSubmission", QueueKind::TxSubmission, txSub, q.txSubmission) ||
      !readQueue(env, pool, o, "txCompletion", QueueKind::TxCompletion, txComp, q.txCompletion) ||
      !readQueue(env, pool, o, "rxSubmission", QueueKind::RxSubmission, rxSub, q.rxSubmission) ||
      !readQueue(env, pool, o, "rxCompletion", QueueKind::RxCompletion, rxComp, q.rxCompletion))
    return;
  q.txCompleteToPool = readBool(o, "txCompleteToPool", false);
  q.tx = txSub;
  q.rx = rxSub;
  if (!txSub && !rxSub) {
    throwIOReturn(env, IOReturn::BadArgument, "an interface needs options.txSubmission, options.rxSubmission or both");
    return;
  }
  if (txSub && !txComp && !q.txCompleteToPool) {
    throwIOReturn(env, IOReturn::BadArgument, "options.txCompletion is needed unless options.txCompleteToPool is true");
    return;
  }
  if (rxSub != rxComp) {
    throwIOReturn(env, IOReturn::BadArgument, "options.rxSubmission and options.rxCompletion go together");
    return;
  }
  const pbp::Layout& L = pool.layout();
  uint32_t room = L.bufferSize - L.headroom;
  if (uo.gro && room < 65507) {
    throwIOReturn(env, IOReturn::BadArgument,
                  "gro needs room for a 64 KB super-packet in each packet's first buffer: bufferSize " +
                      std::to_string(L.bufferSize) + " - headroom " + std::to_string(L.headroom) + " = " +
                      std::to_string(room) + " < 65507");
    return;
  }

  std::unique_ptr<pbp::io::UdpSocket> socket;
  int err = 0;
  Status s = pbp::io::UdpSocket::open(uo, socket, err);
  if (!s.isOk()) {
    throwWithErrno(env, s, err);
    return;
  }

  // Our ends of the queues, bound to this thread's slot (one thread per end).
  slot_ = pw->slot();
  struct End {
    bool use;
    PacketQueue* q;
    bool producer;
  } ends[] = {{txSub, &q.txSubmission, false},
              {txSub && !q.txCompleteToPool, &q.txCompletion, true},
              {rxSub, &q.rxSubmission, false},
              {rxSub, &q.rxCompletion, true}};
  for (size_t i = 0; i < 4; i++) {
    if (!ends[i].use) continue;
    s = pool.acquireQueueEnd(*ends[i].q, ends[i].producer, slot_);
    if (!s.isOk()) {
      for (size_t j = 0; j < i; j++)
        if (ends[j].use) pool.releaseQueueEnd(*ends[j].q, ends[j].producer, slot_);
      throwStatus(env, s);
      return;
    }
  }

  pool_ = pw->pool();
  poolWrap_ = pw;
  poolRef_ = Napi::Persistent(info[0].As<Napi::Object>());
  driver_ = std::make_unique<pbp::io::UdpDriver>(pool_, slot_, q, std::move(socket));
  detachHook_ = pw->addDetachHook([this] { shutdown(); });
  napi_add_env_cleanup_hook(env, onEnvCleanup, this);
  cleanupHookAdded_ = true;
  if (readBool(o, "eventDriven", true)) {
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    loop_ = DriverLoop::start(loop, *driver_, driver_->fd(), q.tx ? &q.txSubmission : nullptr,
                              q.rx ? &q.rxSubmission : nullptr, coalesceUs);
    if (loop_ == nullptr) {
      int e = errno;
      shutdown();
      throwWithErrno(env, Status::fail(IOReturn::NoResources, "the receive coalescing timer (timerfd_create) failed"),
                     e);
      return;
    }
  }
}

UdpInterfaceWrap::~UdpInterfaceWrap() {
  shutdown();
  if (cleanupHookAdded_) napi_remove_env_cleanup_hook(env_, onEnvCleanup, this);
}

void UdpInterfaceWrap::onEnvCleanup(void* self) {
  auto* w = static_cast<UdpInterfaceWrap*>(self);
  w->cleanupHookAdded_ = false;
  w->shutdown();
}

void UdpInterfaceWrap::shutdown() {
  if (!driver_) return;
  if (loop_) loop_->close();
  loop_ = nullptr;
  driver_->shutdown();  // every packet back (completion queues or pool) under our slot
  pbp::Pool& pool = *pool_;
  pbp::io::DriverQueues& q = queues_;
  if (q.tx) {
    pool.releaseQueueEnd(q.txSubmission, false, slot_);
    if (!q.txCompleteToPool) pool.releaseQueueEnd(q.txCompletion, true, slot_);
  }
  if (q.rx) {
    pool.releaseQueueEnd(q.rxSubmission, false, slot_);
    pool.releaseQueueEnd(q.rxCompletion, true, slot_);
  }
  driver_.reset();
  if (!completionAction_.IsEmpty()) completionAction_.Reset();
  if (detachHook_ && poolWrap_) poolWrap_->removeDetachHook(detachHook_);
  detachHook_ = 0;
  poolWrap_ = nullptr;
  pool_.reset();
  if (!poolRef_.IsEmpty()) poolRef_.Reset();
}

bool UdpInterfaceWrap::open(Napi::Env env) {
  if (driver_) return true;
  throwIOReturn(env, IOReturn::NotAttached, "the interface is closed");
  return false;
}

// transmit(max?) -> packets completed (sent or refused) this call
Napi::Value UdpInterfaceWrap::transmit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open(env)) return env.Undefined();
  uint32_t max = 0xFFFFFFFF;
  if (info.Length() > 0 && !info[0].IsUndefined() && !readUint32(info, 0, "max", max)) return env.Undefined();
  uint32_t done = driver_->transmit(max);
  if (loop_ && driver_->txBlocked()) loop_->kick();  // the loop watches for writability
  return Napi::Number::New(env, done);
}

// receive(max?) -> packets filled and delivered this call
Napi::Value UdpInterfaceWrap::receive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open(env)) return env.Undefined();
  uint32_t max = 0xFFFFFFFF;
  if (info.Length() > 0 && !info[0].IsUndefined() && !readUint32(info, 0, "max", max)) return env.Undefined();
  return Napi::Number::New(env, driver_->receive(max));
}

Napi::Value UdpInterfaceWrap::stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open(env)) return env.Undefined();
  const pbp::io::UdpStats& s = driver_->socket().stats();
  const pbp::io::DriverCounters& c = driver_->counters();
  pbp::io::DriverInFlight f = driver_->inFlight();
  Napi::Object o = Napi::Object::New(env);
  auto num = [&](const char* k, double v) { o.Set(k, Napi::Number::New(env, v)); };
  num("txPackets", double(s.txPackets));
  num("txBytes", double(s.txBytes));
  num("txErrors", double(s.txErrors));
  num("txSyscalls", double(s.txSyscalls));
  num("txGsoMessages", double(s.txGsoMessages));
  num("txWouldBlock", double(s.txWouldBlock));
  num("rxPackets", double(s.rxPackets));
  num("rxSegments", double(s.rxSegments));
  num("rxBytes", double(s.rxBytes));
  num("rxSyscalls", double(s.rxSyscalls));
  num("rxTruncated", double(s.rxTruncated));
  num("rxErrors", double(s.rxErrors));
  num("lastErrno", s.lastErrno);
  o.Set("gsoActive", Napi::Boolean::New(env, s.gsoActive));
  o.Set("groActive", Napi::Boolean::New(env, driver_->socket().groEnabled()));
  num("txCompleted", double(c.txCompleted));
  num("txAborted", double(c.txAborted));
  num("rxCompleted", double(c.rxCompleted));
  num("rxAborted", double(c.rxAborted));
  num("returnedToPool", double(c.returnedToPool));
  Napi::Object in = Napi::Object::New(env);
  in.Set("txSubmission", f.txSubmission);
  in.Set("txPending", f.txPending);
  in.Set("txBacklog", f.txBacklog);
  in.Set("txCompletion", f.txCompletion);
  in.Set("rxSubmission", f.rxSubmission);
  in.Set("rxHeld", f.rxHeld);
  in.Set("rxBacklog", f.rxBacklog);
  in.Set("rxCompletion", f.rxCompletion);
  o.Set("inFlight", in);
  DriverLoop::Counters lc = loop_ ? loop_->counters() : DriverLoop::Counters{};
  Napi::Object l = Napi::Object::New(env);
  l.Set("pollWakeups", double(lc.pollWakeups));
  l.Set("asyncWakeups", double(lc.asyncWakeups));
  l.Set("timerWakeups", double(lc.timerWakeups));
  l.Set("coalesceWakeups", double(lc.coalesceWakeups));
  l.Set("actionCalls", double(lc.actionCalls));
  o.Set("eventLoop", l);
  return o;
}

Napi::Value UdpInterfaceWrap::localAddress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open(env)) return env.Undefined();
  return addressObject(env, driver_->socket().localAddress());
}

Napi::Value UdpInterfaceWrap::setRef(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open(env)) return env.Undefined();
  if (loop_) loop_->setRef(info.Length() > 0 && info[0].ToBoolean().Value());
  return env.Undefined();
}

// setCompletionAction(fn | null): fn(txCompleted, rxCompleted) runs on this thread's loop after the
// interface completed packets (event-driven interfaces only).
Napi::Value UdpInterfaceWrap::setCompletionAction(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open(env)) return env.Undefined();
  if (!loop_) return throwIOReturn(env, IOReturn::NotReady, "a completion action needs an eventDriven interface");
  if (info.Length() < 1 || !(info[0].IsFunction() || info[0].IsNull()))
    return throwIOReturn(env, IOReturn::BadArgument, "the completion action must be a function or null");
  if (info[0].IsNull()) {
    if (!completionAction_.IsEmpty()) completionAction_.Reset();
    loop_->setOnCompleted(nullptr);
    return env.Undefined();
  }
  completionAction_ = Napi::Persistent(info[0].As<Napi::Function>());
  if (!asyncContext_) asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "UDPInterfaceCompletion");
  loop_->setOnCompleted([this](uint32_t tx, uint32_t rx) { callCompletionAction(tx, rx); });
  return env.Undefined();
}

void UdpInterfaceWrap::callCompletionAction(uint32_t tx, uint32_t rx) {
  if (completionAction_.IsEmpty()) return;
  Napi::Env env(env_);
  Napi::HandleScope scope(env);
  completionAction_.MakeCallback(Value(), {Napi::Number::New(env, tx), Napi::Number::New(env, rx)}, *asyncContext_);
  if (env.IsExceptionPending()) {
    // Thrown by the action: report it like any callback's exception (uncaughtException).
    Napi::Error e = env.GetAndClearPendingException();
    napi_fatal_exception(env, e.Value());
  }
}

Napi::Value UdpInterfaceWrap::close(const Napi::CallbackInfo& info) {
  shutdown();
  return info.Env().Undefined();
}

}  // namespace pbp_addon

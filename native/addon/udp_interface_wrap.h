// NativeUdpInterface: the UDP interface's binding (lib/udp-interface.ts is its face). One object =
// one UDP socket + one UdpDriver, bound to the JS thread that created it: its driver holds packets
// under that thread's pool slot, and it runs either on that thread's event loop (DriverLoop) or
// only when JS calls transmit()/receive(). Closing it (close(), the pool's release(), the
// thread's exit, garbage collection) hands every packet it holds back (PacketDriver::shutdown).
#pragma once

#include <napi.h>

#include <memory>

#include "../io/udp_driver.h"
#include "driver_loop.h"
#include "pool_wrap.h"

namespace pbp_addon {

class UdpInterfaceWrap : public Napi::ObjectWrap<UdpInterfaceWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  // new NativeUdpInterface(nativePool, options); see lib/udp-interface.ts for the options.
  explicit UdpInterfaceWrap(const Napi::CallbackInfo& info);
  ~UdpInterfaceWrap() override;

 private:
  Napi::Value transmit(const Napi::CallbackInfo& info);
  Napi::Value receive(const Napi::CallbackInfo& info);
  Napi::Value stats(const Napi::CallbackInfo& info);
  Napi::Value localAddress(const Napi::CallbackInfo& info);
  Napi::Value setRef(const Napi::CallbackInfo& info);
  Napi::Value setCompletionAction(const Napi::CallbackInfo& info);
  void callCompletionAction(uint32_t tx, uint32_t rx);
  Napi::Value close(const Napi::CallbackInfo& info);

  bool open(Napi::Env env);  // throws kIOReturnNotAttached once closed
  void shutdown();           // idempotent
  static void onEnvCleanup(void* self);

  std::shared_ptr<pbp::Pool> pool_;
  PoolWrap* poolWrap_ = nullptr;
  Napi::ObjectReference poolRef_;  // keeps the NativePool (and its slot) alive while we are
  uint64_t detachHook_ = 0;
  uint32_t slot_ = 0;
  pbp::io::DriverQueues queues_;
  std::unique_ptr<pbp::io::UdpDriver> driver_;
  DriverLoop* loop_ = nullptr;
  Napi::FunctionReference completionAction_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
  napi_env env_ = nullptr;
  bool cleanupHookAdded_ = false;
};

}  // namespace pbp_addon

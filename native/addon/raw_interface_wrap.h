// NativeRawInterface: a raw Ethernet port (native/raw) driven from one JavaScript thread.
//
// Ownership: the interface claims a thread slot of its own in the pool. Packets inside the port
// (on the kernel's rings, or waiting in the interface) are held under that slot's tag, so the
// JavaScript thread cannot free or reuse a buffer the kernel may be writing, and if the process
// dies, another process's reclaimPackets() returns them (the slot's process is gone). Packets move
// from the calling thread's tag to the interface's when posted and back when they come out.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "../core/pool.h"
#include "../raw/raw_driver.h"
#include "../raw/raw_port.h"
#include "driver_loop.h"

namespace pbp_addon {

class RawInterfaceWrap : public Napi::ObjectWrap<RawInterfaceWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  // new NativeRawInterface(nativePool, { ifname, queueId, backend, xdpMode, zeroCopy, ringSize,
  //                                       threadId })
  explicit RawInterfaceWrap(const Napi::CallbackInfo& info);
  ~RawInterfaceWrap() override;

 private:
  Napi::Value info(const Napi::CallbackInfo& info);
  Napi::Value postRx(const Napi::CallbackInfo& info);
  Napi::Value pollRx(const Napi::CallbackInfo& info);
  Napi::Value postTx(const Napi::CallbackInfo& info);
  Napi::Value pollTxCompletions(const Napi::CallbackInfo& info);
  Napi::Value counters(const Napi::CallbackInfo& info);
  Napi::Value waitReadable(const Napi::CallbackInfo& info);
  Napi::Value bindQueues(const Napi::CallbackInfo& info);
  Napi::Value service(const Napi::CallbackInfo& info);
  Napi::Value setRef(const Napi::CallbackInfo& info);
  Napi::Value close(const Napi::CallbackInfo& info);

  bool open(Napi::Env env);     // throws kIOReturnNotAttached when closed
  bool byIndex(Napi::Env env);  // throws kIOReturnNotPermitted when queues drive the interface
  // Moves packets[0..n) from the caller's tag to the interface's, stopping at the first one the
  // caller does not hold; returns how many moved.
  uint32_t takeFromCaller(const uint32_t* packets, uint32_t n);
  void giveToCaller(const uint32_t* packets, uint32_t n);
  uint32_t shutdown();  // closes the port, frees every packet it held; returns how many
  static void onEnvCleanup(void* self);

  std::shared_ptr<pbp::Pool> pool_;
  std::unique_ptr<pbp::raw::RawPort> port_;
  std::unique_ptr<pbp::raw::RawDriver> driver_;  // when bound to packet queues
  DriverLoop* loop_ = nullptr;                   // runs the driver on this thread's event loop (eventDriven)
  uint32_t callerSlot_ = 0;
  uint32_t slot_ = 0;  // the interface's own slot
  napi_env env_ = nullptr;
  bool cleanupHookAdded_ = false;
  Napi::ObjectReference poolObject_;  // keeps the caller's NativePool (and its slot) alive
};

}  // namespace pbp_addon

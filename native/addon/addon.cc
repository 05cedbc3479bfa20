// Module entry: registers the wrapper classes, the queue and pcap functions, the error-class hook
// and the layout constants that lib/layout.ts checks against its own (both generated from
// native/core/layout.json) at load time.
#include <napi.h>

#include "../core/layout.h"
#include "../core/ring.h"
#include "errors.h"
#include "hot_calls.h"
#include "memory_descriptor_wrap.h"
#include "pcap_wrap.h"
#include "pool_wrap.h"
#include "raw_interface_wrap.h"
#include "queue_wrap.h"
#include "udp_interface_wrap.h"

namespace pbp_addon {
namespace {

// Every value of native/core/layout.json this binary was built with, keyed "group.Name".
Napi::Object layoutConstants(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  for (const pbp::LayoutConstant& c : pbp::kLayoutConstants) o.Set(c.key, c.value);
  return o;
}

// A function that does nothing: the bench's `baseline.napi-noop` measures what one Node-API call
// costs on its own (a raw napi_callback, no node-addon-api wrapper), the floor every native call
// of the pool pays.
napi_value noop(napi_env, napi_callback_info) { return nullptr; }

Napi::Object init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData(data);
  Napi::Function pool = PoolWrap::define(env);
  data->poolClass = Napi::Persistent(pool);
  exports.Set("NativePool", pool);
  Napi::Function md = MemoryDescriptorWrap::define(env);
  data->memoryDescriptorClass = Napi::Persistent(md);
  exports.Set("NativeMemoryDescriptor", md);
  exports.Set("NativeRawInterface", RawInterfaceWrap::define(env));
  exports.Set("pcapBegin", Napi::Function::New(env, pcapBegin, "pcapBegin"));
  exports.Set("pcapWrite", Napi::Function::New(env, pcapWrite, "pcapWrite"));
  exports.Set("setErrorClass", Napi::Function::New(env, setErrorClass, "setErrorClass"));
  exports.Set("layout", layoutConstants(env));
  defineQueueFunctions(env, exports);
  exports.Set("hotOps", hotOps(env));
  napi_value noopFn;
  napi_create_function(env, "noop", NAPI_AUTO_LENGTH, noop, nullptr, &noopFn);
  exports.Set("noop", Napi::Value(env, noopFn));
  exports.Set("NativeUdpInterface", UdpInterfaceWrap::define(env));
  // Ring counter words (uint32 from a ring's start: layoutInfo().packetRingOffset), for tests and
  // tools that overwrite them as a misbehaving peer would. lib/ never touches the rings.
  Napi::Object ringWords = Napi::Object::New(env);
  ringWords.Set("prodHead", pbp::Ring::prodHeadWord());
  ringWords.Set("prodTail", pbp::Ring::prodTailWord());
  ringWords.Set("consHead", pbp::Ring::consHeadWord());
  ringWords.Set("consTail", pbp::Ring::consTailWord());
  exports.Set("ringWords", ringWords);
  return exports;
}

}  // namespace
}  // namespace pbp_addon

static Napi::Object initModule(Napi::Env env, Napi::Object exports) { return pbp_addon::init(env, exports); }

NODE_API_MODULE(packet_buffer_pool, initModule)

// Module entry: registers the two wrapper classes, the error-class hook and the layout constants
// that lib/layout.ts checks against its own copy at load time.
#include <napi.h>

#include "../core/layout.h"
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

Napi::Object layoutConstants(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", pbp::kLayoutVersion);
  o.Set("metaWords", pbp::meta::kWords);
  o.Set("metaState", pbp::meta::kState);
  o.Set("metaStatePublished", pbp::meta::kStatePublished);
  o.Set("metaDataOffset", pbp::meta::kDataOffset);
  o.Set("metaDataLength", pbp::meta::kDataLength);
  o.Set("metaHeadroom", pbp::meta::kHeadroom);
  o.Set("metaLinkHeaderLength", pbp::meta::kLinkHeaderLength);
  o.Set("metaDirection", pbp::meta::kDirection);
  o.Set("metaFlags", pbp::meta::kFlags);
  o.Set("metaBufferCount", pbp::meta::kBufferCount);
  o.Set("metaTimestampLo", pbp::meta::kTimestampLo);
  o.Set("metaVlanTag", pbp::meta::kVlanTag);
  o.Set("metaRxChecksumFlags", pbp::meta::kRxChecksumFlags);
  o.Set("metaRxChecksumValue", pbp::meta::kRxChecksumValue);
  o.Set("metaServiceClass", pbp::meta::kServiceClass);
  o.Set("metaCompletionStatus", pbp::meta::kCompletionStatus);
  o.Set("metaTraceId", pbp::meta::kTraceId);
  o.Set("slotAllocationsF64", pbp::slot::kAllocationsF64);
  o.Set("slotDeallocationsF64", pbp::slot::kDeallocationsF64);
  o.Set("slotFailedAllocationsF64", pbp::slot::kFailedAllocationsF64);
  o.Set("slotCacheCountU32", pbp::slot::kCacheCountU32);
  o.Set("slotCacheU32", pbp::slot::kCacheU32);
  o.Set("metaStateQueued", pbp::meta::kStateQueued);
  o.Set("queueHeadU32", pbp::queue::kHeadU32);
  o.Set("queuePendingU32", pbp::queue::kPendingU32);
  o.Set("queueTailU32", pbp::queue::kTailU32);
  o.Set("queueConsumerWaitersU32", pbp::queue::kConsumerWaitersU32);
  o.Set("queueDataSeqU32", pbp::queue::kDataSeqU32);
  o.Set("queueBadEntriesU32", pbp::queue::kBadEntriesU32);
  o.Set("queueEntriesU32", pbp::queue::kEntriesU32);
  o.Set("queueStateU32", pbp::queue::kStateU32);
  o.Set("addressWords", pbp::address::kWords);
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
  return exports;
}

}  // namespace
}  // namespace pbp_addon

static Napi::Object initModule(Napi::Env env, Napi::Object exports) {
  return pbp_addon::init(env, exports);
}

NODE_API_MODULE(packet_buffer_pool, initModule)

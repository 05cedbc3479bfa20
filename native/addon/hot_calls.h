// The native calls lib/ makes per packet (cacheSize 0), per cache refill or flush, and per
// batch of indices: one plain Node-API function per attachment (thread slot) of a pool, told
// what to do through two argument words.
//
// Why not instance methods of NativePool: each ObjectWrap method call finds its C++ object with
// napi_unwrap, a private-property lookup in V8 that cost more than the pool operation itself
// (perf: unwrap + node-addon-api's CallbackInfo were ~45% of a cacheSize-0 allocate/free pair).
// A function made with napi_create_function carries a data pointer instead: the attachment's
// HotState, which JavaScript can neither forge nor swap, so no type check is needed to trust it.
// The operation and its number travel through HotState::words, which JavaScript sees as a
// Uint32Array(2): reading a JS number argument and making a return value cost as much as the
// call itself. One function per attachment (not one per operation): each costs a V8 function
// and a finalizer, and pools are cheap enough to be made in loops.
#pragma once

#include <napi.h>

#include <memory>

#include "../core/pool.h"

namespace pbp_addon {

// words[0]: the operation; words[1]: its number in, its result out.
enum class HotOp : uint32_t {
  AllocOne = 1,        // -> a packet index, or kNoPacket when the pool is empty
  DeallocOne = 2,      // packet index -> (every check in the core)
  Refill = 3,          // -> this thread's cache count after moving half a cache from the ring
  Flush = 4,           // keep -> cache count after moving the entries beyond `keep` to the ring
  AllocIndices = 5,    // count -> taken; call(out: Uint32Array)
  DeallocIndices = 6,  // count -> ; call(indices: Uint32Array); all or nothing
};

// AllocOne's answer when the pool is empty (no packet has this index: packetCount < 2^32).
constexpr uint32_t kNoPacket = 0xFFFFFFFF;

// What the function acts on. Owned jointly by the NativePool object, the function and the words'
// ArrayBuffer (either may outlive the NativePool); `pool` is null once the attachment is
// released, and then every call throws kIOReturnNotAttached. Touched only on the JS thread that
// owns the attachment.
struct HotState {
  pbp::Pool* pool = nullptr;  // kept alive by the NativePool's shared_ptr while non-null
  uint32_t slot = 0;
  uint32_t words[2] = {0, 0};
};

// { call, words: Uint32Array(2) over state->words } for `state`.
Napi::Object makeHotCall(Napi::Env env, const std::shared_ptr<HotState>& state);

// { allocOne: 1, ..., noPacket }: the HotOp values and kNoPacket, for lib/ (binding.hotOps).
Napi::Object hotOps(Napi::Env env);

}  // namespace pbp_addon

#include "hot_calls.h"

#include "errors.h"

namespace pbp_addon {
namespace {

using pbp::IOReturn;

Napi::Value fail(napi_env env, const pbp::Status& s) { return throwStatus(Napi::Env(env), s); }

// argv[0] as a Uint32Array's data and length.
bool uint32ArrayArg(napi_env env, napi_value value, const char* what, uint32_t*& data, size_t& length) {
  bool isTypedArray = false;
  napi_typedarray_type type;
  void* raw = nullptr;
  if (value && napi_is_typedarray(env, value, &isTypedArray) == napi_ok && isTypedArray &&
      napi_get_typedarray_info(env, value, &type, &length, &raw, nullptr, nullptr) == napi_ok &&
      type == napi_uint32_array) {
    data = static_cast<uint32_t*>(raw);
    return true;
  }
  throwIOReturn(Napi::Env(env), IOReturn::BadArgument, std::string(what) + " must be a Uint32Array");
  return false;
}

bool countWithin(napi_env env, uint32_t count, size_t length) {
  if (count <= length) return true;
  throwIOReturn(Napi::Env(env), IOReturn::Overrun,
                "count " + std::to_string(count) + " exceeds the array's length " + std::to_string(length));
  return false;
}

napi_value run(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value array = nullptr;
  void* data = nullptr;
  if (napi_get_cb_info(env, info, &argc, &array, nullptr, &data) != napi_ok) return nullptr;
  if (argc == 0) array = nullptr;
  auto* state = static_cast<HotState*>(data);
  pbp::Pool* pool = state->pool;
  if (!pool) {
    throwIOReturn(Napi::Env(env), IOReturn::NotAttached, "the pool has been released");
    return nullptr;
  }
  // Each word is read once: JavaScript may write them at any time, so what is checked is what is used.
  const uint32_t op = state->words[0];
  const uint32_t arg = state->words[1];
  // Taken: lib/ checks this word after a refill or flush to know the call ran (Node-API may skip
  // it in a worker being terminated, and a stale answer stored as a cache count loses packets).
  state->words[0] = 0;
  const uint32_t slot = state->slot;
  // A broken pool (its shared ring state is impossible: ring.h) answers kIOReturnIOError, before
  // the call and after the calls that used a ring, since that call may be the one that found out.
  if (pool->broken()) return fail(env, pool->brokenStatus()), nullptr;
  auto answer = [&](uint32_t value) -> napi_value {
    if (pool->broken()) return fail(env, pool->brokenStatus()), nullptr;
    state->words[1] = value;
    return nullptr;
  };
  switch (HotOp(op)) {
    case HotOp::AllocOne: {
      uint32_t packet;
      return answer(pool->allocateOne(slot, packet) ? packet : kNoPacket);
    }
    case HotOp::DeallocOne: {
      pbp::Status s = pool->deallocateOne(slot, arg);
      if (!s.isOk()) fail(env, s);
      return nullptr;
    }
    case HotOp::Refill:
      return answer(pool->refillCache(slot));
    case HotOp::Flush:
      return answer(pool->flushCache(slot, arg));
    case HotOp::AllocIndices: {
      uint32_t* out;
      size_t length;
      if (!uint32ArrayArg(env, array, "out", out, length) || !countWithin(env, arg, length)) return nullptr;
      return answer(pool->allocateBurst(slot, out, arg));
    }
    case HotOp::DeallocIndices: {
      uint32_t* indices;
      size_t length;
      if (!uint32ArrayArg(env, array, "indices", indices, length) || !countWithin(env, arg, length)) return nullptr;
      pbp::Status s = pool->deallocateBulk(slot, indices, arg);
      if (!s.isOk()) fail(env, s);
      return nullptr;
    }
  }
  throwIOReturn(Napi::Env(env), IOReturn::BadArgument, "unknown operation " + std::to_string(op));
  return nullptr;
}

// No C++ exception may cross into Node-API (errors.h: guarded()); here only std::bad_alloc while
// building an error message could.
napi_value call(napi_env env, napi_callback_info info) {
  try {
    return run(env, info);
  } catch (...) {
    answerCppException(Napi::Env(env));
    return nullptr;
  }
}

// Drop one of the state's owners: the function's (napi_add_finalizer passes it as data) and the
// ArrayBuffer's (an external buffer's finalizer gets its memory as data, the owner as hint).
void dropFunctionOwner(napi_env, void* owner, void*) { delete static_cast<std::shared_ptr<HotState>*>(owner); }
void dropBufferOwner(napi_env, void*, void* owner) { delete static_cast<std::shared_ptr<HotState>*>(owner); }

}  // namespace

Napi::Object makeHotCall(Napi::Env env, const std::shared_ptr<HotState>& state) {
  Napi::Object result = Napi::Object::New(env);
  napi_value fn, buffer, words;
  auto* fnOwner = new std::shared_ptr<HotState>(state);
  if (napi_create_function(env, "call", NAPI_AUTO_LENGTH, call, state.get(), &fn) != napi_ok ||
      napi_add_finalizer(env, fn, fnOwner, dropFunctionOwner, nullptr, nullptr) != napi_ok) {
    delete fnOwner;
    return result;  // an exception is pending
  }
  auto* bufferOwner = new std::shared_ptr<HotState>(state);
  if (napi_create_external_arraybuffer(env, state->words, sizeof state->words, dropBufferOwner, bufferOwner, &buffer) !=
      napi_ok) {
    delete bufferOwner;
    return result;
  }
  napi_create_typedarray(env, napi_uint32_array, 2, buffer, 0, &words);
  result.Set("call", Napi::Value(env, fn));
  result.Set("words", Napi::Value(env, words));
  return result;
}

Napi::Object hotOps(Napi::Env env) {
  Napi::Object ops = Napi::Object::New(env);
  ops.Set("allocOne", uint32_t(HotOp::AllocOne));
  ops.Set("deallocOne", uint32_t(HotOp::DeallocOne));
  ops.Set("refill", uint32_t(HotOp::Refill));
  ops.Set("flush", uint32_t(HotOp::Flush));
  ops.Set("allocIndices", uint32_t(HotOp::AllocIndices));
  ops.Set("deallocIndices", uint32_t(HotOp::DeallocIndices));
  ops.Set("noPacket", kNoPacket);
  return ops;
}

}  // namespace pbp_addon

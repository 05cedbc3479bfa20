#include "errors.h"

#include <cmath>
#include <cstdio>
#include <new>
#include <string>
#include <system_error>

namespace pbp_addon {

Napi::Value throwIOReturn(Napi::Env env, pbp::IOReturn code, const std::string& message) {
  auto* data = env.GetInstanceData<AddonData>();
  Napi::Value codeValue = Napi::Number::New(env, double(uint32_t(code)));
  Napi::Value messageValue = Napi::String::New(env, message);
  if (data && !data->errorClass.IsEmpty()) {
    Napi::Object error = data->errorClass.New({codeValue, messageValue});
    if (!env.IsExceptionPending()) Napi::Error(env, error).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // Node's convention: `code` is the name, the numeric IOReturn goes under `ioReturn`.
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, pbp::ioReturnName(code)));
  error.Set("ioReturn", codeValue);
  error.Set("codeName", Napi::String::New(env, pbp::ioReturnName(code)));
  error.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value throwStatus(Napi::Env env, const pbp::Status& status) {
  return throwIOReturn(env, status.code, status.message);
}

namespace {
// Throwing the IOReturnError allocates too (the message string, the error object); if that fails
// as well, fall back to a plain JS error with a static message.
void throwWithoutCpp(Napi::Env env, pbp::IOReturn code, const char* message) noexcept {
  try {
    throwIOReturn(env, code, message);
  } catch (...) {
    if (!env.IsExceptionPending()) napi_throw_error(env, nullptr, message);
  }
}
}  // namespace

Napi::Value answerCppException(Napi::Env env) noexcept {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    throwWithoutCpp(env, pbp::IOReturn::NoMemory, "out of memory (a native allocation failed)");
  } catch (const std::system_error& e) {
    throwWithoutCpp(env, pbp::IOReturn::NoResources, e.what());
  } catch (const std::exception& e) {
    throwWithoutCpp(env, pbp::IOReturn::Error, e.what());
  } catch (...) {
    throwWithoutCpp(env, pbp::IOReturn::Error, "unexpected native exception");
  }
  return Napi::Value();
}

Napi::Value setErrorClass(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction())
    return throwIOReturn(env, pbp::IOReturn::BadArgument, "setErrorClass expects a class");
  auto* data = env.GetInstanceData<AddonData>();
  data->errorClass = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

bool readUint32(const Napi::CallbackInfo& info, size_t i, const char* what, uint32_t& out) {
  return toUint32(info.Env(), i < info.Length() ? info[i] : info.Env().Undefined(), what, out);
}

bool readCount(const Napi::CallbackInfo& info, size_t i, size_t limit, uint32_t& out) {
  if (!readUint32(info, i, "count", out)) return false;
  if (out <= limit) return true;
  throwIOReturn(info.Env(), pbp::IOReturn::Overrun,
                "count " + std::to_string(out) + " exceeds the array's length " + std::to_string(limit));
  return false;
}

bool toUint32(Napi::Env env, Napi::Value value, const std::string& what, uint32_t& out) {
  if (!value.IsNumber()) {
    throwIOReturn(env, pbp::IOReturn::BadArgument, what + " must be a number");
    return false;
  }
  double v = value.As<Napi::Number>().DoubleValue();
  if (!(v >= 0 && v <= 4294967295.0) || std::floor(v) != v) {
    char shown[32];
    snprintf(shown, sizeof shown, "%.17g", v);
    throwIOReturn(env, pbp::IOReturn::BadArgument, what + " must be an integer in 0..2^32-1, got " + shown);
    return false;
  }
  out = uint32_t(v);
  return true;
}

bool readUint32Array(const Napi::CallbackInfo& info, size_t i, const char* what, Napi::Uint32Array& out) {
  if (i < info.Length() && info[i].IsTypedArray() &&
      info[i].As<Napi::TypedArray>().TypedArrayType() == napi_uint32_array) {
    out = info[i].As<Napi::Uint32Array>();
    return true;
  }
  throwIOReturn(info.Env(), pbp::IOReturn::BadArgument, std::string(what) + " must be a Uint32Array");
  return false;
}

}  // namespace pbp_addon

// Turns core Status values into JavaScript IOReturnError exceptions. lib/ registers its
// IOReturnError class once per environment (setErrorClass) so errors thrown here are instances of
// it; before that a plain Error carrying `code` (the name), `ioReturn` (the number) and `codeName`
// is thrown.
#pragma once

#include <napi.h>

#include "../core/io_return.h"

namespace pbp_addon {

struct AddonData {
  Napi::FunctionReference errorClass;
  Napi::FunctionReference memoryDescriptorClass;
  Napi::FunctionReference poolClass;
};

// Throws and returns undefined, so callers can `return throwStatus(env, s);`.
Napi::Value throwStatus(Napi::Env env, const pbp::Status& status);
Napi::Value throwIOReturn(Napi::Env env, pbp::IOReturn code, const std::string& message);
Napi::Value setErrorClass(const Napi::CallbackInfo& info);

// Node-API must never see a C++ exception: built with NAPI_DISABLE_CPP_EXCEPTIONS, nothing
// between V8 and our code would catch one and the process would abort (std::bad_alloc under an
// address-space limit did). Every entry point runs its body through guarded(), which answers
// std::bad_alloc with kIOReturnNoMemory, std::system_error (e.g. a thread that cannot start)
// with kIOReturnNoResources and anything else with kIOReturnError.
Napi::Value answerCppException(Napi::Env env) noexcept;  // only inside a catch block

template <typename Body>
Napi::Value guarded(Napi::Env env, Body&& body) noexcept {
  try {
    return body();
  } catch (...) {
    return answerCppException(env);
  }
}

// Argument readers: on a wrong type they throw kIOReturnBadArgument naming the argument and return
// false, so a direct caller of the .node file gets an error, never a crash.
bool toUint32(Napi::Env env, Napi::Value value, const std::string& what, uint32_t& out);
bool readUint32(const Napi::CallbackInfo& info, size_t i, const char* what, uint32_t& out);
// Argument i as a count of at most `limit` entries (kIOReturnOverrun beyond it).
bool readCount(const Napi::CallbackInfo& info, size_t i, size_t limit, uint32_t& out);
bool readUint32Array(const Napi::CallbackInfo& info, size_t i, const char* what, Napi::Uint32Array& out);

}  // namespace pbp_addon

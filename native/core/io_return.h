// IOReturn codes (values from IOKit's IOReturn.h) and the error type the core reports with.
// The core never throws: every fallible operation returns a Status so the addon can turn it into
// an IOReturnError and tests can assert on the code.
#pragma once

#include <cstdint>
#include <string>

namespace pbp {

enum class IOReturn : uint32_t {
  Success = 0,
  Error = 0xE00002BC,
  NoMemory = 0xE00002BD,
  NoResources = 0xE00002BE,
  NoDevice = 0xE00002C0,
  NotPrivileged = 0xE00002C1,
  BadArgument = 0xE00002C2,
  NoSpace = 0xE00002C4,
  ExclusiveAccess = 0xE00002C5,
  Unsupported = 0xE00002C7,
  IOError = 0xE00002CA,
  NotReady = 0xE00002D8,
  NotAttached = 0xE00002D9,
  MessageTooLarge = 0xE00002E1,
  NotPermitted = 0xE00002E2,
  Overrun = 0xE00002E8,
  Aborted = 0xE00002EB,
  NotFound = 0xE00002F0,
  // Kernel errors of the I/O interfaces (native/io/io_errno.cpp maps errno to these).
  Offline = 0xE00002D7,
  NotResponding = 0xE00002ED,
};

struct Status {
  IOReturn code = IOReturn::Success;
  std::string message;

  static Status ok() { return {}; }
  static Status fail(IOReturn code, std::string message) { return {code, std::move(message)}; }
  bool isOk() const { return code == IOReturn::Success; }
};

const char* ioReturnName(IOReturn code);

}  // namespace pbp

// IOReturn codes (values from IOKit's IOReturn.h) and the error type the core reports with.
// The core never throws: every fallible operation returns a Status so the addon can turn it into
// an IOReturnError and tests can assert on the code.
#pragma once

#include <cstdint>
#include <string>

#include "io_return_codes.h"

namespace pbp {

// enum class IOReturn is generated from layout.json with lib/'s kIOReturn* constants.

struct Status {
  IOReturn code = IOReturn::Success;
  std::string message;

  static Status ok() { return {}; }
  static Status fail(IOReturn code, std::string message) { return {code, std::move(message)}; }
  bool isOk() const { return code == IOReturn::Success; }
};

const char* ioReturnName(IOReturn code);

}  // namespace pbp

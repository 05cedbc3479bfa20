#include "io_return.h"

namespace pbp {

const char* ioReturnName(IOReturn code) {
  switch (code) {
#define PBP_IORETURN_CASE(name) \
  case IOReturn::name:          \
    return "kIOReturn" #name;
    PBP_IORETURN_CODES(PBP_IORETURN_CASE)
#undef PBP_IORETURN_CASE
  }
  return "kIOReturnError";
}

}  // namespace pbp

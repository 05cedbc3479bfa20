#include "io_return.h"

namespace pbp {

const char* ioReturnName(IOReturn code) {
  switch (code) {
    case IOReturn::Success: return "kIOReturnSuccess";
    case IOReturn::Error: return "kIOReturnError";
    case IOReturn::NoMemory: return "kIOReturnNoMemory";
    case IOReturn::NoResources: return "kIOReturnNoResources";
    case IOReturn::NoDevice: return "kIOReturnNoDevice";
    case IOReturn::NotPrivileged: return "kIOReturnNotPrivileged";
    case IOReturn::BadArgument: return "kIOReturnBadArgument";
    case IOReturn::NoSpace: return "kIOReturnNoSpace";
    case IOReturn::ExclusiveAccess: return "kIOReturnExclusiveAccess";
    case IOReturn::Unsupported: return "kIOReturnUnsupported";
    case IOReturn::IOError: return "kIOReturnIOError";
    case IOReturn::NotReady: return "kIOReturnNotReady";
    case IOReturn::NotAttached: return "kIOReturnNotAttached";
    case IOReturn::MessageTooLarge: return "kIOReturnMessageTooLarge";
    case IOReturn::NotPermitted: return "kIOReturnNotPermitted";
    case IOReturn::Overrun: return "kIOReturnOverrun";
    case IOReturn::Aborted: return "kIOReturnAborted";
    case IOReturn::NotFound: return "kIOReturnNotFound";
    case IOReturn::Offline: return "kIOReturnOffline";
    case IOReturn::NotResponding: return "kIOReturnNotResponding";
  }
  return "kIOReturnError";
}

}  // namespace pbp

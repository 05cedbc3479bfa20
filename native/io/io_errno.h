// What a kernel errno means as an IOReturn, for the per-packet completion status of the
// interfaces and for the errors they throw (which carry both).
#pragma once

#include "../core/io_return.h"

namespace pbp::io {

// ECONNREFUSED -> kIOReturnNotResponding, EMSGSIZE -> kIOReturnMessageTooLarge,
// ENETUNREACH/EHOSTUNREACH -> kIOReturnOffline, EINVAL/EDESTADDRREQ/EAFNOSUPPORT ->
// kIOReturnBadArgument, EACCES/EPERM -> kIOReturnNotPermitted, ENOBUFS/EAGAIN ->
// kIOReturnNoResources, ENOMEM -> kIOReturnNoMemory, anything else -> kIOReturnIOError.
IOReturn ioReturnFromErrno(int err);

}  // namespace pbp::io

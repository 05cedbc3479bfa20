// GENERATED from native/core/layout.json by scripts/generate-layout.js. Do not edit: edit the table and
// run `npm run generate:layout`.
#pragma once

#include <cstdint>

namespace pbp {

// IOReturn codes with IOKit's real values (IOReturn.h).
enum class IOReturn : uint32_t {
  Success = 0u,               // Operation succeeded.
  Error = 0xe00002bcu,        // General error.
  NoMemory = 0xe00002bdu,     // Could not allocate or map memory.
  NoResources = 0xe00002beu,  // Resource shortage (for example, all thread slots in use).
  NoDevice = 0xe00002c0u,     // No such device (a raw interface's network interface does not exist).
  // The caller lacks a privilege (a raw interface without CAP_NET_RAW / CAP_NET_ADMIN / CAP_BPF).
  NotPrivileged = 0xe00002c1u,
  // Invalid argument: wrong type, not an integer, out of its type's range.
  BadArgument = 0xe00002c2u,
  NoSpace = 0xe00002dbu,  // No space left (a packet queue is full).
  // Someone else holds it exclusively (a network queue already bound, another XDP program
  // attached).
  ExclusiveAccess = 0xe00002c5u,
  Unsupported = 0xe00002c7u,  // Unsupported function or option.
  // A system call failed for a reason the message names (errno), or shared state was found
  // impossible (a scribbled queue).
  IOError = 0xe00002cau,
  NotReady = 0xe00002d8u,         // Object not initialised yet.
  NotAttached = 0xe00002d9u,      // The pool (or descriptor) has been released.
  MessageTooLarge = 0xe00002e1u,  // Too large: the interface's MTU does not fit the pool's frames.
  // Not permitted: the packet is not allocated (double free) or not held by the caller.
  NotPermitted = 0xe00002e2u,
  Overrun = 0xe00002e8u,  // A value would run past the end of a buffer.
  // Operation aborted (an AbortSignal fired, or the pool was released while waiting).
  Aborted = 0xe00002ebu,
  NotFound = 0xe00002f0u,       // Nothing found (no VLAN tag on the packet, no such thread to reclaim).
  Offline = 0xe00002d7u,        // The network or host is unreachable (ENETUNREACH, EHOSTUNREACH).
  NotResponding = 0xe00002edu,  // The peer refused (ECONNREFUSED: nothing listens on the port).
};

// X(Name) for every code, in table order.
#define PBP_IORETURN_CODES(X) \
  X(Success)                  \
  X(Error)                    \
  X(NoMemory)                 \
  X(NoResources)              \
  X(NoDevice)                 \
  X(NotPrivileged)            \
  X(BadArgument)              \
  X(NoSpace)                  \
  X(ExclusiveAccess)          \
  X(Unsupported)              \
  X(IOError)                  \
  X(NotReady)                 \
  X(NotAttached)              \
  X(MessageTooLarge)          \
  X(NotPermitted)             \
  X(Overrun)                  \
  X(Aborted)                  \
  X(NotFound)                 \
  X(Offline)                  \
  X(NotResponding)            \
  /* end */

}  // namespace pbp

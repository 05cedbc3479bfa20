#include "io_errno.h"

#include <cerrno>

namespace pbp::io {

IOReturn ioReturnFromErrno(int err) {
  switch (err) {
    case 0:
      return IOReturn::Success;
    case ECONNREFUSED:
      return IOReturn::NotResponding;
    case EMSGSIZE:
      return IOReturn::MessageTooLarge;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
      return IOReturn::Offline;
    case EINVAL:
    case EDESTADDRREQ:
    case EAFNOSUPPORT:
    case EADDRNOTAVAIL:
      return IOReturn::BadArgument;
    case EACCES:
    case EPERM:
    case EADDRINUSE:
      return IOReturn::NotPermitted;
    case ENOBUFS:
    case EAGAIN:
      return IOReturn::NoResources;
    case ENOMEM:
      return IOReturn::NoMemory;
    default:
      return IOReturn::IOError;
  }
}

}  // namespace pbp::io

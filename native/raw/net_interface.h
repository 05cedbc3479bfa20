// Facts about a network interface that a raw port checks before opening it: its index, MTU and
// number of RX queues, each failure a Status naming the interface.
#pragma once

#include <cstdint>
#include <string>

#include "../core/io_return.h"

namespace pbp::raw {

struct NetInterface {
  std::string name;
  unsigned index = 0;
  uint32_t mtu = 0;
  uint32_t rxQueues = 1;  // from /sys/class/net/<name>/queues (1 when unreadable)

  // NoDevice when no interface has that name (in this process's network namespace).
  static Status lookup(const std::string& name, NetInterface& out);
};

// A Status for a failed system call: the code follows errno (EPERM/EACCES -> NotPrivileged,
// EBUSY -> ExclusiveAccess, ENOMEM -> NoMemory, ENODEV/ENXIO -> NoDevice, else IOError) and
// the message is "<what>: <strerror> (errno N)".
Status errnoStatus(int err, const std::string& what);

}  // namespace pbp::raw

#ifdef __linux__  // Linux-only: elsewhere RawPort::open answers kIOReturnUnsupported
#include "net_interface.h"

#include <dirent.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pbp::raw {

Status errnoStatus(int err, const std::string& what) {
  IOReturn code = IOReturn::IOError;
  switch (err) {
    case EPERM:
    case EACCES:
      code = IOReturn::NotPrivileged;
      break;
    case EBUSY:
    case EEXIST:
      code = IOReturn::ExclusiveAccess;
      break;
    case ENOMEM:
    case ENOBUFS:
      code = IOReturn::NoMemory;
      break;
    case ENODEV:
    case ENXIO:
      code = IOReturn::NoDevice;
      break;
    default:
      break;
  }
  return Status::fail(code, what + ": " + strerror(err) + " (errno " + std::to_string(err) + ")");
}

Status NetInterface::lookup(const std::string& name, NetInterface& out) {
  if (name.empty() || name.size() >= IFNAMSIZ)
    return Status::fail(IOReturn::BadArgument,
                        "interface name '" + name + "' must be 1.." + std::to_string(IFNAMSIZ - 1) + " bytes");
  NetInterface n;
  n.name = name;
  n.index = if_nametoindex(name.c_str());
  if (n.index == 0)
    return Status::fail(IOReturn::NoDevice, "no network interface named '" + name + "' in this network namespace");
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errnoStatus(errno, "socket() for the MTU of " + name);
  ifreq req{};
  memcpy(req.ifr_name, name.c_str(), name.size() + 1);
  int rc = ioctl(fd, SIOCGIFMTU, &req);
  int err = errno;
  close(fd);
  if (rc != 0) return errnoStatus(err, "SIOCGIFMTU on " + name);
  n.mtu = uint32_t(req.ifr_mtu);
  std::string dir = "/sys/class/net/" + name + "/queues";
  if (DIR* d = opendir(dir.c_str())) {
    uint32_t rx = 0;
    while (dirent* e = readdir(d))
      if (strncmp(e->d_name, "rx-", 3) == 0) rx++;
    closedir(d);
    if (rx > 0) n.rxQueues = rx;
  }
  out = n;
  return Status::ok();
}

}  // namespace pbp::raw
#endif  // __linux__

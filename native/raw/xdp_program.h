// The XDP program that redirects an interface's frames to AF_XDP sockets, one per interface per
// process, shared by every port on that interface (different queues) and attached through a BPF
// link: the kernel detaches it when the last file descriptor of the link closes, which includes
// the process dying, so a killed process never leaves it attached (a netlink-attached program,
// libxdp's default, would stay until someone removes it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "../core/io_return.h"
#include "raw_port.h"
#include "xdp_library.h"

namespace pbp::raw {

class XdpRedirect {
 public:
  // Attaches (or reuses this process's attachment on `ifindex`) and points entry `queueId` of
  // its XSKMAP at `xskFd`. `mode` tells which attach mode ended up in use ("native"/"generic").
  static Status attach(const XdpLibrary& lib, unsigned ifindex, const std::string& ifname, uint32_t mapEntries,
                       uint32_t queueId, int xskFd, XdpAttachMode requested, std::shared_ptr<XdpRedirect>& out);
  ~XdpRedirect();  // closes the link (detaching the program), the program and the map
  const std::string& mode() const { return mode_; }

 private:
  XdpRedirect() = default;
  unsigned ifindex_ = 0;
  int mapFd_ = -1, progFd_ = -1, linkFd_ = -1;
  std::string mode_;
};

}  // namespace pbp::raw

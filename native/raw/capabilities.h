// Which of the capabilities a raw interface needs the calling process has (capget(2) on the
// effective set; no libcap), so an open without them fails with kIOReturnNotPrivileged naming
// exactly what is missing instead of a bare EPERM from whichever call happens to come first.
#pragma once

#include <string>

namespace pbp::raw {

struct Capabilities {
  bool netRaw = false;    // AF_PACKET and AF_XDP sockets
  bool netAdmin = false;  // attaching an XDP program to an interface
  bool bpf = false;       // CAP_BPF or CAP_SYS_ADMIN: loading the program, creating its map

  static Capabilities ofThisProcess();
  // "CAP_NET_ADMIN, CAP_BPF" etc.: what an AF_XDP open lacks; empty when nothing is missing.
  std::string missingForXdp() const;
  std::string missingForPacket() const;
};

}  // namespace pbp::raw

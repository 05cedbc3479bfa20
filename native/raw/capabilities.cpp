#ifdef __linux__  // Linux-only: elsewhere RawPort::open answers kIOReturnUnsupported
#include "capabilities.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

namespace pbp::raw {
namespace {

bool has(const __user_cap_data_struct (&data)[2], int cap) { return (data[cap / 32].effective >> (cap % 32)) & 1u; }

void add(std::string& list, const char* name) {
  if (!list.empty()) list += ", ";
  list += name;
}

}  // namespace

Capabilities Capabilities::ofThisProcess() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  Capabilities c;
  if (syscall(SYS_capget, &header, data) != 0) return c;  // report everything missing
  c.netRaw = has(data, CAP_NET_RAW);
  c.netAdmin = has(data, CAP_NET_ADMIN);
  c.bpf = has(data, CAP_BPF) || has(data, CAP_SYS_ADMIN);
  return c;
}

std::string Capabilities::missingForXdp() const {
  std::string list;
  if (!netRaw) add(list, "CAP_NET_RAW");
  if (!netAdmin) add(list, "CAP_NET_ADMIN");
  if (!bpf) add(list, "CAP_BPF (or CAP_SYS_ADMIN)");
  return list;
}

std::string Capabilities::missingForPacket() const { return netRaw ? "" : "CAP_NET_RAW"; }

}  // namespace pbp::raw
#endif  // __linux__

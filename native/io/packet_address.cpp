#include "packet_address.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace pbp::io {

static const uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool sameDestination(const PacketAddressRecord& a, const PacketAddressRecord& b) {
  if (a.family != b.family || a.port != b.port) return false;
  if (a.family == kFamilyIPv4) return std::memcmp(a.addr, b.addr, 4) == 0;
  return a.scopeId == b.scopeId && std::memcmp(a.addr, b.addr, 16) == 0;
}

int toSockaddr(const PacketAddressRecord& r, int socketFamily, sockaddr_in6& out, socklen_t& len) {
  std::memset(&out, 0, sizeof out);
  if (r.family == kFamilyNone) return EDESTADDRREQ;
  if (r.family == kFamilyIPv4) {
    if (socketFamily == AF_INET) {
      auto* a4 = reinterpret_cast<sockaddr_in*>(&out);
      a4->sin_family = AF_INET;
      a4->sin_port = htons(r.port);
      std::memcpy(&a4->sin_addr, r.addr, 4);
      len = sizeof(sockaddr_in);
      return 0;
    }
    out.sin6_family = AF_INET6;
    out.sin6_port = htons(r.port);
    std::memcpy(out.sin6_addr.s6_addr, kV4MappedPrefix, 12);
    std::memcpy(out.sin6_addr.s6_addr + 12, r.addr, 4);
    len = sizeof(sockaddr_in6);
    return 0;
  }
  if (r.family == kFamilyIPv6) {
    if (socketFamily != AF_INET6) return EAFNOSUPPORT;
    out.sin6_family = AF_INET6;
    out.sin6_port = htons(r.port);
    out.sin6_scope_id = r.scopeId;
    std::memcpy(out.sin6_addr.s6_addr, r.addr, 16);
    len = sizeof(sockaddr_in6);
    return 0;
  }
  return EINVAL;
}

void fromSockaddr(const sockaddr* sa, PacketAddressRecord& out) {
  std::memset(out.addr, 0, sizeof out.addr);
  out.scopeId = 0;
  if (sa->sa_family == AF_INET) {
    auto* a4 = reinterpret_cast<const sockaddr_in*>(sa);
    out.family = kFamilyIPv4;
    out.port = ntohs(a4->sin_port);
    std::memcpy(out.addr, &a4->sin_addr, 4);
  } else if (sa->sa_family == AF_INET6) {
    auto* a6 = reinterpret_cast<const sockaddr_in6*>(sa);
    out.port = ntohs(a6->sin6_port);
    if (std::memcmp(a6->sin6_addr.s6_addr, kV4MappedPrefix, 12) == 0) {
      out.family = kFamilyIPv4;
      std::memcpy(out.addr, a6->sin6_addr.s6_addr + 12, 4);
    } else {
      out.family = kFamilyIPv6;
      out.scopeId = a6->sin6_scope_id;
      std::memcpy(out.addr, a6->sin6_addr.s6_addr, 16);
    }
  } else {
    out.family = kFamilyNone;
    out.port = 0;
  }
}

Status parseAddress(const char* text, PacketAddressRecord& out) {
  std::string s(text);
  uint32_t scope = 0;
  auto percent = s.find('%');
  if (percent != std::string::npos) {
    std::string ifname = s.substr(percent + 1);
    s.resize(percent);
    scope = if_nametoindex(ifname.c_str());
    if (scope == 0 && !ifname.empty() && ifname.find_first_not_of("0123456789") == std::string::npos)
      scope = uint32_t(std::stoul(ifname));
    if (scope == 0)
      return Status::fail(IOReturn::BadArgument, "address " + std::string(text) + ": unknown scope '" + ifname + "'");
  }
  std::memset(out.addr, 0, sizeof out.addr);
  if (percent == std::string::npos && inet_pton(AF_INET, s.c_str(), out.addr) == 1) {
    out.family = kFamilyIPv4;
    out.scopeId = 0;
    return Status::ok();
  }
  if (inet_pton(AF_INET6, s.c_str(), out.addr) == 1) {
    out.family = kFamilyIPv6;
    out.scopeId = scope;
    return Status::ok();
  }
  return Status::fail(IOReturn::BadArgument, "address '" + std::string(text) + "' is neither IPv4 nor IPv6");
}

}  // namespace pbp::io

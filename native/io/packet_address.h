// A packet's address record (32 bytes per packet, in the region next to its metadata): the
// destination of a packet to transmit (ignored on a connected socket), the source of a received
// one. Conversions to and from the kernel's sockaddr live here so every interface agrees on them.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>

#include "../core/io_return.h"

namespace pbp::io {

struct PacketAddressRecord {
  uint16_t family;       // 0 none, 4 = IPv4, 6 = IPv6
  uint16_t port;         // host byte order
  uint32_t scopeId;      // IPv6 scope
  uint8_t addr[16];      // IPv4 in the first 4 bytes, network order
  uint16_t segmentSize;  // GSO segment size to use (TX) / GRO size seen (RX), 0 = none
  uint16_t flags;
  uint32_t reserved;
};
static_assert(sizeof(PacketAddressRecord) == 32, "the address record is 32 bytes per packet");

constexpr uint16_t kFamilyNone = 0;
constexpr uint16_t kFamilyIPv4 = 4;
constexpr uint16_t kFamilyIPv6 = 6;

// Same destination: family, port, address (and scope for IPv6). segmentSize/flags do not count.
bool sameDestination(const PacketAddressRecord& a, const PacketAddressRecord& b);

// Fills `out` for a socket of `socketFamily` (AF_INET / AF_INET6): an IPv4 record on an IPv6
// socket becomes a v4-mapped address. Returns 0 or the errno the kernel would give
// (EDESTADDRREQ for no address, EAFNOSUPPORT for IPv6 on an IPv4 socket, EINVAL for a bad family).
int toSockaddr(const PacketAddressRecord& record, int socketFamily, sockaddr_in6& out, socklen_t& len);
// The other way; a v4-mapped IPv6 address becomes an IPv4 record. Leaves segmentSize and flags.
void fromSockaddr(const sockaddr* sa, PacketAddressRecord& out);

// Parses "1.2.3.4" / "::1" / "fe80::1%lo" into a record (port untouched); BadArgument names it.
Status parseAddress(const char* text, PacketAddressRecord& out);

}  // namespace pbp::io

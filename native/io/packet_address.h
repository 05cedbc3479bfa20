// A packet's address record: the destination of a packet to transmit (ignored on a connected
// socket), the source of a received one. Conversions to and from the kernel's sockaddr live here
// so every interface agrees on them.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>

#include "../core/io_return.h"
#include "../core/pool.h"

namespace pbp::io {

// The record itself is the region's (pbp::PacketAddress, native/core/layout.h): one per packet,
// at Pool::addressOf(packet); the table is contiguous, so addressTable(pool)[packet] finds it.
using PacketAddressRecord = pbp::PacketAddress;
inline PacketAddressRecord* addressTable(const Pool& pool) {
  return reinterpret_cast<PacketAddressRecord*>(pool.addressOf(0));
}

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

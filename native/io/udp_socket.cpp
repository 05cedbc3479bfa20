// UdpSocket: opening and configuring the socket, and receiving. Sending: udp_socket_send.cpp.
#include "udp_socket.h"

#if defined(__linux__)

#include <fcntl.h>
#include <netinet/udp.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "udp_socket_internal.h"

namespace pbp::io {

namespace {

constexpr uint32_t kDirectionRx = 2;  // IOUserNetworkPacketDirection::Rx (lib/enums.ts)

Status sysFail(const std::string& what, int err, int& errnoOut) {
  errnoOut = err;
  IOReturn code = err == EADDRINUSE || err == EACCES || err == EPERM             ? IOReturn::NotPermitted
                  : err == EADDRNOTAVAIL || err == EINVAL || err == EAFNOSUPPORT ? IOReturn::BadArgument
                  : err == ENOMEM || err == ENOBUFS                              ? IOReturn::NoMemory
                  : err == EMFILE || err == ENFILE                               ? IOReturn::NoResources
                                                                                 : IOReturn::Error;
  return Status::fail(code, what + ": " + std::strerror(err) + " (errno " + std::to_string(err) + ")");
}

}  // namespace

Status UdpSocket::open(const UdpOptions& o, std::unique_ptr<UdpSocket>& out, int& errnoOut) {
  errnoOut = 0;
  if (o.family != kFamilyIPv4 && o.family != kFamilyIPv6)
    return Status::fail(IOReturn::BadArgument, "family " + std::to_string(o.family) + " is not 4 or 6");
  if (o.maxSegments < 1 || o.maxSegments > 128)
    return Status::fail(IOReturn::BadArgument, "maxSegments " + std::to_string(o.maxSegments) + " is not in 1..128");
  std::unique_ptr<UdpSocket> s(new UdpSocket());
  s->socketFamily_ = o.family == kFamilyIPv6 ? AF_INET6 : AF_INET;
  s->maxPayload_ = o.family == kFamilyIPv6 ? 65527 : 65507;
  s->maxSegments_ = o.maxSegments;
  s->fd_ = ::socket(s->socketFamily_, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd_ < 0) return sysFail("socket", errno, errnoOut);

  int one = 1;
  if (o.sendBufferBytes) {
    int v = int(std::min<uint32_t>(o.sendBufferBytes, 1u << 30));
    // FORCE goes past net.core.wmem_max when we may (root); plain SO_SNDBUF is capped otherwise.
    if (setsockopt(s->fd_, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) < 0 &&
        setsockopt(s->fd_, SOL_SOCKET, SO_SNDBUF, &v, sizeof v) < 0)
      return sysFail("setsockopt(SO_SNDBUF)", errno, errnoOut);
  }
  if (o.receiveBufferBytes) {
    int v = int(std::min<uint32_t>(o.receiveBufferBytes, 1u << 30));
    if (setsockopt(s->fd_, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) < 0 &&
        setsockopt(s->fd_, SOL_SOCKET, SO_RCVBUF, &v, sizeof v) < 0)
      return sysFail("setsockopt(SO_RCVBUF)", errno, errnoOut);
  }
  if (o.timestamps && setsockopt(s->fd_, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0)
    return sysFail("setsockopt(SO_TIMESTAMPNS)", errno, errnoOut);
  if (o.gso) {
    // A kernel without UDP GSO does not know the option: send without it (silently).
    int segment = 0;
    socklen_t len = sizeof segment;
    s->gso_ = getsockopt(s->fd_, SOL_UDP, UDP_SEGMENT, &segment, &len) == 0;
  }
  if (o.gro) {
    if (setsockopt(s->fd_, SOL_UDP, UDP_GRO, &one, sizeof one) < 0)
      return sysFail("setsockopt(UDP_GRO)", errno, errnoOut);
    s->gro_ = true;
  }

  sockaddr_in6 sa;
  socklen_t salen;
  PacketAddressRecord local = o.local;
  if (local.family == kFamilyNone) {
    std::memset(local.addr, 0, sizeof local.addr);
    local.family = o.family;  // the wildcard address of the socket's family
  }
  int err = toSockaddr(local, s->socketFamily_, sa, salen);
  if (err) return sysFail("bind address", err, errnoOut);
  if (::bind(s->fd_, reinterpret_cast<sockaddr*>(&sa), salen) < 0) return sysFail("bind", errno, errnoOut);
  if (o.remote.family != kFamilyNone) {
    err = toSockaddr(o.remote, s->socketFamily_, sa, salen);
    if (err) return sysFail("connect address", err, errnoOut);
    if (::connect(s->fd_, reinterpret_cast<sockaddr*>(&sa), salen) < 0) return sysFail("connect", errno, errnoOut);
    s->connected_ = true;
  }

  s->msgs_.resize(kMaxMessages);
  s->iov_.resize(kMaxIovecs);
  s->names_.resize(kMaxMessages);
  s->info_.resize(kMaxMessages);
  s->control_.resize(kMaxMessages * kControlBytes);
  s->stats_.gsoActive = s->gso_;
  out = std::move(s);
  return Status::ok();
}

UdpSocket::~UdpSocket() { close(); }

void UdpSocket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

PacketAddressRecord UdpSocket::localAddress() const {
  PacketAddressRecord r{};
  sockaddr_in6 sa{};
  socklen_t len = sizeof sa;
  if (fd_ >= 0 && getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) == 0)
    fromSockaddr(reinterpret_cast<sockaddr*>(&sa), r);
  return r;
}

uint32_t UdpSocket::receive(const Pool& pool, PacketAddressRecord* addresses, const uint32_t* idx, uint32_t n) {
  const Layout& L = pool.layout();
  n = std::min(n, kMaxMessages);
  uint32_t room = L.bufferSize - std::min(L.headroom, L.bufferSize);
  uint32_t m = 0;
  for (; m < n; m++) {
    uint32_t packet = idx[m];
    if (packet >= L.packetCount) break;  // the driver only passes its own valid packets
    msghdr& h = msgs_[m].msg_hdr;
    iov_[m].iov_base = pool.bufferAt(packet) + L.headroom;
    iov_[m].iov_len = room;
    h.msg_iov = &iov_[m];
    h.msg_iovlen = 1;
    h.msg_name = &names_[m];
    h.msg_namelen = sizeof(sockaddr_in6);
    h.msg_control = &control_[m * kControlBytes];
    h.msg_controllen = kControlBytes;
    h.msg_flags = 0;
  }
  if (m == 0) return 0;
  int r;
  for (;;) {
    stats_.rxSyscalls++;
    r = ::recvmmsg(fd_, msgs_.data(), m, MSG_DONTWAIT, nullptr);
    if (r >= 0) break;
    int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK) return 0;
    // An ICMP error queued on the socket (ECONNREFUSED on a connected socket...): reported once,
    // consumed by this call; count it and try again for data.
    stats_.rxErrors++;
    stats_.lastErrno = err;
    if (stats_.rxErrors % 64 == 0) return 0;  // never spin on a socket that only has errors
  }
  for (int i = 0; i < r; i++) {
    uint32_t packet = idx[i];
    msghdr& h = msgs_[i].msg_hdr;
    uint32_t len = msgs_[i].msg_len;
    uint32_t* meta = pool.metaOf(packet);
    uint32_t flags = meta[meta::kFlags] & ~(meta::kFlagTimestamp | meta::kFlagCompletionStatus);
    if (h.msg_flags & MSG_TRUNC) {
      len = std::min(len, room);
      flags |= meta::kFlagCompletionStatus;
      meta[meta::kCompletionStatus] = uint32_t(IOReturn::Overrun);
      stats_.rxTruncated++;
    }
    PacketAddressRecord& a = addresses[packet];
    fromSockaddr(reinterpret_cast<sockaddr*>(&names_[i]), a);
    a.segmentSize = 0;
    a.flags = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        timespec ts;
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        uint64_t ns = uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
        meta[meta::kTimestampLo] = uint32_t(ns);
        meta[meta::kTimestampHi] = uint32_t(ns >> 32);
        flags |= meta::kFlagTimestamp;
      } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int segment = 0;
        std::memcpy(&segment, CMSG_DATA(c), sizeof segment);
        if (segment > 0 && uint32_t(segment) < len) a.segmentSize = uint16_t(segment);
      }
    }
    meta[meta::kDataOffset] = L.headroom;
    meta[meta::kDataLength] = len;
    meta[meta::kDirection] = kDirectionRx;
    meta[meta::kFlags] = flags;
    stats_.rxPackets++;
    stats_.rxSegments += a.segmentSize ? (len + a.segmentSize - 1) / a.segmentSize : 1;
    stats_.rxBytes += len;
  }
  return uint32_t(r);
}

}  // namespace pbp::io

#else  // not Linux: the interface is unsupported, the package still builds

namespace pbp::io {

Status UdpSocket::open(const UdpOptions&, std::unique_ptr<UdpSocket>&, int& errnoOut) {
  errnoOut = 0;
  return Status::fail(IOReturn::Unsupported, "the UDP interface needs Linux (sendmmsg, UDP GSO/GRO)");
}
UdpSocket::~UdpSocket() = default;
void UdpSocket::close() {}
PacketAddressRecord UdpSocket::localAddress() const { return PacketAddressRecord{}; }
uint32_t UdpSocket::send(const Pool&, const PacketAddressRecord*, const uint32_t*, uint32_t, int32_t*) { return 0; }
uint32_t UdpSocket::receive(const Pool&, PacketAddressRecord*, const uint32_t*, uint32_t) { return 0; }

}  // namespace pbp::io

#endif

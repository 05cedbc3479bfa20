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

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

namespace pbp::io {

namespace {

// Control space per message: a UDP_SEGMENT (TX) or SO_TIMESTAMPNS + UDP_GRO (RX) cmsg.
constexpr uint32_t kDirectionRx = 2;  // IOUserNetworkPacketDirection::Rx (lib/enums.ts)

constexpr size_t kControlBytes = CMSG_SPACE(sizeof(timespec)) + CMSG_SPACE(sizeof(int));

Status sysFail(const std::string& what, int err, int& errnoOut) {
  errnoOut = err;
  IOReturn code = err == EADDRINUSE || err == EACCES || err == EPERM ? IOReturn::NotPermitted
                  : err == EADDRNOTAVAIL || err == EINVAL || err == EAFNOSUPPORT ? IOReturn::BadArgument
                  : err == ENOMEM || err == ENOBUFS ? IOReturn::NoMemory
                  : err == EMFILE || err == ENFILE ? IOReturn::NoResources
                                                     : IOReturn::Error;
  return Status::fail(code, what + ": " + std::strerror(err) + " (errno " + std::to_string(err) + ")");
}

bool wouldBlock(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS; }

// A GSO send the route or device cannot do: resend the datagrams one by one.
bool gsoRefusal(int err) { return err == EIO || err == EINVAL || err == EOPNOTSUPP || err == ENOPROTOOPT; }

// The packet's data as iovecs (first buffer from the data offset, then chained buffers from 0).
// Returns 0, EINVAL for metadata that does not describe data inside the packet's buffers, or
// E2BIG when `room` iovecs are not enough (the caller ends its round there).
int packetIovecs(const Pool& pool, uint32_t packet, iovec* iov, uint32_t room, uint32_t& used,
                 uint32_t& length) {
  const Layout& L = pool.layout();
  if (packet >= L.packetCount) return EINVAL;
  const uint32_t* m = pool.metaOf(packet);
  uint32_t offset = m[meta::kDataOffset];
  uint32_t len = m[meta::kDataLength];
  uint32_t buffers = m[meta::kBufferCount];
  if (offset > L.bufferSize || buffers < 1 || buffers > L.maxBuffersPerPacket) return EINVAL;
  uint32_t inFirst = std::min(len, L.bufferSize - offset);
  uint32_t rest = len - inFirst;
  uint32_t extra = (rest + L.bufferSize - 1) / L.bufferSize;
  if (extra > buffers - 1) return EINVAL;
  if (1 + extra > room) return E2BIG;
  iov[0].iov_base = pool.bufferAt(packet) + offset;
  iov[0].iov_len = inFirst;
  const uint32_t* chain = pool.chainOf(packet);
  for (uint32_t i = 0; i < extra; i++) {
    uint32_t b = chain[i];
    if (b < L.packetCount || b >= L.bufferCount) return EINVAL;
    iov[1 + i].iov_base = pool.bufferAt(b);
    iov[1 + i].iov_len = std::min(rest, L.bufferSize);
    rest -= uint32_t(iov[1 + i].iov_len);
  }
  used = 1 + extra;
  length = len;
  return 0;
}

void setSegmentCmsg(msghdr& h, uint8_t* control, uint16_t segment) {
  h.msg_control = control;
  h.msg_controllen = CMSG_SPACE(sizeof(uint16_t));
  cmsghdr* c = CMSG_FIRSTHDR(&h);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
  std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
}

}  // namespace

Status UdpSocket::open(const UdpOptions& o, std::unique_ptr<UdpSocket>& out, int& errnoOut) {
  errnoOut = 0;
  if (o.family != kFamilyIPv4 && o.family != kFamilyIPv6)
    return Status::fail(IOReturn::BadArgument, "family " + std::to_string(o.family) + " is not 4 or 6");
  if (o.maxSegments < 1 || o.maxSegments > 128)
    return Status::fail(IOReturn::BadArgument,
                        "maxSegments " + std::to_string(o.maxSegments) + " is not in 1..128");
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
    if (::connect(s->fd_, reinterpret_cast<sockaddr*>(&sa), salen) < 0)
      return sysFail("connect", errno, errnoOut);
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

void UdpSocket::complete(uint32_t message, int err) {
  const MessageInfo& mi = info_[message];
  for (uint32_t k = 0; k < mi.count; k++) errnos_[mi.first + k] = err;
  if (err == 0) {
    stats_.txPackets += mi.count;
    stats_.txBytes += mi.bytes;
    if (mi.count > 1) stats_.txGsoMessages++;
  } else {
    stats_.txErrors += mi.count;
    stats_.lastErrno = err;
  }
}

int UdpSocket::sendOneByOne(uint32_t message, uint32_t& doneOut, bool& blocked) {
  const MessageInfo& mi = info_[message];
  msghdr h = msgs_[message].msg_hdr;
  h.msg_control = nullptr;
  h.msg_controllen = 0;
  iovec* first = h.msg_iov;
  uint32_t succeeded = 0;
  doneOut = 0;
  blocked = false;
  for (uint32_t k = 0; k < mi.count; k++) {
    h.msg_iov = first + k;  // a GSO message has exactly one iovec per datagram
    h.msg_iovlen = 1;
    stats_.txSyscalls++;
    ssize_t r;
    do r = ::sendmsg(fd_, &h, MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    if (r < 0 && wouldBlock(errno)) {
      stats_.txWouldBlock++;
      blocked = true;
      break;
    }
    int err = r < 0 ? errno : 0;
    errnos_[mi.first + k] = err;
    if (err == 0) {
      stats_.txPackets++;
      stats_.txBytes += first[k].iov_len;
      succeeded++;
    } else {
      stats_.txErrors++;
      stats_.lastErrno = err;
    }
    doneOut++;
  }
  return int(succeeded);
}

uint32_t UdpSocket::send(const Pool& pool, const PacketAddressRecord* addresses, const uint32_t* idx,
                         uint32_t n, int32_t* errnos) {
  errnos_ = errnos;
  uint32_t done = 0;  // packets from the front that are finished
  while (done < n) {
    // ---- build one round: up to kMaxMessages messages, kMaxIovecs iovecs ----
    uint32_t m = 0, iovUsed = 0, p = done;
    while (p < n && m < kMaxMessages) {
      MessageInfo& mi = info_[m];
      msghdr& h = msgs_[m].msg_hdr;
      std::memset(&h, 0, sizeof h);
      mi = MessageInfo{p, 1, 0, 0};
      uint32_t packet = idx[p], used = 0, length = 0;
      int err = packetIovecs(pool, packet, &iov_[iovUsed], kMaxIovecs - iovUsed, used, length);
      if (err == E2BIG) break;  // no iovecs left in this round
      const PacketAddressRecord* dest = packet < pool.layout().packetCount ? &addresses[packet] : nullptr;
      if (!err && !connected_) {
        socklen_t nameLen = 0;
        err = toSockaddr(*dest, socketFamily_, names_[m], nameLen);
        h.msg_name = &names_[m];
        h.msg_namelen = nameLen;
      }
      if (err) {
        mi.preError = err;
        m++;
        p++;
        continue;
      }
      h.msg_iov = &iov_[iovUsed];
      h.msg_iovlen = used;
      mi.bytes = length;
      iovUsed += used;
      p++;
      // Coalesce the run that follows: same destination, same length (a shorter one ends it).
      if (gso_ && used == 1 && length > 0 && length <= 0xFFFF) {
        uint32_t limit = std::min(maxSegments_, maxPayload_ / length);
        while (mi.count < limit && p < n && iovUsed < kMaxIovecs) {
          uint32_t q = idx[p], qUsed = 0, qLength = 0;
          if (q >= pool.layout().packetCount) break;
          if (packetIovecs(pool, q, &iov_[iovUsed], 1, qUsed, qLength) != 0) break;
          if (qLength > length || qLength == 0) break;
          if (!connected_ && !sameDestination(addresses[q], *dest)) break;
          iovUsed++;
          mi.count++;
          mi.bytes += qLength;
          p++;
          if (qLength < length) break;
        }
        h.msg_iovlen = mi.count;
        if (mi.count > 1) setSegmentCmsg(h, &control_[m * kControlBytes], uint16_t(length));
      }
      m++;
    }

    // ---- send it: sendmmsg over each stretch of messages the kernel has to see ----
    uint32_t k = 0;
    while (k < m) {
      if (info_[k].preError) {
        complete(k, info_[k].preError);
        k++;
        done = info_[k - 1].first + info_[k - 1].count;
        continue;
      }
      uint32_t end = k;
      while (end < m && !info_[end].preError) end++;
      stats_.txSyscalls++;
      int r = ::sendmmsg(fd_, &msgs_[k], end - k, MSG_DONTWAIT);
      if (r > 0) {
        for (int j = 0; j < r; j++) complete(k + j, 0);
        k += uint32_t(r);
        done = info_[k - 1].first + info_[k - 1].count;
        continue;
      }
      int err = r < 0 ? errno : EIO;
      if (err == EINTR) continue;
      if (wouldBlock(err)) {
        stats_.txWouldBlock++;
        return done;
      }
      if (info_[k].count > 1 && err != ECONNREFUSED) {
        uint32_t finished = 0;
        bool blocked = false;
        int ok = sendOneByOne(k, finished, blocked);
        // The route or kernel cannot segment for us: stop trying (one datagram per message).
        if (ok > 0 && gsoRefusal(err)) gso_ = stats_.gsoActive = false;
        if (blocked) return info_[k].first + finished;
      } else {
        complete(k, err);
      }
      done = info_[k].first + info_[k].count;
      k++;
    }
    done = p;  // every message of the round went out (or was refused for good)
  }
  return done;
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

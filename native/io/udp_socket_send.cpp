// UdpSocket's send path: one round builds up to kMaxMessages messages (coalescing same-destination
// runs into UDP GSO super-packets), then sendmmsg sends them, falling back to one sendmsg per
// datagram where a GSO send is refused. Opening and receiving: udp_socket.cpp.
#include "udp_socket.h"

#if defined(__linux__)

#include <netinet/udp.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "udp_socket_internal.h"

namespace pbp::io {

namespace {

bool wouldBlock(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS; }

// A GSO send the route or device cannot do: resend the datagrams one by one.
bool gsoRefusal(int err) { return err == EIO || err == EINVAL || err == EOPNOTSUPP || err == ENOPROTOOPT; }

// The packet's data as iovecs (first buffer from the data offset, then chained buffers from 0).
// Returns 0, EINVAL for metadata that does not describe data inside the packet's buffers, or
// E2BIG when `room` iovecs are not enough (the caller ends its round there).
int packetIovecs(const Pool& pool, uint32_t packet, iovec* iov, uint32_t room, uint32_t& used, uint32_t& length) {
  const Layout& L = pool.layout();
  if (packet >= L.packetCount) return EINVAL;
  const uint32_t* m = pool.metaOf(packet);
  uint32_t offset = m[meta::kDataOffset];
  uint32_t len = m[meta::kDataLength];
  uint32_t buffers = m[meta::kBufferCount];
  if (offset > L.bufferSize || buffers < 1 || buffers > L.maxBuffersPerPacket) return EINVAL;
  uint32_t inFirst = std::min(len, L.bufferSize - offset);
  uint32_t rest = len - inFirst;
  // Most packets fit their first buffer: skip the division (tens of cycles) for them.
  uint32_t extra = rest == 0 ? 0 : (rest + L.bufferSize - 1) / L.bufferSize;
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

uint32_t UdpSocket::send(const Pool& pool, const PacketAddressRecord* addresses, const uint32_t* idx, uint32_t n,
                         int32_t* errnos) {
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

}  // namespace pbp::io

#endif  // __linux__ (elsewhere udp_socket.cpp defines send() as a stub)

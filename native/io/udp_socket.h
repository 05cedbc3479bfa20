// The UDP engine under the pool's UDP interface: a non-blocking UDP socket that sends and receives
// batches of pool packets by index, straight from and into their buffers in the region. It knows
// nothing about queues or threads: the driver (udp_driver.*) takes packets from the submission
// queues, calls send()/receive(), and hands them to the completion queues.
//
// TX: runs of packets with the same destination and the same length (the last one of a run may be
// shorter) go out as one UDP GSO super-packet (a UDP_SEGMENT cmsg, one stack pass for up to
// maxSegments datagrams); many messages per sendmmsg call. When the kernel lacks UDP GSO (probed
// at open) or a route cannot segment (EIO/EINVAL on a GSO send whose datagrams then go out one by
// one), GSO is switched off and every datagram is its own message.
// Linux only (sendmmsg/recvmmsg, UDP_SEGMENT/UDP_GRO, SO_TIMESTAMPNS): elsewhere open() answers
// kIOReturnUnsupported, so the rest of the package still builds and runs.
// RX: recvmmsg into the packets' first buffers at the headroom; length, source address
// (PacketAddressRecord), SO_TIMESTAMPNS receive time (meta timestamp, CLOCK_REALTIME ns) and, with
// UDP_GRO, the segment size of a coalesced super-packet (PacketAddressRecord::segmentSize: the
// packet holds dataLength bytes made of segments of that size, the last one may be shorter).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "../core/io_return.h"
#include "../core/pool.h"
#include "packet_address.h"

namespace pbp::io {

struct UdpOptions {
  uint16_t family = kFamilyIPv4;  // of the socket: 4 or 6 (an IPv6 socket also reaches IPv4 peers)
  PacketAddressRecord local{};    // bind address; family 0 = any address of the socket's family
  PacketAddressRecord remote{};   // connect to it when its family is not 0
  bool gso = true;                // coalesce same-destination same-size runs (when the kernel can)
  bool gro = false;               // accept coalesced super-packets on receive
  bool timestamps = true;         // SO_TIMESTAMPNS
  uint32_t sendBufferBytes = 0;   // SO_SNDBUF / SO_RCVBUF, 0 = kernel default
  uint32_t receiveBufferBytes = 0;
  uint32_t maxSegments = 64;  // datagrams per GSO super-packet (the kernel allows up to 64..128)
};

struct UdpStats {
  uint64_t txPackets = 0;  // datagrams the kernel accepted
  uint64_t txBytes = 0;
  uint64_t txErrors = 0;  // packets completed with an error
  uint64_t txSyscalls = 0;
  uint64_t txGsoMessages = 0;  // super-packets (each counts its datagrams in txPackets)
  uint64_t txWouldBlock = 0;   // sends stopped by a full socket buffer (packets stay pending)
  uint64_t rxPackets = 0;      // packets filled (a GRO super-packet counts once)
  uint64_t rxSegments = 0;     // datagrams received (a GRO super-packet counts each segment)
  uint64_t rxBytes = 0;
  uint64_t rxSyscalls = 0;
  uint64_t rxTruncated = 0;  // datagrams larger than the packet's space (completed with kIOReturnOverrun)
  uint64_t rxErrors = 0;     // receive errors (ICMP errors reported on the socket, etc.)
  int lastErrno = 0;
  bool gsoActive = false;  // GSO in use now (false after a fallback)
};

class UdpSocket {
 public:
  // Opens, configures, binds and (when options.remote is set) connects a non-blocking socket.
  // Errors carry the errno in their message and in errnoOut.
  static Status open(const UdpOptions& options, std::unique_ptr<UdpSocket>& out, int& errnoOut);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  int fd() const { return fd_; }
  bool connected() const { return connected_; }
  bool groEnabled() const { return gro_; }
  const UdpStats& stats() const { return stats_; }
  // The bound address (port chosen by the kernel when 0 was asked for).
  PacketAddressRecord localAddress() const;

  // Sends packets idx[0..n) of `pool` (each held by the caller; data per its metadata, destination
  // in addresses[packet] unless connected). Returns how many of them, from the front, are done:
  // errnos[i] is 0 for a datagram the kernel took and the errno for one it refused (EMSGSIZE,
  // ECONNREFUSED, ENETUNREACH, EINVAL for bad metadata...). Fewer than n only when the socket
  // buffer is full (EAGAIN/ENOBUFS): the rest were not sent and stay with the caller.
  uint32_t send(const Pool& pool, const PacketAddressRecord* addresses, const uint32_t* idx, uint32_t n,
                int32_t* errnos);

  // Receives into packets idx[0..n) (held by the caller): returns how many, from the front, now
  // hold a datagram (0 when none is waiting). Sets data offset (headroom), length, timestamp,
  // addresses[packet] (source, GRO segment size) and, for a truncated datagram, completion status
  // kIOReturnOverrun. Errors other than "nothing waiting" are counted in stats (rxErrors, lastErrno).
  uint32_t receive(const Pool& pool, PacketAddressRecord* addresses, const uint32_t* idx, uint32_t n);

  // Closes the socket now (the destructor does it too).
  void close();

  static constexpr uint32_t kMaxMessages = 256;  // per sendmmsg/recvmmsg call
  static constexpr uint32_t kMaxIovecs = 1024;   // per sendmmsg call (UIO_MAXIOV)

 private:
  UdpSocket() = default;
  // Resends a refused GSO message one datagram per sendmsg; returns how many went out, doneOut how
  // many are finished (sent or refused for good), blocked when the socket buffer filled.
  int sendOneByOne(uint32_t message, uint32_t& doneOut, bool& blocked);
  void complete(uint32_t message, int err);

  int fd_ = -1;
  int socketFamily_ = AF_INET;
  bool connected_ = false;
  bool gso_ = false;
  bool gro_ = false;
  uint32_t maxSegments_ = 64;
  uint32_t maxPayload_ = 65507;  // per UDP datagram: 65535 - 8 (UDP) - 20 (IPv4); IPv6: 65527
  UdpStats stats_;

  // Scratch for one round, allocated once.
  struct MessageInfo {
    uint32_t first;  // position in idx of its first packet
    uint32_t count;  // packets in it
    uint32_t bytes;  // total payload
    int preError;    // refused before the kernel saw it (bad metadata or address)
  };
#if defined(__linux__)
  std::vector<mmsghdr> msgs_;
#endif
  std::vector<iovec> iov_;
  std::vector<sockaddr_in6> names_;
  std::vector<MessageInfo> info_;
  std::vector<uint8_t> control_;  // kControlBytes per message
  int32_t* errnos_ = nullptr;     // the current send()'s errnos, indexed by position in idx
};

}  // namespace pbp::io

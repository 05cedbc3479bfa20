// Packet capture files written straight from pool buffers, in either of libpcap's formats:
//  - classic pcap (libpcap's original format, microsecond timestamps): one writev() per batch of
//    up to 512 packets, its iovecs alternating a 16-byte record header (built on the stack) and
//    the packet's data window inside the region;
//  - pcapng: a Section Header Block and one Interface Description Block (the link type, the snap
//    length, if_tsresol = 9: nanosecond timestamps), then one Enhanced Packet Block per packet,
//    three iovecs each (the 28-byte block header on the stack, the data window in the region, the
//    0-3 padding bytes and the 4-byte trailing block length on the stack), up to 340 per writev().
// Either way the only copy of a packet's bytes is the kernel's, in the write itself. Works on any
// file descriptor: a file, a pipe (tcpdump -r -, tshark -r -), a socket.
#pragma once

#include <cstdint>

#include "../core/io_return.h"
#include "../core/pool.h"

namespace pbp::raw {

class PcapWriter {
 public:
  static constexpr uint32_t kLinkTypeEthernet = 1;
  enum class Format : uint32_t { Pcap = 0, Pcapng = 1 };
  // Writes the file header (classic: 24 bytes; pcapng: SHB + IDB, 60 bytes) to fd (not owned:
  // the caller closes it). BadArgument for a snap length outside 1..262144, an unknown format or
  // (pcapng, whose IDB holds 16 bits) a link type above 65535.
  static Status begin(int fd, uint32_t snapLength, uint32_t linkType, Format format, PcapWriter& out);
  // A writer for a file whose header was written already (counters start at 0).
  static Status resume(int fd, uint32_t snapLength, Format format, PcapWriter& out);
  // Writes packets[0..n) (their first buffer's [dataOffset, dataOffset + dataLength), clipped
  // to the buffer and to snapLength). The timestamp is the packet's (meta::kFlagTimestamp) or the
  // current time. BadArgument for an index out of range; IOError when the write fails.
  Status write(const Pool& pool, const uint32_t* packets, uint32_t n);
  uint64_t bytesWritten() const { return bytes_; }
  uint64_t packetsWritten() const { return packets_; }

 private:
  Status writeClassic(const Pool& pool, const uint32_t* packets, uint32_t n, uint64_t nowNs);
  Status writeNg(const Pool& pool, const uint32_t* packets, uint32_t n, uint64_t nowNs);

  int fd_ = -1;
  uint32_t snapLength_ = 65535;
  Format format_ = Format::Pcap;
  uint64_t bytes_ = 0;
  uint64_t packets_ = 0;
};

}  // namespace pbp::raw

// Classic pcap (libpcap's original format, microsecond timestamps, LINKTYPE_ETHERNET) written
// straight from pool buffers: one writev() per batch of up to 512 packets, its iovecs alternating
// a 16-byte record header (built on the stack) and the packet's data window inside the region, so
// the only copy of a packet's bytes is the kernel's, in the write itself. Works on any file
// descriptor: a file, a pipe (tcpdump -r -, tshark -i -), a socket.
#pragma once

#include <cstdint>

#include "../core/io_return.h"
#include "../core/pool.h"

namespace pbp::raw {

class PcapWriter {
 public:
  static constexpr uint32_t kLinkTypeEthernet = 1;
  // Writes the 24-byte file header to fd (not owned: the caller closes it).
  static Status begin(int fd, uint32_t snapLength, uint32_t linkType, PcapWriter& out);
  // A writer for a file whose header was written already (counters start at 0).
  static Status resume(int fd, uint32_t snapLength, PcapWriter& out);
  // Writes packets[0..n) (their first buffer's [dataOffset, dataOffset + dataLength), clipped
  // to the buffer and to snapLength). The timestamp is the packet's (meta::kFlagTimestamp) or the
  // current time. BadArgument for an index out of range; IOError when the write fails.
  Status write(const Pool& pool, const uint32_t* packets, uint32_t n);
  uint64_t bytesWritten() const { return bytes_; }
  uint64_t packetsWritten() const { return packets_; }

 private:
  int fd_ = -1;
  uint32_t snapLength_ = 65535;
  uint64_t bytes_ = 0;
  uint64_t packets_ = 0;
};

}  // namespace pbp::raw

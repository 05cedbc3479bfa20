#include "pcap_writer.h"

#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace pbp::raw {
namespace {

constexpr uint32_t kBatch = 512;  // two iovecs per packet: within IOV_MAX (1024)

struct FileHeader {
  uint32_t magic = 0xa1b2c3d4;  // microsecond timestamps, written in host byte order
  uint16_t versionMajor = 2;
  uint16_t versionMinor = 4;
  int32_t thisZone = 0;
  uint32_t sigFigs = 0;
  uint32_t snapLength;
  uint32_t linkType;
};
struct RecordHeader {
  uint32_t seconds, microseconds, capturedLength, originalLength;
};
static_assert(sizeof(FileHeader) == 24 && sizeof(RecordHeader) == 16, "pcap header sizes");

// Writes every byte of iov[0..count), continuing after short writes.
Status writeAll(int fd, iovec* iov, int count, uint64_t& written) {
  while (count > 0) {
    ssize_t r = writev(fd, iov, count);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Status::fail(IOReturn::IOError, std::string("pcap write failed: ") + strerror(errno));
    }
    written += uint64_t(r);
    size_t left = size_t(r);
    while (count > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      iov++;
      count--;
    }
    if (count > 0) {
      iov->iov_base = static_cast<uint8_t*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return Status::ok();
}

}  // namespace

Status PcapWriter::begin(int fd, uint32_t snapLength, uint32_t linkType, PcapWriter& out) {
  if (snapLength == 0 || snapLength > 262144)
    return Status::fail(IOReturn::BadArgument, "snapLength must be 1..262144, got " + std::to_string(snapLength));
  FileHeader h;
  h.snapLength = snapLength;
  h.linkType = linkType;
  iovec iov{&h, sizeof h};
  PcapWriter w;
  w.fd_ = fd;
  w.snapLength_ = snapLength;
  Status s = writeAll(fd, &iov, 1, w.bytes_);
  if (!s.isOk()) return s;
  out = w;
  return Status::ok();
}

Status PcapWriter::resume(int fd, uint32_t snapLength, PcapWriter& out) {
  if (snapLength == 0 || snapLength > 262144)
    return Status::fail(IOReturn::BadArgument, "snapLength must be 1..262144, got " + std::to_string(snapLength));
  out = PcapWriter();
  out.fd_ = fd;
  out.snapLength_ = snapLength;
  return Status::ok();
}

Status PcapWriter::write(const Pool& pool, const uint32_t* packets, uint32_t n) {
  const Layout& l = pool.layout();
  for (uint32_t i = 0; i < n; i++)
    if (packets[i] >= l.packetCount)
      return Status::fail(IOReturn::BadArgument, "packet index " + std::to_string(packets[i]) +
                                                     " at position " + std::to_string(i) +
                                                     " is out of range (packetCount " +
                                                     std::to_string(l.packetCount) + ")");
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  RecordHeader headers[kBatch];
  iovec iov[kBatch * 2];
  for (uint32_t done = 0; done < n;) {
    uint32_t batch = std::min(kBatch, n - done);
    for (uint32_t i = 0; i < batch; i++) {
      uint32_t p = packets[done + i];
      const uint32_t* m = pool.metaOf(p);
      // JS writes these words: clip them to the buffer instead of trusting them.
      uint32_t offset = std::min(loadRelaxed(m + meta::kDataOffset), l.bufferSize);
      uint32_t length = std::min(loadRelaxed(m + meta::kDataLength), l.bufferSize - offset);
      uint64_t ns = uint64_t(now.tv_sec) * 1000000000ull + uint64_t(now.tv_nsec);
      if (loadRelaxed(m + meta::kFlags) & meta::kFlagTimestamp)
        ns = uint64_t(loadRelaxed(m + meta::kTimestampLo)) |
             (uint64_t(loadRelaxed(m + meta::kTimestampHi)) << 32);
      RecordHeader& h = headers[i];
      h.seconds = uint32_t(ns / 1000000000ull);
      h.microseconds = uint32_t(ns % 1000000000ull / 1000);
      h.originalLength = length;
      h.capturedLength = std::min(length, snapLength_);
      iov[2 * i] = {&h, sizeof h};
      iov[2 * i + 1] = {const_cast<uint8_t*>(pool.bufferAt(p)) + offset, h.capturedLength};
    }
    Status s = writeAll(fd_, iov, int(batch * 2), bytes_);
    if (!s.isOk()) return s;
    packets_ += batch;
    done += batch;
  }
  return Status::ok();
}

}  // namespace pbp::raw

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

constexpr uint32_t kBatch = 512;    // classic: two iovecs per packet, within IOV_MAX (1024)
constexpr uint32_t kNgBatch = 340;  // pcapng: three iovecs per packet, within IOV_MAX (1024)

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

// pcapng (draft-ietf-opsawg-pcapng), every field in host byte order (the SHB's byte-order magic
// tells readers which).
struct SectionHeaderBlock {
  uint32_t type = 0x0A0D0D0A;
  uint32_t totalLength = 28;
  uint32_t byteOrderMagic = 0x1A2B3C4D;
  uint16_t versionMajor = 1;
  uint16_t versionMinor = 0;
  uint32_t sectionLengthLo = 0xFFFFFFFF;  // -1 (int64): not given
  uint32_t sectionLengthHi = 0xFFFFFFFF;
  uint32_t totalLength2 = 28;
};
struct InterfaceDescriptionBlock {
  uint32_t type = 0x00000001;
  uint32_t totalLength = 32;
  uint16_t linkType;
  uint16_t reserved = 0;
  uint32_t snapLength;
  uint16_t tsresolCode = 9;  // if_tsresol: 1 byte, padded to 4
  uint16_t tsresolLength = 1;
  uint8_t tsresol[4] = {9, 0, 0, 0};  // 10^-9 s: nanoseconds
  uint16_t endCode = 0;               // opt_endofopt
  uint16_t endLength = 0;
  uint32_t totalLength2 = 32;
};
struct EnhancedPacketHeader {
  uint32_t type = 0x00000006;
  uint32_t totalLength;
  uint32_t interfaceId = 0;
  uint32_t timestampHi, timestampLo;
  uint32_t capturedLength, originalLength;
};
// The 0-3 zero bytes padding the data to 32 bits, then the block's trailing total length:
// an iovec covers bytes [4 - padding, 8).
struct EnhancedPacketTrailer {
  uint8_t zeros[4] = {0, 0, 0, 0};
  uint32_t totalLength;
};
static_assert(sizeof(SectionHeaderBlock) == 28 && sizeof(InterfaceDescriptionBlock) == 32 &&
                  sizeof(EnhancedPacketHeader) == 28 && sizeof(EnhancedPacketTrailer) == 8,
              "pcapng block sizes");

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

Status checkSettings(uint32_t snapLength, PcapWriter::Format format) {
  if (snapLength == 0 || snapLength > 262144)
    return Status::fail(IOReturn::BadArgument, "snapLength must be 1..262144, got " + std::to_string(snapLength));
  if (format != PcapWriter::Format::Pcap && format != PcapWriter::Format::Pcapng)
    return Status::fail(IOReturn::BadArgument,
                        "format must be 0 (pcap) or 1 (pcapng), got " + std::to_string(uint32_t(format)));
  return Status::ok();
}

// What a record says about packet p: its data window (clipped to the buffer: JS writes these
// words, so they are not trusted) and its timestamp in nanoseconds.
struct Window {
  const uint8_t* data;
  uint32_t length;
  uint64_t ns;
};
Window windowOf(const Pool& pool, uint32_t p, uint64_t nowNs) {
  const Layout& l = pool.layout();
  const uint32_t* m = pool.metaOf(p);
  uint32_t offset = std::min(loadRelaxed(m + meta::kDataOffset), l.bufferSize);
  uint32_t length = std::min(loadRelaxed(m + meta::kDataLength), l.bufferSize - offset);
  uint64_t ns = nowNs;
  if (loadRelaxed(m + meta::kFlags) & meta::kFlagTimestamp)
    ns = uint64_t(loadRelaxed(m + meta::kTimestampLo)) | (uint64_t(loadRelaxed(m + meta::kTimestampHi)) << 32);
  return {pool.bufferAt(p) + offset, length, ns};
}

}  // namespace

Status PcapWriter::begin(int fd, uint32_t snapLength, uint32_t linkType, Format format, PcapWriter& out) {
  Status s = checkSettings(snapLength, format);
  if (!s.isOk()) return s;
  PcapWriter w;
  w.fd_ = fd;
  w.snapLength_ = snapLength;
  w.format_ = format;
  if (format == Format::Pcap) {
    FileHeader h;
    h.snapLength = snapLength;
    h.linkType = linkType;
    iovec iov{&h, sizeof h};
    s = writeAll(fd, &iov, 1, w.bytes_);
  } else {
    if (linkType > 0xFFFF)
      return Status::fail(IOReturn::BadArgument,
                          "linkType must be 0..65535 in pcapng, got " + std::to_string(linkType));
    SectionHeaderBlock shb;
    InterfaceDescriptionBlock idb;
    idb.linkType = uint16_t(linkType);
    idb.snapLength = snapLength;
    iovec iov[2] = {{&shb, sizeof shb}, {&idb, sizeof idb}};
    s = writeAll(fd, iov, 2, w.bytes_);
  }
  if (!s.isOk()) return s;
  out = w;
  return Status::ok();
}

Status PcapWriter::resume(int fd, uint32_t snapLength, Format format, PcapWriter& out) {
  Status s = checkSettings(snapLength, format);
  if (!s.isOk()) return s;
  out = PcapWriter();
  out.fd_ = fd;
  out.snapLength_ = snapLength;
  out.format_ = format;
  return Status::ok();
}

Status PcapWriter::write(const Pool& pool, const uint32_t* packets, uint32_t n) {
  const Layout& l = pool.layout();
  for (uint32_t i = 0; i < n; i++)
    if (packets[i] >= l.packetCount)
      return Status::fail(IOReturn::BadArgument, "packet index " + std::to_string(packets[i]) + " at position " +
                                                     std::to_string(i) + " is out of range (packetCount " +
                                                     std::to_string(l.packetCount) + ")");
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  uint64_t nowNs = uint64_t(now.tv_sec) * 1000000000ull + uint64_t(now.tv_nsec);
  return format_ == Format::Pcapng ? writeNg(pool, packets, n, nowNs) : writeClassic(pool, packets, n, nowNs);
}

Status PcapWriter::writeClassic(const Pool& pool, const uint32_t* packets, uint32_t n, uint64_t nowNs) {
  RecordHeader headers[kBatch];
  iovec iov[kBatch * 2];
  for (uint32_t done = 0; done < n;) {
    uint32_t batch = std::min(kBatch, n - done);
    for (uint32_t i = 0; i < batch; i++) {
      Window w = windowOf(pool, packets[done + i], nowNs);
      RecordHeader& h = headers[i];
      h.seconds = uint32_t(w.ns / 1000000000ull);
      h.microseconds = uint32_t(w.ns % 1000000000ull / 1000);
      h.originalLength = w.length;
      h.capturedLength = std::min(w.length, snapLength_);
      iov[2 * i] = {&h, sizeof h};
      iov[2 * i + 1] = {const_cast<uint8_t*>(w.data), h.capturedLength};
    }
    Status s = writeAll(fd_, iov, int(batch * 2), bytes_);
    if (!s.isOk()) return s;
    packets_ += batch;
    done += batch;
  }
  return Status::ok();
}

Status PcapWriter::writeNg(const Pool& pool, const uint32_t* packets, uint32_t n, uint64_t nowNs) {
  EnhancedPacketHeader headers[kNgBatch];
  EnhancedPacketTrailer trailers[kNgBatch];
  iovec iov[kNgBatch * 3];
  for (uint32_t done = 0; done < n;) {
    uint32_t batch = std::min(kNgBatch, n - done);
    for (uint32_t i = 0; i < batch; i++) {
      Window w = windowOf(pool, packets[done + i], nowNs);
      EnhancedPacketHeader& h = headers[i];
      EnhancedPacketTrailer& t = trailers[i];
      uint32_t captured = std::min(w.length, snapLength_);
      uint32_t padding = (4 - captured % 4) % 4;
      uint32_t total = uint32_t(sizeof h) + captured + padding + 4;
      h.totalLength = total;
      h.timestampHi = uint32_t(w.ns >> 32);
      h.timestampLo = uint32_t(w.ns);
      h.capturedLength = captured;
      h.originalLength = w.length;
      t.totalLength = total;
      iov[3 * i] = {&h, sizeof h};
      iov[3 * i + 1] = {const_cast<uint8_t*>(w.data), captured};
      iov[3 * i + 2] = {t.zeros + (4 - padding), padding + 4};
    }
    Status s = writeAll(fd_, iov, int(batch * 3), bytes_);
    if (!s.isOk()) return s;
    packets_ += batch;
    done += batch;
  }
  return Status::ok();
}

}  // namespace pbp::raw

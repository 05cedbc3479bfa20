#ifdef __linux__  // Linux-only: elsewhere RawPort::open answers kIOReturnUnsupported
// The AF_XDP backend: the pool's packet buffers are the UMEM.
//
// UMEM: the first `packetCount` buffers of the region (packet i's own buffer is buffer i), from
// the buffers area's start, which the layout places on a page boundary; buffers are
// `bufferStride` apart (bufferSize rounded up to 64). Chunk mode:
//   - aligned when the stride is 2048 or 4096: the kernel's aligned mode needs a power-of-two
//     chunk between 2048 and the page size, and then a chunk is exactly one pool buffer;
//   - unaligned otherwise (stride 2112, 3008, 8192, ...): the kernel takes any buffer start, with
//     a chunk of min(stride, 4096) bytes;
//   - refused below 2048 (the kernel's minimum chunk): use the AF_PACKET backend or a larger
//     bufferSize.
// Received frames start XDP_PACKET_HEADROOM (256) bytes into a buffer, which is at least the
// pool's headroom (at most 255), so headroom is honoured on receive; on transmit the kernel reads
// [dataOffset, dataOffset + dataLength) wherever the packet puts it.
#include <linux/if_xdp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "net_interface.h"
#include "raw_port.h"
#include "xdp_library.h"
#include "xdp_program.h"

namespace pbp::raw {

#if PBP_HAVE_XDP_HEADERS
namespace {

constexpr uint32_t kXdpHeadroom = 256;  // XDP_PACKET_HEADROOM
constexpr uint32_t kEthernetHeader = 14;
constexpr uint32_t kMinChunk = 2048;  // XDP_UMEM_MIN_CHUNK_SIZE
constexpr uint32_t kMaxKicks = 16;    // sendto() calls per postTx while the kernel drains the ring

class XskPort final : public RawPort {
 public:
  explicit XskPort(std::shared_ptr<Pool> pool) : RawPort(std::move(pool)) {}
  ~XskPort() override {
    std::vector<uint32_t> ignored;
    close(ignored);
  }

  Status open(const XdpLibrary& lib, const RawPortOptions& o, const NetInterface& nif);

  uint32_t rxSpace() override { return xsk_prod_nb_free(&fill_, ringSize_); }

  uint32_t postRx(const uint32_t* packets, uint32_t n) override {
    if (!xsk_) return 0;
    uint32_t idx;
    n = std::min(n, rxSpace());
    uint32_t ok = 0;
    while (ok < n && packets[ok] < packetCount_ && !isHeld(packets[ok])) {
      // The same index twice in one batch: the second is refused.
      hold(packets[ok]);
      ok++;
    }
    if (ok == 0 || xsk_ring_prod__reserve(&fill_, ok, &idx) != ok) {
      for (uint32_t i = 0; i < ok; i++) release(packets[i]);
      return 0;
    }
    for (uint32_t i = 0; i < ok; i++) *xsk_ring_prod__fill_addr(&fill_, idx + i) = addressOf(packets[i]);
    xsk_ring_prod__submit(&fill_, ok);
    if (xsk_ring_prod__needs_wakeup(&fill_)) recvfrom(fd_, nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
    return ok;
  }

  uint32_t pollRx(uint32_t* packets, uint32_t max) override {
    if (!xsk_) return 0;
    uint32_t idx;
    uint32_t n = xsk_ring_cons__peek(&rx_, max, &idx);
    uint32_t out = 0;
    for (uint32_t i = 0; i < n; i++) {
      const xdp_desc* d = xsk_ring_cons__rx_desc(&rx_, idx + i);
      uint64_t addr = unaligned_ ? xsk_umem__add_offset_to_addr(d->addr) : d->addr;
      uint32_t packet = packetOf(addr);
      if (!release(packet)) continue;  // not ours: counted in droppedDescriptors
      uint32_t offset = uint32_t(addr - addressOf(packet));
      setRxWindow(packet, offset, d->len);
      packets[out++] = packet;
    }
    if (n) xsk_ring_cons__release(&rx_, n);
    return out;
  }

  uint32_t txSpace() override { return xsk_prod_nb_free(&tx_, ringSize_); }

  uint32_t postTx(const uint32_t* packets, uint32_t n) override {
    if (!xsk_) return 0;
    uint32_t idx;
    n = std::min(n, txSpace());
    if (n == 0) return 0;
    if (xsk_ring_prod__reserve(&tx_, n, &idx) != n) return 0;
    uint32_t taken = 0, queued = 0;
    for (; taken < n; taken++) {
      uint32_t p = packets[taken];
      if (!hold(p)) break;
      uint32_t offset, length;
      if (!validTxWindow(p, offset, length)) {
        setCompletion(p, IOReturn::BadArgument);
        rejectedTx_.push_back(p);
        continue;
      }
      xdp_desc* d = xsk_ring_prod__tx_desc(&tx_, idx + queued++);
      d->addr = addressOf(p) + offset;
      d->len = length;
      d->options = 0;
    }
    // Reserved slots we did not fill go back: the producer index only moves by `queued`.
    tx_.cached_prod -= n - queued;
    if (queued) {
      xsk_ring_prod__submit(&tx_, queued);
      txOutstanding_ += queued;
      kick();
    }
    return taken;
  }

  uint32_t pollTxCompletions(uint32_t* packets, uint32_t max) override {
    uint32_t out = 0;
    while (out < max && !rejectedTx_.empty()) {
      uint32_t p = rejectedTx_.back();
      rejectedTx_.pop_back();
      release(p);
      packets[out++] = p;
    }
    if (!xsk_ || out == max) return out;
    uint32_t idx;
    uint32_t n = xsk_ring_cons__peek(&comp_, max - out, &idx);
    for (uint32_t i = 0; i < n; i++) {
      uint64_t addr = *xsk_ring_cons__comp_addr(&comp_, idx + i);
      if (unaligned_) addr = xsk_umem__add_offset_to_addr(addr);
      uint32_t packet = packetOf(addr);
      if (!release(packet)) continue;
      setCompletion(packet, IOReturn::Success);
      packets[out++] = packet;
    }
    if (n) {
      xsk_ring_cons__release(&comp_, n);
      txOutstanding_ -= std::min(txOutstanding_, n);
    }
    if (txInFlight() > 0) kick();  // copy mode sends a bounded budget per kick
    return out;
  }

  uint32_t txInFlight() override { return xsk_ ? *tx_.producer - __atomic_load_n(tx_.consumer, __ATOMIC_ACQUIRE) : 0; }

  void close(std::vector<uint32_t>& out) override {
    // The map entry goes with the socket; the program with the last port on the interface.
    if (xsk_) lib_->socketDelete(xsk_);
    if (umem_) lib_->umemDelete(umem_);
    xsk_ = nullptr;
    umem_ = nullptr;
    fd_ = -1;
    redirect_.reset();
    // With the socket closed the kernel holds no frame of the UMEM any more (copy mode copied;
    // zero-copy drivers stop their queue's use of the pool when it is unbound), so everything the
    // port held comes back.
    takeAllHeld(out);
  }

  int fd() const override { return fd_; }

  uint64_t kernelDrops() override {
    xdp_statistics st{};
    socklen_t len = sizeof st;
    if (fd_ < 0 || getsockopt(fd_, SOL_XDP, XDP_STATISTICS, &st, &len) != 0) return 0;
    return st.rx_dropped + st.rx_ring_full + st.rx_fill_ring_empty_descs;
  }

 private:
  uint64_t addressOf(uint32_t packet) const { return uint64_t(packet) * stride_; }
  // The packet whose buffer holds UMEM address `addr`: a shift for the usual power-of-two strides
  // (2048, 4096) rather than a 64-bit division (tens of cycles) per frame; a division otherwise.
  // An address past the UMEM gives packetCount_, an index release() refuses.
  uint32_t packetOf(uint64_t addr) const {
    uint64_t p = strideShift_ ? addr >> strideShift_ : addr / stride_;
    return p < packetCount_ ? uint32_t(p) : packetCount_;
  }

  // In copy mode the kernel only transmits from inside sendto(), a bounded budget per call, so
  // keep kicking until the ring is drained or it stops making progress (EAGAIN: completion ring
  // full until the caller polls it; ENOBUFS/EBUSY: the device queue is busy).
  void kick() {
    if (!xsk_ring_prod__needs_wakeup(&tx_)) return;
    for (uint32_t i = 0; i < kMaxKicks && txInFlight() > 0; i++) {
      if (sendto(fd_, nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0 && errno != EINTR) break;
    }
  }

  const XdpLibrary* lib_ = nullptr;
  xsk_umem* umem_ = nullptr;
  xsk_socket* xsk_ = nullptr;
  xsk_ring_prod fill_{}, tx_{};
  xsk_ring_cons comp_{}, rx_{};
  std::shared_ptr<XdpRedirect> redirect_;
  int fd_ = -1;
  uint32_t ringSize_ = 0;
  uint32_t stride_ = 0;
  uint32_t strideShift_ = 0;  // log2(stride_) when it is a power of two, else 0
  bool unaligned_ = false;
  uint32_t txOutstanding_ = 0;
};

Status XskPort::open(const XdpLibrary& lib, const RawPortOptions& o, const NetInterface& nif) {
  lib_ = &lib;
  const Layout& l = pool_->layout();
  stride_ = l.bufferStride;
  if (stride_ < kMinChunk)
    return Status::fail(IOReturn::Unsupported,
                        "AF_XDP needs frames of at least 2048 bytes; this pool's bufferSize is " +
                            std::to_string(l.bufferSize) + " (use bufferSize 2048 or the AF_PACKET backend)");
  // After the check above: stride_ is not 0 here (__builtin_ctz(0) is undefined).
  if ((stride_ & (stride_ - 1)) == 0) strideShift_ = uint32_t(__builtin_ctz(stride_));
  uint32_t page = uint32_t(sysconf(_SC_PAGESIZE));
  unaligned_ = !(stride_ <= page && (stride_ & (stride_ - 1)) == 0);
  uint32_t chunk = std::min(stride_, page);
  uint32_t maxRx = std::min(chunk, l.bufferSize) - kXdpHeadroom;
  info_.backend = "af_xdp";
  info_.chunkMode = unaligned_ ? "unaligned" : "aligned";
  info_.chunkSize = chunk;
  info_.rxDataOffset = kXdpHeadroom;
  info_.maxFrameBytes = std::min(maxRx, unaligned_ ? chunk : l.bufferSize);
  info_.mtu = nif.mtu;
  info_.ifindex = nif.index;
  if (nif.mtu + kEthernetHeader > maxRx)
    return Status::fail(IOReturn::MessageTooLarge,
                        "the MTU of " + nif.name + " is " + std::to_string(nif.mtu) + " (frames of " +
                            std::to_string(nif.mtu + kEthernetHeader) + " bytes) but AF_XDP frames of this pool hold " +
                            std::to_string(maxRx) + " bytes (chunk " + std::to_string(chunk) + " minus " +
                            std::to_string(kXdpHeadroom) +
                            " bytes of XDP headroom): use a larger bufferSize or lower the MTU");
  ringSize_ = o.ringSize;

  xsk_umem_config ucfg{};
  ucfg.fill_size = ringSize_;
  ucfg.comp_size = ringSize_;
  ucfg.frame_size = chunk;
  ucfg.frame_headroom = 0;
  ucfg.flags = unaligned_ ? XDP_UMEM_UNALIGNED_CHUNK_FLAG : 0;
  uint8_t* area = pool_->bufferAt(0);
  uint64_t size = uint64_t(packetCount_) * stride_;
  int rc = lib.umemCreate(&umem_, area, size, &fill_, &comp_, &ucfg);
  if (rc != 0) {
    umem_ = nullptr;
    if (-rc == ENOMEM || -rc == ENOBUFS)
      return Status::fail(IOReturn::NoMemory,
                          "registering the pool's " + std::to_string(size) +
                              " bytes of buffers as the AF_XDP UMEM failed: " + strerror(-rc) +
                              " (the pages are pinned: raise RLIMIT_MEMLOCK or grant CAP_IPC_LOCK)");
    return errnoStatus(-rc, "registering the pool's buffers as the AF_XDP UMEM");
  }

  xsk_socket_config scfg{};
  scfg.rx_size = ringSize_;
  scfg.tx_size = ringSize_;
  scfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;  // our own program, below
  scfg.xdp_flags = 0;
  // Neither XDP_COPY nor XDP_ZEROCOPY: the kernel tries zero-copy and falls back to copy mode.
  scfg.bind_flags = XDP_USE_NEED_WAKEUP | (o.zeroCopy == ZeroCopy::Off        ? XDP_COPY
                                           : o.zeroCopy == ZeroCopy::Required ? XDP_ZEROCOPY
                                                                              : 0);
  rc = lib.socketCreate(&xsk_, nif.name.c_str(), o.queueId, umem_, &rx_, &tx_, &scfg);
  if (rc != 0) {
    xsk_ = nullptr;
    int err = -rc;
    if (err == EBUSY)
      return Status::fail(IOReturn::ExclusiveAccess, "queue " + std::to_string(o.queueId) + " of " + nif.name +
                                                         " is already bound to another AF_XDP socket");
    if (o.zeroCopy == ZeroCopy::Required && (err == EOPNOTSUPP || err == EPROTONOSUPPORT || err == EINVAL))
      return Status::fail(IOReturn::Unsupported,
                          "the driver of " + nif.name + " does not support AF_XDP zero-copy (" + strerror(err) + ")");
    return errnoStatus(err, "binding an AF_XDP socket to " + nif.name + " queue " + std::to_string(o.queueId));
  }
  fd_ = lib.socketFd(xsk_);
  xdp_options opts{};
  socklen_t optlen = sizeof opts;
  if (getsockopt(fd_, SOL_XDP, XDP_OPTIONS, &opts, &optlen) == 0)
    info_.zeroCopy = (opts.flags & XDP_OPTIONS_ZEROCOPY) != 0;

  Status s = XdpRedirect::attach(lib, nif.index, nif.name, std::max(nif.rxQueues, o.queueId + 1), o.queueId, fd_,
                                 o.xdpMode, redirect_);
  if (!s.isOk()) return s;
  info_.xdpMode = redirect_->mode();
  return Status::ok();
}

}  // namespace

Status openXskPort(const std::shared_ptr<Pool>& pool, const RawPortOptions& o, const NetInterface& nif,
                   std::unique_ptr<RawPort>& out) {
  const XdpLibrary* lib = nullptr;
  Status s = loadXdpLibrary(lib);
  if (!s.isOk()) return s;
  auto port = std::make_unique<XskPort>(pool);
  s = port->open(*lib, o, nif);
  if (!s.isOk()) return s;  // the destructor undoes what open() did
  out = std::move(port);
  return Status::ok();
}
#else
Status openXskPort(const std::shared_ptr<Pool>&, const RawPortOptions&, const NetInterface&,
                   std::unique_ptr<RawPort>&) {
  const XdpLibrary* lib = nullptr;
  return loadXdpLibrary(lib);
}
#endif

}  // namespace pbp::raw
#endif  // __linux__

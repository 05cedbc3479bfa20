#ifdef __linux__  // Linux-only: elsewhere RawPort::open answers kIOReturnUnsupported
// The AF_PACKET backend, for where AF_XDP is not available (no CAP_BPF, no libxdp, an old
// kernel, frames below 2048 bytes): a TPACKET_V3 receive ring (the kernel fills whole blocks and
// wakes the reader once per block, not once per frame) and sendmmsg() for transmit (one system
// call per batch, each frame's iovec pointing straight into its pool buffer, so nothing is copied
// in user space on send). Receiving copies each frame once, from the ring into a pool buffer:
// the ring is kernel memory the pool cannot lend out.
//
// AF_PACKET has no per-queue binding: the port receives every queue's frames of the interface.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "net_interface.h"
#include "raw_port.h"

namespace pbp::raw {
namespace {

// Many small blocks rather than a few large ones: the kernel retires a block after kBlockTimeoutMs
// even if it holds one frame, and a frame that finds every block still owned by user space is
// dropped, so the block count is what bridges a receiver that is descheduled for a while (64
// blocks: 64 ms of stall at a trickle, 4 MiB of ring at full blocks).
constexpr uint32_t kBlockBytes = 1u << 16;  // 64 KiB per block
constexpr uint32_t kBlocks = 64;
constexpr uint32_t kFrameBytes = 2048;   // tp_frame_size: V3 packs frames, this only sizes tp_frame_nr
constexpr uint32_t kBlockTimeoutMs = 1;  // a partly filled block is handed over after 1 ms

class PacketPort final : public RawPort {
 public:
  explicit PacketPort(std::shared_ptr<Pool> pool) : RawPort(std::move(pool)) {}
  ~PacketPort() override {
    std::vector<uint32_t> ignored;
    close(ignored);
  }

  Status open(const RawPortOptions& o, const NetInterface& nif);

  uint32_t rxSpace() override { return ringSize_ - uint32_t(rxPosted_.size()); }

  uint32_t postRx(const uint32_t* packets, uint32_t n) override {
    n = std::min(n, rxSpace());
    uint32_t i = 0;
    for (; i < n && hold(packets[i]); i++) rxPosted_.push_back(packets[i]);
    return i;
  }

  uint32_t pollRx(uint32_t* packets, uint32_t max) override {
    if (fd_ < 0) return 0;
    uint32_t out = 0;
    while (out < max && !rxPosted_.empty()) {
      auto* block = reinterpret_cast<tpacket_block_desc*>(ring_ + size_t(block_) * kBlockBytes);
      // Acquire: the frames of the block are written before the kernel hands it to user space.
      if ((__atomic_load_n(&block->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0) break;
      uint32_t count = block->hdr.bh1.num_pkts;
      if (frameInBlock_ == 0) frame_ = reinterpret_cast<uint8_t*>(block) + block->hdr.bh1.offset_to_first_pkt;
      while (frameInBlock_ < count && out < max && !rxPosted_.empty()) {
        auto* h = reinterpret_cast<tpacket3_hdr*>(frame_);
        uint32_t packet = rxPosted_.back();
        rxPosted_.pop_back();
        release(packet);
        uint32_t offset = rxOffset_;
        uint32_t length = std::min<uint32_t>(h->tp_snaplen, pool_->layout().bufferSize - offset);
        memcpy(pool_->bufferAt(packet) + offset, frame_ + h->tp_mac, length);
        setRxWindow(packet, offset, length);
        packets[out++] = packet;
        frame_ += h->tp_next_offset;
        frameInBlock_++;
      }
      if (frameInBlock_ < count) break;
      // Release: our reads of the block happen before the kernel may refill it.
      __atomic_store_n(&block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
      block_ = (block_ + 1) % kBlocks;
      frameInBlock_ = 0;
    }
    return out;
  }

  uint32_t txSpace() override { return ringSize_ - uint32_t(completed_.size()); }

  uint32_t postTx(const uint32_t* packets, uint32_t n) override {
    if (fd_ < 0) return 0;
    n = std::min(n, txSpace());
    uint32_t taken = 0;
    while (taken < n) {
      uint32_t batch = 0;
      for (; taken < n && batch < msgs_.size(); taken++) {
        uint32_t p = packets[taken];
        if (!hold(p)) {
          n = taken;  // stop here: the caller keeps this one and the rest
          break;
        }
        uint32_t offset, length;
        if (!validTxWindow(p, offset, length)) {
          setCompletion(p, IOReturn::BadArgument);
          rejectedTx_.push_back(p);
          continue;
        }
        iovs_[batch] = {pool_->bufferAt(p) + offset, length};
        batchPackets_[batch] = p;
        batchPositions_[batch] = taken;
        batch++;
      }
      uint32_t sent = 0;
      while (sent < batch) {
        int r = sendmmsg(fd_, msgs_.data() + sent, batch - sent, MSG_DONTWAIT);
        if (r <= 0) {
          if (r < 0 && errno == EINTR) continue;
          break;  // EAGAIN/ENOBUFS: the device queue is full; the rest stays with the caller
        }
        sent += uint32_t(r);
      }
      for (uint32_t i = 0; i < sent; i++) {
        setCompletion(batchPackets_[i], IOReturn::Success);
        completed_.push_back(batchPackets_[i]);  // sendmmsg copied the frame into an skb: done
      }
      if (sent < batch) {
        // The caller keeps everything from the first unsent packet on; packets after it that
        // were rejected go back too (they are not sent, so nothing is lost by retrying them).
        uint32_t keepFrom = batchPositions_[sent];
        for (uint32_t i = keepFrom; i < taken; i++) {
          uint32_t p = packets[i];
          auto r = std::find(rejectedTx_.begin(), rejectedTx_.end(), p);
          if (r != rejectedTx_.end()) rejectedTx_.erase(r);
          release(p);
        }
        return keepFrom;
      }
    }
    return taken;
  }

  uint32_t pollTxCompletions(uint32_t* packets, uint32_t max) override {
    uint32_t out = 0;
    auto drain = [&](std::vector<uint32_t>& from) {
      while (out < max && !from.empty()) {
        uint32_t p = from.back();
        from.pop_back();
        release(p);
        packets[out++] = p;
      }
    };
    drain(rejectedTx_);
    drain(completed_);
    return out;
  }

  uint32_t txInFlight() override { return 0; }

  void close(std::vector<uint32_t>& out) override {
    if (ring_) munmap(ring_, size_t(kBlockBytes) * kBlocks);
    if (fd_ >= 0) ::close(fd_);
    ring_ = nullptr;
    fd_ = -1;
    rxPosted_.clear();
    completed_.clear();
    takeAllHeld(out);
  }

  int fd() const override { return fd_; }

  uint64_t kernelDrops() override {
    // PACKET_STATISTICS resets the kernel's counters on every read: keep the running total.
    tpacket_stats_v3 st{};
    socklen_t len = sizeof st;
    if (fd_ >= 0 && getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) drops_ += st.tp_drops;
    return drops_;
  }

 private:
  uint64_t drops_ = 0;
  int fd_ = -1;
  uint8_t* ring_ = nullptr;
  uint32_t ringSize_ = 0;
  uint32_t rxOffset_ = 0;
  uint32_t block_ = 0, frameInBlock_ = 0;
  uint8_t* frame_ = nullptr;
  std::vector<uint32_t> rxPosted_;   // empty packets waiting for frames (LIFO: warm buffers first)
  std::vector<uint32_t> completed_;  // sent, waiting for pollTxCompletions
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<uint32_t> batchPackets_;
  std::vector<uint32_t> batchPositions_;  // where each of batchPackets_ is in the caller's list
};

Status PacketPort::open(const RawPortOptions& o, const NetInterface& nif) {
  const Layout& l = pool_->layout();
  ringSize_ = o.ringSize;
  rxOffset_ = l.headroom;
  info_.backend = "af_packet";
  info_.rxDataOffset = rxOffset_;
  info_.maxFrameBytes = l.bufferSize - rxOffset_;
  info_.mtu = nif.mtu;
  info_.ifindex = nif.index;
  if (nif.mtu + 14 > info_.maxFrameBytes)
    return Status::fail(IOReturn::MessageTooLarge,
                        "the MTU of " + nif.name + " is " + std::to_string(nif.mtu) + " (frames of " +
                            std::to_string(nif.mtu + 14) + " bytes) but this pool's buffers hold " +
                            std::to_string(info_.maxFrameBytes) +
                            " bytes after the headroom: use a larger bufferSize or lower the MTU");
  fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
  if (fd_ < 0) return errnoStatus(errno, "socket(AF_PACKET)");
  int one = 1, v3 = TPACKET_V3;
  if (setsockopt(fd_, SOL_PACKET, PACKET_VERSION, &v3, sizeof v3) != 0)
    return errnoStatus(errno, "PACKET_VERSION TPACKET_V3");
  // Our own transmitted frames are not received back; frames leave without the qdisc layer
  // (as AF_XDP's do), which is what a packet generator wants.
  setsockopt(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  setsockopt(fd_, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  tpacket_req3 req{};
  req.tp_block_size = kBlockBytes;
  req.tp_block_nr = kBlocks;
  req.tp_frame_size = kFrameBytes;
  req.tp_frame_nr = kBlockBytes / kFrameBytes * kBlocks;
  req.tp_retire_blk_tov = kBlockTimeoutMs;
  if (setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) return errnoStatus(errno, "PACKET_RX_RING");
  void* m = mmap(nullptr, size_t(kBlockBytes) * kBlocks, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (m == MAP_FAILED) return errnoStatus(errno, "mmap of the TPACKET_V3 ring");
  ring_ = static_cast<uint8_t*>(m);
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = int(nif.index);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return errnoStatus(errno, "binding an AF_PACKET socket to " + nif.name);
  uint32_t batch = 64;
  msgs_.assign(batch, mmsghdr{});
  iovs_.assign(batch, iovec{});
  batchPackets_.assign(batch, 0);
  batchPositions_.assign(batch, 0);
  for (uint32_t i = 0; i < batch; i++) {
    msgs_[i].msg_hdr.msg_iov = &iovs_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
  }
  rxPosted_.reserve(ringSize_);
  completed_.reserve(ringSize_);
  return Status::ok();
}

}  // namespace

Status openPacketPort(const std::shared_ptr<Pool>& pool, const RawPortOptions& o, const NetInterface& nif,
                      std::unique_ptr<RawPort>& out) {
  auto port = std::make_unique<PacketPort>(pool);
  Status s = port->open(o, nif);
  if (!s.isOk()) return s;
  out = std::move(port);
  return Status::ok();
}

}  // namespace pbp::raw
#endif  // __linux__

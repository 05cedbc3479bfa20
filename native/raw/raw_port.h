// A raw Ethernet port over a pool: packets move between the pool and one queue of a network
// interface by index, in batches, with no copy on the AF_XDP path (the pool's buffers are the
// UMEM) and one copy on the AF_PACKET path's receive side (its ring is kernel memory).
//
//   postRx(indices)            empty packets the kernel may receive into (AF_XDP: fill ring)
//   pollRx(out) -> count       packets that received a frame; data offset/length set (rx ring)
//   postTx(indices) -> count   packets to send from [dataOffset, dataOffset + dataLength)
//   pollTxCompletions(out)     packets the kernel is done with (completion ring)
//
// The port tracks which packets it (or the kernel) holds, so a packet is never posted twice, an
// index the kernel hands back that it does not hold is dropped, and takeAll() can return every
// one of them when the port closes. It does not check who owns a packet in the pool: the caller
// (the driver glue) holds them under its own thread tag while they are inside the port.
// Not thread-safe: one thread drives a port.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../core/io_return.h"
#include "../core/pool.h"

namespace pbp::raw {

enum class Backend : uint32_t { Auto = 0, Xdp = 1, Packet = 2 };
enum class XdpAttachMode : uint32_t { Auto = 0, Native = 1, Generic = 2 };
enum class ZeroCopy : uint32_t { Auto = 0, Off = 1, Required = 2 };

struct RawPortOptions {
  std::string ifname;
  uint32_t queueId = 0;
  Backend backend = Backend::Auto;
  XdpAttachMode xdpMode = XdpAttachMode::Auto;
  ZeroCopy zeroCopy = ZeroCopy::Auto;
  uint32_t ringSize = 2048;  // entries per ring (power of two, 64..16384)
};

// What was opened, for the user to see (interface.getInfo()).
struct RawPortInfo {
  std::string backend;         // "af_xdp" or "af_packet"
  std::string xdpMode;         // "native" or "generic" (AF_XDP only)
  bool zeroCopy = false;       // AF_XDP bound in zero-copy mode
  std::string chunkMode;       // "aligned" or "unaligned" (AF_XDP only)
  uint32_t chunkSize = 0;      // UMEM chunk size (AF_XDP only)
  uint32_t rxDataOffset = 0;   // where received frames start in a buffer
  uint32_t maxFrameBytes = 0;  // the largest frame the port receives or sends
  uint32_t mtu = 0;
  uint32_t ifindex = 0;
  std::string fallbackReason;  // why Auto chose AF_PACKET, if it did
};

class RawPort {
 public:
  // Checks privileges, the interface, the queue and the MTU, then opens the backend the options
  // ask for (Auto: AF_XDP, else AF_PACKET with the reason in info().fallbackReason).
  static Status open(const std::shared_ptr<Pool>& pool, const RawPortOptions& options, std::unique_ptr<RawPort>& out);
  virtual ~RawPort() = default;

  virtual uint32_t rxSpace() = 0;
  virtual uint32_t postRx(const uint32_t* packets, uint32_t n) = 0;
  virtual uint32_t pollRx(uint32_t* packets, uint32_t max) = 0;
  virtual uint32_t txSpace() = 0;
  // Takes packets in order and stops at the first one it cannot take (ring full, index out of
  // range or already in the port). A packet whose data window cannot be a frame (empty, or longer
  // than maxFrameBytes) is taken and completed at once with kCompletionStatus = BadArgument.
  virtual uint32_t postTx(const uint32_t* packets, uint32_t n) = 0;
  virtual uint32_t pollTxCompletions(uint32_t* packets, uint32_t max) = 0;
  // Frames the kernel has not consumed yet from the TX ring (kick again while > 0).
  virtual uint32_t txInFlight() = 0;
  // Closes the socket (the kernel lets go of every frame), then appends every packet the port
  // held to `out`. The port is unusable afterwards.
  virtual void close(std::vector<uint32_t>& out) = 0;
  virtual int fd() const = 0;
  // Frames the kernel dropped for this socket since it opened (no buffer posted, ring full).
  virtual uint64_t kernelDrops() = 0;

  const RawPortInfo& info() const { return info_; }
  uint32_t held() const { return heldCount_; }
  uint64_t droppedDescriptors() const { return droppedDescriptors_; }

 protected:
  explicit RawPort(std::shared_ptr<Pool> pool);
  // Marks a packet as inside the port; false if out of range or already inside.
  bool hold(uint32_t packet) {
    if (packet >= packetCount_ || held_[packet]) return false;
    held_[packet] = 1;
    heldCount_++;
    return true;
  }
  bool release(uint32_t packet) {
    if (packet >= packetCount_ || !held_[packet]) {
      droppedDescriptors_++;
      return false;
    }
    held_[packet] = 0;
    heldCount_--;
    return true;
  }
  bool isHeld(uint32_t packet) const { return packet < packetCount_ && held_[packet]; }
  // The three per-frame metadata steps, inline: they run once per frame on every path.
  bool validTxWindow(uint32_t packet, uint32_t& offset, uint32_t& length) const {
    // JS writes these words; read each once and check them here, not trust them.
    const uint32_t* m = pool_->metaOf(packet);
    offset = loadRelaxed(m + meta::kDataOffset);
    length = loadRelaxed(m + meta::kDataLength);
    uint64_t end = uint64_t(offset) + length;
    return length > 0 && length <= info_.maxFrameBytes && end <= bufferSize_;
  }
  void setRxWindow(uint32_t packet, uint32_t offset, uint32_t length) {
    uint32_t* m = pool_->metaOf(packet);
    storeRelaxed(m + meta::kDataOffset, offset);
    storeRelaxed(m + meta::kDataLength, length);
    storeRelaxed(m + meta::kLinkHeaderLength, 14u);  // Ethernet
  }
  void setCompletion(uint32_t packet, IOReturn status) {
    uint32_t* m = pool_->metaOf(packet);
    storeRelaxed(m + meta::kCompletionStatus, uint32_t(status));
    storeRelaxed(m + meta::kFlags, loadRelaxed(m + meta::kFlags) | meta::kFlagCompletionStatus);
  }
  void takeAllHeld(std::vector<uint32_t>& out);

  std::shared_ptr<Pool> pool_;
  uint32_t packetCount_;
  uint32_t bufferSize_;
  RawPortInfo info_;
  std::vector<uint32_t> rejectedTx_;  // completed at once, handed out by the next poll
 private:
  std::vector<uint8_t> held_;
  uint32_t heldCount_ = 0;
  uint64_t droppedDescriptors_ = 0;
};

// The two backends (xsk_port.cpp, packet_port.cpp).
struct NetInterface;
Status openXskPort(const std::shared_ptr<Pool>& pool, const RawPortOptions& options, const NetInterface& nif,
                   std::unique_ptr<RawPort>& out);
Status openPacketPort(const std::shared_ptr<Pool>& pool, const RawPortOptions& options, const NetInterface& nif,
                      std::unique_ptr<RawPort>& out);

}  // namespace pbp::raw

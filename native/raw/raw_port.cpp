#include "raw_port.h"

#include "capabilities.h"
#include "net_interface.h"

namespace pbp::raw {

RawPort::RawPort(std::shared_ptr<Pool> pool)
    : pool_(std::move(pool)),
      packetCount_(pool_->layout().packetCount),
      bufferSize_(pool_->layout().bufferSize),
      held_(packetCount_, 0) {}

void RawPort::takeAllHeld(std::vector<uint32_t>& out) {
  for (uint32_t p = 0; p < packetCount_ && heldCount_ > 0; p++)
    if (held_[p]) {
      held_[p] = 0;
      heldCount_--;
      out.push_back(p);
    }
  rejectedTx_.clear();
}

#ifndef __linux__
Status RawPort::open(const std::shared_ptr<Pool>&, const RawPortOptions&, std::unique_ptr<RawPort>&) {
  return Status::fail(IOReturn::Unsupported, "raw network interfaces (AF_XDP, AF_PACKET) are Linux-only");
}
#else
Status RawPort::open(const std::shared_ptr<Pool>& pool, const RawPortOptions& o, std::unique_ptr<RawPort>& out) {
  if (o.ringSize < 64 || o.ringSize > 16384 || (o.ringSize & (o.ringSize - 1)) != 0)
    return Status::fail(IOReturn::BadArgument,
                        "ringSize must be a power of two in 64..16384, got " + std::to_string(o.ringSize));
  Capabilities caps = Capabilities::ofThisProcess();
  std::string missingPacket = caps.missingForPacket();
  std::string missingXdp = caps.missingForXdp();
  if (o.backend == Backend::Packet && !missingPacket.empty())
    return Status::fail(IOReturn::NotPrivileged,
                        "an AF_PACKET interface needs CAP_NET_RAW; this process lacks " + missingPacket);
  if (o.backend == Backend::Xdp && !missingXdp.empty())
    return Status::fail(IOReturn::NotPrivileged,
                        "an AF_XDP interface needs CAP_NET_RAW, CAP_NET_ADMIN and CAP_BPF; this "
                        "process lacks " +
                            missingXdp);
  if (o.backend == Backend::Auto && !missingPacket.empty())
    return Status::fail(IOReturn::NotPrivileged,
                        "a raw interface needs CAP_NET_RAW (AF_PACKET), or CAP_NET_RAW, "
                        "CAP_NET_ADMIN and CAP_BPF (AF_XDP); this process lacks " +
                            missingXdp);
  if (o.queueId > 65535)
    return Status::fail(IOReturn::BadArgument, "queueId " + std::to_string(o.queueId) + " is out of range");
  NetInterface nif;
  Status s = NetInterface::lookup(o.ifname, nif);
  if (!s.isOk()) return s;
  if (o.queueId >= nif.rxQueues)
    return Status::fail(IOReturn::BadArgument, "queueId " + std::to_string(o.queueId) + ": " + o.ifname + " has " +
                                                   std::to_string(nif.rxQueues) + " queue(s)");
  if (o.backend == Backend::Packet) return openPacketPort(pool, o, nif, out);
  if (o.backend == Backend::Xdp) return openXskPort(pool, o, nif, out);
  // Auto: AF_XDP when the process may use it; AF_PACKET when AF_XDP is not available here (no
  // BPF privileges, no libxdp, an old kernel, frames the UMEM cannot take). Errors that AF_PACKET
  // would hit too (busy queue aside) are reported as they are, not hidden by the fallback.
  std::string reason;
  if (!missingXdp.empty()) {
    reason = "AF_XDP needs " + missingXdp;
  } else {
    s = openXskPort(pool, o, nif, out);
    if (s.isOk()) return s;
    if (s.code == IOReturn::MessageTooLarge || s.code == IOReturn::NoDevice || s.code == IOReturn::BadArgument ||
        s.code == IOReturn::ExclusiveAccess)
      return s;
    reason = s.message;
  }
  s = openPacketPort(pool, o, nif, out);
  if (s.isOk()) out->info_.fallbackReason = reason;
  return s;
}
#endif  // __linux__

}  // namespace pbp::raw

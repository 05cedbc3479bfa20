// What DriverLoop (native/addon/driver_loop.h) needs from a driver to run it on an event loop,
// whatever its socket: io::PacketDriver (UDP: send and complete in one call, receive into the
// packets given) and raw::RawDriver (AF_XDP, AF_PACKET: asynchronous rings, post then poll).
#pragma once

#include <cstdint>

#include "../core/pool.h"

namespace pbp::io {

class QueueDriver {
 public:
  virtual ~QueueDriver() = default;
  // One pass each way, up to `max` packets; returns how many moved.
  virtual uint32_t transmit(uint32_t max) = 0;
  virtual uint32_t receive(uint32_t max) = 0;
  // The last transmit() stopped because the socket cannot take more (wait for writability).
  virtual bool txBlocked() const = 0;
  // The last receive() had no empty packets to receive into (wait for RX submission).
  virtual bool rxStarved() const = 0;
  // Filled packets wait for room in RX completion (stop reading the socket meanwhile).
  virtual bool hasRxBacklog() const = 0;
  // Work that no descriptor or queue will signal, so the loop retries it on a short timer:
  // completed packets waiting for room in a completion queue, and for asynchronous rings, sent
  // frames whose completions are still to be collected.
  virtual bool wantsTimer() const = 0;
  virtual bool isShutDown() const = 0;
  virtual Pool& pool() const = 0;
};

}  // namespace pbp::io

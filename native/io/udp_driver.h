// The UDP interface's driver: PacketDriver's queue work around a UdpSocket. Destinations and
// sources live in the pool's address table (Pool::addressOf).
#pragma once

#include <memory>

#include "packet_address.h"
#include "packet_driver.h"
#include "udp_socket.h"

namespace pbp::io {

class UdpDriver : public PacketDriver {
 public:
  UdpDriver(std::shared_ptr<Pool> pool, uint32_t slot, const DriverQueues& queues, std::unique_ptr<UdpSocket> socket)
      : PacketDriver(pool, slot, queues), socket_(std::move(socket)), addresses_(addressTable(*pool)) {}

  UdpSocket& socket() { return *socket_; }
  int fd() const { return socket_->fd(); }

 protected:
  uint32_t sendPackets(const uint32_t* idx, uint32_t n, int32_t* errnos) override {
    return socket_->send(pool(), addresses_, idx, n, errnos);
  }
  uint32_t receivePackets(const uint32_t* idx, uint32_t n) override {
    return socket_->receive(pool(), addresses_, idx, n);
  }
  void onShutdown() override { socket_->close(); }

 private:
  std::unique_ptr<UdpSocket> socket_;
  PacketAddressRecord* addresses_;
};

}  // namespace pbp::io

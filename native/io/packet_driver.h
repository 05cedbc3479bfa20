// The driver end of a set of DriverKit packet queues, shared by every interface that moves pool
// packets to and from the kernel (UDP today, AF_XDP next). A subclass supplies only the two batch
// operations on its socket; this class does the queue work around them and guarantees that every
// packet it takes comes back exactly once:
//
//   TX  TxSubmission --dequeue--> pending --sendPackets()--> TxCompletion (or the pool)
//   RX  RxSubmission --dequeue--> held    --receivePackets()--> RxCompletion
//
// Packets the driver holds carry the owner tag of the thread slot it runs on (the JS thread that
// created the interface). A packet the kernel refused completes with a completion status
// (meta::kCompletionStatus, IOReturn from the errno); a packet handed back by shutdown() completes
// with kIOReturnAborted (RX: length 0). When a completion queue is full, completed packets wait in
// a backlog inside the driver and go out on the next call; while the backlog is long the driver
// takes no new work from that direction (back-pressure instead of unbounded buffering).
//
// Not thread-safe: one thread calls transmit()/receive()/shutdown() (the owner's event loop or its
// busy loop). The other end of each queue may be any thread or process.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "../core/packet_queue.h"
#include "../core/pool.h"
#include "queue_driver.h"

namespace pbp::io {

struct DriverQueues {
  bool tx = false;
  PacketQueue txSubmission, txCompletion;
  bool txCompleteToPool = false;  // sent packets go straight back to the pool, not txCompletion
  bool rx = false;
  PacketQueue rxSubmission, rxCompletion;
};

// Packets per place, for statistics ("in flight per queue").
struct DriverInFlight {
  uint32_t txSubmission = 0;  // waiting in the TX submission queue
  uint32_t txPending = 0;     // taken by the driver, not sent yet (socket buffer full)
  uint32_t txBacklog = 0;     // sent, waiting for room in the TX completion queue
  uint32_t txCompletion = 0;  // in the TX completion queue
  uint32_t rxSubmission = 0;  // empty packets waiting in the RX submission queue
  uint32_t rxHeld = 0;        // empty packets the driver holds, ready for the next datagrams
  uint32_t rxBacklog = 0;     // filled, waiting for room in the RX completion queue
  uint32_t rxCompletion = 0;  // in the RX completion queue
};

struct DriverCounters {
  uint64_t txCompleted = 0;     // packets handed back after a send attempt (ok or refused)
  uint64_t txAborted = 0;       // handed back unsent by shutdown()
  uint64_t rxCompleted = 0;     // filled packets delivered
  uint64_t rxAborted = 0;       // empty packets handed back by shutdown()
  uint64_t returnedToPool = 0;  // completions that found their queue full at shutdown: freed
};

class PacketDriver : public QueueDriver {
 public:
  PacketDriver(std::shared_ptr<Pool> pool, uint32_t slot, const DriverQueues& queues);
  virtual ~PacketDriver() = default;
  PacketDriver(const PacketDriver&) = delete;
  PacketDriver& operator=(const PacketDriver&) = delete;

  // Moves up to `max` packets each way; returns how many were completed (delivered to a
  // completion queue, to the pool, or into the backlog). After shutdown() they return 0.
  uint32_t transmit(uint32_t max) override;
  uint32_t receive(uint32_t max) override;

  // True when the last transmit() stopped at a full socket buffer (wait for writability), and
  // when the last receive() ran out of empty packets (RX submission empty: wait for the user).
  bool txBlocked() const override { return txBlocked_; }
  bool rxStarved() const override { return rxStarved_; }
  bool hasTxWork() const;  // packets pending, backlogged, or waiting in TX submission
  bool hasRxBacklog() const override { return !rxBacklog_.empty(); }
  bool wantsTimer() const override { return !txBacklog_.empty() || !rxBacklog_.empty(); }

  // Hands every packet back: TX submission and pending packets complete with kIOReturnAborted,
  // RX submission and held packets go to RX completion empty with kIOReturnAborted; what finds
  // a completion queue full goes back to the pool. Idempotent; then the driver is closed.
  void shutdown();
  bool isShutDown() const override { return shutDown_; }

  DriverInFlight inFlight() const;
  const DriverCounters& counters() const { return counters_; }
  Pool& pool() const override { return *pool_; }
  uint32_t ownerTag() const { return tag_; }

  static constexpr uint32_t kBatch = 256;  // packets per dequeue / send / receive call

 protected:
  // Sends idx[0..n) (held by this driver): returns how many, from the front, are done; errnos[i]
  // is 0 or the errno that refused packet i. Fewer than n only when the socket buffer is full.
  virtual uint32_t sendPackets(const uint32_t* idx, uint32_t n, int32_t* errnos) = 0;
  // Receives into idx[0..n): returns how many, from the front, now hold data (metadata set, and
  // the completion status: cleared, or kIOReturnOverrun for a truncated datagram).
  virtual uint32_t receivePackets(const uint32_t* idx, uint32_t n) = 0;
  // Called once by shutdown() before the packets are handed back (close the socket here).
  virtual void onShutdown() {}

 private:
  void completeTx(uint32_t* idx, const int32_t* errnos, uint32_t n);
  void flushTxBacklog();
  void flushRxBacklog();
  void setStatus(uint32_t packet, uint32_t ioReturn);
  // Enqueues to `q`; returns how many it took.
  uint32_t give(PacketQueue& q, const uint32_t* idx, uint32_t n);

  std::shared_ptr<Pool> pool_;
  uint32_t slot_;
  uint32_t tag_;
  DriverQueues q_;
  bool txBlocked_ = false;
  bool rxStarved_ = false;
  bool shutDown_ = false;
  std::vector<uint32_t> txPending_;  // taken, not yet sent, oldest first
  std::vector<uint32_t> txBacklog_;  // sent, waiting for room in the TX completion queue
  std::vector<uint32_t> rxHeld_;     // empty packets ready for receivePackets()
  std::vector<uint32_t> rxBacklog_;  // filled, waiting for room in the RX completion queue
  std::vector<int32_t> errnos_;
  DriverCounters counters_;
};

}  // namespace pbp::io

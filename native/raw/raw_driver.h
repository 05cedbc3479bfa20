// The driver end of the four DriverKit packet queues for a RawPort (AF_XDP or AF_PACKET):
//
//   TX  TxSubmission --dequeue--> pending --postTx--> kernel TX ring
//       kernel completion ring --pollTxCompletions--> TxCompletion (backlog while it is full)
//   RX  RxSubmission --dequeue--> kernel fill ring (postRx)
//       kernel RX ring --pollRx--> RxCompletion (backlog while it is full)
//
// Unlike a UDP socket, AF_XDP's rings are asynchronous in both directions: a frame posted for TX
// completes later (when the kernel has copied or sent it), and a buffer posted for RX comes back
// filled in whatever order frames arrive. So this driver keeps the two halves apart (post, then
// poll) instead of the send-and-complete / receive-into of io::PacketDriver, with the same
// guarantees: every packet it takes comes back exactly once; a completion queue that is full
// holds completed packets in a backlog and stops the driver taking new work in that direction;
// shutdown() hands everything back (TX unsent or in flight: kIOReturnAborted to TxCompletion; RX
// buffers: empty with kIOReturnAborted to RxCompletion; what does not fit: to the pool).
//
// The driver holds packets under its own slot's tag (the interface's), consumer of both
// submission queues and producer of both completion queues. Not thread-safe: one thread calls it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "../core/packet_queue.h"
#include "../core/pool.h"
#include "../io/queue_driver.h"
#include "raw_port.h"

namespace pbp::raw {

struct RawDriverCounters {
  uint64_t txPosted = 0;        // frames handed to the kernel
  uint64_t txCompleted = 0;     // packets delivered to TX completion (sent or refused)
  uint64_t rxPosted = 0;        // empty buffers handed to the kernel
  uint64_t rxCompleted = 0;     // filled packets delivered to RX completion
  uint64_t aborted = 0;         // handed back by shutdown()
  uint64_t returnedToPool = 0;  // found their completion queue full at shutdown: freed
};

class RawDriver : public io::QueueDriver {
 public:
  // Opens the four queues by id (kNoQueue for a direction left out: both of its queues), and
  // binds the driver's ends to `slot`. Fails if a queue is missing, of the wrong kind, or its
  // driver end is bound to another live thread.
  static constexpr uint32_t kNoQueue = 0xFFFFFFFF;
  static Status create(std::shared_ptr<Pool> pool, uint32_t slot, RawPort& port, uint32_t txSubmission,
                       uint32_t txCompletion, uint32_t rxSubmission, uint32_t rxCompletion,
                       std::unique_ptr<RawDriver>& out);
  ~RawDriver() override;

  // One pass each way, up to `max` packets per step; returns packets moved (posted + completed).
  uint32_t transmit(uint32_t max) override;
  uint32_t receive(uint32_t max) override;
  // Work that needs another pass without any new signal: frames in flight (completions to reap),
  // pending packets (TX ring was full), backlogs (completion queue was full).
  bool hasTxWork() const;
  bool hasRxBacklog() const override { return !rxBacklog_.empty(); }
  bool rxStarved() const override { return rxStarved_; }
  bool txBlocked() const override { return txBlocked_; }
  // Frames in flight have completions to collect that nothing signals; backlogs wait for room.
  bool wantsTimer() const override { return txInPort_ > 0 || !txBacklog_.empty() || !rxBacklog_.empty(); }
  bool isShutDown() const override { return shutDown_; }
  Pool& pool() const override { return *pool_; }
  bool hasTx() const { return tx_; }
  bool hasRx() const { return rx_; }
  const PacketQueue& txSubmission() const { return txSub_; }
  const PacketQueue& rxSubmission() const { return rxSub_; }

  // Closes the port and hands every packet back (see above). Idempotent.
  void shutdown();
  const RawDriverCounters& counters() const { return counters_; }
  uint32_t held() const;  // packets the driver and the port hold now

  static constexpr uint32_t kBatch = 256;

 private:
  RawDriver(std::shared_ptr<Pool> pool, uint32_t slot, RawPort& port);
  void setStatus(uint32_t packet, IOReturn status);
  uint32_t give(PacketQueue& q, const uint32_t* idx, uint32_t n);
  void flush(PacketQueue& q, std::vector<uint32_t>& backlog);
  uint32_t reapTx();

  std::shared_ptr<Pool> pool_;
  uint32_t slot_;
  uint32_t tag_;
  RawPort* port_;
  bool tx_ = false, rx_ = false;
  PacketQueue txSub_, txComp_, rxSub_, rxComp_;
  bool txBlocked_ = false, rxStarved_ = false, shutDown_ = false;
  std::vector<uint32_t> txPending_, txBacklog_, rxBacklog_;
  std::vector<uint8_t> inTx_;  // per packet: 1 while posted for TX (tells TX from RX at shutdown)
  uint32_t txInPort_ = 0, rxInPort_ = 0;
  uint32_t scratch_[kBatch];  // completions and RX batches
  uint32_t txBatch_[kBatch];  // the batch transmit() posts
  RawDriverCounters counters_;
};

}  // namespace pbp::raw

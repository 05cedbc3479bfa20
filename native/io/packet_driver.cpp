#include "packet_driver.h"

#include <algorithm>

#include "io_errno.h"

namespace pbp::io {

PacketDriver::PacketDriver(std::shared_ptr<Pool> pool, uint32_t slot, const DriverQueues& queues)
    : pool_(std::move(pool)), slot_(slot), tag_(pool_->tagOf(slot)), q_(queues) {
  txPending_.reserve(kBatch);
  txBacklog_.reserve(2 * kBatch);
  rxHeld_.reserve(kBatch);
  rxBacklog_.reserve(2 * kBatch);
  errnos_.resize(kBatch);
}

void PacketDriver::setStatus(uint32_t packet, uint32_t ioReturn) {
  uint32_t* m = pool_->metaOf(packet);
  if (ioReturn == 0) {
    m[meta::kFlags] &= ~meta::kFlagCompletionStatus;
  } else {
    m[meta::kCompletionStatus] = ioReturn;
    m[meta::kFlags] |= meta::kFlagCompletionStatus;
  }
}

uint32_t PacketDriver::give(PacketQueue& q, const uint32_t* idx, uint32_t n) {
  if (n == 0) return 0;
  uint32_t taken = q.enqueue(idx, n, tag_);
  if (taken > 0) q.notifyConsumer();
  return taken;
}

bool PacketDriver::hasTxWork() const {
  return q_.tx && (!txPending_.empty() || !txBacklog_.empty() || q_.txSubmission.size() > 0);
}

void PacketDriver::completeTx(uint32_t* idx, const int32_t* errnos, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) setStatus(idx[i], uint32_t(ioReturnFromErrno(errnos[i])));
  counters_.txCompleted += n;
  if (q_.txCompleteToPool) {
    // Held by our tag, valid indices: the pool cannot refuse them.
    pool_->deallocateBulk(slot_, idx, n);
    return;
  }
  uint32_t taken = txBacklog_.empty() ? give(q_.txCompletion, idx, n) : 0;
  txBacklog_.insert(txBacklog_.end(), idx + taken, idx + n);
}

void PacketDriver::flushTxBacklog() {
  if (txBacklog_.empty()) return;
  uint32_t taken = give(q_.txCompletion, txBacklog_.data(), uint32_t(txBacklog_.size()));
  txBacklog_.erase(txBacklog_.begin(), txBacklog_.begin() + taken);
}

void PacketDriver::flushRxBacklog() {
  if (rxBacklog_.empty()) return;
  uint32_t taken = give(q_.rxCompletion, rxBacklog_.data(), uint32_t(rxBacklog_.size()));
  rxBacklog_.erase(rxBacklog_.begin(), rxBacklog_.begin() + taken);
}

uint32_t PacketDriver::transmit(uint32_t max) {
  txBlocked_ = false;
  if (shutDown_ || !q_.tx) return 0;
  flushTxBacklog();
  uint32_t completed = 0;
  // A long backlog means the completion queue's consumer is behind: take no new work.
  while (completed < max && txBacklog_.size() < kBatch) {
    uint32_t have = uint32_t(txPending_.size());
    uint32_t want = std::min(kBatch, max - completed);
    if (have < want) {
      txPending_.resize(want);
      uint32_t got = q_.txSubmission.dequeue(txPending_.data() + have, want - have, tag_);
      txPending_.resize(have + got);
    }
    uint32_t n = std::min(uint32_t(txPending_.size()), want);
    if (n == 0) break;
    uint32_t done = sendPackets(txPending_.data(), n, errnos_.data());
    completeTx(txPending_.data(), errnos_.data(), done);
    txPending_.erase(txPending_.begin(), txPending_.begin() + done);
    completed += done;
    if (done < n) {
      txBlocked_ = true;
      break;
    }
  }
  return completed;
}

uint32_t PacketDriver::receive(uint32_t max) {
  rxStarved_ = false;
  if (shutDown_ || !q_.rx) return 0;
  flushRxBacklog();
  uint32_t completed = 0;
  while (completed < max && rxBacklog_.size() < kBatch) {
    uint32_t have = uint32_t(rxHeld_.size());
    if (have < kBatch) {
      rxHeld_.resize(kBatch);
      uint32_t got = q_.rxSubmission.dequeue(rxHeld_.data() + have, kBatch - have, tag_);
      rxHeld_.resize(have + got);
    }
    if (rxHeld_.empty()) {
      rxStarved_ = true;
      break;
    }
    uint32_t want = std::min(uint32_t(rxHeld_.size()), max - completed);
    uint32_t got = receivePackets(rxHeld_.data(), want);
    if (got == 0) break;
    uint32_t taken = rxBacklog_.empty() ? give(q_.rxCompletion, rxHeld_.data(), got) : 0;
    rxBacklog_.insert(rxBacklog_.end(), rxHeld_.begin() + taken, rxHeld_.begin() + got);
    rxHeld_.erase(rxHeld_.begin(), rxHeld_.begin() + got);
    completed += got;
    counters_.rxCompleted += got;
    if (got < want) break;  // the socket is drained
  }
  return completed;
}

void PacketDriver::shutdown() {
  if (shutDown_) return;
  shutDown_ = true;
  onShutdown();
  uint32_t buf[kBatch];
  auto toPool = [&](std::vector<uint32_t>& v) {
    if (v.empty()) return;
    pool_->deallocateBulk(slot_, v.data(), uint32_t(v.size()));
    counters_.returnedToPool += v.size();
    v.clear();
  };
  if (q_.tx) {
    // Everything still submitted completes unsent. Bounded: one pass until the queue is empty.
    for (uint32_t got; (got = q_.txSubmission.dequeue(buf, kBatch, tag_)) > 0;)
      txPending_.insert(txPending_.end(), buf, buf + got);
    for (uint32_t p : txPending_) setStatus(p, uint32_t(IOReturn::Aborted));
    counters_.txAborted += txPending_.size();
    if (q_.txCompleteToPool) {
      pool_->deallocateBulk(slot_, txPending_.data(), uint32_t(txPending_.size()));
      txPending_.clear();
    } else {
      txBacklog_.insert(txBacklog_.end(), txPending_.begin(), txPending_.end());
      txPending_.clear();
      flushTxBacklog();
    }
    toPool(txBacklog_);
  }
  if (q_.rx) {
    for (uint32_t got; (got = q_.rxSubmission.dequeue(buf, kBatch, tag_)) > 0;)
      rxHeld_.insert(rxHeld_.end(), buf, buf + got);
    for (uint32_t p : rxHeld_) {
      pool_->metaOf(p)[meta::kDataLength] = 0;
      setStatus(p, uint32_t(IOReturn::Aborted));
    }
    counters_.rxAborted += rxHeld_.size();
    rxBacklog_.insert(rxBacklog_.end(), rxHeld_.begin(), rxHeld_.end());
    rxHeld_.clear();
    flushRxBacklog();
    toPool(rxBacklog_);
  }
}

DriverInFlight PacketDriver::inFlight() const {
  DriverInFlight f;
  if (q_.tx) {
    f.txSubmission = q_.txSubmission.size();
    f.txPending = uint32_t(txPending_.size());
    f.txBacklog = uint32_t(txBacklog_.size());
    f.txCompletion = q_.txCompleteToPool ? 0 : q_.txCompletion.size();
  }
  if (q_.rx) {
    f.rxSubmission = q_.rxSubmission.size();
    f.rxHeld = uint32_t(rxHeld_.size());
    f.rxBacklog = uint32_t(rxBacklog_.size());
    f.rxCompletion = q_.rxCompletion.size();
  }
  return f;
}

}  // namespace pbp::io

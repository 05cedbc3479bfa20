#include "raw_driver.h"

#include <algorithm>

namespace pbp::raw {

RawDriver::RawDriver(std::shared_ptr<Pool> pool, uint32_t slot, RawPort& port)
    : pool_(std::move(pool)),
      slot_(slot),
      tag_(pool_->tagOf(slot)),
      port_(&port),
      inTx_(pool_->layout().packetCount, 0) {
  txPending_.reserve(kBatch);
  txBacklog_.reserve(2 * kBatch);
  rxBacklog_.reserve(2 * kBatch);
}

RawDriver::~RawDriver() { shutdown(); }

Status RawDriver::create(std::shared_ptr<Pool> pool, uint32_t slot, RawPort& port, uint32_t txSubmission,
                         uint32_t txCompletion, uint32_t rxSubmission, uint32_t rxCompletion,
                         std::unique_ptr<RawDriver>& out) {
  std::unique_ptr<RawDriver> d(new RawDriver(pool, slot, port));
  struct End {
    uint32_t id;
    QueueKind kind;
    bool producer;  // the driver's end
    PacketQueue* view;
  };
  const End ends[] = {{txSubmission, QueueKind::TxSubmission, false, &d->txSub_},
                      {txCompletion, QueueKind::TxCompletion, true, &d->txComp_},
                      {rxSubmission, QueueKind::RxSubmission, false, &d->rxSub_},
                      {rxCompletion, QueueKind::RxCompletion, true, &d->rxComp_}};
  d->tx_ = txSubmission != kNoQueue;
  d->rx_ = rxSubmission != kNoQueue;
  if ((txSubmission == kNoQueue) != (txCompletion == kNoQueue) ||
      (rxSubmission == kNoQueue) != (rxCompletion == kNoQueue))
    return Status::fail(IOReturn::BadArgument,
                        "a direction needs both its queues (submission and completion) or neither");
  for (const End& e : ends) {
    if (e.id == kNoQueue) continue;
    Status s = pool->openQueue(e.id, *e.view);
    if (!s.isOk()) return s;
    if (e.view->kind() != e.kind)
      return Status::fail(IOReturn::BadArgument, "queue " + std::to_string(e.id) + " is a " +
                                                     queueKindName(e.view->kind()) + " queue, not a " +
                                                     queueKindName(e.kind) + " queue");
    s = pool->acquireQueueEnd(*e.view, e.producer, slot);
    if (!s.isOk()) return s;
  }
  out = std::move(d);
  return Status::ok();
}

void RawDriver::setStatus(uint32_t packet, IOReturn status) {
  uint32_t* m = pool_->metaOf(packet);
  storeRelaxed(m + meta::kCompletionStatus, uint32_t(status));
  storeRelaxed(m + meta::kFlags, loadRelaxed(m + meta::kFlags) | meta::kFlagCompletionStatus);
}

uint32_t RawDriver::give(PacketQueue& q, const uint32_t* idx, uint32_t n) {
  if (n == 0) return 0;
  uint32_t taken = q.enqueue(idx, n, tag_);
  if (taken > 0) q.notifyConsumer();
  return taken;
}

void RawDriver::flush(PacketQueue& q, std::vector<uint32_t>& backlog) {
  if (backlog.empty()) return;
  uint32_t taken = give(q, backlog.data(), uint32_t(backlog.size()));
  backlog.erase(backlog.begin(), backlog.begin() + taken);
}

bool RawDriver::hasTxWork() const {
  return tx_ && !shutDown_ && (txInPort_ > 0 || !txPending_.empty() || !txBacklog_.empty() || txSub_.size() > 0);
}

uint32_t RawDriver::held() const {
  return uint32_t(txPending_.size() + txBacklog_.size() + rxBacklog_.size()) + port_->held();
}

// Completed frames (sent, or refused with a completion status by the port) to TX completion.
uint32_t RawDriver::reapTx() {
  uint32_t total = 0;
  while (txInPort_ > 0 && txBacklog_.size() < kBatch) {
    uint32_t n = port_->pollTxCompletions(scratch_, kBatch);
    if (n == 0) break;
    uint8_t* inTx = inTx_.data();  // a local: byte stores may alias the vector's own fields
    for (uint32_t i = 0; i < n; i++) inTx[scratch_[i]] = 0;
    txInPort_ -= std::min(txInPort_, n);
    uint32_t taken = txBacklog_.empty() ? give(txComp_, scratch_, n) : 0;
    txBacklog_.insert(txBacklog_.end(), scratch_ + taken, scratch_ + n);
    counters_.txCompleted += n;
    total += n;
  }
  return total;
}

uint32_t RawDriver::transmit(uint32_t max) {
  txBlocked_ = false;
  if (shutDown_ || !tx_) return 0;
  flush(txComp_, txBacklog_);
  uint32_t moved = reapTx();
  uint32_t posted = 0;
  // A long backlog means TX completion's consumer is behind: take no new work.
  while (posted < max && txBacklog_.size() < kBatch) {
    uint32_t want = std::min({kBatch, max - posted, port_->txSpace()});
    if (want == 0) {
      txBlocked_ = !txPending_.empty() || txSub_.size() > 0;
      break;
    }
    // Packets left over from an earlier pass first (only after a refused packet), then TX
    // submission's, straight into the batch: the common case moves no vector.
    uint32_t n = std::min(uint32_t(txPending_.size()), want);
    if (n > 0) {
      std::copy(txPending_.begin(), txPending_.begin() + n, txBatch_);
      txPending_.erase(txPending_.begin(), txPending_.begin() + n);
    }
    if (n < want) n += txSub_.dequeue(txBatch_ + n, want - n, tag_);
    if (n == 0) break;
    uint32_t taken = port_->postTx(txBatch_, n);
    uint8_t* inTx = inTx_.data();  // a local: byte stores may alias the vector's own fields
    for (uint32_t i = 0; i < taken; i++) inTx[txBatch_[i]] = 1;
    txInPort_ += taken;
    counters_.txPosted += taken;
    posted += taken;
    if (taken < n) {
      // The port refused the packet at taken: not a ring-space problem (we asked for no more
      // than txSpace), so the index is not ours to send (the queue protocol makes that
      // impossible); complete it with an error rather than retry it forever. The ones after it
      // wait, in order, ahead of anything still pending.
      uint32_t bad = txBatch_[taken];
      setStatus(bad, IOReturn::BadArgument);
      uint32_t t = txBacklog_.empty() ? give(txComp_, &bad, 1) : 0;
      if (t == 0) txBacklog_.push_back(bad);
      counters_.txCompleted++;
      txPending_.insert(txPending_.begin(), txBatch_ + taken + 1, txBatch_ + n);
    }
  }
  return moved + posted + reapTx();
}

uint32_t RawDriver::receive(uint32_t max) {
  rxStarved_ = false;
  if (shutDown_ || !rx_) return 0;
  flush(rxComp_, rxBacklog_);
  uint32_t moved = 0;
  // Empty buffers from RX submission to the kernel (fill ring), as many as it has room for.
  for (uint32_t room; (room = std::min(kBatch, port_->rxSpace())) > 0;) {
    uint32_t got = rxSub_.dequeue(scratch_, room, tag_);
    if (got == 0) break;
    uint32_t taken = port_->postRx(scratch_, got);
    rxInPort_ += taken;
    counters_.rxPosted += taken;
    moved += taken;
    if (taken < got) {
      // Cannot happen (room was checked, indices come from the queue): hand them back empty.
      for (uint32_t i = taken; i < got; i++) {
        pool_->metaOf(scratch_[i])[meta::kDataLength] = 0;
        setStatus(scratch_[i], IOReturn::BadArgument);
        rxBacklog_.push_back(scratch_[i]);
      }
      break;
    }
  }
  // Filled buffers to RX completion.
  uint32_t completed = 0;
  while (completed < max && rxBacklog_.size() < kBatch) {
    uint32_t n = port_->pollRx(scratch_, std::min(kBatch, max - completed));
    if (n == 0) break;
    rxInPort_ -= std::min(rxInPort_, n);
    uint32_t taken = rxBacklog_.empty() ? give(rxComp_, scratch_, n) : 0;
    rxBacklog_.insert(rxBacklog_.end(), scratch_ + taken, scratch_ + n);
    counters_.rxCompleted += n;
    completed += n;
  }
  rxStarved_ = rxInPort_ == 0 && rxSub_.size() == 0;
  return moved + completed;
}

void RawDriver::shutdown() {
  if (shutDown_) return;
  shutDown_ = true;
  // With the socket closed the kernel holds no frame any more: the port hands back everything
  // (RX buffers never filled, TX frames sent or not).
  std::vector<uint32_t> fromPort;
  port_->close(fromPort);
  auto toPool = [&](std::vector<uint32_t>& v) {
    if (v.empty()) return;
    pool_->deallocateBulk(slot_, v.data(), uint32_t(v.size()));
    counters_.returnedToPool += v.size();
    v.clear();
  };
  uint64_t abortedRx = 0;
  for (uint32_t p : fromPort) {
    if (inTx_[p]) {
      inTx_[p] = 0;
      txPending_.push_back(p);
    } else {
      pool_->metaOf(p)[meta::kDataLength] = 0;
      setStatus(p, IOReturn::Aborted);
      rxBacklog_.push_back(p);
      abortedRx++;
    }
  }
  txInPort_ = rxInPort_ = 0;
  if (tx_) {
    for (uint32_t got; (got = txSub_.dequeue(scratch_, kBatch, tag_)) > 0;)
      txPending_.insert(txPending_.end(), scratch_, scratch_ + got);
    for (uint32_t p : txPending_) setStatus(p, IOReturn::Aborted);
    counters_.aborted += txPending_.size();
    txBacklog_.insert(txBacklog_.end(), txPending_.begin(), txPending_.end());
    txPending_.clear();
    flush(txComp_, txBacklog_);
    pool_->releaseQueueEnd(txSub_, false, slot_);
    pool_->releaseQueueEnd(txComp_, true, slot_);
  }
  if (rx_) {
    for (uint32_t got; (got = rxSub_.dequeue(scratch_, kBatch, tag_)) > 0;) {
      for (uint32_t i = 0; i < got; i++) {
        pool_->metaOf(scratch_[i])[meta::kDataLength] = 0;
        setStatus(scratch_[i], IOReturn::Aborted);
      }
      rxBacklog_.insert(rxBacklog_.end(), scratch_, scratch_ + got);
      abortedRx += got;
    }
    counters_.aborted += abortedRx;
    flush(rxComp_, rxBacklog_);
    pool_->releaseQueueEnd(rxSub_, false, slot_);
    pool_->releaseQueueEnd(rxComp_, true, slot_);
  }
  toPool(txPending_);
  toPool(txBacklog_);
  toPool(rxBacklog_);
}

}  // namespace pbp::raw

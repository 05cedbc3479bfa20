#include "driver_loop.h"

#include "queue_listeners.h"

namespace pbp_addon {

DriverLoop* DriverLoop::start(uv_loop_t* loop, pbp::io::QueueDriver& driver, int fd,
                              const pbp::PacketQueue* txSubmission, const pbp::PacketQueue* rxSubmission) {
  auto* d = new DriverLoop();
  d->driver_ = &driver;
  d->pool_ = &driver.pool();
  if (txSubmission) d->tx_ = *txSubmission, d->hasTx_ = true;
  if (rxSubmission) d->rx_ = *rxSubmission, d->hasRx_ = true;
  uv_poll_init(loop, &d->poll_, fd);
  uv_async_init(loop, &d->async_, onAsync);
  uv_timer_init(loop, &d->timer_);
  d->poll_.data = d->async_.data = d->timer_.data = d;
  d->open_ = 3;
  // Listen first, then look: a producer that enqueues after this point signals async_ (it sees
  // our waiter registration), and what was enqueued before is found by the first pass below.
  if (d->hasTx_) {
    d->tx_.addWaiter();
    addQueueListener(d->pool_, d->tx_.id(), &d->async_);
  }
  if (d->hasRx_) {
    d->rx_.addWaiter();
    addQueueListener(d->pool_, d->rx_.id(), &d->async_);
  }
  d->pass(true, true);
  return d;
}

void DriverLoop::close() {
  if (closing_) return;
  closing_ = true;
  if (hasTx_) {
    removeQueueListener(pool_, tx_.id(), &async_);
    tx_.removeWaiter();
  }
  if (hasRx_) {
    removeQueueListener(pool_, rx_.id(), &async_);
    rx_.removeWaiter();
  }
  driver_ = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), onClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), onClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), onClosed);
}

void DriverLoop::onClosed(uv_handle_t* handle) {
  auto* d = static_cast<DriverLoop*>(handle->data);
  if (--d->open_ == 0) delete d;
}

void DriverLoop::setRef(bool ref) {
  ref_ = ref;
  if (closing_) return;
  for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&poll_), reinterpret_cast<uv_handle_t*>(&async_),
                         reinterpret_cast<uv_handle_t*>(&timer_)}) {
    if (ref) uv_ref(h);
    else uv_unref(h);
  }
}

void DriverLoop::onPoll(uv_poll_t* handle, int status, int events) {
  auto* d = static_cast<DriverLoop*>(handle->data);
  if (d->closing_) return;
  // An error on the descriptor (status < 0): let both directions look; the socket reports it.
  bool any = status < 0;
  d->pass(any || (events & UV_WRITABLE), any || (events & UV_READABLE));
}

void DriverLoop::onAsync(uv_async_t* handle) {
  auto* d = static_cast<DriverLoop*>(handle->data);
  if (!d->closing_) d->pass(true, true);
}

void DriverLoop::onTimer(uv_timer_t* handle) {
  auto* d = static_cast<DriverLoop*>(handle->data);
  if (!d->closing_) d->pass(true, true);
}

void DriverLoop::pass(bool tx, bool rx) {
  uint32_t sent = tx && hasTx_ ? driver_->transmit(kBudget) : 0;
  uint32_t received = rx && hasRx_ ? driver_->receive(kBudget) : 0;
  // Budget used up: yield to other callbacks, then go on.
  if ((sent == kBudget && !driver_->txBlocked()) || received == kBudget) uv_async_send(&async_);
  if ((sent | received) != 0 && onCompleted_) {
    onCompleted_(sent, received);  // JS may close the interface in there
    if (closing_) return;
  }
  rearm();
}

void DriverLoop::rearm() {
  if (closing_ || driver_->isShutDown()) return;
  int events = 0;
  if (hasRx_ && !driver_->rxStarved() && !driver_->hasRxBacklog()) events |= UV_READABLE;
  if (hasTx_ && driver_->txBlocked()) events |= UV_WRITABLE;
  if (events != pollEvents_) {
    if (events == 0) uv_poll_stop(&poll_);
    else uv_poll_start(&poll_, events, onPoll);
    pollEvents_ = events;
  }
  // Nothing signals room in a completion queue (nor, on AF_XDP, a completion ring entry), so
  // retry what the driver says waits on such a thing on a short timer.
  bool wantTimer = driver_->wantsTimer();
  if (wantTimer && !timerOn_) {
    uv_timer_start(&timer_, onTimer, 1, 1);
    if (!ref_) uv_unref(reinterpret_cast<uv_handle_t*>(&timer_));
  } else if (!wantTimer && timerOn_) {
    uv_timer_stop(&timer_);
  }
  timerOn_ = wantTimer;
}

}  // namespace pbp_addon

#include "driver_loop.h"

#include <unistd.h>
#if defined(__linux__)
#include <sys/timerfd.h>
#endif

#include <cerrno>

#include "queue_listeners.h"

namespace pbp_addon {

DriverLoop* DriverLoop::start(uv_loop_t* loop, pbp::io::QueueDriver& driver, int fd,
                              const pbp::PacketQueue* txSubmission, const pbp::PacketQueue* rxSubmission,
                              uint32_t coalesceMicroseconds) {
  int coalesceFd = -1;
  if (coalesceMicroseconds > 0) {
#if defined(__linux__)
    coalesceFd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
#else
    errno = ENOSYS;  // no timerfd (the UDP socket engine is Linux-only too)
#endif
    if (coalesceFd < 0) return nullptr;
  }
  auto* d = new DriverLoop();
  d->coalesceFd_ = coalesceFd;
  d->coalesceUs_ = coalesceMicroseconds;
  d->driver_ = &driver;
  d->pool_ = &driver.pool();
  if (txSubmission) d->tx_ = *txSubmission, d->hasTx_ = true;
  if (rxSubmission) d->rx_ = *rxSubmission, d->hasRx_ = true;
  uv_poll_init(loop, &d->poll_, fd);
  uv_async_init(loop, &d->async_, onAsync);
  uv_timer_init(loop, &d->timer_);
  d->poll_.data = d->async_.data = d->timer_.data = d;
  d->open_ = 3;
  if (coalesceFd >= 0) {
    uv_poll_init(loop, &d->coalescePoll_, coalesceFd);
    d->coalescePoll_.data = d;
    d->open_++;
  }
  // Listen first, then look: a producer that enqueues after this point signals async_ (it sees
  // our waiter registration), and what was enqueued before is found by the first pass below.
  if (d->hasTx_) addQueueListener(d->pool_, d->tx_.id(), &d->async_);
  if (d->hasRx_) addQueueListener(d->pool_, d->rx_.id(), &d->async_);
  d->listen(true);
  d->pass(true, true);
  return d;
}

void DriverLoop::close() {
  if (closing_) return;
  closing_ = true;
  if (hasTx_) removeQueueListener(pool_, tx_.id(), &async_);
  if (hasRx_) removeQueueListener(pool_, rx_.id(), &async_);
  listen(false);
  driver_ = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), onClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), onClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), onClosed);
  if (coalesceFd_ >= 0) uv_close(reinterpret_cast<uv_handle_t*>(&coalescePoll_), onClosed);
}

void DriverLoop::listen(bool on) {
  if (on == listening_) return;
  listening_ = on;
  // seq_cst read-modify-writes on the waiter words: a producer stores its head and then loads
  // the waiter word (both seq_cst, lib/queue-protocol.ts, PacketQueue::notifyConsumer), so after
  // listen(true) either it sees us and signals async_, or our next look at the queue (the caller
  // passes right after) sees its entries. listen(false) only stops the signals.
  for (auto [has, q] : {std::pair{hasTx_, &tx_}, std::pair{hasRx_, &rx_}}) {
    if (!has) continue;
    if (on) q->addWaiter();
    else
      q->removeWaiter();
  }
}

void DriverLoop::onClosed(uv_handle_t* handle) {
  auto* d = static_cast<DriverLoop*>(handle->data);
  if (--d->open_ != 0) return;
  if (d->coalesceFd_ >= 0) ::close(d->coalesceFd_);  // after libuv let go of it
  delete d;
}

void DriverLoop::setRef(bool ref) {
  ref_ = ref;
  if (closing_) return;
  for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&poll_), reinterpret_cast<uv_handle_t*>(&async_),
                         reinterpret_cast<uv_handle_t*>(&timer_)}) {
    if (ref) uv_ref(h);
    else
      uv_unref(h);
  }
  if (coalesceFd_ >= 0) {
    if (ref) uv_ref(reinterpret_cast<uv_handle_t*>(&coalescePoll_));
    else
      uv_unref(reinterpret_cast<uv_handle_t*>(&coalescePoll_));
  }
}

void DriverLoop::onPoll(uv_poll_t* handle, int status, int events) {
  auto* d = static_cast<DriverLoop*>(handle->data);
  if (d->closing_) return;
  d->counters_.pollWakeups++;
  // An error on the descriptor (status < 0): let both directions look; the socket reports it.
  bool any = status < 0;
  d->pass(any || (events & UV_WRITABLE), any || (events & UV_READABLE));
}

void DriverLoop::onAsync(uv_async_t* handle) {
  auto* d = static_cast<DriverLoop*>(handle->data);
  if (d->closing_) return;
  d->counters_.asyncWakeups++;
  d->pass(true, true);
}

void DriverLoop::onTimer(uv_timer_t* handle) {
  auto* d = static_cast<DriverLoop*>(handle->data);
  if (d->closing_) return;
  d->counters_.timerWakeups++;
  d->pass(true, true);
}

void DriverLoop::onCoalesced(uv_poll_t* handle, int, int) {
  auto* d = static_cast<DriverLoop*>(handle->data);
  if (d->closing_) return;
  uint64_t expirations;
  (void)!read(d->coalesceFd_, &expirations, sizeof expirations);  // clears readability; EAGAIN is fine
  uv_poll_stop(&d->coalescePoll_);
  d->coalescing_ = false;
  d->counters_.coalesceWakeups++;
  d->pass(true, true);  // takes what arrived meanwhile (and coalesces again if anything did)
}

void DriverLoop::pass(bool tx, bool rx) {
  uint32_t sentTotal = 0, receivedTotal = 0;
  for (;;) {
    uint32_t sent = tx && hasTx_ ? driver_->transmit(kBudget - sentTotal) : 0;
    uint32_t received = rx && hasRx_ ? driver_->receive(kBudget - receivedTotal) : 0;
    sentTotal += sent;
    receivedTotal += received;
    if ((sent | received) == 0 || !onCompleted_) break;
    // The action usually hands packets straight back (refilled RX submissions, replies to send):
    // not listening meanwhile spares it a wake-up call per batch and us a loop iteration; we look
    // at both queues again right after instead.
    listen(false);
    counters_.actionCalls++;
    onCompleted_(sent, received);  // JS may close the interface in there
    if (closing_) return;
    listen(true);
    if (driver_->isShutDown() || sentTotal >= kBudget || receivedTotal >= kBudget) break;
    tx = rx = true;
  }
  // Budget used up: yield to other callbacks, then go on.
  if ((sentTotal >= kBudget && !driver_->txBlocked()) || receivedTotal >= kBudget) uv_async_send(&async_);
#if defined(__linux__)
  if (receivedTotal > 0 && coalesceFd_ >= 0 && !coalescing_ && !driver_->isShutDown()) {
    itimerspec at{};
    at.it_value.tv_sec = coalesceUs_ / 1000000;
    at.it_value.tv_nsec = long(coalesceUs_ % 1000000) * 1000;
    if (timerfd_settime(coalesceFd_, 0, &at, nullptr) == 0) {
      coalescing_ = true;
      uv_poll_start(&coalescePoll_, UV_READABLE, onCoalesced);
      if (!ref_) uv_unref(reinterpret_cast<uv_handle_t*>(&coalescePoll_));
    }  // else: no coalescing this time (the socket stays watched)
  }
#endif
  rearm();
}

void DriverLoop::rearm() {
  if (closing_ || driver_->isShutDown()) return;
  int events = 0;
  if (hasRx_ && !coalescing_ && !driver_->rxStarved() && !driver_->hasRxBacklog()) events |= UV_READABLE;
  if (hasTx_ && driver_->txBlocked()) events |= UV_WRITABLE;
  if (events != pollEvents_) {
    if (events == 0) uv_poll_stop(&poll_);
    else
      uv_poll_start(&poll_, events, onPoll);
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

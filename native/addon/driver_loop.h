// Runs a QueueDriver (io::PacketDriver for UDP, raw::RawDriver for AF_XDP / AF_PACKET) on a Node
// event loop, with no thread of its own: uv_poll on the driver's socket, readable -> receive(); writable, watched
// only while a send found the socket buffer full -> transmit(); a uv_async_t that the submission
// queues' producers signal (queue_listeners.h) -> both. Completions reach JavaScript through the
// completion queues' own wake-ups (the dequeue action, waitForPackets). A 1 ms timer runs while
// the driver says it waits on something nothing signals (QueueDriver::wantsTimer: a backlog
// waiting for room in a completion queue, AF_XDP frames whose completions are still to collect).
//
// Wake-ups are what an event-driven interface costs beyond its packets: Node allocates a small
// object on the JS heap in every event-loop iteration (its check phase, RunAndClearNativeImmediates
// in Node 20), so the young generation fills at a rate set by iterations, not packets. Hence a
// pass keeps going in the same callback while its completion action hands work back (below), and
// the loop stops listening to the submission queues while the action runs, so the action's own
// re-submissions do not cost a wake-up of their own.
//
// Receive coalescing (opt-in, `coalesceMicroseconds`, like a NIC's rx-usecs): after a pass that
// received data the loop stops watching the socket for that long (a timerfd, so microseconds, not
// libuv's milliseconds) and then takes everything that arrived meanwhile in one wake-up. A packet
// after a quiet spell is still taken at once; under steady traffic wake-ups fall to one per
// interval, at the price of up to that much latency.
//
// Lifetime: created with start(), ended with close(), which stops every callback at once (the
// driver may be destroyed right after) and frees the handles when libuv has closed them.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "../core/pool.h"
#include "../io/queue_driver.h"

namespace pbp_addon {

class DriverLoop {
 public:
  // Watches `fd` for `driver`; txQueue/rxQueue are the submission queues to listen to (pass
  // nullptr for a direction the driver does not have).
  // coalesceMicroseconds: 0 (off) or the receive coalescing interval. Returns nullptr (errno set)
  // when the coalescing timer cannot be created.
  static DriverLoop* start(uv_loop_t* loop, pbp::io::QueueDriver& driver, int fd, const pbp::PacketQueue* txSubmission,
                           const pbp::PacketQueue* rxSubmission, uint32_t coalesceMicroseconds = 0);
  // Stops all callbacks now; the object deletes itself once libuv has closed its handles.
  void close();
  // A pass soon, on the loop (after an explicit transmit() left work, for instance).
  void kick() { uv_async_send(&async_); }
  // Keep the process alive while the interface is open (default) or not.
  void setRef(bool ref);
  // Called on the loop after a pass that completed packets (how many each way): the interface's
  // completion action, which tells JS on this thread without a watcher thread or a futex.
  void setOnCompleted(std::function<void(uint32_t tx, uint32_t rx)> fn) { onCompleted_ = std::move(fn); }

  static constexpr uint32_t kBudget = 4096;  // packets per direction per pass, then yield

  // Callbacks by cause, and completion actions run (statistics: wake-ups per packet).
  struct Counters {
    uint64_t pollWakeups = 0, asyncWakeups = 0, timerWakeups = 0, coalesceWakeups = 0, actionCalls = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  DriverLoop() = default;
  static void onPoll(uv_poll_t* handle, int status, int events);
  static void onAsync(uv_async_t* handle);
  static void onTimer(uv_timer_t* handle);
  static void onClosed(uv_handle_t* handle);
  static void onCoalesced(uv_poll_t* handle, int status, int events);
  void pass(bool tx, bool rx);
  void rearm();
  // Registers (or drops) the loop as the submission queues' sleeping consumer.
  void listen(bool on);

  pbp::io::QueueDriver* driver_ = nullptr;
  std::function<void(uint32_t, uint32_t)> onCompleted_;
  const pbp::Pool* pool_ = nullptr;
  pbp::PacketQueue tx_, rx_;
  bool hasTx_ = false, hasRx_ = false;
  uv_poll_t poll_;
  uv_async_t async_;
  uv_timer_t timer_;
  uv_poll_t coalescePoll_;  // on coalesceFd_, when coalescing is on
  int coalesceFd_ = -1;     // timerfd, armed while the socket is not watched
  uint32_t coalesceUs_ = 0;
  bool coalescing_ = false;  // the timerfd is armed: leave the socket unwatched until it fires
  int pollEvents_ = -1;      // what poll_ watches now (-1: stopped)
  bool timerOn_ = false;
  bool closing_ = false;
  bool ref_ = true;
  bool listening_ = false;  // registered as the submission queues' waiter
  int open_ = 0;            // handles not closed yet
  Counters counters_;
};

}  // namespace pbp_addon

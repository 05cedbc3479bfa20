// In-process listeners of packet queues: a native consumer that runs on some thread's event loop
// (an interface's driver) is told, through its uv_async_t, when a producer in this process wakes
// the queue's consumers: JS producers call queueWake when they see a consumer waiter, so the
// listener also registers as one (PacketQueue::addWaiter) for as long as it listens. Producers in
// other processes only reach futex sleepers (QueueWatcher); a driver that must hear them needs
// such a thread.
#pragma once

#include <uv.h>

#include <cstdint>

#include "../core/pool.h"

namespace pbp_addon {

void addQueueListener(const pbp::Pool* pool, uint32_t queueId, uv_async_t* async);
// After it returns, `async` is never signalled again for this queue (safe to uv_close).
void removeQueueListener(const pbp::Pool* pool, uint32_t queueId, uv_async_t* async);
// Called by queueWake: uv_async_send to every listener of the queue (cheap when there are none).
void notifyQueueListeners(const pbp::Pool* pool, uint32_t queueId);

}  // namespace pbp_addon

// The addon's packet-queue functions (lib/queue-*.ts call them once per queue object or per wait,
// never per packet: enqueue and dequeue run in JS over the region). Each takes the NativePool of
// the calling thread as its first argument.
#pragma once

#include <napi.h>

namespace pbp_addon {

// Adds queueCreate, queueOpen, queueDestroy, queueAcquireEnd, queueReleaseEnd, queueWake, queueWaitSync and the
// QueueWatcher class to `exports`.
void defineQueueFunctions(Napi::Env env, Napi::Object exports);

}  // namespace pbp_addon

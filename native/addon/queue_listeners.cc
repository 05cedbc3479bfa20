#include "queue_listeners.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace pbp_addon {
namespace {

using Key = std::pair<const pbp::Pool*, uint32_t>;

std::mutex& listenersMutex() {
  static std::mutex m;
  return m;
}
std::map<Key, std::vector<uv_async_t*>>& listeners() {                 // guarded by listenersMutex()
  static auto* table = new std::map<Key, std::vector<uv_async_t*>>();  // never destroyed: used by exit-time hooks
  return *table;
}
// Listeners in the whole process; relaxed is enough: a producer that reads 0 right after a
// listener registered is covered by the listener's own first pass (it looks at the queue after
// registering), and a stale non-zero only costs the mutex.
std::atomic<uint32_t> listenerCount{0};

}  // namespace

void addQueueListener(const pbp::Pool* pool, uint32_t queueId, uv_async_t* async) {
  std::lock_guard<std::mutex> lock(listenersMutex());
  listeners()[{pool, queueId}].push_back(async);
  listenerCount.fetch_add(1, std::memory_order_relaxed);
}

void removeQueueListener(const pbp::Pool* pool, uint32_t queueId, uv_async_t* async) {
  std::lock_guard<std::mutex> lock(listenersMutex());
  auto it = listeners().find({pool, queueId});
  if (it == listeners().end()) return;
  auto& v = it->second;
  auto at = std::find(v.begin(), v.end(), async);
  if (at == v.end()) return;
  v.erase(at);
  if (v.empty()) listeners().erase(it);
  listenerCount.fetch_sub(1, std::memory_order_relaxed);
}

void notifyQueueListeners(const pbp::Pool* pool, uint32_t queueId) {
  if (listenerCount.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard<std::mutex> lock(listenersMutex());
  auto it = listeners().find({pool, queueId});
  if (it == listeners().end()) return;
  for (uv_async_t* a : it->second) uv_async_send(a);
}

}  // namespace pbp_addon

#include "pool_registry.h"

#include <map>
#include <mutex>

namespace pbp_addon {
namespace {

struct Registry {
  std::mutex mutex;
  uint64_t nextId = 1;
  struct Entry {
    std::weak_ptr<pbp::Pool> pool;
    const pbp::Pool* raw;
  };
  std::map<uint64_t, Entry> byId;
  std::map<const pbp::Pool*, uint64_t> idByPool;
  size_t pruneAt = 64;  // prune when the table has grown this far: amortised O(1) per pool

  void prune() {
    if (byId.size() < pruneAt) return;
    for (auto it = byId.begin(); it != byId.end();) {
      if (it->second.pool.expired()) {
        idByPool.erase(it->second.raw);
        it = byId.erase(it);
      } else {
        ++it;
      }
    }
    pruneAt = byId.size() * 2 > 64 ? byId.size() * 2 : 64;
  }
};

// Leaked on purpose: worker threads may still look pools up while the process exits, after
// static destructors would have run.
Registry& registry() {
  static Registry* r = new Registry();
  return *r;
}

}  // namespace

uint64_t idOfPool(const std::shared_ptr<pbp::Pool>& pool) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.prune();
  auto found = r.idByPool.find(pool.get());
  // An expired entry may carry the address of a pool that died and was reused: replace it.
  if (found != r.idByPool.end() && !r.byId[found->second].pool.expired()) return found->second;
  if (found != r.idByPool.end()) {
    r.byId.erase(found->second);
    r.idByPool.erase(found);
  }
  uint64_t id = r.nextId++;
  r.byId[id] = Registry::Entry{pool, pool.get()};
  r.idByPool[pool.get()] = id;
  return id;
}

std::shared_ptr<pbp::Pool> findPool(uint64_t id) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.byId.find(id);
  return it == r.byId.end() ? nullptr : it->second.pool.lock();
}

}  // namespace pbp_addon

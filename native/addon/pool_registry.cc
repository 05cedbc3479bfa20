#include "pool_registry.h"

#include <map>
#include <mutex>

namespace pbp_addon {
namespace {

struct Registry {
  std::mutex mutex;
  uint64_t nextId = 1;
  std::map<uint64_t, std::weak_ptr<pbp::Pool>> byId;
  std::map<const pbp::Pool*, uint64_t> idByPool;

  void prune() {
    for (auto it = byId.begin(); it != byId.end();) {
      if (it->second.expired()) {
        for (auto p = idByPool.begin(); p != idByPool.end(); ++p)
          if (p->second == it->first) {
            idByPool.erase(p);
            break;
          }
        it = byId.erase(it);
      } else {
        ++it;
      }
    }
  }
};

// Leaked on purpose: worker threads may still look pools up while the process exits, after
// static destructors would have run.
Registry& registry() {
  static Registry* r = new Registry();
  return *r;
}

}  // namespace

uint64_t registerPool(const std::shared_ptr<pbp::Pool>& pool) { return idOfPool(pool); }

uint64_t idOfPool(const std::shared_ptr<pbp::Pool>& pool) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.prune();
  auto found = r.idByPool.find(pool.get());
  if (found != r.idByPool.end()) return found->second;
  uint64_t id = r.nextId++;
  r.byId[id] = pool;
  r.idByPool[pool.get()] = id;
  return id;
}

std::shared_ptr<pbp::Pool> findPool(uint64_t id) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.byId.find(id);
  return it == r.byId.end() ? nullptr : it->second.lock();
}

}  // namespace pbp_addon

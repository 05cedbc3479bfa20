// Process-wide table of live pools, so a worker thread can attach to a pool another thread of
// this process created, from a structured-clone-able handle that carries only a number.
// Entries are weak: the table never keeps a pool alive.
#pragma once

#include <cstdint>
#include <memory>

#include "../core/pool.h"

namespace pbp_addon {

std::shared_ptr<pbp::Pool> findPool(uint64_t id);
// The id under which `pool` is registered, registering it on first use (createHandle), so only
// pools that are shared ever enter the table.
uint64_t idOfPool(const std::shared_ptr<pbp::Pool>& pool);

}  // namespace pbp_addon

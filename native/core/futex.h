// Sleeping until a word in shared memory changes. On Linux this is futex(2) without the PRIVATE
// flag, so a waiter in one process is woken by a writer in another process that maps the same
// memfd. Elsewhere it degrades to a short sleep-and-recheck loop, which is correct but slower.
#pragma once

#include <cstdint>

namespace pbp {

// Returns when *word != expected, after a wake, or after timeoutMs (spurious returns allowed).
void futexWait(uint32_t* word, uint32_t expected, uint32_t timeoutMs);
void futexWakeAll(uint32_t* word);

}  // namespace pbp

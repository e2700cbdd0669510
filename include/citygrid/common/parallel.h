#pragma once

// Runs independent pieces of CPU-bound work on several cores.

#include <cstddef>
#include <functional>

namespace citygrid {

// Calls body(i) once for every i in [0, n), on up to `max_threads` threads (the calling thread
// is one of them; at most the machine's hardware threads, at least 1). Which thread runs which
// i, and in what order, is unspecified: `body` must only touch what belongs to its i (write
// results into a slot per i, then read them in order after the call). Returns once every call
// has returned. `body` must not throw: an exception escaping it terminates the process.
void ParallelFor(size_t n, unsigned max_threads, const std::function<void(size_t)>& body);

}  // namespace citygrid

#!/usr/bin/env bash
# Builds pbp_native_bench in Release (-O3) and runs it; arguments go to the benchmark:
#   scripts/native-bench.sh                    table (ring vs DPDK rte_ring when libdpdk-dev is
#                                              installed, pool alloc/free)
#   scripts/native-bench.sh --json             one JSON object on stdout (build output: stderr)
#   scripts/native-bench.sh --threads 1,2,4,8  scaling of the take-then-return pattern
#   scripts/native-bench.sh --reps 7 --ms 200  repetitions (median reported) and their length
set -euo pipefail
cd "$(dirname "$0")/.."

dir="${PBP_BENCH_BUILD_DIR:-build-native-release}"
{
  cmake -S native -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O3 -DNDEBUG" \
    -DPBP_BUILD_TESTS=OFF -DPBP_BUILD_BENCH=ON
  cmake --build "$dir" --target pbp_native_bench -j "${JOBS:-$(nproc 2>/dev/null || echo 2)}"
} >&2
exec "$dir/pbp_native_bench" "$@"

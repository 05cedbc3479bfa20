#!/usr/bin/env bash
# Builds the libFuzzer target for the C++ core (native/test/fuzz, with ASan + UBSan) into
# build-fuzz/ and runs it for a bounded time. The committed seed corpus (native/test/fuzz/corpus)
# is replayed first, so every past crash kept there is a regression test; new interesting inputs
# go to the gitignored native/test/fuzz/corpus-work/. A crash or invariant failure is minimized
# and added to the seed corpus, and the script exits 1.
#
#   scripts/fuzz.sh [seconds] [--scribble]
#     seconds     total fuzzing time, the corpus replay included (default 60)
#     --scribble  also honour scribble-mode inputs (PBP_FUZZ_SCRIBBLE=1): arbitrary JS-style
#                 writes into the region and the rings' counters; asserted: no crash, no
#                 sanitizer report, and kIOReturnIOError from a pool that found itself broken
#
# Exit status: 0 clean, 1 crash found (see the seed file named at the end), 2 setup/build error.
# Needs clang with the libFuzzer runtime; on Debian/Ubuntu:
#   apt-get install -y clang libclang-rt-14-dev llvm   (llvm: symbolized stack traces)
# Environment: CXX (default clang++); PBP_FUZZ_SOURCE_ROOT builds the core of another checkout
# (its sources.json and native/core) against this fuzzer.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seconds=60
mode=invariant
for arg in "$@"; do
  case "$arg" in
    --scribble) mode=scribble ;;
    ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [seconds] [--scribble]" >&2; exit 2 ;;
    *) seconds=$arg ;;
  esac
done
# libFuzzer reads -max_total_time=0 as "no limit"; this script always stops.
(( seconds >= 1 )) || { echo "fuzz.sh: seconds must be at least 1" >&2; exit 2; }

cxx=${CXX:-clang++}
src=$(cd "${PBP_FUZZ_SOURCE_ROOT:-$root}" && pwd)
fuzz_dir=native/test/fuzz
seeds=$fuzz_dir/corpus
work=$fuzz_dir/corpus-work/$mode
artifacts=$fuzz_dir/corpus-work/artifacts-$mode
bin=build-fuzz/pool_fuzzer

# The core's source list lives in sources.json (shared with node-gyp and CMake).
core=$(cd "$src" && node -p "require('./sources.json').core.join('\n')" 2>/dev/null ||
       python3 -c "import json; print('\n'.join(json.load(open('sources.json'))['core']))") || {
  echo "fuzz.sh: cannot read the core list from $src/sources.json" >&2; exit 2; }
core_files=()
while IFS= read -r f; do core_files+=("$src/$f"); done <<<"$core"

# Rebuild when the binary is missing, older than any input, or built from another tree or with
# other flags (the command line is kept next to it).
flags=(-std=c++17 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -fsanitize-coverage-ignorelist="$fuzz_dir/coverage-ignorelist.txt" -g -O1
       -fno-omit-frame-pointer -Wall -Wextra -I"$src/native/core")
command_line="$cxx ${flags[*]} $fuzz_dir/pool_fuzzer.cpp ${core_files[*]}"
stale=1
if [[ -x $bin && -f $bin.cmd && $(cat "$bin.cmd") == "$command_line" ]]; then
  newer=$(find "$fuzz_dir" -maxdepth 1 -type f -newer "$bin"; find "$src/native/core" "$src/sources.json" "$0" -newer "$bin")
  [[ -z $newer ]] && stale=0
fi
if (( stale )); then
  mkdir -p build-fuzz
  rm -f "$bin" "$bin.cmd"
  echo "fuzz.sh: building $bin with $cxx"
  if ! "$cxx" "${flags[@]}" "$fuzz_dir/pool_fuzzer.cpp" "${core_files[@]}" -o "$bin.tmp"; then
    echo "fuzz.sh: build failed, see the compiler output above (clang with libFuzzer on Debian:" \
      "apt-get install -y clang libclang-rt-14-dev)" >&2
    exit 2
  fi
  mv "$bin.tmp" "$bin"
  printf '%s' "$command_line" >"$bin.cmd"
fi

mkdir -p "$work"
rm -rf "$artifacts"
mkdir -p "$artifacts"
export PBP_FUZZ_SCRIBBLE=$([[ $mode == scribble ]] && echo 1 || echo 0)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "fuzz.sh: $mode mode, ${seconds}s, seeds $seeds, new inputs in $work"
"$bin" -max_total_time="$seconds" -timeout=20 -max_len=2048 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" "$seeds"
rc=$?

shopt -s nullglob
found=("$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*)
if (( ${#found[@]} == 0 )); then
  if (( rc != 0 )); then echo "fuzz.sh: fuzzer exited with $rc but left no crash file" >&2; exit 2; fi
  echo "fuzz.sh: no crash in ${seconds}s ($mode mode)"
  exit 0
fi

for f in "${found[@]}"; do
  small=$artifacts/min-$(basename "$f")
  echo "fuzz.sh: minimizing $f"
  "$bin" -minimize_crash=1 -max_total_time=60 -timeout=20 -exact_artifact_path="$small" "$f" \
    >"$small.log" 2>&1 || true
  [[ -s $small ]] || cp "$f" "$small"
  # An input already in the seed corpus (a known, still unfixed crash) is not added twice.
  existing=""
  for seed in "$seeds"/*; do
    if cmp -s "$seed" "$small" || cmp -s "$seed" "$f"; then existing=$seed; break; fi
  done
  if [[ -n $existing ]]; then
    echo "fuzz.sh: CRASH: $f is the known regression seed $existing" >&2
    continue
  fi
  name=regress-$([[ $mode == scribble ]] && echo scribble-)$(sha1sum "$small" | cut -c1-12)
  cp "$small" "$seeds/$name"
  echo "fuzz.sh: CRASH: $f -> added $seeds/$name (reproduce: PBP_FUZZ_SCRIBBLE=$PBP_FUZZ_SCRIBBLE PBP_FUZZ_TRACE=1 $bin $seeds/$name)" >&2
done
exit 1

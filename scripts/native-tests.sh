#!/usr/bin/env bash
# Builds and runs the C++ core tests (native/test, GoogleTest + ctest) three ways:
#   plain      build-native       RelWithDebInfo
#   tsan       build-native-tsan  -DPBP_SANITIZE=thread
#   asan       build-native-asan  -DPBP_SANITIZE=address (ASan + UBSan, no recovery)
# Any failure (build, test, sanitizer report) fails the script.
#
#   scripts/native-tests.sh              all three
#   scripts/native-tests.sh tsan asan    just those
#   JOBS=4 PBP_STRESS_SCALE=10 scripts/native-tests.sh plain   longer stress runs
#
# Needs cmake >= 3.20, a C++17 compiler and GoogleTest (Debian: libgtest-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
# halt_on_error: the first report fails the test instead of scrolling by in a passing run.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
export ASAN_OPTIONS="halt_on_error=1 detect_leaks=1 strict_string_checks=1 ${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1 ${UBSAN_OPTIONS:-}"

variants=("$@")
if [ ${#variants[@]} -eq 0 ]; then variants=(plain tsan asan); fi

run_variant() {
  local name="$1" dir sanitize
  case "$name" in
    plain) dir=build-native; sanitize="" ;;
    tsan) dir=build-native-tsan; sanitize=thread ;;
    asan) dir=build-native-asan; sanitize=address ;;
    *) echo "native-tests.sh: unknown variant '$name' (plain, tsan, asan)" >&2; return 2 ;;
  esac
  local start=$SECONDS
  echo "=== native tests: $name ($dir) ==="
  cmake -S native -B "$dir" -DPBP_SANITIZE="$sanitize" -DPBP_WERROR="${PBP_WERROR:-ON}"
  cmake --build "$dir" -j "$JOBS"
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$JOBS"
  echo "=== native tests: $name passed in $((SECONDS - start)) s ==="
}

total=$SECONDS
for v in "${variants[@]}"; do run_variant "$v"; done
echo "=== native tests: all passed (${variants[*]}) in $((SECONDS - total)) s ==="

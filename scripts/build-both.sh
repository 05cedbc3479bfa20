#!/usr/bin/env bash
# Both build systems are real: builds the addon with node-gyp (binding.gyp) and with cmake-js
# (CMakeLists.txt, headers from node-api-headers because package.json declares
# binary.napi_versions, so nothing is downloaded), each in its own temporary copy of the working
# tree, and runs the unit test suite against each binary there. The checkout's own build/ is
# never touched.
# Usage: scripts/build-both.sh [gyp|cmake]...   (default both; JEST_ARGS="--selectProjects unit"
#        is what runs; KEEP_TMP=1 keeps the copies)
set -euo pipefail
source "$(dirname "$0")/temp-copy.sh"
total=$(date +%s)
systems=("$@")
[ ${#systems[@]} -gt 0 ] || systems=(gyp cmake)
read -r -a jest_args <<<"${JEST_ARGS:---selectProjects unit}"
failed=0
summary=()

for system in "${systems[@]}"; do
  case $system in
    gyp) build=(npm run build:gyp) ;;
    cmake) build=(npm run build:native) ;;
    *) echo "unknown build system: $system (gyp or cmake)" >&2; exit 2 ;;
  esac
  work=$(pbp_temp_copy "pbp-build-$system")
  pbp_cleanup_later "$work"
  echo "== $system: ${build[*]} in $work"
  start=$(date +%s)
  (cd "$work" && "${build[@]}" >"$work/build.log" 2>&1) || { tail -40 "$work/build.log"; exit 1; }
  binary=$work/build/Release/packet_buffer_pool.node
  [ -f "$binary" ] || { echo "$system built no $binary" >&2; exit 1; }
  built=$(pbp_elapsed "$start")
  # dist/ for the worker and child-process fixtures; after the binary, which its ESM step loads.
  (cd "$work" && npm run --silent build:ts)
  # The loader must pick exactly this binary: the copy has no prebuilds/ (git-ignored, not copied).
  loaded=$(cd "$work" && node -p "require('node-gyp-build').resolve('.')")
  [ "$loaded" = "$binary" ] || { echo "loader picks $loaded, not $binary" >&2; exit 1; }
  echo "$system binary: $(stat -c %s "$binary") bytes, built in $built s; running jest ${jest_args[*]}"
  start=$(date +%s)
  if (cd "$work" && npx jest "${jest_args[@]}" 2>&1 | tee "$work/jest.log" | grep -E '^(PASS|FAIL|Tests:|Test Suites:)|●'); then :; fi
  result=$(grep -E '^Tests:' "$work/jest.log" || echo 'Tests: none ran')
  if grep -qE '^Tests:.*failed' "$work/jest.log" || ! grep -qE '^Tests:.*passed' "$work/jest.log"; then
    failed=1
  fi
  summary+=("$(printf '%-6s build %4s s, tests %4s s: %s' "$system" "$built" "$(pbp_elapsed "$start")" "$result")")
done

printf '%s\n' "${summary[@]}"
echo "build-both: $([ $failed = 0 ] && echo 'all passed' || echo FAILED) ($(pbp_elapsed "$total") s)"
exit $failed

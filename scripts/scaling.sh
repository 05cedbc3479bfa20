#!/usr/bin/env bash
# How the pool scales with cores. Runs, on whatever machine it is on (meant for a
# 16-core Linux box):
#   C++  the core's ring (take-then-return, single and bulk-32) and pool (alloc/free one by one
#        and in bursts of 32, cacheSize 256 and 0, one thread slot per thread) at 1/2/4/8/16
#        threads (pbp_native_bench), next to DPDK's rte_ring when libdpdk is installed;
#   JS   1/2/4/8 worker threads on one pool through the public API: allocatePacket +
#        deallocatePacket, and the queue handoff (N/2 sender/receiver pairs, each over its own
#        packet queue) (npm run bench's workers scenarios, PBP_BENCH_WORKERS=1,2,4,8);
# then prints one table and writes one JSON summary (total throughput, speed-up over one thread,
# the issue's target: 8 workers >= 6x one worker).
#
# Needs only what a copy of the repository with node_modules and a built addon has (dist/, the
# addon in build/Release, node_modules/node-gyp-build; dist/ and the compiled bench in build-ts/
# are made with node_modules/typescript only when missing, so a copy that carries them needs no
# TypeScript), node, and a C++17 compiler for the C++
# part (g++ or clang++; no cmake). Without a compiler the C++ part is skipped unless
# PBP_NATIVE_BENCH names a prebuilt pbp_native_bench. Without node on PATH, PBP_NODE_GZ may name
# a gzipped node binary to unpack (e.g. `gzip -c $(command -v node) > build-device/node.gz` on a
# machine that has one; build-*/ is ignored by git). No network.
#
#   bash scripts/scaling.sh                 everything, summary in scaling-<host>.json
#   THREADS=1,2,4 WORKERS=1,2 bash scripts/scaling.sh     other counts
#   ROUNDS=3 REPS=5 MS=200 OUT=file.json bash scripts/scaling.sh
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS=${THREADS:-1,2,4,8,16}
WORKERS=${WORKERS:-1,2,4,8}
ROUNDS=${ROUNDS:-3}
REPS=${REPS:-5}
MS=${MS:-200}
OUT=${OUT:-scaling-$(hostname -s 2>/dev/null || echo host).json}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pbp-scaling.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
started=$(date +%s)
if ! command -v node >/dev/null && [ -n "${PBP_NODE_GZ:-}" ]; then
  mkdir -p "$tmp/bin" && gzip -dc "$PBP_NODE_GZ" >"$tmp/bin/node" && chmod +x "$tmp/bin/node"
  export PATH=$tmp/bin:$PATH
fi
command -v node >/dev/null || { echo "scaling: no node on PATH (set PBP_NODE_GZ)" >&2; exit 1; }
echo "scaling: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), node $(node -v)" >&2

# ---- the package: dist/ and the addon must load ---------------------------------------------------
if [ ! -e dist/index.js ]; then
  echo "scaling: compiling the TypeScript (dist/ is missing)" >&2
  node node_modules/typescript/bin/tsc -p tsconfig.build.json
  node scripts/write-esm-wrapper.js
fi
node -e "require('.')" || { echo "scaling: the package does not load (build the addon: npm run build:gyp)" >&2; exit 1; }

# ---- C++: build pbp_native_bench without cmake ----------------------------------------------------
native=${PBP_NATIVE_BENCH:-}
if [ -z "$native" ]; then
  cxx=${CXX:-$(command -v g++ || command -v clang++ || command -v c++ || true)}
  if [ -n "$cxx" ]; then
    native=$tmp/pbp_native_bench
    dpdk_flags=()
    if command -v pkg-config >/dev/null && pkg-config --exists libdpdk 2>/dev/null; then
      # shellcheck disable=SC2207
      dpdk_flags=($(pkg-config --cflags libdpdk) -DPBP_HAVE_DPDK=1 "-DPBP_DPDK_VERSION=\"$(pkg-config --modversion libdpdk)\""
        $(pkg-config --libs libdpdk))
      echo "scaling: building pbp_native_bench with the DPDK $(pkg-config --modversion libdpdk) comparison" >&2
    else
      echo "scaling: building pbp_native_bench without DPDK (pkg-config libdpdk not found)" >&2
    fi
    core=$(node -p "require('./sources.json').core.join(' ')")
    # shellcheck disable=SC2086
    "$cxx" -std=c++17 -O3 -DNDEBUG -pthread -Inative/core -Inative/bench native/bench/bench_main.cpp \
      native/bench/bench_dpdk.cpp $core "${dpdk_flags[@]}" -o "$native"
  else
    echo "scaling: no C++ compiler and no PBP_NATIVE_BENCH: skipping the C++ part" >&2
  fi
fi
if [ -n "$native" ]; then
  echo "scaling: C++ ring and pool at $THREADS threads ($REPS x $MS ms each)" >&2
  "$native" --json --threads "$THREADS" --pool-threads "$THREADS" --reps "$REPS" --ms "$MS" >"$tmp/native.json"
else
  echo '{"results":[]}' >"$tmp/native.json"
fi

# ---- JS: worker threads on one pool ---------------------------------------------------------------
echo "scaling: JS workers $WORKERS ($ROUNDS rounds)" >&2
if [ ! -e build-ts/bench/run.js ]; then
  node node_modules/typescript/bin/tsc -p tsconfig.bench.json # the bench (bench/*.ts) -> build-ts/bench
fi
PBP_BENCH_WORKERS=$WORKERS node build-ts/bench/run.js --json --filter workers --rounds "$ROUNDS" >"$tmp/js.json"

# ---- summary --------------------------------------------------------------------------------------
node - "$tmp/native.json" "$tmp/js.json" "$OUT" "$THREADS" "$WORKERS" "$(($(date +%s) - started))" <<'JS'
const fs = require('node:fs');
const os = require('node:os');
const [nativeFile, jsFile, out, threadList, workerList, seconds] = process.argv.slice(2);
const native = JSON.parse(fs.readFileSync(nativeFile, 'utf8'));
const js = JSON.parse(fs.readFileSync(jsFile, 'utf8'));
const threads = threadList.split(',').map(Number);
const workers = workerList.split(',').map(Number);
const nativeBy = new Map(native.results.map((r) => [r.name, r]));
const jsBy = new Map(js.results.map((r) => [r.name, r]));

// C++: nsPerOp is per object as each thread sees it, so total throughput is threads / nsPerOp.
// JS: nsPerOp is wall time / operations of all workers, so throughput is 1 / nsPerOp.
const rows = [];
function family(label, points) {
  const base = points.find((p) => p.n === 1 && p.mops !== null);
  for (const p of points) {
    rows.push({ family: label, n: p.n, name: p.name, nsPerOp: p.nsPerOp, mopsTotal: p.mops,
      speedup: base && p.mops !== null ? p.mops / base.mops : null });
  }
}
const nativeName = (base, n) => (base.startsWith('pool.') && n === 1 ? base : `${base}.${n}t`);
for (const base of ['ring.single', 'ring.bulk32', 'dpdk.single', 'dpdk.bulk32', 'pool.alloc-free.cache256',
  'pool.alloc-free.cache0', 'pool.burst-bulk32.cache256', 'pool.burst-bulk32.cache0']) {
  const points = threads.map((n) => {
    const r = nativeBy.get(nativeName(base, n));
    return { n, name: nativeName(base, n), nsPerOp: r ? r.nsPerOp : null, mops: r ? (n * 1e3) / r.nsPerOp : null };
  });
  if (points.some((p) => p.nsPerOp !== null)) family(`C++ ${base}`, points);
}
const jsName = (kind, n) => (kind === 'alloc-free' ? `pool.workers${n}.alloc-free` : `queue.workers${n}.handoff`);
for (const kind of ['alloc-free', 'handoff']) {
  const points = workers
    .filter((n) => kind === 'alloc-free' || n % 2 === 0)
    .map((n) => {
      const r = jsBy.get(jsName(kind, n));
      return { n, name: jsName(kind, n), nsPerOp: r ? r.nsPerOp : null, mops: r ? 1e3 / r.nsPerOp : null };
    });
  // The handoff's unit is a pair; its speed-up is over one pair (2 workers).
  if (kind === 'handoff') {
    const base = points.find((p) => p.n === 2 && p.mops !== null);
    for (const p of points) rows.push({ family: 'JS queue handoff (pairs)', n: p.n, name: p.name, nsPerOp: p.nsPerOp,
      mopsTotal: p.mops, speedup: base && p.mops !== null ? p.mops / base.mops : null });
  } else family('JS alloc-free', points);
}

const w1 = jsBy.get('pool.workers1.alloc-free');
const w8 = jsBy.get('pool.workers8.alloc-free');
const target = w1 && w8 ? { name: '8 workers >= 6x one worker (alloc-free)', value: w1.nsPerOp / w8.nsPerOp, pass: w1.nsPerOp / w8.nsPerOp >= 6 } : null;
const summary = { host: os.hostname(), cpus: os.cpus().length, cpu: (os.cpus()[0] || {}).model, node: process.version,
  dpdk: native.dpdk ?? null, seconds: Number(seconds), target, rows, native, js };
fs.writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);

const fmt = (v, d) => (v === null || v === undefined ? '-' : v.toFixed(d));
console.log(`${summary.cpus} CPUs, ${summary.cpu}, node ${summary.node}, DPDK ${summary.dpdk ?? 'none'}`);
console.log(`${'family'.padEnd(34)} ${'n'.padStart(3)} ${'ns/op'.padStart(10)} ${'Mops/s total'.padStart(13)} ${'speed-up'.padStart(9)}`);
for (const r of rows) {
  console.log(`${r.family.padEnd(34)} ${String(r.n).padStart(3)} ${fmt(r.nsPerOp, 2).padStart(10)} ${fmt(r.mopsTotal, 2).padStart(13)} ${(r.speedup === null ? '-' : `${r.speedup.toFixed(2)}x`).padStart(9)}`);
}
if (target) console.log(`target: ${target.name}: ${target.value.toFixed(2)}x ${target.pass ? 'PASS' : 'FAIL'}`);
console.log(`summary written to ${out} (${seconds} s)`);
JS

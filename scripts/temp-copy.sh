# Sourced by the packaging scripts. Copies the working tree (tracked files plus untracked files
# git does not ignore) into a fresh temporary directory, so that builds there (prebuildify,
# node-gyp, cmake-js all write build/ in their cwd) never touch the checkout's own build/,
# which tests may be using at the same time. node_modules is linked, not copied.
#
#   source scripts/temp-copy.sh
#   dir=$(pbp_temp_copy pbp-pack)      # prints the new directory
#   pbp_cleanup_later "$dir"           # removed when the calling shell exits (KEEP_TMP=1 keeps it)

PBP_ROOT=${PBP_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
PBP_TMP_DIRS=()

pbp_temp_copy() {
  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  (cd "$PBP_ROOT" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -xf - -C "$dir"
  ln -s "$PBP_ROOT/node_modules" "$dir/node_modules"
  echo "$dir"
}

pbp_cleanup_later() {
  PBP_TMP_DIRS+=("$@")
  trap pbp_cleanup EXIT
}

pbp_cleanup() {
  if [ "${KEEP_TMP:-0}" = 1 ]; then
    echo "kept: ${PBP_TMP_DIRS[*]}" >&2
  else
    rm -rf "${PBP_TMP_DIRS[@]}"
  fi
}

# Prints elapsed seconds since the given `date +%s` value, for the timing lines CI logs show.
pbp_elapsed() { echo $(($(date +%s) - $1)); }

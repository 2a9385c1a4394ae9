# shellcheck shell=bash
# Sourced by the scripts that build a pinned Go binary into .cache/bin
# (build-nomad.sh, build-vault.sh, build-consul.sh, build-opentofu.sh).
#
#   build_once <name> <bin> <what, for the log> <command...>
#
# Runs `<command...> <temporary output path>` once, then moves the result to
# <bin>: one build at a time, also across parallel test workers (a lock
# beside the binary); the loser of the race finds the binary there when it
# gets the lock. A half-written binary never sits at <bin>.
build_once() {
  local name=$1 bin=$2 what=$3
  shift 3
  [ -x "$bin" ] && return 0
  mkdir -p "$(dirname "$bin")"
  exec 9>"$(dirname "$bin")/.build-$name.lock"
  flock 9
  if [ ! -x "$bin" ]; then
    echo "build-$name: building $what" >&2
    local start tmp="$bin.tmp.$$"
    start=$(date +%s)
    "$@" "$tmp"
    mv "$tmp" "$bin"
    echo "build-$name: built $bin in $(( $(date +%s) - start ))s" >&2
  fi
  flock -u 9
  exec 9>&-
}

#!/usr/bin/env bash
# Installs Debian packages for the test setup: as root, without recommends,
# quietly, waiting for another apt run to finish (the setup scripts may run
# side by side), and without starting the services packages bring along
# (policy-rc.d) so that a real machine keeps its own.
#   apt-install.sh <who is asking> <package>...
set -euo pipefail
who=$1
shift
if [ "$(id -u)" -ne 0 ]; then
  echo "$who: need root to apt-get install $*" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
fi
trap 'if [ "$created_policy" -eq 1 ]; then rm -f "$policy"; fi' EXIT
apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null

#!/usr/bin/env bash
# Installs Debian's Chromium for the e2e suite's web UI check
# (test/e2e/ui.e2e.test.ts drives it headless through playwright-core, which
# never downloads a browser of its own). Idempotent: nothing to do when
# /usr/bin/chromium exists.
set -euo pipefail
[ -x "${CHROMIUM_BIN:-/usr/bin/chromium}" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: need root to apt-get install chromium (or set CHROMIUM_BIN)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Another apt run (a parallel setup script) may hold the lock: wait for it.
apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version >&2

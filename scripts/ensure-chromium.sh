#!/usr/bin/env bash
# Installs Debian's Chromium for the e2e suite's web UI check
# (test/e2e/ui.e2e.test.ts drives it headless through playwright-core, which
# never downloads a browser of its own). Idempotent: nothing to do when
# /usr/bin/chromium exists.
set -euo pipefail
[ -x "${CHROMIUM_BIN:-/usr/bin/chromium}" ] && exit 0
bash "$(dirname "$0")/apt-install.sh" ensure-chromium chromium
/usr/bin/chromium --version >&2

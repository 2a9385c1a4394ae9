#!/usr/bin/env bash
# Installs the SPDX project's own validator (spdx-tools, Apache-2.0, from
# PyPI) into .cache/venv-spdx, for the test that holds `nomad-wasm sbom
# --format spdx` to the SPDX 2.3 specification (test/policy/sbom.test.ts).
# Prints the path of its `pyspdxtools` as the last line. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
SPDX_TOOLS_VERSION=0.8.5
VENV=$PWD/.cache/venv-spdx
if ! "$VENV/bin/pyspdxtools" --version 2>/dev/null | grep -q "$SPDX_TOOLS_VERSION" &&
  ! "$VENV/bin/pip" show spdx-tools 2>/dev/null | grep -q "^Version: $SPDX_TOOLS_VERSION$"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "spdx-tools==$SPDX_TOOLS_VERSION" >&2
fi
echo "$VENV/bin/pyspdxtools"

#!/usr/bin/env bash
# Builds the OpenTofu CLI the Terraform suite (test/terraform/) applies with,
# from OpenTofu's published Go module (never from copied source) at the
# version pinned in test/opentofu/go.mod, into .cache/bin/tofu-<version>.
# OpenTofu is MPL-2.0; Terraform >= 1.6 is BUSL and is never built or run here.
#
# Idempotent: does nothing when the binary is already there. Uses the normal
# Go module and build caches. `version.dev=no` makes it a release build
# (otherwise it reports itself as "-dev").
#
# Prints progress and timing on stderr, the binary's path as the last line on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build-once.sh
TOFU_VERSION=1.10.10
BIN=$PWD/.cache/bin/tofu-$TOFU_VERSION

build_tofu() {
  (cd test/opentofu && CGO_ENABLED=0 nice -n 10 go build -buildvcs=false -trimpath \
    -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" \
    -o "$1" github.com/opentofu/opentofu/cmd/tofu)
}
if [ ! -x "$BIN" ]; then
  command -v go >/dev/null || { echo "build-opentofu: go is not installed (OpenTofu $TOFU_VERSION needs Go >= 1.24)" >&2; exit 1; }
  build_once opentofu "$BIN" "OpenTofu $TOFU_VERSION from its Go module (cold caches: several minutes on 2 cores)" build_tofu
fi
# Whole output first: `| head -1` would SIGPIPE tofu and fail under pipefail.
version=$(env -u TF_CLI_CONFIG_FILE "$BIN" version 2>/dev/null)
echo "${version%%$'\n'*}" >&2
echo "$BIN"

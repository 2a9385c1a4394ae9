#!/usr/bin/env bash
# Builds this repository's Terraform/OpenTofu provider (terraform/provider)
# into a filesystem mirror, in the unpacked layout OpenTofu and Terraform
# install from without any registry:
#   .cache/terraform/mirror/nomad-driver-wasm.local/nomad-driver-wasm/nomadwasm/<version>/linux_amd64/terraform-provider-nomadwasm_v<version>
# The version is the driver's (package.json). Go's build cache makes a
# rebuild of unchanged sources a link step. Prints the mirror dir as the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VERSION=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' package.json | head -1)
OS_ARCH=$(go env GOOS)_$(go env GOARCH)
MIRROR=$ROOT/.cache/terraform/mirror
DIR=$MIRROR/nomad-driver-wasm.local/nomad-driver-wasm/nomadwasm/$VERSION/$OS_ARCH
mkdir -p "$DIR"
exec 9>"$ROOT/.cache/terraform/.build-provider.lock"
flock 9
start=$(date +%s)
(cd terraform/provider && CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags "-s -w -X main.version=$VERSION" \
  -o "$DIR/terraform-provider-nomadwasm_v$VERSION.tmp" .)
mv "$DIR/terraform-provider-nomadwasm_v$VERSION.tmp" "$DIR/terraform-provider-nomadwasm_v$VERSION"
echo "build-terraform-provider: v$VERSION ($OS_ARCH) in $(( $(date +%s) - start ))s" >&2
echo "$MIRROR"

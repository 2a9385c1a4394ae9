#!/usr/bin/env bash
# Installs what test/oci needs: the CNCF distribution registry (Debian package
# docker-registry, binary /usr/bin/docker-registry), htpasswd (apache2-utils)
# for the basic-auth flavour, and openssl for the token flavour's signing cert.
# Idempotent and quiet: does nothing when all three are present.
# (test/oci/referrers-api.test.ts also needs Go, which the project needs anyway.)
set -euo pipefail

missing=()
command -v docker-registry >/dev/null 2>&1 || [ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-registry: need root to apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# --no-install-recommends: the registry needs no more; policy-rc.d keeps
# the package's own systemd/init service from starting on a real machine.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
fi
trap 'if [ "$created_policy" -eq 1 ]; then rm -f "$policy"; fi' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

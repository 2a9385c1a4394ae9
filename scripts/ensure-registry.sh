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

bash "$(dirname "$0")/apt-install.sh" ensure-registry "${missing[@]}"

#!/usr/bin/env bash
# shellcheck disable=SC2317  # the check functions below are called through check(), which shellcheck 0.9 cannot see
# Linters and format checks, run by the test command before any suite
# (OpenTofu's fmt and validate run with the Terraform suite, which builds
# tofu: test/terraform/lint.test.ts). Each check prints what to run to fix
# what it found.
#   TypeScript: ESLint (typescript-eslint, type-checked rules) and Prettier
#   Go:         gofmt, go vet and staticcheck over every Go module we own
#   shell:      shellcheck over scripts/, .ci/ and the launchers
#   lint.sh [results-file]   one "PASS <check>" / "FAIL <check>" line per check
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export PATH=$PWD/node_modules/.bin:$PATH
results=${1:-/dev/null}
: >"$results"
status=0
check() { # name, hint, command...
  local name=$1 hint=$2
  shift 2
  if "$@"; then
    echo "PASS $name" >>"$results"
  else
    echo "lint: $name found problems: $hint" >&2
    echo "FAIL $name" >>"$results"
    status=1
  fi
}

# Our own Go modules; the wrappers that only build third-party servers
# (test/nomad-agent, test/vault-server, ...) hold no code of ours.
GO_MODULES=(terraform/provider scripts/licence-gate test/conformance test/bench/loadgen test/oci/referrers-registry)
STATICCHECK=$PWD/.cache/bin/staticcheck

gofmt_clean() {
  local unformatted
  unformatted=$(gofmt -l "${GO_MODULES[@]}")
  [ -z "$unformatted" ] || { echo "$unformatted" >&2 && return 1; }
}
go_vet_and_staticcheck() {
  if [ ! -x "$STATICCHECK" ] || [ scripts/lint-tools/go.mod -nt "$STATICCHECK" ]; then
    mkdir -p .cache/bin
    (cd scripts/lint-tools && go build -o "$STATICCHECK" honnef.co/go/tools/cmd/staticcheck) || return 1
  fi
  local module failed=0
  for module in "${GO_MODULES[@]}"; do
    (cd "$module" && go vet ./... && "$STATICCHECK" ./...) || failed=1
  done
  return "$failed"
}
shellcheck_clean() {
  command -v shellcheck >/dev/null || bash scripts/apt-install.sh lint shellcheck || return 1
  shellcheck scripts/*.sh scripts/lib/*.sh .ci/run plugins/wasm bin/nomad-wasm
}

check eslint 'npx eslint --fix . fixes some; the rest by hand' eslint --max-warnings 0 .
check prettier 'npm run format' prettier --check --log-level warn .
check gofmt 'gofmt -w on the files listed' gofmt_clean
check 'go vet and staticcheck' 'see the findings above' go_vet_and_staticcheck
check shellcheck 'see the findings above' shellcheck_clean

[ "$status" -eq 0 ] && echo 'lint: clean (ESLint, Prettier, gofmt, go vet, staticcheck, shellcheck)'
exit "$status"

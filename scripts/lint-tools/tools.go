//go:build tools

// Package tools pins the Go linters the test command runs (scripts/lint.sh):
// built from this module, so their versions and licences are checked like
// every other dependency (scripts/licence-gate).
package tools

import _ "honnef.co/go/tools/cmd/staticcheck"

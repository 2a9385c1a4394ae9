//go:build tools

// Package tools only exists to make `go build github.com/open-policy-agent/opa`
// resolve through this module's pinned dependencies.
package tools

import _ "github.com/open-policy-agent/opa"

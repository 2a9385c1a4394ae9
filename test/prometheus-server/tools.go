//go:build tools

// Package tools only exists to make `go build github.com/prometheus/prometheus/cmd/prometheus`
// resolve through this module's pinned dependencies.
package tools

import _ "github.com/prometheus/prometheus/cmd/prometheus"

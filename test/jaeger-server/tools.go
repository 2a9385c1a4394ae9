//go:build tools

// Package tools only exists to make `go build github.com/jaegertracing/jaeger/cmd/jaeger`
// resolve through this module's pinned dependencies.
package tools

import _ "github.com/jaegertracing/jaeger/cmd/jaeger"

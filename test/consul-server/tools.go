//go:build tools

// Package tools only exists to make `go build github.com/hashicorp/consul`
// resolve through this module's pinned dependencies.
package tools

import _ "github.com/hashicorp/consul"

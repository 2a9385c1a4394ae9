// A WASI preview1 *reactor*, as Go builds one with -buildmode=c-shared: it
// exports _initialize and a function for its host to call, and no _start.
// The driver must refuse it (it runs preview1 modules as commands only).
//
// build-flags: -buildmode=c-shared (read by scripts/components/go.ts)
package main

//go:wasmexport add
func add(a, b int32) int32 {
	return a + b
}

func main() {}

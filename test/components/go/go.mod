// Go programs the test command builds with GOOS=wasip1 (scripts/components/go.ts):
// WASI preview1 core modules, as the Go toolchain makes them.
module nomad-driver-wasm/test/components/go

go 1.26

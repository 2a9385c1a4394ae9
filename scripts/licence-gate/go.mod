// The licence gate (run by scripts/test-all.sh): every Go module that a Go
// module of this repository depends on, and every npm package in the lock
// file, must be under an open-source licence.
module nomad-driver-wasm/scripts/licence-gate

go 1.21

require github.com/google/licensecheck v0.3.1

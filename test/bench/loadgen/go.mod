module nomad-driver-wasm/bench/loadgen

go 1.24

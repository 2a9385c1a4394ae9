// A Go command that imports a host function of another runtime
// (//go:wasmimport env host_log), not WASI: the driver must refuse it,
// naming the import.
package main

import "unsafe"

//go:wasmimport env host_log
func hostLog(ptr unsafe.Pointer, length uint32)

func main() {
	message := []byte("hello")
	hostLog(unsafe.Pointer(&message[0]), uint32(len(message)))
}

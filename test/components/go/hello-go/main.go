// A Go program as a user writes it, built with GOOS=wasip1 GOARCH=wasm:
// prints a greeting, its arguments and one environment variable, and exits
// with the code given as its first argument (default 0).
package main

import (
	"fmt"
	"os"
	"strconv"
)

func main() {
	fmt.Println("hello from Go on wasip1")
	fmt.Fprintf(os.Stderr, "args=%q GREETING=%q\n", os.Args[1:], os.Getenv("GREETING"))
	if len(os.Args) > 1 {
		if code, err := strconv.Atoi(os.Args[1]); err == nil {
			os.Exit(code)
		}
	}
}

// A Go command built with GOOS=wasip1 GOARCH=wasm, as a user builds one,
// that does what its arguments say, so that tests can see what a WASI
// preview1 module is granted through the preview1 adapter:
//
//	hello                 greeting on stdout, a line on stderr
//	args                  its arguments, one per line
//	env NAME...           NAME=value (or NAME unset) per name
//	exit N                os.Exit(N)
//	read PATH             the file's content on stdout
//	write PATH TEXT       writes TEXT to PATH
//	ls DIR                the directory's entries, one per line
//	alloc MIB             allocates and touches MIB MiB (the memory ceiling)
//	sleep MS              sleeps, then prints "slept"
//
// Failures print "error: ..." on stderr and exit 1.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: wasip1-probe <command> [args]"))
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "hello":
		fmt.Println("hello from Go on wasip1")
		fmt.Fprintln(os.Stderr, "a line on stderr")
	case "args":
		for _, arg := range os.Args {
			fmt.Println(arg)
		}
	case "env":
		for _, name := range args {
			if value, ok := os.LookupEnv(name); ok {
				fmt.Printf("%s=%s\n", name, value)
			} else {
				fmt.Printf("%s unset\n", name)
			}
		}
	case "exit":
		code, err := strconv.Atoi(arg(args, 0))
		if err != nil {
			fail(err)
		}
		fmt.Printf("exiting with %d\n", code)
		os.Exit(code)
	case "read":
		data, err := os.ReadFile(arg(args, 0))
		if err != nil {
			fail(err)
		}
		os.Stdout.Write(data)
	case "write":
		if err := os.WriteFile(arg(args, 0), []byte(arg(args, 1)), 0o644); err != nil {
			fail(err)
		}
		fmt.Println("written")
	case "ls":
		entries, err := os.ReadDir(arg(args, 0))
		if err != nil {
			fail(err)
		}
		for _, entry := range entries {
			fmt.Println(entry.Name())
		}
	case "alloc":
		mib, err := strconv.Atoi(arg(args, 0))
		if err != nil {
			fail(err)
		}
		chunks := make([][]byte, 0, mib)
		for i := 0; i < mib; i++ {
			chunk := make([]byte, 1<<20)
			for j := range chunk {
				chunk[j] = byte(j)
			}
			chunks = append(chunks, chunk)
		}
		fmt.Printf("allocated %d MiB\n", len(chunks))
	case "sleep":
		ms, err := strconv.Atoi(arg(args, 0))
		if err != nil {
			fail(err)
		}
		time.Sleep(time.Duration(ms) * time.Millisecond)
		fmt.Println("slept")
	default:
		fail(fmt.Errorf("unknown command %q", os.Args[1]))
	}
}

func arg(args []string, i int) string {
	if i >= len(args) {
		fail(fmt.Errorf("missing argument %d", i+1))
	}
	return args[i]
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "error: %v\n", err)
	os.Exit(1)
}

// A registry that implements the OCI referrers API, for test/oci: the
// reference in-memory registry of go-containerregistry (pkg/registry) with
// its referrers support switched on. Distribution 2.8 (the Debian
// docker-registry the other tests use) has no referrers API.
//
// Usage: referrers-registry <listen address, e.g. 127.0.0.1:0>
// Prints "listening on <host:port>" once it accepts connections.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := "127.0.0.1:0"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", listener.Addr())
	handler := registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(os.Stderr, "", 0)))
	log.Fatal(http.Serve(listener, handler))
}

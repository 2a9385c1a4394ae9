// terraform-provider-nomadwasm: the Terraform/OpenTofu provider of
// nomad-driver-wasm. It deploys WebAssembly components as Nomad jobs, resolves
// and verifies components with the driver's own CLI, and manages the Nomad
// namespaces and plain jobs an environment needs beside them.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/nomad-driver-wasm/terraform-provider-nomadwasm/internal/provider"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	debug := flag.Bool("debug", false, "run with support for debuggers like delve")
	flag.Parse()
	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: provider.SourceAddress,
		Debug:   *debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}

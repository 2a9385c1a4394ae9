// Package provider implements the nomadwasm provider: one configured Nomad
// API client and the path of the driver's CLI, shared by its resources and
// data sources.
package provider

import (
	"context"
	"os"

	"github.com/hashicorp/nomad/api"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// SourceAddress is clearly ours (not hashicorp/nomad): the provider is
// installed from a filesystem mirror, no registry serves it.
const SourceAddress = "nomad-driver-wasm.local/nomad-driver-wasm/nomadwasm"

type nomadWasmProvider struct{ version string }

// clients is what Configure hands to every resource and data source.
type clients struct {
	nomad *api.Client
	cli   string
}

type providerModel struct {
	Address  types.String `tfsdk:"address"`
	Region   types.String `tfsdk:"region"`
	SecretID types.String `tfsdk:"secret_id"`
	CLIPath  types.String `tfsdk:"cli_path"`
}

func New(version string) func() provider.Provider {
	return func() provider.Provider { return &nomadWasmProvider{version: version} }
}

func (p *nomadWasmProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "nomadwasm"
	resp.Version = p.version
}

func (p *nomadWasmProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Deploys WebAssembly components onto Nomad clients running nomad-driver-wasm.",
		Attributes: map[string]schema.Attribute{
			"address":   schema.StringAttribute{Optional: true, Description: "Nomad HTTP API address (same name as the official Nomad provider). Default: $NOMAD_ADDR, else http://127.0.0.1:4646."},
			"region":    schema.StringAttribute{Optional: true, Description: "Nomad region. Default: $NOMAD_REGION."},
			"secret_id": schema.StringAttribute{Optional: true, Sensitive: true, Description: "Nomad ACL token. Default: $NOMAD_TOKEN."},
			"cli_path":  schema.StringAttribute{Optional: true, Description: "Path of the driver's `nomad-wasm` CLI, used to inspect and verify components. Default: $NOMAD_WASM_CLI, else `nomad-wasm` on PATH."},
		},
	}
}

func (p *nomadWasmProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var model providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	config := api.DefaultConfig() // reads NOMAD_ADDR, NOMAD_REGION, NOMAD_TOKEN
	if v := model.Address.ValueString(); v != "" {
		config.Address = v
	}
	if v := model.Region.ValueString(); v != "" {
		config.Region = v
	}
	if v := model.SecretID.ValueString(); v != "" {
		config.SecretID = v
	}
	client, err := api.NewClient(config)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("address"), "Cannot configure the Nomad client", err.Error())
		return
	}
	cli := model.CLIPath.ValueString()
	if cli == "" {
		cli = os.Getenv("NOMAD_WASM_CLI")
	}
	if cli == "" {
		cli = "nomad-wasm"
	}
	c := &clients{nomad: client, cli: cli}
	resp.ResourceData = c
	resp.DataSourceData = c
}

func (p *nomadWasmProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{newServiceResource, newNamespaceResource, newJobResource}
}

func (p *nomadWasmProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{newComponentDataSource}
}

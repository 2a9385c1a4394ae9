package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The Terraform shape of a nomadwasm_service. Nested objects are pointers
// (nil = not set) and leaves are framework values, so null stays null.
type serviceModel struct {
	ID                types.String                  `tfsdk:"id"`
	Name              types.String                  `tfsdk:"name"`
	Namespace         types.String                  `tfsdk:"namespace"`
	Datacenters       types.List                    `tfsdk:"datacenters"`
	NodeClass         types.String                  `tfsdk:"node_class"`
	Count             types.Int64                   `tfsdk:"instance_count"`
	Component         types.String                  `tfsdk:"component"`
	HTTPInstance      types.String                  `tfsdk:"http_instance"`
	CPU               types.Int64                   `tfsdk:"cpu"`
	Memory            types.Int64                   `tfsdk:"memory"`
	Grants            *grantsModel                  `tfsdk:"grants"`
	Secrets           map[string]secretModel        `tfsdk:"secrets"`
	KeyValueStores    map[string]keyValueStoreModel `tfsdk:"key_value_stores"`
	ConfigKeys        types.List                    `tfsdk:"config_keys"`
	ConfigValues      types.Map                     `tfsdk:"config_values"`
	SecretEnv         types.Map                     `tfsdk:"secret_env"`
	VaultPolicies     types.List                    `tfsdk:"vault_policies"`
	AllowServices     types.List                    `tfsdk:"allow_services"`
	Service           *serviceBlockModel            `tfsdk:"service"`
	WaitForDeployment types.Bool                    `tfsdk:"wait_for_deployment"`
	DeploymentTimeout types.String                  `tfsdk:"deployment_timeout"`
	PurgeOnDestroy    types.Bool                    `tfsdk:"purge_on_destroy"`
	JobVersion        types.Int64                   `tfsdk:"job_version"`
	ModifyIndex       types.String                  `tfsdk:"modify_index"`
	DeploymentID      types.String                  `tfsdk:"deployment_id"`
	DeploymentStatus  types.String                  `tfsdk:"deployment_status"`
}

// grantsModel: what the component may use beyond stdio, clocks and
// randomness (the driver denies everything else).
type grantsModel struct {
	Env       types.Map    `tfsdk:"env"`
	PassEnv   types.List   `tfsdk:"pass_env"`
	AllowHTTP types.List   `tfsdk:"allow_http"`
	Mounts    []mountModel `tfsdk:"mounts"`
	MemoryMax types.Int64  `tfsdk:"memory_max"`
}

type mountModel struct {
	Source      types.String `tfsdk:"source"`
	Destination types.String `tfsdk:"destination"`
	Readonly    types.Bool   `tfsdk:"readonly"`
}

// secretModel: a `secret "<name>" { path, field, version }` block of the
// task config: one Vault read (KV v2, a dynamic engine...) the driver's task
// host makes at start, renews and revokes; the value never passes through
// Terraform or Nomad.
type secretModel struct {
	Path    types.String `tfsdk:"path"`
	Field   types.String `tfsdk:"field"`
	Version types.Int64  `tfsdk:"version"`
}

type serviceBlockModel struct {
	Name     types.String `tfsdk:"name"`
	Provider types.String `tfsdk:"provider"`
	Tags     types.List   `tfsdk:"tags"`
	Checks   []checkModel `tfsdk:"checks"`
}

type checkModel struct {
	Type     types.String `tfsdk:"type"`
	Path     types.String `tfsdk:"path"`
	Interval types.String `tfsdk:"interval"`
	Timeout  types.String `tfsdk:"timeout"`
}

// httpPortLabel: the one port a Wasm service listens on.
const httpPortLabel = "http"

func listOf(values []string) types.List {
	elements := make([]attr.Value, 0, len(values))
	for _, v := range values {
		elements = append(elements, types.StringValue(v))
	}
	return types.ListValueMust(types.StringType, elements)
}

func mapOf(values map[string]string) types.Map {
	elements := make(map[string]attr.Value, len(values))
	for k, v := range values {
		elements[k] = types.StringValue(v)
	}
	return types.MapValueMust(types.StringType, elements)
}

func stringsOf(list types.List) []string {
	if list.IsNull() || list.IsUnknown() {
		return nil
	}
	out := make([]string, 0, len(list.Elements()))
	for _, e := range list.Elements() {
		if s, ok := e.(types.String); ok {
			out = append(out, s.ValueString())
		}
	}
	return out
}

func stringMapOf(m types.Map) map[string]string {
	if m.IsNull() || m.IsUnknown() {
		return nil
	}
	out := make(map[string]string, len(m.Elements()))
	for k, e := range m.Elements() {
		if s, ok := e.(types.String); ok {
			out[k] = s.ValueString()
		}
	}
	return out
}

// keepNullList: an empty list read back from Nomad is null in state when
// the configuration left it out, so a plan shows no phantom change.
func keepNullList(prior types.List, values []string) types.List {
	if len(values) == 0 && (prior.IsNull() || prior.IsUnknown()) {
		return types.ListNull(types.StringType)
	}
	return listOf(values)
}

func keepNullMap(prior types.Map, values map[string]string) types.Map {
	if len(values) == 0 && (prior.IsNull() || prior.IsUnknown()) {
		return types.MapNull(types.StringType)
	}
	return mapOf(values)
}

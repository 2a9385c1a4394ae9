package provider

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// nomadwasm_service: one Wasm component served by Nomad, by digest, with
// its grants as typed attributes. Every attribute but name and namespace
// updates in place: Nomad rolls the allocations and the provider waits
// for the deployment to be healthy.
type serviceResource struct{ clients *clients }

var (
	_ resource.ResourceWithImportState    = &serviceResource{}
	_ resource.ResourceWithValidateConfig = &serviceResource{}
	_ resource.ResourceWithModifyPlan     = &serviceResource{}
)

var (
	ociReference = regexp.MustCompile(`^oci://[A-Za-z0-9.\-\[\]:]+/[^@\s]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$`)
	ociByDigest  = regexp.MustCompile(`^oci://[A-Za-z0-9.\-\[\]:]+/[^@:\s]+@sha256:[0-9a-f]{64}$`)
	jobName      = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$`)
	// What the driver's allow_http accepts: host, host:port, *.domain[:port].
	allowHTTPEntry = regexp.MustCompile(`^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?$`)
	mountSource    = regexp.MustCompile(`^(local|secrets|alloc/data)(/[^/]+)*/?$`)
	envName        = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// computedOnly: what the provider sets, never the configuration.
var computedOnly = map[string]bool{"id": true, "job_version": true, "modify_index": true, "deployment_id": true, "deployment_status": true}

func newServiceResource() resource.Resource { return &serviceResource{} }

func (r *serviceResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service"
}

func (r *serviceResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	stringList := func(desc string, validators ...validator.List) schema.ListAttribute {
		return schema.ListAttribute{Optional: true, ElementType: types.StringType, Description: desc, Validators: validators}
	}
	resp.Schema = schema.Schema{
		Description: "A Nomad service job running one WebAssembly component (wasi:http) by digest on nomad-driver-wasm, with its capability grants as typed attributes. Changing the digest or a grant is an in-place update: Nomad rolls the service and the provider waits for a healthy deployment.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, Description: "<name>@<namespace> (the import ID).", PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"name": schema.StringAttribute{Required: true, Description: "Job ID and name.", PlanModifiers: replace,
				Validators: []validator.String{stringvalidator.RegexMatches(jobName, "must be a Nomad job ID: letters, digits, _ . -, at most 128")}},
			"namespace": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("default"), PlanModifiers: replace, Description: "Nomad namespace (the node's signature policy for it applies)."},
			"datacenters": schema.ListAttribute{Optional: true, Computed: true, ElementType: types.StringType, Description: "Datacenters to run in.",
				Default: listdefault.StaticValue(listOf([]string{"*"})), Validators: []validator.List{listvalidator.SizeAtLeast(1)}},
			"node_class":     schema.StringAttribute{Optional: true, Description: "Run only on nodes of this node_class (a constraint on ${node.class})."},
			"instance_count": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(1), Validators: []validator.Int64{int64validator.AtLeast(0)}, Description: "Instances."},
			"component": schema.StringAttribute{Required: true, Description: "oci://registry/repo@sha256:<manifest digest>: the component, pinned (use nomadwasm_component.pinned_reference).",
				Validators: []validator.String{stringvalidator.RegexMatches(ociByDigest, "must pin a digest: oci://registry/repository@sha256:<64 hex> (a tag could move under a running service; resolve it with data.nomadwasm_component.pinned_reference)")}},
			"http_instance": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("shared"), Validators: []validator.String{stringvalidator.OneOf("shared", "per-request")}, Description: "shared: one instance serves every request; per-request: a fresh instance each."},
			"cpu":           schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(100), Validators: []validator.Int64{int64validator.AtLeast(1)}, Description: "MHz reserved."},
			"memory":        schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(64), Validators: []validator.Int64{int64validator.AtLeast(10)}, Description: "MiB reserved (the component's linear memory ceiling unless grants.memory_max)."},
			"secrets": schema.MapNestedAttribute{Optional: true, Description: "Short-lived Vault secrets, by name: the task config's secret \"<name>\" { path, field, version } blocks. The driver's task host reads them when the task starts (with the task's Vault token, at the node's plugin vault address), renews and rotates them, revokes them at stop, and holds them in memory only; the component sees the keys config_keys / secret_env grant. Needs vault_policies.",
				Validators: []validator.Map{mapKeysMatch(secretName, "must be a secret name: letters, digits, _ and - (it prefixes the secret's keys: <name>.<field>)")},
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"path": schema.StringAttribute{Required: true, Description: "Vault API path read with GET, as `vault read` takes it: database/creds/app, kv/data/app (KV v2: with data/).",
						Validators: []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^[^\s?#]+$`), "must be a Vault API path such as kv/data/app (no spaces, query or fragment)")}},
					"field":   schema.StringAttribute{Optional: true, Description: "Take one field of the secret's data: the secret is then the single key <name>. Without it every field is a key <name>.<field>."},
					"version": schema.Int64Attribute{Optional: true, Description: "KV v2 version to read (?version=N); a pinned version is never re-read.", Validators: []validator.Int64{int64validator.AtLeast(1)}},
				}}},
			"key_value_stores": schema.MapNestedAttribute{Optional: true, Description: "Spin key-value stores on Consul KV, by label (the label a Spin app opens, e.g. \"default\"): the task config's key_value_store \"<label>\" { consul_prefix, token_secret } blocks. Deny by default: a store not listed cannot be opened. The store's keys live under consul_prefix/ in the Consul the node's plugin consul block names, read and written with the node's Consul token unless token_secret names a key of secrets.",
				Validators: []validator.Map{mapKeysMatch(storeLabel, "must be a store label: letters, digits, \".\", \"_\" and \"-\"")},
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"consul_prefix": schema.StringAttribute{Required: true, Description: "Consul KV prefix holding the store's keys, e.g. apps/cart/default; stores may not overlap.", Validators: []validator.String{consulPrefixValidator{}}},
					"token_secret":  schema.StringAttribute{Optional: true, Description: "A key of secrets (<name> for a secret with field, else <name>.<field>) holding the Consul token for this store, e.g. from Vault's Consul secrets engine. The driver uses it and never shows it to the component, so config_keys and secret_env may not grant it too."},
				}}},
			"config_keys":   stringList("Secret keys wasi:config/store returns to the component: <name> (a secret with field), <name>.<field>, or <name>.* (every field). Deny by default: a key not listed does not exist for the component."),
			"config_values": schema.MapAttribute{Optional: true, ElementType: types.StringType, Description: "Plain, non-secret values the component reads through wasi:config/store."},
			"secret_env": schema.MapAttribute{Optional: true, ElementType: types.StringType, Description: "Environment variable -> secret key, filled when an instance starts (use config_keys for values that rotate).",
				Validators: []validator.Map{mapKeysMatch(envName, "must be an environment variable name")}},
			"vault_policies": stringList("Vault policies of the task's token (the task's vault { policies }, with env = false: the driver reads the token file); needed by secrets.", listvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1))),
			"allow_services": stringList("Services the component may call by name through outbound HTTP (task config allow_services): \"payments\" or \"payments.service.consul\" (a Consul service, reached at http://payments.service.consul/), \"billing.service.nomad\" (a Nomad service in the job's namespace). The node's plugin consul / nomad blocks say where they are looked up.",
				listvalidator.ValueStringsAre(stringvalidator.RegexMatches(serviceGrant, "must be a service name: \"name\" or \"name.service.consul\" for a Consul service, \"name.service.nomad\" for a Nomad one (letters, digits, dashes)"))),
			"service": schema.SingleNestedAttribute{Optional: true, Description: "Service registration for the component's HTTP port, with checks (Nomad-native or Consul).",
				Attributes: map[string]schema.Attribute{
					"name":     schema.StringAttribute{Required: true},
					"provider": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("nomad"), Validators: []validator.String{stringvalidator.OneOf("nomad", "consul")}},
					"tags":     stringList("Service tags."),
					"checks": schema.ListNestedAttribute{Optional: true, Description: "Health checks; with any, a deployment is healthy only when they pass.",
						NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
							"type":     schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("http"), Validators: []validator.String{stringvalidator.OneOf("http", "tcp")}},
							"path":     schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("/")},
							"interval": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("5s"), Validators: []validator.String{durationValidator{}}},
							"timeout":  schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("2s"), Validators: []validator.String{durationValidator{}}},
						}}},
				}},
			"wait_for_deployment": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true), Description: "Wait for a healthy deployment on create and update."},
			"deployment_timeout":  schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("5m"), Validators: []validator.String{durationValidator{}}},
			"purge_on_destroy":    schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true), Description: "Purge the job (not just stop it) on destroy."},
			"job_version":         schema.Int64Attribute{Computed: true, Description: "Nomad job version."},
			"modify_index":        schema.StringAttribute{Computed: true, Description: "Nomad's job modify index."},
			"deployment_id":       schema.StringAttribute{Computed: true, Description: "The last deployment the provider waited for."},
			"deployment_status":   schema.StringAttribute{Computed: true},
		},
		Blocks: map[string]schema.Block{
			"grants": schema.SingleNestedBlock{Description: "What the component may use beyond stdio, clocks and randomness; the driver denies everything else. A block, so a grant name the driver does not know is an error at plan (\"An argument named ... is not expected here\").",
				Attributes: map[string]schema.Attribute{
					"env": schema.MapAttribute{Optional: true, ElementType: types.StringType, Description: "Environment variables the component sees.",
						Validators: []validator.Map{mapKeysMatch(envName, "must be an environment variable name")}},
					"pass_env":   stringList("Task environment variables passed through by name.", listvalidator.ValueStringsAre(stringvalidator.RegexMatches(envName, "must be an environment variable name"))),
					"allow_http": stringList("Outbound HTTP allow-list: host, host:port, *.domain[:port].", listvalidator.ValueStringsAre(stringvalidator.RegexMatches(allowHTTPEntry, "must be host, host:port or *.domain[:port] (no scheme, no path)"))),
					"mounts": schema.ListNestedAttribute{Optional: true, Description: "Directories of the task dir the component sees.",
						NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
							"source":      schema.StringAttribute{Required: true, Description: "Under local/, secrets/ or alloc/data.", Validators: []validator.String{stringvalidator.RegexMatches(mountSource, "must be a directory under local/, secrets/ or alloc/data (relative, no ..)")}},
							"destination": schema.StringAttribute{Required: true, Description: "Absolute path the component sees.", Validators: []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^/`), "must be an absolute guest path")}},
							"readonly":    schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true)},
						}}},
					"memory_max": schema.Int64Attribute{Optional: true, Description: "Linear memory ceiling in MiB (resources.memory_max).", Validators: []validator.Int64{int64validator.AtLeast(1)}},
				}},
		},
	}
}

func (r *serviceResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	if c, ok := configuredClients(req.ProviderData); ok {
		r.clients = c
	}
}

// ValidateConfig: mistakes the schema cannot express, named by attribute.
func (r *serviceResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	validateServiceSecrets(ctx, req, resp)
	var service *serviceBlockModel
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("service"), &service)...)
	if service == nil {
		return
	}
	for i, check := range service.Checks {
		if check.Type.ValueString() == "tcp" && !check.Path.IsNull() && !check.Path.IsUnknown() && check.Path.ValueString() != "/" {
			resp.Diagnostics.AddAttributeError(path.Root("service").AtName("checks").AtListIndex(i).AtName("path"), "path only applies to http checks", "remove path from a tcp check")
		}
	}
}

// validateServiceSecrets reads what the secret checks need, leaving them
// out while module variables are still unknown.
func validateServiceSecrets(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var secretsValue types.Map
	g := secretGrants{}
	if diags := req.Config.GetAttribute(ctx, path.Root("secrets"), &secretsValue); diags.HasError() || secretsValue.IsUnknown() {
		return
	}
	if !secretsValue.IsNull() {
		if diags := secretsValue.ElementsAs(ctx, &g.secrets, false); diags.HasError() {
			return
		}
	}
	var storesValue types.Map
	if diags := req.Config.GetAttribute(ctx, path.Root("key_value_stores"), &storesValue); diags.HasError() {
		return
	}
	if !storesValue.IsUnknown() {
		g.keyValueStoresKnown = true
		if !storesValue.IsNull() {
			if diags := storesValue.ElementsAs(ctx, &g.keyValueStores, false); diags.HasError() {
				return
			}
		}
		validateStorePrefixesApart(g.keyValueStores, &resp.Diagnostics)
	}
	for _, read := range []struct {
		at     string
		target interface{}
	}{{"config_keys", &g.configKeys}, {"config_values", &g.configValues}, {"secret_env", &g.secretEnv}, {"vault_policies", &g.vaultPolicies}} {
		if diags := req.Config.GetAttribute(ctx, path.Root(read.at), read.target); diags.HasError() {
			return
		}
	}
	var env types.Map
	var passEnv types.List
	if diags := req.Config.GetAttribute(ctx, path.Root("grants").AtName("env"), &env); !diags.HasError() {
		for name := range env.Elements() {
			g.envNames = append(g.envNames, name)
		}
	}
	if diags := req.Config.GetAttribute(ctx, path.Root("grants").AtName("pass_env"), &passEnv); !diags.HasError() {
		g.envNames = append(g.envNames, stringsOf(passEnv)...)
	}
	validateSecretGrants(g, &resp.Diagnostics)
}

// ModifyPlan: when nothing of the job changes (only provider-side settings
// such as deployment_timeout, e.g. after an import), the job keeps its
// version and deployment, so the plan says so instead of "(known after
// apply)". The framework marks the computed attributes unknown whenever
// anything changes, so only the configured ones must be known.
func (r *serviceResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	var attributes map[string]tftypes.Value
	if err := req.Plan.Raw.As(&attributes); err != nil {
		return
	}
	for name, value := range attributes {
		if !computedOnly[name] && !value.IsFullyKnown() {
			return
		}
	}
	var plan, state serviceModel
	if diags := req.Plan.Get(ctx, &plan); diags.HasError() {
		return
	}
	if diags := req.State.Get(ctx, &state); diags.HasError() {
		return
	}
	planned, err1 := buildServiceJob(&plan)
	current, err2 := buildServiceJob(&state)
	if err1 != nil || err2 != nil || !reflect.DeepEqual(planned, current) || !reflect.DeepEqual(plan.Secrets, state.Secrets) {
		return
	}
	plan.JobVersion, plan.ModifyIndex = state.JobVersion, state.ModifyIndex
	plan.DeploymentID, plan.DeploymentStatus = state.DeploymentID, state.DeploymentStatus
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

func (r *serviceResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan serviceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !r.submit(ctx, &plan, nil, &resp.Diagnostics) {
		// Nomad refused the job (or it was never sent): nothing was created, so no state; the error says why.
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *serviceResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state serviceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !r.submit(ctx, &plan, &state, &resp.Diagnostics) {
		// Nomad kept the last job it accepted: so does the state, and the next plan shows the change again.
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// submit registers the job and waits for its deployment; false when the
// job was not registered. On a failed deployment the resource is still
// saved (the job exists), with the error.
func (r *serviceResource) submit(ctx context.Context, plan, prior *serviceModel, diags diagnosticsAppender) bool {
	if r.clients == nil {
		diags.AddError("Provider not configured", "the nomadwasm provider has no Nomad client")
		return false
	}
	job, err := buildServiceJob(plan)
	if err != nil {
		diags.AddError("Invalid service", err.Error())
		return false
	}
	namespace := plan.Namespace.ValueString()
	if _, _, err := r.clients.nomad.Jobs().Register(job, (&api.WriteOptions{Namespace: namespace}).WithContext(ctx)); err != nil {
		diags.AddError("Nomad refused the job", fmt.Sprintf("registering job %q in namespace %q: %v", plan.Name.ValueString(), namespace, err))
		return false
	}
	current, _, err := r.clients.nomad.Jobs().Info(plan.Name.ValueString(), (&api.QueryOptions{Namespace: namespace}).WithContext(ctx))
	if err != nil {
		diags.AddError("Cannot read the job back", err.Error())
		return true
	}
	plan.ID = types.StringValue(plan.Name.ValueString() + "@" + namespace)
	plan.JobVersion = types.Int64Value(int64(deref(current.Version, 0)))
	plan.ModifyIndex = types.StringValue(fmt.Sprint(deref(current.JobModifyIndex, 0)))
	// Known here only when ModifyPlan found the job unchanged: keep what it promised.
	if plan.DeploymentID.IsUnknown() || plan.DeploymentStatus.IsUnknown() {
		if prior != nil && !prior.DeploymentID.IsNull() {
			plan.DeploymentID, plan.DeploymentStatus = prior.DeploymentID, prior.DeploymentStatus
		} else {
			plan.DeploymentID, plan.DeploymentStatus = types.StringValue(""), types.StringValue("")
		}
	}
	sameVersion := prior != nil && prior.JobVersion.ValueInt64() == plan.JobVersion.ValueInt64()
	if !plan.WaitForDeployment.ValueBool() || sameVersion {
		return true
	}
	timeout, err := time.ParseDuration(plan.DeploymentTimeout.ValueString())
	if err != nil {
		// The schema's validator refuses such a value at plan; this is a state written by something else.
		diags.AddAttributeError(path.Root("deployment_timeout"), "Invalid deployment_timeout", err.Error())
		return true
	}
	deployment, err := waitForDeployment(ctx, r.clients.nomad, namespace, plan.Name.ValueString(), uint64(plan.JobVersion.ValueInt64()), timeout)
	if deployment != nil {
		plan.DeploymentID = types.StringValue(deployment.ID)
		plan.DeploymentStatus = types.StringValue(deployment.Status)
	}
	if err != nil {
		diags.AddError("The service did not become healthy", err.Error())
	}
	return true
}

func (r *serviceResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state serviceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || r.clients == nil {
		return
	}
	job, _, err := r.clients.nomad.Jobs().Info(state.Name.ValueString(), (&api.QueryOptions{Namespace: state.Namespace.ValueString()}).WithContext(ctx))
	if isNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the job", err.Error())
		return
	}
	if job.Stop != nil && *job.Stop {
		// Stopped by hand: gone as far as this resource is concerned; apply starts it again.
		resp.State.RemoveResource(ctx)
		return
	}
	if err := readServiceJob(&state, job); err != nil {
		resp.Diagnostics.AddError("The job is not a nomadwasm_service", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *serviceResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state serviceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || r.clients == nil {
		return
	}
	deleteJob(ctx, r.clients.nomad, state.Namespace.ValueString(), state.Name.ValueString(), state.PurgeOnDestroy.ValueBool(), &resp.Diagnostics)
}

// deleteJob deregisters (and purges) a job and waits until its tasks are stopped.
func deleteJob(ctx context.Context, client *api.Client, namespace, id string, purge bool, diags diagnosticsAppender) {
	q := (&api.QueryOptions{Namespace: namespace}).WithContext(ctx)
	allocs, _, err := client.Jobs().Allocations(id, true, q)
	if err != nil && !isNotFound(err) {
		diags.AddError("Cannot list the job's allocations", err.Error())
		return
	}
	if _, _, err := client.Jobs().Deregister(id, purge, (&api.WriteOptions{Namespace: namespace}).WithContext(ctx)); err != nil && !isNotFound(err) {
		diags.AddError("Cannot deregister the job", err.Error())
		return
	}
	ids := make([]string, 0, len(allocs))
	for _, a := range allocs {
		ids = append(ids, a.ID)
	}
	if err := waitForAllocationsStopped(ctx, client, namespace, ids, 2*time.Minute); err != nil {
		diags.AddError("The job's tasks did not stop", err.Error())
	}
}

// ImportState: `tofu import nomadwasm_service.x <name>@<namespace>` (or just <name> in "default").
func (r *serviceResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	name, namespace := splitJobID(req.ID)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), name)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("namespace"), namespace)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("wait_for_deployment"), true)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("deployment_timeout"), "5m")...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("purge_on_destroy"), true)...)
}

package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// nomadwasm_job: any Nomad job from an HCL2 jobspec (docker, exec,
// raw_exec tasks beside the Wasm services), with the official provider's
// nomad_job attribute names. The jobspec is parsed by the Nomad server
// itself (/v1/jobs/parse), so every field of Nomad 1.6 is accepted.
type jobResource struct{ clients *clients }

type jobModel struct {
	ID             types.String `tfsdk:"id"`
	Jobspec        types.String `tfsdk:"jobspec"`
	PurgeOnDestroy types.Bool   `tfsdk:"purge_on_destroy"`
	Detach         types.Bool   `tfsdk:"detach"`
	Name           types.String `tfsdk:"name"`
	Namespace      types.String `tfsdk:"namespace"`
	Type           types.String `tfsdk:"type"`
	ModifyIndex    types.String `tfsdk:"modify_index"`
	JobVersion     types.Int64  `tfsdk:"job_version"`
	HCL2           *hcl2Model   `tfsdk:"hcl2"`
}

// hcl2Model: the official provider's hcl2 block; only vars matter here
// (HCL2 is the only parser, and file functions run on the server).
type hcl2Model struct {
	Vars types.Map `tfsdk:"vars"`
}

// variablesFile renders vars as the content of an HCL2 variables file.
func (h *hcl2Model) variablesFile() string {
	if h == nil {
		return ""
	}
	vars := stringMapOf(h.Vars)
	var b strings.Builder
	for _, name := range sortedKeys(vars) {
		quoted, _ := json.Marshal(vars[name])
		fmt.Fprintf(&b, "%s = %s\n", name, quoted)
	}
	return b.String()
}

func newJobResource() resource.Resource { return &jobResource{} }

func (r *jobResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_job"
}

func (r *jobResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, Description: desc}
	}
	resp.Schema = schema.Schema{
		Description: "Any Nomad job from an HCL2 jobspec, parsed by the Nomad server (official nomad_job attribute names).",
		Attributes: map[string]schema.Attribute{
			"id":               computed("<name>@<namespace>."),
			"jobspec":          schema.StringAttribute{Required: true, Description: "The job in HCL2."},
			"purge_on_destroy": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true)},
			"detach":           schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true), Description: "false: wait for a healthy deployment (service jobs)."},
			"name":             computed("Job ID, from the jobspec."),
			"namespace":        computed("Namespace, from the jobspec."),
			"type":             computed("service, batch or system."),
			"modify_index":     computed("Nomad's job modify index."),
			"job_version":      schema.Int64Attribute{Computed: true},
		},
		Blocks: map[string]schema.Block{
			"hcl2": schema.SingleNestedBlock{
				Description: "HCL2 variables for the jobspec (official nomad_job hcl2 { vars }).",
				Attributes:  map[string]schema.Attribute{"vars": schema.MapAttribute{Optional: true, ElementType: types.StringType}},
			},
		},
	}
}

func (r *jobResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	if c, ok := configuredClients(req.ProviderData); ok {
		r.clients = c
	}
}

func (r *jobResource) apply(ctx context.Context, plan *jobModel, prior *jobModel, diags diagnosticsAppender) {
	if r.clients == nil {
		diags.AddError("Provider not configured", "the nomadwasm provider has no Nomad client")
		return
	}
	job, err := r.clients.nomad.Jobs().ParseHCLOpts(&api.JobsParseRequest{JobHCL: plan.Jobspec.ValueString(), Variables: plan.HCL2.variablesFile(), Canonicalize: true})
	if err != nil {
		diags.AddAttributeError(path.Root("jobspec"), "Nomad cannot parse the jobspec", err.Error())
		return
	}
	if prior != nil && (prior.Name.ValueString() != *job.ID || prior.Namespace.ValueString() != deref(job.Namespace, "default")) {
		deleteJob(ctx, r.clients.nomad, prior.Namespace.ValueString(), prior.Name.ValueString(), prior.PurgeOnDestroy.ValueBool(), diags)
	}
	namespace := deref(job.Namespace, "default")
	registered, _, err := r.clients.nomad.Jobs().Register(job, (&api.WriteOptions{Namespace: namespace}).WithContext(ctx))
	if err != nil {
		diags.AddAttributeError(path.Root("jobspec"), "Nomad refused the job", err.Error())
		return
	}
	current, _, err := r.clients.nomad.Jobs().Info(*job.ID, (&api.QueryOptions{Namespace: namespace}).WithContext(ctx))
	if err != nil {
		diags.AddError("Cannot read the job back", err.Error())
		return
	}
	r.fill(plan, current)
	if !plan.Detach.ValueBool() && deref(current.Type, "service") == "service" {
		if _, err := waitForDeployment(ctx, r.clients.nomad, namespace, *job.ID, deref(current.Version, 0), defaultDeploymentTimeout); err != nil {
			diags.AddError("The job did not become healthy", err.Error())
		}
		return
	}
	// Detached: apply does not wait for the tasks, but a job no client can
	// take (a driver none runs, a node class none has) should not pass
	// silently. The scheduler's first answer usually comes within a second.
	if unplaced := registrationPlacement(ctx, r.clients.nomad, current, namespace, registered.EvalID, placementCheckTimeout); unplaced != "" {
		diags.AddWarning("Nomad cannot place the job's allocations yet",
			fmt.Sprintf("job %q in namespace %q is registered, but Nomad's scheduler placed only part of it; it stays pending until a client fits:\n%s", *job.ID, namespace, unplaced))
	}
}

// placementCheckTimeout bounds how long a detached job's apply waits for
// the scheduler's verdict before returning without one.
const placementCheckTimeout = 30 * time.Second

func (r *jobResource) fill(m *jobModel, job *api.Job) {
	namespace := deref(job.Namespace, "default")
	m.ID = types.StringValue(*job.ID + "@" + namespace)
	m.Name = types.StringValue(*job.ID)
	m.Namespace = types.StringValue(namespace)
	m.Type = types.StringValue(deref(job.Type, "service"))
	m.ModifyIndex = types.StringValue(fmt.Sprint(deref(job.JobModifyIndex, 0)))
	m.JobVersion = types.Int64Value(int64(deref(job.Version, 0)))
}

func (r *jobResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan jobModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.apply(ctx, &plan, nil, &resp.Diagnostics)
	if !plan.ID.IsUnknown() {
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	}
}

func (r *jobResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state jobModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.apply(ctx, &plan, &state, &resp.Diagnostics)
	if !plan.ID.IsUnknown() {
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	}
}

// Read notices a job deleted or stopped by hand (apply submits it again);
// the jobspec text itself is the source of truth for everything else.
func (r *jobResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state jobModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || r.clients == nil {
		return
	}
	job, _, err := r.clients.nomad.Jobs().Info(state.Name.ValueString(), (&api.QueryOptions{Namespace: state.Namespace.ValueString()}).WithContext(ctx))
	if isNotFound(err) || (err == nil && job.Stop != nil && *job.Stop) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the job", err.Error())
		return
	}
	r.fill(&state, job)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *jobResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state jobModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || r.clients == nil {
		return
	}
	deleteJob(ctx, r.clients.nomad, state.Namespace.ValueString(), state.Name.ValueString(), state.PurgeOnDestroy.ValueBool(), &resp.Diagnostics)
}

// splitJobID: "<name>@<namespace>" or "<name>".
func splitJobID(id string) (string, string) {
	name, namespace, found := strings.Cut(id, "@")
	if !found {
		namespace = "default"
	}
	return name, namespace
}

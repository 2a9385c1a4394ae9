package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// nomadwasm_namespace: a Nomad namespace, with the attribute and block
// names of the official provider's nomad_namespace (name, description,
// quota, meta, capabilities { enabled_task_drivers, disabled_task_drivers }),
// so a team can move it there with a `moved`/import later.
type namespaceResource struct{ clients *clients }

var _ resource.ResourceWithImportState = &namespaceResource{}

type namespaceModel struct {
	ID           types.String       `tfsdk:"id"`
	Name         types.String       `tfsdk:"name"`
	Description  types.String       `tfsdk:"description"`
	Quota        types.String       `tfsdk:"quota"`
	Meta         types.Map          `tfsdk:"meta"`
	Capabilities *capabilitiesModel `tfsdk:"capabilities"`
}

type capabilitiesModel struct {
	EnabledTaskDrivers  types.List `tfsdk:"enabled_task_drivers"`
	DisabledTaskDrivers types.List `tfsdk:"disabled_task_drivers"`
}

func newNamespaceResource() resource.Resource { return &namespaceResource{} }

func (r *namespaceResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_namespace"
}

func (r *namespaceResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A Nomad namespace (attribute names of the official provider's nomad_namespace).",
		Attributes: map[string]schema.Attribute{
			"id":          schema.StringAttribute{Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"name":        schema.StringAttribute{Required: true, PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}, Validators: nil},
			"description": schema.StringAttribute{Optional: true},
			"quota":       schema.StringAttribute{Optional: true, Description: "Quota specification name (Nomad Enterprise)."},
			"meta":        schema.MapAttribute{Optional: true, ElementType: types.StringType},
		},
		Blocks: map[string]schema.Block{
			"capabilities": schema.SingleNestedBlock{
				Description: "Task drivers jobs in this namespace may (or may not) use.",
				Attributes: map[string]schema.Attribute{
					"enabled_task_drivers":  schema.ListAttribute{Optional: true, ElementType: types.StringType},
					"disabled_task_drivers": schema.ListAttribute{Optional: true, ElementType: types.StringType},
				},
			},
		},
	}
}

func (r *namespaceResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	if c, ok := configuredClients(req.ProviderData); ok {
		r.clients = c
	}
}

func (r *namespaceResource) toAPI(m *namespaceModel) *api.Namespace {
	ns := &api.Namespace{Name: m.Name.ValueString(), Description: m.Description.ValueString(), Quota: m.Quota.ValueString(), Meta: stringMapOf(m.Meta)}
	if c := m.Capabilities; c != nil {
		ns.Capabilities = &api.NamespaceCapabilities{EnabledTaskDrivers: stringsOf(c.EnabledTaskDrivers), DisabledTaskDrivers: stringsOf(c.DisabledTaskDrivers)}
	}
	return ns
}

func (r *namespaceResource) upsert(ctx context.Context, plan *namespaceModel, diags diagnosticsAppender) {
	if r.clients == nil {
		diags.AddError("Provider not configured", "the nomadwasm provider has no Nomad client")
		return
	}
	if _, err := r.clients.nomad.Namespaces().Register(r.toAPI(plan), (&api.WriteOptions{}).WithContext(ctx)); err != nil {
		diags.AddAttributeError(path.Root("name"), "Nomad refused the namespace", err.Error())
		return
	}
	plan.ID = plan.Name
}

func (r *namespaceResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan namespaceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.upsert(ctx, &plan, &resp.Diagnostics)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	}
}

func (r *namespaceResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan namespaceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.upsert(ctx, &plan, &resp.Diagnostics)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	}
}

func (r *namespaceResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state namespaceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || r.clients == nil {
		return
	}
	ns, _, err := r.clients.nomad.Namespaces().Info(state.Name.ValueString(), (&api.QueryOptions{}).WithContext(ctx))
	if isNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the namespace", err.Error())
		return
	}
	state.ID = types.StringValue(ns.Name)
	state.Name = types.StringValue(ns.Name)
	state.Description = keepNullString(state.Description, ns.Description)
	state.Quota = keepNullString(state.Quota, ns.Quota)
	state.Meta = keepNullMap(state.Meta, ns.Meta)
	if ns.Capabilities != nil && (len(ns.Capabilities.EnabledTaskDrivers) > 0 || len(ns.Capabilities.DisabledTaskDrivers) > 0) || state.Capabilities != nil {
		prior := capabilitiesModel{EnabledTaskDrivers: types.ListNull(types.StringType), DisabledTaskDrivers: types.ListNull(types.StringType)}
		if state.Capabilities != nil {
			prior = *state.Capabilities
		}
		var enabled, disabled []string
		if ns.Capabilities != nil {
			enabled, disabled = ns.Capabilities.EnabledTaskDrivers, ns.Capabilities.DisabledTaskDrivers
		}
		state.Capabilities = &capabilitiesModel{EnabledTaskDrivers: keepNullList(prior.EnabledTaskDrivers, enabled), DisabledTaskDrivers: keepNullList(prior.DisabledTaskDrivers, disabled)}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Delete retries for a while: Nomad refuses to delete a namespace while the
// jobs just purged from it still have allocations stopping.
func (r *namespaceResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state namespaceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || r.clients == nil {
		return
	}
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := r.clients.nomad.Namespaces().Delete(state.Name.ValueString(), (&api.WriteOptions{}).WithContext(ctx))
		if err == nil || isNotFound(err) {
			return
		}
		if time.Now().After(deadline) {
			resp.Diagnostics.AddError("Cannot delete the namespace", fmt.Sprintf("%s: %v", state.Name.ValueString(), err))
			return
		}
		select {
		case <-ctx.Done():
			resp.Diagnostics.AddError("Cannot delete the namespace", ctx.Err().Error())
			return
		case <-time.After(time.Second):
		}
	}
}

func (r *namespaceResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), req.ID)...)
}

func keepNullString(prior types.String, value string) types.String {
	if value == "" && (prior.IsNull() || prior.IsUnknown()) {
		return types.StringNull()
	}
	return types.StringValue(value)
}

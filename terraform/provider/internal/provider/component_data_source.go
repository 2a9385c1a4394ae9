package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// nomadwasm_component: what a component reference is (digest, world, the
// grants its imports need) and who signed it, read at plan time so a
// component that would be refused on the node fails the plan instead.
type componentDataSource struct{ clients *clients }

type componentModel struct {
	Reference         types.String `tfsdk:"reference"`
	SignatureMode     types.String `tfsdk:"signature_mode"`
	PublicKeys        types.List   `tfsdk:"public_keys"`
	Insecure          types.Bool   `tfsdk:"insecure"`
	Username          types.String `tfsdk:"username"`
	Password          types.String `tfsdk:"password"`
	ID                types.String `tfsdk:"id"`
	Digest            types.String `tfsdk:"digest"`
	ManifestDigest    types.String `tfsdk:"manifest_digest"`
	PinnedReference   types.String `tfsdk:"pinned_reference"`
	World             types.String `tfsdk:"world"`
	Imports           types.List   `tfsdk:"imports"`
	Exports           types.List   `tfsdk:"exports"`
	GrantsNeeded      types.List   `tfsdk:"grants_needed"`
	SizeBytes         types.Int64  `tfsdk:"size_bytes"`
	Verified          types.Bool   `tfsdk:"verified"`
	Signer            types.String `tfsdk:"signer"`
	SignerFingerprint types.String `tfsdk:"signer_key_fingerprint"`
}

func newComponentDataSource() datasource.DataSource { return &componentDataSource{} }

func (d *componentDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_component"
}

func (d *componentDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computedList := func(desc string) schema.ListAttribute {
		return schema.ListAttribute{Computed: true, ElementType: types.StringType, Description: desc}
	}
	resp.Schema = schema.Schema{
		Description: "Resolves a Wasm component reference (oci://registry/repo:tag or @sha256:…) to its digest, the grants its imports need and the signer that verified it, using the driver's own `nomad-wasm inspect/verify`. Fails the plan when the component does not verify under `signature_mode = \"enforce\"`.",
		Attributes: map[string]schema.Attribute{
			"reference": schema.StringAttribute{Required: true, Description: "oci://registry/repo:tag or oci://registry/repo@sha256:<manifest digest>.",
				Validators: []validator.String{stringvalidator.RegexMatches(ociReference, "must be oci://registry/repository:tag or oci://registry/repository@sha256:<64 hex>")}},
			"signature_mode": schema.StringAttribute{Optional: true, Description: "off (default): no check; warn: a failed check is a plan warning; enforce: a failed check fails the plan (what the node will do under enforce).",
				Validators: []validator.String{stringvalidator.OneOf("off", "warn", "enforce")}},
			"public_keys":            schema.ListAttribute{Optional: true, ElementType: types.StringType, Description: "PEM public keys (cosign.pub) whose signatures are trusted."},
			"insecure":               schema.BoolAttribute{Optional: true, Description: "Plain HTTP to the registry (loopback registries always are)."},
			"username":               schema.StringAttribute{Optional: true, Description: "Registry user."},
			"password":               schema.StringAttribute{Optional: true, Sensitive: true, Description: "Registry password (passed to the CLI in its environment)."},
			"id":                     schema.StringAttribute{Computed: true, Description: "The pinned reference."},
			"digest":                 schema.StringAttribute{Computed: true, Description: "sha256 of the component's bytes (what signatures cover and the node caches by)."},
			"manifest_digest":        schema.StringAttribute{Computed: true, Description: "Digest of the OCI manifest the tag resolved to."},
			"pinned_reference":       schema.StringAttribute{Computed: true, Description: "oci://registry/repo@<manifest_digest>: give this to nomadwasm_service.component so a moved tag never changes what runs."},
			"world":                  schema.StringAttribute{Computed: true, Description: "`wasi:http service`, `wasi:cli/run command` or `unsupported`."},
			"imports":                computedList("Interfaces the component imports."),
			"exports":                computedList("Interfaces the component exports."),
			"grants_needed":          computedList("Task config fields that grant what its imports and exports use (nomad-wasm inspect --json): env, mount, allow_http and allow_services (outbound HTTP), config_values and config_keys (wasi:config/store: plain values, Vault secret keys), port."),
			"size_bytes":             schema.Int64Attribute{Computed: true},
			"verified":               schema.BoolAttribute{Computed: true, Description: "A trusted key signed it."},
			"signer":                 schema.StringAttribute{Computed: true, Description: "Who vouched for it, as the driver's task events say it (empty when not verified)."},
			"signer_key_fingerprint": schema.StringAttribute{Computed: true, Description: "sha256 of the signer key's SPKI DER, hex."},
		},
	}
}

func (d *componentDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, _ *datasource.ConfigureResponse) {
	if c, ok := configuredClients(req.ProviderData); ok {
		d.clients = c
	}
}

func (d *componentDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model componentModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() || d.clients == nil {
		return
	}
	ref := model.Reference.ValueString()
	access := registryAccess{insecure: model.Insecure.ValueBool(), username: model.Username.ValueString(), password: model.Password.ValueString()}
	refPath := path.Root("reference")

	report, err := inspectComponent(ctx, d.clients.cli, ref, access)
	if err != nil {
		resp.Diagnostics.AddAttributeError(refPath, "Cannot inspect the component", fmt.Sprintf("%s: %v", ref, err))
		return
	}
	if report.World == "unsupported" || len(report.UnsupportedImports) > 0 {
		resp.Diagnostics.AddAttributeError(refPath, "The driver cannot run this component",
			fmt.Sprintf("%s: world %q; imports this driver does not provide: %s", ref, report.World, strings.Join(report.UnsupportedImports, ", ")))
		return
	}

	mode := model.SignatureMode.ValueString()
	if mode == "" {
		mode = "off"
	}
	var keys []string
	resp.Diagnostics.Append(model.PublicKeys.ElementsAs(ctx, &keys, true)...)
	if mode != "off" && len(keys) == 0 {
		resp.Diagnostics.AddAttributeError(path.Root("public_keys"), "No key to verify with", fmt.Sprintf("signature_mode %q needs at least one PEM public key", mode))
		return
	}
	model.Verified = types.BoolValue(false)
	model.Signer = types.StringValue("")
	model.SignerFingerprint = types.StringValue("")
	if mode != "off" {
		verdict, err := verifyComponent(ctx, d.clients.cli, ref, keys, access)
		if err != nil {
			resp.Diagnostics.AddAttributeError(refPath, "Cannot verify the component", err.Error())
			return
		}
		if verdict.Verified {
			model.Verified = types.BoolValue(true)
			model.Signer = types.StringValue(verdict.SignedBy)
			model.SignerFingerprint = types.StringValue(verdict.Signer.KeyFingerprint)
		} else {
			summary := "The component does not verify under the signature policy"
			detail := fmt.Sprintf("%s (digest %s) [%s]: %s", ref, report.Digest, verdict.Code, verdict.Message)
			if mode == "enforce" {
				resp.Diagnostics.AddAttributeError(refPath, summary, detail+"\nA node enforcing this policy would refuse to run it.")
				return
			}
			resp.Diagnostics.AddAttributeWarning(refPath, summary, detail)
		}
	}

	pinned := ref
	if report.ManifestDigest != "" {
		pinned = repositoryOf(ref) + "@" + report.ManifestDigest
	}
	model.ID = types.StringValue(pinned)
	model.PinnedReference = types.StringValue(pinned)
	model.Digest = types.StringValue(report.Digest)
	model.ManifestDigest = types.StringValue(report.ManifestDigest)
	model.World = types.StringValue(report.World)
	model.SizeBytes = types.Int64Value(report.SizeBytes)
	model.Imports = stringList(ctx, report.Imports, &resp.Diagnostics)
	model.Exports = stringList(ctx, report.Exports, &resp.Diagnostics)
	model.GrantsNeeded = stringList(ctx, report.Grants, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}

// repositoryOf drops a tag or digest: oci://host:port/a/b:tag -> oci://host:port/a/b.
func repositoryOf(ref string) string {
	if at := strings.Index(ref, "@"); at >= 0 {
		return ref[:at]
	}
	slash := strings.LastIndex(ref, "/")
	if colon := strings.LastIndex(ref, ":"); colon > slash {
		return ref[:colon]
	}
	return ref
}

// stringList: a list of strings for the state; an empty list, not null,
// when the CLI reported none.
func stringList(ctx context.Context, values []string, diags *diag.Diagnostics) types.List {
	elements := make([]string, 0, len(values))
	elements = append(elements, values...)
	list, listDiags := types.ListValueFrom(ctx, types.StringType, elements)
	diags.Append(listDiags...)
	return list
}

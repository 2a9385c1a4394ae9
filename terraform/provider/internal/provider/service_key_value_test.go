package provider

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

const testDigest = "oci://registry.example/cart@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func minimalService() *serviceModel {
	return &serviceModel{
		Name: types.StringValue("cart"), Namespace: types.StringValue("default"),
		Datacenters: listOf([]string{"*"}), Count: types.Int64Value(1),
		Component: types.StringValue(testDigest), HTTPInstance: types.StringValue("shared"),
		CPU: types.Int64Value(100), Memory: types.Int64Value(64),
		ConfigKeys: types.ListNull(types.StringType), ConfigValues: types.MapNull(types.StringType),
		SecretEnv: types.MapNull(types.StringType), VaultPolicies: types.ListNull(types.StringType),
		AllowServices: types.ListNull(types.StringType),
	}
}

// roundTrip passes a job through JSON, as Nomad's API returns it.
func roundTrip(t *testing.T, job *api.Job) *api.Job {
	t.Helper()
	raw, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	var back api.Job
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	return &back
}

func TestKeyValueStoresRenderAsLabelledBlocks(t *testing.T) {
	m := minimalService()
	m.KeyValueStores = map[string]keyValueStoreModel{
		"default": {ConsulPrefix: types.StringValue("apps/cart/default"), TokenSecret: types.StringValue("consul")},
		"cache":   {ConsulPrefix: types.StringValue("apps/cart/cache"), TokenSecret: types.StringNull()},
	}
	job, err := buildServiceJob(m)
	if err != nil {
		t.Fatal(err)
	}
	task := roundTrip(t, job).TaskGroups[0].Tasks[0]
	got, _ := json.Marshal(task.Config["key_value_store"])
	// The shape `nomad job run` makes of two key_value_store blocks (as of secret blocks), labels sorted.
	want := `[{"cache":[{"consul_prefix":"apps/cart/cache"}]},{"default":[{"consul_prefix":"apps/cart/default","token_secret":"consul"}]}]`
	if string(got) != want {
		t.Fatalf("key_value_store rendered as\n%s\nwant\n%s", got, want)
	}
}

func TestNoKeyValueStoresRenderNoBlock(t *testing.T) {
	job, err := buildServiceJob(minimalService())
	if err != nil {
		t.Fatal(err)
	}
	if _, present := job.TaskGroups[0].Tasks[0].Config["key_value_store"]; present {
		t.Fatal("a service without key_value_stores rendered a key_value_store field")
	}
}

func TestKeyValueStoresReadBackAsConfigured(t *testing.T) {
	m := minimalService()
	stores := map[string]keyValueStoreModel{
		"default": {ConsulPrefix: types.StringValue("apps/cart/default"), TokenSecret: types.StringValue("consul.token")},
		"cache":   {ConsulPrefix: types.StringValue("apps/cart/cache"), TokenSecret: types.StringNull()},
	}
	m.KeyValueStores = stores
	job, err := buildServiceJob(m)
	if err != nil {
		t.Fatal(err)
	}
	back := roundTrip(t, job)
	back.Version, back.JobModifyIndex = new(uint64), new(uint64)
	read := minimalService()
	if err := readServiceJob(read, back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(read.KeyValueStores, stores) {
		t.Fatalf("read back %#v, want %#v", read.KeyValueStores, stores)
	}

	// A job with no stores reads back as null, and a store added by hand shows as drift.
	plain, _ := buildServiceJob(minimalService())
	plainBack := roundTrip(t, plain)
	plainBack.TaskGroups[0].Tasks[0].Config["key_value_store"] = []interface{}{map[string]interface{}{"x": map[string]interface{}{"consul_prefix": "other"}}}
	drift := minimalService()
	if err := readServiceJob(drift, plainBack); err != nil {
		t.Fatal(err)
	}
	if got := drift.KeyValueStores["x"].ConsulPrefix.ValueString(); got != "other" {
		t.Fatalf("a store added by hand read back as %#v", drift.KeyValueStores)
	}
}

func TestConsulPrefixValidatorNamesTheProblem(t *testing.T) {
	cases := map[string]string{
		"apps/cart/default": "",
		"/apps/cart/":       "", // the driver trims outer slashes
		"":                  "it is empty",
		"/":                 "it is empty",
		"apps//cart":        `hold "//"`,
		"apps/../secrets":   `".." segments`,
		"apps/./cart":       `"." or ".."`,
	}
	for prefix, want := range cases {
		at := path.Root("key_value_stores").AtMapKey("default").AtName("consul_prefix")
		resp := &validator.StringResponse{}
		consulPrefixValidator{}.ValidateString(context.Background(), validator.StringRequest{Path: at, ConfigValue: types.StringValue(prefix)}, resp)
		text := diagnosticsText(resp.Diagnostics)
		if want == "" {
			if resp.Diagnostics.HasError() {
				t.Errorf("%q: unexpected error %s", prefix, text)
			}
			continue
		}
		if !strings.Contains(text, want) || !strings.Contains(text, `key_value_stores["default"].consul_prefix`) {
			t.Errorf("%q: error %q does not name the attribute and %q", prefix, text, want)
		}
	}
}

func TestStoreLabelsAreTheDriversLabels(t *testing.T) {
	labels := map[string]bool{"default": true, "cart.v2": true, "a_b-c": true, "my store": false, "a/b": false, "ü": false}
	for label, ok := range labels {
		resp := &validator.MapResponse{}
		value := types.MapValueMust(types.StringType, map[string]attr.Value{label: types.StringValue("x")})
		mapKeysMatch(storeLabel, "must be a store label").ValidateMap(context.Background(), validator.MapRequest{Path: path.Root("key_value_stores"), ConfigValue: value}, resp)
		if resp.Diagnostics.HasError() == ok {
			t.Errorf("label %q: accepted=%v, want %v (%s)", label, !resp.Diagnostics.HasError(), ok, diagnosticsText(resp.Diagnostics))
		}
	}
}

// validate runs the resource's ValidateConfig on a configuration given as
// attribute values (the rest null).
func validate(t *testing.T, attributes map[string]tftypes.Value) string {
	t.Helper()
	ctx := context.Background()
	r := &serviceResource{}
	schemaResp := &resource.SchemaResponse{}
	r.Schema(ctx, resource.SchemaRequest{}, schemaResp)
	objectType := schemaResp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	values := map[string]tftypes.Value{}
	for name, typ := range objectType.AttributeTypes {
		values[name] = tftypes.NewValue(typ, nil)
	}
	for name, value := range attributes {
		values[name] = value
	}
	resp := &resource.ValidateConfigResponse{}
	r.ValidateConfig(ctx, resource.ValidateConfigRequest{Config: tfsdk.Config{Schema: schemaResp.Schema, Raw: tftypes.NewValue(objectType, values)}}, resp)
	return diagnosticsText(resp.Diagnostics)
}

var (
	storeType  = tftypes.Object{AttributeTypes: map[string]tftypes.Type{"consul_prefix": tftypes.String, "token_secret": tftypes.String}}
	secretType = tftypes.Object{AttributeTypes: map[string]tftypes.Type{"path": tftypes.String, "field": tftypes.String, "version": tftypes.Number}}
)

func storesValue(stores map[string][2]interface{}) tftypes.Value {
	out := map[string]tftypes.Value{}
	for label, s := range stores {
		out[label] = tftypes.NewValue(storeType, map[string]tftypes.Value{
			"consul_prefix": tftypes.NewValue(tftypes.String, s[0]),
			"token_secret":  tftypes.NewValue(tftypes.String, s[1]),
		})
	}
	return tftypes.NewValue(tftypes.Map{ElementType: storeType}, out)
}

func secretsValue(secrets map[string][2]interface{}) tftypes.Value {
	out := map[string]tftypes.Value{}
	for name, s := range secrets {
		out[name] = tftypes.NewValue(secretType, map[string]tftypes.Value{
			"path":    tftypes.NewValue(tftypes.String, s[0]),
			"field":   tftypes.NewValue(tftypes.String, s[1]),
			"version": tftypes.NewValue(tftypes.Number, nil),
		})
	}
	return tftypes.NewValue(tftypes.Map{ElementType: secretType}, out)
}

func stringsValue(values ...string) tftypes.Value {
	out := make([]tftypes.Value, 0, len(values))
	for _, v := range values {
		out = append(out, tftypes.NewValue(tftypes.String, v))
	}
	return tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, out)
}

func TestTokenSecretMustNameADeclaredSecretKey(t *testing.T) {
	consulSecret := secretsValue(map[string][2]interface{}{"consul": {"consul/creds/cart", "token"}})
	policies := stringsValue("cart")

	ok := validate(t, map[string]tftypes.Value{
		"secrets": consulSecret, "vault_policies": policies,
		"key_value_stores": storesValue(map[string][2]interface{}{"default": {"apps/cart/default", "consul"}}),
	})
	if ok != "" {
		t.Fatalf("a token_secret naming the secret's one key (which counts as its use) failed: %s", ok)
	}

	undeclared := validate(t, map[string]tftypes.Value{
		"secrets": consulSecret, "vault_policies": policies,
		"key_value_stores": storesValue(map[string][2]interface{}{"default": {"apps/cart/default", "consl"}}),
	})
	if want := `key_value_stores["default"].token_secret: "consl" names no declared secret (secrets: consul)`; !strings.Contains(undeclared, want) {
		t.Errorf("undeclared token secret: %q lacks %q", undeclared, want)
	}
	if strings.Contains(undeclared, "never granted") {
		t.Errorf("a token_secret typo also reported the secret it meant as never granted: %q", undeclared)
	}

	// A secret nothing uses is still reported when the stores' tokens are sound.
	unused := validate(t, map[string]tftypes.Value{
		"secrets":          secretsValue(map[string][2]interface{}{"consul": {"consul/creds/cart", "token"}, "other": {"kv/data/x", "v"}}),
		"vault_policies":   policies,
		"key_value_stores": storesValue(map[string][2]interface{}{"default": {"apps/cart/default", "consul"}}),
	})
	if !strings.Contains(unused, `secrets["other"]: neither config_keys nor secret_env uses secret "other"`) || strings.Contains(unused, `secrets["consul"]`) {
		t.Errorf("secret never granted beside a store token: %q", unused)
	}

	noSecrets := validate(t, map[string]tftypes.Value{
		"key_value_stores": storesValue(map[string][2]interface{}{"default": {"apps/cart/default", "consul"}}),
	})
	if !strings.Contains(noSecrets, `"consul" names no declared secret (secrets: none)`) {
		t.Errorf("token secret without secrets: %q", noSecrets)
	}

	wrongShape := validate(t, map[string]tftypes.Value{
		"secrets": consulSecret, "vault_policies": policies,
		"key_value_stores": storesValue(map[string][2]interface{}{"default": {"apps/cart/default", "consul.token"}}),
	})
	if !strings.Contains(wrongShape, `key_value_stores["default"].token_secret: secret "consul" has field = "token", so its one key is "consul", not "consul.token"`) {
		t.Errorf("token secret with a field: %q", wrongShape)
	}

	alsoGranted := validate(t, map[string]tftypes.Value{
		"secrets": consulSecret, "vault_policies": policies, "config_keys": stringsValue("consul"),
		"key_value_stores": storesValue(map[string][2]interface{}{"default": {"apps/cart/default", "consul"}}),
	})
	if !strings.Contains(alsoGranted, `key_value_stores["default"].token_secret: "consul" is a credential the driver uses, and config_keys entry "consul" would hand it to the component too`) {
		t.Errorf("token secret also in config_keys: %q", alsoGranted)
	}
}

func TestOverlappingStorePrefixesFailThePlan(t *testing.T) {
	text := validate(t, map[string]tftypes.Value{
		"key_value_stores": storesValue(map[string][2]interface{}{
			"default": {"apps/cart", nil},
			"cache":   {"apps/cart/cache/", nil},
			"other":   {"apps/cartx", nil},
		}),
	})
	if !strings.Contains(text, `key_value_stores["default"].consul_prefix: "apps/cart" overlaps the prefix of store "cache" ("apps/cart/cache")`) {
		t.Errorf("overlap not reported: %q", text)
	}
	if strings.Count(text, "overlaps") != 1 {
		t.Errorf("one overlap, reported other than once: %q", text)
	}
	if strings.Contains(text, `"other"`) || strings.Contains(text, `"apps/cartx"`) {
		t.Errorf("apps/cartx shares no keys with apps/cart, yet: %q", text)
	}
}

func diagnosticsText(diags diag.Diagnostics) string {
	var lines []string
	for _, d := range diags {
		lines = append(lines, d.Summary()+": "+d.Detail())
	}
	return strings.Join(lines, "\n")
}

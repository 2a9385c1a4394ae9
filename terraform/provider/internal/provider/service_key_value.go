package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// A nomadwasm_service's Spin key-value stores on Consul KV, as the driver's
// task config takes them (src/config/key-value-config.ts):
//
//	key_value_store "default" {
//	  consul_prefix = "apps/cart/default"   # the store's keys live under apps/cart/default/
//	  token_secret  = "consul"              # optional: a secret key holding its Consul token
//	}
//
// Deny by default: a label without a block cannot be opened. The driver's
// rules for labels, prefixes and token secrets are checked here at plan,
// with the attribute named.

// keyValueStoreModel: one `key_value_store "<label>"` block.
type keyValueStoreModel struct {
	ConsulPrefix types.String `tfsdk:"consul_prefix"`
	TokenSecret  types.String `tfsdk:"token_secret"`
}

// storeLabel: the driver's store label (key-value-config.ts LABEL).
var storeLabel = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// keyValueStoreBlocks renders the stores as Nomad keeps
// `key_value_store "<label>" {...}` blocks of a job submitted with
// `nomad job run`, as secretBlocks does for `secret`.
func keyValueStoreBlocks(stores map[string]keyValueStoreModel) []map[string]interface{} {
	blocks := make([]map[string]interface{}, 0, len(stores))
	for _, label := range sortedKeys(stores) {
		store := stores[label]
		body := map[string]interface{}{"consul_prefix": store.ConsulPrefix.ValueString()}
		if secret := store.TokenSecret.ValueString(); secret != "" {
			body["token_secret"] = secret
		}
		blocks = append(blocks, map[string]interface{}{label: []map[string]interface{}{body}})
	}
	return blocks
}

// readKeyValueStoreBlocks parses the task config's `key_value_store` blocks
// back. nil when there are none.
func readKeyValueStoreBlocks(config map[string]interface{}) map[string]keyValueStoreModel {
	out := map[string]keyValueStoreModel{}
	for label, fields := range readLabelledBlocks(config, "key_value_store") {
		store := keyValueStoreModel{ConsulPrefix: types.StringValue(fmt.Sprint(fields["consul_prefix"])), TokenSecret: types.StringNull()}
		if secret, ok := fields["token_secret"].(string); ok && secret != "" {
			store.TokenSecret = types.StringValue(secret)
		}
		out[label] = store
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// consulPrefixProblem: what the driver finds wrong with a store's prefix
// (src/spin/consul-kv.ts prefixProblem, after trimming outer slashes as
// the driver does), "" when nothing.
func consulPrefixProblem(prefix string) string {
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return "it is empty"
	}
	for _, segment := range strings.Split(prefix, "/") {
		if segment == "" || segment == "." || segment == ".." {
			return `it may not start or end with "/", or hold "//", "." or ".." segments`
		}
	}
	return ""
}

type consulPrefixValidator struct{}

func (consulPrefixValidator) Description(context.Context) string {
	return `a Consul KV prefix such as apps/cart/default (no "//", "." or ".." segments)`
}
func (v consulPrefixValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}
func (consulPrefixValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if problem := consulPrefixProblem(req.ConfigValue.ValueString()); problem != "" {
		attributeError(&resp.Diagnostics, req.Path, "Invalid Consul KV prefix", fmt.Sprintf("%q: %s", req.ConfigValue.ValueString(), problem))
	}
}

// validateStorePrefixesApart: two stores may not share keys (the driver
// refuses a prefix inside another store's).
func validateStorePrefixesApart(stores map[string]keyValueStoreModel, diags diagnosticsAppender) {
	labels := sortedKeys(stores)
	for _, label := range labels {
		prefix := stores[label].ConsulPrefix
		if prefix.IsUnknown() || consulPrefixProblem(prefix.ValueString()) != "" {
			continue
		}
		mine := strings.Trim(prefix.ValueString(), "/") + "/"
		for _, other := range labels {
			theirs := stores[other].ConsulPrefix
			// One error for one overlap: on the later label of the pair.
			if other >= label || theirs.IsUnknown() || consulPrefixProblem(theirs.ValueString()) != "" {
				continue
			}
			t := strings.Trim(theirs.ValueString(), "/") + "/"
			if strings.HasPrefix(mine, t) || strings.HasPrefix(t, mine) {
				attributeError(diags, path.Root("key_value_stores").AtMapKey(label).AtName("consul_prefix"), "Overlapping key-value stores",
					fmt.Sprintf("%q overlaps the prefix of store %q (%q); give each store its own", strings.TrimSuffix(mine, "/"), other, strings.TrimSuffix(t, "/")))
				break
			}
		}
	}
}

// validateTokenSecrets: each token_secret is one key of a declared secret,
// counts as a use of it, and is never granted to the component as well
// (the driver's tokenKeys in secret-config.ts). It returns the secrets used,
// and whether a token_secret named no declared secret (a typo, most likely
// of the secret it meant: one error for one mistake, not also "never
// granted" with a hint to hand the token to the component).
func validateTokenSecrets(g secretGrants, diags diagnosticsAppender) (used map[string]bool, unresolved bool) {
	used = map[string]bool{}
	for _, label := range sortedKeys(g.keyValueStores) {
		key := g.keyValueStores[label].TokenSecret
		if key.IsNull() || key.IsUnknown() {
			continue
		}
		at := path.Root("key_value_stores").AtMapKey(label).AtName("token_secret")
		name, problem := checkSecretKey(key.ValueString(), g.secrets, false)
		if problem != "" {
			attributeError(diags, at, "Invalid token secret", problem)
		}
		used[name] = true
		unresolved = unresolved || name == ""
		if shownBy := grantOfKey(g, key.ValueString()); shownBy != "" {
			attributeError(diags, at, "Consul token granted to the component", fmt.Sprintf("%q is a credential the driver uses, and %s would hand it to the component too; remove it there", key.ValueString(), shownBy))
		}
	}
	return used, unresolved
}

// grantOfKey: which config_keys entry or secret_env variable hands key to
// the component, "" when none does.
func grantOfKey(g secretGrants, key string) string {
	if !g.configKeys.IsUnknown() {
		for _, granted := range stringsOf(g.configKeys) {
			if granted == key || (strings.HasSuffix(granted, ".*") && strings.HasPrefix(key, strings.TrimSuffix(granted, "*"))) {
				return fmt.Sprintf("config_keys entry %q", granted)
			}
		}
	}
	if !g.secretEnv.IsUnknown() {
		env := stringMapOf(g.secretEnv)
		for _, variable := range sortedKeys(env) {
			if env[variable] == key {
				return "secret_env " + variable
			}
		}
	}
	return ""
}

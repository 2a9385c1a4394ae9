package provider

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// A nomadwasm_service's Vault secrets and wasi:config/store grants, as the
// driver's task config takes them (src/config/secret-config.ts):
//
//	secret "db"  { path = "database/creds/app" }               # keys db.<field>
//	secret "api" { path = "kv/data/app"  field = "api_key" }   # key  api
//	config_keys   = ["db.username", "db.password", "api"]
//	config_values = { log_level = "info" }
//	secret_env    = { API_KEY = "api" }
//
// Deny by default: a secret key reaches the component only when config_keys
// or secret_env lists it, and the driver refuses a secret neither uses. The
// same rules are checked here at plan, so a mistake fails `plan` with the
// attribute named instead of a deployment that never becomes healthy.

var (
	secretName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	// What the driver's allow_services accepts (case-insensitive): a Consul
	// service `name` / `name.service.consul`, or `name.service.nomad`.
	serviceGrant = regexp.MustCompile(`(?i)^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.service\.(consul|nomad))?$`)
)

// secretBlocks renders the secrets as Nomad keeps `secret "<name>" {...}`
// blocks of a job submitted with `nomad job run`: one single-key map per
// block, its body a one-element list.
func secretBlocks(secrets map[string]secretModel) []map[string]interface{} {
	blocks := make([]map[string]interface{}, 0, len(secrets))
	for _, name := range sortedKeys(secrets) {
		s := secrets[name]
		body := map[string]interface{}{"path": s.Path.ValueString()}
		if field := s.Field.ValueString(); field != "" {
			body["field"] = field
		}
		if !s.Version.IsNull() && !s.Version.IsUnknown() {
			body["version"] = s.Version.ValueInt64()
		}
		blocks = append(blocks, map[string]interface{}{name: []map[string]interface{}{body}})
	}
	return blocks
}

// readSecretBlocks parses the task config's `secret` blocks back. nil when
// there are none.
func readSecretBlocks(config map[string]interface{}) map[string]secretModel {
	out := map[string]secretModel{}
	for name, fields := range readLabelledBlocks(config, "secret") {
		secret := secretModel{Path: types.StringValue(fmt.Sprint(fields["path"])), Field: types.StringNull(), Version: types.Int64Null()}
		if field, ok := fields["field"].(string); ok && field != "" {
			secret.Field = types.StringValue(field)
		}
		if version, ok := asInt64(fields["version"]); ok {
			secret.Version = types.Int64Value(version)
		}
		out[name] = secret
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// readLabelledBlocks reads `key "<label>" {...}` blocks of a task config
// back, in any of the shapes Nomad keeps them (a list of maps or one map;
// bodies as lists or maps): label -> body.
func readLabelledBlocks(config map[string]interface{}, key string) map[string]map[string]interface{} {
	var labelled []map[string]interface{}
	switch raw := config[key].(type) {
	case map[string]interface{}:
		labelled = append(labelled, raw)
	case []interface{}:
		for _, item := range raw {
			if m, ok := item.(map[string]interface{}); ok {
				labelled = append(labelled, m)
			}
		}
	}
	out := map[string]map[string]interface{}{}
	for _, byLabel := range labelled {
		for label, body := range byLabel {
			var fields map[string]interface{}
			switch b := body.(type) {
			case map[string]interface{}:
				fields = b
			case []interface{}:
				if len(b) > 0 {
					fields, _ = b[0].(map[string]interface{})
				}
			}
			out[label] = fields
		}
	}
	return out
}

func asInt64(v interface{}) (int64, bool) {
	switch n := v.(type) {
	case float64:
		return int64(n), true
	case int64:
		return n, true
	case int:
		return int64(n), true
	}
	return 0, false
}

// secretGrants is what the cross-attribute checks need, with unknown values
// (from module variables not yet known) left out.
type secretGrants struct {
	secrets       map[string]secretModel
	configKeys    types.List
	configValues  types.Map
	secretEnv     types.Map
	vaultPolicies types.List
	envNames      []string
	// keyValueStores: nil while the attribute is unknown.
	keyValueStores      map[string]keyValueStoreModel
	keyValueStoresKnown bool
}

// validateSecretGrants applies the driver's rules for secret blocks,
// config_keys, config_values and secret_env, naming the attribute at fault.
func validateSecretGrants(g secretGrants, diags diagnosticsAppender) {
	for _, name := range sortedKeys(g.secrets) {
		p := g.secrets[name].Path
		if !p.IsUnknown() && strings.Contains(p.ValueString(), "://") {
			attributeError(diags, path.Root("secrets").AtMapKey(name).AtName("path"), "Invalid Vault path",
				fmt.Sprintf("%q is a URL: give the Vault API path as `vault read` takes it (database/creds/app, kv/data/app); the node's plugin vault block says where Vault is", p.ValueString()))
		}
	}
	used, unresolvedToken := validateTokenSecrets(g, diags)
	if !g.configKeys.IsUnknown() {
		for i, e := range g.configKeys.Elements() {
			key, ok := e.(types.String)
			if !ok || key.IsUnknown() {
				continue
			}
			// A malformed key of a declared secret still means to use it: one error, not two.
			name, problem := checkSecretKey(key.ValueString(), g.secrets, true)
			if problem != "" {
				attributeError(diags, path.Root("config_keys").AtListIndex(i), "Invalid config key", problem)
			}
			used[name] = true
		}
	}
	if !g.secretEnv.IsUnknown() {
		for variable, e := range g.secretEnv.Elements() {
			key, ok := e.(types.String)
			if !ok || key.IsUnknown() {
				continue
			}
			at := path.Root("secret_env").AtMapKey(variable)
			for _, envName := range g.envNames {
				if envName == variable {
					attributeError(diags, at, "Environment variable set twice", fmt.Sprintf("%s is also set by grants.env or grants.pass_env; give it one source", variable))
				}
			}
			name, problem := checkSecretKey(key.ValueString(), g.secrets, false)
			if problem != "" {
				attributeError(diags, at, "Invalid secret key", problem)
			}
			used[name] = true
		}
	}
	if !g.configKeys.IsUnknown() && !g.secretEnv.IsUnknown() && g.keyValueStoresKnown && !unresolvedToken {
		for _, name := range sortedKeys(g.secrets) {
			if !used[name] {
				key := name + ".<field>"
				if g.secrets[name].Field.ValueString() != "" {
					key = name
				}
				attributeError(diags, path.Root("secrets").AtMapKey(name), "Secret never granted",
					fmt.Sprintf("neither config_keys nor secret_env uses secret %q, so the component could never see it (list %q in config_keys); the driver refuses such a task", name, key))
			}
		}
	}
	if !g.configValues.IsUnknown() {
		for key := range g.configValues.Elements() {
			at := path.Root("config_values").AtMapKey(key)
			if key == "" {
				attributeError(diags, at, "Empty config key", "a config_values key may not be empty")
			} else if _, clash := g.secrets[strings.SplitN(key, ".", 2)[0]]; clash {
				attributeError(diags, at, "Config key collides with a secret", fmt.Sprintf("%q collides with the keys of secret %q", key, strings.SplitN(key, ".", 2)[0]))
			}
		}
	}
	if len(g.secrets) > 0 && !g.vaultPolicies.IsUnknown() && len(g.vaultPolicies.Elements()) == 0 {
		attributeError(diags, path.Root("vault_policies"), "Secrets need a Vault token",
			"a service with secrets needs vault_policies: Nomad gives the task a Vault token with these policies, which the driver reads the secrets with (without one the task fails with VAULT_TOKEN_MISSING)")
	}
}

// checkSecretKey: the secret a key names ("" when none is declared by that
// name) and what is wrong with the key, if anything (the driver's
// checkSecretKey, same messages).
func checkSecretKey(key string, secrets map[string]secretModel, wildcard bool) (string, string) {
	name, rest, dotted := strings.Cut(key, ".")
	secret, ok := secrets[name]
	if !ok {
		declared := strings.Join(sortedKeys(secrets), ", ")
		if declared == "" {
			declared = "none"
		}
		return "", fmt.Sprintf("%q names no declared secret (secrets: %s)", key, declared)
	}
	if secret.Field.IsUnknown() {
		return name, ""
	}
	if field := secret.Field.ValueString(); field != "" {
		if dotted {
			return name, fmt.Sprintf("secret %q has field = %q, so its one key is %q, not %q", name, field, name, key)
		}
		return name, ""
	}
	switch {
	case !dotted || rest == "":
		hint := ""
		if wildcard {
			hint = fmt.Sprintf(" (or %q for all)", name+".*")
		}
		return name, fmt.Sprintf("secret %q has no field, so its keys are %q%s", name, name+".<field>", hint)
	case rest == "*" && !wildcard:
		return name, fmt.Sprintf("%q: an environment variable takes one key, not a wildcard", key)
	case strings.Contains(rest, "*") && rest != "*":
		return name, fmt.Sprintf("%q: \"*\" may only stand for the whole field name (%q)", key, name+".*")
	}
	return name, ""
}

// attributeError names the attribute in the text too: OpenTofu shows the
// configuration line, which for a list element or map key is not enough.
func attributeError(diags diagnosticsAppender, at path.Path, summary, detail string) {
	diags.AddAttributeError(at, summary, fmt.Sprintf("%s: %s", at, detail))
}

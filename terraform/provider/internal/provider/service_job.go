package provider

import (
	"fmt"
	"sort"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The Nomad job a nomadwasm_service becomes, and back: one group, one
// `driver = "wasm"` task, one dynamic port "http" the component serves on.

const (
	groupName        = "service"
	taskName         = "component"
	managedMetaKey   = "nomadwasm.managed-by"
	managedMetaValue = "terraform-provider-nomadwasm"
)

func buildServiceJob(m *serviceModel) (*api.Job, error) {
	name := m.Name.ValueString()
	namespace := m.Namespace.ValueString()
	job := api.NewServiceJob(name, name, "", 50)
	job.Namespace = &namespace
	job.Datacenters = stringsOf(m.Datacenters)
	job.Meta = map[string]string{managedMetaKey: managedMetaValue}
	if class := m.NodeClass.ValueString(); class != "" {
		job.Constraints = []*api.Constraint{api.NewConstraint("${node.class}", "=", class)}
	}

	config := map[string]interface{}{
		"component":     m.Component.ValueString(),
		"port":          httpPortLabel,
		"http_instance": m.HTTPInstance.ValueString(),
	}
	resources := &api.Resources{CPU: intPtr(int(m.CPU.ValueInt64())), MemoryMB: intPtr(int(m.Memory.ValueInt64()))}
	if g := m.Grants; g != nil {
		if env := stringMapOf(g.Env); len(env) > 0 {
			// Nomad decodes a JSON-submitted map attribute of a driver config
			// only as a one-element list of maps (HCL1 block semantics).
			config["env"] = []map[string]string{env}
		}
		if passEnv := stringsOf(g.PassEnv); len(passEnv) > 0 {
			config["pass_env"] = passEnv
		}
		if allow := stringsOf(g.AllowHTTP); len(allow) > 0 {
			config["allow_http"] = allow
		}
		if len(g.Mounts) > 0 {
			mounts := make([]map[string]interface{}, 0, len(g.Mounts))
			for _, mount := range g.Mounts {
				mounts = append(mounts, map[string]interface{}{
					"source":      mount.Source.ValueString(),
					"destination": mount.Destination.ValueString(),
					"readonly":    mount.Readonly.ValueBool(),
				})
			}
			config["mount"] = mounts
		}
		if !g.MemoryMax.IsNull() && !g.MemoryMax.IsUnknown() {
			resources.MemoryMaxMB = intPtr(int(g.MemoryMax.ValueInt64()))
		}
	}
	if len(m.Secrets) > 0 {
		config["secret"] = secretBlocks(m.Secrets)
	}
	if len(m.KeyValueStores) > 0 {
		config["key_value_store"] = keyValueStoreBlocks(m.KeyValueStores)
	}
	if keys := stringsOf(m.ConfigKeys); len(keys) > 0 {
		config["config_keys"] = keys
	}
	if values := stringMapOf(m.ConfigValues); len(values) > 0 {
		config["config_values"] = []map[string]string{values}
	}
	if secretEnv := stringMapOf(m.SecretEnv); len(secretEnv) > 0 {
		config["secret_env"] = []map[string]string{secretEnv}
	}
	if services := stringsOf(m.AllowServices); len(services) > 0 {
		config["allow_services"] = services
	}

	task := api.NewTask(taskName, "wasm")
	task.Config = config
	task.Resources = resources
	if policies := stringsOf(m.VaultPolicies); len(policies) > 0 {
		// env = false: the driver reads secrets/vault_token, and Nomad 1.6
		// would persist a token in the task env to its client state DB.
		task.Vault = &api.Vault{Policies: policies, Env: boolPtr(false)}
	}

	healthCheck := "task_states"
	if s := m.Service; s != nil {
		service := &api.Service{
			Name:      s.Name.ValueString(),
			Provider:  s.Provider.ValueString(),
			Tags:      stringsOf(s.Tags),
			PortLabel: httpPortLabel,
		}
		for i, c := range s.Checks {
			interval, err := time.ParseDuration(c.Interval.ValueString())
			if err != nil {
				return nil, fmt.Errorf("service.checks[%d].interval: %v", i, err)
			}
			timeout, err := time.ParseDuration(c.Timeout.ValueString())
			if err != nil {
				return nil, fmt.Errorf("service.checks[%d].timeout: %v", i, err)
			}
			check := api.ServiceCheck{Name: fmt.Sprintf("%s-%s-%d", service.Name, c.Type.ValueString(), i), Type: c.Type.ValueString(), Interval: interval, Timeout: timeout}
			if check.Type == "http" {
				check.Path = c.Path.ValueString()
			}
			service.Checks = append(service.Checks, check)
		}
		if len(service.Checks) > 0 {
			healthCheck = "checks"
		}
		task.Services = []*api.Service{service}
	}

	group := api.NewTaskGroup(groupName, int(m.Count.ValueInt64()))
	group.Networks = []*api.NetworkResource{{DynamicPorts: []api.Port{{Label: httpPortLabel}}}}
	group.Update = &api.UpdateStrategy{
		MaxParallel:      intPtr(1),
		HealthCheck:      &healthCheck,
		MinHealthyTime:   durationPtr(2 * time.Second),
		HealthyDeadline:  durationPtr(2 * time.Minute),
		ProgressDeadline: durationPtr(3 * time.Minute),
		AutoRevert:       boolPtr(false),
	}
	group.AddTask(task)
	job.AddTaskGroup(group)
	return job, nil
}

// readServiceJob fills the Nomad-side attributes of m from a job read back
// from Nomad, keeping m's spelling where Nomad normalises (durations, empty
// vs unset). A job that no longer has this resource's shape is an error.
func readServiceJob(m *serviceModel, job *api.Job) error {
	if len(job.TaskGroups) != 1 || len(job.TaskGroups[0].Tasks) != 1 {
		return fmt.Errorf("job %q has %d groups: not the one-group, one-task job a nomadwasm_service manages", *job.ID, len(job.TaskGroups))
	}
	group := job.TaskGroups[0]
	task := group.Tasks[0]
	if task.Driver != "wasm" {
		return fmt.Errorf("job %q runs driver %q, not wasm", *job.ID, task.Driver)
	}
	m.Name = types.StringValue(*job.ID)
	m.Namespace = types.StringValue(deref(job.Namespace, "default"))
	m.ID = types.StringValue(*job.ID + "@" + m.Namespace.ValueString())
	m.Datacenters = listOf(job.Datacenters)
	m.NodeClass = types.StringNull()
	for _, c := range job.Constraints {
		if c.LTarget == "${node.class}" && c.Operand == "=" {
			m.NodeClass = types.StringValue(c.RTarget)
		}
	}
	m.Count = types.Int64Value(int64(deref(group.Count, 1)))

	config := task.Config
	m.Component = types.StringValue(configString(config, "component"))
	m.HTTPInstance = types.StringValue(configStringOr(config, "http_instance", "shared"))
	if task.Resources != nil {
		m.CPU = types.Int64Value(int64(deref(task.Resources.CPU, 100)))
		m.Memory = types.Int64Value(int64(deref(task.Resources.MemoryMB, 300)))
	}

	var prior grantsModel
	priorSet := m.Grants != nil
	if priorSet {
		prior = *m.Grants
	} else {
		prior = grantsModel{Env: types.MapNull(types.StringType), PassEnv: types.ListNull(types.StringType), AllowHTTP: types.ListNull(types.StringType), MemoryMax: types.Int64Null()}
	}
	grants := grantsModel{
		Env:       keepNullMap(prior.Env, configStringMap(config, "env")),
		PassEnv:   keepNullList(prior.PassEnv, configStrings(config, "pass_env")),
		AllowHTTP: keepNullList(prior.AllowHTTP, configStrings(config, "allow_http")),
		MemoryMax: types.Int64Null(),
	}
	for _, mount := range configBlocks(config, "mount") {
		grants.Mounts = append(grants.Mounts, mountModel{
			Source:      types.StringValue(fmt.Sprint(mount["source"])),
			Destination: types.StringValue(fmt.Sprint(mount["destination"])),
			Readonly:    types.BoolValue(mount["readonly"] != false),
		})
	}
	if task.Resources != nil && task.Resources.MemoryMaxMB != nil && *task.Resources.MemoryMaxMB > 0 {
		grants.MemoryMax = types.Int64Value(int64(*task.Resources.MemoryMaxMB))
	}
	empty := grants.Env.IsNull() && grants.PassEnv.IsNull() && grants.AllowHTTP.IsNull() && len(grants.Mounts) == 0 && grants.MemoryMax.IsNull()
	if priorSet || !empty {
		m.Grants = &grants
	}

	m.AllowServices = keepNullList(m.AllowServices, configStrings(config, "allow_services"))
	if secrets := readSecretBlocks(config); secrets != nil || m.Secrets == nil || len(m.Secrets) > 0 {
		m.Secrets = secrets // (an empty map in the configuration stays empty)
	}
	if stores := readKeyValueStoreBlocks(config); stores != nil || m.KeyValueStores == nil || len(m.KeyValueStores) > 0 {
		m.KeyValueStores = stores
	}
	m.ConfigKeys = keepNullList(m.ConfigKeys, configStrings(config, "config_keys"))
	m.ConfigValues = keepNullMap(m.ConfigValues, configStringMap(config, "config_values"))
	m.SecretEnv = keepNullMap(m.SecretEnv, configStringMap(config, "secret_env"))
	var policies []string
	if task.Vault != nil {
		policies = task.Vault.Policies
	}
	m.VaultPolicies = keepNullList(m.VaultPolicies, policies)

	if len(task.Services) == 0 {
		m.Service = nil
	} else {
		s := task.Services[0]
		prior := m.Service
		service := &serviceBlockModel{Name: types.StringValue(s.Name), Provider: types.StringValue(orDefault(s.Provider, "consul")), Tags: listOf(s.Tags)}
		if prior != nil {
			service.Tags = keepNullList(prior.Tags, s.Tags)
		} else if len(s.Tags) == 0 {
			service.Tags = types.ListNull(types.StringType)
		}
		for i, c := range s.Checks {
			check := checkModel{Type: types.StringValue(c.Type), Path: types.StringValue(c.Path), Interval: types.StringValue(c.Interval.String()), Timeout: types.StringValue(c.Timeout.String())}
			if prior != nil && i < len(prior.Checks) {
				check.Interval = sameDuration(prior.Checks[i].Interval, c.Interval)
				check.Timeout = sameDuration(prior.Checks[i].Timeout, c.Timeout)
				if c.Type != "http" {
					check.Path = prior.Checks[i].Path
				}
			}
			service.Checks = append(service.Checks, check)
		}
		m.Service = service
	}
	m.JobVersion = types.Int64Value(int64(deref(job.Version, 0)))
	m.ModifyIndex = types.StringValue(fmt.Sprint(deref(job.JobModifyIndex, 0)))
	return nil
}

// sameDuration keeps the configured spelling ("1m") of a duration Nomad returns as 1m0s.
func sameDuration(prior types.String, actual time.Duration) types.String {
	if d, err := time.ParseDuration(prior.ValueString()); err == nil && d == actual {
		return prior
	}
	return types.StringValue(actual.String())
}

func configString(config map[string]interface{}, key string) string {
	if s, ok := config[key].(string); ok {
		return s
	}
	return ""
}

func configStringOr(config map[string]interface{}, key, fallback string) string {
	if s := configString(config, key); s != "" {
		return s
	}
	return fallback
}

func configStrings(config map[string]interface{}, key string) []string {
	raw, _ := config[key].([]interface{})
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

func configStringMap(config map[string]interface{}, key string) map[string]string {
	out := map[string]string{}
	switch raw := config[key].(type) {
	case map[string]interface{}:
		for k, v := range raw {
			out[k] = fmt.Sprint(v)
		}
	case []interface{}: // HCL1-style block lists
		for _, item := range raw {
			if m, ok := item.(map[string]interface{}); ok {
				for k, v := range m {
					out[k] = fmt.Sprint(v)
				}
			}
		}
	}
	return out
}

func configBlocks(config map[string]interface{}, key string) []map[string]interface{} {
	raw, _ := config[key].([]interface{})
	out := make([]map[string]interface{}, 0, len(raw))
	for _, item := range raw {
		if m, ok := item.(map[string]interface{}); ok {
			out = append(out, m)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func deref[T any](p *T, fallback T) T {
	if p == nil {
		return fallback
	}
	return *p
}

func intPtr(v int) *int                          { return &v }
func boolPtr(v bool) *bool                       { return &v }
func durationPtr(v time.Duration) *time.Duration { return &v }

func orDefault(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

package conformance

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/nomad/helper/pluginutils/hclspecutils"
	"github.com/hashicorp/nomad/helper/pluginutils/hclutils"
	"github.com/hashicorp/nomad/plugins/base"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/msgpack"
)

func TestPluginInfoThroughGoPluginHandshake(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	info, err := p.base.PluginInfo()
	must.NoError(t, err)
	must.Eq(t, base.PluginTypeDriver, info.Type)
	must.Eq(t, "wasm", info.Name)
	must.Eq(t, []string{"0.1.0"}, info.PluginApiVersions)
	must.Eq(t, "0.1.0", info.PluginVersion)
	_, err = version.NewVersion(info.PluginVersion) // Nomad refuses to start with an unparsable version
	must.NoError(t, err)
	// The wrapper exec'd node: the pid go-plugin records is node's, not a shell's.
	exe, err := os.Readlink("/proc/" + itoa(p.pid()) + "/exe")
	must.NoError(t, err)
	must.Eq(t, "node", filepath.Base(exe))
}

func TestSchemasConvertWithNomadsHclspecUtils(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	configSpec, err := p.base.ConfigSchema()
	must.NoError(t, err)
	_, diags := hclspecutils.Convert(configSpec)
	must.False(t, diags.HasErrors(), must.Sprint(diags))
	taskSpec, err := p.driver.TaskConfigSchema()
	must.NoError(t, err)
	_, diags = hclspecutils.Convert(taskSpec)
	must.False(t, diags.HasErrors(), must.Sprint(diags))

	// The task schema accepts every documented field, in the shape the Nomad
	// client hands it: jobspec2 turns `env = { K = "v" }` (and `env { K = "v" }`)
	// into []map[string]interface{} (checked with jobspec2.ParseWithConfig at
	// v1.11.3), so a map attribute is declared list(map(string)) like Docker's labels.
	val := decodeThroughSchema(t, taskSpec, map[string]interface{}{
		"component": "local/x.wasm",
		"args":      []string{"a"},
		"env":       []map[string]interface{}{{"K": "v"}},
		"pass_env":  []string{"NOMAD_ALLOC_ID"},
		"port":      "http",
	})
	must.Eq(t, cty.String, val.GetAttr("component").Type())
	must.True(t, val.GetAttr("args").Type().IsListType())
	must.True(t, val.GetAttr("pass_env").Type().IsListType())
	must.Eq(t, cty.String, val.GetAttr("port").Type())
	env := val.GetAttr("env")
	must.True(t, env.Type().IsListType() && env.Type().ElementType().IsMapType(), must.Sprintf("env type %s", env.Type().FriendlyName()))
	must.Eq(t, "v", env.Index(cty.NumberIntVal(0)).Index(cty.StringVal("K")).AsString())
	// A job submitted as JSON through the HTTP API with "env": {"K": "v"} keeps a
	// plain map; record what Nomad's decoder makes of it (Docker's labels behave the same).
	spec, _ := hclspecutils.Convert(taskSpec)
	_, diags, _ = hclutils.ParseHclInterface(map[string]interface{}{"component": "local/x.wasm", "env": map[string]interface{}{"K": "v"}}, spec, nil)
	t.Logf("JSON-API form env={K:v}: decode errors = %v", diags.HasErrors())
	// `component` is required: Nomad rejects a job without it before any RPC.
	_, diags, _ = hclutils.ParseHclInterface(map[string]interface{}{"args": []string{"a"}}, spec, nil)
	must.True(t, diags.HasErrors(), must.Sprint("a task config without component must not decode"))
	must.StrContains(t, diags.Error(), "component")
}

// The start-up sequence of a Nomad agent (helper/pluginutils/loader): a
// fingerprint instance (PluginInfo, ConfigSchema, killed), a validation
// instance (SetConfig with the schema-decoded config and no agent config,
// killed), then the long-lived instance (SetConfig with nomad_config). With
// no plugin block config, the empty config is decoded so defaults apply.
func TestAgentStartupSequenceWithDefaultConfig(t *testing.T) {
	fingerprint := startPlugin(t)
	info, err := fingerprint.base.PluginInfo()
	must.NoError(t, err)
	must.Eq(t, base.PluginTypeDriver, info.Type)
	schema, err := fingerprint.base.ConfigSchema()
	must.NoError(t, err)
	must.NotNil(t, schema, must.Sprint("a nil schema would make Nomad refuse any plugin config block"))
	fingerprint.client.Kill()

	val := decodeThroughSchema(t, schema, map[string]interface{}{})
	cacheDir := val.GetAttr("cache_dir")
	must.False(t, cacheDir.IsNull(), must.Sprint("cache_dir must have a default"))
	must.NotEq(t, "", cacheDir.AsString())
	t.Logf("default cache_dir = %q", cacheDir.AsString())
	encoded, err := msgpack.Marshal(val, val.Type())
	must.NoError(t, err)

	validation := startPlugin(t)
	must.NoError(t, validation.base.SetConfig(&base.Config{PluginConfig: encoded, ApiVersion: "0.1.0"}))
	must.NoError(t, validation.base.SetConfig(&base.Config{PluginConfig: encoded, ApiVersion: "0.1.0"}))
	validation.client.Kill()

	long := startPlugin(t)
	must.NoError(t, long.base.SetConfig(&base.Config{PluginConfig: encoded, ApiVersion: "0.1.0", AgentConfig: nomadAgentConfig()}))
	caps, err := long.driver.Capabilities()
	must.NoError(t, err)
	must.True(t, caps.SendSignals)
}

func TestSetConfigRejectsGarbageWithAMessage(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	err := p.base.SetConfig(&base.Config{PluginConfig: []byte{0xc1, 0xff}, ApiVersion: "0.1.0"})
	must.ErrorContains(t, err, "invalid plugin config")
	// Validation instances get SetConfig without agent config; defaults apply.
	must.NoError(t, p.base.SetConfig(&base.Config{ApiVersion: "0.1.0"}))
	err = p.base.SetConfig(&base.Config{PluginConfig: p.encodePluginConfig(t, map[string]interface{}{"cache_dir": "relative/path"}), ApiVersion: "0.1.0"})
	must.ErrorContains(t, err, `"cache_dir": must be an absolute path`)
}

func TestCapabilities(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	caps, err := p.driver.Capabilities()
	must.NoError(t, err)
	must.True(t, caps.SendSignals)
	must.False(t, caps.Exec)
	must.Eq(t, drivers.FSIsolationImage, caps.FSIsolation)
	must.Eq(t, []drivers.NetIsolationMode{drivers.NetIsolationModeHost}, caps.NetIsolationModes)
	must.Eq(t, drivers.MountConfigSupportNone, caps.MountConfigs)
}

func TestFingerprintIsImmediateHealthyAndStaysOpen(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := p.driver.Fingerprint(ctx)
	must.NoError(t, err)
	select {
	case fp := <-ch:
		must.Eq(t, drivers.HealthStateHealthy, fp.Health)
		must.NotNil(t, fp.Attributes["driver.wasm.version"])
		must.NoError(t, fp.Err)
	case <-time.After(30 * time.Second):
		t.Fatal("no fingerprint within 30s")
	}
	// Nomad treats a closed fingerprint stream as a dead plugin: it must stay
	// open (later messages are allowed, e.g. periodic re-fingerprints).
	open := time.After(3 * time.Second)
	for {
		select {
		case fp, ok := <-ch:
			must.True(t, ok, must.Sprint("fingerprint stream closed within 3s"))
			must.Eq(t, drivers.HealthStateHealthy, fp.Health)
			continue
		case <-open:
		}
		break
	}
}

// go-plugin's Kill asks the plugin to shut down (GRPCController.Shutdown)
// and SIGKILLs it if it has not exited 2 s later; it logs which happened.
func TestControllerShutdownExitsByItselfBeforeGoPluginKillsIt(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	pid := p.pid()
	p.client.Kill()
	waitGone(t, pid, 30*time.Second)
	must.StrContains(t, p.logs.String(), "plugin exited")
	must.StrNotContains(t, p.logs.String(), "plugin failed to exit gracefully", must.Sprint("go-plugin had to SIGKILL it"))
}

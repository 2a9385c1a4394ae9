package conformance

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/nomad/helper/pluginutils/hclspecutils"
	"github.com/hashicorp/nomad/plugins/base"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"
)

func TestPluginInfoThroughGoPluginHandshake(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	info, err := p.base.PluginInfo()
	must.NoError(t, err)
	must.Eq(t, base.PluginTypeDriver, info.Type)
	must.Eq(t, "wasm", info.Name)
	must.Eq(t, []string{"0.1.0"}, info.PluginApiVersions)
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
	case <-time.After(time.Second):
		t.Fatal("no fingerprint within 1s")
	}
	select {
	case fp, ok := <-ch:
		must.True(t, ok, must.Sprint("fingerprint stream closed"))
		must.Eq(t, drivers.HealthStateHealthy, fp.Health)
	case <-time.After(3 * time.Second):
		// still open and quiet: what Nomad needs
	}
}

func TestControllerShutdownExitsPromptly(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	pid := p.pid()
	start := time.Now()
	p.client.Kill() // GRPCController.Shutdown, then SIGKILL after 2s if still alive
	waitGone(t, pid, 3*time.Second)
	must.Less(t, 1900*time.Millisecond, time.Since(start), must.Sprint("plugin must exit before go-plugin's 2s SIGKILL"))
}

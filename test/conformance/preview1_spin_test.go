package conformance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/shoenig/test/must"
)

// A Go program built with GOOS=wasip1 (a WASI preview1 core module) started
// through Nomad's own driver client: its arguments, output and os.Exit code
// reach Nomad as they would from any other driver.
func TestPreview1ModuleExitCodeAndLogs(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	task := newTask(t, p, "wasip1-probe", map[string]interface{}{
		"component": "local/wasip1-probe.wasm",
		"args":      []string{"exit", "3"},
	}, nil)
	_, _, err := p.driver.StartTask(task.config)
	must.NoError(t, err)
	res := waitExit(t, p.driver, task.config.ID, 60*time.Second)
	must.Eq(t, 3, res.ExitCode)
	must.Eq(t, 0, res.Signal)
	must.False(t, res.Successful())
	must.Eq(t, "exiting with 3\n", task.stdout.waitFor(t, "exiting with 3\n", 5*time.Second))

	hello := newTask(t, p, "wasip1-probe", map[string]interface{}{
		"component": "local/wasip1-probe.wasm",
		"args":      []string{"hello"},
	}, nil)
	_, _, err = p.driver.StartTask(hello.config)
	must.NoError(t, err)
	must.Eq(t, 0, waitExit(t, p.driver, hello.config.ID, 30*time.Second).ExitCode)
	must.Eq(t, "hello from Go on wasip1\n", hello.stdout.waitFor(t, "wasip1\n", 5*time.Second))
	must.Eq(t, "a line on stderr\n", hello.stderr.waitFor(t, "stderr\n", 5*time.Second))
}

// A Spin app whose spin.toml asks for a key-value store the job does not
// grant fails at StartTask, before its component runs, saying what to add.
func TestSpinManifestWithUngrantedStoreFailsTheStart(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	manifest, err := os.ReadFile(filepath.Join(repoRoot, "test/components/python/spin-py-app/spin.toml"))
	must.NoError(t, err)
	task := newTask(t, p, "spin-py-app", map[string]interface{}{
		"component":     "local/spin-py-app.wasm",
		"port":          "http",
		"config_values": []map[string]interface{}{{"greeting": "hi", "api_token": "t"}},
		"allow_http":    []string{"api.example.com"},
		"spin":          []map[string]interface{}{{"manifest": "local/spin.toml"}},
	}, nil)
	task.config.Resources.Ports = &structs.AllocatedPorts{{Label: "http", Value: 20000, HostIP: "127.0.0.1"}}
	must.NoError(t, os.WriteFile(filepath.Join(task.config.AllocDir, "web", "local", "spin.toml"), manifest, 0o644))
	_, _, err = p.driver.StartTask(task.config)
	must.Error(t, err)
	must.StrContains(t, err.Error(), "[SPIN_GRANT_MISSING] ")
	must.StrContains(t, err.Error(), `key-value store "default": add key_value_store "default" { consul_prefix =`)
	must.False(t, strings.Contains(err.Error(), "variable"), must.Sprint("the variables are granted"))
	must.False(t, structs.IsRecoverable(err))
	assertPluginAnswers(t, p)
}

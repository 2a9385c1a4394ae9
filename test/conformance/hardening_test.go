package conformance

// The plugin as Nomad launches it (plugins/wasm through go-plugin): no core
// dumps, no inspector on SIGUSR1; credentials in a Vault address refused
// without echoing them; a Vault reached over plain HTTP or without
// certificate checks said once in the plugin log and as a coded event of
// each task that uses it.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/nomad/plugins/base"
	"github.com/shoenig/test/must"
)

// coreLimit reads "Max core file size" (soft, hard) from /proc/<pid>/limits.
func coreLimit(t *testing.T, pid int) (string, string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("/proc", itoa(pid), "limits"))
	must.NoError(t, err)
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "Max core file size") {
			fields := strings.Fields(strings.TrimPrefix(line, "Max core file size"))
			return fields[0], fields[1]
		}
	}
	t.Fatal("no core limit line")
	return "", ""
}

// sigusr1Blocked says whether every thread of pid blocks SIGUSR1 (Node's --disable-sigusr1).
func sigusr1Blocked(t *testing.T, pid int) bool {
	t.Helper()
	tasks, err := os.ReadDir(filepath.Join("/proc", itoa(pid), "task"))
	must.NoError(t, err)
	for _, task := range tasks {
		status, err := os.ReadFile(filepath.Join("/proc", itoa(pid), "task", task.Name(), "status"))
		must.NoError(t, err)
		blocked := false
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "SigBlk:") {
				var mask uint64
				for _, c := range strings.TrimSpace(strings.TrimPrefix(line, "SigBlk:")) {
					mask = mask<<4 | uint64(strings.IndexRune("0123456789abcdef", c))
				}
				blocked = mask&(1<<9) != 0
			}
		}
		if !blocked {
			return false
		}
	}
	return true
}

func TestPluginProcessHasNoCoreDumpsAndNoSigusr1Inspector(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	soft, hard := coreLimit(t, p.pid())
	must.Eq(t, "0", soft)
	must.Eq(t, "0", hard)
	must.True(t, sigusr1Blocked(t, p.pid()), must.Sprint("plugins/wasm starts Node 24 with --disable-sigusr1"))
	must.NoError(t, syscall.Kill(p.pid(), syscall.SIGUSR1))
	// It keeps serving Nomad, and says nothing of an inspector.
	assertPluginAnswers(t, p)
	time.Sleep(2 * time.Second) // longer than an unhardened Node needs to listen (test/runtime/process-hardening.test.ts)
	assertPluginAnswers(t, p)
	must.StrNotContains(t, p.logs.String(), "Debugger listening")
	must.StrNotContains(t, p.logs.String(), "core dumps are enabled")
}

func TestVaultAddressWithCredentialsIsRefusedWithoutEchoingThem(t *testing.T) {
	p := startPlugin(t)
	err := p.base.SetConfig(&base.Config{PluginConfig: p.encodePluginConfig(t, map[string]interface{}{
		"vault": []map[string]interface{}{{"address": "https://admin:hunter2secret@vault.example.com:8200"}},
	}), ApiVersion: "0.1.0", AgentConfig: nomadAgentConfig()})
	must.ErrorContains(t, err, `[PLUGIN_CONFIG_INVALID] invalid plugin config: config field "vault.address": must not carry a user or password ("https://***@vault.example.com:8200")`)
	must.Eq(t, "PLUGIN_CONFIG_INVALID", p.errorCode(t, "SetConfig"))
	must.StrNotContains(t, err.Error(), "hunter2secret")
	must.StrNotContains(t, p.logs.String(), "hunter2secret")
}

func TestInsecureVaultConnectionIsWarnedOnceAndInTheTasksThatUseIt(t *testing.T) {
	p := startPlugin(t)
	cache := t.TempDir()
	// 192.0.2.1 (TEST-NET-1) is not this node and answers nothing.
	config := map[string]interface{}{
		"cache_dir": cache,
		"vault":     []map[string]interface{}{{"address": "http://192.0.2.1:8200", "tls_skip_verify": true, "request_timeout": "1s"}},
	}
	p.setConfig(t, config)
	p.setConfig(t, config) // Nomad configures the long-lived instance again on a reload: still one warning each
	p.cache = cache
	plain := "[CONNECTION_INSECURE] Vault at http://192.0.2.1:8200 is plain HTTP"
	unchecked := "[CONNECTION_INSECURE] Vault at http://192.0.2.1:8200 is used with tls_skip_verify = true"
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.logs.String(), unchecked) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	must.Eq(t, 1, strings.Count(p.logs.String(), plain), must.Sprint(p.logs.tail(20)))
	must.Eq(t, 1, strings.Count(p.logs.String(), unchecked))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := p.driver.TaskEvents(ctx)
	must.NoError(t, err)
	time.Sleep(200 * time.Millisecond) // the plugin subscribes when the stream reaches it

	// A task without secrets does not use Vault: no warning for it.
	plainTask := newTask(t, p, "hello-command", map[string]interface{}{"component": "local/hello-command.wasm"}, nil)
	_, _, err = p.driver.StartTask(plainTask.config)
	must.NoError(t, err)

	task := newTask(t, p, "config-command", map[string]interface{}{
		"component":   "local/config-command.wasm",
		"secret":      []map[string]interface{}{{"api": []map[string]interface{}{{"path": "kv/data/app", "field": "key"}}}},
		"config_keys": []string{"api"},
	}, nil)
	must.NoError(t, os.WriteFile(filepath.Join(task.config.AllocDir, "web", "secrets", "vault_token"), []byte("hvs.not-a-real-token-for-this-test"), 0o600))
	_, _, err = p.driver.StartTask(task.config)
	must.ErrorContains(t, err, "[VAULT_UNREACHABLE] Vault at http://192.0.2.1:8200 is unreachable")

	warnings := map[string][]string{}
	timeout := time.After(10 * time.Second)
	for len(warnings[task.config.ID]) < 2 {
		select {
		case ev := <-events:
			if ev.Annotations["code"] == "CONNECTION_INSECURE" {
				must.Eq(t, "vault", ev.Annotations["endpoint"])
				warnings[ev.TaskID] = append(warnings[ev.TaskID], ev.Message)
			}
		case <-timeout:
			t.Fatalf("warnings so far: %q", warnings)
		}
	}
	must.StrHasPrefix(t, plain, warnings[task.config.ID][0])
	must.StrHasPrefix(t, unchecked, warnings[task.config.ID][1])
	must.MapNotContainsKey(t, warnings, plainTask.config.ID)
}

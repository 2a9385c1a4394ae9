package conformance

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"
)

func TestCommandRunsWithArgsAndLogs(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	task := newTask(t, p, "hello-command", map[string]interface{}{
		"component": "local/hello-command.wasm",
		"args":      []string{"a b", "c"},
	}, nil)
	handle, network, err := p.driver.StartTask(task.config)
	must.NoError(t, err)
	must.Nil(t, network)
	must.Eq(t, task.config.ID, handle.Config.ID)
	must.GreaterEq(t, 1, handle.Version)
	res := waitExit(t, p.driver, task.config.ID, 10*time.Second)
	must.Eq(t, 0, res.ExitCode)
	must.NoError(t, res.Err)
	must.Eq(t, "hello from wasm\na b\nc\n", task.stdout.waitFor(t, "c\n", 5*time.Second))
	must.Eq(t, "hello on stderr\n", task.stderr.waitFor(t, "stderr\n", 5*time.Second))
	must.NoError(t, p.driver.DestroyTask(task.config.ID, true))
}

func TestFailingCommandReportsExitCode(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	task := newTask(t, p, "exit-code", map[string]interface{}{"component": "local/exit-code.wasm", "args": []string{"7"}}, nil)
	_, _, err := p.driver.StartTask(task.config)
	must.NoError(t, err)
	res := waitExit(t, p.driver, task.config.ID, 10*time.Second)
	// WASI 0.2's exit only says success or failure.
	must.Eq(t, 1, res.ExitCode)
	must.Eq(t, 0, res.Signal)
	must.StrContains(t, task.stdout.waitFor(t, "exiting", 5*time.Second), "exiting with 7")
}

func TestComponentSeesOnlyGrantedEnvAndNoFiles(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	task := newTask(t, p, "env-probe", map[string]interface{}{
		"component": "local/env-probe.wasm",
		"env":       []map[string]interface{}{{"GREETING": "hi"}},
		"pass_env":  []string{"NOMAD_ALLOC_ID"},
	}, map[string]string{"SECRET_TOKEN": "s3cr3t", "VAULT_TOKEN": "hvs.x", "NOMAD_ALLOC_ID": "alloc-1", "NOMAD_TOKEN": "jwt"})
	_, _, err := p.driver.StartTask(task.config)
	must.NoError(t, err)
	must.Eq(t, 0, waitExit(t, p.driver, task.config.ID, 10*time.Second).ExitCode)
	out := task.stdout.waitFor(t, "/etc/passwd", 5*time.Second)
	var vars []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "=") {
			vars = append(vars, line)
		}
	}
	must.SliceContainsAll(t, []string{"GREETING=hi", "NOMAD_ALLOC_ID=alloc-1"}, vars)
	must.SliceLen(t, 2, vars)
	must.StrNotContains(t, out, "s3cr3t")
	must.StrContains(t, out, "open /etc/passwd: denied")
}

func TestMalformedConfigsFailClearlyAndThePluginCarriesOn(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	cases := []struct {
		name        string
		component   string
		config      map[string]interface{}
		notAMap     bool
		wantMessage string
	}{
		{name: "not a msgpack map", notAMap: true, wantMessage: "expected an object"},
		{name: "missing file", config: map[string]interface{}{"component": "local/nothere.wasm"}, wantMessage: `component "local/nothere.wasm" not found in the task dir`},
		{name: "path escape", config: map[string]interface{}{"component": "../../../../etc/passwd"}, wantMessage: "resolves outside the task dir"},
		{name: "absolute path", config: map[string]interface{}{"component": "/etc/passwd"}, wantMessage: "must be a path relative to the task dir"},
		{name: "not wasm", component: "not-wasm", config: map[string]interface{}{"component": "local/not-wasm.wasm"}, wantMessage: "is not WebAssembly"},
		{name: "core module", component: "core-module", config: map[string]interface{}{"component": "local/core-module.wasm"}, wantMessage: "is a core WebAssembly module, not a component"},
		{name: "unknown port label", component: "hello-http", config: map[string]interface{}{"component": "local/hello-http.wasm", "port": "nope"}, wantMessage: `no port labelled "nope"`},
		{name: "http component without port", component: "hello-http", config: map[string]interface{}{"component": "local/hello-http.wasm"}, wantMessage: "set `port"},
		{name: "pass_env of a missing var", component: "hello-command", config: map[string]interface{}{"component": "local/hello-command.wasm", "pass_env": []string{"NOPE"}}, wantMessage: "names NOPE, which is not in the task environment"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			task := newTask(t, p, tc.component, tc.config, nil)
			if tc.notAMap {
				must.NoError(t, task.config.EncodeConcreteDriverConfig([]string{"a"}))
			}
			_, _, err := p.driver.StartTask(task.config)
			must.ErrorContains(t, err, tc.wantMessage)
			// Bad config is final: Nomad must not retry it.
			must.False(t, structs.IsRecoverable(err), must.Sprint("config errors must not be recoverable"))
		})
	}
	info, err := p.base.PluginInfo()
	must.NoError(t, err)
	must.Eq(t, "wasm", info.Name)
	good := newTask(t, p, "hello-command", map[string]interface{}{"component": "local/hello-command.wasm"}, nil)
	_, _, err = p.driver.StartTask(good.config)
	must.NoError(t, err)
	must.Eq(t, 0, waitExit(t, p.driver, good.config.ID, 10*time.Second).ExitCode)
}

func TestUnknownTaskIDs(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	must.NoError(t, p.driver.StopTask("no-such-task", time.Second, "SIGINT"))
	must.NoError(t, p.driver.DestroyTask("no-such-task", true))
	_, err := p.driver.WaitTask(context.Background(), "no-such-task")
	if err == nil {
		// The Go client reports WaitTask errors through the channel.
		ch, _ := p.driver.WaitTask(context.Background(), "no-such-task")
		res := <-ch
		must.Error(t, res.Err)
	}
	_, err = p.driver.InspectTask("no-such-task")
	must.ErrorContains(t, err, "no task with id")
	must.ErrorContains(t, p.driver.SignalTask("no-such-task", "SIGHUP"), "no task with id")
	ch, err := p.driver.TaskStats(context.Background(), "no-such-task", time.Second)
	if err == nil {
		_, open := <-ch
		must.False(t, open, must.Sprint("stats for an unknown task must not produce samples"))
	}
}

func TestStopHonoursSignalAndTimeoutAndLeavesNothing(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	ticker := newTask(t, p, "ticker", map[string]interface{}{"component": "local/ticker.wasm"}, nil)
	handle, _, err := p.driver.StartTask(ticker.config)
	must.NoError(t, err)
	ticker.stdout.waitFor(t, "tick 2", 5*time.Second)
	pid := taskHostPid(t, handle)
	must.NoError(t, p.driver.StopTask(ticker.config.ID, 5*time.Second, "SIGINT"))
	res := waitExit(t, p.driver, ticker.config.ID, 6*time.Second)
	must.Eq(t, 2, res.Signal)
	must.Eq(t, 130, res.ExitCode)
	waitGone(t, pid, time.Second)

	spin := newTask(t, p, "spin", map[string]interface{}{"component": "local/spin.wasm"}, nil)
	handle, _, err = p.driver.StartTask(spin.config)
	must.NoError(t, err)
	spin.stdout.waitFor(t, "spinning", 5*time.Second)
	start := time.Now()
	// SIGUSR1 is ignored by the task host: only the SIGKILL after the timeout ends it.
	must.NoError(t, p.driver.StopTask(spin.config.ID, time.Second, "SIGUSR1"))
	res = waitExit(t, p.driver, spin.config.ID, 5*time.Second)
	must.Eq(t, 9, res.Signal)
	must.Between(t, 900*time.Millisecond, time.Since(start), 4*time.Second)
	waitGone(t, taskHostPid(t, handle), time.Second)
}

func TestSignalsAreDeliveredOrRejected(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	task := newTask(t, p, "ticker", map[string]interface{}{"component": "local/ticker.wasm"}, nil)
	_, _, err := p.driver.StartTask(task.config)
	must.NoError(t, err)
	task.stdout.waitFor(t, "tick 1", 5*time.Second)
	must.NoError(t, p.driver.SignalTask(task.config.ID, "SIGHUP"))
	must.ErrorContains(t, p.driver.SignalTask(task.config.ID, "SIGBOGUS"), `unknown signal "SIGBOGUS"`)
	task.stdout.waitFor(t, "tick 3", 5*time.Second)
	status, err := p.driver.InspectTask(task.config.ID)
	must.NoError(t, err)
	must.Eq(t, drivers.TaskStateRunning, status.State)
	must.NoError(t, p.driver.DestroyTask(task.config.ID, true))
}

func TestTaskStatsReportRealUsage(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	task := newTask(t, p, "ticker", map[string]interface{}{"component": "local/ticker.wasm"}, nil)
	_, _, err := p.driver.StartTask(task.config)
	must.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := p.driver.TaskStats(ctx, task.config.ID, 500*time.Millisecond)
	must.NoError(t, err)
	for i := 0; i < 2; i++ { // the second sample has a CPU delta
		select {
		case usage := <-ch:
			must.NotNil(t, usage)
			must.Positive(t, usage.ResourceUsage.MemoryStats.RSS)
			must.SliceContains(t, usage.ResourceUsage.MemoryStats.Measured, "RSS")
			must.SliceContains(t, usage.ResourceUsage.CpuStats.Measured, "Percent")
			must.Positive(t, usage.Timestamp)
		case <-time.After(2 * time.Second):
			t.Fatal("no stats within 2s")
		}
	}
	must.NoError(t, p.driver.DestroyTask(task.config.ID, true))
}

func TestTaskEventsReportProgress(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := p.driver.TaskEvents(ctx)
	must.NoError(t, err)
	task := newTask(t, p, "hello-command", map[string]interface{}{"component": "local/hello-command.wasm"}, nil)
	_, _, err = p.driver.StartTask(task.config)
	must.NoError(t, err)
	var messages []string
	deadline := time.After(5 * time.Second)
	for len(messages) < 3 {
		select {
		case ev := <-events:
			must.Eq(t, task.config.AllocID, ev.AllocID)
			must.Eq(t, "web", ev.TaskName)
			must.False(t, ev.Timestamp.IsZero())
			messages = append(messages, ev.Message)
		case <-deadline:
			t.Fatalf("only got events %q", messages)
		}
	}
	must.Eq(t, "Loading component local/hello-command.wasm", messages[0])
	must.StrContains(t, messages[1], "ompil") // "Compiling component" on a cold cache
	must.Eq(t, "Component started: wasi:cli command running", messages[2])
}

func TestInspectRunningAndExited(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	task := newTask(t, p, "ticker", map[string]interface{}{"component": "local/ticker.wasm", "args": []string{"1"}}, nil)
	_, _, err := p.driver.StartTask(task.config)
	must.NoError(t, err)
	status, err := p.driver.InspectTask(task.config.ID)
	must.NoError(t, err)
	must.Eq(t, drivers.TaskStateRunning, status.State)
	must.Eq(t, task.config.ID, status.ID)
	must.False(t, status.StartedAt.IsZero())
	must.True(t, status.CompletedAt.IsZero())
	must.Eq(t, 0, waitExit(t, p.driver, task.config.ID, 10*time.Second).ExitCode)
	status, err = p.driver.InspectTask(task.config.ID)
	must.NoError(t, err)
	must.Eq(t, drivers.TaskStateExited, status.State)
	must.False(t, status.CompletedAt.IsZero())
	must.Eq(t, 0, status.ExitResult.ExitCode)
}

func TestExecIsRefusedClearly(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	task := newTask(t, p, "ticker", map[string]interface{}{"component": "local/ticker.wasm"}, nil)
	_, _, err := p.driver.StartTask(task.config)
	must.NoError(t, err)
	_, err = p.driver.ExecTask(task.config.ID, []string{"/bin/sh"}, time.Second)
	must.ErrorContains(t, err, "exec is not supported for Wasm tasks")
	raw, ok := p.driver.(drivers.ExecTaskStreamingRawDriver)
	must.True(t, ok)
	err = raw.ExecTaskStreamingRaw(context.Background(), task.config.ID, []string{"/bin/sh"}, false, closedTerminal{})
	must.ErrorContains(t, err, "exec is not supported for Wasm tasks")
	must.NoError(t, p.driver.DestroyTask(task.config.ID, true))
}

func TestDestroyIsIdempotentAndForgets(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	task := newTask(t, p, "hello-command", map[string]interface{}{"component": "local/hello-command.wasm"}, nil)
	_, _, err := p.driver.StartTask(task.config)
	must.NoError(t, err)
	waitExit(t, p.driver, task.config.ID, 10*time.Second)
	must.NoError(t, p.driver.DestroyTask(task.config.ID, true))
	must.NoError(t, p.driver.DestroyTask(task.config.ID, true))
	_, err = p.driver.InspectTask(task.config.ID)
	must.Error(t, err)
	// Its private state dir is gone too.
	entries, _ := os.ReadDir(filepath.Join(task.config.AllocDir, "web", "private", "wasm"))
	must.SliceEmpty(t, entries)
}

// closedTerminal is the user's side of `nomad alloc exec` with stdin at EOF.
type closedTerminal struct{}

func (closedTerminal) Send(*drivers.ExecTaskStreamingResponseMsg) error { return nil }
func (closedTerminal) Recv() (*drivers.ExecTaskStreamingRequestMsg, error) { return nil, io.EOF }

package conformance

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/hashicorp/nomad/plugins/drivers/proto"
	"github.com/shoenig/test/must"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
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
	// WASI 0.2's wasi:cli/exit only says success or failure, and this component
	// exits through the preview1 adapter's proc_exit: 7 arrives as 1.
	t.Logf("proc_exit(7) reached Nomad as exit code %d", res.ExitCode)
	must.Eq(t, 1, res.ExitCode)
	must.Eq(t, 0, res.Signal)
	must.NoError(t, res.Err)
	must.False(t, res.Successful())
	must.StrContains(t, task.stdout.waitFor(t, "exiting", 5*time.Second), "exiting with 7")
}

func TestComponentSeesOnlyGrantedEnvAndNoFiles(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	task := newTask(t, p, "env-probe", map[string]interface{}{
		"component": "local/env-probe.wasm",
		"env":       []map[string]interface{}{{"GREETING": "hi"}}, // what jobspec2 makes of env = {GREETING="hi"}
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
	for _, leaked := range []string{"SECRET_TOKEN", "s3cr3t", "VAULT_TOKEN", "hvs.x", "NOMAD_TOKEN"} {
		must.StrNotContains(t, out, leaked)
	}
	must.StrContains(t, out, "open /etc/passwd: denied")
	must.StrNotContains(t, out, "root:x:0:0")
}

func TestMalformedConfigsFailClearlyAndThePluginCarriesOn(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	cases := []struct {
		name        string
		component   string
		config      map[string]interface{}
		notAMap     bool
		wantCode    string
		wantMessage string
	}{
		{name: "not a msgpack map", notAMap: true, wantCode: "TASK_CONFIG_INVALID", wantMessage: "expected an object"},
		{name: "missing file", config: map[string]interface{}{"component": "local/nothere.wasm"}, wantCode: "COMPONENT_NOT_FOUND", wantMessage: `component "local/nothere.wasm" not found in the task dir`},
		{name: "path escape", config: map[string]interface{}{"component": "../../etc/passwd"}, wantCode: "COMPONENT_PATH_ESCAPE", wantMessage: "resolves outside the task dir"},
		{name: "deep path escape", config: map[string]interface{}{"component": "local/../../../../etc/passwd"}, wantCode: "COMPONENT_PATH_ESCAPE", wantMessage: "resolves outside the task dir"},
		{name: "escape to an existing file", config: map[string]interface{}{"component": "../../../../../../../../../../etc/passwd"}, wantCode: "COMPONENT_PATH_ESCAPE", wantMessage: "resolves outside the task dir"},
		{name: "absolute path", config: map[string]interface{}{"component": "/etc/passwd"}, wantCode: "COMPONENT_PATH_ESCAPE", wantMessage: "must be a path relative to the task dir"},
		{name: "not wasm", component: "not-wasm", config: map[string]interface{}{"component": "local/not-wasm.wasm"}, wantCode: "COMPONENT_INVALID", wantMessage: "is not WebAssembly"},
		{name: "preview1 reactor", component: "reactor-go", config: map[string]interface{}{"component": "local/reactor-go.wasm"}, wantCode: "WASI_PREVIEW1_NOT_A_COMMAND", wantMessage: "is a WASI preview1 reactor"},
		{name: "non-WASI import", component: "host-import-go", config: map[string]interface{}{"component": "local/host-import-go.wasm"}, wantCode: "WASI_PREVIEW1_IMPORT_UNSUPPORTED", wantMessage: "which is not WASI preview1"},
		{name: "truncated module", component: "truncated-go", config: map[string]interface{}{"component": "local/truncated-go.wasm"}, wantCode: "COMPONENT_INVALID", wantMessage: "is a truncated or corrupt WebAssembly module"},
		{name: "unknown port label", component: "hello-http", config: map[string]interface{}{"component": "local/hello-http.wasm", "port": "nope"}, wantCode: "TASK_CONFIG_INVALID", wantMessage: `no port labelled "nope"`},
		{name: "http component without port", component: "hello-http", config: map[string]interface{}{"component": "local/hello-http.wasm"}, wantCode: "COMPONENT_WORLD_UNSUPPORTED", wantMessage: "set `port"},
		{name: "pass_env of the Vault token", component: "hello-command", config: map[string]interface{}{"component": "local/hello-command.wasm", "pass_env": []string{"VAULT_TOKEN"}}, wantCode: "GRANT_EXPOSES_TOKEN", wantMessage: `config field "pass_env" names VAULT_TOKEN, a variable Nomad fills with one of the task's tokens`},
		{name: "pass_env of a missing var", component: "hello-command", config: map[string]interface{}{"component": "local/hello-command.wasm", "pass_env": []string{"NOPE"}}, wantCode: "TASK_CONFIG_INVALID", wantMessage: "names NOPE, which is not in the task environment"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			task := newTask(t, p, tc.component, tc.config, nil)
			if tc.notAMap {
				must.NoError(t, task.config.EncodeConcreteDriverConfig([]string{"a"}))
			}
			_, _, err := p.driver.StartTask(task.config)
			// What `nomad alloc status` shows ("Driver Failure" is this text), code first...
			must.ErrorContains(t, err, "desc = ["+tc.wantCode+"] ")
			must.ErrorContains(t, err, tc.wantMessage)
			// ...and what a program reading the gRPC status gets.
			must.Eq(t, tc.wantCode, p.errorCode(t, "StartTask"))
			t.Logf("StartTask error (recoverable=%v): %v", structs.IsRecoverable(err), err)
			// Bad config is final: Nomad must not retry it.
			must.False(t, structs.IsRecoverable(err), must.Sprint("config errors must not be recoverable"))
			_, err = p.driver.InspectTask(task.config.ID)
			must.Error(t, err, must.Sprint("a task that failed to start must not be known"))
			assertPluginAnswers(t, p)
		})
	}
	good := newTask(t, p, "hello-command", map[string]interface{}{"component": "local/hello-command.wasm"}, nil)
	_, _, err := p.driver.StartTask(good.config)
	must.NoError(t, err)
	must.Eq(t, 0, waitExit(t, p.driver, good.config.ID, 10*time.Second).ExitCode)
	good.stdout.waitFor(t, "hello from wasm", 5*time.Second)
}

// assertPluginAnswers checks the plugin still serves Nomad: PluginInfo, and a
// healthy first fingerprint.
func assertPluginAnswers(t *testing.T, p *pluginInstance) {
	t.Helper()
	info, err := p.base.PluginInfo()
	must.NoError(t, err)
	must.Eq(t, "wasm", info.Name)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := p.driver.Fingerprint(ctx)
	must.NoError(t, err)
	select {
	case fp := <-ch:
		must.NotNil(t, fp)
		must.Eq(t, drivers.HealthStateHealthy, fp.Health)
	case <-time.After(30 * time.Second):
		t.Fatal("no fingerprint within 30s")
	}
}

// Which StartTask errors reach Nomad as recoverable (structs.IsRecoverable on
// the error from Nomad's own client, i.e. the RecoverableError gRPC detail):
// recoverable ones make Nomad retry per the restart policy, others fail the task.
func TestStartErrorsRecoverability(t *testing.T) {
	p := launchPlugin(t, t.TempDir())

	t.Run("missing component is not recoverable", func(t *testing.T) {
		task := newTask(t, p, "", map[string]interface{}{"component": "local/nothere.wasm"}, nil)
		_, _, err := p.driver.StartTask(task.config)
		must.ErrorContains(t, err, "[COMPONENT_NOT_FOUND] ")
		must.Eq(t, "COMPONENT_NOT_FOUND", p.errorCode(t, "StartTask"))
		t.Logf("error: %v", err)
		must.False(t, structs.IsRecoverable(err))
	})

	t.Run("port already in use is recoverable", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		must.NoError(t, err)
		defer l.Close()
		port := l.Addr().(*net.TCPAddr).Port
		task := newTask(t, p, "hello-http", nil, nil)
		task.config.Resources.Ports = &structs.AllocatedPorts{{Label: "http", Value: port, HostIP: "127.0.0.1"}}
		encodeTaskConfig(t, p, task.config, map[string]interface{}{"component": "local/hello-http.wasm", "port": "http"})
		_, _, err = p.driver.StartTask(task.config)
		must.ErrorContains(t, err, "[HTTP_LISTEN_FAILED] ")
		must.Eq(t, "HTTP_LISTEN_FAILED", p.errorCode(t, "StartTask"))
		t.Logf("error: %v", err)
		must.StrContains(t, err.Error(), strconv.Itoa(port))
		must.True(t, structs.IsRecoverable(err), must.Sprint("a busy port may free up: Nomad should retry"))
	})

	t.Run("unopenable log FIFO is recoverable", func(t *testing.T) {
		task := newTask(t, p, "hello-command", map[string]interface{}{"component": "local/hello-command.wasm"}, nil)
		task.config.StdoutPath = filepath.Join(task.config.AllocDir, "no-such-dir", "stdout.fifo")
		_, _, err := p.driver.StartTask(task.config)
		must.ErrorContains(t, err, "[LOG_FIFO_OPEN_FAILED] ")
		must.Eq(t, "LOG_FIFO_OPEN_FAILED", p.errorCode(t, "StartTask"))
		t.Logf("error: %v", err)
		must.True(t, structs.IsRecoverable(err))
	})

	t.Run("duplicate task id is not recoverable", func(t *testing.T) {
		task := newTask(t, p, "ticker", map[string]interface{}{"component": "local/ticker.wasm"}, nil)
		_, _, err := p.driver.StartTask(task.config)
		must.NoError(t, err)
		defer p.driver.DestroyTask(task.config.ID, true)
		_, _, err = p.driver.StartTask(task.config)
		must.ErrorContains(t, err, "[TASK_ALREADY_STARTED] ")
		must.Eq(t, "TASK_ALREADY_STARTED", p.errorCode(t, "StartTask"))
		t.Logf("error: %v", err)
		must.False(t, structs.IsRecoverable(err))
		status, err := p.driver.InspectTask(task.config.ID)
		must.NoError(t, err)
		must.Eq(t, drivers.TaskStateRunning, status.State, must.Sprint("the first task must be untouched"))
	})
	assertPluginAnswers(t, p)
}

func TestUnknownTaskIDs(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	const id = "no-such-task"
	// Stop and destroy are idempotent: Nomad calls them for tasks the plugin may never have seen.
	must.NoError(t, p.driver.StopTask(id, time.Second, "SIGINT"))
	must.NoError(t, p.driver.DestroyTask(id, true))

	// Nomad's client delivers WaitTask errors in the ExitResult.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	waitCh, err := p.driver.WaitTask(ctx, id)
	must.NoError(t, err)
	select {
	case res := <-waitCh:
		must.NotNil(t, res)
		must.ErrorContains(t, res.Err, "no task with id")
	case <-ctx.Done():
		t.Fatal("WaitTask for an unknown task blocks instead of failing")
	}
	_, err = p.driver.InspectTask(id)
	must.ErrorContains(t, err, "[TASK_NOT_FOUND] no task with id")
	must.Eq(t, "TASK_NOT_FOUND", p.errorCode(t, "InspectTask"))
	must.ErrorContains(t, p.driver.SignalTask(id, "SIGHUP"), "[TASK_NOT_FOUND] no task with id")
	must.Eq(t, "TASK_NOT_FOUND", p.errorCode(t, "SignalTask"))

	// Nomad's client opens the stats stream lazily: it must end without a sample.
	statsCh, err := p.driver.TaskStats(ctx, id, time.Second)
	if err == nil {
		select {
		case usage, open := <-statsCh:
			must.False(t, open, must.Sprintf("stats for an unknown task: got a sample %+v", usage))
		case <-ctx.Done():
			t.Fatal("the stats stream of an unknown task stays open")
		}
	}
	// On the wire both are errors with a message (what Nomad logs).
	raw := proto.NewDriverClient(p.conn)
	stream, err := raw.TaskStats(ctx, &proto.TaskStatsRequest{TaskId: id, CollectionInterval: durationpb.New(time.Second)})
	must.NoError(t, err)
	_, statsErr := stream.Recv()
	must.NotEq(t, codes.OK, status.Code(statsErr), must.Sprintf("TaskStats.Recv: %v", statsErr))
	must.StrContains(t, status.Convert(statsErr).Message(), "no task with id")
	_, waitErr := raw.WaitTask(ctx, &proto.WaitTaskRequest{TaskId: id})
	must.NotEq(t, codes.OK, status.Code(waitErr))
	must.StrContains(t, status.Convert(waitErr).Message(), "no task with id")
	t.Logf("unknown-id gRPC codes: TaskStats=%s WaitTask=%s", status.Code(statsErr), status.Code(waitErr))
}

func TestStopHonoursSignalAndTimeoutAndLeavesNothing(t *testing.T) {
	p := launchPlugin(t, t.TempDir())

	// A kill timeout longer than the test waits: SIGINT (2) itself must end these, not the SIGKILL (9) after it.
	t.Run("ticker is ended by SIGINT itself, not the SIGKILL after the timeout", func(t *testing.T) {
		ticker := newTask(t, p, "ticker", map[string]interface{}{"component": "local/ticker.wasm"}, nil)
		handle, _, err := p.driver.StartTask(ticker.config)
		must.NoError(t, err)
		ticker.stdout.waitFor(t, "tick 2", 30*time.Second)
		pid := taskHostPid(t, handle)
		must.NoError(t, p.driver.StopTask(ticker.config.ID, 5*time.Minute, "SIGINT"))
		res := waitExit(t, p.driver, ticker.config.ID, 2*time.Minute)
		must.Eq(t, 2, res.Signal)
		must.Eq(t, 130, res.ExitCode)
		waitGone(t, pid, 30*time.Second)
	})

	t.Run("a busy spin is ended by SIGINT itself (its default action needs no help from the guest)", func(t *testing.T) {
		spin := newTask(t, p, "spin", map[string]interface{}{"component": "local/spin.wasm"}, nil)
		handle, _, err := p.driver.StartTask(spin.config)
		must.NoError(t, err)
		spin.stdout.waitFor(t, "spinning", 30*time.Second)
		pid := taskHostPid(t, handle)
		must.NoError(t, p.driver.StopTask(spin.config.ID, 5*time.Minute, "SIGINT"))
		res := waitExit(t, p.driver, spin.config.ID, 2*time.Minute)
		must.Eq(t, 2, res.Signal)
		waitGone(t, pid, 30*time.Second)
	})

	t.Run("spin ignoring the signal gets SIGKILL, not before the timeout", func(t *testing.T) {
		spin := newTask(t, p, "spin", map[string]interface{}{"component": "local/spin.wasm"}, nil)
		handle, _, err := p.driver.StartTask(spin.config)
		must.NoError(t, err)
		spin.stdout.waitFor(t, "spinning", 30*time.Second)
		start := time.Now()
		// SIGUSR2 is ignored by the task host: only the SIGKILL after the timeout ends it.
		must.NoError(t, p.driver.StopTask(spin.config.ID, time.Second, "SIGUSR2"))
		res := waitExit(t, p.driver, spin.config.ID, time.Minute)
		must.Eq(t, 9, res.Signal)
		must.GreaterEq(t, time.Second, time.Since(start))
		waitGone(t, taskHostPid(t, handle), 30*time.Second)
	})
}

func TestSignalsAreDeliveredOrRejected(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	task := newTask(t, p, "ticker", map[string]interface{}{"component": "local/ticker.wasm"}, nil)
	_, _, err := p.driver.StartTask(task.config)
	must.NoError(t, err)
	task.stdout.waitFor(t, "tick 1", 5*time.Second)
	must.NoError(t, p.driver.SignalTask(task.config.ID, "SIGHUP"))
	seen := task.stdout.ticks()
	must.ErrorContains(t, p.driver.SignalTask(task.config.ID, "SIGBOGUS"), `[SIGNAL_UNKNOWN] unknown signal "SIGBOGUS"`)
	must.Eq(t, "SIGNAL_UNKNOWN", p.errorCode(t, "SignalTask"))
	task.stdout.waitFor(t, "tick "+strconv.Itoa(seen+2), 5*time.Second) // ticks continue after SIGHUP
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
	for len(messages) < 4 {
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
	// Audit evidence first: nothing granted by this config.
	must.StrHasPrefix(t, "Grants: env=none mounts=none outbound_http=none sockets=none ", messages[0])
	must.Eq(t, "Loading component local/hello-command.wasm", messages[1])
	must.StrContains(t, messages[2], "ompil") // "Compiling component" on a cold cache
	must.Eq(t, "Component started: wasi:cli command running", messages[3])
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

	failing := newTask(t, p, "exit-code", map[string]interface{}{"component": "local/exit-code.wasm", "args": []string{"7"}}, nil)
	_, _, err = p.driver.StartTask(failing.config)
	must.NoError(t, err)
	res := waitExit(t, p.driver, failing.config.ID, 10*time.Second)
	status, err = p.driver.InspectTask(failing.config.ID)
	must.NoError(t, err)
	must.Eq(t, drivers.TaskStateExited, status.State)
	must.NotNil(t, status.ExitResult)
	must.Eq(t, res.ExitCode, status.ExitResult.ExitCode)
	must.NotEq(t, 0, status.ExitResult.ExitCode)
	must.False(t, status.CompletedAt.Before(status.StartedAt))
}

func TestExecIsRefusedClearly(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	task := newTask(t, p, "ticker", map[string]interface{}{"component": "local/ticker.wasm"}, nil)
	_, _, err := p.driver.StartTask(task.config)
	must.NoError(t, err)
	_, err = p.driver.ExecTask(task.config.ID, []string{"/bin/sh"}, time.Second)
	must.ErrorContains(t, err, "[EXEC_NOT_SUPPORTED] exec is not supported for Wasm tasks")
	must.Eq(t, "EXEC_NOT_SUPPORTED", p.errorCode(t, "ExecTask"))
	raw, ok := p.driver.(drivers.ExecTaskStreamingRawDriver)
	must.True(t, ok)
	err = raw.ExecTaskStreamingRaw(context.Background(), task.config.ID, []string{"/bin/sh"}, false, closedTerminal{})
	must.ErrorContains(t, err, "[EXEC_NOT_SUPPORTED] exec is not supported for Wasm tasks")
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
	must.ErrorContains(t, err, "no task with id")
	ch, err := p.driver.WaitTask(context.Background(), task.config.ID)
	must.NoError(t, err) // Nomad's client reports the error in the result
	select {
	case res := <-ch:
		must.ErrorContains(t, res.Err, "no task with id")
	case <-time.After(5 * time.Second):
		t.Fatal("WaitTask on a destroyed task blocks")
	}

	// Destroying a running task with force kills it.
	ticker := newTask(t, p, "ticker", map[string]interface{}{"component": "local/ticker.wasm"}, nil)
	handle, _, err := p.driver.StartTask(ticker.config)
	must.NoError(t, err)
	ticker.stdout.waitFor(t, "tick 1", 5*time.Second)
	must.Error(t, p.driver.DestroyTask(ticker.config.ID, false), must.Sprint("destroying a running task without force must fail"))
	must.NoError(t, p.driver.DestroyTask(ticker.config.ID, true))
	waitGone(t, taskHostPid(t, handle), 3*time.Second)
	must.NoError(t, p.driver.DestroyTask(ticker.config.ID, true))
	// Its private state dir is gone too.
	entries, _ := os.ReadDir(filepath.Join(task.config.AllocDir, "web", "private", "wasm"))
	must.SliceEmpty(t, entries)
}

// closedTerminal is the user's side of `nomad alloc exec` with stdin at EOF.
type closedTerminal struct{}

func (closedTerminal) Send(*drivers.ExecTaskStreamingResponseMsg) error    { return nil }
func (closedTerminal) Recv() (*drivers.ExecTaskStreamingRequestMsg, error) { return nil, io.EOF }

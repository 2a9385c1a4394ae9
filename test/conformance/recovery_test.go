package conformance

import (
	"context"
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"
)

// persistedHandle is the handle as Nomad gives it back after a restart: it
// persists exported fields only, so the raw driver config is gone (a JSON
// round trip drops the same unexported field).
func persistedHandle(t *testing.T, h *drivers.TaskHandle) *drivers.TaskHandle {
	t.Helper()
	data, err := json.Marshal(h)
	must.NoError(t, err)
	var restored drivers.TaskHandle
	must.NoError(t, json.Unmarshal(data, &restored))
	must.Eq(t, h.Config.ID, restored.Config.ID)
	restored.State = drivers.TaskStateUnknown
	var raw map[string]interface{}
	_ = restored.Config.DecodeDriverConfig(&raw)
	must.MapEmpty(t, raw, must.Sprint("the persisted handle must not carry MsgpackDriverConfig"))
	return &restored
}

func TestPluginKilledMidTaskAndRecoveredByANewInstance(t *testing.T) {
	cache := t.TempDir()
	first := launchPlugin(t, cache)
	task := newTask(t, first, "ticker", map[string]interface{}{"component": "local/ticker.wasm"}, nil)
	handle, _, err := first.driver.StartTask(task.config)
	must.NoError(t, err)
	task.stdout.waitFor(t, "tick 1", 5*time.Second)
	pid := taskHostPid(t, handle)

	must.NoError(t, syscall.Kill(first.pid(), syscall.SIGKILL))
	waitGone(t, first.pid(), 30*time.Second)
	must.False(t, processGone(pid), must.Sprint("the task must outlive its plugin"))
	task.stdout.waitFor(t, "tick 3", 5*time.Second) // logs keep flowing without any plugin

	second := launchPlugin(t, cache)
	must.NoError(t, second.driver.RecoverTask(persistedHandle(t, handle)))
	must.NoError(t, second.driver.RecoverTask(persistedHandle(t, handle))) // idempotent
	status, err := second.driver.InspectTask(task.config.ID)
	must.NoError(t, err)
	must.Eq(t, drivers.TaskStateRunning, status.State)
	must.Eq(t, task.config.ID, status.ID)
	seen := task.stdout.ticks()
	task.stdout.waitFor(t, "tick "+itoa(seen+1), 3*time.Second) // still ticking under the new instance

	// Stats and signals work through the recovered instance.
	ctx, cancel := context.WithCancel(context.Background())
	stats, err := second.driver.TaskStats(ctx, task.config.ID, 500*time.Millisecond)
	must.NoError(t, err)
	select {
	case usage := <-stats:
		must.NotNil(t, usage)
		must.Positive(t, usage.ResourceUsage.MemoryStats.RSS)
	case <-time.After(2 * time.Second):
		t.Fatal("no stats from the recovered task within 2s")
	}
	cancel()
	must.NoError(t, second.driver.SignalTask(task.config.ID, "SIGHUP"))

	start := time.Now()
	must.NoError(t, second.driver.StopTask(task.config.ID, 5*time.Second, "SIGINT"))
	res := waitExit(t, second.driver, task.config.ID, 6*time.Second)
	must.Less(t, 5*time.Second, time.Since(start))
	must.Eq(t, int(syscall.SIGINT), res.Signal)
	must.Eq(t, 128+int(syscall.SIGINT), res.ExitCode)
	waitGone(t, pid, 30*time.Second)
	must.NoError(t, second.driver.DestroyTask(task.config.ID, true))
}

func TestExitWhilePluginDownIsReportedAfterRecovery(t *testing.T) {
	cache := t.TempDir()
	first := launchPlugin(t, cache)
	task := newTask(t, first, "ticker", map[string]interface{}{"component": "local/ticker.wasm", "args": []string{"2"}}, nil)
	handle, _, err := first.driver.StartTask(task.config)
	must.NoError(t, err)
	pid := taskHostPid(t, handle)
	first.client.Kill()
	waitGone(t, pid, 5*time.Second) // two ticks, then a clean exit, with no plugin watching

	second := launchPlugin(t, cache)
	must.NoError(t, second.driver.RecoverTask(persistedHandle(t, handle)))
	res := waitExit(t, second.driver, task.config.ID, 5*time.Second)
	must.Eq(t, 0, res.ExitCode)
	must.Eq(t, 0, res.Signal)
	must.NoError(t, res.Err)
}

func TestKilledFromOutsideWhilePluginDown(t *testing.T) {
	cache := t.TempDir()
	first := launchPlugin(t, cache)
	task := newTask(t, first, "ticker", map[string]interface{}{"component": "local/ticker.wasm"}, nil)
	handle, _, err := first.driver.StartTask(task.config)
	must.NoError(t, err)
	pid := taskHostPid(t, handle)
	first.client.Kill()
	must.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	waitGone(t, pid, 30*time.Second)

	second := launchPlugin(t, cache)
	must.NoError(t, second.driver.RecoverTask(persistedHandle(t, handle)))
	res := waitExit(t, second.driver, task.config.ID, 5*time.Second)
	must.Eq(t, 9, res.Signal)
	must.ErrorContains(t, res.Err, "[TASK_RECOVER_FAILED] task host process")
	must.ErrorContains(t, res.Err, "left no exit status")
}

func TestTerminatedWhilePluginCrashedIsReportedAfterRecovery(t *testing.T) {
	cache := t.TempDir()
	first := launchPlugin(t, cache)
	task := newTask(t, first, "ticker", map[string]interface{}{"component": "local/ticker.wasm"}, nil)
	handle, _, err := first.driver.StartTask(task.config)
	must.NoError(t, err)
	task.stdout.waitFor(t, "tick 1", 5*time.Second)
	pid := taskHostPid(t, handle)
	must.NoError(t, syscall.Kill(first.pid(), syscall.SIGKILL)) // the plugin crashes
	waitGone(t, first.pid(), 30*time.Second)
	must.NoError(t, syscall.Kill(pid, syscall.SIGTERM)) // someone else ends the task
	waitGone(t, pid, 30*time.Second)

	second := launchPlugin(t, cache)
	must.NoError(t, second.driver.RecoverTask(persistedHandle(t, handle)))
	res := waitExit(t, second.driver, task.config.ID, 5*time.Second)
	t.Logf("exit while no plugin ran: signal=%d exit=%d err=%v", res.Signal, res.ExitCode, res.Err)
	// The task died of SIGTERM. A command's task host keeps SIGTERM's default
	// action (the guest may block the thread), so it leaves no exit status file
	// and the plugin, no longer its parent, cannot see the signal: the README
	// documents SIGKILL with an explanation for that case. Accept the exact
	// signal, or that documented fallback, nothing else.
	if res.Signal != int(syscall.SIGTERM) {
		must.Eq(t, int(syscall.SIGKILL), res.Signal, must.Sprintf("got %+v", res))
		must.ErrorContains(t, res.Err, "[TASK_RECOVER_FAILED] task host process")
		must.ErrorContains(t, res.Err, "left no exit status")
	}
	must.Eq(t, 128+res.Signal, res.ExitCode)
	status, err := second.driver.InspectTask(task.config.ID)
	must.NoError(t, err)
	must.Eq(t, drivers.TaskStateExited, status.State)
}

func TestRecoverWithCorruptStateFails(t *testing.T) {
	p := launchPlugin(t, t.TempDir())
	task := newTask(t, p, "", nil, nil)
	handle := &drivers.TaskHandle{Version: 1, Config: task.config, DriverState: []byte("{not json")}
	must.ErrorContains(t, p.driver.RecoverTask(handle), "driver state in the task handle is not JSON")
}

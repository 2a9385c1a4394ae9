package conformance

// The opt-in pooled tier (plugin config isolation = "pooled"): several tasks
// in one pool host process, through Nomad's own driver client. What the
// process tier guarantees per task (start, logs, exit codes, stop, signals,
// stats, recovery) holds per pooled task; what the pool gives up (a guest
// that holds its thread holds every task in it, until a stop kills the pool)
// is checked as well.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"
)

// launchPooledPlugin is launchPlugin with isolation = "pooled".
func launchPooledPlugin(t testing.TB, cacheDir string) *pluginInstance {
	t.Helper()
	p := startPlugin(t)
	p.setConfig(t, map[string]interface{}{"cache_dir": cacheDir, "isolation": "pooled"})
	p.cache = cacheDir
	// Pool hosts outlive the plugin, and one that ends on its own flushes
	// Node's compile cache into cacheDir: both must be over before the
	// directory is removed (this cleanup runs before t.TempDir's).
	t.Cleanup(func() { killPoolsUnder(cacheDir) })
	return p
}

// killPoolsUnder ends every pool host working under cacheDir/pools and waits until each is gone.
func killPoolsUnder(cacheDir string) {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd")); err == nil && strings.HasPrefix(cwd, filepath.Join(cacheDir, "pools")+"/") {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			pids = append(pids, pid)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		for time.Now().Before(deadline) && running(pid) {
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// running: the process exists and is not a zombie (nobody may reap a pool whose plugin is gone).
func running(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

// poolOf reads the driver state of a pooled task: the pool host's pid. The
// pool is killed when the test ends (it would outlive the test's plugin
// while it runs tasks, as it outlives a real plugin).
func poolOf(t testing.TB, handle *drivers.TaskHandle) int {
	t.Helper()
	var state struct {
		Pid    int  `json:"pid"`
		Pooled bool `json:"pooled"`
	}
	must.NoError(t, json.Unmarshal(handle.DriverState, &state))
	must.True(t, state.Pooled, must.Sprint("the task must run in a pool"))
	must.Positive(t, state.Pid)
	t.Cleanup(func() { _ = syscall.Kill(-state.Pid, syscall.SIGKILL) })
	return state.Pid
}

// startPooledService starts hello-http on a free port and waits for its first 200.
func startPooledService(t testing.TB, p *pluginInstance) (*taskFixture, *drivers.TaskHandle, string) {
	t.Helper()
	port := freePort(t)
	task := newTask(t, p, "hello-http", nil, nil)
	task.config.Resources.Ports = &structs.AllocatedPorts{{Label: "http", Value: port, HostIP: "127.0.0.1"}}
	encodeTaskConfig(t, p, task.config, map[string]interface{}{"component": "local/hello-http.wasm", "port": "http"})
	handle, _, err := p.driver.StartTask(task.config)
	must.NoError(t, err)
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/"
	must.True(t, waitHTTP200(url, 10*time.Second))
	return task, handle, url
}

func answers(url string, timeout time.Duration) bool {
	client := http.Client{Timeout: timeout}
	resp, err := client.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}

// refused is true when nothing listens at url any more: the connection is refused, not merely slow.
func refused(url string) bool {
	client := http.Client{Timeout: time.Minute}
	resp, err := client.Get(url)
	if err == nil {
		resp.Body.Close()
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// mainThreadCPU is the CPU time the main thread of pid has used (utime+stime, USER_HZ = 100).
func mainThreadCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	stat, err := os.ReadFile(filepath.Join("/proc", itoa(pid), "task", itoa(pid), "stat"))
	must.NoError(t, err)
	fields := strings.Fields(string(stat)[strings.LastIndex(string(stat), ")")+2:])
	utime, err := strconv.Atoi(fields[11])
	must.NoError(t, err)
	stime, err := strconv.Atoi(fields[12])
	must.NoError(t, err)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func TestPooledTasksShareOnePoolWithTheirOwnLogsAndExitCodes(t *testing.T) {
	p := launchPooledPlugin(t, t.TempDir())
	service, serviceHandle, url := startPooledService(t, p)
	pool := poolOf(t, serviceHandle)

	hello := newTask(t, p, "hello-command", map[string]interface{}{"component": "local/hello-command.wasm", "args": []string{"a b"}}, nil)
	helloHandle, _, err := p.driver.StartTask(hello.config)
	must.NoError(t, err)
	failing := newTask(t, p, "exit-code", map[string]interface{}{"component": "local/exit-code.wasm", "args": []string{"7"}}, nil)
	failingHandle, _, err := p.driver.StartTask(failing.config)
	must.NoError(t, err)
	must.Eq(t, pool, poolOf(t, helloHandle))
	must.Eq(t, pool, poolOf(t, failingHandle))

	res := waitExit(t, p.driver, hello.config.ID, 10*time.Second)
	must.Eq(t, 0, res.ExitCode)
	must.NoError(t, res.Err)
	must.Eq(t, "hello from wasm\na b\n", hello.stdout.waitFor(t, "a b\n", 5*time.Second))
	must.Eq(t, "hello on stderr\n", hello.stderr.waitFor(t, "stderr\n", 5*time.Second))
	res = waitExit(t, p.driver, failing.config.ID, 10*time.Second)
	must.Eq(t, 1, res.ExitCode)
	must.Eq(t, 0, res.Signal)
	must.Eq(t, "exiting with 7\n", failing.stdout.waitFor(t, "7\n", 5*time.Second))

	status, err := p.driver.InspectTask(service.config.ID)
	must.NoError(t, err)
	must.Eq(t, drivers.TaskStateRunning, status.State)
	must.Eq(t, "pooled", status.DriverAttributes["isolation"])
	must.Eq(t, strconv.Itoa(pool), status.DriverAttributes["pid"])

	ctx, cancel := context.WithCancel(context.Background())
	stats, err := p.driver.TaskStats(ctx, service.config.ID, 500*time.Millisecond)
	must.NoError(t, err)
	select {
	case usage := <-stats:
		// Memory: the task's own linear memory (a page or two for hello-http), not the pool's ~60 MiB.
		must.Positive(t, usage.ResourceUsage.MemoryStats.RSS)
		must.Less(t, uint64(8<<20), usage.ResourceUsage.MemoryStats.RSS)
		must.Eq(t, uint64(0), usage.ResourceUsage.MemoryStats.RSS%65536)
	case <-time.After(time.Minute):
		t.Fatal("no stats within a minute")
	}
	cancel()

	// SIGHUP replaces the service's instance; the service keeps answering.
	must.NoError(t, p.driver.SignalTask(service.config.ID, "SIGHUP"))
	must.StrContains(t, service.stderr.waitFor(t, "replacing", 30*time.Second), "received SIGHUP: replacing the component instance")
	must.True(t, answers(url, time.Minute))

	// A second service in the same pool; stopping the first leaves it serving.
	other, otherHandle, otherURL := startPooledService(t, p)
	must.Eq(t, pool, poolOf(t, otherHandle))
	// A kill_timeout longer than the test waits: exit code 0 is the drain, never the SIGKILL after it.
	must.NoError(t, p.driver.StopTask(service.config.ID, 5*time.Minute, "SIGINT"))
	res = waitExit(t, p.driver, service.config.ID, 2*time.Minute)
	must.Eq(t, 0, res.Signal)
	must.Eq(t, 0, res.ExitCode)
	must.True(t, refused(url))
	must.True(t, answers(otherURL, time.Minute))
	must.False(t, processGone(pool))
	must.NoError(t, p.driver.DestroyTask(service.config.ID, false))

	// kill_timeout 0: the pooled task is killed at once, the pool lives on.
	must.NoError(t, p.driver.StopTask(other.config.ID, 0, "SIGINT"))
	res = waitExit(t, p.driver, other.config.ID, 3*time.Second)
	must.Eq(t, 9, res.Signal)
	must.Eq(t, 137, res.ExitCode)
	must.False(t, processGone(pool))
	must.NoError(t, p.driver.DestroyTask(other.config.ID, true))
}

func TestPooledRunawayGuestIsEndedByKillingItsPool(t *testing.T) {
	p := launchPooledPlugin(t, t.TempDir())
	bystander, bystanderHandle, url := startPooledService(t, p)
	pool := poolOf(t, bystanderHandle)
	spin := newTask(t, p, "spin", map[string]interface{}{"component": "local/spin.wasm"}, nil)
	spinHandle, _, err := p.driver.StartTask(spin.config)
	must.NoError(t, err)
	must.Eq(t, pool, poolOf(t, spinHandle))
	spin.stdout.waitFor(t, "spinning", 30*time.Second)
	// The pool's one thread is the spinning guest's: a request to the bystander is not answered
	// while the pool's main thread runs for two seconds of CPU (not wall-clock: the machine may be busy).
	answered := make(chan bool, 1)
	go func() { answered <- answers(url, 10*time.Minute) }()
	from := mainThreadCPU(t, pool)
	for mainThreadCPU(t, pool)-from < 2*time.Second {
		time.Sleep(100 * time.Millisecond)
	}
	select {
	case <-answered:
		t.Fatal("the bystander answered while the guest held the pool's thread")
	default:
	}

	start := time.Now()
	must.NoError(t, p.driver.StopTask(spin.config.ID, time.Second, "SIGINT"))
	res := waitExit(t, p.driver, spin.config.ID, 2*time.Minute)
	elapsed := time.Since(start)
	t.Logf("stop of a runaway pooled guest took %s (kill_timeout 1s)", elapsed)
	must.GreaterEq(t, time.Second, elapsed) // SIGINT could not reach the guest: the pool was killed after the timeout
	must.Eq(t, 9, res.Signal)
	waitGone(t, pool, 30*time.Second)
	must.False(t, <-answered, must.Sprint("the request in flight died with the pool, unanswered"))

	// The bystander ended with the pool, and says why; Nomad's restart policy takes it from there.
	other := waitExit(t, p.driver, bystander.config.ID, time.Minute)
	must.Eq(t, 9, other.Signal)
	must.ErrorContains(t, other.Err, "POOL_HOST_FAILED")
	must.ErrorContains(t, other.Err, `task "web"`)
	must.ErrorContains(t, other.Err, "did not stop within its kill_timeout")
	must.ErrorContains(t, other.Err, "every task in the pool ended with it")

	// The next pooled start gets a new pool.
	_, againHandle, againURL := startPooledService(t, p)
	must.NotEq(t, pool, poolOf(t, againHandle))
	must.True(t, answers(againURL, 2*time.Second))
}

func TestPooledTaskSurvivesPluginRestartAndIsRecovered(t *testing.T) {
	cache := t.TempDir()
	first := launchPooledPlugin(t, cache)
	service, handle, url := startPooledService(t, first)
	pool := poolOf(t, handle)
	doomed, doomedHandle, _ := startPooledService(t, first)
	must.Eq(t, pool, poolOf(t, doomedHandle))

	must.NoError(t, syscall.Kill(first.pid(), syscall.SIGKILL))
	waitGone(t, first.pid(), 30*time.Second)
	must.True(t, answers(url, 2*time.Second), must.Sprint("pooled tasks must outlive their plugin"))

	second := launchPooledPlugin(t, cache)
	must.NoError(t, second.driver.RecoverTask(persistedHandle(t, handle)))
	must.NoError(t, second.driver.RecoverTask(persistedHandle(t, handle))) // idempotent
	must.NoError(t, second.driver.RecoverTask(persistedHandle(t, doomedHandle)))
	status, err := second.driver.InspectTask(service.config.ID)
	must.NoError(t, err)
	must.Eq(t, drivers.TaskStateRunning, status.State)

	must.NoError(t, second.driver.StopTask(doomed.config.ID, 5*time.Second, "SIGTERM"))
	must.Eq(t, 0, waitExit(t, second.driver, doomed.config.ID, 6*time.Second).ExitCode)
	must.True(t, answers(url, 2*time.Second))

	// A pool that dies while no plugin runs: its tasks are reported ended after recovery.
	second.client.Kill()
	must.NoError(t, syscall.Kill(-pool, syscall.SIGKILL))
	waitGone(t, pool, 30*time.Second)
	third := launchPooledPlugin(t, cache)
	must.NoError(t, third.driver.RecoverTask(persistedHandle(t, handle)))
	res := waitExit(t, third.driver, service.config.ID, 5*time.Second)
	must.Eq(t, 9, res.Signal)
	must.ErrorContains(t, res.Err, "POOL_HOST_FAILED")
}

// fakeNomadServices answers Nomad's service API with no instances (a
// blocking query waits a while first), enough for allow_services to start.
func fakeNomadServices(t *testing.T) string {
	t.Helper()
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("index") != "" {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(2 * time.Second):
			}
		}
		w.Header().Set("X-Nomad-Index", "1")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("[]"))
	}))
	t.Cleanup(server.Close)
	return server.URL
}

func TestPooledNodeRunsTasksWithUnsupportedFeaturesInTheirOwnProcess(t *testing.T) {
	p := startPlugin(t)
	cache := t.TempDir()
	p.setConfig(t, map[string]interface{}{"cache_dir": cache, "isolation": "pooled", "nomad": []map[string]interface{}{{"address": fakeNomadServices(t)}}})
	p.cache = cache
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := p.driver.TaskEvents(ctx)
	must.NoError(t, err)
	time.Sleep(200 * time.Millisecond) // the plugin subscribes when the stream reaches it

	task := newTask(t, p, "hello-command", map[string]interface{}{"component": "local/hello-command.wasm", "allow_services": []string{"payments.service.nomad"}}, nil)
	handle, _, err := p.driver.StartTask(task.config)
	must.NoError(t, err)
	var state map[string]interface{}
	must.NoError(t, json.Unmarshal(handle.DriverState, &state))
	must.MapNotContainsKey(t, state, "pooled")
	must.Eq(t, 0, waitExit(t, p.driver, task.config.ID, 10*time.Second).ExitCode)
	task.stdout.waitFor(t, "hello from wasm", 5*time.Second)

	var messages []string
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.TaskID != task.config.ID {
				continue
			}
			messages = append(messages, ev.Message)
			if strings.HasPrefix(ev.Message, "Component started") {
				must.Eq(t, "Component started: wasi:cli command running", ev.Message)
				must.SliceContains(t, messages, "Running in a task host process of its own, not in a pool: it has allow_services (the service router and its control channel are per process)")
				return
			}
		case <-deadline:
			t.Fatalf("events so far: %q", messages)
		}
	}
}

func TestPooledMaxTasksOpensPoolsAndLetsSurplusEmptyOnesGo(t *testing.T) {
	p := startPlugin(t)
	cache := t.TempDir()
	p.setConfig(t, map[string]interface{}{"cache_dir": cache, "isolation": "pooled", "pool_max_tasks": 1})
	p.cache = cache
	first, firstHandle, _ := startPooledService(t, p)
	second, secondHandle, secondURL := startPooledService(t, p)
	a, b := poolOf(t, firstHandle), poolOf(t, secondHandle)
	must.NotEq(t, a, b, must.Sprint("pool_max_tasks = 1: a pool per task"))

	must.NoError(t, p.driver.StopTask(first.config.ID, 5*time.Second, "SIGTERM"))
	must.Eq(t, 0, waitExit(t, p.driver, first.config.ID, 6*time.Second).ExitCode)
	must.False(t, processGone(a), must.Sprint("the only empty pool stays, warm for the next start"))
	must.True(t, answers(secondURL, 2*time.Second))
	must.NoError(t, p.driver.StopTask(second.config.ID, 5*time.Second, "SIGTERM"))
	must.Eq(t, 0, waitExit(t, p.driver, second.config.ID, 6*time.Second).ExitCode)
	waitGone(t, b, 30*time.Second) // a second empty pool is let go
	must.False(t, processGone(a))

	// The plugin going away lets the last empty pool go too.
	p.client.Kill()
	waitGone(t, a, 30*time.Second)
}

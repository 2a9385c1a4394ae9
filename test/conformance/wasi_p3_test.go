package conformance

// WASI 0.3 components through Nomad's own driver client, in both tiers: a
// hand-written async-ABI service (hello-http-p3), componentize-py's 0.3
// command (command-p3) and service (http-p3), and a 0.3 component importing
// an interface the driver does not host (p3-middleware).

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"
)

// startP3Service starts a 0.3 service on a free port and waits for its first 200.
func startP3Service(t *testing.T, p *pluginInstance, component string, extra map[string]interface{}) (*taskFixture, *drivers.TaskHandle, string) {
	t.Helper()
	port := freePort(t)
	task := newTask(t, p, component, nil, nil)
	task.config.Resources.Ports = &structs.AllocatedPorts{{Label: "http", Value: port, HostIP: "127.0.0.1"}}
	config := map[string]interface{}{"component": "local/" + component + ".wasm", "port": "http"}
	for k, v := range extra {
		config[k] = v
	}
	encodeTaskConfig(t, p, task.config, config)
	handle, _, err := p.driver.StartTask(task.config)
	must.NoError(t, err)
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	must.True(t, waitHTTP200(url+"/", 60*time.Second))
	return task, handle, url
}

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	client := http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	must.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must.NoError(t, err)
	return resp.StatusCode, string(body)
}

func testP3Tasks(t *testing.T, p *pluginInstance) {
	t.Run("a 0.3 command ends with the code it exits with and logs its output", func(t *testing.T) {
		task := newTask(t, p, "command-p3", map[string]interface{}{
			"component": "local/command-p3.wasm",
			"args":      []string{"exit", "3"},
		}, nil)
		_, _, err := p.driver.StartTask(task.config)
		must.NoError(t, err)
		res := waitExit(t, p.driver, task.config.ID, 60*time.Second)
		must.Eq(t, 3, res.ExitCode) // wasi:cli/exit@0.3 exit-with-code keeps the code (0.2's exit cannot)
		must.Eq(t, 0, res.Signal)

		hello := newTask(t, p, "command-p3", map[string]interface{}{"component": "local/command-p3.wasm", "args": []string{"hello"}}, nil)
		_, _, err = p.driver.StartTask(hello.config)
		must.NoError(t, err)
		must.Eq(t, 0, waitExit(t, p.driver, hello.config.ID, 60*time.Second).ExitCode)
		must.Eq(t, "hello from python on wasi 0.3 (print)\nhello from python on wasi 0.3 (stdout stream)\n",
			hello.stdout.waitFor(t, "(stdout stream)\n", 5*time.Second))
	})

	t.Run("a hand-written 0.3 service answers, reports stats, takes SIGHUP and stops on its signal", func(t *testing.T) {
		task, _, url := startP3Service(t, p, "hello-http-p3", nil)
		code, body := getBody(t, url+"/")
		must.Eq(t, 200, code)
		must.Eq(t, "hello from wasm\n", body)

		ctx, cancel := context.WithCancel(context.Background())
		stats, err := p.driver.TaskStats(ctx, task.config.ID, 500*time.Millisecond)
		must.NoError(t, err)
		select {
		case usage := <-stats:
			must.Positive(t, usage.ResourceUsage.MemoryStats.RSS)
		case <-time.After(3 * time.Second):
			t.Fatal("no stats within 3s")
		}
		cancel()

		must.NoError(t, p.driver.SignalTask(task.config.ID, "SIGHUP"))
		must.StrContains(t, task.stderr.waitFor(t, "replacing", 5*time.Second), "received SIGHUP: replacing the component instance")
		must.True(t, answers(url+"/", 5*time.Second))

		must.NoError(t, p.driver.StopTask(task.config.ID, 5*time.Second, "SIGINT"))
		res := waitExit(t, p.driver, task.config.ID, 10*time.Second)
		must.Eq(t, 0, res.ExitCode)
		must.False(t, answers(url+"/", time.Second))
		must.NoError(t, p.driver.DestroyTask(task.config.ID, true))
	})

	t.Run("a componentize-py 0.3 service sees only its grants, in per-request instances", func(t *testing.T) {
		task, _, url := startP3Service(t, p, "http-p3", map[string]interface{}{
			"env":           []map[string]interface{}{{"GREETING": "hi from the job"}},
			"http_instance": "per-request",
		})
		code, body := getBody(t, url+"/env?name=GREETING")
		must.Eq(t, 200, code)
		must.Eq(t, "hi from the job", body)
		code, _ = getBody(t, url+"/env?name=PATH")
		must.Eq(t, 404, code)
		_, first := getBody(t, url+"/counter")
		_, second := getBody(t, url+"/counter")
		must.Eq(t, first, second) // nothing of the first request reaches the second
		code, body = getBody(t, url+"/fetch?url=http://127.0.0.1:1/")
		must.Eq(t, 502, code)
		must.Eq(t, "ErrorCode_HttpRequestDenied\n", body)
		must.NoError(t, p.driver.DestroyTask(task.config.ID, true))
	})

	t.Run("a 0.3 component importing an interface the driver does not host fails to start, naming it", func(t *testing.T) {
		port := freePort(t)
		task := newTask(t, p, "p3-middleware", nil, nil)
		task.config.Resources.Ports = &structs.AllocatedPorts{{Label: "http", Value: port, HostIP: "127.0.0.1"}}
		encodeTaskConfig(t, p, task.config, map[string]interface{}{"component": "local/p3-middleware.wasm", "port": "http"})
		_, _, err := p.driver.StartTask(task.config)
		must.ErrorContains(t, err, "the component imports interfaces this driver does not provide: wasi:http/handler@0.3.0 (not hosted by the WASI 0.3 host)")
		must.False(t, structs.IsRecoverable(err)) // COMPONENT_WORLD_UNSUPPORTED: not retried
		assertPluginAnswers(t, p)
		// The plugin carries on: the next task starts.
		next, _, url := startP3Service(t, p, "hello-http-p3", nil)
		must.True(t, answers(url+"/", 5*time.Second))
		// Task hosts outlive the plugin by design: a test that leaves one running leaks it.
		must.NoError(t, p.driver.DestroyTask(next.config.ID, true))
	})
}

func TestWasiP3TasksInTheirOwnProcesses(t *testing.T) {
	testP3Tasks(t, launchPlugin(t, t.TempDir()))
}

func TestWasiP3TasksInThePooledTier(t *testing.T) {
	testP3Tasks(t, launchPooledPlugin(t, t.TempDir()))
}

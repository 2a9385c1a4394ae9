package conformance

// Start latency through Nomad's own driver client, each figure next to a
// baseline measured in the same run:
//   StartTask → exit of a wasi:cli command   vs  spawning a bare Node process
//   StartTask → first HTTP 200 of wasi:http   vs  a plain node:http server process
// for a small and a large component, with the compile cache warm and cold.
// Run with scripts/bench.sh (fixed iteration count, medians and ratios).

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"
)

func reportMedian(b *testing.B, samples []time.Duration) {
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	b.ReportMetric(float64(samples[len(samples)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(samples[len(samples)*9/10].Microseconds())/1000, "p90-ms")
	b.ReportMetric(0, "ns/op") // per-op time includes setup; the medians are the figures
}

func freePort(b testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must.NoError(b, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitHTTP200(url string, timeout time.Duration) bool {
	client := http.Client{Timeout: 200 * time.Millisecond}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return true
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return false
}

func nodeBinary() string { return repoRoot + "/node_modules/.bin/node" }

func BenchmarkBaselineNodeProcessStartToExit(b *testing.B) {
	var samples []time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		must.NoError(b, exec.Command(nodeBinary(), "-e", "").Run())
		samples = append(samples, time.Since(start))
	}
	reportMedian(b, samples)
}

// startComponents are the components each start benchmark runs: a small one
// (hand-written WAT, a few KB) and a large one (JavaScript on StarlingMonkey,
// built by componentize-js, ~12 MB), each named by its role in the figures.
var startComponents = []struct{ size, command, http string }{
	{"small", "hello-command", "hello-http"},
	{"large", "js-hello-command", "js-hello-http"},
}

const settle = 300 * time.Millisecond

// startSamples runs b.N starts with the compile cache warm (a first,
// unmeasured start fills it) or cold (the cache emptied before every start,
// so the task host transpiles with jco), measuring each with start().
func startSamples(b *testing.B, p *pluginInstance, cache string, start func() time.Duration) []time.Duration {
	var samples []time.Duration
	if cache == "warm" {
		start()
	}
	for i := 0; i < b.N; i++ {
		if cache == "cold" {
			must.NoError(b, os.RemoveAll(filepath.Join(p.cache, "transpiled")))
		}
		// Starts on an idle node, not a burst: the previous task's exit and
		// the plugin's spare task host settle first (not measured).
		time.Sleep(settle)
		samples = append(samples, start())
	}
	return samples
}

// BenchmarkStartTaskToExit: StartTask of a wasi:cli command until Nomad's
// WaitTask reports its exit, per component size and cache state.
func BenchmarkStartTaskToExit(b *testing.B) {
	for _, c := range startComponents {
		for _, cache := range []string{"warm", "cold"} {
			b.Run(c.size+"-"+cache, func(b *testing.B) {
				p := launchPlugin(b, b.TempDir())
				reportMedian(b, startSamples(b, p, cache, func() time.Duration { return timeStartToExit(b, p, c.command, nil) }))
			})
		}
	}
}

func BenchmarkBaselineNodeHTTPStartToFirst200(b *testing.B) {
	var samples []time.Duration
	for i := 0; i < b.N; i++ {
		port := freePort(b)
		start := time.Now()
		cmd := exec.Command(nodeBinary(), "-e", "require('http').createServer((q,s)=>s.end('ok')).listen("+strconv.Itoa(port)+",'127.0.0.1')")
		must.NoError(b, cmd.Start())
		must.True(b, waitHTTP200("http://127.0.0.1:"+strconv.Itoa(port)+"/", 10*time.Second))
		samples = append(samples, time.Since(start))
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	reportMedian(b, samples)
}

// BenchmarkStartTaskToFirstHTTP200: StartTask of a wasi:http service until
// the first HTTP 200 on its allocated port, per component size and cache state.
func BenchmarkStartTaskToFirstHTTP200(b *testing.B) {
	for _, c := range startComponents {
		for _, cache := range []string{"warm", "cold"} {
			b.Run(c.size+"-"+cache, func(b *testing.B) {
				p := launchPlugin(b, b.TempDir())
				reportMedian(b, startSamples(b, p, cache, func() time.Duration { return timeStartToFirst200(b, p, c.http, nil) }))
			})
		}
	}
}

// The pooled tier (plugin config isolation = "pooled"), warm only: the same
// starts as above, each a message to the plugin's pool host instead of a
// task host process. The first, unmeasured start also starts the pool.
func BenchmarkStartTaskToExitPooled(b *testing.B) {
	for _, c := range startComponents {
		b.Run(c.size+"-warm", func(b *testing.B) {
			p := launchPooledPlugin(b, b.TempDir())
			reportMedian(b, startSamples(b, p, "warm", func() time.Duration { return timeStartToExit(b, p, c.command, inAPool) }))
		})
	}
}

func BenchmarkStartTaskToFirstHTTP200Pooled(b *testing.B) {
	for _, c := range startComponents {
		b.Run(c.size+"-warm", func(b *testing.B) {
			p := launchPooledPlugin(b, b.TempDir())
			reportMedian(b, startSamples(b, p, "warm", func() time.Duration { return timeStartToFirst200(b, p, c.http, inAPool) }))
		})
	}
}

// preview1Starts: a Go program built with GOOS=wasip1 (a WASI preview1 core
// module, adapted at its first start on the node) beside a WASI 0.2 command
// built by a real toolchain (componentize-py); the small WAT command of
// BenchmarkStartTaskToExit is the third, tiny, 0.2 figure.
var preview1Starts = []struct {
	name, component string
	args            []string
}{
	{"go-wasip1", "wasip1-probe", []string{"hello"}},
	{"py-0.2", "hello-py-command", nil},
}

// BenchmarkStartTaskToExitPreview1: StartTask -> exit of the commands above,
// compile cache warm and cold (cold: the Go module is adapted and transpiled
// at every start, the Python component transpiled).
func BenchmarkStartTaskToExitPreview1(b *testing.B) {
	for _, c := range preview1Starts {
		for _, cache := range []string{"warm", "cold"} {
			b.Run(c.name+"-"+cache, func(b *testing.B) {
				p := launchPlugin(b, b.TempDir())
				config := map[string]interface{}{"component": "local/" + c.component + ".wasm"}
				if c.args != nil {
					config["args"] = c.args
				}
				reportMedian(b, startSamples(b, p, cache, func() time.Duration { return timeStartToExitWith(b, p, c.component, config, nil) }))
			})
		}
	}
}

// timeStartToExit times one StartTask of a wasi:cli command until WaitTask
// reports its exit (code 0), then destroys the task; check, when set, looks
// at the handle first (outside the measured time).
func timeStartToExit(b *testing.B, p *pluginInstance, component string, check func(testing.TB, *drivers.TaskHandle)) time.Duration {
	return timeStartToExitWith(b, p, component, map[string]interface{}{"component": "local/" + component + ".wasm"}, check)
}

func timeStartToExitWith(b *testing.B, p *pluginInstance, component string, config map[string]interface{}, check func(testing.TB, *drivers.TaskHandle)) time.Duration {
	task := newTask(b, p, component, config, nil)
	start := time.Now()
	handle, _, err := p.driver.StartTask(task.config)
	must.NoError(b, err)
	res := waitExit(b, p.driver, task.config.ID, 60*time.Second)
	elapsed := time.Since(start)
	must.Eq(b, 0, res.ExitCode)
	if check != nil {
		check(b, handle)
	}
	must.NoError(b, p.driver.DestroyTask(task.config.ID, true))
	return elapsed
}

// timeStartToFirst200 times one StartTask of a wasi:http service until the
// first HTTP 200 on its allocated port, then destroys the task.
func timeStartToFirst200(b *testing.B, p *pluginInstance, component string, check func(testing.TB, *drivers.TaskHandle)) time.Duration {
	port := freePort(b)
	task := newTask(b, p, component, nil, nil)
	task.config.Resources.Ports = &structs.AllocatedPorts{{Label: "http", Value: port, HostIP: "127.0.0.1"}}
	encodeTaskConfig(b, p, task.config, map[string]interface{}{"component": "local/" + component + ".wasm", "port": "http"})
	start := time.Now()
	handle, _, err := p.driver.StartTask(task.config)
	must.NoError(b, err)
	must.True(b, waitHTTP200("http://127.0.0.1:"+strconv.Itoa(port)+"/", 60*time.Second))
	elapsed := time.Since(start)
	if check != nil {
		check(b, handle)
	}
	must.NoError(b, p.driver.DestroyTask(task.config.ID, true))
	return elapsed
}

// inAPool fails the benchmark unless the task ran in a pool host.
func inAPool(t testing.TB, handle *drivers.TaskHandle) { poolOf(t, handle) }

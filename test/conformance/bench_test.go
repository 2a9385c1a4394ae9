package conformance

// Start latency through Nomad's own driver client, each figure next to a
// baseline measured in the same run:
//   StartTask → exit of a wasi:cli command   vs  spawning a bare Node process
//   StartTask → first HTTP 200 of wasi:http   vs  a plain node:http server process
// Run with scripts/bench.sh (fixed iteration count, medians and ratios).

import (
	"net"
	"net/http"
	"os/exec"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/shoenig/test/must"
)

func reportMedian(b *testing.B, samples []time.Duration) {
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	b.ReportMetric(float64(samples[len(samples)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(samples[len(samples)*9/10].Microseconds())/1000, "p90-ms")
	b.ReportMetric(0, "ns/op") // per-op time includes setup; the medians are the figures
}

func freePort(b *testing.B) int {
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

func BenchmarkStartTaskToExitWarmCache(b *testing.B) {
	p := launchPlugin(b, b.TempDir())
	var samples []time.Duration
	for i := 0; i < b.N+1; i++ {
		task := newTask(b, p, "hello-command", map[string]interface{}{"component": "local/hello-command.wasm"}, nil)
		start := time.Now()
		_, _, err := p.driver.StartTask(task.config)
		must.NoError(b, err)
		res := waitExit(b, p.driver, task.config.ID, 10*time.Second)
		elapsed := time.Since(start)
		must.Eq(b, 0, res.ExitCode)
		if i > 0 { // the first start fills the compile cache
			samples = append(samples, elapsed)
		}
		must.NoError(b, p.driver.DestroyTask(task.config.ID, true))
	}
	reportMedian(b, samples)
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

func BenchmarkStartTaskToFirstHTTP200WarmCache(b *testing.B) {
	p := launchPlugin(b, b.TempDir())
	var samples []time.Duration
	for i := 0; i < b.N+1; i++ {
		port := freePort(b)
		task := newTask(b, p, "hello-http", nil, nil)
		task.config.Resources.Ports = &structs.AllocatedPorts{{Label: "http", Value: port, HostIP: "127.0.0.1"}}
		encodeTaskConfig(b, p, task.config, map[string]interface{}{"component": "local/hello-http.wasm", "port": "http"})
		start := time.Now()
		_, _, err := p.driver.StartTask(task.config)
		must.NoError(b, err)
		must.True(b, waitHTTP200("http://127.0.0.1:"+strconv.Itoa(port)+"/", 10*time.Second))
		elapsed := time.Since(start)
		if i > 0 {
			samples = append(samples, elapsed)
		}
		must.NoError(b, p.driver.DestroyTask(task.config.ID, true))
	}
	reportMedian(b, samples)
}

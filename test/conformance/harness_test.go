package conformance

// The harness launches the built plugin the way Nomad's plugin loader does
// (helper/pluginutils/loader: base.Handshake, gRPC only, the base + driver
// plugin map) and builds TaskConfigs the way the Nomad client does (the
// plugin's own hclspec, converted and decoded by Nomad's hclutils, then cty
// msgpack).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/nomad/helper/pluginutils/hclspecutils"
	"github.com/hashicorp/nomad/helper/pluginutils/hclutils"
	"github.com/hashicorp/nomad/plugins/base"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/hashicorp/nomad/plugins/shared/hclspec"
	"github.com/shoenig/test/must"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/msgpack"
)

var repoRoot = func() string {
	wd, _ := os.Getwd()
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}()

func componentsDir() string {
	if dir := os.Getenv("WASM_TEST_COMPONENTS"); dir != "" {
		return dir
	}
	return filepath.Join(repoRoot, ".cache", "components")
}

// pluginInstance is one running plugin process with Nomad's client on it.
type pluginInstance struct {
	client *plugin.Client
	driver drivers.DriverPlugin
	base   base.BasePlugin
	conn   *grpc.ClientConn // the raw connection, for asserting on gRPC statuses Nomad's client hides
	cache  string
	logs   *syncBuffer
	// statuses records the last failed status of each unary RPC: Nomad's
	// client keeps only the first detail and the text of a StartTask error.
	statuses *statusRecorder
}

// statusRecorder is a client interceptor that keeps what Nomad's driver
// client drops: the full gRPC status of the last failure of each method.
type statusRecorder struct {
	mu   sync.Mutex
	last map[string]*status.Status
}

func (r *statusRecorder) intercept(ctx context.Context, method string, req, reply interface{}, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	if err != nil {
		r.mu.Lock()
		r.last[path.Base(method)] = status.Convert(err)
		r.mu.Unlock()
	}
	return err
}

// errorCode is the driver's error code from the google.rpc.ErrorInfo detail
// of the last failed call of `method` (e.g. "StartTask"); "" when it has none.
func (p *pluginInstance) errorCode(t testing.TB, method string) string {
	t.Helper()
	p.statuses.mu.Lock()
	st := p.statuses.last[method]
	p.statuses.mu.Unlock()
	must.NotNil(t, st, must.Sprintf("no failed %s call recorded", method))
	for _, detail := range st.Details() {
		if info, ok := detail.(*errdetails.ErrorInfo); ok {
			must.Eq(t, "nomad-driver-wasm", info.Domain)
			return info.Reason
		}
	}
	return ""
}

// launchPlugin starts plugins/wasm and configures it like the long-lived
// instance of a Nomad client (SetConfig with the schema's defaults applied).
func launchPlugin(t testing.TB, cacheDir string) *pluginInstance {
	t.Helper()
	p := startPlugin(t)
	p.setConfig(t, map[string]interface{}{"cache_dir": cacheDir})
	p.cache = cacheDir
	return p
}

// startPlugin launches plugins/wasm with Nomad's loader settings and
// dispenses the driver, without any SetConfig. When the test fails, the
// plugin's stderr (re-logged by go-plugin) is printed with the failure.
func startPlugin(t testing.TB) *pluginInstance {
	t.Helper()
	logs := &syncBuffer{}
	statuses := &statusRecorder{last: map[string]*status.Status{}}
	logger := hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Debug, Output: io.MultiWriter(logs, pluginLogOutput())})
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: base.Handshake,
		Plugins: map[string]plugin.Plugin{
			base.PluginTypeBase:   &base.PluginBase{},
			base.PluginTypeDriver: drivers.NewDriverPlugin(nil, logger),
		},
		Cmd:              exec.Command(filepath.Join(repoRoot, "plugins", "wasm")),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger,
		GRPCDialOptions:  []grpc.DialOption{grpc.WithChainUnaryInterceptor(statuses.intercept)},
	})
	rpc, err := client.Client()
	must.NoError(t, err)
	raw, err := rpc.Dispense(base.PluginTypeDriver)
	must.NoError(t, err)
	p := &pluginInstance{client: client, driver: raw.(drivers.DriverPlugin), base: raw.(base.BasePlugin), conn: rpc.(*plugin.GRPCClient).Conn, logs: logs, statuses: statuses}
	t.Cleanup(func() {
		client.Kill()
		if t.Failed() {
			t.Logf("plugin (pid %d) log, last lines:\n%s", p.pid(), logs.tail(80))
		}
	})
	return p
}

// setConfig encodes the agent-side config through the plugin's ConfigSchema
// and sets it with an agent config, as Nomad's driver manager does for the
// long-lived instance (helper/pluginutils/loader dispensePlugin).
func (p *pluginInstance) setConfig(t testing.TB, config map[string]interface{}) {
	t.Helper()
	must.NoError(t, p.base.SetConfig(&base.Config{PluginConfig: p.encodePluginConfig(t, config), ApiVersion: "0.1.0", AgentConfig: nomadAgentConfig()}))
}

// nomadAgentConfig is what the driver manager passes as nomad_config.
func nomadAgentConfig() *base.AgentConfig {
	return &base.AgentConfig{Driver: &base.ClientDriverConfig{ClientMinPort: 14000, ClientMaxPort: 14512}}
}

func (p *pluginInstance) encodePluginConfig(t testing.TB, config map[string]interface{}) []byte {
	t.Helper()
	schema, err := p.base.ConfigSchema()
	must.NoError(t, err)
	val := decodeThroughSchema(t, schema, config)
	encoded, err := msgpack.Marshal(val, val.Type())
	must.NoError(t, err)
	return encoded
}

func (p *pluginInstance) pid() int {
	return p.client.ReattachConfig().Pid
}

// taskFixture is a Nomad-like alloc dir with FIFOs that a logmon-like reader drains.
type taskFixture struct {
	config *drivers.TaskConfig
	stdout *fifoReader
	stderr *fifoReader
}

// newTask builds a TaskConfig for `component` with the given driver config
// (encoded through the plugin's TaskConfigSchema), in a fresh alloc dir.
func newTask(t testing.TB, p *pluginInstance, component string, config map[string]interface{}, env map[string]string) *taskFixture {
	t.Helper()
	allocID := randomID()
	allocDir := t.TempDir()
	taskDir := filepath.Join(allocDir, "web")
	for _, dir := range []string{"alloc/logs", "alloc/data", "alloc/tmp", "web/local", "web/secrets", "web/private", "web/tmp"} {
		must.NoError(t, os.MkdirAll(filepath.Join(allocDir, dir), 0o755))
	}
	if component != "" {
		data, err := os.ReadFile(filepath.Join(componentsDir(), component+".wasm"))
		must.NoError(t, err, must.Sprint("build the components first: node scripts/build-components.ts"))
		must.NoError(t, os.WriteFile(filepath.Join(taskDir, "local", component+".wasm"), data, 0o644))
	}
	stdoutPath := filepath.Join(allocDir, "alloc/logs/.web.stdout.fifo")
	stderrPath := filepath.Join(allocDir, "alloc/logs/.web.stderr.fifo")
	cfg := &drivers.TaskConfig{
		ID:         allocID + "/web/" + randomID()[:8],
		Name:       "web",
		AllocID:    allocID,
		AllocDir:   allocDir,
		JobName:    "conformance",
		Env:        env,
		StdoutPath: stdoutPath,
		StderrPath: stderrPath,
		Resources: &drivers.Resources{
			NomadResources: nil,
			LinuxResources: &drivers.LinuxResources{},
		},
	}
	if config != nil {
		encodeTaskConfig(t, p, cfg, config)
	}
	f := &taskFixture{config: cfg, stdout: newFifoReader(t, stdoutPath), stderr: newFifoReader(t, stderrPath)}
	// Task hosts outlive their plugin by design, so a test that leaves a task
	// running would leak its process: whatever the test did, it is destroyed
	// at the end (an error means it was already gone, or so was the plugin).
	t.Cleanup(func() { _ = p.driver.DestroyTask(cfg.ID, true) })
	return f
}

func encodeTaskConfig(t testing.TB, p *pluginInstance, cfg *drivers.TaskConfig, config map[string]interface{}) {
	t.Helper()
	schema, err := p.driver.TaskConfigSchema()
	must.NoError(t, err)
	must.NoError(t, cfg.EncodeDriverConfig(decodeThroughSchema(t, schema, config)))
}

// decodeThroughSchema is the Nomad client's path from a job's config block
// to a cty value: the plugin's hclspec converted to hcldec, then decoded.
func decodeThroughSchema(t testing.TB, schema *hclspec.Spec, config map[string]interface{}) cty.Value {
	t.Helper()
	spec, diags := hclspecutils.Convert(schema)
	must.False(t, diags.HasErrors(), must.Sprint(diags))
	val, diags, errs := hclutils.ParseHclInterface(config, spec, nil)
	must.False(t, diags.HasErrors(), must.Sprint(diags))
	must.SliceEmpty(t, errs)
	return val
}

// fifoReader plays logmon: it creates the FIFO and reads it until the test ends.
type fifoReader struct {
	mu   sync.Mutex
	data bytes.Buffer
}

func newFifoReader(t testing.TB, path string) *fifoReader {
	t.Helper()
	must.NoError(t, syscall.Mkfifo(path, 0o600))
	r := &fifoReader{}
	go func() {
		// Blocks until the task opens the write end; reopens after EOF like logmon does on restart.
		for {
			file, err := os.OpenFile(path, os.O_RDONLY, os.ModeNamedPipe)
			if err != nil {
				return
			}
			scanner := bufio.NewReader(file)
			buf := make([]byte, 4096)
			for {
				n, err := scanner.Read(buf)
				r.mu.Lock()
				r.data.Write(buf[:n])
				r.mu.Unlock()
				if err != nil {
					break
				}
			}
			file.Close()
			if _, err := os.Stat(path); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		// Unblock a reader still waiting in open() by opening the write side once.
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		os.Remove(path)
	})
	return r
}

// ticks counts the "tick N" lines seen so far.
func (r *fifoReader) ticks() int {
	return strings.Count(r.String(), "tick ")
}

func (r *fifoReader) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.data.String()
}

// waitFor polls the FIFO content until it contains want.
func (r *fifoReader) waitFor(t *testing.T, want string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if s := r.String(); strings.Contains(s, want) {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %q; got %q", want, r.String())
	return ""
}

func waitExit(t testing.TB, d drivers.DriverPlugin, taskID string, timeout time.Duration) *drivers.ExitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ch, err := d.WaitTask(ctx, taskID)
	must.NoError(t, err)
	select {
	case res := <-ch:
		must.NotNil(t, res)
		return res
	case <-ctx.Done():
		t.Fatalf("task %s did not exit within %s", taskID, timeout)
		return nil
	}
}

// taskHostPid reads the task host's pid from the handle's driver state (our JSON).
func taskHostPid(t *testing.T, handle *drivers.TaskHandle) int {
	t.Helper()
	var state struct {
		Pid int `json:"pid"`
	}
	must.NoError(t, json.Unmarshal(handle.DriverState, &state))
	must.Positive(t, state.Pid)
	return state.Pid
}

// processGone is true when pid no longer runs (a zombie awaiting a reaper counts as gone).
func processGone(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", itoa(pid), "stat"))
	if err != nil {
		return true
	}
	s := string(stat)
	state := s[strings.LastIndex(s, ")")+2]
	return state == 'Z' || state == 'X'
}

func waitGone(t *testing.T, pid int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if processGone(pid) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("process %d still running after %s", pid, timeout)
}

// pluginLogOutput is where the plugin's (re-logged) stderr goes: set
// CONFORMANCE_PLUGIN_LOGS=1 to see it. Not t.Log: go-plugin writes from its
// own goroutine, possibly after the test has finished.
func pluginLogOutput() io.Writer {
	if os.Getenv("CONFORMANCE_PLUGIN_LOGS") == "1" {
		return os.Stderr
	}
	return io.Discard
}

// syncBuffer collects the plugin's log lines; go-plugin writes from its own goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) tail(n int) string {
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

package conformance

// Start latency with and without an admission policy, through Nomad's own
// driver client, in the same run: the same warm starts of the small command
// on two plugins, one of them configured with the example policies
// (policy/examples compiled by OPA; scripts/bench.sh builds the bundle and
// passes its path in BENCH_POLICY_BUNDLE), their starts taking turns so
// both see the same machine. The task runs in the default namespace, where
// the example data sets no rule: every rule is evaluated and allows it.
// Job history is off: the harness has no Nomad API to ask.

import (
	"os"
	"sort"
	"testing"
	"time"
)

func BenchmarkStartTaskToExitWithPolicy(b *testing.B) {
	bundle := os.Getenv("BENCH_POLICY_BUNDLE")
	if bundle == "" {
		b.Fatal("BENCH_POLICY_BUNDLE must name a policy bundle (scripts/bench.sh builds one)")
	}
	plain := launchPlugin(b, b.TempDir())
	judged := startPlugin(b)
	judgedCache := b.TempDir()
	judged.setConfig(b, map[string]interface{}{
		"cache_dir": judgedCache,
		"policy": []map[string]interface{}{{
			"bundle":      bundle,
			"mode":        "enforce",
			"job_history": false,
		}},
	})
	judged.cache = judgedCache
	// Warm both compile caches (and the policy's component facts) first.
	timeStartToExit(b, plain, "hello-command", nil)
	timeStartToExit(b, judged, "hello-command", nil)
	var without, with []time.Duration
	for i := 0; i < b.N; i++ {
		time.Sleep(settle)
		without = append(without, timeStartToExit(b, plain, "hello-command", nil))
		time.Sleep(settle)
		with = append(with, timeStartToExit(b, judged, "hello-command", nil))
	}
	report := func(samples []time.Duration, name string) {
		sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
		b.ReportMetric(float64(samples[len(samples)/2].Microseconds())/1000, name+"-median-ms")
		b.ReportMetric(float64(samples[len(samples)*9/10].Microseconds())/1000, name+"-p90-ms")
	}
	report(without, "none")
	report(with, "policy")
	b.ReportMetric(0, "ns/op") // per-op time includes setup; the medians are the figures
}
